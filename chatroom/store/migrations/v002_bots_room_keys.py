"""Schema step 2: bot messages; look-alike keys of rooms with history."""

from __future__ import annotations

from ...names import room_key
from .step import Cursor, Step


def fill_room_keys(cursor: Cursor) -> None:
    """Rooms stored before look-alike keys were kept get theirs."""
    rows = cursor.fetchall("SELECT room FROM rooms WHERE key IS NULL")
    cursor.executemany("UPDATE rooms SET key = ? WHERE room = ?", [(room_key(str(r[0])), r[0]) for r in rows])


STEP = Step(
    2,
    "bot messages; look-alike keys of rooms with history",
    sqlite=(
        "ALTER TABLE messages ADD COLUMN bot INTEGER NOT NULL DEFAULT 0",
        "ALTER TABLE rooms ADD COLUMN key TEXT",
        "CREATE INDEX rooms_by_key ON rooms (key)",
    ),
    postgres=(
        "ALTER TABLE messages ADD COLUMN bot BOOLEAN NOT NULL DEFAULT FALSE",
        "ALTER TABLE rooms ADD COLUMN key TEXT",
        "CREATE INDEX rooms_by_key ON rooms (key)",
    ),
    fix=fill_room_keys,
)
