"""Schema step 7: each account's read position per room, and its notification level per room."""

from __future__ import annotations

from .step import Step

STEP = Step(
    7,
    "read positions and notification levels per account and room",
    sqlite=(
        "CREATE TABLE read_positions (account_id INTEGER NOT NULL REFERENCES accounts (id),"
        " room TEXT NOT NULL REFERENCES rooms (room), last_read_id INTEGER NOT NULL,"
        " PRIMARY KEY (account_id, room)) WITHOUT ROWID",
        "CREATE INDEX read_positions_by_room ON read_positions (room, account_id)",
        "CREATE TABLE notify_levels (account_id INTEGER NOT NULL REFERENCES accounts (id),"
        " room TEXT NOT NULL REFERENCES rooms (room),"
        " level TEXT NOT NULL CHECK (level IN ('all', 'mentions', 'muted')),"
        " PRIMARY KEY (account_id, room)) WITHOUT ROWID",
    ),
    postgres=(
        "CREATE TABLE read_positions (account_id BIGINT NOT NULL REFERENCES accounts (id),"
        ' room TEXT COLLATE "C" NOT NULL REFERENCES rooms (room), last_read_id BIGINT NOT NULL,'
        " PRIMARY KEY (account_id, room))",
        "CREATE INDEX read_positions_by_room ON read_positions (room, account_id)",
        "CREATE TABLE notify_levels (account_id BIGINT NOT NULL REFERENCES accounts (id),"
        ' room TEXT COLLATE "C" NOT NULL REFERENCES rooms (room),'
        " level TEXT NOT NULL CHECK (level IN ('all', 'mentions', 'muted')),"
        " PRIMARY KEY (account_id, room))",
    ),
)
