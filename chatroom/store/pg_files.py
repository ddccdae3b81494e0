"""PostgresFiles: the FileStore of a PostgresStore (chatroom/store/files_base.py has the rules).

Without a files directory the bytes live in the database, so that every node
serves every file: ``file_chunks`` holds parts of CHUNK_BYTES, written in the
same transaction as the file's row (nothing is half there, whatever fails)
and removed with it (ON DELETE CASCADE); a ranged read fetches only the parts
the range covers, a part at a time, each cut down to the bytes asked for.
With ``--files-dir`` (a directory every node shares) the bytes live there,
as a SQLite store's do (blobs.py). Each row says where its bytes are, so
files saved before the directory was given (or after it was taken away)
stay readable where they are.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Sequence
from pathlib import Path
from typing import IO, Protocol, TypeVar

import psycopg
from psycopg.rows import TupleRow

from ..clock import now_ms
from ..events import FileInfo
from . import file_rows as sql
from .accounts_base import UnknownAccountError
from .base import StoreError
from .blobs import DirectoryBlobs, byte_range, chunk_spans
from .files_base import (
    CHUNK_BYTES,
    RESERVATION_MS,
    MissingFileError,
    NewFile,
    PreparedFile,
    StoredFile,
    new_file_id,
)
from .pg_qmark import all_rows, pg

Connection = psycopg.AsyncConnection[TupleRow]
T = TypeVar("T")

# A save may take the store's timeout once more for every this many bytes.
_BYTES_PER_TIMEOUT = 4 * 1024 * 1024
# Saves into the database at once: each holds a pooled connection while it writes, and the
# rest of the pool must stay free for reads (history, sign-ins) meanwhile.
SAVES_AT_ONCE = 2
# The advisory lock every reservation of room for an upload takes (any number no other lock uses).
_RESERVATIONS_LOCK = int.from_bytes(b"chatfile", "big")
_INSERT_CHUNK = "INSERT INTO file_chunks (file_id, thumb, part, data) VALUES (%s, %s, %s, %s)"
# Run by _execute, as the shared statements are: ``?`` placeholders (pg_qmark.py).
_READ_PART = (
    "SELECT substring(data FROM ? FOR ?) FROM file_chunks WHERE file_id = ? AND thumb = ? AND part = ?"
)


class Runner(Protocol):
    """Runs work on a pooled connection within the store's timeout (``scale`` times it); StoreError
    saying ``failing`` when it fails."""

    def __call__(
        self, work: Callable[[Connection], Awaitable[T]], failing: str, /, *, scale: int = 1
    ) -> Awaitable[T]: ...


class PostgresFiles:
    """Files of a PostgreSQL store: rows in the database, bytes there or in a shared directory."""

    def __init__(self, run: Runner, files_dir: str | None) -> None:
        self._run = run
        # Without a files directory, a temporary one of this store's own holds the spool alone.
        self.blobs = DirectoryBlobs(None if files_dir is None else Path(files_dir))
        self.in_database = files_dir is None
        self._saving = asyncio.Semaphore(SAVES_AT_ONCE)

    @property
    def spool_dir(self) -> Path:
        """The files directory's ``.incoming``, or a temporary directory's."""
        return self.blobs.spool_dir

    async def open(self) -> None:
        """Make the directory (and spool) the store needs."""
        await asyncio.to_thread(self.blobs.open)

    async def close(self) -> None:
        """Finish the unlinks under way; remove a temporary directory."""
        await self.blobs.close()

    async def save(self, new: NewFile, prepared: PreparedFile) -> FileInfo:
        """Store the bytes and the row: in one transaction, or (a files directory) bytes first."""
        storage = sql.IN_DATABASE if self.in_database else sql.IN_DIRECTORY
        stored = sql.new_stored_file(new_file_id(), new, prepared, now_ms(), storage)
        return (await self._store(stored, prepared.path, prepared.thumb_path)).info

    async def import_file(self, stored: StoredFile, path: Path, thumb_path: Path | None) -> None:
        """Store a file as exported, its own id and time kept."""
        if await self.get(stored.info.id) is not None:
            raise StoreError(f"the database already has the file {stored.info.id}")
        await self._store(stored, path, thumb_path)

    async def _store(self, stored: StoredFile, path: Path, thumb_path: Path | None) -> StoredFile:
        if self.in_database:
            scale = 1 + (await asyncio.to_thread(lambda: path.stat().st_size)) // _BYTES_PER_TIMEOUT
            save = functools.partial(_save_in_database, stored=stored, path=path, thumb_path=thumb_path)
            async with self._saving:
                return await self._run(save, "cannot save the file", scale=scale)
        file_id = stored.info.id
        try:
            size = await self.blobs.put(file_id, path)
            thumb_size = 0 if thumb_path is None else await self.blobs.put(file_id, thumb_path, thumb=True)
            stored = sql.with_sizes(stored, size, thumb_size, sql.IN_DIRECTORY)
            await self._execute("cannot save the file", sql.INSERT_FILE, *sql.file_row(stored))
        except BaseException:
            await asyncio.shield(self.blobs.remove([file_id]))
            raise
        return stored

    async def get(self, file_id: str) -> StoredFile | None:
        """The file with this id, or None."""
        rows = await self._execute("cannot read the file", sql.SELECT_FILE, file_id)
        return sql.file_from_row(rows[0]) if rows else None

    async def read(
        self, file_id: str, *, thumb: bool = False, start: int = 0, end: int | None = None
    ) -> AsyncIterator[bytes]:
        """The bytes of the file (or its thumbnail) in the range, chunk by chunk, from where they are."""
        stored = await self.get(file_id)
        if stored is None or (thumb and not stored.info.thumb):
            raise MissingFileError(file_id)
        if stored.storage == sql.IN_DIRECTORY:
            async for chunk in self.blobs.read(file_id, thumb=thumb, start=start, end=end):
                yield chunk
            return
        low, stop = byte_range(stored.thumb_size if thumb else stored.info.size, start, end)
        for position, length in chunk_spans(low, stop):
            part, offset = divmod(position, CHUNK_BYTES)
            rows = await self._execute(
                "cannot read the file", _READ_PART, offset + 1, length, file_id, thumb, part
            )
            if not rows:
                raise MissingFileError(file_id)
            yield bytes(rows[0][0])

    async def discard(self, file_id: str) -> None:
        """Remove an unattached file that is nobody's avatar."""
        await self._drop("cannot discard the file", _returning(sql.DISCARD, file_id))

    async def set_avatar(self, account_id: int, file_id: str | None) -> None:
        """Make the file the account's avatar, dropping the one it replaces."""
        await self._drop(
            "cannot set the avatar", functools.partial(_set_avatar, account_id=account_id, file_id=file_id)
        )

    async def avatar(self, account_id: int) -> StoredFile | None:
        """The account's avatar, or None."""
        rows = await self._execute("cannot read the avatar", sql.SELECT_AVATAR, account_id)
        return sql.file_from_row(rows[0]) if rows else None

    async def avatar_ids(self, account_ids: Sequence[int]) -> dict[int, str]:
        """The avatar file id of each of these accounts that has one, in one query."""
        if not account_ids:
            return {}
        rows = await self._execute(
            "cannot read avatars", sql.AVATAR_IDS.format(ids="SELECT unnest(?::bigint[])"), list(account_ids)
        )
        return {int(account_id): str(file_id) for account_id, file_id in rows}

    async def total_bytes(self) -> int:
        """Bytes of every file, thumbnails included."""
        return int((await self._execute("cannot count files", sql.TOTAL_BYTES))[0][0])

    async def reserve(self, size: int, quota: int) -> str | None:
        """Reserve the bytes if they fit, in a transaction that holds the reservations' advisory lock."""
        params = sql.reserve_params(new_file_id(), size, quota, now_ms())
        row = await self._run(functools.partial(_reserve, params=params), "cannot reserve room for the file")
        return None if row is None else str(row[0])

    async def release(self, reservation: str) -> None:
        """Remove the reservation."""
        await self._execute("cannot release a reservation", sql.RELEASE, reservation)

    async def bytes_of(self, account_id: int) -> int:
        """Bytes of the account's uploads, thumbnails included."""
        return int((await self._execute("cannot count files", sql.BYTES_OF, account_id))[0][0])

    async def sweep(self, *, older_than_ms: int) -> int:
        """Drop old unattached files (their parts with them), then stray blobs and spool files as old."""
        swept = await self._drop("cannot sweep files", _returning(sql.SWEEP, now_ms() - older_than_ms))
        await self._execute("cannot sweep files", sql.SWEEP_RESERVATIONS, now_ms() - RESERVATION_MS)
        strays = sorted(await self.blobs.strays(older_than_ms))
        if strays:
            rows = await self._execute("cannot sweep files", "SELECT id FROM files WHERE id = ANY(?)", strays)
            await self.blobs.remove(set(strays) - {str(row[0]) for row in rows})
        return len(swept)

    def unlink_later(self, file_ids: Iterable[str]) -> None:
        """Unlink the blobs of files whose rows a commit dropped (a message's deletion), in the background."""
        self.blobs.remove_later(file_ids)

    async def _execute(self, failing: str, statement: str, *params: object) -> list[TupleRow]:
        return await self._run(lambda conn: all_rows(conn, statement, params), failing)

    async def _drop(self, failing: str, work: Callable[[Connection], Awaitable[list[str]]]) -> list[str]:
        """Run ``work`` in a transaction; unlink the blobs of the files it dropped once committed."""

        async def transaction(conn: Connection) -> list[str]:
            async with conn.transaction():
                return await work(conn)

        dropped = await self._run(transaction, failing)
        await self.blobs.remove(dropped)
        return dropped


