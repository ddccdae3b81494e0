"""The files sweep: at start and every ten minutes, what no upload finished is removed.

store.files.sweep removes files saved more than an hour ago that no message
carries and no account has as its avatar (an upload whose message was never
stored, by a process that died in between), and in a files directory the
blobs and spool files as old that no row names (files_base.FileStore.sweep).
Every process sweeps; sweeps of several nodes at once remove each file once.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from .store.base import StoreError
from .store.files_base import UNATTACHED_GRACE_MS, FileStore

log = logging.getLogger("chatroom.files")

SWEEP_INTERVAL_SECONDS = 600.0

Spawn = Callable[[Awaitable[Any]], None]


class FileSweeper:
    """Sweeps the store's files now and then, off every request's path, until stopped."""

    def __init__(
        self,
        files: FileStore,
        after_sweep: Callable[[], Awaitable[None]],
        interval: float = SWEEP_INTERVAL_SECONDS,
    ) -> None:
        self.files = files
        # Called after each sweep: the bytes stored are counted again.
        self.after_sweep = after_sweep
        self.interval = interval
        self._spawn: Spawn | None = None
        self._timer: asyncio.TimerHandle | None = None

    def start(self, spawn: Spawn) -> None:
        """Sweep now, and every ``interval`` seconds; ``spawn`` runs each sweep in the background."""
        self._spawn = spawn
        self._tick()

    def stop(self) -> None:
        """Sweep no more (a sweep under way finishes)."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._spawn = None

    def _tick(self) -> None:
        if self._spawn is None:
            return
        self._spawn(self.sweep())
        self._timer = asyncio.get_running_loop().call_later(self.interval, self._tick)

    async def sweep(self) -> int:
        """Sweep once; how many files went (0 when the store cannot be reached: the next sweep tries)."""
        try:
            swept = await self.files.sweep(older_than_ms=UNATTACHED_GRACE_MS)
        except StoreError as error:
            log.warning("cannot sweep files: %s", error)
            return 0
        if swept:
            log.info("swept %d files that no message took", swept)
        await self.after_sweep()
        return swept
