"""Schema step 28: accounts barred from a room by its owner or an administrator.

A bar keeps one account out of one open or closed room, until it is lifted:
a row of ``room_bars`` (who barred it, when). The account's own rooms are
looked up by ``room_bars_by_account``, a room's bars by the primary key. No
account was barred before this step.
"""

from __future__ import annotations

from .step import Step

STEP = Step(
    28,
    "accounts barred from a room",
    sqlite=(
        "CREATE TABLE room_bars (room TEXT NOT NULL REFERENCES rooms (room),"
        " account_id INTEGER NOT NULL REFERENCES accounts (id), by_id INTEGER, barred_at INTEGER NOT NULL,"
        " PRIMARY KEY (room, account_id)) WITHOUT ROWID",
        "CREATE INDEX room_bars_by_account ON room_bars (account_id, room)",
    ),
    postgres=(
        'CREATE TABLE room_bars (room TEXT COLLATE "C" NOT NULL REFERENCES rooms (room),'
        " account_id BIGINT NOT NULL REFERENCES accounts (id), by_id BIGINT, barred_at BIGINT NOT NULL,"
        " PRIMARY KEY (room, account_id))",
        "CREATE INDEX room_bars_by_account ON room_bars (account_id, room)",
    ),
)
