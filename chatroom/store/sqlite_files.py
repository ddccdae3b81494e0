"""SQLiteFiles: the FileStore of a SQLiteStore (chatroom/store/files_base.py has the rules).

Rows are written on the store's writer thread, each change in one ``BEGIN
IMMEDIATE`` transaction; bytes live in a files directory (blobs.py), written
before the row that names them and unlinked after the commit that drops it,
so that a crash in between leaves only a stray blob, which the sweep removes.
"""

from __future__ import annotations

import asyncio
import functools
import sqlite3
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from pathlib import Path

from ..clock import now_ms
from ..events import FileInfo
from . import file_rows as sql
from .accounts_base import UnknownAccountError
from .base import StoreError
from .blobs import DirectoryBlobs
from .files_base import RESERVATION_MS, MissingFileError, NewFile, PreparedFile, StoredFile, new_file_id
from .sqlite_accounts import Reader, Writer
from .sqlite_sql import transaction

# Ids asked about at once when the sweep checks stray blobs against rows.
_CHUNK = 500
_STALE_RESERVATION = "SELECT 1 FROM upload_reservations WHERE created < ? LIMIT 1"


class SQLiteFiles:
    """Files of a SQLite store: rows in the database, bytes in a directory."""

    def __init__(self, read: Reader, write: Writer, blobs: DirectoryBlobs) -> None:
        self._read = read
        self._write = write
        self.blobs = blobs

    @property
    def spool_dir(self) -> Path:
        """The files directory's ``.incoming``."""
        return self.blobs.spool_dir

    async def save(self, new: NewFile, prepared: PreparedFile) -> FileInfo:
        """Write the bytes and thumbnail, then the row; on failure nothing stays."""
        stored = sql.new_stored_file(new_file_id(), new, prepared, now_ms(), sql.IN_DIRECTORY)
        return (await self._store(stored, prepared.path, prepared.thumb_path)).info

    async def import_file(self, stored: StoredFile, path: Path, thumb_path: Path | None) -> None:
        """Store a file as exported, its own id and time kept."""
        if await self.get(stored.info.id) is not None:
            raise StoreError(f"the database already has the file {stored.info.id}")
        await self._store(stored, path, thumb_path)

    async def _store(self, stored: StoredFile, path: Path, thumb_path: Path | None) -> StoredFile:
        file_id = stored.info.id
        try:
            size = await self.blobs.put(file_id, path)
            thumb_size = 0 if thumb_path is None else await self.blobs.put(file_id, thumb_path, thumb=True)
            stored = sql.with_sizes(stored, size, thumb_size, sql.IN_DIRECTORY)
            await self._write(functools.partial(_insert, stored=stored), "cannot save the file")
        except BaseException:
            await asyncio.shield(self.blobs.remove([file_id]))
            raise
        return stored

    async def get(self, file_id: str) -> StoredFile | None:
        """The file with this id, or None."""
        row = await self._read(lambda conn: conn.execute(sql.SELECT_FILE, (file_id,)).fetchone())
        return None if row is None else sql.file_from_row(row)

    async def read(
        self, file_id: str, *, thumb: bool = False, start: int = 0, end: int | None = None
    ) -> AsyncIterator[bytes]:
        """The bytes of the file (or its thumbnail) in the range, chunk by chunk."""
        stored = await self.get(file_id)
        if stored is None or (thumb and not stored.info.thumb):
            raise MissingFileError(file_id)
        async for chunk in self.blobs.read(file_id, thumb=thumb, start=start, end=end):
            yield chunk

    async def discard(self, file_id: str) -> None:
        """Remove an unattached file that is nobody's avatar."""
        await self._drop(lambda conn: _returning(conn, sql.DISCARD, file_id), "cannot discard the file")

    async def set_avatar(self, account_id: int, file_id: str | None) -> None:
        """Make the file the account's avatar, dropping the one it replaces."""
        await self._drop(lambda conn: _set_avatar(conn, account_id, file_id), "cannot set the avatar")

    async def avatar(self, account_id: int) -> StoredFile | None:
        """The account's avatar, or None."""
        row = await self._read(lambda conn: conn.execute(sql.SELECT_AVATAR, (account_id,)).fetchone())
        return None if row is None else sql.file_from_row(row)

    async def avatar_ids(self, account_ids: Sequence[int]) -> dict[int, str]:
        """The avatar file id of each of these accounts that has one, in one query."""
        if not account_ids:
            return {}
        ids = list(account_ids)
        statement = sql.AVATAR_IDS.format(ids=", ".join("?" * len(ids)))
        rows = await self._read(lambda conn: conn.execute(statement, ids).fetchall())
        return {int(account_id): str(file_id) for account_id, file_id in rows}

    async def total_bytes(self) -> int:
        """Bytes of every file, thumbnails included."""
        return int(await self._read(lambda conn: conn.execute(sql.TOTAL_BYTES).fetchone()[0]))

    async def reserve(self, size: int, quota: int) -> str | None:
        """Reserve the bytes if they fit, in one write transaction (the database's lock serialises them)."""
        params = sql.reserve_params(new_file_id(), size, quota, now_ms())
        row = await self._write(
            functools.partial(_reserve, params=params), "cannot reserve room for the file"
        )
        return None if row is None else str(row[0])

    async def release(self, reservation: str) -> None:
        """Remove the reservation."""
        await self._write(
            lambda conn: _returning(conn, sql.RELEASE, reservation), "cannot release a reservation"
        )

    async def bytes_of(self, account_id: int) -> int:
        """Bytes of the account's uploads, thumbnails included."""
        return int(await self._read(lambda conn: conn.execute(sql.BYTES_OF, (account_id,)).fetchone()[0]))

    async def sweep(self, *, older_than_ms: int) -> int:
        """Drop old unattached files, then stray blobs and spool files as old."""
        before = now_ms() - older_than_ms
        swept: list[str] = []
        # Looked for first: a sweep that finds nothing takes no write lock and syncs nothing.
        if await self._read(lambda conn: conn.execute(sql.SWEEPABLE, (before,)).fetchone()) is not None:
            swept = await self._drop(lambda conn: _returning(conn, sql.SWEEP, before), "cannot sweep files")
        stale = (now_ms() - RESERVATION_MS,)
        if await self._read(lambda conn: conn.execute(_STALE_RESERVATION, stale).fetchone()) is not None:
            await self._write(
                lambda conn: _returning(conn, sql.SWEEP_RESERVATIONS, *stale), "cannot sweep files"
            )
        strays = sorted(await self.blobs.strays(older_than_ms))
        for start in range(0, len(strays), _CHUNK):
            ids = strays[start : start + _CHUNK]
            known = await self._read(functools.partial(_known, ids=ids))
            await self.blobs.remove(set(ids) - known)
        return len(swept)

    def unlink_later(self, file_ids: Iterable[str]) -> None:
        """Unlink the blobs of files whose rows a commit dropped (a message's deletion), off the loop."""
        self.blobs.remove_later(file_ids)

    async def close(self) -> None:
        """Finish the unlinks under way, then remove a temporary directory."""
        await self.blobs.close()

    async def _drop(self, work: Callable[[sqlite3.Connection], list[str]], failing: str) -> list[str]:
        """Run ``work`` on the writer; unlink the blobs of the files it dropped once it committed."""
        dropped = await self._write(work, failing)
        await self.blobs.remove(dropped)
        return dropped


