"""The SQLite store's writer: one thread, one connection, every queued write in one commit.

Messages and changes queue up while the thread commits; the next transaction
stores all of them (up to ``max_batch``), so a burst costs one fsync per
batch and the event loop never waits on the disk. Other work that writes (an
import, an account's change, the write probe) runs on the same thread
between two batches. Outcomes go back to the event loop in one call a batch.
"""

from __future__ import annotations

import asyncio
import contextlib
import queue
import sqlite3
import threading
from collections.abc import Callable, Iterable
from typing import TypeVar

from . import sqlite_sql as sql
from .accounts_base import RefusedError
from .base import Outcome, StoreError, answer_writes, deleted_files, fail_writes
from .health import WriteHealth
from .sqlite_lock import for_batches, for_other_work
from .sqlite_sql import PendingChange, PendingMessage
from .thread_futures import fail_unless_done, resolve_unless_done

# What the writer stores in its batches.
Pending = PendingMessage | PendingChange
# What it runs between batches.
Work = Callable[[sqlite3.Connection], None]

T = TypeVar("T")

# Expired ``sent`` rows are deleted at most this often, inside a batch.
SENT_CLEANUP_MS = 60_000


class SQLiteWriter:
    """The thread that owns the write connection, and the queue of what it is to write.

    ``None`` in the queue stops it after what queued before; ``stop`` puts it there.
    """

    def __init__(
        self,
        conn: sqlite3.Connection,
        loop: asyncio.AbstractEventLoop,
        max_batch: int,
        health: WriteHealth,
        unlink_later: Callable[[Iterable[str]], None],
    ) -> None:
        self.conn = conn
        self.max_batch = max_batch
        self._loop = loop
        self._health = health
        # Files whose messages a committed change deleted: removed once the commit is durable.
        self._unlink_later = unlink_later
        self._jobs: queue.SimpleQueue[Pending | Work | None] = queue.SimpleQueue()
        self._sent_cleaned_at = 0
        self._thread = threading.Thread(target=self._write_loop, name="chatroom-write", daemon=True)
        self._thread.start()

    def put(self, job: Pending | Work) -> None:
        """Queue a message or change for the next commit, or work for the thread between batches."""
        self._jobs.put(job)

    async def run(self, work: Callable[[sqlite3.Connection], T], failing: str) -> T:
        """The outcome of ``work`` run on the thread between batches; StoreError when it fails."""
        done: asyncio.Future[T] = self._loop.create_future()

        def job(conn: sqlite3.Connection) -> None:
            try:
                for_other_work(conn)
                result = work(conn)
            except (sqlite3.Error, StoreError) as error:
                self._call_on_loop(fail_unless_done, done, StoreError(f"{failing}: {error}"))
            except RefusedError as error:
                # The work's own answer (a name taken...): the caller's to handle, not a failure.
                self._call_on_loop(fail_unless_done, done, error)
            else:
                self._call_on_loop(resolve_unless_done, done, result)

        self._jobs.put(job)
        return await done

    async def stop(self) -> None:
        """Commit what queued, then end the thread and close the connection."""
        self._jobs.put(None)
        await asyncio.get_running_loop().run_in_executor(None, self._thread.join)
        self.conn.close()

    def _write_loop(self) -> None:
        while True:
            batch, stop = self._collect_batch(self._jobs.get())
            self._run_batch(batch)
            if stop:
                break

    def _collect_batch(self, first: Pending | Work | None) -> tuple[list[Pending | Work], bool]:
        batch: list[Pending | Work] = []
        job = first
        while True:
            if job is None:
                return batch, True
            batch.append(job)
            if len(batch) >= self.max_batch:
                return batch, False
            try:
                job = self._jobs.get_nowait()
            except queue.Empty:
                return batch, False

    def _run_batch(self, batch: list[Pending | Work]) -> None:
        messages = [job for job in batch if isinstance(job, Pending)]
        for job in batch:
            if not isinstance(job, Pending):
                job(self.conn)
        if not messages:
            return
        try:
            now = messages[-1].ts
            forget = now - self._sent_cleaned_at >= SENT_CLEANUP_MS
            for_batches(self.conn)
            stored = sql.store_batch(self.conn, messages, forget_sent=forget)
            if forget:
                self._sent_cleaned_at = now
        except sqlite3.Error as error:
            self._call_on_loop(self._fail, messages, error)
        else:
            self._call_on_loop(self._stored, messages, stored)

    def _call_on_loop(self, callback: Callable[..., None], *args: object) -> None:
        # A closed loop means the process is exiting: nobody awaits these.
        with contextlib.suppress(RuntimeError):
            self._loop.call_soon_threadsafe(callback, *args)

    def _stored(self, messages: list[Pending], results: list[Outcome]) -> None:
        self._health.record_write(None)
        self._unlink_later(deleted_files(results))
        answer_writes(messages, results)

    def _fail(self, messages: list[Pending], error: sqlite3.Error) -> None:
        self._health.record_write(str(error))
        fail_writes(messages, str(error))
