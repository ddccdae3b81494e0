"""LocalBackend: SQLite history with group commit, and in-process fan-out.

One writer thread owns the write connection. Messages queue up while it is
committing, and the next transaction stores all of them, so a burst costs one
fsync per batch and the event loop never waits on the disk. Ids are assigned
inside that transaction: a batch that fails to commit gives its ids back, so
ids stay gapless. Reads go to their own connections on a small thread pool
(WAL lets them run beside the writer).

Whether the store can be written is known before anyone writes: a write probe
runs at start and then every few seconds in the background, and the health
check reports its last result together with the last real write's.
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

from . import metrics
from .backend import (
    DEDUPE_WINDOW_MS,
    BackendError,
    Event,
    EventSink,
    PresenceEvent,
    RoomInfo,
    StartupError,
    StoredMessage,
    TypingEvent,
    dedupe_digest,
    dedupe_sender,
    first_names,
    now_ms,
    prefix_end,
)
from .protocol import nick_key, room_key

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
    bot INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (room, id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS sent (
    digest BLOB PRIMARY KEY,
    room TEXT NOT NULL,
    id INTEGER NOT NULL,
    ts INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS sent_by_ts ON sent (ts);
"""
# Columns added after a table was first created: (table, column, definition).
# A database of an older version gets them at start; its rows keep their
# values and take the column's default.
ADDED_COLUMNS = (("messages", "bot", "INTEGER NOT NULL DEFAULT 0"),)
# Expired ``sent`` rows are deleted at most this often, inside a batch.
SENT_CLEANUP_MS = 60_000
MAX_BATCH = 2000
SYNCHRONOUS_MODES = ("full", "normal", "off")
PROBE_BYTES = 256 * 1024
# Seconds between write probes: how long a disk that fills up while nobody
# writes, or frees space again, takes to show in /healthz.
PROBE_INTERVAL = 5.0


