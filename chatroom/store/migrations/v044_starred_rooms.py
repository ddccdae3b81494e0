"""Schema step 44: the rooms each person starred, to keep them at the top of their rooms list.

One row per account and room, with when it was starred (an export keeps
it). The primary key reads a person's stars in room name order, the order
the list shows them in. Nothing was starred before this step.
"""

from __future__ import annotations

from .step import Step

STEP = Step(
    44,
    "the rooms each person starred",
    sqlite=(
        "CREATE TABLE starred_rooms (account_id INTEGER NOT NULL REFERENCES accounts (id),"
        " room TEXT NOT NULL REFERENCES rooms (room), starred_at INTEGER NOT NULL,"
        " PRIMARY KEY (account_id, room)) WITHOUT ROWID",
    ),
    postgres=(
        "CREATE TABLE starred_rooms (account_id BIGINT NOT NULL REFERENCES accounts (id),"
        ' room TEXT COLLATE "C" NOT NULL REFERENCES rooms (room), starred_at BIGINT NOT NULL,'
        " PRIMARY KEY (account_id, room))",
    ),
)
