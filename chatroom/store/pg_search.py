"""Full-text search on PostgreSQL: a pg_trgm GIN index of every message's folded text (search_base.py).

``search_rows`` holds each message's folded text and time; a trigram GIN
index serves it to ``LIKE '%term%'`` (schema steps 9 and 11); a term
shorter than three characters is a ``strpos`` filter. Functions of a connection, like
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
    cursor_sql,
    drop_sql,
    filter_sql,
    message_index_rows,
)


async def index_messages(conn: Connection, messages: Iterable[StoredMessage]) -> None:
    """Index new messages, but the deleted, with their times (inside the caller's transaction)."""
    rows = message_index_rows(messages)
    if rows:
        async with conn.cursor() as cursor:
            await cursor.executemany(_ADD, rows)


async def unindex(conn: Connection, room: str, msg_id: int) -> None:
    """A message leaves the index (a deletion)."""
    await conn.execute(drop_sql("%s"), (room, msg_id))


_ADD = "INSERT INTO search_rows (room, id, ts, folded) VALUES (%s, %s, %s, %s)"
# The most recent messages looked through before the index (see search).
PROBE = 500
_COLUMNS = f"m.room, {MESSAGE_COLUMNS}"


def like_pattern(term: str) -> str:
    """A LIKE pattern that finds the term anywhere: its own %, _ and backslash stand for themselves."""
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


async def search(conn: Connection, query: SearchQuery) -> list[StoredMessage]:
    """Up to ``query.limit`` messages matching the query, newest first.

    A query of short terms only looks through the SCAN_RECENT most recent
    messages. Otherwise the PROBE most recent messages after the cursor come
    first: a common word fills its page there, and the page is exact (they
    are the first in search order). Only a rarer one goes to the trigram
    index, whose matches (few, then) are sorted by time.
    """
    if not query.rooms:
        return []
    filters, params = filter_sql(query, "%s", "NOT m.deleted", array=True)
    after, after_params = cursor_sql(query, "%s")
    terms = [*(like_pattern(term) for term in query.terms.indexed), *query.terms.short]
    matching = " AND ".join(
        ["d.folded LIKE %s"] * len(query.terms.indexed)
        + ["strpos(d.folded, %s) > 0"] * len(query.terms.short)
    )
    if not query.terms.indexed:
        # The window stays where it is whatever the page: the cursor applies within it.
        sql = _recent_sql(filters, "1 = 1", after, matching)
        values = [*params, SCAN_RECENT, *after_params, *terms, query.limit]
        return await _messages(conn, sql, values)
    sql = _recent_sql(filters, after, "1 = 1", matching)
    found = await _messages(conn, sql, [*params, *after_params, PROBE, *terms, query.limit])
    if len(found) == query.limit:
        return found
    # The index's matches, sorted by their own time: only a page of them is looked up in messages
    # (but all of an author's, whose name only messages know). MATERIALIZED and OFFSET 0 keep the
    # planner from turning the lookups into a scan of messages.
    where, where_params = _rows_filter(query)
    most = "" if query.author is not None else "LIMIT %s"
    sql = (
        f"WITH hits AS MATERIALIZED (SELECT d.room, d.id FROM search_rows d WHERE {matching} AND {where}"
        f" ORDER BY d.ts DESC, d.room DESC, d.id DESC {most})"
        f" SELECT {_COLUMNS} FROM hits CROSS JOIN LATERAL (SELECT * FROM messages WHERE room = hits.room"
        f" AND id = hits.id OFFSET 0) AS m {MESSAGE_JOINS} WHERE {filters} AND {after} {ORDER} LIMIT %s"
    )
    values = [*terms, *where_params, *([] if most == "" else [query.limit]), *params, *after_params]
    return await _messages(conn, sql, [*values, query.limit])


def _rows_filter(query: SearchQuery) -> tuple[str, list[object]]:
    """The rooms, times and cursor of a search as conditions on ``d`` (search_rows)."""
    clauses: list[str] = ["d.room = ANY (%s)"]
    params: list[object] = [list(query.rooms)]
    if query.since is not None:
        clauses.append("d.ts >= %s")
        params.append(query.since)
    if query.until is not None:
        clauses.append("d.ts < %s")
        params.append(query.until)
    if query.cursor is not None:
        clauses.append("(d.ts, d.room, d.id) < (%s, %s, %s)")
        params += [query.cursor.ts, query.cursor.room, query.cursor.id]
    return " AND ".join(clauses), params


def _recent_sql(filters: str, inside: str, outside: str, matching: str) -> str:
    """The matches among the most recent messages the filters and ``inside`` allow (parameters: the
    filters', inside's, how many, outside's, the terms, the limit)."""
    return (
        f"SELECT {_COLUMNS} FROM (SELECT m.room, m.id FROM messages m WHERE {filters} AND {inside} {ORDER}"
        " LIMIT %s) AS recent JOIN messages m ON m.room = recent.room AND m.id = recent.id"
        f" JOIN search_rows d ON d.room = m.room AND d.id = m.id {MESSAGE_JOINS}"
        f" WHERE {outside} AND {matching} {ORDER} LIMIT %s"
    )


async def _messages(conn: Connection, sql: str, values: list[object]) -> list[StoredMessage]:
    rows = await (await conn.execute(sql, values)).fetchall()
    return [message_from_row(str(row[0]), row[1:]) for row in rows]