@dataclass(slots=True)
class _PendingMessage:
    room: str
    nick: str
    text: str
    ts: int
    future: asyncio.Future[StoredMessage]
    # Identifies a message sent with a ref (see dedupe_digest); None: never deduplicated.
    digest: bytes | None = None
    bot: bool = False


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
        if probe_interval <= 0:
            raise ValueError("probe_interval must be positive")
        self.probe_interval = probe_interval
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
        # The last real write's outcome and the last write probe's: the
        # store is healthy when neither failed.
        self._write_failed = False
        self._probe_failed = False
        self._prober: asyncio.Task[None] | None = None
        self._members: dict[str, dict[str, str]] = defaultdict(dict)
        # The rooms with members, sorted: a page of the rooms list is a
        # bisection here, not a sort of every room on every request.
        self._online: list[str] = []
        self._sinks: dict[str, EventSink] = {}
        # Look-alike keys of rooms in use (protocol.room_key -> room), and
        # the rooms with history, whose names stay held; loaded on first use.
        self._room_claims: dict[str, str] | None = None
        self._rooms_with_history: set[str] = set()
        self._sent_cleaned_at = 0

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
        # A server started on a full disk must say so from its first /healthz.
        await self._probe_write()
        self._prober = asyncio.create_task(self._probe_loop(), name="chatroom-store-probe")

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
        if self._prober is not None:
            self._prober.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._prober
            self._prober = None
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
        LocalBackend._add_columns(conn)
        conn.execute("INSERT OR IGNORE INTO meta (key, value) VALUES ('epoch', ?)", (secrets.token_hex(8),))
        # A database of another program may have tables of the same names:
        # better refuse it now than fail on the first message.
        conn.execute("SELECT room, id, nick, message, ts, bot FROM messages LIMIT 0")
        conn.execute("SELECT room, last_id FROM rooms LIMIT 0")
        conn.execute("SELECT digest, room, id, ts FROM sent LIMIT 0")
        row = conn.execute("SELECT value FROM meta WHERE key = 'epoch'").fetchone()
        return str(row[0])

    @staticmethod
    def _add_columns(conn: sqlite3.Connection) -> None:
        """Give a database of an older version the columns it lacks (ADDED_COLUMNS)."""
        for table, column, definition in ADDED_COLUMNS:
            present = {row[1] for row in conn.execute(f"PRAGMA table_info({table})")}
            if column not in present:
                log.info("upgrading the database: adding the column %s.%s", table, column)
                # Only the schema changes: SQLite does not rewrite the rows.
                conn.execute(f"ALTER TABLE {table} ADD COLUMN {column} {definition}")

    # --- writing ---------------------------------------------------------

    def publish(
        self, room: str, nick: str, text: str, *, ref: str | None = None, bot: bool = False
    ) -> asyncio.Future[StoredMessage]:
        """Queue a message for the next group commit; a resent ref resolves to the first."""
        assert self._loop is not None, "start() the backend first"
        future: asyncio.Future[StoredMessage] = self._loop.create_future()
        if self._writer is None or self._closing:
            future.set_exception(BackendError("the store is closed"))
        elif not storable(room, nick, text):
            future.set_exception(BackendError("the message has characters that cannot be stored"))
        else:
            digest = None if ref is None else dedupe_digest(room, dedupe_sender(nick, bot), ref, text)
            self._jobs.put(_PendingMessage(room, nick, text, now_ms(), future, digest, bot))
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
    ) -> list[tuple[StoredMessage, bool]]:
        """Store a batch in one transaction: each message, and whether it is new."""
        results: list[tuple[StoredMessage, bool]] = []
        sent: dict[bytes, StoredMessage] = {}
        conn.execute("BEGIN IMMEDIATE")
        try:
            for pending in messages:
                earlier = self._earlier_send(conn, pending, sent)
                if earlier is not None:
                    results.append((earlier, False))
                    continue
                msg_id = self._next_id(conn, pending.room, last_ids)
                message = StoredMessage(
                    msg_id, pending.room, pending.nick, pending.text, pending.ts, pending.bot
                )
                results.append((message, True))
                if pending.digest is not None:
                    sent[pending.digest] = message
            stored = [message for message, new in results if new]
            conn.executemany(
                "INSERT INTO messages (room, id, nick, message, ts, bot) VALUES (?, ?, ?, ?, ?, ?)",
                [(m.room, m.id, m.nick, m.text, m.ts, m.bot) for m in stored],
            )
            conn.executemany(
                "INSERT INTO rooms (room, last_id) VALUES (?, ?)"
                " ON CONFLICT (room) DO UPDATE SET last_id = excluded.last_id",
                [(room, last_ids[room]) for room in {m.room for m in stored}],
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
        conn: sqlite3.Connection, pending: _PendingMessage, sent: dict[bytes, StoredMessage]
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
        return (
            None if row is None else StoredMessage(row[0], pending.room, row[1], row[2], row[3], bool(row[4]))
        )

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

    def _stored(self, messages: list[_PendingMessage], stored: list[tuple[StoredMessage, bool]]) -> None:
        self._record_writes(write_failed=False, probe_failed=self._probe_failed)
        by_room: dict[str, list[Event]] = defaultdict(list)
        for pending, (message, new) in zip(messages, stored, strict=True):
            if not pending.future.done():
                pending.future.set_result(message)
            # A resend resolves to the first message, which the room has seen.
            if new:
                by_room[message.room].append(message)
        self._rooms_with_history.update(by_room)
        for room, events in by_room.items():
            self._deliver(room, events)

    def _fail(self, messages: list[_PendingMessage], error: sqlite3.Error) -> None:
        self._record_writes(write_failed=True, probe_failed=self._probe_failed, reason=str(error))
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
            "SELECT id, nick, message, ts, bot FROM messages WHERE room = ? AND id > ? AND id < ?"
            f" ORDER BY id {order} LIMIT ?"
        )
        low = after if after is not None else 0
        high = before if before is not None else 2**62
        rows = await self._read(lambda conn: conn.execute(sql, (room, low, high, limit)).fetchall())
        messages = [StoredMessage(row[0], room, row[1], row[2], row[3], bool(row[4])) for row in rows]
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
        """Readable, and neither the last write nor the last write probe failed."""
        try:
            await self._read(lambda conn: conn.execute("SELECT 1").fetchone())
        except BackendError:
            return False
        if self._writer is None or self._closing:
            return False
        return self._writable

    @property
    def _writable(self) -> bool:
        return not (self._write_failed or self._probe_failed)

    def _record_writes(self, *, write_failed: bool, probe_failed: bool, reason: str = "") -> None:
        """Note how the last write and probe went; say so once each time the answer changes."""
        was_writable = self._writable
        self._write_failed, self._probe_failed = write_failed, probe_failed
        if was_writable and not self._writable:
            log.error(
                "the store cannot be written: %s; /healthz answers 503 until %s can be written",
                reason,
                self.path,
            )
        elif self._writable and not was_writable:
            log.warning("the store accepts writes again")
        metrics.STORE_WRITABLE.set(1 if self._writable else 0)

    async def _probe_loop(self) -> None:
        while True:
            await asyncio.sleep(self.probe_interval)
            await self._probe_write()

    async def _probe_write(self) -> None:
        """Try a write the size of a busy batch on the writer thread; record the outcome."""
        if self._writer is None or self._closing:
            return
        assert self._loop is not None
        done: asyncio.Future[str | None] = self._loop.create_future()
        self._jobs.put(lambda conn: self._call_on_loop(done.set_result, self._write_probe_error(conn)))
        error = await done
        metrics.STORE_WRITE_PROBES.labels("failed" if error else "ok").inc()
        # Room for a busy batch means room for any write: an older failure is past.
        write_failed = self._write_failed and error is not None
        self._record_writes(write_failed=write_failed, probe_failed=error is not None, reason=error or "")

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

    # --- presence and fan-out -------------------------------------------

    async def is_online(self, room: str, nick: str) -> bool:
        """Whether a member of the room holds the nick (as reserve compares nicks)."""
        return nick_key(nick) in self._members.get(room, {})

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
            self._drop_unused_claim(room)
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

    # --- look-alike room names -------------------------------------------

    async def claim_room(self, room: str) -> str | None:
        """Hold ``room``'s look-alike key; the other room that already holds it, if any."""
        if self._room_claims is None:
            rows = await self._read(lambda conn: conn.execute("SELECT room FROM rooms").fetchall())
            self._rooms_with_history.update(str(name) for (name,) in rows)
            claims = {room_key(name): name for name in sorted(self._rooms_with_history)}
            if self._room_claims is None:
                self._room_claims = claims
        holder = self._room_claims.setdefault(room_key(room), room)
        return None if holder == room else holder

    def _drop_unused_claim(self, room: str) -> None:
        """An empty room without history no longer holds its name."""
        if self._room_claims is None or room in self._rooms_with_history:
            return
        key = room_key(room)
        if self._room_claims.get(key) == room:
            del self._room_claims[key]
