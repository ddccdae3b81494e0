"""Schema step 22: a room says who posts in it, everyone or only those who manage it.

An announcements room: its owner and administrators post, everyone else
reads and reacts (access.may_post). Every room so far takes everyone's
messages, which is what the column's default says; a direct room keeps it.
"""

from __future__ import annotations

from .step import Step

_COLUMN = (
    "ALTER TABLE rooms ADD COLUMN posting TEXT NOT NULL DEFAULT 'everyone'"
    " CHECK (posting IN ('everyone', 'managers'))"
)

STEP = Step(
    22,
    "a room says who posts in it, everyone or only those who manage it",
    sqlite=(_COLUMN,),
    postgres=(_COLUMN,),
)
