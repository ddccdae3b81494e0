"""What the SQLite store runs on its writer's connection: functions of a connection, no threads.

Every write is one ``BEGIN IMMEDIATE`` transaction (``transaction``): SQLite's
write lock is taken at the start, so ids read inside it are the file's
latest even when other processes share the file.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import sqlite3
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from ..backend import DEDUPE_WINDOW_MS, StoredChange, StoredMessage
from ..events import FileInfo
from ..forwarded import Forwarded
from ..names import room_key
from . import migrations
from .base import Appended, Outcome, StoreError
from .change_rules import Changed, ChangeRefusedError, ChangeRequest, gone_refusal
from .file_rows import ATTACH, SELECT_FILE, attachable, file_from_row
from .forward_rows import INSERT_FORWARD, forward_rows
from .records import ScheduledClaim
from .reply_follows import reply_follows
from .sql_scheduled import TAKE
from .sqlite_changes import apply_change, import_changes, read_messages, reply_quote, thread_root_refusal
from .sqlite_lock import begin
from .sqlite_search import index_messages

PROBE_BYTES = 256 * 1024


@dataclass(slots=True)
class PendingMessage:
    """A message queued for the next batch."""

    room: str
    nick: str
    text: str
    ts: int
    bot: bool
    future: asyncio.Future[Appended]
    # Identifies a message sent with a ref (see backend.dedupe_digest); None: never deduplicated.
    digest: bytes | None = None
    # Sent by a guest (no account) on a socket.
    guest: bool = False
    # The author's account; the message it replies to.
    account_id: int | None = None
    reply_to: int | None = None
    # The file it carries (saved by store.files, attached in the same transaction).
    file_id: str | None = None
    # The root of the thread it replies in (checked in the same transaction: thread_rows.py), and
    # whether it is also sent to the room.
    thread: int | None = None
    broadcast: bool = False
    # The scheduled message it is: its row is deleted in the same transaction (scheduled_base.py).
    scheduled: ScheduledClaim | None = None
    # The message it forwards, as it is now (forwarded.py).
    forward: Forwarded | None = None


@dataclass(slots=True)
class PendingChange:
    """A change to a message queued for the next batch."""

    room: str
    request: ChangeRequest
    ts: int
    future: asyncio.Future[Changed]


@contextlib.contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[None]:
    """BEGIN IMMEDIATE ... COMMIT, rolled back on any error; the lock waited for as sqlite_lock.py says."""
    begin(conn)
    try:
        yield
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise


class _Cursor:
    """migrations.Cursor over a sqlite3 connection."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def fetchall(self, sql: str, params: Sequence[object] = ()) -> list[tuple[object, ...]]:
        return self.conn.execute(sql, params).fetchall()

    def executemany(self, sql: str, rows: Sequence[Sequence[object]]) -> None:
        self.conn.executemany(sql, rows)


def migrate(conn: sqlite3.Connection, where: str) -> str:
    """Apply the missing schema steps; the database's epoch."""
    with transaction(conn):
        conn.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
        row = conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
        for step in migrations.pending_steps(int(row[0]) if row else 0, where):
            for sql in step.sqlite:
                conn.execute(sql)
            if step.fix is not None:
                step.fix(_Cursor(conn))
            conn.execute(
                "INSERT INTO meta (key, value) VALUES ('schema_version', ?)"
                " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (str(step.version),),
            )
        conn.execute("INSERT OR IGNORE INTO meta (key, value) VALUES ('epoch', ?)", (secrets.token_hex(8),))
        # A database of another program may have tables of the same names:
        # better refuse it now than fail on the first message.
        conn.execute("SELECT room, id, nick, message, ts, bot, guest FROM messages LIMIT 0")
        conn.execute("SELECT room, last_id, key FROM rooms LIMIT 0")
        epoch = conn.execute("SELECT value FROM meta WHERE key = 'epoch'").fetchone()[0]
    return str(epoch)


def store_batch(
    conn: sqlite3.Connection, items: Sequence[PendingMessage | PendingChange], *, forget_sent: bool
) -> list[Outcome]:
    """Store a batch of messages and changes in one transaction, in order: each one's outcome.

    With ``forget_sent`` the refs past the deduplication window are deleted too.
    """
    results: list[Outcome] = []
    sent: dict[bytes, StoredMessage] = {}
    last_ids: dict[str, int] = {}
    attached: set[str] = set()
    with transaction(conn):
        for item in items:
            try:
                results.append(_store_one(conn, item, sent, last_ids, attached))
            except ChangeRefusedError as refused:
                results.append(refused)
        new = [r.message for r in results if isinstance(r, Appended) and r.new]
        _insert(conn, new, last_ids)
        for statement, rows in reply_follows(new):
            if rows:  # a batch without a thread reply has none
                conn.executemany(statement, rows)
        conn.executemany(
            "INSERT OR REPLACE INTO sent (digest, room, id, ts) VALUES (?, ?, ?, ?)",
            [(digest, m.room, m.id, m.ts) for digest, m in sent.items()],
        )
        if forget_sent:
            conn.execute("DELETE FROM sent WHERE ts <= ?", (items[-1].ts - DEDUPE_WINDOW_MS,))
    return results


