"""LocalBackend: SQLite history with group commit, and in-process fan-out.

One writer thread owns the write connection. Messages queue up while it is
committing, and the next transaction stores all of them, so a burst costs one
fsync per batch and the event loop never waits on the disk. Ids are assigned
inside that transaction: a batch that fails to commit gives its ids back, so
ids stay gapless. Reads go to their own connections on a small thread pool
(WAL lets them run beside the writer).
"""

from __future__ import annotations

import asyncio
import bisect
import contextlib
import functools
import logging
import queue
import secrets
import sqlite3
import threading
from collections import defaultdict
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TypeVar

from .backend import (
    BackendError,
    Event,
    EventSink,
    PresenceEvent,
    RoomInfo,
    StartupError,
    StoredMessage,
    TypingEvent,
    first_names,
    now_ms,
    prefix_end,
)
from .protocol import nick_key

log = logging.getLogger("chatroom.store")

T = TypeVar("T")

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS rooms (room TEXT PRIMARY KEY, last_id INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS messages (
    room TEXT NOT NULL,
    id INTEGER NOT NULL,
    nick TEXT NOT NULL,
    message TEXT NOT NULL,
    ts INTEGER NOT NULL,
    PRIMARY KEY (room, id)
) WITHOUT ROWID;
"""
MAX_BATCH = 2000
SYNCHRONOUS_MODES = ("full", "normal", "off")
PROBE_BYTES = 256 * 1024


@dataclass(slots=True)
class _PendingMessage:
    room: str
    nick: str
    text: str
    ts: int
    future: asyncio.Future[StoredMessage]


_Job = _PendingMessage | Callable[[sqlite3.Connection], None] | None


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


class LocalBackend:
    """The embedded default: one process, history in a SQLite file."""

    def __init__(
        self, path: str = "chatroom.db", synchronous: str = "full", max_batch: int = MAX_BATCH
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
        # of this backend shares (SQLite's memdb VFS), and that dies with it.
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
        self._write_failed = False
        self._members: dict[str, dict[str, str]] = defaultdict(dict)
        # The rooms with members, sorted: a page of the rooms list is a
        # bisection here, not a sort of every room on every request.
        self._online: list[str] = []
        self._sinks: dict[str, EventSink] = {}

    # --- lifecycle -------------------------------------------------------

    async def start(self) -> None:
        """Open the database, create the schema, start the writer."""
        self._loop = asyncio.get_running_loop()
        # Opening touches the disk (and may wait on a lock): not on the loop.
        self._write_conn, self._epoch = await self._loop.run_in_executor(self._readers, self._open)
        self._writer = threading.Thread(
            target=self._write_loop, args=(self._write_conn,), name="chatroom-write", daemon=True
        )
        self._writer.start()

    def _open(self) -> tuple[sqlite3.Connection, str]:
        """The writer's connection and the epoch, or StartupError."""
        try:
            # For ":memory:" the writer's connection is also what keeps the
            # shared database alive for the backend's lifetime.
            conn = self._connect(write=True)
        except sqlite3.Error as error:
            raise StartupError(f"cannot open the database {self.path}: {error}") from None
        try:
            return conn, self._init_schema(conn)
        except sqlite3.Error as error:
            conn.close()
            raise StartupError(f"cannot use the database {self.path}: {error}") from None

    async def close(self) -> None:
        """Commit every queued message, then stop the writer and readers."""
        # From here on publish() refuses: nothing may queue behind the stop.
        self._closing = True
        loop = asyncio.get_running_loop()
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

    @staticmethod
    def _init_schema(conn: sqlite3.Connection) -> str:
        conn.executescript(SCHEMA)
        conn.execute("INSERT OR IGNORE INTO meta (key, value) VALUES ('epoch', ?)", (secrets.token_hex(8),))
        # A database of another program may have tables of the same names:
        # better refuse it now than fail on the first message.
        conn.execute("SELECT room, id, nick, message, ts FROM messages LIMIT 0")
        conn.execute("SELECT room, last_id FROM rooms LIMIT 0")
        row = conn.execute("SELECT value FROM meta WHERE key = 'epoch'").fetchone()
        return str(row[0])

    # --- writing ---------------------------------------------------------

    def publish(self, room: str, nick: str, text: str) -> asyncio.Future[StoredMessage]:
        """Queue a message for the next group commit."""
        assert self._loop is not None, "start() the backend first"
        future: asyncio.Future[StoredMessage] = self._loop.create_future()
        if self._writer is None or self._closing:
            future.set_exception(BackendError("the store is closed"))
        elif not storable(room, nick, text):
            future.set_exception(BackendError("the message has characters that cannot be stored"))
        else:
            self._jobs.put(_PendingMessage(room, nick, text, now_ms(), future))
        return future

    def _write_loop(self, conn: sqlite3.Connection) -> None:
        last_ids: dict[str, int] = {}
        while True:
            job = self._jobs.get()
            batch, stop = self._collect_batch(job)
            self._run_batch(conn, batch, last_ids)
            if stop:
                break

    def _collect_batch(
        self, first: _Job
    ) -> tuple[list[_PendingMessage | Callable[[sqlite3.Connection], None]], bool]:
        batch: list[_PendingMessage | Callable[[sqlite3.Connection], None]] = []
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
        self,
        conn: sqlite3.Connection,
        batch: list[_PendingMessage | Callable[[sqlite3.Connection], None]],
        last_ids: dict[str, int],
    ) -> None:
        messages = [job for job in batch if isinstance(job, _PendingMessage)]
        for job in batch:
            if not isinstance(job, _PendingMessage):
                job(conn)
        if not messages:
            return
        try:
            stored = self._store(conn, messages, last_ids)
        except sqlite3.Error as error:
            # Read the ids again from the database: it alone knows whether a
            # failed COMMIT left anything behind, and ids must never repeat.
            last_ids.clear()
            self._call_on_loop(self._fail, messages, error)
        else:
            self._call_on_loop(self._stored, messages, stored)

    def _store(
        self, conn: sqlite3.Connection, messages: list[_PendingMessage], last_ids: dict[str, int]
    ) -> list[StoredMessage]:
        stored = []
        conn.execute("BEGIN IMMEDIATE")
        try:
            for pending in messages:
                msg_id = self._next_id(conn, pending.room, last_ids)
                stored.append(StoredMessage(msg_id, pending.room, pending.nick, pending.text, pending.ts))
            conn.executemany(
                "INSERT INTO messages (room, id, nick, message, ts) VALUES (?, ?, ?, ?, ?)",
                [(m.room, m.id, m.nick, m.text, m.ts) for m in stored],
            )
            conn.executemany(
                "INSERT INTO rooms (room, last_id) VALUES (?, ?)"
                " ON CONFLICT (room) DO UPDATE SET last_id = excluded.last_id",
                [(room, last_ids[room]) for room in {m.room for m in stored}],
            )
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        return stored

    @staticmethod
    def _next_id(conn: sqlite3.Connection, room: str, last_ids: dict[str, int]) -> int:
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

    def _stored(self, messages: list[_PendingMessage], stored: list[StoredMessage]) -> None:
        if self._write_failed:
            log.warning("the store accepts writes again")
            self._write_failed = False
        by_room: dict[str, list[Event]] = defaultdict(list)
        for pending, message in zip(messages, stored, strict=True):
            if not pending.future.done():
                pending.future.set_result(message)
            by_room[message.room].append(message)
        for room, events in by_room.items():
            self._deliver(room, events)

    def _fail(self, messages: list[_PendingMessage], error: sqlite3.Error) -> None:
        if not self._write_failed:
            log.error("cannot store messages: %s", error)
        self._write_failed = True
        for pending in messages:
            if not pending.future.done():
                pending.future.set_exception(BackendError(f"cannot store the message: {error}"))

    # --- reading ---------------------------------------------------------

    async def _read(self, query: Callable[[sqlite3.Connection], T]) -> T:
        def run() -> T:
            conn = getattr(self._local, "conn", None)
            if conn is None:
                conn = self._local.conn = self._connect(write=False)
            return query(conn)

        if self._closing:
            raise BackendError("the store is closed")
        try:
            return await asyncio.get_running_loop().run_in_executor(self._readers, run)
        except sqlite3.Error as error:
            raise BackendError(f"cannot read the store: {error}") from None

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
            "SELECT id, nick, message, ts FROM messages WHERE room = ? AND id > ? AND id < ?"
            f" ORDER BY id {order} LIMIT ?"
        )
        low = after if after is not None else 0
        high = before if before is not None else 2**62
        rows = await self._read(lambda conn: conn.execute(sql, (room, low, high, limit)).fetchall())
        messages = [StoredMessage(row[0], room, row[1], row[2], row[3]) for row in rows]
        return messages[::-1] if newest else messages

    async def last_id(self, room: str) -> int:
        """The id of the room's latest stored message."""
        row = await self._read(
            lambda conn: conn.execute("SELECT last_id FROM rooms WHERE room = ?", (room,)).fetchone()
        )
        return int(row[0]) if row else 0

    async def epoch(self, room: str) -> str:
        """One epoch for the whole database: a new file starts every room over."""
        return self._epoch

    async def rooms(self, *, prefix: str = "", after: str = "", limit: int = 50) -> list[RoomInfo]:
        """A page of the rooms with history or anyone online, by name.

        Both sources are read in name order from where the page starts (the
        rooms table through its primary key index), ``limit`` names at most.
        """
        end = prefix_end(prefix)
        sql = "SELECT room, last_id FROM rooms WHERE room > ? AND room >= ?"
        params: list[object] = [after, prefix]
        if end is not None:
            sql += " AND room < ?"
            params.append(end)
        sql += " ORDER BY room LIMIT ?"
        params.append(limit)
        rows = await self._read(lambda conn: conn.execute(sql, params).fetchall())
        last_ids = {str(room): int(last_id) for room, last_id in rows}
        names = first_names(last_ids, self._online_page(prefix, after, end, limit), limit=limit)
        return [RoomInfo(room, len(self._members.get(room, ())), last_ids.get(room, 0)) for room in names]

    def _online_page(self, prefix: str, after: str, end: str | None, limit: int) -> list[str]:
        start = max(bisect.bisect_right(self._online, after), bisect.bisect_left(self._online, prefix))
        page = self._online[start : start + limit]
        return page if end is None else [room for room in page if room < end]

    async def room_exists(self, room: str) -> bool:
        """Whether someone is in the room or it has a stored message."""
        if self._members.get(room):
            return True
        return await self.last_id(room) > 0

    async def healthy(self) -> bool:
        """Readable, and writable again if the last write failed."""
        try:
            await self._read(lambda conn: conn.execute("SELECT 1").fetchone())
        except BackendError:
            return False
        if self._writer is None or self._closing:
            return False
        if self._write_failed:
            await self._probe_write()
        return not self._write_failed

    async def _probe_write(self) -> None:
        assert self._loop is not None
        done: asyncio.Future[None] = self._loop.create_future()

        def probe(conn: sqlite3.Connection) -> None:
            if self._write_probe_passes(conn):
                self._call_on_loop(self._probe_passed, done)
            else:
                self._call_on_loop(done.set_result, None)

        self._jobs.put(probe)
        await done

    @staticmethod
    def _write_probe_passes(conn: sqlite3.Connection) -> bool:
        """Whether the database can grow again by about a batch of messages.

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
        except sqlite3.Error:
            return False
        # The space is known to be there; failing to give it back is harmless.
        with contextlib.suppress(sqlite3.Error):
            conn.execute("DELETE FROM meta WHERE key = 'probe'")
        return True

    def _probe_passed(self, done: asyncio.Future[None]) -> None:
        self._write_failed = False
        done.set_result(None)

    # --- presence and fan-out -------------------------------------------

    async def reserve(self, room: str, nick: str) -> list[str] | None:
        """Hold a nick in a room unless someone has it (case-insensitively)."""
        members = self._members[room]
        key = nick_key(nick)
        if key in members:
            return None
        members[key] = nick
        if len(members) == 1:
            bisect.insort(self._online, room)
        return list(members.values())

    async def announce_join(self, room: str, nick: str) -> None:
        """Tell the room that ``nick`` joined."""
        self._announce("join", room, nick)

    async def release(self, room: str, nick: str, *, announce: bool) -> None:
        """Free the nick; tell the room it left when it had been announced."""
        members = self._members.get(room)
        if members is None or members.pop(nick_key(nick), None) is None:
            return
        if not members:
            del self._members[room]
            del self._online[bisect.bisect_left(self._online, room)]
        if announce:
            self._announce("leave", room, nick)

    def _announce(self, event: str, room: str, nick: str) -> None:
        users = len(self._members.get(room, ()))
        self._deliver(room, [PresenceEvent(event, room, nick, users, now_ms())])

    async def typing(self, room: str, nick: str) -> None:
        """Tell the room that ``nick`` is typing."""
        self._deliver(room, [TypingEvent(room, nick)])

    async def subscribe(self, room: str, sink: EventSink) -> None:
        """Deliver this room's events to ``sink``."""
        self._sinks[room] = sink

    async def unsubscribe(self, room: str) -> None:
        """Stop delivering this room's events."""
        self._sinks.pop(room, None)

    def _deliver(self, room: str, events: Sequence[Event]) -> None:
        sink = self._sinks.get(room)
        if sink is not None:
            sink(events)
