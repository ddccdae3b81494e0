"""Schema step 30: the messages each person saved to come back to.

One row per account, room and message id, with when it was saved. A
person's saving times are kept distinct (a save in the same millisecond as
the last takes the next one), so that ``saved_by_time`` pages the list,
newest saved first, with the time alone as its cursor. Nothing was saved
before this step.
"""

from __future__ import annotations

from .step import Step

STEP = Step(
    30,
    "the messages each person saved",
    sqlite=(
        "CREATE TABLE saved_messages (account_id INTEGER NOT NULL REFERENCES accounts (id),"
        " room TEXT NOT NULL REFERENCES rooms (room), message_id INTEGER NOT NULL,"
        " saved_at INTEGER NOT NULL, PRIMARY KEY (account_id, room, message_id)) WITHOUT ROWID",
        "CREATE UNIQUE INDEX saved_by_time ON saved_messages (account_id, saved_at)",
    ),
    postgres=(
        "CREATE TABLE saved_messages (account_id BIGINT NOT NULL REFERENCES accounts (id),"
        ' room TEXT COLLATE "C" NOT NULL REFERENCES rooms (room), message_id BIGINT NOT NULL,'
        " saved_at BIGINT NOT NULL, PRIMARY KEY (account_id, room, message_id))",
        "CREATE UNIQUE INDEX saved_by_time ON saved_messages (account_id, saved_at)",
    ),
)
