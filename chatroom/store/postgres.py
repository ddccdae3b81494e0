"""PostgresStore: the store that every process and node of a deployment shares.

One writer task per process drains the queue of pending appends into one
transaction per batch (group commit: one WAL flush for a burst). Ids are
assigned inside that transaction. The batch first locks its rooms' rows in
one fixed order, the rooms' names in code point order, so two nodes storing
into the same rooms wait for each other and never deadlock; then it looks up
resends, takes ids from the locked last ids, and stores the messages, the new
last ids and the sent digests. Whatever its size a batch costs three round
trips: the pool's check of the connection, the lock with the resend lookup,
and the writes with the COMMIT (pipelined, arrays unnested on the server). A
batch that fails rolls back, which gives its ids back.

Connections come from a pool that checks each one before handing it out, so
the connections a server restart broke are replaced without restarting
chatroom. Every wait is bounded by ``timeout``: while the server is away
appends fail with StoreError (the chat says ``unavailable``) instead of
hanging, and ``healthy`` says so. The schema is brought up to date at start
(chatroom/store/pg_schema.py).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, LiteralString

import psycopg
from psycopg.rows import TupleRow
from psycopg_pool import AsyncConnectionPool

from ..backend import DEDUPE_WINDOW_MS, StoredMessage, dedupe_digest, now_ms, prefix_end
from ..names import nick_key, room_key
from . import pg_schema
from .base import Appended, RoomRow, StoreError, StoreStartupError
from .health import WriteHealth

log = logging.getLogger("chatroom.store")

MAX_BATCH = 2000
PROBE_INTERVAL = 5.0
POOL_SIZE = 4
# Seconds: the longest an append, a read or a probe waits for the server.
TIMEOUT = 5.0
# Expired ``sent`` rows are deleted at most this often, at most this many at a time.
SENT_CLEANUP_MS = 60_000
SENT_CLEANUP_ROWS = 10_000

_Connection = psycopg.AsyncConnection[TupleRow]

# Taking the rooms' rows in one order is what keeps two nodes from
# deadlocking: INSERT locks the rows in the order its SELECT yields them.
# A new room's row (last id 0) only outlives the transaction with a message.
_LOCK_ROOMS = """
INSERT INTO rooms (room, last_id, key)
SELECT room, 0, key FROM unnest(%s::text[], %s::text[]) AS batch (room, key)
ORDER BY room COLLATE "C"
ON CONFLICT (room) DO UPDATE SET last_id = rooms.last_id
RETURNING room, last_id
"""
# Runs after the lock, in a statement of its own: it then sees what another
# node committed for the same rooms while this batch waited.
_EARLIER_SENDS = """
SELECT s.digest, s.ts, m.id, m.nick, m.message, m.ts, m.bot
FROM sent s JOIN messages m ON m.room = s.room AND m.id = s.id
WHERE s.digest = ANY(%s::bytea[]) AND s.ts > %s
"""
_INSERT_MESSAGES = """
INSERT INTO messages (room, id, nick, message, ts, bot)
SELECT * FROM unnest(%s::text[], %s::bigint[], %s::text[], %s::text[], %s::bigint[], %s::boolean[])
"""
_SET_LAST_IDS = """
UPDATE rooms SET last_id = batch.last_id
FROM unnest(%s::text[], %s::bigint[]) AS batch (room, last_id)
WHERE rooms.room = batch.room
"""
_RECORD_SENT = """
INSERT INTO sent (digest, room, id, ts)
SELECT * FROM unnest(%s::bytea[], %s::text[], %s::bigint[], %s::bigint[])
ON CONFLICT (digest) DO UPDATE SET room = excluded.room, id = excluded.id, ts = excluded.ts
"""
# SKIP LOCKED: the cleanup never waits for another batch, so it cannot close
# a cycle of waits with one.
_FORGET_SENT = """
DELETE FROM sent WHERE digest IN
(SELECT digest FROM sent WHERE ts <= %s LIMIT %s FOR UPDATE SKIP LOCKED)
"""
_PROBE = (
    "INSERT INTO meta (key, value) VALUES ('probe', %s)"
    " ON CONFLICT (key) DO UPDATE SET value = excluded.value"
)
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


def storable(*texts: str) -> bool:
    """Whether PostgreSQL can take these strings: UTF-8 (no lone surrogate) and no NUL.

    Checked before queueing: in the writer, such a value would fail the whole
    batch, other members' messages with it.
    """
    try:
        for text in texts:
            text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return not any("\x00" in text for text in texts)


def _message(room: str, row: Sequence[Any]) -> StoredMessage:
    msg_id, nick, text, ts, bot = row
    return StoredMessage(int(msg_id), room, str(nick), str(text), int(ts), bool(bot))


class PostgresStore:
    """History in a PostgreSQL database that many processes and nodes share."""

    def __init__(
        self,
        url: str,
        *,
        max_batch: int = MAX_BATCH,
        probe_interval: float = PROBE_INTERVAL,
        pool_size: int = POOL_SIZE,
        timeout: float = TIMEOUT,
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
        self._pool: AsyncConnectionPool[_Connection] | None = None
        self._queue: asyncio.Queue[_Pending | None] = asyncio.Queue()
        self._writer: asyncio.Task[None] | None = None
        self._closing = False
        self._loop: asyncio.AbstractEventLoop | None = None
        self._epoch = ""
        self._sent_cleaned_at = 0
        self.health = WriteHealth(self.target.where, probe_interval, self._probe_write)

    # --- lifecycle -------------------------------------------------------

    async def start(self) -> None:
        """Bring the schema up to date, open the pool, start the writer."""
        self._loop = asyncio.get_running_loop()
        # The migration's fix hooks are synchronous: one plain connection, off the loop.
        self._epoch = await asyncio.to_thread(pg_schema.migrate, self.target)
        pool: AsyncConnectionPool[_Connection] = AsyncConnectionPool(
            self.target.conninfo,
            min_size=1,
            max_size=self.pool_size,
            open=False,
            name="chatroom-store",
            timeout=self.timeout,
            check=AsyncConnectionPool.check_connection,
            configure=self.target.configure,
            kwargs={"autocommit": True},
            # A short give-up makes the pool try afresh, without backing off
            # further, as soon as it is asked again: it follows the server back.
            reconnect_timeout=max(self.timeout, 5.0),
        )
        try:
            await pool.open(wait=True, timeout=self.timeout)
        except psycopg.Error as error:
            await pool.close()
            raise StoreStartupError(
                f"cannot connect to the PostgreSQL database {self.target.where}: {self.target.say(error)}"
            ) from None
        self._pool = pool
        self._writer = asyncio.create_task(self._write_loop(), name="chatroom-store-writer")
        await self.health.start()

    async def close(self) -> None:
        """Commit every queued message, then stop the writer and close the pool."""
        # From here on append() refuses: nothing may queue behind the stop.
        self._closing = True
        await self.health.stop()
        if self._writer is not None:
            self._queue.put_nowait(None)
            await self._writer
            self._writer = None
        if self._pool is not None:
            await self._pool.close()
            self._pool = None

    # --- writing ---------------------------------------------------------

    def append(
        self, room: str, nick: str, text: str, *, ref: str | None = None, bot: bool = False
    ) -> asyncio.Future[Appended]:
        """Queue a message for the next group commit; a resent ref resolves to the first."""
        assert self._loop is not None, "start() the store first"
        future: asyncio.Future[Appended] = self._loop.create_future()
        if self._writer is None or self._closing:
            future.set_exception(StoreError("the store is closed"))
        elif not storable(room, nick, text):
            future.set_exception(StoreError("the message has characters that cannot be stored"))
        else:
            digest = None if ref is None else dedupe_digest(room, nick_key(nick), ref, text)
            self._queue.put_nowait(_Pending(room, nick, text, now_ms(), bot, future, digest))
        return future

    async def _write_loop(self) -> None:
        while True:
            batch, stop = self._collect_batch(await self._queue.get())
            if batch:
                await self._run_batch(batch)
            if stop:
                return

    def _collect_batch(self, first: _Pending | None) -> tuple[list[_Pending], bool]:
        batch: list[_Pending] = []
        job = first
        while job is not None:
            batch.append(job)
            if len(batch) >= self.max_batch or self._queue.empty():
                return batch, False
            job = self._queue.get_nowait()
        return batch, True

    async def _run_batch(self, batch: list[_Pending]) -> None:
        try:
            async with asyncio.timeout(self.timeout):
                results = await self._store(batch)
        except (psycopg.Error, TimeoutError) as error:
            reason = self._reason(error)
            self.health.record_write(reason)
            for pending in batch:
                if not pending.future.done():
                    pending.future.set_exception(StoreError(f"cannot store the message: {reason}"))
            return
        self.health.record_write(None)
        for pending, result in zip(batch, results, strict=True):
            if not pending.future.done():
                pending.future.set_result(result)

    async def _store(self, batch: list[_Pending]) -> list[Appended]:
        """Store a batch in one transaction: each message, and whether it is new."""
        assert self._pool is not None
        rooms = sorted({pending.room for pending in batch})
        digests = [pending.digest for pending in batch if pending.digest is not None]
        async with self._pool.connection() as conn, conn.pipeline() as pipeline:
            await conn.execute("BEGIN")
            locked = await conn.execute(_LOCK_ROOMS, (rooms, [room_key(room) for room in rooms]))
            since = min(pending.ts for pending in batch) - DEDUPE_WINDOW_MS
            found = await conn.execute(_EARLIER_SENDS, (digests, since)) if digests else None
            await pipeline.sync()
            last_ids = {str(room): int(last_id) for room, last_id in await locked.fetchall()}
            earlier = {bytes(row[0]): row for row in await found.fetchall()} if found is not None else {}
            results, sent = _assign_ids(batch, last_ids, earlier)
            await self._write(conn, results, sent, last_ids)
            await conn.execute("COMMIT")
        return results

    async def _write(
        self,
        conn: _Connection,
        results: list[Appended],
        sent: dict[bytes, StoredMessage],
        last_ids: dict[str, int],
    ) -> None:
        """Queue the batch's writes on the pipeline."""
        stored = [result.message for result in results if result.new]
        if stored:
            columns = zip(*((m.room, m.id, m.nick, m.text, m.ts, m.bot) for m in stored), strict=True)
            await conn.execute(_INSERT_MESSAGES, [list(column) for column in columns])
            rooms = sorted({m.room for m in stored})
            await conn.execute(_SET_LAST_IDS, (rooms, [last_ids[room] for room in rooms]))
        if sent:
            messages = list(sent.values())
            await conn.execute(
                _RECORD_SENT,
                (list(sent), [m.room for m in messages], [m.id for m in messages], [m.ts for m in messages]),
            )
        now = now_ms()
        if now - self._sent_cleaned_at >= SENT_CLEANUP_MS:
            await conn.execute(_FORGET_SENT, (now - DEDUPE_WINDOW_MS, SENT_CLEANUP_ROWS))
            self._sent_cleaned_at = now

    def _reason(self, error: BaseException) -> str:
        if isinstance(error, TimeoutError):
            return f"no answer from PostgreSQL within {self.timeout:g} s"
        return self.target.say(error)

    # --- reading ---------------------------------------------------------

    async def _fetch(self, sql: LiteralString, params: Sequence[object] = ()) -> list[TupleRow]:
        if self._pool is None or self._closing:
            raise StoreError("the store is closed")
        try:
            async with asyncio.timeout(self.timeout), self._pool.connection() as conn:
                return await (await conn.execute(sql, params)).fetchall()
        except (psycopg.Error, TimeoutError) as error:
            raise StoreError(f"cannot read the store: {self._reason(error)}") from None

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
        sql = (
            f"SELECT {_COLUMNS} FROM messages WHERE room = %s AND id > %s AND id < %s"
            f" ORDER BY id {'DESC' if newest else 'ASC'} LIMIT %s"
        )
        low = after if after is not None else 0
        high = before if before is not None else 2**62
        messages = [_message(room, row) for row in await self._fetch(sql, (room, low, high, limit))]
        return messages[::-1] if newest else messages

    async def last_id(self, room: str) -> int:
        """The id of the room's latest stored message."""
        rows = await self._fetch("SELECT last_id FROM rooms WHERE room = %s", (room,))
        return int(rows[0][0]) if rows else 0

    async def epoch(self) -> str:
        """One epoch for the whole database: a new database starts every room over."""
        return self._epoch

    async def rooms(self, *, prefix: str = "", after: str = "", limit: int = 50) -> list[RoomRow]:
        """A page of the rooms with history, read through the primary key ("C": code point order)."""
        end = prefix_end(prefix)
        params: list[object] = [after, prefix]
        sql: LiteralString = "SELECT room, last_id FROM rooms WHERE room > %s AND room >= %s"
        if end is not None:
            sql += " AND room < %s"
            params.append(end)
        sql += " ORDER BY room LIMIT %s"
        params.append(limit)
        return [RoomRow(str(room), int(last_id)) for room, last_id in await self._fetch(sql, params)]

    async def room_holding(self, key: str) -> str | None:
        """The room with history whose look-alike key is ``key``."""
        rows = await self._fetch("SELECT room FROM rooms WHERE key = %s ORDER BY room LIMIT 1", (key,))
        return str(rows[0][0]) if rows else None

    async def healthy(self) -> bool:
        """The server answers, and neither the last write nor the last write probe failed."""
        if self._writer is None or self._closing or not self.health.writable:
            return False
        try:
            await self._fetch("SELECT 1")
        except StoreError:
            return False
        return True

    # --- export and import -----------------------------------------------

    async def room_names(self, after: str, limit: int) -> list[str]:
        """Names of rooms with history after ``after``, in order (for export)."""
        return [row.room for row in await self.rooms(after=after, limit=limit)]

    async def export_messages(self, room: str, after: int, limit: int) -> list[StoredMessage]:
        """Messages of ``room`` with id > ``after``, oldest first."""
        return await self.history(room, after=after, limit=limit, newest=False)

    async def import_messages(self, messages: Iterable[StoredMessage]) -> int:
        """Store messages with their own ids and times, in one transaction (COPY)."""
        batch = list(messages)
        if self._pool is None or self._closing:
            raise StoreError("the store is closed")
        if not all(storable(m.room, m.nick, m.text) for m in batch):
            raise StoreError("cannot import: a message has characters that cannot be stored")
        try:
            async with self._pool.connection() as conn, conn.transaction():
                await self._import(conn, batch)
        except psycopg.Error as error:
            raise StoreError(f"cannot import: {self.target.say(error)}") from None
        return len(batch)

    @staticmethod
    async def _import(conn: _Connection, batch: list[StoredMessage]) -> None:
        rooms = sorted({m.room for m in batch})
        locked = await conn.execute(_LOCK_ROOMS, (rooms, [room_key(room) for room in rooms]))
        last_ids = {str(room): int(last_id) for room, last_id in await locked.fetchall()}
        for message in batch:
            if message.id <= last_ids[message.room]:
                raise StoreError(f"room {message.room!r} already has message {message.id}")
            last_ids[message.room] = message.id
        async with (
            conn.cursor() as cursor,
            cursor.copy("COPY messages (room, id, nick, message, ts, bot) FROM STDIN") as copy,
        ):
            for m in batch:
                await copy.write_row((m.room, m.id, m.nick, m.text, m.ts, m.bot))
        await conn.execute(_SET_LAST_IDS, (rooms, [last_ids[room] for room in rooms]))

    # --- the write probe ---------------------------------------------------

    async def _probe_write(self) -> str | None:
        """A small write in a transaction of its own: None, or why it failed.

        PostgreSQL has no per-database disk check to ask; a write that fails
        (a full disk, a read-only standby, a server that is away) is what matters.
        """
        if self._pool is None or self._closing:
            return None
        try:
            async with asyncio.timeout(self.timeout), self._pool.connection() as conn:
                await conn.execute(_PROBE, (str(now_ms()),))
        except (psycopg.Error, TimeoutError) as error:
            return self._reason(error)
        return None