def _store_one(
    conn: sqlite3.Connection,
    item: PendingMessage | PendingChange,
    sent: dict[bytes, StoredMessage],
    last_ids: dict[str, int],
    attached: set[str],
) -> Appended | Changed:
    if isinstance(item, PendingChange):
        return apply_change(
            conn, item.room, item.request, item.ts, lambda: _next_id(conn, item.room, last_ids)
        )
    earlier = _earlier_send(conn, item, sent)
    if earlier is not None:
        return Appended(earlier, False)
    refused = None if item.thread is None else thread_root_refusal(conn, item.room, item.thread)
    if refused is not None:
        raise refused
    reply = None if item.reply_to is None else reply_quote(conn, item.room, item.reply_to)
    file = None if item.file_id is None else _attachable(conn, item, attached)
    if (
        item.scheduled is not None
        and not conn.execute(TAKE, (item.scheduled.id, item.scheduled.version)).rowcount
    ):
        raise gone_refusal()
    message = StoredMessage(
        _next_id(conn, item.room, last_ids),
        item.room,
        item.nick,
        item.text,
        item.ts,
        item.bot,
        item.guest,
        item.account_id,
        reply,
        file=file,
        thread=item.thread,
        broadcast=item.broadcast,
        forward=item.forward,
    )
    if item.digest is not None:
        sent[item.digest] = message
    return Appended(message, True)


def _attachable(conn: sqlite3.Connection, item: PendingMessage, attached: set[str]) -> FileInfo:
    """The file the message may carry, taken for it; ChangeRefusedError when it may not."""
    assert item.file_id is not None
    row = None if item.file_id in attached else conn.execute(SELECT_FILE, (item.file_id,)).fetchone()
    info = attachable(None if row is None else file_from_row(row), item.room, item.file_id, item.account_id)
    attached.add(info.id)
    return info


def _insert(conn: sqlite3.Connection, messages: list[StoredMessage], last_ids: dict[str, int]) -> None:
    conn.executemany(
        "INSERT INTO messages (room, id, nick, message, ts, bot, guest, account_id, reply_to, edited,"
        " deleted, file_id, thread_id, broadcast) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (
                m.room,
                m.id,
                m.nick,
                m.text,
                m.ts,
                int(m.bot),
                int(m.guest),
                m.account_id,
                _reply_id(m),
                m.edited,
                int(m.deleted),
                None if m.file is None else m.file.id,
                m.thread,
                int(m.broadcast),
            )
            for m in messages
        ],
    )
    conn.executemany(ATTACH, [(m.room, m.id, m.file.id) for m in messages if m.file is not None])
    conn.executemany(INSERT_FORWARD, forward_rows(messages))
    index_messages(conn, messages)
    conn.executemany(
        "INSERT INTO rooms (room, last_id, key) VALUES (?, ?, ?)"
        " ON CONFLICT (room) DO UPDATE SET last_id = excluded.last_id",
        [(room, last_id, room_key(room)) for room, last_id in last_ids.items()],
    )


def _reply_id(message: StoredMessage) -> int | None:
    return None if message.reply_to is None else message.reply_to.id


def _earlier_send(
    conn: sqlite3.Connection, pending: PendingMessage, sent: dict[bytes, StoredMessage]
) -> StoredMessage | None:
    """The message this one repeats (same room, sender, ref, text, within the window)."""
    if pending.digest is None:
        return None
    if pending.digest in sent:
        return sent[pending.digest]
    row = conn.execute(
        "SELECT m.id FROM sent s JOIN messages m ON m.room = s.room AND m.id = s.id"
        " WHERE s.digest = ? AND s.ts > ?",
        (pending.digest, pending.ts - DEDUPE_WINDOW_MS),
    ).fetchone()
    if row is None:
        return None
    # The whole message as stored (its reply's quote, its author...): the resend is answered with it.
    first_id = int(row[0])
    return read_messages(conn, pending.room, first_id - 1, first_id + 1, 1, False)[0]


def _last_id(conn: sqlite3.Connection, room: str) -> int:
    row = conn.execute("SELECT last_id FROM rooms WHERE room = ?", (room,)).fetchone()
    return int(row[0]) if row else 0


def _next_id(conn: sqlite3.Connection, room: str, last_ids: dict[str, int]) -> int:
    # Read inside the transaction, never cached across batches: another
    # process sharing the file may have stored since.
    if room not in last_ids:
        last_ids[room] = _last_id(conn, room)
    last_ids[room] += 1
    return last_ids[room]


def set_epoch(conn: sqlite3.Connection, epoch: str) -> None:
    """Make ``epoch`` the database's own; StoreError once it holds any message."""
    with transaction(conn):
        if conn.execute("SELECT 1 FROM messages LIMIT 1").fetchone() is not None:
            raise StoreError("the database already holds messages")
        conn.execute("UPDATE meta SET value = ? WHERE key = 'epoch'", (epoch,))


def import_batch(conn: sqlite3.Connection, batch: list[StoredMessage | StoredChange]) -> int:
    """Store messages and changes with their own ids and times; StoreError for an id not above its room's."""
    with transaction(conn):
        last_ids: dict[str, int] = {}
        for message in batch:
            if message.room not in last_ids:
                last_ids[message.room] = _last_id(conn, message.room)
            if message.id <= last_ids[message.room]:
                raise StoreError(f"room {message.room!r} already has message {message.id}")
            last_ids[message.room] = message.id
        _insert(conn, [m for m in batch if isinstance(m, StoredMessage)], last_ids)
        import_changes(conn, [c for c in batch if isinstance(c, StoredChange)])
    return len(batch)


def write_probe_error(conn: sqlite3.Connection) -> str | None:
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
