"""A PostgreSQL store's URL, and bringing its database's schema up to date.

Errors name the server and database (``Target.where``), never the URL: the
password it may hold is scrubbed from every message. The schema steps of
chatroom/store/migrations/ run at start on one plain, synchronous
connection (their data fixes are synchronous), each in a transaction of its
own under an advisory lock, so that nodes starting together apply each step
once and in order.
"""

from __future__ import annotations

import contextlib
import logging
import math
import re
import secrets
from collections.abc import Sequence
from typing import Any
from urllib.parse import unquote

import psycopg
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from . import migrations
from .base import StoreStartupError

log = logging.getLogger("chatroom.store")

# Any fixed number: the advisory lock under which one node at a time migrates.
MIGRATION_LOCK = int.from_bytes(b"chatroom", "big")
_URL_FORM = "postgresql://user:password@host:port/database"
_USERINFO = re.compile(r"://([^/?#]*)@")
_PASSWORD_KEYWORD = re.compile(r"password\s*=\s*('(?:[^'\\]|\\.)*'|\S+)", re.IGNORECASE)


class Target:
    """A PostgreSQL URL: how to connect, how to name the database, how to speak of errors."""

    def __init__(self, url: str, timeout: float) -> None:
        self._hidden = _passwords(url)
        # Why the URL cannot be used; None when it can.
        self.problem: str | None = None
        try:
            params = conninfo_to_dict(url)
        except psycopg.ProgrammingError as error:
            params = {}
            # libpq quotes the part it did not understand: it may be the password.
            reason = self.say(error) if self._hidden or "password" not in url.lower() else ""
            self.problem = f"the PostgreSQL URL is not valid ({reason or 'expected ' + _URL_FORM})"
        host = str(params.get("host") or params.get("hostaddr") or "localhost")
        port = f":{params['port']}" if params.get("port") else ""
        self.where = f"{host}{port}/{params.get('dbname') or params.get('user') or ''}"
        defaults: dict[str, Any] = {
            "connect_timeout": max(2, math.ceil(timeout)),
            "application_name": "chatroom",
        }
        self.conninfo = (
            ""
            if self.problem
            else make_conninfo(url, **{k: v for k, v in defaults.items() if k not in params})
        )
        # A node that stalls in the middle of a batch holds its rooms' rows:
        # the server ends such a session rather than let every node wait.
        self._idle_in_transaction_ms = str(math.ceil(2000 * timeout))

    def say(self, error: BaseException) -> str:
        """The error on one line, without the password."""
        text = " ".join(str(error).split())
        for hidden in self._hidden:
            text = text.replace(hidden, "***")
        return text or type(error).__name__

    async def configure(self, conn: psycopg.AsyncConnection[Any]) -> None:
        """Set up a new pooled connection."""
        await conn.execute(
            "SELECT set_config('idle_in_transaction_session_timeout', %s, false)",
            (self._idle_in_transaction_ms,),
        )


def _passwords(url: str) -> list[str]:
    """Every form of the password the URL holds, longest first, even when libpq cannot parse it."""
    found: set[str] = set()
    with contextlib.suppress(psycopg.ProgrammingError):
        found.add(str(conninfo_to_dict(url).get("password") or ""))
    if userinfo := _USERINFO.search(url):
        found.add(userinfo.group(1).partition(":")[2])
    found.update(match.group(1).strip("'") for match in _PASSWORD_KEYWORD.finditer(url))
    found.update({unquote(password) for password in found})
    return sorted((p for p in found if p), key=len, reverse=True)


class _PostgresCursor:
    """migrations.Cursor over a psycopg connection: ``?`` placeholders become ``%s``."""

    def __init__(self, conn: psycopg.Connection[Any]) -> None:
        self.conn = conn

    def fetchall(self, sql: str, params: Sequence[object] = ()) -> list[tuple[object, ...]]:
        return self.conn.execute(_placeholders(sql), params).fetchall()

    def executemany(self, sql: str, rows: Sequence[Sequence[object]]) -> None:
        with self.conn.cursor() as cursor:
            cursor.executemany(_placeholders(sql), rows)


def _placeholders(sql: str) -> str:
    # Always given parameters (maybe none), so a literal % must be doubled.
    return sql.replace("%", "%%").replace("?", "%s")


def migrate(target: Target) -> str:
    """Apply the missing schema steps, each in its own transaction; the database's epoch.

    Raises StoreStartupError (SchemaTooNewError for a newer schema).
    """
    if target.problem:
        raise StoreStartupError(target.problem)
    try:
        conn = psycopg.connect(target.conninfo, autocommit=True)
    except psycopg.Error as error:
        raise StoreStartupError(
            f"cannot connect to the PostgreSQL database {target.where}: {target.say(error)}"
        ) from None
    try:
        with conn:
            _require_utf8(conn, target)
            while _apply_next_step(conn, target):
                pass
            return _epoch(conn)
    except psycopg.Error as error:
        raise StoreStartupError(
            f"cannot use the PostgreSQL database {target.where}: {target.say(error)}"
        ) from None


def _require_utf8(conn: psycopg.Connection[Any], target: Target) -> None:
    row = conn.execute("SHOW server_encoding").fetchone()
    encoding = str(row[0]) if row else "unknown"
    if encoding != "UTF8":
        raise StoreStartupError(
            f"the PostgreSQL database {target.where} has encoding {encoding}: chatroom needs UTF8"
            " (CREATE DATABASE ... ENCODING 'UTF8' TEMPLATE template0)"
        )


def _apply_next_step(conn: psycopg.Connection[Any], target: Target) -> bool:
    """Apply the first missing step, if any: whether one was applied."""
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK,))
        conn.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
        row = conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
        pending = migrations.pending_steps(int(row[0]) if row else 0, target.where)
        if not pending:
            return False
        step = pending[0]
        for sql in step.postgres:
            conn.execute(sql)
        if step.fix is not None:
            step.fix(_PostgresCursor(conn))
        conn.execute(
            "INSERT INTO meta (key, value) VALUES ('schema_version', %s)"
            " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (str(step.version),),
        )
    if step.postgres or step.fix is not None:
        log.info("PostgreSQL schema step %d applied: %s", step.version, step.summary)
    else:  # a step for SQLite alone: saying it was applied here would mislead whoever reads the log
        log.info("PostgreSQL schema step %d: nothing to change on PostgreSQL", step.version)
    return True


def _epoch(conn: psycopg.Connection[Any]) -> str:
    """The database's epoch, made with the schema and never changed."""
    with conn.transaction():
        conn.execute(
            "INSERT INTO meta (key, value) VALUES ('epoch', %s) ON CONFLICT (key) DO NOTHING",
            (secrets.token_hex(8),),
        )
        # A database of another program may have tables of the same names:
        # better refuse it now than fail on the first message.
        conn.execute("SELECT room, id, nick, message, ts, bot FROM messages LIMIT 0")
        conn.execute("SELECT room, last_id, key FROM rooms LIMIT 0")
        row = conn.execute("SELECT value FROM meta WHERE key = 'epoch'").fetchone()
    assert row is not None
    return str(row[0])