def _returning(statement: str, *params: object) -> Callable[[Connection], Awaitable[list[str]]]:
    """Work that runs a DELETE ... RETURNING id, storage: the ids it dropped."""

    async def work(conn: Connection) -> list[str]:
        rows = await (await conn.execute(pg(statement), params)).fetchall()
        return [str(row[0]) for row in rows]

    return work


async def _reserve(conn: Connection, *, params: tuple[object, ...]) -> TupleRow | None:
    """The reservation's row, if RESERVE made one. Under READ COMMITTED two reservations at once would
    each miss the other's uncommitted row: the advisory lock makes them one after the other."""
    async with conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock(%s)", (_RESERVATIONS_LOCK,))
        return await (await conn.execute(pg(sql.RESERVE), params)).fetchone()


async def _set_avatar(conn: Connection, *, account_id: int, file_id: str | None) -> list[str]:
    if file_id is not None:
        rows = await (await conn.execute(pg(sql.SELECT_FILE + " FOR UPDATE"), (file_id,))).fetchall()
        sql.check_avatar(sql.file_from_row(rows[0]) if rows else None, account_id)
    old = await (await conn.execute(pg(sql.AVATAR_OF + " FOR UPDATE"), (account_id,))).fetchone()
    if old is None:
        raise UnknownAccountError(account_id)
    await conn.execute(pg(sql.SET_AVATAR), (file_id, account_id))
    if old[0] is None or old[0] == file_id:
        return []
    rows = await (await conn.execute(pg(sql.DROP_FILE), (old[0],))).fetchall()
    return [str(row[0]) for row in rows]


