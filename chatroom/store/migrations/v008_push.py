"""Schema step 8: Web Push subscriptions (one per device) and each person's switch for them."""

from __future__ import annotations

from .step import Step

STEP = Step(
    8,
    "Web Push subscriptions; each person's switch for them",
    sqlite=(
        "CREATE TABLE push_subscriptions (endpoint TEXT PRIMARY KEY,"
        " account_id INTEGER NOT NULL REFERENCES accounts (id), p256dh TEXT NOT NULL,"
        " auth TEXT NOT NULL, created_at INTEGER NOT NULL) WITHOUT ROWID",
        "CREATE INDEX push_subscriptions_of ON push_subscriptions (account_id)",
        "CREATE TABLE push_settings (account_id INTEGER PRIMARY KEY REFERENCES accounts (id),"
        " enabled INTEGER NOT NULL)",
    ),
    postgres=(
        "CREATE TABLE push_subscriptions (endpoint TEXT PRIMARY KEY,"
        " account_id BIGINT NOT NULL REFERENCES accounts (id), p256dh TEXT NOT NULL,"
        " auth TEXT NOT NULL, created_at BIGINT NOT NULL)",
        "CREATE INDEX push_subscriptions_of ON push_subscriptions (account_id)",
        "CREATE TABLE push_settings (account_id BIGINT PRIMARY KEY REFERENCES accounts (id),"
        " enabled BOOLEAN NOT NULL)",
    ),
)
