"""The store's pool of PostgreSQL connections, and how an idle connection is checked.

Reads, accounts and the write probe take connections from the pool; the
writer holds one of its own (pg_writer.py). Both check a connection before
they use it without asking the server: an idle connection (no transaction,
no LISTEN) has nothing to read, so anything readable on its socket is the
server having ended the session (a restart, a terminated backend) or a
notice, and the connection is replaced. A round trip each time was a tenth
of a millisecond or more of every read.

A restart ends every idle connection at once. The pool hands them out one by
one, and after the second that fails its check it waits before the next, 1 s,
then 2, then 4: with three or more idle, the first read after a restart took
seconds, or failed. So the first ended connection found sweeps all the idle
ones, with the same check, and the read waits only for a new connection.
"""

from __future__ import annotations

import select

import psycopg
from psycopg_pool import AsyncConnectionPool

from .base import StoreStartupError
from .pg_batch import Connection
from .pg_schema import Target


class StorePool(AsyncConnectionPool[Connection]):
    """A pool whose sweep (``check``) looks at its idle connections without a round trip."""

    @staticmethod
    async def check_connection(conn: Connection) -> None:
        """Closes an idle connection the server ended; the error tells the pool to replace it."""
        if not usable(conn):
            await conn.close()
            raise psycopg.OperationalError("the server ended the connection")


async def open_pool(target: Target, size: int, timeout: float) -> AsyncConnectionPool[Connection]:
    """An open pool of at most ``size`` connections; StoreStartupError when the server cannot be reached."""

    async def check_idle(conn: Connection) -> None:
        """The pool's check of an idle connection before it hands it out: one the server ended is
        closed and, as the others idle beside it most likely ended too, all are swept."""
        try:
            await StorePool.check_connection(conn)
        except psycopg.OperationalError:
            await pool.check()
            raise

    pool = StorePool(
        target.conninfo,
        min_size=1,
        max_size=size,
        open=False,
        name="chatroom-store",
        timeout=timeout,
        check=check_idle,
        configure=target.configure,
        kwargs={"autocommit": True},
        # A short give-up makes the pool try afresh, without backing off
        # further, as soon as it is asked again: it follows the server back.
        reconnect_timeout=max(timeout, 5.0),
    )
    try:
        await pool.open(wait=True, timeout=timeout)
    except psycopg.Error as error:
        await pool.close()
        where, reason = target.where, target.say(error)
        raise StoreStartupError(f"cannot connect to the PostgreSQL database {where}: {reason}") from None
    return pool


def usable(conn: Connection) -> bool:
    """Whether an idle connection is open and has nothing from the server waiting on it."""
    return not (conn.broken or conn.closed or _readable(conn))


def _readable(conn: Connection) -> bool:
    """Whether the server sent anything to this idle connection (its end, most likely)."""
    try:
        return bool(select.select([conn.fileno()], [], [], 0)[0])
    except (OSError, ValueError, psycopg.Error):
        return True
