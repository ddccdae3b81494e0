"""Background tasks, repeated and stopped: a module of its own, so that any layer may use it (as clock.py
is)."""

from __future__ import annotations

import abc
import asyncio
import contextlib


async def stop_task(task: asyncio.Task[None] | None) -> None:
    """Cancel a background loop (None: none runs) and wait until it has ended."""
    if task is None:
        return
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


class Repeating(abc.ABC):
    """Work done ``first_after`` seconds after start (at once by default) and then every ``interval``
    seconds, in the background, until stopped.

    A subclass says what (``once``, which catches the failures it expects: an
    exception out of it ends the loop) and names its task (``task_name``).
    """

    task_name = "chatroom-repeating"

    def __init__(self, interval: float, first_after: float = 0.0) -> None:
        self.interval = interval
        self.first_after = first_after
        self._task: asyncio.Task[None] | None = None

    @abc.abstractmethod
    async def once(self) -> None:
        """The work, done once."""

    def start(self) -> None:
        """Do it now, then every interval, in the background."""
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name=self.task_name)

    async def stop(self) -> None:
        """Stop (work under way is cancelled: the next start does it again)."""
        task, self._task = self._task, None
        await stop_task(task)

    async def _run(self) -> None:
        await asyncio.sleep(self.first_after)
        while True:
            await self.once()
            await asyncio.sleep(self.interval)
