"""Every wait of the PostgreSQL store on its server, bounded by one timeout.

psycopg answers a cancelled query by asking the server to cancel it, which
takes up to ten seconds more from a server that does not answer: that goes
on in the background, not in the caller's wait, and the store waits for it
only when it closes.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any, TypeVar

from .pg_schema import Target

T = TypeVar("T")


class Deadline:
    """Runs work on the server within ``timeout`` seconds, and says why work failed."""

    def __init__(self, target: Target, timeout: float) -> None:
        self.target = target
        self.timeout = timeout
        # Work that timed out and is being cancelled.
        self._settling: set[asyncio.Future[Any]] = set()

    async def run(self, work: Coroutine[Any, Any, T], scale: int = 1) -> T:
        """The outcome of ``work``, or TimeoutError after ``scale`` timeouts."""
        task = asyncio.ensure_future(work)
        try:
            async with asyncio.timeout(self.timeout * scale):
                return await asyncio.shield(task)
        finally:
            if not task.done():
                task.cancel()
                self._settling.add(task)
                task.add_done_callback(self._settled)

    def reason(self, error: BaseException) -> str:
        """Why work failed, in words for a log line or an error frame (no password in them)."""
        if isinstance(error, TimeoutError):
            return f"no answer from PostgreSQL within {self.timeout:g} s"
        return self.target.say(error)

    async def settle(self) -> None:
        """Wait, one timeout at most, for the work that timed out to be cancelled on the server."""
        if self._settling:
            await asyncio.wait(self._settling, timeout=self.timeout)

    def _settled(self, task: asyncio.Future[Any]) -> None:
        self._settling.discard(task)
        if not task.cancelled():
            task.exception()  # retrieved: it was reported as a timeout
