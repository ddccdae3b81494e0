"""One batch of messages in one PostgreSQL transaction, ids assigned under room locks.

The batch first locks its rooms' rows in one fixed order, the names' code
point order, so two nodes storing into the same rooms wait for each other
and never deadlock. Then it looks up resends (the same digest and window as
SQLite's store, resends within the batch too), takes ids from the locked last
ids, and writes the messages, the new last ids and the sent digests. Whatever
its size a batch is two round trips on its connection: the lock with the
resend lookup, then the writes with the COMMIT, each pipelined, with arrays
unnested on the server. A batch that fails rolls back, giving its ids back.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg.rows import TupleRow

from ..backend import DEDUPE_WINDOW_MS, StoredMessage
from ..names import room_key
from .base import Appended, StoreError, encodable

Connection = psycopg.AsyncConnection[TupleRow]

# At most this many expired ``sent`` rows are deleted by one batch.
SENT_CLEANUP_ROWS = 10_000

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
SELECT s.digest, s.ts, m.id, m.nick, m.message, m.ts, m.bot, m.guest
FROM sent s JOIN messages m ON m.room = s.room AND m.id = s.id
WHERE s.digest = ANY(%s::bytea[]) AND s.ts > %s
"""
_INSERT_MESSAGES = """
INSERT INTO messages (room, id, nick, message, ts, bot, guest)
SELECT * FROM unnest(
    %s::text[], %s::bigint[], %s::text[], %s::text[], %s::bigint[], %s::boolean[], %s::boolean[]
)
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


@dataclass(slots=True)
class Pending:
    """A message waiting for the next batch, and the future its sender awaits."""

    room: str
    nick: str
    text: str
    ts: int
    bot: bool
    future: asyncio.Future[Appended]
    # Identifies a message sent with a ref (see dedupe_digest); None: never deduplicated.
    digest: bytes | None = None
    # Sent by a guest (no account) on a socket.
    guest: bool = False


def storable(*texts: str) -> bool:
    """Whether PostgreSQL can take these strings: UTF-8 (no lone surrogate) and no NUL.

    Checked before queueing: in the writer, such a value would fail the whole
    batch, other members' messages with it.
    """
    return encodable(*texts) and not any("\x00" in text for text in texts)


def message_from_row(room: str, row: Sequence[Any]) -> StoredMessage:
    """A message of ``room`` from a row of id, nick, message, ts, bot, guest."""
    msg_id, nick, text, ts, bot, guest = row
    return StoredMessage(int(msg_id), room, str(nick), str(text), int(ts), bool(bot), bool(guest))


async def lock_rooms(conn: Connection, rooms: list[str]) -> dict[str, int]:
    """Lock the rooms' rows (sorted names) in this transaction: their last ids, 0 for new rooms."""
    locked = await conn.execute(_LOCK_ROOMS, (rooms, [room_key(room) for room in rooms]))
    return {str(room): int(last_id) for room, last_id in await locked.fetchall()}


async def store_batch(conn: Connection, batch: list[Pending], forget_before: int | None) -> list[Appended]:
    """Store a batch in one transaction: each message, and whether it is new.

    ``forget_before``: also delete sent digests of that time (ms) or older.
    """
    rooms = sorted({pending.room for pending in batch})
    digests = [pending.digest for pending in batch if pending.digest is not None]
    async with conn.pipeline() as pipeline:
        await conn.execute("BEGIN")
        locked = await conn.execute(_LOCK_ROOMS, (rooms, [room_key(room) for room in rooms]))
        since = min(pending.ts for pending in batch) - DEDUPE_WINDOW_MS
        found = await conn.execute(_EARLIER_SENDS, (digests, since)) if digests else None
        await pipeline.sync()
        last_ids = {str(room): int(last_id) for room, last_id in await locked.fetchall()}
        earlier = {bytes(row[0]): row for row in await found.fetchall()} if found is not None else {}
        results, sent = _assign_ids(batch, last_ids, earlier)
        await _write(conn, results, sent, last_ids)
        if forget_before is not None:
            await conn.execute(_FORGET_SENT, (forget_before, SENT_CLEANUP_ROWS))
        await conn.execute("COMMIT")
    return results


async def _write(
    conn: Connection, results: list[Appended], sent: dict[bytes, StoredMessage], last_ids: dict[str, int]
) -> None:
    """Queue the batch's writes on the pipeline."""
    stored = [result.message for result in results if result.new]
    if stored:
        columns = zip(*((m.room, m.id, m.nick, m.text, m.ts, m.bot, m.guest) for m in stored), strict=True)
        await conn.execute(_INSERT_MESSAGES, [list(column) for column in columns])
        rooms = sorted({m.room for m in stored})
        await conn.execute(_SET_LAST_IDS, (rooms, [last_ids[room] for room in rooms]))
    if sent:
        messages = list(sent.values())
        await conn.execute(
            _RECORD_SENT,
            (list(sent), [m.room for m in messages], [m.id for m in messages], [m.ts for m in messages]),
        )


async def import_batch(conn: Connection, batch: list[StoredMessage]) -> None:
    """Store messages with their own ids (COPY), in the caller's transaction.

    Refuses (StoreError) a message whose id is not above its room's last id.
    """
    rooms = sorted({m.room for m in batch})
    last_ids = await lock_rooms(conn, rooms)
    for message in batch:
        if message.id <= last_ids[message.room]:
            raise StoreError(f"room {message.room!r} already has message {message.id}")
        last_ids[message.room] = message.id
    async with (
        conn.cursor() as cursor,
        cursor.copy("COPY messages (room, id, nick, message, ts, bot, guest) FROM STDIN") as copy,
    ):
        for m in batch:
            await copy.write_row((m.room, m.id, m.nick, m.text, m.ts, m.bot, m.guest))
    await conn.execute(_SET_LAST_IDS, (rooms, [last_ids[room] for room in rooms]))


def _assign_ids(
    batch: list[Pending], last_ids: dict[str, int], earlier: dict[bytes, TupleRow]
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
            last_ids[pending.room],
            pending.room,
            pending.nick,
            pending.text,
            pending.ts,
            pending.bot,
            pending.guest,
        )
        results.append(Appended(message, True))
        if pending.digest is not None:
            sent[pending.digest] = message
    return results, sent


def _earlier_send(
    pending: Pending, sent: dict[bytes, StoredMessage], earlier: dict[bytes, TupleRow]
) -> StoredMessage | None:
    """The message this one repeats (same room, sender, ref, text, within the window)."""
    if pending.digest is None:
        return None
    if pending.digest in sent:
        return sent[pending.digest]
    row = earlier.get(pending.digest)
    if row is None or row[1] <= pending.ts - DEDUPE_WINDOW_MS:
        return None
    return message_from_row(pending.room, row[2:])
