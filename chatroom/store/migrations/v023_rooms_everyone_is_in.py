"""Schema step 23: an open room can be one everyone is in (its ``everyone_in``).

A school's #announcements, a company's #general: every person account is a
member, those made later too (at their creation), so that each counts the
room's unread messages. Only an open room may be one: the database says so.
Every room so far is an ordinary one, which is what the column's default says.

The partial index holds only such rooms: creating an account looks them up
(everyone_sql.JOIN_ROOMS_FOR_EVERYONE) without reading every room.
"""

from __future__ import annotations

from .step import Step

_INDEX = "CREATE INDEX rooms_everyone_is_in ON rooms (room) WHERE everyone_in"

STEP = Step(
    23,
    "an open room can be one everyone is in",
    sqlite=(
        "ALTER TABLE rooms ADD COLUMN everyone_in INTEGER NOT NULL DEFAULT 0"
        " CHECK (everyone_in IN (0, 1) AND (everyone_in = 0 OR kind = 'open'))",
        _INDEX,
    ),
    postgres=(
        "ALTER TABLE rooms ADD COLUMN everyone_in BOOLEAN NOT NULL DEFAULT FALSE"
        " CHECK (NOT everyone_in OR kind = 'open')",
        _INDEX,
    ),
)
