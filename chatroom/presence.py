"""Join and leave notices to a room's members: each at once while quiet, coalesced under churn.

A room's notices are paced by a token bucket: a quiet room sends every join
and leave as it happens (the ``sys`` frame of version 1), up to ``burst`` in a
row; past that, what arrives is held and goes out as one notice each time the
bucket has a token again, ``rate`` a second. A held batch of one event is
still that event's ``sys`` frame; a batch of several is one ``presence`` frame
saying who is in and who is out at its end. So a room whose members connect
and close a thousand times a second costs each member ``rate`` frames a
second, not two thousand.

A join storm counts as churn from its start: while many members wait for
their turn to join this process (join_turns.py), every room's notices are
held as if its bucket were empty. Spread over the storm's seconds, each
room's joins would otherwise get notices of their own, one write to each
member apiece: 10,000 members reconnecting into rooms of 100 took 6.8 s
that way, and 4.9 with their notices folded (docs/benchmarks/fanout.md, "A
storm's line").

Coalescing happens where events reach this process's members, after the
backend has put them in one order (Redis orders every node's events on the
room's channel): each process folds the same sequence, and the count a frame
carries is the one of the last event it holds.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from . import protocol
from .events import Delivered, Event, PresenceBatch, PresenceEvent

TOKEN_SLACK = 1e-6


Notice = PresenceEvent | PresenceBatch


@dataclass(slots=True)
class _Change:
    """What the held events did to one nick (by nick key)."""

    present: bool
    nick: str
    gone: list[str] = field(default_factory=list)
    guest: bool = False

    def record(self, event: PresenceEvent) -> None:
        self.present = event.event == "join"
        self.nick, self.guest = event.nick, event.guest
        if not self.present and event.nick not in self.gone:
            self.gone.append(event.nick)


class Coalescer:
    """One room's join and leave notices, paced by a token bucket; no I/O, no clock of its own."""

    __slots__ = ("_count", "_first", "_held", "_latest", "_tokens", "_updated", "burst", "rate", "room")

    def __init__(self, room: str, rate: float, burst: int, now: float) -> None:
        self.room = room
        self.rate = rate
        self.burst = burst
        self._tokens = float(burst)
        self._updated = now
        self._held: dict[str, _Change] = {}
        self._count = 0
        self._first: PresenceEvent | None = None
        self._latest: PresenceEvent | None = None

    def admit(self, event: PresenceEvent, now: float, storm: bool = False) -> bool:
        """True: send ``event`` now. False: it is held until :meth:`due`.

        While events are held, later ones are held behind them, so that
        notices never overtake each other. In a ``storm`` the bucket is
        emptied first: the event waits for a token like churn's.
        """
        if storm:
            self._refill(now)
            self._tokens = min(self._tokens, 0.0)
        if not self._held and self._take(now):
            return True
        key = protocol.nick_key(event.nick)
        change = self._held.get(key)
        if change is None:
            change = self._held[key] = _Change(False, event.nick)
        change.record(event)
        self._count += 1
        self._first = self._first or event
        self._latest = event
        return False

    def due(self, now: float) -> float | None:
        """When the held events may go out; None when nothing is held."""
        if not self._held:
            return None
        self._refill(now)
        return now + max(0.0, (1 - self._tokens) / self.rate)

    def flush(self, now: float) -> Notice | None:
        """The held events as one notice, if a token allows it now.

        A single held event goes out as itself (a ``sys`` frame); several
        become a batch listing, for each nick they touched, where it ended:
        in (``joined``) or out (``left``). A nick that joined and left within
        the batch is listed as left, since a member that joined meanwhile may
        have seen it in its welcome.
        """
        if not self._held or not self._take(now):
            return None
        held, count, first, last = self._held, self._count, self._first, self._latest
        self._held, self._count, self._first, self._latest = {}, 0, None, None
        assert first is not None and last is not None
        if count == 1:
            return first
        joined = tuple(c.nick for c in held.values() if c.present)
        left = tuple(nick for c in held.values() for nick in c.gone if not (c.present and nick == c.nick))
        guests = tuple(c.nick for c in held.values() if c.present and c.guest)
        return PresenceBatch(self.room, joined, left, last.users, last.ts, guests)

    def _refill(self, now: float) -> None:
        self._tokens = min(float(self.burst), self._tokens + (now - self._updated) * self.rate)
        self._updated = now

    def _take(self, now: float) -> bool:
        self._refill(now)
        # A timer may fire a hair early: a token all but whole is whole.
        if self._tokens >= 1 - TOKEN_SLACK:
            self._tokens = max(0.0, self._tokens - 1)
            return True
        return False


