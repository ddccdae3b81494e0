"""The store writer's queue of appends, and its own PostgreSQL connection.

Each batch is one commit and one delivery round to every member of its
rooms, so the work per message falls as batches grow. Under load the queue
waits a few milliseconds for a fuller batch: two processes storing into one
room take turns on its row lock, and each would otherwise commit what queued
while the other held it, half the batch one process alone gathers (measured
in docs/benchmarks/deployments.md). A message that comes alone (the last batch was
small) is stored at once.

The writer (PostgresWriter), which runs one batch at a time, holds a connection of its own
and checks it before each batch as the pool checks its own (pg_pool.usable,
without asking the server), replacing it when the server ended the session.
A batch that fails for any reason drops the connection too (its state is
not known), so the next batch starts on a fresh one: after an outage the
writer follows the server back by itself.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable

import psycopg

from ..backend import DEDUPE_WINDOW_MS
from ..clock import now_ms
from .base import Outcome, StoreStartupError, answer_writes, deleted_files, fail_writes
from .health import WriteHealth
from .pg_batch import Connection, Pending, prepare_writer, store_batch
from .pg_changes import PendingChange
from .pg_deadline import Deadline
from .pg_pool import usable
from .pg_schema import Target

# Under load (the last batch held GATHER_FROM messages or more) the writer
# waits up to GATHER_WAIT seconds for GATHER_TARGET messages before it stores.
GATHER_FROM = 4
GATHER_TARGET = 24
GATHER_WAIT = 0.004
# Expired ``sent`` rows are deleted at most this often, in a batch.
SENT_CLEANUP_MS = 60_000


class BatchQueue:
    """The appends waiting for the writer, handed out in batches; None in the queue stops it."""

    def __init__(self, max_batch: int, gather_wait: float = GATHER_WAIT) -> None:
        self.max_batch = max_batch
        self.gather_wait = gather_wait
        self._queue: asyncio.Queue[Pending | PendingChange | None] = asyncio.Queue()
        self._last_batch = 0
        # What the writer awaits while it gathers: set once enough queued.
        self._gathered: asyncio.Future[None] | None = None

    def put(self, pending: Pending | PendingChange | None) -> None:
        """Queue an append, or None: the writer stops after what queued before it."""
        self._queue.put_nowait(pending)
        gathered = self._gathered
        if gathered is not None and not gathered.done() and (pending is None or self._enough()):
            gathered.set_result(None)

    def _enough(self) -> bool:
        # The writer holds the first message of its batch while it gathers.
        return self._queue.qsize() + 1 >= min(GATHER_TARGET, self.max_batch)

    async def next_batch(self) -> tuple[list[Pending | PendingChange], bool]:
        """The next batch (maybe empty), and whether the writer is to stop after it."""
        first = await self._queue.get()
        if first is not None and self._last_batch >= GATHER_FROM and not self._enough():
            await self._gather()
        batch, stop = self._collect(first)
        self._last_batch = len(batch)
        return batch, stop

    async def _gather(self) -> None:
        self._gathered = gathered = asyncio.get_running_loop().create_future()
        try:
            async with asyncio.timeout(self.gather_wait):
                await gathered
        except TimeoutError:
            pass
        finally:
            self._gathered = None

    def _collect(self, first: Pending | PendingChange | None) -> tuple[list[Pending | PendingChange], bool]:
        batch: list[Pending | PendingChange] = []
        job = first
        while job is not None:
            batch.append(job)
            if len(batch) >= self.max_batch or self._queue.empty():
                return batch, False
            job = self._queue.get_nowait()
        return batch, True


class WriterConnection:
    """One connection for one writer: opened when needed, replaced when it may be broken."""

    def __init__(self, target: Target) -> None:
        self._target = target
        self._conn: Connection | None = None

    async def get(self) -> Connection:
        """An open, idle connection: this one, or a new one when it is gone or has something to say."""
        conn = self._conn
        if conn is not None and not usable(conn):
            self._conn = None
            await conn.close()
            conn = None
        if conn is None:
            conn = await psycopg.AsyncConnection.connect(self._target.conninfo, autocommit=True)
            try:
                await self._target.configure(conn)
                await prepare_writer(conn)
            except BaseException:
                await conn.close()
                raise
            self._conn = conn
        return conn

    async def prepare(self) -> None:
        """Open the connection now; StoreStartupError when it cannot be (a role that may not make the
        store function, say): at start, not at the first message."""
        try:
            await self.get()
        except psycopg.Error as error:
            where, reason = self._target.where, self._target.say(error)
            raise StoreStartupError(
                f"cannot prepare the writer on the PostgreSQL database {where}: {reason}"
            ) from None

    def drop(self) -> Connection | None:
        """Stop using the connection (a batch on it failed): the batch closes it, the next gets a new one."""
        conn, self._conn = self._conn, None
        return conn

    async def close(self) -> None:
        """Close the connection, if open."""
        conn = self.drop()
        if conn is not None:
            await conn.close()


class PostgresWriter:
    """The writer task: takes the queue's batches, one transaction each, on a connection of its own.

    A batch that fails fails each of its messages' futures with StoreError and is recorded in
    ``health``; once one commits, the files of the messages it deleted go (``unlink_later``),
    then each future is answered.
    """

    def __init__(
        self,
        target: Target,
        max_batch: int,
        deadline: Deadline,
        health: WriteHealth,
        unlink_later: Callable[[Iterable[str]], None],
    ) -> None:
        self._queue = BatchQueue(max_batch)
        self._connection = WriterConnection(target)
        self._deadline = deadline
        self._health = health
        self._unlink_later = unlink_later
        self._task: asyncio.Task[None] | None = None
        self._sent_cleaned_at = 0
        # Messages and changes committed so far (pg_pending.py merges the index's pending lists as it grows).
        self.committed = 0

    @property
    def running(self) -> bool:
        """Whether the writer takes messages: started, and not stopped."""
        return self._task is not None

    async def start(self) -> None:
        """Open the writer's connection (StoreStartupError when it cannot be), then start the task."""
        await self._connection.prepare()
        self._task = asyncio.create_task(self._write_loop(), name="chatroom-store-writer")

    def put(self, pending: Pending | PendingChange) -> None:
        """Queue an append or a change for the next batch."""
        self._queue.put(pending)

    async def stop(self) -> None:
        """Store everything queued, then stop the task and close the connection."""
        if self._task is None:
            return
        self._queue.put(None)
        await self._task
        self._task = None
        await self._connection.close()

    async def _write_loop(self) -> None:
        while True:
            batch, stop = await self._queue.next_batch()
            if batch:
                await self._run_batch(batch)
            if stop:
                return

    async def _run_batch(self, batch: list[Pending | PendingChange]) -> None:
        try:
            results = await self._deadline.run(self._store(batch))
        except (psycopg.Error, TimeoutError) as error:
            # Its connection may be in any state, even still busy (a timeout):
            # the next batch starts on a new one.
            self._connection.drop()
            reason = self._deadline.reason(error)
            self._health.record_write(reason)
            fail_writes(batch, reason)
            return
        self._health.record_write(None)
        self.committed += len(batch)
        self._unlink_later(deleted_files(results))
        answer_writes(batch, results)

    async def _store(self, batch: list[Pending | PendingChange]) -> list[Outcome]:
        now = now_ms()
        forget = now - self._sent_cleaned_at >= SENT_CLEANUP_MS
        conn = await self._connection.get()
        try:
            results = await store_batch(conn, batch, now - DEDUPE_WINDOW_MS if forget else None)
        except BaseException:
            await conn.close()
            raise
        if forget:
            self._sent_cleaned_at = now
        return results
