"""One batch of messages in one PostgreSQL transaction, ids assigned under room locks.

The batch first locks its rooms' rows in one fixed order, the names' code
point order, so two nodes storing into the same rooms wait for each other
and never deadlock. Then one statement looks up resends (the same digest and
window as SQLite's store; resends within the batch are folded into their
first copy before it), takes ids from the locked last ids, and writes the
messages, the new last ids and the sent digests. Whatever its size a batch
is one round trip on its connection: BEGIN, the lock, the store statement and
COMMIT pipelined, with arrays unnested on the server. Two nodes storing into
one room take turns on its row, so each commit is a round trip the other
waits for. A batch that fails rolls back, giving its ids back.
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
# Runs after the lock, as a statement of its own: its snapshot then holds
# what another node committed for the same rooms while this batch waited
# (the lock's own statement saw the rooms as they were when it began). One
# statement looks up the resends (``earlier``), numbers the others from the
# locked last ids (``fresh``), and writes the messages, the last ids and
# the sent digests; it answers each message's id, and a resend's first copy.
_STORE = """
WITH batch AS (
  SELECT * FROM unnest(
    %s::text[], %s::text[], %s::text[], %s::bigint[], %s::boolean[], %s::boolean[], %s::bytea[]
  ) WITH ORDINALITY AS b (room, nick, message, ts, bot, guest, digest, n)
), earlier AS (
  SELECT b.n, m.id, m.nick, m.message, m.ts, m.bot, m.guest
  FROM batch b JOIN sent s ON s.digest = b.digest AND s.ts > b.ts - %s
  JOIN messages m ON m.room = s.room AND m.id = s.id
), fresh AS (
  SELECT b.room, r.last_id + row_number() OVER (PARTITION BY b.room ORDER BY b.n) AS id,
    b.nick, b.message, b.ts, b.bot, b.guest, b.digest, b.n
  FROM batch b JOIN rooms r ON r.room = b.room
  WHERE b.n NOT IN (SELECT n FROM earlier)
), stored AS (
  INSERT INTO messages (room, id, nick, message, ts, bot, guest)
  SELECT room, id, nick, message, ts, bot, guest FROM fresh
), counted AS (
  UPDATE rooms SET last_id = top.last_id
  FROM (SELECT room, max(id) AS last_id FROM fresh GROUP BY room) AS top
  WHERE rooms.room = top.room
), recorded AS (
  INSERT INTO sent (digest, room, id, ts)
  SELECT digest, room, id, ts FROM fresh WHERE digest IS NOT NULL
  ON CONFLICT (digest) DO UPDATE SET room = excluded.room, id = excluded.id, ts = excluded.ts
)
SELECT n, id, NULL::text, NULL::text, NULL::bigint, NULL::boolean, NULL::boolean FROM fresh
UNION ALL SELECT n, id, nick, message, ts, bot, guest FROM earlier
"""
_SET_LAST_IDS = """
UPDATE rooms SET last_id = batch.last_id
FROM unnest(%s::text[], %s::bigint[]) AS batch (room, last_id)
WHERE rooms.room = batch.room
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
    """Store a batch in one transaction and one round trip: each message, and whether it is new.

    ``forget_before``: also delete sent digests of that time (ms) or older.
    """
    firsts, place = _first_sends(batch)
    rooms = sorted({pending.room for pending in firsts})
    columns = zip(*((p.room, p.nick, p.text, p.ts, p.bot, p.guest, p.digest) for p in firsts), strict=True)
    async with conn.pipeline():
        await conn.execute("BEGIN")
        await conn.execute(_LOCK_ROOMS, (rooms, [room_key(room) for room in rooms]))
        stored = await conn.execute(_STORE, [*(list(column) for column in columns), DEDUPE_WINDOW_MS])
        if forget_before is not None:
            await conn.execute(_FORGET_SENT, (forget_before, SENT_CLEANUP_ROWS))
        await conn.execute("COMMIT")
    outcomes = {int(row[0]): row for row in await stored.fetchall()}
    results = [_outcome(pending, outcomes[n]) for n, pending in enumerate(firsts, 1)]
    return [results[j] if j >= 0 else Appended(results[~j].message, False) for j in place]


def _first_sends(batch: list[Pending]) -> tuple[list[Pending], list[int]]:
    """The batch less its resends of a message earlier in it, and where each message's outcome is.

    A message's place is its index in the first list; a resend's is ``~i``,
    ``i`` the index of the message it repeats.
    """
    firsts: list[Pending] = []
    first_of: dict[bytes, int] = {}
    place: list[int] = []
    for pending in batch:
        if pending.digest is not None and pending.digest in first_of:
            place.append(~first_of[pending.digest])
            continue
        if pending.digest is not None:
            first_of[pending.digest] = len(firsts)
        place.append(len(firsts))
        firsts.append(pending)
    return firsts, place


def _outcome(pending: Pending, row: TupleRow) -> Appended:
    """A message's outcome from its row of the store statement: its id, or the first copy's row."""
    if row[2] is None:
        p = pending
        return Appended(StoredMessage(int(row[1]), p.room, p.nick, p.text, p.ts, p.bot, p.guest), True)
    return Appended(message_from_row(pending.room, row[1:]), False)


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
