"""Files in an export: a ``file`` record, then its bytes in ``file_part`` records, never a whole file at once.

A file's record comes right before the first record that needs it: the
message that carries it, or after its account for an avatar. Its bytes follow
it as ``file_part`` records of at most CHUNK_BYTES each (base64), the file's
parts in order and then its thumbnail's, so that writing, checking and
importing hold one part at a time. An import writes the parts to a spool file
and stores the file once its last part is read (store.files.import_file);
docs/storage.md describes the records for people.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import tempfile
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import orjson

from .backend import StoredMessage
from .events import FileInfo
from .export_fields import MAX_ID, MAX_TS, Fields
from .store.base import Store
from .store.blobs import valid_file_id
from .store.files_base import ATTACHMENT, AVATAR, CHUNK_BYTES, FILE_KINDS, StoredFile

# Within a part's size (its base64 is a third longer).
_MAX_PART_CHARS = (CHUNK_BYTES + 2) // 3 * 4


@dataclass(frozen=True, slots=True)
class FilePart:
    """Part ``part`` (from 0) of a file's bytes, or of its thumbnail's."""

    file_id: str
    thumb: bool
    part: int
    data: bytes


# --- writing ----------------------------------------------------------------------


def file_line(stored: StoredFile) -> bytes:
    """The line of one file (without its bytes: its parts follow it)."""
    info = stored.info
    record: dict[str, Any] = {
        "type": "file", "id": info.id, "kind": stored.kind, "room": stored.room, "account": stored.account_id,
        "name": info.name, "content_type": info.content_type, "size": info.size, "width": info.width,
        "height": info.height, "thumb_type": stored.thumb_type, "thumb_size": stored.thumb_size,
        "created": stored.created,
    }  # fmt: skip
    return orjson.dumps({name: value for name, value in record.items() if value is not None}) + b"\n"


def part_line(part: FilePart) -> bytes:
    """The line of one part of a file's bytes."""
    data = base64.b64encode(part.data).decode("ascii")
    record = {"type": "file_part", "file": part.file_id, "thumb": part.thumb, "part": part.part, "data": data}
    return orjson.dumps(record) + b"\n"


async def file_lines(store: Store, file_id: str) -> AsyncIterator[bytes]:
    """The file's line and its parts' lines, read from the store a part at a time (none if it is gone)."""
    stored = await store.files.get(file_id)
    if stored is None:
        return
    yield file_line(stored)
    for thumb in (False, True) if stored.info.thumb else (False,):
        number = 0
        async for chunk in store.files.read(file_id, thumb=thumb):
            yield part_line(FilePart(file_id, thumb, number, chunk))
            number += 1


async def export_file(store: Store, file_id: str, out: IO[bytes]) -> None:
    """Write the file's lines (nothing if it is gone)."""
    async for line in file_lines(store, file_id):
        out.write(line)


# --- reading ----------------------------------------------------------------------


def read_file(fields: Fields) -> StoredFile:
    """A ``file`` record."""
    file_id = fields.text("id")
    if not valid_file_id(file_id):
        raise fields.fail("'id' must be a file id: 22 letters, digits, - or _")
    kind = fields.choice("kind", FILE_KINDS)
    width, height = fields.data.get("width"), fields.data.get("height")
    info = FileInfo(
        file_id,
        fields.text("name"),
        fields.whole("size", 0, MAX_TS),
        fields.text("content_type"),
        None if width is None else fields.whole("width", 1, MAX_ID),
        None if height is None else fields.whole("height", 1, MAX_ID),
        fields.data.get("thumb_type") is not None,
    )
    room = fields.text("room") if kind == ATTACHMENT else None
    return StoredFile(
        info,
        room,
        None,
        fields.optional_id("account"),
        kind,
        fields.whole("created", 0, MAX_TS),
        fields.optional_text("thumb_type"),
        fields.whole("thumb_size", 0, MAX_TS) if info.thumb else 0,
    )


def read_part(fields: Fields) -> FilePart:
    """A ``file_part`` record."""
    text = fields.any_text("data")
    try:
        if len(text) > _MAX_PART_CHARS:
            raise ValueError(text)
        data = base64.b64decode(text, validate=True)
    except (ValueError, binascii.Error):
        raise fields.fail(f"'data' must be base64 of at most {CHUNK_BYTES} bytes") from None
    return FilePart(fields.text("file"), fields.flag("thumb"), fields.whole("part", 0, MAX_ID), data)


# --- checking -----------------------------------------------------------------------


