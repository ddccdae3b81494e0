"""One batch of messages in one PostgreSQL transaction, ids assigned under room locks.

The batch first locks its rooms' rows in one fixed order, the names' code
point order, so two nodes storing into the same rooms wait for each other
and never deadlock. Then one statement looks up resends (the same digest and
window as SQLite's store; resends within the batch are folded into their
first copy before it), takes ids from the locked last ids, and writes the
messages, the new last ids and the sent digests. Whatever its size a batch
is one statement on its connection, so one round trip: a call of a function
of the writer's own session (``pg_temp.chatroom_store``, made when its
connection opens, so it is always this code's) that runs the lock and the
store statement in the call's one transaction, with arrays unnested on the
server. Two nodes storing into one room take turns on its row, so each commit
is a round trip the other waits for. A batch that fails rolls back, giving
its ids back.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass

import psycopg
from psycopg.rows import TupleRow

from ..backend import DEDUPE_WINDOW_MS, StoredMessage
from ..events import FileInfo, ReplyQuote, StoredChange
from ..forwarded import Forwarded, searchable_text
from ..names import room_key
from .base import Appended, Outcome, StoreError, encodable
from .change_rules import ChangeRefusedError, gone_refusal, reply_refusal
from .file_rows import attachable, file_from_row
from .forward_rows import INSERT_FORWARD, forward_rows, pg
from .pg_batch_sql import (
    ATTACH_IMPORTED,
    CALL_STORE,
    FILES,
    FORGET_SENT,
    LOCK_ROOMS,
    SENT_CLEANUP_ROWS,
    SET_LAST_IDS,
    STORE,
    STORE_FUNCTION,
)
from .pg_changes import (
    PendingChange,
    apply_change,
    import_changes,
    read_messages,
    reply_quotes,
    thread_root_refusals,
)
from .pg_columns import bigint_column, boolean_column, bytea_column, register_columns, text_column
from .pg_search_rows import index_messages
from .records import ScheduledClaim
from .reply_follows import reply_follows
from .search_base import searchable
from .search_words import message_keys
from .sql_scheduled import TAKE_MANY as TAKE_SCHEDULED

Connection = psycopg.AsyncConnection[TupleRow]


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
    # The author's account; the message it replies to, and (once read in the batch) its quote.
    account_id: int | None = None
    reply_to: int | None = None
    # The file it carries.
    file_id: str | None = None
    # The root of the thread it replies in (checked in the batch: thread_rows.py); also sent to the room.
    thread: int | None = None
    broadcast: bool = False
    # The scheduled message it is: its row is deleted in the same transaction (scheduled_base.py).
    scheduled: ScheduledClaim | None = None
    # The message it forwards, as it is now (forwarded.py): its row is written in the same transaction.
    forward: Forwarded | None = None
    # Read in the batch: the quote of the message it replies to, what its file is.
    quote: ReplyQuote | None = None
    file: FileInfo | None = None


def storable(*texts: str) -> bool:
    """Whether PostgreSQL can take these strings: UTF-8 (no lone surrogate) and no NUL.

    Checked before queueing: in the writer, such a value would fail the whole
    batch, other members' messages with it.
    """
    return encodable(*texts) and not any("\x00" in text for text in texts)


async def prepare_writer(conn: Connection) -> None:
    """Make the writer's new connection ready for store_batch: the column types, the store function."""
    register_columns(conn)
    await conn.execute(STORE_FUNCTION)


async def lock_rooms(conn: Connection, rooms: list[str]) -> dict[str, int]:
    """Lock the rooms' rows (sorted names) in this transaction: their last ids, 0 for new rooms."""
    locked = await conn.execute(LOCK_ROOMS, (rooms, [room_key(room) for room in rooms]))
    return {str(room): int(last_id) for room, last_id in await locked.fetchall()}


async def store_batch(
    conn: Connection, batch: list[Pending | PendingChange], forget_before: int | None
) -> list[Outcome]:
    """Store a batch in one transaction, in order: each message's or change's outcome.

    Plain messages (the common batch) take one statement, a call of the
    session's STORE_FUNCTION (see prepare_writer); replies and changes read
    what they refer to inside the transaction, a few more.
    ``forget_before``: also delete sent digests of that time (ms) or older.
    """
    rooms = sorted({pending.room for pending in batch})
    if all(
        isinstance(p, Pending)
        and p.reply_to is None
        and p.file_id is None
        and p.thread is None
        and p.scheduled is None
        and p.forward is None
        for p in batch
    ):
        messages = [p for p in batch if isinstance(p, Pending)]
        firsts, place = _first_sends(messages)
        forget = (forget_before, SENT_CLEANUP_ROWS)
        locked = [text_column(rooms), text_column([room_key(room) for room in rooms])]
        stored = await conn.execute(CALL_STORE, [*locked, *_store_columns(firsts), *forget])
        return list(await _outcomes(conn, stored, firsts, place))
    await conn.execute("BEGIN")
    await lock_rooms(conn, rooms)
    results = await _store_in_order(conn, batch)
    await _forget_and_commit(conn, forget_before)
    return results


