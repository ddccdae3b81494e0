"""Allowances a minute (chatroom/allowances.py): spent through the backend, alone while it is away."""

from __future__ import annotations

import asyncio

from chatroom.allowances import Allowance
from chatroom.backend import BackendError


class Counts:
    """A backend's spending, recorded; it fails while ``away``."""

    def __init__(self, wait: float = 0.0) -> None:
        self.asked: list[tuple[str, int]] = []
        self.wait = wait
        self.away = False

    async def spend(self, key: str, per_minute: int) -> float:
        if self.away:
            raise BackendError("the bus is away")
        self.asked.append((key, per_minute))
        return self.wait


def test_an_allowance_is_spent_through_the_backend_under_its_kind() -> None:
    """The backend's count decides; the key carries the allowance's kind, so that kinds never mix."""
    counts = Counts(wait=2.5)
    forwards = Allowance(counts, "forwards", 30)
    assert asyncio.run(forwards.spend("7")) == 2.5
    assert counts.asked == [("forwards:7", 30)]


def test_no_allowance_asks_nobody() -> None:
    """An allowance of 0 a minute is no limit: nothing is counted."""
    counts = Counts(wait=2.5)
    assert asyncio.run(Allowance(counts, "uploads", 0).spend("7")) == 0
    assert counts.asked == []


def test_while_the_backend_is_away_a_process_counts_alone() -> None:
    """The bus away, 3 a minute are still let through and the 4th waits for one (20 s); another key has
    its own; the backend's count takes over again once it is back."""
    counts = Counts()
    counts.away = True
    rooms = Allowance(counts, "new-rooms", 3)

    async def scenario() -> None:
        assert [await rooms.spend("7") for _ in range(3)] == [0, 0, 0]
        assert 19.0 < await rooms.spend("7") <= 20.0
        assert await rooms.spend("8") == 0
        counts.away = False
        assert await rooms.spend("7") == 0
        assert counts.asked == [("new-rooms:7", 3)]

    asyncio.run(scenario())
