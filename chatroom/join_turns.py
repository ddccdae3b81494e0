"""Joins in their turn: a few at once, the rest in line, and how long the line is.

In a reconnect storm thousands of joins arrive within seconds: all at once,
their reads queued behind the store's few connections and the bus's, each
waited its turn there again for every read, and most passed the 5 s bound
and were refused `unavailable` (docs/benchmarks/deployments.md, "Join
storms"). In line, each read waits behind at most ``at_once`` joins, and the
rest wait without a deadline.

The line's length is what the listener asks before it accepts another
connection (listener.Listener.busy): a connection waiting in line holds its
upgrade's request, headers, handler and coroutines until it has joined.
Thousands of them waiting at once left the heap fragmented once they were
gone (an idle member cost 19 KiB after a storm against 11 without one:
docs/benchmarks/fanout.md, "A storm's line"), so while the line is long,
new connections wait in the kernel's backlog instead, where they cost the
process nothing.
"""

from __future__ import annotations

import asyncio
from types import TracebackType

# Joins that read the store and ask the bus at once, in one process.
JOINS_AT_ONCE = 32
# Members waiting for their turn beyond which the listener stops accepting for a moment.
LONGEST_LINE = 256


class JoinTurns:
    """``async with turns:`` waits for a turn among ``at_once``; ``crowded()`` says the line is long."""

    def __init__(self, at_once: int = JOINS_AT_ONCE, longest_line: int = LONGEST_LINE) -> None:
        self._turns = asyncio.Semaphore(at_once)
        self.longest_line = longest_line
        self.waiting = 0

    def crowded(self) -> bool:
        """Whether so many wait that a new connection should wait in the kernel's backlog."""
        return self.waiting >= self.longest_line

    async def __aenter__(self) -> None:
        self.waiting += 1
        try:
            await self._turns.acquire()
        finally:
            self.waiting -= 1

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self._turns.release()
