"""The FileStore contract: uploaded files (attachments and avatars), their rows and their bytes.

Every store has one, as ``store.files``. The rules each implementation keeps
(tests/test_file_store.py holds SQLite and PostgreSQL to them):

- ``save`` copies the prepared file (and its thumbnail) into blob storage in
  chunks, never holding a whole file in memory, and then inserts its row: a
  file is visible to ``get`` only once every byte of it is stored, and a save
  that fails leaves neither row nor blob behind.
- A saved attachment belongs to no message until ``Store.append`` is given its
  id (``file_id``): the message and the attachment are joined in the same
  commit. Only an attachment that exists, belongs to no message yet and was
  uploaded by the account appending the message can be attached; anything else
  refuses the append with ChangeRefusedError (BAD_REQUEST), as a reply to no
  message is refused.
- Deleting a message (Store.change, DELETE) removes its file's row in the same
  transaction and its bytes (directory blobs right after the commit); so do
  ``discard`` (an unattached file), ``set_avatar`` (the avatar it replaces)
  and ``sweep`` (files never attached, past their time).
- ``read`` answers the bytes ``start <= i < end`` of the file (or of its
  thumbnail) in chunks of at most CHUNK_BYTES, reading only what the range
  needs; MissingFileError when there is no such file (or thumbnail).
- Sizes count what is stored: the file as served and its thumbnail.
- ``reserve`` checks an upload's bytes against the quota and records them in
  one transaction, serialised with every other reservation of every process
  and node (SQLite: the database's write lock; PostgreSQL: a transaction
  advisory lock), so uploads arriving at once cannot together pass it. A
  reservation counts until ``release`` (once the file is stored, or not),
  and at most RESERVATION_MS: then ``sweep`` removes what a crash left.

Where the bytes live: a directory (``--files-dir``; beside a SQLite database
by default) or, for PostgreSQL without ``--files-dir``, the database itself, so
that every node serves every file (blobs.py). Failures of the database raise
StoreError, as everywhere in the store.
"""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from ..events import FileInfo
from ..protocol import BAD_REQUEST
from .change_rules import ChangeRefusedError

# What a file is for.
ATTACHMENT = "attachment"
AVATAR = "avatar"
FILE_KINDS = (ATTACHMENT, AVATAR)

# The largest chunk ``read`` yields, and the part size of blobs kept in PostgreSQL.
CHUNK_BYTES = 256 * 1024

# Unattached files older than this are swept (an upload whose message never came).
UNATTACHED_GRACE_MS = 60 * 60 * 1000
# A reservation of room for an upload counts this long at most (one a crash left stops counting);
# an upload is stored within minutes of its last byte.
RESERVATION_MS = 60 * 60 * 1000


def new_file_id() -> str:
    """A fresh file id: random, url-safe, 22 characters."""
    return secrets.token_urlsafe(16)


class MissingFileError(LookupError):
    """There is no such file (or it has no thumbnail): nothing to read."""


def file_refusal(file_id: str) -> ChangeRefusedError:
    """An append naming a file it may not carry (missing, attached already, not the author's)."""
    return ChangeRefusedError(BAD_REQUEST, f"there is no file {file_id!r} to attach")


class PreparedFile(Protocol):
    """What the store needs of a prepared upload (chatroom/images.py's Prepared is one).

    ``path`` is the file to store, ``thumb_path`` its thumbnail (None: none);
    both are read, never moved or removed: the caller cleans its work files.
    """

    @property
    def path(self) -> Path: ...

    @property
    def content_type(self) -> str: ...

    @property
    def size(self) -> int: ...

    @property
    def width(self) -> int | None: ...

    @property
    def height(self) -> int | None: ...

    @property
    def thumb_path(self) -> Path | None: ...

    @property
    def thumb_type(self) -> str | None: ...


@dataclass(frozen=True, slots=True)
class NewFile:
    """A file about to be saved: where it was uploaded (None for an avatar), by whom, as what."""

    room: str | None
    account_id: int | None
    name: str
    kind: str

    def __post_init__(self) -> None:
        if self.kind not in FILE_KINDS:
            raise ValueError(f"no such kind of file: {self.kind!r}")


@dataclass(frozen=True, slots=True)
class StoredFile:
    """A stored file: what members see of it, and where it belongs.

    ``message_id`` is None until a message carries it (and always for an
    avatar); ``created`` is when it was saved (ms); ``storage`` where its
    bytes are (``directory`` or ``database``, file_rows.py).
    """

    info: FileInfo
    room: str | None
    message_id: int | None
    account_id: int | None
    kind: str
    created: int
    thumb_type: str | None = None
    thumb_size: int = 0
    storage: str = "directory"


class FileStore(Protocol):
    """Uploaded files: saved, attached by Store.append, read in ranges, removed with their message."""

    @property
    def spool_dir(self) -> Path:
        """Where uploads are written while they arrive (the files directory's ``.incoming``, or a
        directory of this store's own when the files live in the database); swept like blobs."""
        ...

    async def save(self, new: NewFile, prepared: PreparedFile) -> FileInfo:
        """Store the prepared file's bytes and thumbnail, then its row (attached to nothing yet)."""
        ...

    async def import_file(self, stored: StoredFile, path: Path, thumb_path: Path | None) -> None:
        """Store a file as an export brought it (its id, time, room and uploader kept; attached by the
        import of its message, made an avatar by set_avatar); StoreError when its id is taken."""
        ...

    async def get(self, file_id: str) -> StoredFile | None:
        """The file with this id, or None."""
        ...

    def read(
        self, file_id: str, *, thumb: bool = False, start: int = 0, end: int | None = None
    ) -> AsyncIterator[bytes]:
        """The bytes ``start <= i < end`` (end None: to the last) of the file or its thumbnail, in chunks
        of at most CHUNK_BYTES; MissingFileError (when iterated) when there is none."""
        ...

    async def discard(self, file_id: str) -> None:
        """Remove an unattached file, row and bytes (an upload whose message failed); a file attached to a
        message, or the avatar of an account, is left alone."""
        ...

    async def set_avatar(self, account_id: int, file_id: str | None) -> None:
        """Make the avatar file ``file_id`` the account's (None: no avatar), removing the one it replaces.

        RefusedError when ``file_id`` is not an avatar file uploaded for this account.
        """
        ...

    async def avatar(self, account_id: int) -> StoredFile | None:
        """The account's avatar, or None."""
        ...

    async def avatar_ids(self, account_ids: Sequence[int]) -> dict[int, str]:
        """The avatar file id of each of these accounts that has one, in one query."""
        ...

    async def total_bytes(self) -> int:
        """Bytes of every stored file, thumbnails included."""
        ...

    async def reserve(self, size: int, quota: int) -> str | None:
        """Reserve ``size`` bytes for an upload under way if the stored files and the reservations
        (RESERVATION_MS old at most) leave that room under ``quota``, atomically with every other
        reservation: the reservation's id, or None when there is no room."""
        ...

    async def release(self, reservation: str) -> None:
        """Remove a reservation (again: nothing happens)."""
        ...

    async def bytes_of(self, account_id: int) -> int:
        """Bytes of the files the account uploaded, thumbnails included."""
        ...

    async def sweep(self, *, older_than_ms: int) -> int:
        """Remove files saved more than ``older_than_ms`` ago that no message carries and no account has as
        avatar, and (directory storage) blobs and spool files as old that no row refers to; how many
        files (rows) it removed. The age keeps an upload in progress, whose row is not written yet.
        Reservations past RESERVATION_MS go too."""
        ...