@dataclass(slots=True)
class FileCheck:
    """What a file's checker knows: the file whose parts are being read, and the files brought so far."""

    current: StoredFile | None = None
    # The next part expected: of the thumbnail or not, its number, the bytes counted so far.
    thumb: bool = False
    part: int = 0
    counted: int = 0
    ids: set[str] = field(default_factory=set)
    # Attachments brought that no message carries yet, and their rooms.
    waiting: dict[str, str] = field(default_factory=dict)

    def file_problem(self, stored: StoredFile, accounts: set[int]) -> str | None:
        """A ``file`` record: new, its uploader brought before it (an avatar's must be)."""
        if stored.info.id in self.ids:
            return f"file {stored.info.id} a second time"
        if stored.account_id is not None and stored.account_id not in accounts:
            return f"file {stored.info.id} of account {stored.account_id}, which no line before it brings"
        if stored.kind == AVATAR and stored.account_id is None:
            return f"the avatar {stored.info.id} names no account"
        self.ids.add(stored.info.id)
        if stored.kind == ATTACHMENT and stored.room is not None:
            self.waiting[stored.info.id] = stored.room
        self.current, self.thumb, self.part, self.counted = stored, False, 0, 0
        return None

    def part_problem(self, part: FilePart) -> str | None:
        """A ``file_part`` record: the next part of the file just brought, within its size."""
        stored = self.current
        if stored is None or part.file_id != stored.info.id:
            return f"a part of file {part.file_id}, which is not the file the lines before it bring"
        if part.thumb and not self.thumb:
            if (problem := self._short(stored)) is not None:
                return problem
            if not stored.info.thumb:
                return f"a thumbnail part of file {part.file_id}, which has no thumbnail"
            self.thumb, self.part, self.counted = True, 0, 0
        if part.thumb != self.thumb or part.part != self.part:
            return f"part {part.part} of file {part.file_id} out of order"
        self.part, self.counted = self.part + 1, self.counted + len(part.data)
        if self.counted > (stored.thumb_size if self.thumb else stored.info.size):
            return f"file {part.file_id} has more bytes than its size"
        return None

    def end_problem(self) -> str | None:
        """Any other record (or the end of the file): the file before it must have every byte."""
        stored, self.current = self.current, None
        if stored is None:
            return None
        if not self.thumb and (problem := self._short(stored)) is not None:
            return problem
        if stored.info.thumb and (not self.thumb or self.counted != stored.thumb_size):
            return f"file {stored.info.id} lacks bytes of its thumbnail"
        return None

    def _short(self, stored: StoredFile) -> str | None:
        return None if self.counted == stored.info.size else f"file {stored.info.id} lacks some of its bytes"

    def carried_problem(self, message: StoredMessage) -> str | None:
        """A message carrying a file: an attachment of its room, brought before it, carried by no other."""
        if message.file is None:
            return None
        if self.waiting.pop(message.file.id, None) != message.room:
            return f"message {message.id} carries file {message.file.id}, which is no attachment of its room"
        return None


# --- importing ------------------------------------------------------------------------


class FileSpool:
    """The file an import is reading: its parts written to spool files, stored once the last one is read."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._stored: StoredFile | None = None
        self._paths: dict[bool, Path] = {}
        self._writing: IO[bytes] | None = None
        self._thumb = False

    def start(self, stored: StoredFile) -> None:
        """A file's record: its parts come next."""
        self._stored, self._paths, self._thumb = stored, {}, False
        self._writing = self._open(False)

    def write(self, part: FilePart) -> None:
        """One part of the file (blocking: an import runs alone, from the command line)."""
        assert self._writing is not None
        if part.thumb != self._thumb:
            self._writing.close()
            self._thumb, self._writing = part.thumb, self._open(part.thumb)
        self._writing.write(part.data)

    async def finish(self) -> int:
        """Store the file whose parts were all read (an avatar made its account's): 1, or 0 if none was."""
        stored = self._stored
        if stored is None:
            return 0
        assert self._writing is not None
        self._writing.close()
        self._stored = self._writing = None
        try:
            await self.store.files.import_file(stored, self._paths[False], self._paths.get(True))
            if stored.kind == AVATAR and stored.account_id is not None:
                await self.store.files.set_avatar(stored.account_id, stored.info.id)
        finally:
            for path in self._paths.values():
                path.unlink(missing_ok=True)
        return 1

    def close(self) -> None:
        """Drop a file whose import failed halfway."""
        if self._writing is not None:
            self._writing.close()
        for path in self._paths.values():
            with contextlib.suppress(OSError):
                path.unlink()

    def _open(self, thumb: bool) -> IO[bytes]:
        # Open across the records of its parts: closed by the next part of the other kind, finish or close.
        handle = tempfile.NamedTemporaryFile(  # noqa: SIM115
            dir=self.store.files.spool_dir, prefix="import-", delete=False
        )
        self._paths[thumb] = Path(handle.name)
        return handle