async def _forget_and_commit(conn: Connection, forget_before: int | None) -> None:
    if forget_before is not None:
        await conn.execute(FORGET_SENT, (forget_before, SENT_CLEANUP_ROWS))
    await conn.execute("COMMIT")


async def _store_in_order(conn: Connection, batch: list[Pending | PendingChange]) -> list[Outcome]:
    """Runs of messages, and changes one by one, in the batch's order (its transaction begun)."""
    results: list[Outcome] = []
    run: list[Pending] = []
    for item in [*batch, None]:
        if isinstance(item, Pending):
            run.append(item)
            continue
        if run:
            results += await _store_messages(conn, run)
            run = []
        if item is not None:
            try:
                results.append(await apply_change(conn, item))
            except ChangeRefusedError as refused:
                results.append(refused)
    return results


async def _store_messages(conn: Connection, run: list[Pending]) -> list[Outcome]:
    """A run of messages, replies' quotes and files read first: a reply to no message of its room, or a
    file the message may not carry, is refused."""
    outcomes = await _check_files(conn, run)
    await _check_threads(conn, run, outcomes)
    for room in {p.room for p in run if p.reply_to is not None}:
        ids = [p.reply_to for p in run if p.room == room and p.reply_to is not None]
        quotes = await reply_quotes(conn, room, ids)
        for index, pending in enumerate(run):
            if pending.room == room and pending.reply_to is not None:
                pending.quote = quotes.get(pending.reply_to)
                if pending.quote is None and outcomes[index] is None:
                    outcomes[index] = reply_refusal(pending.reply_to)
    await _take_scheduled(conn, run, outcomes)
    storing = [p for p, outcome in zip(run, outcomes, strict=True) if outcome is None]
    if storing:
        firsts, place = _first_sends(storing)
        stored = iter(await _outcomes(conn, await _send_store(conn, firsts), firsts, place))
        outcomes = [next(stored) if outcome is None else outcome for outcome in outcomes]
        new = [o.message for o in outcomes if isinstance(o, Appended) and o.new]
        inserts: list[tuple[str, Sequence[Sequence[object]]]] = [(INSERT_FORWARD, forward_rows(new))]
        for statement, rows in inserts + reply_follows(new):
            await _insert_rows(conn, statement, rows)
    return [outcome for outcome in outcomes if outcome is not None]


async def _insert_rows(conn: Connection, statement: str, rows: Sequence[Sequence[object]]) -> None:
    if rows:
        async with conn.cursor() as cursor:
            await cursor.executemany(pg(statement), rows)


async def _take_scheduled(conn: Connection, run: list[Pending], outcomes: list[Outcome | None]) -> None:
    """Delete the rows of the scheduled messages still to be stored; refuse (in ``outcomes``) each whose
    row is gone or was edited. A row another transaction deletes is waited for, then found gone."""
    taking = [(i, p.scheduled) for i, p in enumerate(run) if p.scheduled is not None and outcomes[i] is None]
    if not taking:
        return
    ids, versions = [c.id for _, c in taking], [c.version for _, c in taking]
    taken = {int(row[0]) for row in await (await conn.execute(TAKE_SCHEDULED, (ids, versions))).fetchall()}
    for index, claim in taking:
        if claim.id not in taken:
            outcomes[index] = gone_refusal()
        taken.discard(claim.id)  # the same row twice in the batch: its first message alone


async def _check_threads(conn: Connection, run: list[Pending], outcomes: list[Outcome | None]) -> None:
    """Refuse (in ``outcomes``) each thread reply whose root cannot take one (thread_rows.py)."""
    for room in {p.room for p in run if p.thread is not None}:
        roots = [p.thread for p in run if p.room == room and p.thread is not None]
        refusals = await thread_root_refusals(conn, room, roots)
        for index, pending in enumerate(run):
            if pending.room == room and pending.thread in refusals and outcomes[index] is None:
                outcomes[index] = refusals[pending.thread]


async def _check_files(conn: Connection, run: list[Pending]) -> list[Outcome | None]:
    """Each message's refusal for the file it would carry (None: none), the files it may carry taken."""
    outcomes: list[Outcome | None] = [None] * len(run)
    wanted = sorted({p.file_id for p in run if p.file_id is not None})
    if not wanted:
        return outcomes
    rows = await (await conn.execute(FILES, (wanted,))).fetchall()
    found = {file.info.id: file for file in map(file_from_row, rows)}
    for index, pending in enumerate(run):
        if pending.file_id is not None:
            try:
                pending.file = attachable(
                    found.pop(pending.file_id, None), pending.room, pending.file_id, pending.account_id
                )
            except ChangeRefusedError as refused:
                outcomes[index] = refused
    return outcomes


