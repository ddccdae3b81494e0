"""Schema step 4: bots' webhook addresses, and addresses barred from guest access until a time."""

from __future__ import annotations

from .step import Step

STEP = Step(
    4,
    "bots' webhook addresses; addresses barred from guest access",
    sqlite=(
        "CREATE TABLE bot_webhooks (account_id INTEGER PRIMARY KEY REFERENCES accounts (id),"
        " url TEXT NOT NULL)",
        "CREATE TABLE guest_bars (address TEXT PRIMARY KEY, until INTEGER NOT NULL) WITHOUT ROWID",
    ),
    postgres=(
        "CREATE TABLE bot_webhooks (account_id BIGINT PRIMARY KEY REFERENCES accounts (id),"
        " url TEXT NOT NULL)",
        "CREATE TABLE guest_bars (address TEXT PRIMARY KEY, until BIGINT NOT NULL)",
    ),
)
