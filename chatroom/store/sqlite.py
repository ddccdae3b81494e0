"""SQLiteStore: the embedded default, one file, group commit off the event loop.

One writer thread owns the write connection. Messages queue up while it is
committing, and the next transaction stores all of them, so a burst costs one
fsync per batch and the event loop never waits on the disk. Ids are read and
assigned inside that transaction (``BEGIN IMMEDIATE`` holds SQLite's write
lock), so processes sharing the file still get one gapless sequence per room;
a batch that fails to commit gives its ids back. Reads go to their own
connections on a small thread pool (WAL lets them run beside the writer).

Whether the file can be written is known before anyone writes: a write probe
runs at start and then every few seconds, and ``healthy`` reports its last
result together with the last real write's.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import queue
import secrets
import sqlite3
import threading
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TypeVar

from ..backend import DEDUPE_WINDOW_MS, StoredMessage, dedupe_digest, dedupe_sender, now_ms, prefix_end
from ..names import room_key
from . import migrations
from .base import Appended, RoomRow, StoreError, StoreStartupError
from .health import WriteHealth

log = logging.getLogger("chatroom.store")

T = TypeVar("T")

# Expired ``sent`` rows are deleted at most this often, inside a batch.
SENT_CLEANUP_MS = 60_000
MAX_BATCH = 2000
SYNCHRONOUS_MODES = ("full", "normal", "off")
PROBE_BYTES = 256 * 1024
PROBE_INTERVAL = 5.0
_COLUMNS = "id, nick, message, ts, bot"


@dataclass(slots=True)
class _Pending:
    room: str
    nick: str
    text: str
    ts: int
    bot: bool
    future: asyncio.Future[Appended]
    # Identifies a message sent with a ref (see dedupe_digest); None: never deduplicated.
    digest: bytes | None = None


_Job = _Pending | Callable[[sqlite3.Connection], None] | None


def storable(*texts: str) -> bool:
    """Whether SQLite can take these strings (a lone surrogate it cannot).

    Checked before queueing: in the writer, such a value would fail the whole
    batch, other members' messages with it.
    """
    try:
        for text in texts:
            text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _message(room: str, row: Sequence[object]) -> StoredMessage:
    msg_id, nick, text, ts, bot = row
    return StoredMessage(int(msg_id), room, str(nick), str(text), int(ts), bool(bot))  # type: ignore[call-overload]


class _SqliteCursor:
    """migrations.Cursor over a sqlite3 connection."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def fetchall(self, sql: str, params: Sequence[object] = ()) -> list[tuple[object, ...]]:
        return self.conn.execute(sql, params).fetchall()

    def executemany(self, sql: str, rows: Sequence[Sequence[object]]) -> None:
        self.conn.executemany(sql, rows)