async def _save_in_database(
    conn: Connection, *, stored: StoredFile, path: Path, thumb_path: Path | None
) -> StoredFile:
    """The row, then the parts of the file and its thumbnail, then their sizes, in one transaction."""
    async with conn.transaction():
        await conn.execute(pg(sql.INSERT_FILE), sql.file_row(sql.with_sizes(stored, 0, 0, sql.IN_DATABASE)))
        size = await _write_parts(conn, stored.info.id, path, thumb=False)
        thumb_size = (
            0 if thumb_path is None else await _write_parts(conn, stored.info.id, thumb_path, thumb=True)
        )
        await conn.execute(
            "UPDATE files SET size = %s, thumb_size = %s WHERE id = %s", (size, thumb_size, stored.info.id)
        )
    return sql.with_sizes(stored, size, thumb_size, sql.IN_DATABASE)


async def _write_parts(conn: Connection, file_id: str, source: Path, *, thumb: bool) -> int:
    """Store ``source`` as parts of CHUNK_BYTES, read one at a time off the loop; the bytes stored."""
    reading: IO[bytes] = await asyncio.to_thread(source.open, "rb")
    size = part = 0
    try:
        while data := await asyncio.to_thread(reading.read, CHUNK_BYTES):
            await conn.execute(_INSERT_CHUNK, (file_id, thumb, part, data))
            size += len(data)
            part += 1
    finally:
        await asyncio.to_thread(reading.close)
    return size
