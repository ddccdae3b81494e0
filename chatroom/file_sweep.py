"""The sweep of uploaded files: at start and every few minutes, files no message came to carry go.

An upload whose message never came (the connection dropped, publishing
failed and the discard failed too) leaves a file no message carries; an
interrupted write leaves a stray blob or spool file. store.files.sweep
removes them once they are UNATTACHED_GRACE_MS old (files_base.py), so an
upload in progress is never touched. Every server process sweeps; sweeps of
several processes at once remove each file once.
"""

from __future__ import annotations

import logging

from .store.base import StoreError
from .store.files_base import UNATTACHED_GRACE_MS, FileStore
from .tasks import Repeating

log = logging.getLogger("chatroom.files")

# Seconds between sweeps.
SWEEP_INTERVAL = 600.0


class FileSweeper(Repeating):
    """Runs store.files.sweep at start and then every ``interval`` seconds, until stopped (a sweep under
    way is cancelled: the next start finishes its work)."""

    task_name = "chatroom-file-sweep"

    def __init__(
        self, files: FileStore, *, interval: float = SWEEP_INTERVAL, grace_ms: int = UNATTACHED_GRACE_MS
    ) -> None:
        super().__init__(interval)
        self.files = files
        self.grace_ms = grace_ms

    async def once(self) -> None:
        """One sweep."""
        try:
            swept = await self.files.sweep(older_than_ms=self.grace_ms)
        except (StoreError, OSError) as error:
            # The database or the disk is away: the next sweep tries again.
            log.warning("cannot sweep uploaded files: %s", error)
        else:
            if swept:
                log.info("swept %d uploaded files no message carries", swept)