class SQLiteStore:
    """History in one SQLite file (or a private in-memory database)."""

    def __init__(
        self,
        path: str = "chatroom.db",
        synchronous: str = "full",
        max_batch: int = MAX_BATCH,
        probe_interval: float = PROBE_INTERVAL,
    ) -> None:
        if synchronous not in SYNCHRONOUS_MODES:
            raise ValueError(f"synchronous must be one of {SYNCHRONOUS_MODES}")
        if max_batch < 1:
            raise ValueError("max_batch must be at least 1")
        self.path = path
        self.synchronous = synchronous
        # 1 gives one transaction (one fsync) per message: the baseline the
        # benchmark compares group commit with.
        self.max_batch = max_batch
        # ":memory:" becomes a named in-memory database that every connection
        # of this store shares (SQLite's memdb VFS), and that dies with it.
        self._uri = (
            f"file:/chatroom-{secrets.token_hex(8)}?vfs=memdb" if path == ":memory:" else f"file:{path}"
        )
        self._jobs: queue.SimpleQueue[_Job] = queue.SimpleQueue()
        self._writer: threading.Thread | None = None
        self._write_conn: sqlite3.Connection | None = None
        self._closing = False
        self._readers = ThreadPoolExecutor(max_workers=2, thread_name_prefix="chatroom-read")
        self._local = threading.local()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._epoch = ""
        self._sent_cleaned_at = 0
        self.health = WriteHealth(path, probe_interval, self._probe_write)

    # --- lifecycle -------------------------------------------------------

    async def start(self) -> None:
        """Open the database, bring the schema up to date, start the writer."""
        self._loop = asyncio.get_running_loop()
        # Opening touches the disk (and may wait on a lock): not on the loop.
        self._write_conn, self._epoch = await self._loop.run_in_executor(self._readers, self._open)
        self._writer = threading.Thread(
            target=self._write_loop, args=(self._write_conn,), name="chatroom-write", daemon=True
        )
        self._writer.start()
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
            return conn, self._migrate(conn)
        except sqlite3.Error as error:
            conn.close()
            raise StoreStartupError(f"cannot use the database {self.path}: {error}") from None
        except StoreStartupError:
            conn.close()
            raise

    def _migrate(self, conn: sqlite3.Connection) -> str:
        """Apply the missing schema steps; the database's epoch."""
        conn.execute("BEGIN IMMEDIATE")
        try:
            conn.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
            row = conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
            for step in migrations.pending_steps(int(row[0]) if row else 0, self.path):
                for sql in step.sqlite:
                    conn.execute(sql)
                if step.fix is not None:
                    step.fix(_SqliteCursor(conn))
                conn.execute(
                    "INSERT INTO meta (key, value) VALUES ('schema_version', ?)"
                    " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                    (str(step.version),),
                )
            conn.execute(
                "INSERT OR IGNORE INTO meta (key, value) VALUES ('epoch', ?)", (secrets.token_hex(8),)
            )
            # A database of another program may have tables of the same names:
            # better refuse it now than fail on the first message.
            conn.execute("SELECT room, id, nick, message, ts, bot FROM messages LIMIT 0")
            conn.execute("SELECT room, last_id, key FROM rooms LIMIT 0")
            epoch = conn.execute("SELECT value FROM meta WHERE key = 'epoch'").fetchone()[0]
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        return str(epoch)

    async def close(self) -> None:
        """Commit every queued message, then stop the writer and readers."""
        # From here on append() refuses: nothing may queue behind the stop.
        self._closing = True
        loop = asyncio.get_running_loop()
        await self.health.stop()
        if self._writer is not None:
            self._jobs.put(None)
            await loop.run_in_executor(None, self._writer.join)
            self._writer = None
        if self._write_conn is not None:
            self._write_conn.close()
            self._write_conn = None
        await loop.run_in_executor(None, functools.partial(self._readers.shutdown, wait=True))

    def _connect(self, write: bool) -> sqlite3.Connection:
        conn = sqlite3.connect(self._uri, uri=True, isolation_level=None, check_same_thread=False, timeout=10)
        if write and self.path != ":memory:":
            conn.execute("PRAGMA journal_mode=WAL")
        conn.execute(f"PRAGMA synchronous={self.synchronous}")
        return conn

    # --- writing ---------------------------------------------------------

    def append(
        self, room: str, nick: str, text: str, *, ref: str | None = None, bot: bool = False
    ) -> asyncio.Future[Appended]:
        """Queue a message for the next group commit; a resent ref resolves to the first."""
        assert self._loop is not None, "start() the store first"
        future: asyncio.Future[Appended] = self._loop.create_future()
        if self._writer is None or self._closing:
            future.set_exception(StoreError("the store is closed"))
        elif not storable(room, nick, text, ref or ""):
            future.set_exception(StoreError("the message has characters that cannot be stored"))
        else:
            digest = None if ref is None else dedupe_digest(room, dedupe_sender(nick, bot), ref, text)
            self._jobs.put(_Pending(room, nick, text, now_ms(), bot, future, digest))
        return future

    def _write_loop(self, conn: sqlite3.Connection) -> None:
        while True:
            batch, stop = self._collect_batch(self._jobs.get())
            self._run_batch(conn, batch)
            if stop:
                break

    def _collect_batch(
        self, first: _Job
    ) -> tuple[list[_Pending | Callable[[sqlite3.Connection], None]], bool]:
        batch: list[_Pending | Callable[[sqlite3.Connection], None]] = []
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

    def _run_batch(
        self, conn: sqlite3.Connection, batch: list[_Pending | Callable[[sqlite3.Connection], None]]
    ) -> None:
        messages = [job for job in batch if isinstance(job, _Pending)]
        for job in batch:
            if not isinstance(job, _Pending):
                job(conn)
        if not messages:
            return
        try:
            stored = self._store(conn, messages)
        except sqlite3.Error as error:
            self._call_on_loop(self._fail, messages, error)
        else:
            self._call_on_loop(self._stored, messages, stored)

    def _store(self, conn: sqlite3.Connection, messages: list[_Pending]) -> list[Appended]:
        """Store a batch in one transaction: each message, and whether it is new."""
        results: list[Appended] = []
        sent: dict[bytes, StoredMessage] = {}
        last_ids: dict[str, int] = {}
        conn.execute("BEGIN IMMEDIATE")
        try:
            for pending in messages:
                earlier = self._earlier_send(conn, pending, sent)
                if earlier is not None:
                    results.append(Appended(earlier, False))
                    continue
                msg_id = self._next_id(conn, pending.room, last_ids)
                message = StoredMessage(
                    msg_id, pending.room, pending.nick, pending.text, pending.ts, pending.bot
                )
                results.append(Appended(message, True))
                if pending.digest is not None:
                    sent[pending.digest] = message
            stored = [result.message for result in results if result.new]
            conn.executemany(
                "INSERT INTO messages (room, id, nick, message, ts, bot) VALUES (?, ?, ?, ?, ?, ?)",
                [(m.room, m.id, m.nick, m.text, m.ts, int(m.bot)) for m in stored],
            )
            conn.executemany(
                "INSERT INTO rooms (room, last_id, key) VALUES (?, ?, ?)"
                " ON CONFLICT (room) DO UPDATE SET last_id = excluded.last_id",
                [(room, last_id, room_key(room)) for room, last_id in last_ids.items()],
            )
            self._record_sent(conn, sent, messages[-1].ts)
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        return results

    @staticmethod
    def _earlier_send(
        conn: sqlite3.Connection, pending: _Pending, sent: dict[bytes, StoredMessage]
    ) -> StoredMessage | None:
        """The message this one repeats (same room, sender, ref, text, within the window)."""
        if pending.digest is None:
            return None
        if pending.digest in sent:
            return sent[pending.digest]
        row = conn.execute(
            "SELECT m.id, m.nick, m.message, m.ts, m.bot FROM sent s JOIN messages m"
            " ON m.room = s.room AND m.id = s.id WHERE s.digest = ? AND s.ts > ?",
            (pending.digest, pending.ts - DEDUPE_WINDOW_MS),
        ).fetchone()
        return None if row is None else _message(pending.room, row)

    def _record_sent(self, conn: sqlite3.Connection, sent: dict[bytes, StoredMessage], now: int) -> None:
        """Remember this batch's refs; now and then forget those past the window."""
        conn.executemany(
            "INSERT OR REPLACE INTO sent (digest, room, id, ts) VALUES (?, ?, ?, ?)",
            [(digest, m.room, m.id, m.ts) for digest, m in sent.items()],
        )
        if now - self._sent_cleaned_at >= SENT_CLEANUP_MS:
            conn.execute("DELETE FROM sent WHERE ts <= ?", (now - DEDUPE_WINDOW_MS,))
            self._sent_cleaned_at = now

    @staticmethod
    def _next_id(conn: sqlite3.Connection, room: str, last_ids: dict[str, int]) -> int:
        # Read inside the transaction, never cached across batches: another
        # process sharing the file may have stored since.
        if room not in last_ids:
            row = conn.execute("SELECT last_id FROM rooms WHERE room = ?", (room,)).fetchone()
            last_ids[room] = row[0] if row else 0
        last_ids[room] += 1
        return last_ids[room]

    def _call_on_loop(self, callback: Callable[..., None], *args: object) -> None:
        assert self._loop is not None
        # A closed loop means the process is exiting: nobody awaits these.
        with contextlib.suppress(RuntimeError):
            self._loop.call_soon_threadsafe(callback, *args)

    def _stored(self, messages: list[_Pending], results: list[Appended]) -> None:
        self.health.record_write(None)
        for pending, result in zip(messages, results, strict=True):
            if not pending.future.done():
                pending.future.set_result(result)

    def _fail(self, messages: list[_Pending], error: sqlite3.Error) -> None:
        self.health.record_write(str(error))
        for pending in messages:
            if not pending.future.done():
                pending.future.set_exception(StoreError(f"cannot store the message: {error}"))

    # --- reading ---------------------------------------------------------

    async def _read(self, query: Callable[[sqlite3.Connection], T]) -> T:
        def run() -> T:
            conn = getattr(self._local, "conn", None)
            if conn is None:
                conn = self._local.conn = self._connect(write=False)
            return query(conn)

        if self._closing:
            raise StoreError("the store is closed")
        try:
            return await asyncio.get_running_loop().run_in_executor(self._readers, run)
        except sqlite3.Error as error:
            raise StoreError(f"cannot read the store: {error}") from None

    async def history(
        self,
        room: str,
        *,
        after: int | None = None,
        before: int | None = None,
        limit: int = 50,
        newest: bool = True,
    ) -> list[StoredMessage]:
        """Up to ``limit`` messages with after < id < before, oldest first."""
        order = "DESC" if newest else "ASC"
        sql = (
            f"SELECT {_COLUMNS} FROM messages WHERE room = ? AND id > ? AND id < ?"
            f" ORDER BY id {order} LIMIT ?"
        )
        low = after if after is not None else 0
        high = before if before is not None else 2**62
        rows = await self._read(lambda conn: conn.execute(sql, (room, low, high, limit)).fetchall())
        messages = [_message(room, row) for row in rows]
        return messages[::-1] if newest else messages

    async def last_id(self, room: str) -> int:
        """The id of the room's latest stored message."""
        row = await self._read(
            lambda conn: conn.execute("SELECT last_id FROM rooms WHERE room = ?", (room,)).fetchone()
        )
        return int(row[0]) if row else 0

    async def epoch(self) -> str:
        """One epoch for the whole database: a new file starts every room over."""
        return self._epoch

    async def rooms(self, *, prefix: str = "", after: str = "", limit: int = 50) -> list[RoomRow]:
        """A page of the rooms with history, read through the primary key index."""
        end = prefix_end(prefix)
        sql = "SELECT room, last_id FROM rooms WHERE room > ? AND room >= ?"
        params: list[object] = [after, prefix]
        if end is not None:
            sql += " AND room < ?"
            params.append(end)
        sql += " ORDER BY room LIMIT ?"
        params.append(limit)
        rows = await self._read(lambda conn: conn.execute(sql, params).fetchall())
        return [RoomRow(str(room), int(last_id)) for room, last_id in rows]

    async def room_holding(self, key: str) -> str | None:
        """The room with history whose look-alike key is ``key``."""
        row = await self._read(
            lambda conn: conn.execute(
                "SELECT room FROM rooms WHERE key = ? ORDER BY room LIMIT 1", (key,)
            ).fetchone()
        )
        return None if row is None else str(row[0])

    async def healthy(self) -> bool:
        """Readable, and neither the last write nor the last write probe failed."""
        try:
            await self._read(lambda conn: conn.execute("SELECT 1").fetchone())
        except StoreError:
            return False
        return self._writer is not None and not self._closing and self.health.writable

    # --- export and import -----------------------------------------------

    async def room_names(self, after: str, limit: int) -> list[str]:
        """Names of rooms with history after ``after``, in order (for export)."""
        return [row.room for row in await self.rooms(after=after, limit=limit)]

    async def export_messages(self, room: str, after: int, limit: int) -> list[StoredMessage]:
        """Messages of ``room`` with id > ``after``, oldest first."""
        return await self.history(room, after=after, limit=limit, newest=False)

    async def import_messages(self, messages: Iterable[StoredMessage]) -> int:
        """Store messages with their own ids and times, in one transaction."""
        batch = list(messages)
        return await self._on_writer(lambda conn: self._import(conn, batch), "cannot import")

    async def adopt_epoch(self, epoch: str) -> None:
        """Make ``epoch`` the database's own; refuses once it holds any message."""
        await self._on_writer(lambda conn: self._set_epoch(conn, epoch), "cannot keep the epoch")
        self._epoch = epoch

    async def _on_writer(self, work: Callable[[sqlite3.Connection], T], failing: str) -> T:
        """The outcome of ``work`` run on the writer thread between batches; StoreError when it fails."""
        assert self._loop is not None, "start() the store first"
        if self._writer is None or self._closing:
            raise StoreError("the store is closed")
        done: asyncio.Future[T] = self._loop.create_future()

        def run(conn: sqlite3.Connection) -> None:
            try:
                result = work(conn)
            except (sqlite3.Error, StoreError) as error:
                self._call_on_loop(done.set_exception, StoreError(f"{failing}: {error}"))
            else:
                self._call_on_loop(done.set_result, result)

        self._jobs.put(run)
        return await done

    @staticmethod
    def _set_epoch(conn: sqlite3.Connection, epoch: str) -> None:
        conn.execute("BEGIN IMMEDIATE")
        try:
            if conn.execute("SELECT 1 FROM messages LIMIT 1").fetchone() is not None:
                raise StoreError("the database already holds messages")
            conn.execute("UPDATE meta SET value = ? WHERE key = 'epoch'", (epoch,))
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise

    @staticmethod
    def _import(conn: sqlite3.Connection, batch: list[StoredMessage]) -> int:
        conn.execute("BEGIN IMMEDIATE")
        try:
            last_ids: dict[str, int] = {}
            for message in batch:
                if message.room not in last_ids:
                    row = conn.execute("SELECT last_id FROM rooms WHERE room = ?", (message.room,)).fetchone()
                    last_ids[message.room] = row[0] if row else 0
                if message.id <= last_ids[message.room]:
                    raise StoreError(f"room {message.room!r} already has message {message.id}")
                last_ids[message.room] = message.id
            conn.executemany(
                "INSERT INTO messages (room, id, nick, message, ts, bot) VALUES (?, ?, ?, ?, ?, ?)",
                [(m.room, m.id, m.nick, m.text, m.ts, int(m.bot)) for m in batch],
            )
            conn.executemany(
                "INSERT INTO rooms (room, last_id, key) VALUES (?, ?, ?)"
                " ON CONFLICT (room) DO UPDATE SET last_id = excluded.last_id",
                [(room, last_id, room_key(room)) for room, last_id in last_ids.items()],
            )
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        return len(batch)

    # --- the write probe ---------------------------------------------------

    async def _probe_write(self) -> str | None:
        """Try a write the size of a busy batch on the writer thread: None, or why it failed."""
        if self._writer is None or self._closing:
            return None
        assert self._loop is not None
        done: asyncio.Future[str | None] = self._loop.create_future()
        self._jobs.put(lambda conn: self._call_on_loop(done.set_result, self._write_probe_error(conn)))
        return await done

    @staticmethod
    def _write_probe_error(conn: sqlite3.Connection) -> str | None:
        """None if the database can grow by about a batch of messages, else why not.

        A tiny write can fit in a page that already exists while a full disk
        still refuses every message, so the probe stores (then deletes) a row
        the size of a busy batch.
        """
        try:
            conn.execute(
                "INSERT INTO meta (key, value) VALUES ('probe', zeroblob(?))"
                " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (PROBE_BYTES,),
            )
        except sqlite3.Error as error:
            return str(error)
        # The space is known to be there; failing to give it back is harmless.
        with contextlib.suppress(sqlite3.Error):
            conn.execute("DELETE FROM meta WHERE key = 'probe'")
        return None
