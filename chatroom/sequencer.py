"""Delivery of one room's messages in id order, with gaps repaired from the store.

Changes to messages (edits, deletions, reactions) take ids of the same
sequence and are delivered, held and repaired exactly as messages are.

Messages reach a process by two roads: its own, straight from its store
writer, and other processes', over the bus. Either may be late, and the bus
may lose some (a publisher that died between commit and publish, a bus that
was down). A RoomFeed passes on each message once, in id order: one whose
predecessor has not arrived is held back; if the gap is still there after a
short wait, the missing ids are read from the store, where they must be
(an id is assigned only after every lower id of the room was committed).

Each delivery is one write to every member of the room. In a room where this
process itself commits often, messages and changes that come over the bus
wait a little for its next commit (at most BUS_HOLD), so both go out in one
write per member: with two processes serving one busy room, each member
would otherwise get a write per commit of either process, twice one
process's writes for the same messages.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Sequence

from .backend import Event, EventSink, Sequenced, StoredChange, StoredMessage

log = logging.getLogger("chatroom.delivery")

# How long a message waits for its predecessor before the store is asked.
REPAIR_WAIT = 0.25
REPAIR_PAGE = 1000
# How long events from the bus may wait for this process's next commit of the
# room, and how recent its last commit must be for the wait to be worth it.
BUS_HOLD = 0.004
BUSY_ROOM = 2 * BUS_HOLD

# Reads messages and changes of the room with id > after, in id order, at most limit.
ReadAfter = Callable[[int, int], Awaitable[list[Sequenced]]]


class RoomFeed:
    """One subscribed room: what was delivered last, and what waits for a gap."""

    def __init__(
        self, room: str, sink: EventSink, read_after: ReadAfter, *, repair_wait: float = REPAIR_WAIT
    ) -> None:
        self.room = room
        self.sink = sink
        self._read_after = read_after
        self._repair_wait = repair_wait
        # None until the starting point is known (see start): events are held.
        self.last_id: int | None = None
        self._priming: list[Event] = []
        self._held: dict[int, Sequenced] = {}
        self._repair: asyncio.TimerHandle | None = None
        self._repairing: asyncio.Future[int] | None = None
        # Events from the bus waiting for this process's next commit (see BUS_HOLD).
        self._from_bus: list[Event] = []
        self._release: asyncio.TimerHandle | None = None
        self._committed_at = float("-inf")
        self.closed = False

    def start(self, last_id: int) -> None:
        """Delivery starts after ``last_id`` (what the store had when the subscription began)."""
        self.last_id = last_id
        priming, self._priming = self._priming, []
        self.take(priming)

    def take_own(self, events: Sequence[Event]) -> None:
        """This process's commit: passed on with whatever the bus brought meanwhile."""
        self._committed_at = time.monotonic()
        self._take_after_held(events)

    def take_from_bus(self, events: Sequence[Event]) -> None:
        """Another process's events: messages and changes wait for this process's next commit if it is
        due; anything else (presence, typing: a member may be waiting for its own join) goes at once."""
        if (
            self.closed
            or time.monotonic() - self._committed_at > BUSY_ROOM
            or not all(isinstance(event, StoredMessage | StoredChange) for event in events)
        ):
            self._take_after_held(events)
            return
        self._from_bus.extend(events)
        if self._release is None:
            self._release = asyncio.get_running_loop().call_later(BUS_HOLD, self._release_bus)

    def _take_after_held(self, events: Sequence[Event]) -> None:
        if self._from_bus:
            self._cancel_release()
            events = [*self._from_bus, *events]
            self._from_bus = []
        self.take(events)

    def _release_bus(self) -> None:
        self._release = None
        held, self._from_bus = self._from_bus, []
        self.take(held)

    def _cancel_release(self) -> None:
        if self._release is not None:
            self._release.cancel()
            self._release = None

    def take(self, events: Sequence[Event]) -> None:
        """Pass on what is next in order; hold back what comes early."""
        if self.closed:
            return
        if self.last_id is None:
            self._priming.extend(events)
            return
        ready: list[Event] = []
        for event in events:
            if isinstance(event, StoredMessage | StoredChange):
                self._take_message(event, ready)
            else:
                ready.append(event)
        if ready:
            self.sink(ready)
        self._watch_gap()

    def _take_message(self, message: Sequenced, ready: list[Event]) -> None:
        assert self.last_id is not None
        if message.id <= self.last_id:
            return
        if message.id != self.last_id + 1:
            self._held[message.id] = message
            return
        ready.append(message)
        self.last_id = message.id
        while self.last_id + 1 in self._held:
            self.last_id += 1
            ready.append(self._held.pop(self.last_id))

    def _watch_gap(self) -> None:
        if not self._held:
            if self._repair is not None:
                self._repair.cancel()
                self._repair = None
            return
        if self._repair is None and self._repairing is None:
            loop = asyncio.get_running_loop()
            self._repair = loop.call_later(self._repair_wait, self._start_repair)

    def _start_repair(self) -> None:
        self._repair = None
        self._repairing = asyncio.ensure_future(self.catch_up())
        self._repairing.add_done_callback(self._repaired)

    def _repaired(self, task: asyncio.Future[int]) -> None:
        self._repairing = None
        if not task.cancelled() and task.exception() is not None:
            log.warning("cannot repair a gap in room %r yet: %s", self.room, task.exception())
        if not self.closed:
            self._watch_gap()

    async def catch_up(self) -> int:
        """Read from the store everything after the last delivered id; how many were missed."""
        missed = 0
        while not self.closed and self.last_id is not None:
            page = await self._read_after(self.last_id, REPAIR_PAGE)
            fresh = [m for m in page if self.last_id is not None and m.id > self.last_id]
            missed += len(fresh) - sum(1 for m in fresh if m.id in self._held)
            self.take(fresh)
            if len(page) < REPAIR_PAGE:
                break
        self._skip_unrepairable()
        return missed

    def _skip_unrepairable(self) -> None:
        """Held messages whose predecessors the store does not have: pass them on rather than stall."""
        if not self._held or self.last_id is None:
            return
        log.error(
            "room %r: ids after %d are missing from the store; delivering past them", self.room, self.last_id
        )
        self.last_id = min(self._held) - 1
        self.take([])

    def close(self) -> None:
        """Stop: nothing more is delivered or repaired."""
        self.closed = True
        self._cancel_release()
        self._from_bus = []
        if self._repair is not None:
            self._repair.cancel()
        if self._repairing is not None:
            self._repairing.cancel()