Emit = Callable[[str, Sequence[Delivered]], None]
Greet = Callable[[PresenceEvent], None]


class RoomNotices:
    """Every room's coalescer in this process, and the timers that send what they hold."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._rooms: dict[str, Coalescer] = {}
        self._timers: dict[str, asyncio.TimerHandle] = {}
        self._emit: dict[str, Emit] = {}
        # Several connections of one account may await the same nick's join.
        self._joiners: dict[tuple[str, str], list[Greet]] = {}

    def await_join(self, room: str, nick: str, greet: Greet) -> None:
        """Have ``greet`` called with ``nick``'s own join in ``room`` as soon as it arrives."""
        self._joiners.setdefault((room, nick), []).append(greet)

    def stop_awaiting(self, room: str, nick: str, greet: Greet) -> None:
        """``greet`` is no longer waiting for a join (its member left, or was greeted otherwise)."""
        waiting = self._joiners.get((room, nick))
        if waiting is not None and greet in waiting:
            waiting.remove(greet)
            if not waiting:
                del self._joiners[(room, nick)]

    def admit(
        self, room: str, events: Sequence[Event], rate: float, burst: int, emit: Emit, storm: bool = False
    ) -> Sequence[Event]:
        """``events`` without the join and leave notices held for later.

        A member waiting for its own join gets it first, whatever happens to
        it then. Held notices are passed to ``emit(room, [notice])`` when
        their time comes. A ``rate`` of 0 turns coalescing off. In a
        ``storm`` (many joins waiting for their turn) every notice is held.
        """
        if not any(isinstance(e, PresenceEvent) for e in events):
            return events
        self._greet_joiners(room, events)
        if not rate:
            return events
        now = self._clock()
        coalescer = self._rooms.get(room)
        if coalescer is None:
            coalescer = self._rooms[room] = Coalescer(room, rate, burst, now)
        self._emit[room] = emit
        passed = [e for e in events if not isinstance(e, PresenceEvent) or coalescer.admit(e, now, storm)]
        self._schedule(room, coalescer, now)
        return passed

    def _greet_joiners(self, room: str, events: Sequence[Event]) -> None:
        for event in events:
            if isinstance(event, PresenceEvent) and event.event == "join":
                for greet in self._joiners.pop((room, event.nick), ()):
                    greet(event)

    def forget(self, room: str) -> None:
        """The room has no members here any more: drop what it held."""
        self._rooms.pop(room, None)
        self._emit.pop(room, None)
        timer = self._timers.pop(room, None)
        if timer is not None:
            timer.cancel()

    def clear(self) -> None:
        """Forget every room (tests, between cases)."""
        for room in list(self._rooms):
            self.forget(room)
        self._joiners.clear()

    def _schedule(self, room: str, coalescer: Coalescer, now: float) -> None:
        due = coalescer.due(now)
        if due is None or room in self._timers:
            return
        loop = asyncio.get_running_loop()
        self._timers[room] = loop.call_later(max(0.0, due - now), self._flush, room)

    def _flush(self, room: str) -> None:
        self._timers.pop(room, None)
        coalescer = self._rooms.get(room)
        if coalescer is None:
            return
        now = self._clock()
        notice = coalescer.flush(now)
        if notice is not None:
            self._emit[room](room, [notice])
        self._schedule(room, coalescer, now)
