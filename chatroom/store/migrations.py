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