def _insert(conn: sqlite3.Connection, stored: StoredFile) -> None:
    with transaction(conn):
        conn.execute(sql.INSERT_FILE, sql.file_row(stored))


def _reserve(conn: sqlite3.Connection, params: tuple[object, ...]) -> sqlite3.Row | None:
    """The reservation's row, if RESERVE made one (in a transaction of its own)."""
    with transaction(conn):
        row: sqlite3.Row | None = conn.execute(sql.RESERVE, params).fetchone()
        return row


def _returning(conn: sqlite3.Connection, statement: str, *params: object) -> list[str]:
    """The ids a DELETE ... RETURNING id dropped, in a transaction of its own."""
    with transaction(conn):
        return [str(row[0]) for row in conn.execute(statement, params).fetchall()]


def _set_avatar(conn: sqlite3.Connection, account_id: int, file_id: str | None) -> list[str]:
    with transaction(conn):
        if file_id is not None:
            row = conn.execute(sql.SELECT_FILE, (file_id,)).fetchone()
            sql.check_avatar(None if row is None else sql.file_from_row(row), account_id)
        old = conn.execute(sql.AVATAR_OF, (account_id,)).fetchone()
        if old is None:
            raise UnknownAccountError(account_id)
        conn.execute(sql.SET_AVATAR, (file_id, account_id))
        if old[0] is None or old[0] == file_id:
            return []
        return [str(row[0]) for row in conn.execute(sql.DROP_FILE, (old[0],)).fetchall()]


def _known(conn: sqlite3.Connection, ids: list[str]) -> set[str]:
    """Which of the ids have a row."""
    return {str(row[0]) for row in conn.execute(sql.known_sql(len(ids)), ids).fetchall()}
