"""Schema step 33: a room says who may mention all of it (``@room``), everyone or only those who manage it.

Zulip's wildcard policy: in a large room, the owner may keep ``@room`` and
its aliases to its owner and administrators (access.may_mention_room). Every
room so far let everyone, which is what the column's default says; a direct
room keeps it (there it means the other person).
"""

from __future__ import annotations

from .step import Step

_COLUMN = (
    "ALTER TABLE rooms ADD COLUMN room_mentions TEXT NOT NULL DEFAULT 'everyone'"
    " CHECK (room_mentions IN ('everyone', 'managers'))"
)

STEP = Step(
    33,
    "a room says who may mention all of it, everyone or only those who manage it",
    sqlite=(_COLUMN,),
    postgres=(_COLUMN,),
)
