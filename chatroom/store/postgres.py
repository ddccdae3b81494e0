"""PostgresStore: the store that every process and node of a deployment shares.

One writer task per process drains the queue of pending appends into one
transaction per batch (group commit: one WAL flush for a burst), waiting a
few milliseconds for a fuller batch under load; the writer, its queue and
its own connection are chatroom/store/pg_writer.py, how a batch takes its ids,
locks and resends in one round trip chatroom/store/pg_batch.py. The
schema is brought up to date at start (chatroom/store/pg_schema.py).

Reads, accounts and the write probe take connections from a pool that checks
each one before handing it out (without a round trip: pg_pool.py); the
reads of messages and rooms are pg_history.py's.
The pool and the writer both replace the connections a server restart broke,
without restarting chatroom. Every wait
is bounded by ``timeout`` (chatroom/store/pg_deadline.py): while the server is away or stops answering,
appends fail with StoreError (the chat says ``unavailable``) instead of
hanging, and ``healthy`` says so.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import LiteralString, TypeVar

import psycopg
from psycopg.rows import TupleRow
from psycopg_pool import AsyncConnectionPool

from ..backend import StoredMessage, dedupe_digest, dedupe_sender
from ..clock import now_ms
from ..events import StoredChange
from ..forwarded import Forwarded
from . import pg_schema, pg_search
from .base import Appended, StoreError, StoreStartupError, refuse_unqueueable
from .change_rules import Changed, ChangeRequest
from .health import WriteHealth
from .pg_accounts import PostgresAccounts
from .pg_batch import Connection, Pending, import_batch, set_epoch, storable
from .pg_changes import PendingChange
from .pg_deadline import Deadline
from .pg_files import PostgresFiles
from .pg_history import PostgresHistory
from .pg_pending import PendingLists
from .pg_pool import open_pool
from .pg_writer import PostgresWriter
from .records import ScheduledClaim
from .search_base import SearchQuery

log = logging.getLogger("chatroom.store")

T = TypeVar("T")

MAX_BATCH = 2000
PROBE_INTERVAL = 5.0
POOL_SIZE = 4
# Seconds: the longest an append, a read or a probe waits for the server.
TIMEOUT = 5.0

_PROBE = (
    "INSERT INTO meta (key, value) VALUES ('probe', %s)"
    " ON CONFLICT (key) DO UPDATE SET value = excluded.value RETURNING key"
)


class PostgresStore(PostgresHistory):
    """History in a PostgreSQL database that many processes and nodes share."""

    def __init__(
        self,
        url: str,
        *,
        max_batch: int = MAX_BATCH,
        probe_interval: float = PROBE_INTERVAL,
        pool_size: int = POOL_SIZE,
        timeout: float = TIMEOUT,
        files_dir: str | None = None,
    ) -> None:
        if max_batch < 1:
            raise ValueError("max_batch must be at least 1")
        if pool_size < 1:
            raise ValueError("pool_size must be at least 1")
        if timeout <= 0:
            raise ValueError("timeout must be positive")
        self.target = pg_schema.Target(url, timeout)
        self.max_batch = max_batch
        self.pool_size = pool_size
        self.timeout = timeout
        self._pool: AsyncConnectionPool[Connection] | None = None
        self._deadline = Deadline(self.target, timeout)
        self._closing = False
        self._loop: asyncio.AbstractEventLoop | None = None
        self._epoch = ""
        self.health = WriteHealth(self.target.where, probe_interval, self._probe_write)
        self.accounts = PostgresAccounts(self._run)
        self.files = PostgresFiles(self._run, files_dir)
        self._writer = PostgresWriter(
            self.target, max_batch, self._deadline, self.health, self.files.unlink_later
        )
        self._pending_lists = PendingLists(self._run, lambda: self._writer.committed)

    # --- lifecycle -------------------------------------------------------

    async def start(self) -> None:
        """Bring the schema up to date, open the pool, start the writer."""
        self._loop = asyncio.get_running_loop()
        # The migration's fix hooks are synchronous: one plain connection, off the loop.
        self._epoch = await asyncio.to_thread(pg_schema.migrate, self.target)
        await self.files.open()
        self._pool = await open_pool(self.target, self.pool_size, self.timeout)
        try:
            await self._writer.start()
        except StoreStartupError:
            await self.close()
            raise
        await self.health.start()
        self._pending_lists.start()

    async def close(self) -> None:
        """Commit every queued message, then stop the writer and close the pool."""
        # From here on append() refuses: nothing may queue behind the stop.
        self._closing = True
        await self._pending_lists.stop()
        await self.health.stop()
        await self._writer.stop()
        await self._deadline.settle()
        if self._pool is not None:
            await self._pool.close()
            self._pool = None
        await self.files.close()

    # --- writing ---------------------------------------------------------

    def append(
        self,
        room: str,
        nick: str,
        text: str,
        *,
        ref: str | None = None,
        bot: bool = False,
        guest: bool = False,
        account_id: int | None = None,
        reply_to: int | None = None,
        file_id: str | None = None,
        thread: int | None = None,
        broadcast: bool = False,
        scheduled: ScheduledClaim | None = None,
        forward: Forwarded | None = None,
    ) -> asyncio.Future[Appended]:
        """Queue a message for the next group commit; a resent ref resolves to the first."""
        assert self._loop is not None, "start() the store first"
        future: asyncio.Future[Appended] = self._loop.create_future()
        closed, fits = not self._writer.running or self._closing, storable(room, nick, text)
        if not refuse_unqueueable(future, closed=closed, storable=fits, what="the message"):
            digest = None if ref is None else dedupe_digest(room, dedupe_sender(nick, bot), ref, text)
            self._writer.put(
                Pending(
                    room,
                    nick,
                    text,
                    now_ms(),
                    bot,
                    future,
                    digest,
                    guest,
                    account_id,
                    reply_to,
                    file_id,
                    thread,
                    broadcast,
                    scheduled,
                    forward,
                )
            )
        return future

    def change(self, room: str, request: ChangeRequest) -> asyncio.Future[Changed]:
        """Queue a change to a message for the next group commit; resolves once committed."""
        assert self._loop is not None, "start() the store first"
        future: asyncio.Future[Changed] = self._loop.create_future()
        closed, fits = (
            not self._writer.running or self._closing,
            storable(request.nick, request.text, request.emoji),
        )
        if not refuse_unqueueable(future, closed=closed, storable=fits, what="the change"):
            self._writer.put(PendingChange(room, request, now_ms(), future))
        return future

    async def _run(self, work: Callable[[Connection], Awaitable[T]], failing: str, *, scale: int = 1) -> T:
        """The outcome of ``work`` on a pooled connection in ``scale`` timeouts; StoreError when it fails."""
        if self._pool is None or self._closing:
            raise StoreError("the store is closed")
        try:
            return await self._deadline.run(self._on_connection(self._pool, work), scale)
        except (psycopg.Error, TimeoutError) as error:
            raise StoreError(f"{failing}: {self._deadline.reason(error)}") from None

    @staticmethod
    async def _on_connection(
        pool: AsyncConnectionPool[Connection], work: Callable[[Connection], Awaitable[T]]
    ) -> T:
        async with pool.connection() as conn:
            return await work(conn)

    # --- reading ---------------------------------------------------------

    async def _fetch(self, sql: LiteralString, params: Sequence[object] = ()) -> list[TupleRow]:
        if self._pool is None or self._closing:
            raise StoreError("the store is closed")
        try:
            return await self._deadline.run(self._query(self._pool, sql, params))
        except (psycopg.Error, TimeoutError) as error:
            raise StoreError(f"cannot read the store: {self._deadline.reason(error)}") from None

    @staticmethod
    async def _query(
        pool: AsyncConnectionPool[Connection], sql: LiteralString, params: Sequence[object]
    ) -> list[TupleRow]:
        async with pool.connection() as conn:
            return await (await conn.execute(sql, params)).fetchall()

    async def search(self, query: SearchQuery) -> list[StoredMessage]:
        """Messages matching the query, newest first (search_base.py)."""
        return await self._run(lambda conn: pg_search.search(conn, query), "cannot search the store")

    async def epoch(self) -> str:
        """One epoch for the whole database: a new database starts every room over."""
        return self._epoch

    async def healthy(self) -> bool:
        """The server answers, and neither the last write nor the last write probe failed."""
        if not self._writer.running or self._closing or not self.health.writable:
            return False
        try:
            await self._fetch("SELECT 1")
        except StoreError:
            return False
        return True

    # --- export and import -----------------------------------------------

    async def import_messages(self, messages: Iterable[StoredMessage | StoredChange]) -> int:
        """Store messages with their own ids and times, in one transaction (COPY)."""
        batch = list(messages)
        if self._pool is None or self._closing:
            raise StoreError("the store is closed")
        if not all(storable(m.room, m.nick, m.text) for m in batch):
            raise StoreError("cannot import: a message has characters that cannot be stored")
        try:
            async with self._pool.connection() as conn, conn.transaction():
                await import_batch(conn, batch)
        except psycopg.Error as error:
            raise StoreError(f"cannot import: {self.target.say(error)}") from None
        return len(batch)

    async def adopt_epoch(self, epoch: str) -> None:
        """Make ``epoch`` the database's own; refuses once it holds any message (pg_batch.set_epoch)."""
        if self._pool is None or self._closing:
            raise StoreError("the store is closed")
        try:
            async with self._pool.connection() as conn, conn.transaction():
                await set_epoch(conn, epoch)
        except psycopg.Error as error:
            raise StoreError(f"cannot keep the epoch: {self.target.say(error)}") from None
        self._epoch = epoch

    # --- the write probe ---------------------------------------------------

    async def _probe_write(self) -> str | None:
        """A small write in a transaction of its own: None, or why it failed.

        PostgreSQL has no per-database disk check to ask; a write that fails
        (a full disk, a read-only standby, a server that is away) is what matters.
        """
        if self._pool is None or self._closing:
            return None
        try:
            await self._deadline.run(self._query(self._pool, _PROBE, (str(now_ms()),)))
        except (psycopg.Error, TimeoutError) as error:
            return self._deadline.reason(error)
        return None
