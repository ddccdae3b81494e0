"""PostgreSQL's search rows written: each message's folded text, time, author and keys.

A row's ``keys`` (schema step 16) are the lexemes of the index of word
suffixes, made in Python (search_words.message_keys) and passed as one string
of them separated by spaces: they are ASCII letters, digits, ``W``, ``P``,
``-`` and ``.``, so splitting on spaces gives them back and no text reaches
the ``tsvector`` syntax. Every write of a row, the batch's (pg_batch.py), an import's, an
edit's, writes its keys with it; the column is NOT NULL, so one that did not
would fail rather than hide its message from searches. Functions of a
connection, inside the caller's transaction.
"""

from __future__ import annotations

from collections.abc import Iterable

import psycopg
from psycopg.rows import TupleRow

from ..events import StoredMessage
from .search_base import message_index_rows
from .search_words import message_keys

Connection = psycopg.AsyncConnection[TupleRow]

# A row's keys from the string message_keys made (a parameter).
KEYS = "array_to_tsvector(string_to_array(%s, ' '))"
_ADD = f"INSERT INTO search_rows (room, id, ts, nick, folded, keys) VALUES (%s, %s, %s, %s, %s, {KEYS})"
_EDIT = f"UPDATE search_rows SET folded = %s, keys = {KEYS} WHERE room = %s AND id = %s"


async def index_messages(conn: Connection, messages: Iterable[StoredMessage]) -> None:
    """Index new messages, but the deleted, with their times and keys."""
    rows = [(*row, message_keys(row[4], row[2])) for row in message_index_rows(messages)]
    if rows:
        async with conn.cursor() as cursor:
            await cursor.executemany(_ADD, rows)


async def reindex(conn: Connection, room: str, msg_id: int, ts: int, folded: str) -> None:
    """A message's new folded text (an edit), and its keys; ``ts`` the message's own time."""
    await conn.execute(_EDIT, (folded, message_keys(folded, ts), room, msg_id))
