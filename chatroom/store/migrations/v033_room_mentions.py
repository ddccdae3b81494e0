"""Schema step 33: mentions of many at once, ``@room`` and ``@here``.

A room says who may make them, everyone or only those who manage it (Zulip's
wildcard policy: access.may_mention_room). Every room so far let everyone,
which is what the column's default says; a direct room keeps it (there they
mean the other person).

``@here`` mentions those online in the room when it is sent: who they were
is written down then (unread.py), one row per person, so that their unread
counts, read later on any node and after a restart, count it as a mention.
The key serves a reader's rows in a room after their read position.
"""

from __future__ import annotations

from .step import Step

_COLUMN = (
    "ALTER TABLE rooms ADD COLUMN room_mentions TEXT NOT NULL DEFAULT 'everyone'"
    " CHECK (room_mentions IN ('everyone', 'managers'))"
)

STEP = Step(
    33,
    "mentions of many at once: who may make them in a room, who was online for @here",
    sqlite=(
        _COLUMN,
        "CREATE TABLE here_mentions (room TEXT NOT NULL, account_id INTEGER NOT NULL,"
        " message_id INTEGER NOT NULL, PRIMARY KEY (room, account_id, message_id))",
    ),
    postgres=(
        _COLUMN,
        "CREATE TABLE here_mentions (room TEXT NOT NULL, account_id BIGINT NOT NULL,"
        " message_id BIGINT NOT NULL, PRIMARY KEY (room, account_id, message_id))",
    ),
)
