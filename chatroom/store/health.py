"""Whether a store can be written: the last real write and a periodic write probe.

A server started on a full disk, or whose database refuses writes while
nobody writes, must say so from its first /healthz: the probe runs at start
and then every ``interval`` seconds; a real write's outcome counts too.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from .. import metrics
from ..tasks import stop_task

log = logging.getLogger("chatroom.store")


class WriteHealth:
    """The last write's and the last probe's outcome, logged once per change."""

    def __init__(self, where: str, interval: float, probe: Callable[[], Awaitable[str | None]]) -> None:
        if interval <= 0:
            raise ValueError("probe_interval must be positive")
        self.where = where
        self.interval = interval
        self._probe = probe
        self._write_failed = False
        self._probe_failed = False
        self._task: asyncio.Task[None] | None = None

    @property
    def writable(self) -> bool:
        """Neither the last write nor the last probe failed."""
        return not (self._write_failed or self._probe_failed)

    async def start(self) -> None:
        """Probe once now, then in the background."""
        await self.probe()
        self._task = asyncio.create_task(self._loop(), name="chatroom-store-probe")

    async def stop(self) -> None:
        """Stop probing."""
        task, self._task = self._task, None
        await stop_task(task)

    async def _loop(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            await self.probe()

    async def probe(self) -> None:
        """Run the write probe and record its outcome."""
        error = await self._probe()
        metrics.STORE_WRITE_PROBES.labels("failed" if error else "ok").inc()
        # Room for a busy batch means room for any write: an older failure is past.
        write_failed = self._write_failed and error is not None
        self._record(write_failed, error is not None, error or "")

    def record_write(self, error: str | None) -> None:
        """Note a real write's outcome: None when it committed."""
        self._record(error is not None, self._probe_failed, error or "")

    def _record(self, write_failed: bool, probe_failed: bool, reason: str) -> None:
        was_writable = self.writable
        self._write_failed, self._probe_failed = write_failed, probe_failed
        if was_writable and not self.writable:
            log.error(
                "the store cannot be written: %s; /healthz answers 503 until %s can be written",
                reason,
                self.where,
            )
        elif self.writable and not was_writable:
            log.warning("the store accepts writes again")
        metrics.STORE_WRITABLE.set(1 if self.writable else 0)
