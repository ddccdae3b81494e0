"""Schema step 27: the people each person blocked.

One row per blocker and blocked account, with when. Nobody was blocked
before this step. Looked up both ways: whom a person blocked (their list,
their unread counts) and who blocked a person (a conversation they start, a
message they send, a push they cause).
"""

from __future__ import annotations

from .step import Step

STEP = Step(
    27,
    "the people each person blocked",
    sqlite=(
        "CREATE TABLE blocks (account_id INTEGER NOT NULL REFERENCES accounts (id),"
        " blocked_id INTEGER NOT NULL REFERENCES accounts (id), created_at INTEGER NOT NULL,"
        " PRIMARY KEY (account_id, blocked_id)) WITHOUT ROWID",
        "CREATE INDEX blocks_by_blocked ON blocks (blocked_id, account_id)",
    ),
    postgres=(
        "CREATE TABLE blocks (account_id BIGINT NOT NULL REFERENCES accounts (id),"
        " blocked_id BIGINT NOT NULL REFERENCES accounts (id), created_at BIGINT NOT NULL,"
        " PRIMARY KEY (account_id, blocked_id))",
        "CREATE INDEX blocks_by_blocked ON blocks (blocked_id, account_id)",
    ),
)
