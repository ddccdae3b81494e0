"""Schema step 5: server settings an administrator changes at runtime; guests' messages marked."""

from __future__ import annotations

from .step import Step

STEP = Step(
    5,
    "server settings; guests' messages marked",
    sqlite=(
        "CREATE TABLE server_settings (name TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID",
        "ALTER TABLE messages ADD COLUMN guest INTEGER NOT NULL DEFAULT 0",
    ),
    postgres=(
        "CREATE TABLE server_settings (name TEXT PRIMARY KEY, value TEXT NOT NULL)",
        "ALTER TABLE messages ADD COLUMN guest BOOLEAN NOT NULL DEFAULT FALSE",
    ),
)