async def _send_store(conn: Connection, firsts: list[Pending]) -> psycopg.AsyncCursor[TupleRow]:
    return await conn.execute(STORE, _store_columns(firsts))


def _store_columns(firsts: list[Pending]) -> list[object]:
    """The store statement's parameters: a column of the messages' values each, then the resend window."""
    folded = [searchable(searchable_text(p.text, p.forward), p.file) for p in firsts]
    return [
        text_column([p.room for p in firsts]),
        text_column([p.nick for p in firsts]),
        text_column([p.text for p in firsts]),
        bigint_column([p.ts for p in firsts]),
        boolean_column([p.bot for p in firsts]),
        boolean_column([p.guest for p in firsts]),
        bytea_column([p.digest for p in firsts]),
        bigint_column([p.account_id for p in firsts]),
        bigint_column([p.reply_to for p in firsts]),
        bigint_column([p.thread for p in firsts]),
        boolean_column([p.broadcast for p in firsts]),
        text_column(folded),
        text_column([p.file_id for p in firsts]),
        # Made here, not by PostgreSQL: its CPU is the deployment's scarcest (pg_search_rows.py).
        text_column([message_keys(text, p.ts) for p, text in zip(firsts, folded, strict=True)]),
        DEDUPE_WINDOW_MS,
    ]


async def _outcomes(
    conn: Connection, stored: psycopg.AsyncCursor[TupleRow], firsts: list[Pending], place: list[int]
) -> list[Appended]:
    outcomes = {int(row[0]): row for row in await stored.fetchall()}
    results = []
    for n, pending in enumerate(firsts, 1):
        _, msg_id, resent = outcomes[n]
        if resent:
            results.append(Appended(await _first_copy(conn, pending.room, int(msg_id)), False))
        else:
            results.append(Appended(_stored(pending, int(msg_id)), True))
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


def _stored(p: Pending, msg_id: int) -> StoredMessage:
    """The message a pending one became, stored with ``msg_id``."""
    return StoredMessage(
        msg_id,
        p.room,
        p.nick,
        p.text,
        p.ts,
        p.bot,
        p.guest,
        p.account_id,
        p.quote,
        file=p.file,
        thread=p.thread,
        broadcast=p.broadcast,
        forward=p.forward,
    )


async def _first_copy(conn: Connection, room: str, msg_id: int) -> StoredMessage:
    """The message a resend repeats, whole as stored (its reply's quote, its author...): its answer."""
    return (await read_messages(conn, room, msg_id - 1, msg_id + 1, 1, False))[0]


async def import_batch(conn: Connection, batch: list[StoredMessage | StoredChange]) -> None:
    """Store messages and changes with their own ids (COPY), in the caller's transaction.

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
        cursor.copy(
            "COPY messages (room, id, nick, message, ts, bot, guest, account_id, reply_to, edited, deleted,"
            " file_id, thread_id, broadcast) FROM STDIN"
        ) as copy,
    ):
        for m in batch:
            if isinstance(m, StoredMessage):
                reply = None if m.reply_to is None else m.reply_to.id
                await copy.write_row(
                    (
                        m.room,
                        m.id,
                        m.nick,
                        m.text,
                        m.ts,
                        m.bot,
                        m.guest,
                        m.account_id,
                        reply,
                        m.edited,
                        m.deleted,
                        None if m.file is None else m.file.id,
                        m.thread,
                        m.broadcast,
                    )
                )
    await index_messages(conn, [m for m in batch if isinstance(m, StoredMessage)])
    await _insert_rows(conn, INSERT_FORWARD, forward_rows([m for m in batch if isinstance(m, StoredMessage)]))
    await import_changes(conn, [c for c in batch if isinstance(c, StoredChange)])
    carried = [m for m in batch if isinstance(m, StoredMessage) and m.file is not None]
    await conn.execute(
        ATTACH_IMPORTED,
        ([m.file.id for m in carried if m.file], [m.room for m in carried], [m.id for m in carried]),
    )
    await conn.execute(SET_LAST_IDS, (rooms, [last_ids[room] for room in rooms]))


async def set_epoch(conn: Connection, epoch: str) -> None:
    """Make ``epoch`` the database's own, in the caller's transaction; StoreError once it holds messages.

    The lock on rooms waits for, and then holds off, every transaction that
    stores messages: they all take their rooms' rows first.
    """
    await conn.execute("LOCK TABLE rooms IN SHARE ROW EXCLUSIVE MODE")
    held = await (await conn.execute("SELECT EXISTS (SELECT 1 FROM messages)")).fetchone()
    if held is None or held[0]:
        raise StoreError("cannot keep the epoch: the database already holds messages")
    await conn.execute("UPDATE meta SET value = %s WHERE key = 'epoch'", (epoch,))
