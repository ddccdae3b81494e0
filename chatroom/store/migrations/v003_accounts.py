"""Schema step 3: accounts, sessions, bot keys, links, memberships, secrets; kinds and settings of rooms."""

from __future__ import annotations

from .step import Step

STEP = Step(
    3,
    "accounts, sessions, bot keys, links, memberships, secrets; kinds and settings of rooms",
    sqlite=(
        "CREATE TABLE accounts (id INTEGER PRIMARY KEY, name TEXT NOT NULL,"
        " name_key TEXT NOT NULL UNIQUE, kind TEXT NOT NULL CHECK (kind IN ('person', 'bot')),"
        " is_admin INTEGER NOT NULL DEFAULT 0, external INTEGER NOT NULL DEFAULT 0,"
        " password_hash TEXT, color TEXT NOT NULL, created_at INTEGER NOT NULL, deactivated_at INTEGER)",
        "CREATE TABLE sessions (id_hash BLOB PRIMARY KEY,"
        " account_id INTEGER NOT NULL REFERENCES accounts (id), created_at INTEGER NOT NULL,"
        " last_seen_at INTEGER NOT NULL, revoked_at INTEGER) WITHOUT ROWID",
        "CREATE INDEX sessions_by_account ON sessions (account_id)",
        "CREATE TABLE bot_keys (key_hash BLOB PRIMARY KEY,"
        " account_id INTEGER NOT NULL REFERENCES accounts (id), created_at INTEGER NOT NULL,"
        " revoked_at INTEGER) WITHOUT ROWID",
        "CREATE INDEX bot_keys_by_account ON bot_keys (account_id)",
        "CREATE TABLE links (token_hash BLOB PRIMARY KEY,"
        " kind TEXT NOT NULL CHECK (kind IN ('setup', 'join', 'reset')),"
        " account_id INTEGER REFERENCES accounts (id), created_at INTEGER NOT NULL,"
        " expires_at INTEGER, used_at INTEGER, revoked_at INTEGER) WITHOUT ROWID",
        "ALTER TABLE rooms ADD COLUMN kind TEXT NOT NULL DEFAULT 'open'"
        " CHECK (kind IN ('open', 'closed', 'direct'))",
        "ALTER TABLE rooms ADD COLUMN title TEXT",
        "ALTER TABLE rooms ADD COLUMN creator_id INTEGER REFERENCES accounts (id)",
        "ALTER TABLE rooms ADD COLUMN archived_at INTEGER",
        "ALTER TABLE rooms ADD COLUMN created_at INTEGER",
        "CREATE TABLE memberships (room TEXT NOT NULL REFERENCES rooms (room),"
        " account_id INTEGER NOT NULL REFERENCES accounts (id),"
        " role TEXT NOT NULL CHECK (role IN ('member', 'owner')), added_at INTEGER NOT NULL,"
        " PRIMARY KEY (room, account_id)) WITHOUT ROWID",
        "CREATE INDEX memberships_by_account ON memberships (account_id, room)",
        "CREATE TABLE secrets (name TEXT PRIMARY KEY, value TEXT NOT NULL)",
    ),
    postgres=(
        "CREATE TABLE accounts (id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, name TEXT NOT NULL,"
        ' name_key TEXT COLLATE "C" NOT NULL UNIQUE,'
        " kind TEXT NOT NULL CHECK (kind IN ('person', 'bot')),"
        " is_admin BOOLEAN NOT NULL DEFAULT FALSE, external BOOLEAN NOT NULL DEFAULT FALSE,"
        " password_hash TEXT, color TEXT NOT NULL, created_at BIGINT NOT NULL, deactivated_at BIGINT)",
        "CREATE TABLE sessions (id_hash BYTEA PRIMARY KEY,"
        " account_id BIGINT NOT NULL REFERENCES accounts (id), created_at BIGINT NOT NULL,"
        " last_seen_at BIGINT NOT NULL, revoked_at BIGINT)",
        "CREATE INDEX sessions_by_account ON sessions (account_id)",
        "CREATE TABLE bot_keys (key_hash BYTEA PRIMARY KEY,"
        " account_id BIGINT NOT NULL REFERENCES accounts (id), created_at BIGINT NOT NULL,"
        " revoked_at BIGINT)",
        "CREATE INDEX bot_keys_by_account ON bot_keys (account_id)",
        "CREATE TABLE links (token_hash BYTEA PRIMARY KEY,"
        " kind TEXT NOT NULL CHECK (kind IN ('setup', 'join', 'reset')),"
        " account_id BIGINT REFERENCES accounts (id), created_at BIGINT NOT NULL,"
        " expires_at BIGINT, used_at BIGINT, revoked_at BIGINT)",
        "ALTER TABLE rooms ADD COLUMN kind TEXT NOT NULL DEFAULT 'open'"
        " CHECK (kind IN ('open', 'closed', 'direct'))",
        "ALTER TABLE rooms ADD COLUMN title TEXT",
        "ALTER TABLE rooms ADD COLUMN creator_id BIGINT REFERENCES accounts (id)",
        "ALTER TABLE rooms ADD COLUMN archived_at BIGINT",
        "ALTER TABLE rooms ADD COLUMN created_at BIGINT",
        'CREATE TABLE memberships (room TEXT COLLATE "C" NOT NULL REFERENCES rooms (room),'
        " account_id BIGINT NOT NULL REFERENCES accounts (id),"
        " role TEXT NOT NULL CHECK (role IN ('member', 'owner')), added_at BIGINT NOT NULL,"
        " PRIMARY KEY (room, account_id))",
        "CREATE INDEX memberships_by_account ON memberships (account_id, room)",
        "CREATE TABLE secrets (name TEXT PRIMARY KEY, value TEXT NOT NULL)",
    ),
)
