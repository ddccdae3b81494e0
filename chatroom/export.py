"""The export format: a database's history as JSON Lines, written from a store and read back into one.

Line 1 is a header, ``{"type": "chatroom-export", "version": 1, "schema": N,
"epoch": E}``; every further line is one record, a JSON object whose ``type``
says what it holds. Version 1 has one kind, ``message``, one line per stored
message, rooms in code point order and each room's messages in id order.
Later kinds (accounts, memberships...) come as new types: a reader refuses a
type it does not know rather than drop what it holds, and ignores fields it
does not know. docs/storage.md describes the format for people.

An import reads its file twice: first to check every line and that the
database holds none of its messages, then to store them in batches, each in
one transaction with its ids and times. So a bad file or a database that
already has the messages changes nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import IO, Any

import orjson

from .backend import StoredMessage
from .config import Settings
from .store import migrations, open_store
from .store.base import Store

FORMAT = "chatroom-export"
VERSION = 1
# Pages and batches: memory stays bounded whatever the database holds.
ROOMS_PAGE = 100
MESSAGES_PAGE = 1000
IMPORT_BATCH = 1000
# Ids below the bound the stores page with; times that fit a 64-bit integer.
MAX_ID = 2**62 - 1
MAX_TS = 2**63 - 1


class ExportFileError(Exception):
    """A line of the file is not what an export holds: the file is wrong, not the database."""

    def __init__(self, line: int, reason: str) -> None:
        super().__init__(f"line {line}: {reason}")
        self.line = line


class ImportRefusedError(Exception):
    """The database cannot take the file as it is (it holds some of its messages, say)."""


@dataclass(frozen=True, slots=True)
class Header:
    """What line 1 says: the format's version, the schema it was written from, the epoch."""

    version: int
    schema: int
    epoch: str


@dataclass(slots=True)
class Summary:
    """How much an export wrote or an import stored."""

    rooms: int = 0
    messages: int = 0


@dataclass(slots=True)
class Checked:
    """A file whose every line was checked: its header, and each room's first id."""

    header: Header
    first_ids: dict[str, int] = field(default_factory=dict)
    messages: int = 0


# --- writing ---------------------------------------------------------------


def header_line(epoch: str) -> bytes:
    """Line 1 of an export."""
    record = {"type": FORMAT, "version": VERSION, "schema": migrations.LATEST, "epoch": epoch}
    return orjson.dumps(record) + b"\n"


def message_line(message: StoredMessage) -> bytes:
    """The line of one stored message."""
    record = {
        "type": "message",
        "room": message.room,
        "id": message.id,
        "nick": message.nick,
        "message": message.text,
        "ts": message.ts,
        "bot": message.bot,
    }
    return orjson.dumps(record) + b"\n"


async def export_history(store: Store, out: IO[bytes]) -> Summary:
    """Write the header, then every room's messages, a page at a time."""
    summary = Summary()
    out.write(header_line(await store.epoch()))
    after = ""
    while rooms := await store.room_names(after, ROOMS_PAGE):
        for room in rooms:
            written = await _export_room(store, room, out)
            if written:
                summary.rooms += 1
                summary.messages += written
        after = rooms[-1]
    return summary


async def _export_room(store: Store, room: str, out: IO[bytes]) -> int:
    written, after = 0, 0
    while page := await store.export_messages(room, after, MESSAGES_PAGE):
        out.write(b"".join(message_line(message) for message in page))
        written += len(page)
        after = page[-1].id
    return written


# --- reading ---------------------------------------------------------------


def read_lines(source: IO[bytes]) -> Iterator[tuple[int, Header | StoredMessage]]:
    """Each record with its line number, the header first; ExportFileError at the first bad line.

    Blank lines are skipped.
    """
    header_seen = False
    for number, line in enumerate(source, start=1):
        if not line.strip():
            continue
        data = _object(number, line)
        kind = data.get("type")
        if not header_seen:
            header_seen = True
            yield number, _header(number, data)
        elif kind == "message":
            yield number, _message(number, data)
        elif kind == FORMAT:
            raise ExportFileError(number, "a second header: an export has one, on its first line")
        else:
            raise ExportFileError(number, f"unknown record type {kind!r} (this chatroom reads: message)")
    if not header_seen:
        raise ExportFileError(1, "the file is empty: it is not a chatroom export")


def _object(number: int, line: bytes) -> dict[str, Any]:
    try:
        data = orjson.loads(line)
    except orjson.JSONDecodeError as error:
        raise ExportFileError(number, f"not JSON ({error.msg} at column {error.colno})") from None
    if not isinstance(data, dict):
        raise ExportFileError(number, "not a JSON object")
    return data


