"""Per-minute allowances counted by the deployment: a person on two nodes has one, not one a process.

Creating rooms, groups and custom emoji, changing one's status, forwarding,
uploading and having one's links read for previews each have an allowance
a minute per person (creating a room by joining it, per address). Counted in one process, a person spreading
requests over N processes or nodes would get N times as many; the bus keeps
the count instead (Redis for many processes, this process's memory
otherwise), as it does sign-in failures (limits.SignInLimit).

While the bus cannot be reached, each process counts alone, as it goes on
storing and delivering alone, and the deployment's count takes over again
once the bus is back: an outage never refuses what the limit allows.
"""

from __future__ import annotations

from typing import Protocol

from .backend import BackendError
from .limits import KeyedTokenBuckets


class Spending(Protocol):
    """Where allowances are spent: the backend, so that every node spends from the same ones."""

    async def spend(self, key: str, per_minute: int) -> float: ...


class Allowance:
    """``per_minute`` actions a minute for each key, in bursts of as many; 0: no limit."""

    __slots__ = ("alone", "counts", "kind", "per_minute")

    def __init__(self, counts: Spending, kind: str, per_minute: int) -> None:
        self.counts = counts
        self.kind = kind
        self.per_minute = per_minute
        self.alone = KeyedTokenBuckets.per_minute(max(per_minute, 1))

    async def spend(self, key: str) -> float:
        """Spend one of ``key``'s: 0 when it may act now, else the seconds until it may (nothing spent)."""
        if not self.per_minute:
            return 0.0
        try:
            return await self.counts.spend(f"{self.kind}:{key}", self.per_minute)
        except BackendError:
            return self.alone.spend(key)
