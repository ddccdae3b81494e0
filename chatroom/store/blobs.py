"""Where files' bytes live on disk: a files directory, written whole or not at all, read in ranges.

A blob is written to a temporary name beside its place, synced, then renamed
into place (and its directory synced), so that a crash leaves either the
whole blob or a temporary file the sweep removes, never half a file under a
real name. The disk is only touched on worker threads; nothing holds more
than one chunk (files_base.CHUNK_BYTES) in memory.

Layout: ``<root>/<two first characters of the id>/<id>`` and ``<id>.thumb``
beside it; ``<root>/.incoming/`` holds uploads still arriving (the spool).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import re
import secrets
import shutil
import tempfile
import time
from collections.abc import AsyncIterator, Iterable, Iterator
from pathlib import Path

from .files_base import CHUNK_BYTES, MissingFileError

log = logging.getLogger("chatroom.store")

# What new_file_id makes (and an import may bring): nothing else names a path.
_FILE_ID = re.compile(r"[A-Za-z0-9_-]{22}")
_TEMPORARY = ".tmp-"
THUMB_SUFFIX = ".thumb"
SPOOL = ".incoming"


def valid_file_id(file_id: str) -> bool:
    """Whether ``file_id`` has the form of a file id (22 url-safe characters)."""
    return _FILE_ID.fullmatch(file_id) is not None


def byte_range(size: int, start: int, end: int | None) -> tuple[int, int]:
    """The range ``start <= i < end`` clipped to a blob of ``size`` bytes (end None: to the last)."""
    stop = size if end is None else min(end, size)
    return min(max(start, 0), stop), stop


def chunk_spans(start: int, stop: int) -> Iterator[tuple[int, int]]:
    """The spans (start, length) of at most CHUNK_BYTES each that cover ``start <= i < stop``,
    each ending on a chunk boundary (so that chunk-wise storage reads one part per span)."""
    position = start
    while position < stop:
        length = min(stop, (position // CHUNK_BYTES + 1) * CHUNK_BYTES) - position
        yield position, length
        position += length


def files_dir_beside(database: str, files_dir: str | None) -> Path | None:
    """The files directory of a SQLite database: ``files_dir`` if given, else ``<database>.files``;
    None (a temporary one) for an in-memory database."""
    if files_dir is not None:
        return Path(files_dir)
    return None if database == ":memory:" else Path(f"{database}.files")


class DirectoryBlobs:
    """Blobs in a directory; None: a temporary one, made at open and removed at close."""

    def __init__(self, root: Path | None) -> None:
        self.temporary = root is None
        self.root = Path(tempfile.gettempdir()) if root is None else root
        # Removals queued after commits (a deletion's), awaited at close.
        self._removing: set[asyncio.Task[None]] = set()

    @property
    def spool_dir(self) -> Path:
        """Where uploads are written while they arrive."""
        return self.root / SPOOL

    def open(self) -> None:
        """Make the directory and its spool (blocking: on a worker thread)."""
        if self.temporary:
            self.root = Path(tempfile.mkdtemp(prefix="chatroom-files-"))
        self.spool_dir.mkdir(parents=True, exist_ok=True)

    async def settle(self) -> None:
        """Wait for the removals under way (remove_later)."""
        if self._removing:
            await asyncio.wait(set(self._removing))

    async def close(self) -> None:
        """Finish the removals under way, then remove a temporary directory with everything in it."""
        await self.settle()
        if self.temporary:
            await asyncio.to_thread(shutil.rmtree, self.root, ignore_errors=True)

    def path_of(self, file_id: str, *, thumb: bool = False) -> Path:
        """Where the file's blob (or its thumbnail's) lives; MissingFileError for an id of another form."""
        if not valid_file_id(file_id):
            raise MissingFileError(file_id)
        return self.root / file_id[:2] / (file_id + (THUMB_SUFFIX if thumb else ""))

    async def put(self, file_id: str, source: Path, *, thumb: bool = False) -> int:
        """Copy ``source`` into place, synced; the bytes written."""
        return await asyncio.to_thread(self._put, self.path_of(file_id, thumb=thumb), source)

    @staticmethod
    def _put(target: Path, source: Path) -> int:
        target.parent.mkdir(parents=True, exist_ok=True)
        temporary = target.parent / f"{_TEMPORARY}{target.name}-{secrets.token_hex(4)}"
        try:
            with source.open("rb") as reading, temporary.open("wb") as writing:
                shutil.copyfileobj(reading, writing, CHUNK_BYTES)
                writing.flush()
                os.fsync(writing.fileno())
                size = writing.tell()
            temporary.replace(target)
        except BaseException:
            temporary.unlink(missing_ok=True)
            raise
        _sync_directory(target.parent)
        return size

    async def read(
        self, file_id: str, *, thumb: bool = False, start: int = 0, end: int | None = None
    ) -> AsyncIterator[bytes]:
        """The bytes ``start <= i < end`` of a blob, chunk by chunk; MissingFileError when it is gone."""
        path = self.path_of(file_id, thumb=thumb)
        try:
            handle = await asyncio.to_thread(path.open, "rb")
        except FileNotFoundError:
            raise MissingFileError(file_id) from None
        try:
            size = await asyncio.to_thread(lambda: os.fstat(handle.fileno()).st_size)
            low, stop = byte_range(size, start, end)
            await asyncio.to_thread(handle.seek, low)
            for _, length in chunk_spans(low, stop):
                data = await asyncio.to_thread(handle.read, length)
                if not data:
                    return
                yield data
        finally:
            await asyncio.to_thread(handle.close)

    async def remove(self, file_ids: Iterable[str]) -> None:
        """Unlink the blobs (and thumbnails) of these files; those already gone are no matter."""
        paths = [self.path_of(i, thumb=t) for i in file_ids if valid_file_id(i) for t in (False, True)]
        if paths:
            await asyncio.to_thread(_unlink_all, paths)

    def remove_later(self, file_ids: Iterable[str]) -> None:
        """Unlink the blobs of files whose rows a commit dropped (a message's deletion), in the background."""
        ids = list(file_ids)
        if ids:
            task = asyncio.ensure_future(self.remove(ids))
            self._removing.add(task)
            task.add_done_callback(self._removed)

    def _removed(self, task: asyncio.Task[None]) -> None:
        self._removing.discard(task)
        if not task.cancelled() and (error := task.exception()) is not None:
            # The sweep finds the blob again later.
            log.warning("cannot remove a deleted file: %s", error)

    async def strays(self, older_than_ms: int) -> set[str]:
        """Ids of the blobs last written more than ``older_than_ms`` ago, the caller to check against its
        rows; temporary and spool files as old are removed on the way (a crashed write, a lost upload)."""
        return await asyncio.to_thread(self._strays, time.time() - older_than_ms / 1000)

    def _strays(self, before: float) -> set[str]:
        found: set[str] = set()
        for path in _old_files(self.spool_dir, before):
            path.unlink(missing_ok=True)
        for shard in _subdirectories(self.root):
            for path in _old_files(shard, before):
                if path.name.startswith(_TEMPORARY):
                    path.unlink(missing_ok=True)
                elif valid_file_id(name := path.name.removesuffix(THUMB_SUFFIX)):
                    found.add(name)
        return found


def _sync_directory(directory: Path) -> None:
    """Make a rename in ``directory`` durable (where the system allows opening a directory)."""
    with contextlib.suppress(OSError):
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _unlink_all(paths: list[Path]) -> None:
    for path in paths:
        path.unlink(missing_ok=True)


def _subdirectories(root: Path) -> list[Path]:
    """The shard directories of a root (two-character names), not the spool."""
    with contextlib.suppress(FileNotFoundError):
        return [entry for entry in root.iterdir() if len(entry.name) == 2 and entry.is_dir()]
    return []


def _old_files(directory: Path, before: float) -> list[Path]:
    """The files of ``directory`` last modified before ``before`` (seconds since the epoch)."""
    old: list[Path] = []
    with contextlib.suppress(FileNotFoundError):
        for entry in os.scandir(directory):
            with contextlib.suppress(FileNotFoundError):
                if entry.is_file(follow_symlinks=False) and entry.stat().st_mtime < before:
                    old.append(Path(entry.path))
    return old
