"""Schema step 35: the threads each person follows, and how far they have read each.

One row per account, room and root: whether the person follows the thread
now (``following``: unfollowing keeps the row, so that a thread they left
is not followed again by its root's author rule, store/thread_follows_base.py)
and the id of the newest reply they have read in it (``read_id``). The
second index serves who follows one thread (pushes); the primary key a
person's list. Nobody followed a thread before this step: those who
started, replied in or were mentioned in one follow it from their next
reply in it on.
"""

from __future__ import annotations

from .step import Step

STEP = Step(
    35,
    "the threads each person follows",
    sqlite=(
        "CREATE TABLE thread_follows (account_id INTEGER NOT NULL REFERENCES accounts (id),"
        " room TEXT NOT NULL REFERENCES rooms (room), root_id INTEGER NOT NULL,"
        " following INTEGER NOT NULL, read_id INTEGER NOT NULL DEFAULT 0,"
        " PRIMARY KEY (account_id, room, root_id)) WITHOUT ROWID",
        "CREATE INDEX thread_followers ON thread_follows (room, root_id)",
    ),
    postgres=(
        "CREATE TABLE thread_follows (account_id BIGINT NOT NULL REFERENCES accounts (id),"
        ' room TEXT COLLATE "C" NOT NULL REFERENCES rooms (room), root_id BIGINT NOT NULL,'
        " following BOOLEAN NOT NULL, read_id BIGINT NOT NULL DEFAULT 0,"
        " PRIMARY KEY (account_id, room, root_id))",
        "CREATE INDEX thread_followers ON thread_follows (room, root_id)",
    ),
)
