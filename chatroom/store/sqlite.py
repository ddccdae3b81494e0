"""SQLiteStore: the embedded default, one file, group commit off the event loop.

One writer thread owns the write connection (sqlite_writer.py). Messages
queue up while it is committing, and the next transaction stores all of
them, so a burst costs one fsync per batch and the event loop never waits on
the disk. Ids are read and
assigned inside that transaction (``BEGIN IMMEDIATE`` holds SQLite's write
lock), so processes sharing the file still get one gapless sequence per room;
a batch that fails to commit gives its ids back. Reads go to their own
connections on a small thread pool (WAL lets them run beside the writer),
those of one turn of the loop together (sqlite_reads.py); the reads of
messages and rooms are sqlite_history.py's.

Whether the file can be written is known before anyone writes: a write probe
runs at start and then every few seconds, and ``healthy`` reports its last
result together with the last real write's.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import secrets
import sqlite3
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from ..backend import StoredMessage, dedupe_digest, dedupe_sender
from ..clock import now_ms
from ..events import StoredChange
from ..forwarded import Forwarded
from . import sqlite_search
from . import sqlite_sql as sql
from .base import Appended, StoreError, StoreStartupError, encodable, refuse_unqueueable
from .blobs import DirectoryBlobs, files_dir_beside
from .change_rules import Changed, ChangeRequest
from .health import WriteHealth
from .records import ScheduledClaim
from .search_base import SearchQuery
from .sqlite_accounts import SQLiteAccounts
from .sqlite_files import SQLiteFiles
from .sqlite_grams import TrigramCounts
from .sqlite_history import SQLiteHistory
from .sqlite_lock import BUSY_TIMEOUT_S, SharedFileConnection
from .sqlite_reads import BatchedReads
from .sqlite_sql import PendingChange, PendingMessage
from .sqlite_writer import SQLiteWriter

log = logging.getLogger("chatroom.store")

T = TypeVar("T")

MAX_BATCH = 2000
SYNCHRONOUS_MODES = ("full", "normal", "off")
PROBE_INTERVAL = 5.0


class SQLiteStore(SQLiteHistory):
    """History in one SQLite file (or a private in-memory database)."""

    def __init__(
        self,
        path: str = "chatroom.db",
        synchronous: str = "full",
        max_batch: int = MAX_BATCH,
        probe_interval: float = PROBE_INTERVAL,
        files_dir: str | None = None,
        shared: bool = False,
    ) -> None:
        if synchronous not in SYNCHRONOUS_MODES:
            raise ValueError(f"synchronous must be one of {SYNCHRONOUS_MODES}")
        if max_batch < 1:
            raise ValueError("max_batch must be at least 1")
        self.path = path
        self.synchronous = synchronous
        # Other processes may write to the file (they reach this one over Redis): see sqlite_lock.py.
        self.shared = shared
        # 1 gives one transaction (one fsync) per message: the baseline the
        # benchmark compares group commit with.
        self.max_batch = max_batch
        # ":memory:" becomes a named in-memory database that every connection
        # of this store shares (SQLite's memdb VFS), and that dies with it.
        self._uri = (
            f"file:/chatroom-{secrets.token_hex(8)}?vfs=memdb" if path == ":memory:" else f"file:{path}"
        )
        self._writer: SQLiteWriter | None = None
        self._closing = False
        self._readers = ThreadPoolExecutor(max_workers=2, thread_name_prefix="chatroom-read")
        self._reads = BatchedReads(self._readers, functools.partial(self._connect, write=False))
        self._loop: asyncio.AbstractEventLoop | None = None
        self._epoch = ""
        self._trigram_counts = TrigramCounts()
        self.health = WriteHealth(path, probe_interval, self._probe_write)
        self.accounts = SQLiteAccounts(self._read, self._on_writer)
        self.files = SQLiteFiles(
            self._read, self._on_writer, DirectoryBlobs(files_dir_beside(path, files_dir))
        )

    # --- lifecycle -------------------------------------------------------

    async def start(self) -> None:
        """Open the database, bring the schema up to date, start the writer."""
        self._loop = asyncio.get_running_loop()
        # Opening touches the disk (and may wait on a lock): not on the loop.
        conn, self._epoch = await self._loop.run_in_executor(self._readers, self._open)
        # From here close() stops the writer and closes its connection, whatever fails next.
        self._writer = SQLiteWriter(conn, self._loop, self.max_batch, self.health, self.files.unlink_later)
        await self._loop.run_in_executor(self._readers, self.files.blobs.open)
        await self.health.start()

    def _open(self) -> tuple[sqlite3.Connection, str]:
        """The writer's connection and the epoch, or StoreStartupError."""
        try:
            # For ":memory:" the writer's connection is also what keeps the
            # shared database alive for the store's lifetime.
            conn = self._connect(write=True)
        except sqlite3.Error as error:
            raise StoreStartupError(f"cannot open the database {self.path}: {error}") from None
        try:
            return conn, sql.migrate(conn, self.path)
        except sqlite3.Error as error:
            conn.close()
            raise StoreStartupError(f"cannot use the database {self.path}: {error}") from None
        except StoreStartupError:
            conn.close()
            raise

    async def close(self) -> None:
        """Commit every queued message, then stop the writer and readers."""
        # From here on append() refuses: nothing may queue behind the stop.
        self._closing = True
        self._trigram_counts.stop()
        loop = asyncio.get_running_loop()
        await self.health.stop()
        if self._writer is not None:
            await self._writer.stop()
            self._writer = None
        await loop.run_in_executor(None, functools.partial(self._readers.shutdown, wait=True))
        await self.files.close()

    def _connect(self, write: bool) -> sqlite3.Connection:
        conn = sqlite3.connect(
            self._uri,
            uri=True,
            isolation_level=None,
            check_same_thread=False,
            timeout=BUSY_TIMEOUT_S,
            factory=SharedFileConnection if write and self.shared else sqlite3.Connection,
        )
        if write and self.path != ":memory:":
            conn.execute("PRAGMA journal_mode=WAL")
        conn.execute(f"PRAGMA synchronous={self.synchronous}")
        # Off by default in SQLite; PostgreSQL always holds memberships, sessions... to their accounts.
        conn.execute("PRAGMA foreign_keys=ON")
        return conn

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
        writer = None if self._closing else self._writer
        fits = encodable(room, nick, text, ref or "")
        if not refuse_unqueueable(future, closed=writer is None, storable=fits, what="the message"):
            assert writer is not None
            digest = None if ref is None else dedupe_digest(room, dedupe_sender(nick, bot), ref, text)
            writer.put(
                PendingMessage(
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
        writer = None if self._closing else self._writer
        fits = encodable(request.nick, request.text, request.emoji)
        if not refuse_unqueueable(future, closed=writer is None, storable=fits, what="the change"):
            assert writer is not None
            writer.put(PendingChange(room, request, now_ms(), future))
        return future

    # --- reading ---------------------------------------------------------

    async def _read(self, query: Callable[[sqlite3.Connection], T], *, alone: bool = False) -> T:
        if self._closing:
            raise StoreError("the store is closed")
        try:
            return await self._reads.read(query, alone=alone)
        except sqlite3.Error as error:
            raise StoreError(f"cannot read the store: {error}") from None

    async def search(self, query: SearchQuery) -> list[StoredMessage]:
        """Messages matching the query, newest first (search_base.py)."""
        counts = self._trigram_counts
        if not self._closing and counts.claim_pass(time.monotonic()):
            # Beside the searches: until it is done they ask for every trigram (sqlite_grams.py).
            self._reads.read(counts.read_common, alone=True).add_done_callback(self._passed)
        return await self._read(lambda conn: sqlite_search.search(conn, query, counts), alone=True)

    def _passed(self, passing: asyncio.Future[None]) -> None:
        """A pass over the search index's trigrams that failed, but for the store closing, is logged:
        searches go on asking for every trigram."""
        error = None if passing.cancelled() else passing.exception()
        if error is not None and not self._closing:
            log.warning("cannot count the search index's common trigrams: %s", error)

    async def epoch(self) -> str:
        """One epoch for the whole database: a new file starts every room over."""
        return self._epoch

    async def healthy(self) -> bool:
        """Readable, and neither the last write nor the last write probe failed."""
        try:
            await self._read(lambda conn: conn.execute("SELECT 1").fetchone())
        except StoreError:
            return False
        return self._writer is not None and not self._closing and self.health.writable

    # --- export and import -----------------------------------------------

    async def import_messages(self, messages: Iterable[StoredMessage | StoredChange]) -> int:
        """Store messages with their own ids and times, in one transaction."""
        batch = list(messages)
        return await self._on_writer(lambda conn: sql.import_batch(conn, batch), "cannot import")

    async def adopt_epoch(self, epoch: str) -> None:
        """Make ``epoch`` the database's own; refuses once it holds any message."""
        await self._on_writer(lambda conn: sql.set_epoch(conn, epoch), "cannot keep the epoch")
        self._epoch = epoch

    async def _on_writer(self, work: Callable[[sqlite3.Connection], T], failing: str) -> T:
        """The outcome of ``work`` run on the writer thread between batches; StoreError when it fails."""
        if self._writer is None or self._closing:
            raise StoreError("the store is closed")
        return await self._writer.run(work, failing)

    # --- the write probe ---------------------------------------------------

    async def _probe_write(self) -> str | None:
        """Try a write the size of a busy batch on the writer thread: None, or why it failed."""
        if self._writer is None or self._closing:
            return None
        return await self._writer.run(sql.write_probe_error, "cannot probe")
