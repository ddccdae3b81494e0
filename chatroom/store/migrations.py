"""Versioned schema steps, the same numbered steps for SQLite and PostgreSQL.

A database records the last step applied in ``meta`` (key ``schema_version``).
At start every missing step runs, in order, each in its own transaction; a
database with a higher version than this code knows refuses to start. A
database written before versions were recorded (it has the tables of step 1
and no version) is at version 0: step 1 creates nothing it already has.

Add a step at the end; never edit one that has been released.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from ..names import room_key
from .base import SchemaTooNewError


class Cursor(Protocol):
    """What a step's data fix needs from a connection: ``?`` placeholders in both dialects."""

    def fetchall(self, sql: str, params: Sequence[object] = ()) -> list[tuple[object, ...]]: ...

    def executemany(self, sql: str, rows: Sequence[Sequence[object]]) -> None: ...


@dataclass(frozen=True, slots=True)
class Step:
    """One schema change: its SQL per dialect, and an optional data fix after it."""

    version: int
    summary: str
    sqlite: tuple[str, ...]
    postgres: tuple[str, ...]
    fix: Callable[[Cursor], None] | None = None


def _fill_room_keys(cursor: Cursor) -> None:
    """Rooms stored before look-alike keys were kept get theirs."""
    rows = cursor.fetchall("SELECT room FROM rooms WHERE key IS NULL")
    cursor.executemany("UPDATE rooms SET key = ? WHERE room = ?", [(room_key(str(r[0])), r[0]) for r in rows])


STEPS: tuple[Step, ...] = (
    Step(
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
    ),
    Step(
        2,
        "bot messages; look-alike keys of rooms with history",
        sqlite=(
            "ALTER TABLE messages ADD COLUMN bot INTEGER NOT NULL DEFAULT 0",
            "ALTER TABLE rooms ADD COLUMN key TEXT",
            "CREATE INDEX rooms_by_key ON rooms (key)",
        ),
        postgres=(
            "ALTER TABLE messages ADD COLUMN bot BOOLEAN NOT NULL DEFAULT FALSE",
            "ALTER TABLE rooms ADD COLUMN key TEXT",
            "CREATE INDEX rooms_by_key ON rooms (key)",
        ),
        fix=_fill_room_keys,
    ),
    Step(
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
    ),
)

LATEST = STEPS[-1].version


def pending_steps(current: int, where: str) -> list[Step]:
    """The steps a database at version ``current`` still needs; refuses a newer one."""
    if current > LATEST:
        raise SchemaTooNewError(
            f"the database {where} has schema version {current}, newer than this chatroom's {LATEST}:"
            " run a newer chatroom, or restore a backup"
        )
    return [step for step in STEPS if step.version > current]
