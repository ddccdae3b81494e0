"""Files from rows, and the SQL both dialects share for them (``?`` placeholders), no I/O.

The rules of files_base.py that a row decides are here, once: whether an
append may carry a file, whether a file may become an account's avatar.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from ..events import FileInfo
from .accounts_base import RefusedError
from .files_base import (
    ATTACHMENT,
    AVATAR,
    RESERVATION_MS,
    NewFile,
    PreparedFile,
    StoredFile,
    file_refusal,
)

# Where a file's bytes are (files.storage).
IN_DIRECTORY = "directory"
IN_DATABASE = "database"

FILE_COLUMNS = (
    "id, name, size, content_type, width, height, thumb_type, room, message_id, account_id, kind, created,"
    " thumb_size, storage"
)
INSERT_FILE = f"INSERT INTO files ({FILE_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
SELECT_FILE = f"SELECT {FILE_COLUMNS} FROM files WHERE id = ?"
SELECT_AVATAR = f"SELECT {FILE_COLUMNS} FROM files WHERE id = (SELECT avatar_file FROM accounts WHERE id = ?)"
ATTACH = "UPDATE files SET room = ?, message_id = ? WHERE id = ?"
# Nobody's avatar: an unattached file that may go.
_UNUSED = "message_id IS NULL AND NOT EXISTS (SELECT 1 FROM accounts a WHERE a.avatar_file = files.id)"
DISCARD = f"DELETE FROM files WHERE id = ? AND {_UNUSED} RETURNING id, storage"
SWEEP = f"DELETE FROM files WHERE created < ? AND {_UNUSED} RETURNING id, storage"
SWEEPABLE = f"SELECT 1 FROM files WHERE created < ? AND {_UNUSED} LIMIT 1"
# A message's deletion takes its file with it.
DROP_MESSAGE_FILE = (
    "DELETE FROM files WHERE id = (SELECT file_id FROM messages WHERE room = ? AND id = ?)"
    " RETURNING id, storage"
)
DROP_FILE = "DELETE FROM files WHERE id = ? RETURNING id, storage"
AVATAR_OF = "SELECT avatar_file FROM accounts WHERE id = ?"
# {ids}: the accounts, as placeholders (SQLite) or an array unnested (PostgreSQL).
AVATAR_IDS = "SELECT id, avatar_file FROM accounts WHERE avatar_file IS NOT NULL AND id IN ({ids})"
SET_AVATAR = "UPDATE accounts SET avatar_file = ? WHERE id = ?"
TOTAL_BYTES = "SELECT COALESCE(SUM(size + thumb_size), 0) FROM files"
# Reserve room for an upload when the files and the live reservations leave it (parameters: the
# reservation's id, bytes and time, the oldest time that still counts, the bytes again, the quota).
RESERVE = (
    "INSERT INTO upload_reservations (id, bytes, created) SELECT ?, ?, ?"
    f" WHERE ({TOTAL_BYTES})"
    " + (SELECT COALESCE(SUM(bytes), 0) FROM upload_reservations WHERE created >= ?) + ? <= ?"
    " RETURNING id"
)
RELEASE = "DELETE FROM upload_reservations WHERE id = ?"
SWEEP_RESERVATIONS = "DELETE FROM upload_reservations WHERE created < ?"
BYTES_OF = "SELECT COALESCE(SUM(size + thumb_size), 0) FROM files WHERE account_id = ?"


def reserve_params(reservation: str, size: int, quota: int, now: int) -> tuple[object, ...]:
    """The values of RESERVE: ``size`` bytes under ``quota``, counting reservations made since
    RESERVATION_MS before ``now``."""
    return (reservation, size, now, now - RESERVATION_MS, size, quota)


def known_sql(count: int) -> str:
    """Which of ``count`` ids have a row."""
    return f"SELECT id FROM files WHERE id IN ({', '.join(['?'] * count)})"


def _int(value: object) -> int:
    assert isinstance(value, int)
    return value


def _maybe_int(value: object) -> int | None:
    return None if value is None else _int(value)


def file_from_row(row: Sequence[object]) -> StoredFile:
    """A stored file from a row of FILE_COLUMNS."""
    file_id, name, size, content_type, width, height, thumb_type, room = row[:8]
    message_id, account_id, kind, created, thumb_size, storage = row[8:]
    info = FileInfo(
        str(file_id),
        str(name),
        _int(size),
        str(content_type),
        _maybe_int(width),
        _maybe_int(height),
        thumb_type is not None,
    )
    return StoredFile(
        info,
        None if room is None else str(room),
        _maybe_int(message_id),
        _maybe_int(account_id),
        str(kind),
        _int(created),
        None if thumb_type is None else str(thumb_type),
        _int(thumb_size),
        str(storage),
    )


def file_row(stored: StoredFile) -> tuple[object, ...]:
    """The values of INSERT_FILE for a stored file."""
    info = stored.info
    return (
        info.id, info.name, info.size, info.content_type, info.width, info.height, stored.thumb_type,
        stored.room, stored.message_id, stored.account_id, stored.kind, stored.created, stored.thumb_size,
        stored.storage,
    )  # fmt: skip


def new_stored_file(
    file_id: str, new: NewFile, prepared: PreparedFile, created: int, storage: str
) -> StoredFile:
    """The row of a file about to be saved, its sizes still to be counted (with_sizes)."""
    thumb_type = prepared.thumb_type if prepared.thumb_path is not None else None
    info = FileInfo(
        file_id, new.name, 0, prepared.content_type, prepared.width, prepared.height, thumb_type is not None
    )
    return StoredFile(info, new.room, None, new.account_id, new.kind, created, thumb_type, 0, storage)


def with_sizes(stored: StoredFile, size: int, thumb_size: int, storage: str) -> StoredFile:
    """The row of a file whose bytes (and thumbnail's) were counted as they were stored, and where."""
    return replace(stored, info=replace(stored.info, size=size), thumb_size=thumb_size, storage=storage)


def attachable(stored: StoredFile | None, room: str, file_id: str, account_id: int | None) -> FileInfo:
    """The file an append to ``room`` may carry; ChangeRefusedError unless it is an attachment of no
    message yet, uploaded to the room by the account appending."""
    if (
        stored is None
        or stored.kind != ATTACHMENT
        or stored.room not in (None, room)
        or stored.message_id is not None
        or account_id is None
        or stored.account_id != account_id
    ):
        raise file_refusal(file_id)
    return stored.info


def check_avatar(stored: StoredFile | None, account_id: int) -> None:
    """RefusedError unless the file is an avatar uploaded for the account."""
    if stored is None or stored.kind != AVATAR or stored.account_id != account_id:
        raise RefusedError("that is not an avatar of this account")
