"""The store writer's own PostgreSQL connection, kept open between batches.

A pooled connection is checked with a round trip each time it is handed out;
the writer, which runs one batch at a time, holds a connection of its own
instead and checks it without asking the server: an idle connection (no
transaction, no LISTEN) has nothing to read, so anything readable on its
socket is the server having ended the session (a restart, a terminated
backend) or a notice, and the connection is replaced before the batch. A
batch that fails for any reason drops the connection too (its state is not
known), so the next batch starts on a fresh one: after an outage the writer
follows the server back by itself.
"""

from __future__ import annotations

import select

import psycopg

from .pg_batch import Connection
from .pg_schema import Target


class WriterConnection:
    """One connection for one writer: opened when needed, replaced when it may be broken."""

    def __init__(self, target: Target) -> None:
        self._target = target
        self._conn: Connection | None = None

    async def get(self) -> Connection:
        """An open, idle connection: this one, or a new one when it is gone or has something to say."""
        conn = self._conn
        if conn is not None and (conn.broken or conn.closed or _readable(conn)):
            self._conn = None
            await conn.close()
            conn = None
        if conn is None:
            conn = await psycopg.AsyncConnection.connect(self._target.conninfo, autocommit=True)
            await self._target.configure(conn)
            self._conn = conn
        return conn

    def drop(self) -> Connection | None:
        """Stop using the connection (a batch on it failed): the batch closes it, the next gets a new one."""
        conn, self._conn = self._conn, None
        return conn

    async def close(self) -> None:
        """Close the connection, if open."""
        conn = self.drop()
        if conn is not None:
            await conn.close()


def _readable(conn: Connection) -> bool:
    """Whether the server sent anything to this idle connection (its end, most likely)."""
    try:
        return bool(select.select([conn.fileno()], [], [], 0)[0])
    except (OSError, ValueError, psycopg.Error):
        return True
