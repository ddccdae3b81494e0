"""Full-text search on SQLite: an FTS5 trigram index of every message's folded text (search_base.py).

``search_rows`` holds each message's folded text under a ``doc`` number;
``search_index`` is an FTS5 table (trigram tokenizer) with it as external
content, which triggers keep in step (schema step 9). Functions of a
connection, like sqlite_sql.py's: the writer calls the upkeep inside its
batch transaction.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable

from ..events import StoredMessage
from .message_rows import MESSAGE_COLUMNS, MESSAGE_JOINS, message_from_row
from .search_base import (
    ORDER,
    SCAN_RECENT,
    SearchQuery,
    add_sql,
    cursor_sql,
    drop_sql,
    edit_sql,
    file_name_sql,
    filter_sql,
    message_index_rows,
    searchable,
)


def index_messages(conn: sqlite3.Connection, messages: Iterable[StoredMessage]) -> None:
    """Index new messages, but the deleted (inside the caller's transaction)."""
    conn.executemany(add_sql("?"), message_index_rows(messages))


def reindex(conn: sqlite3.Connection, room: str, msg_id: int, text: str) -> None:
    """A message's new text replaces its old in the index (an edit); its file's name stays."""
    row = conn.execute(file_name_sql("?"), (room, msg_id)).fetchone()
    conn.execute(edit_sql("?"), (searchable(text, None if row is None else str(row[0])), room, msg_id))


def unindex(conn: sqlite3.Connection, room: str, msg_id: int) -> None:
    """A message leaves the index (a deletion)."""
    conn.execute(drop_sql("?"), (room, msg_id))


def search(conn: sqlite3.Connection, query: SearchQuery) -> list[StoredMessage]:
    """Up to ``query.limit`` messages matching the query, newest first."""
    if not query.rooms:
        return []
    filters, params = filter_sql(query, "?", "m.deleted = 0")
    after, after_params = cursor_sql(query, "?")
    short = " AND ".join(["instr(d.folded, ?) > 0"] * len(query.terms.short)) or "1 = 1"
    columns = f"m.room, {MESSAGE_COLUMNS}"
    replied = MESSAGE_JOINS
    if query.terms.indexed:
        sql = (
            f"SELECT {columns} FROM search_index s JOIN search_rows d ON d.doc = s.rowid"
            f" JOIN messages m ON m.room = d.room AND m.id = d.id {replied}"
            f" WHERE search_index MATCH ? AND {filters} AND {after} AND {short} {ORDER} LIMIT ?"
        )
        values = [match_expression(query.terms.indexed), *params, *after_params]
    else:
        sql = (
            f"SELECT {columns} FROM (SELECT m.room AS room, m.id AS id FROM messages m WHERE {filters}"
            f" {ORDER} LIMIT ?) AS recent JOIN messages m ON m.room = recent.room AND m.id = recent.id"
            f" JOIN search_rows d ON d.room = m.room AND d.id = m.id {replied}"
            f" WHERE {after} AND {short} {ORDER} LIMIT ?"
        )
        values = [*params, SCAN_RECENT, *after_params]
    rows = conn.execute(sql, [*values, *query.terms.short, query.limit]).fetchall()
    return [message_from_row(str(row[0]), row[1:]) for row in rows]


def match_expression(terms: Iterable[str]) -> str:
    """An FTS5 query that holds every term as a quoted string: nothing in a term is syntax."""
    return " ".join('"' + term.replace('"', '""') + '"' for term in terms)
