"""Forwarded copies' snapshots in the ``forwards`` table (schema step 41): SQL both dialects share.

Written in the copy's own transaction, read with every message
(message_rows.py joins it), deleted with the copy's deletion. Placeholders
are ``?``; PostgreSQL callers swap them for ``%s``.
"""

from __future__ import annotations

from collections.abc import Iterable

from ..events import StoredMessage

INSERT_FORWARD = (
    "INSERT INTO forwards (room, id, from_room, from_id, from_kind, nick, ts, message, file_name)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
DELETE_FORWARD = "DELETE FROM forwards WHERE room = ? AND id = ?"
# The forwarded text of a copy (no row: it forwards none), which an edit of its comment keeps searchable.
FORWARD_TEXT = "SELECT message FROM forwards WHERE room = ? AND id = ?"


def forward_rows(messages: Iterable[StoredMessage]) -> list[list[object]]:
    """Rows of INSERT_FORWARD for the messages that forward one (a deleted copy keeps none)."""
    return [[m.room, m.id, *m.forward.as_row()] for m in messages if m.forward is not None and not m.deleted]


def pg(sql: str) -> str:
    """The statement with PostgreSQL's placeholders."""
    return sql.replace("?", "%s")