def _header(number: int, data: dict[str, Any]) -> Header:
    if data.get("type") != FORMAT:
        raise ExportFileError(number, f"not a chatroom export (no {FORMAT!r} header)")
    version = _whole(number, data, "version", 1, MAX_ID)
    if version != VERSION:
        raise ExportFileError(
            number, f"export format version {version}: this chatroom reads version {VERSION}"
        )
    return Header(version, _whole(number, data, "schema", 0, MAX_ID), _text(number, data, "epoch"))


def _message(number: int, data: dict[str, Any]) -> StoredMessage:
    bot = data.get("bot")
    if not isinstance(bot, bool):
        raise ExportFileError(number, "'bot' must be true or false")
    return StoredMessage(
        id=_whole(number, data, "id", 1, MAX_ID),
        room=_text(number, data, "room"),
        nick=_text(number, data, "nick"),
        text=_text(number, data, "message"),
        ts=_whole(number, data, "ts", 0, MAX_TS),
        bot=bot,
    )


def _whole(number: int, data: dict[str, Any], name: str, low: int, high: int) -> int:
    value = data.get(name)
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise ExportFileError(number, f"{name!r} must be a whole number from {low} to {high}")
    return value


def _text(number: int, data: dict[str, Any], name: str) -> str:
    value = data.get(name)
    if not isinstance(value, str) or not value:
        raise ExportFileError(number, f"{name!r} must be a string that is not empty")
    return value


def check_file(source: IO[bytes]) -> Checked:
    """Read every line: the header, and each room's first id; ids of a room must increase."""
    checked: Checked | None = None
    last_ids: dict[str, int] = {}
    for number, record in read_lines(source):
        if isinstance(record, Header):
            checked = Checked(record)
            continue
        assert checked is not None
        previous = last_ids.get(record.room)
        if previous is not None and record.id <= previous:
            raise ExportFileError(
                number,
                f"message {record.id} of room {record.room!r} after message {previous}:"
                " the ids of a room must increase",
            )
        last_ids[record.room] = record.id
        checked.first_ids.setdefault(record.room, record.id)
        checked.messages += 1
    assert checked is not None
    return checked


# --- importing ---------------------------------------------------------------


async def import_history(store: Store, source: IO[bytes], *, keep_epoch: bool = False) -> Summary:
    """Check the file and the database, then store the file's messages in batches.

    ``source`` is read twice (it must be seekable). With ``keep_epoch`` the
    database takes the export's epoch: it must hold no message yet.
    """
    return await _import_checked(store, source, check_file(source), keep_epoch=keep_epoch)


async def _import_checked(store: Store, source: IO[bytes], checked: Checked, *, keep_epoch: bool) -> Summary:
    await _check_database(store, checked, keep_epoch=keep_epoch)
    if keep_epoch and await store.epoch() != checked.header.epoch:
        await store.adopt_epoch(checked.header.epoch)
    source.seek(0)
    batch: list[StoredMessage] = []
    for _, record in read_lines(source):
        if isinstance(record, StoredMessage):
            batch.append(record)
        if len(batch) >= IMPORT_BATCH:
            await store.import_messages(batch)
            batch = []
    if batch:
        await store.import_messages(batch)
    return Summary(len(checked.first_ids), checked.messages)


async def _check_database(store: Store, checked: Checked, *, keep_epoch: bool) -> None:
    """Refuse (ImportRefusedError) a database with ids the file brings; with ``keep_epoch``, any message."""
    after = ""
    while rooms := await store.rooms(after=after, limit=ROOMS_PAGE):
        if keep_epoch:
            raise ImportRefusedError(
                "--keep-epoch needs a database without messages, and this one has some:"
                " import into a new database, or without --keep-epoch"
            )
        for row in rooms:
            first = checked.first_ids.get(row.room)
            if first is not None and first <= row.last_id:
                raise ImportRefusedError(
                    f"the database already has messages of room {row.room!r} up to id {row.last_id},"
                    f" and the file starts it at id {first}: nothing was imported"
                )
        after = rooms[-1].room


# --- a database ----------------------------------------------------------------


async def export_database(settings: Settings, out: IO[bytes]) -> Summary:
    """Export the database the settings name (StoreError when it cannot be read)."""
    store = open_store(settings.database, sqlite_synchronous=settings.sqlite_synchronous)
    await store.start()
    try:
        return await export_history(store, out)
    finally:
        await store.close()


async def import_database(settings: Settings, source: IO[bytes], *, keep_epoch: bool = False) -> Summary:
    """Import into the database the settings name; see import_history.

    The file is checked before the database is opened: a bad file creates no database.
    """
    checked = check_file(source)
    store = open_store(settings.database, sqlite_synchronous=settings.sqlite_synchronous)
    await store.start()
    try:
        return await _import_checked(store, source, checked, keep_epoch=keep_epoch)
    finally:
        await store.close()
