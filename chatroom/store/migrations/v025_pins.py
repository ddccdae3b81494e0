"""Schema step 25: messages pinned to their room.

A pin is a change to a message (a row of ``changes`` of kind ``pin``, with
its id of the room's sequence); the pins as they stand are rows of ``pins``,
one per pinned message, keeping who pinned it, when, and the id of the change
that did (the room's pins are listed newest pin first). No message was pinned
before this step.
"""

from __future__ import annotations

from .step import Step

STEP = Step(
    25,
    "messages pinned to their room",
    sqlite=(
        "CREATE TABLE pins (room TEXT NOT NULL, target INTEGER NOT NULL, account_id INTEGER,"
        " nick TEXT NOT NULL, ts INTEGER NOT NULL, id INTEGER NOT NULL,"
        " PRIMARY KEY (room, target)) WITHOUT ROWID",
    ),
    postgres=(
        'CREATE TABLE pins (room TEXT COLLATE "C" NOT NULL, target BIGINT NOT NULL, account_id BIGINT,'
        " nick TEXT NOT NULL, ts BIGINT NOT NULL, id BIGINT NOT NULL, PRIMARY KEY (room, target))",
    ),
)
