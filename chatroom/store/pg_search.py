"""Full-text search on PostgreSQL: a pg_trgm GIN index of every message's folded text (search_base.py).

``search_rows`` holds each message's folded text, which a trigram GIN
index serves to ``LIKE '%term%'`` (schema step 9); a term shorter than three
characters is a ``strpos`` filter. Functions of a connection, like
pg_changes.py's: the writer calls the upkeep inside its batch transaction.
"""

from __future__ import annotations

from collections.abc import Iterable

from ..events import StoredMessage
from .message_rows import MESSAGE_COLUMNS, MESSAGE_JOINS, message_from_row
from .pg_changes import Connection
from .search_base import (
    ORDER,
    SCAN_RECENT,
    SearchQuery,
    add_sql,
    cursor_sql,
    drop_sql,
    filter_sql,
    message_index_rows,
)


async def index_messages(conn: Connection, messages: Iterable[StoredMessage]) -> None:
    """Index new messages, but the deleted (inside the caller's transaction)."""
    rows = message_index_rows(messages)
    if rows:
        async with conn.cursor() as cursor:
            await cursor.executemany(add_sql("%s"), rows)


async def unindex(conn: Connection, room: str, msg_id: int) -> None:
    """A message leaves the index (a deletion)."""
    await conn.execute(drop_sql("%s"), (room, msg_id))


def like_pattern(term: str) -> str:
    """A LIKE pattern that finds the term anywhere: its own %, _ and backslash stand for themselves."""
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


async def search(conn: Connection, query: SearchQuery) -> list[StoredMessage]:
    """Up to ``query.limit`` messages matching the query, newest first."""
    if not query.rooms:
        return []
    filters, params = filter_sql(query, "%s", "NOT m.deleted")
    after, after_params = cursor_sql(query, "%s")
    terms = [*(like_pattern(term) for term in query.terms.indexed), *query.terms.short]
    matching = " AND ".join(
        ["d.folded LIKE %s"] * len(query.terms.indexed)
        + ["strpos(d.folded, %s) > 0"] * len(query.terms.short)
    )
    columns = f"m.room, {MESSAGE_COLUMNS}"
    replied = MESSAGE_JOINS
    if query.terms.indexed:
        sql = (
            f"SELECT {columns} FROM search_rows d JOIN messages m ON m.room = d.room AND m.id = d.id"
            f" {replied} WHERE {filters} AND {after} AND {matching} {ORDER} LIMIT %s"
        )
        values = [*params, *after_params]
    else:
        sql = (
            f"SELECT {columns} FROM (SELECT m.room, m.id FROM messages m WHERE {filters} {ORDER} LIMIT %s)"
            " AS recent JOIN messages m ON m.room = recent.room AND m.id = recent.id"
            f" JOIN search_rows d ON d.room = m.room AND d.id = m.id {replied}"
            f" WHERE {after} AND {matching} {ORDER} LIMIT %s"
        )
        values = [*params, SCAN_RECENT, *after_params]
    rows = await (await conn.execute(sql, [*values, *terms, query.limit])).fetchall()
    return [message_from_row(str(row[0]), row[1:]) for row in rows]
