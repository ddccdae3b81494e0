"""Schema step 1: rooms, messages, sent refs."""

from __future__ import annotations

from .step import Step

STEP = Step(
    1,
    "rooms, messages, sent refs",
    sqlite=(
        "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
        "CREATE TABLE IF NOT EXISTS rooms (room TEXT PRIMARY KEY, last_id INTEGER NOT NULL)",
        "CREATE TABLE IF NOT EXISTS messages (room TEXT NOT NULL, id INTEGER NOT NULL,"
        " nick TEXT NOT NULL, message TEXT NOT NULL, ts INTEGER NOT NULL,"
        " PRIMARY KEY (room, id)) WITHOUT ROWID",
        "CREATE TABLE IF NOT EXISTS sent (digest BLOB PRIMARY KEY, room TEXT NOT NULL,"
        " id INTEGER NOT NULL, ts INTEGER NOT NULL) WITHOUT ROWID",
        "CREATE INDEX IF NOT EXISTS sent_by_ts ON sent (ts)",
    ),
    postgres=(
        "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
        'CREATE TABLE IF NOT EXISTS rooms (room TEXT COLLATE "C" PRIMARY KEY, last_id BIGINT NOT NULL)',
        'CREATE TABLE IF NOT EXISTS messages (room TEXT COLLATE "C" NOT NULL, id BIGINT NOT NULL,'
        " nick TEXT NOT NULL, message TEXT NOT NULL, ts BIGINT NOT NULL, PRIMARY KEY (room, id))",
        "CREATE TABLE IF NOT EXISTS sent (digest BYTEA PRIMARY KEY, room TEXT NOT NULL,"
        " id BIGINT NOT NULL, ts BIGINT NOT NULL)",
        "CREATE INDEX IF NOT EXISTS sent_by_ts ON sent (ts)",
    ),
)