def _assign_ids(
    batch: list[_Pending], last_ids: dict[str, int], earlier: dict[bytes, TupleRow]
) -> tuple[list[Appended], dict[bytes, StoredMessage]]:
    """Each message's outcome, ids taken from ``last_ids`` (updated); the digests to record."""
    results: list[Appended] = []
    sent: dict[bytes, StoredMessage] = {}
    for pending in batch:
        first = _earlier_send(pending, sent, earlier)
        if first is not None:
            results.append(Appended(first, False))
            continue
        last_ids[pending.room] += 1
        message = StoredMessage(
            last_ids[pending.room], pending.room, pending.nick, pending.text, pending.ts, pending.bot
        )
        results.append(Appended(message, True))
        if pending.digest is not None:
            sent[pending.digest] = message
    return results, sent


def _earlier_send(
    pending: _Pending, sent: dict[bytes, StoredMessage], earlier: dict[bytes, TupleRow]
) -> StoredMessage | None:
    """The message this one repeats (same room, sender, ref, text, within the window)."""
    if pending.digest is None:
        return None
    if pending.digest in sent:
        return sent[pending.digest]
    row = earlier.get(pending.digest)
    if row is None or row[1] <= pending.ts - DEDUPE_WINDOW_MS:
        return None
    return _message(pending.room, row[2:])
