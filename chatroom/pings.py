"""Pings for every chat socket of a process from one timer: members that vanished are found and closed.

Tornado's ``websocket_ping_interval`` runs one asyncio task per connection
that sleeps, pings, sleeps again and checks for the pong: a task, a
coroutine frame and a timer held for as long as a member stays, and three
wake-ups per member per interval. Here one timer ticks for the whole process
instead: the members are spread over ``slots`` (one ping interval is
``slots`` ticks), each tick pings one slot's members and closes those of the
slot pinged ``timeout`` ago that have not answered. A member that vanishes
is therefore closed at most ``interval + timeout`` after its last answer, as
with Tornado's own pings.
"""

from __future__ import annotations

import math
from typing import Generic, Protocol, TypeVar

from tornado.ioloop import PeriodicCallback

# Ticks per ping timeout (or per interval without a timeout): the finer,
# the closer the check comes to the timeout, and the smaller each burst of pings.
TICKS_PER_TIMEOUT = 20


class Pingable(Protocol):
    """What the sweep needs of a member's connection."""

    def send_ping(self) -> None:
        """Send a ping frame (a closed connection ignores it)."""

    def ping_timed_out(self) -> None:
        """Close the connection: its ping went unanswered."""


P = TypeVar("P", bound=Pingable)


class PingSchedule:
    """How ``interval`` and ``timeout`` map onto ticks of one timer."""

    def __init__(self, interval: float, timeout: float) -> None:
        # Without pings (interval 0) the schedule is never used: any tick will do.
        self.tick_seconds = (timeout or interval or 1.0) / TICKS_PER_TIMEOUT
        # Rounded down, so no member waits longer than ``interval`` between pings.
        self.slots = max(1, math.floor(interval / self.tick_seconds + 1e-9))
        # Rounded up, so an answer has the whole timeout to come back; at most a whole interval.
        self.timeout_ticks = min(self.slots, math.ceil(timeout / self.tick_seconds - 1e-9)) if timeout else 0


class PingSweep(Generic[P]):
    """Pings every registered member once per interval, closing those that do not answer in time.

    ``tick`` does one step's work; ``add`` starts the timer that calls it
    with the first member, and ``discard`` stops it with the last, so a
    process without members has no timer.
    """

    def __init__(self, interval: float, timeout: float) -> None:
        self.schedule = PingSchedule(interval, timeout)
        self.enabled = interval > 0
        self._slots: list[set[P]] = [set() for _ in range(self.schedule.slots)]
        self._slot_of: dict[P, int] = {}
        self._unanswered: set[P] = set()
        self._ticks = 0
        self._timer: PeriodicCallback | None = None

    def __len__(self) -> int:
        return len(self._slot_of)

    def add(self, member: P) -> None:
        """Ping ``member`` from now on, first about one interval from now (as Tornado's own pings do)."""
        if not self.enabled or member in self._slot_of:
            return
        # The slot pinged last (the last one, before the first tick) is pinged again in an interval.
        slot = (self._ticks - 1) % self.schedule.slots
        self._slots[slot].add(member)
        self._slot_of[member] = slot
        if self._timer is None:
            self._timer = PeriodicCallback(self.tick, self.schedule.tick_seconds * 1000)
            self._timer.start()

    def discard(self, member: P) -> None:
        """Ping ``member`` no more (its connection is closed)."""
        slot = self._slot_of.pop(member, None)
        if slot is None:
            return
        self._slots[slot].discard(member)
        self._unanswered.discard(member)
        if not self._slot_of and self._timer is not None:
            self._timer.stop()
            self._timer = None

    def answered(self, member: P) -> None:
        """``member`` sent a pong."""
        self._unanswered.discard(member)

    def tick(self) -> None:
        """Close the unanswered members of the slot pinged a timeout ago, then ping the next slot."""
        schedule = self.schedule
        due = self._ticks % schedule.slots
        self._ticks += 1
        if schedule.timeout_ticks:
            self._close_unanswered((due - schedule.timeout_ticks) % schedule.slots)
        for member in tuple(self._slots[due]):
            if schedule.timeout_ticks:
                self._unanswered.add(member)
            member.send_ping()

    def _close_unanswered(self, slot: int) -> None:
        silent = [member for member in self._slots[slot] if member in self._unanswered]
        for member in silent:
            self._unanswered.discard(member)
            member.ping_timed_out()
