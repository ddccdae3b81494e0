"""RoomFeed: a room's messages passed on once each, in id order, gaps repaired from the store."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest

from chatroom import sequencer
from chatroom.backend import Event, PresenceEvent, StoredMessage
from chatroom.sequencer import BUS_HOLD, BUSY_ROOM, RoomFeed


def msg(msg_id: int) -> StoredMessage:
    return StoredMessage(msg_id, "lobby", "ann", f"m{msg_id}", 1000 + msg_id)


class Store:
    """The store's messages of the room, and how often it was asked."""

    def __init__(self, ids: Sequence[int]) -> None:
        self.messages = [msg(i) for i in ids]
        self.reads = 0

    async def read_after(self, after: int, limit: int) -> list[StoredMessage]:
        self.reads += 1
        return [m for m in self.messages if m.id > after][:limit]


class Sink:
    def __init__(self) -> None:
        self.events: list[Event] = []

    def __call__(self, events: Sequence[Event]) -> None:
        self.events.extend(events)

    def ids(self) -> list[int]:
        return [e.id for e in self.events if isinstance(e, StoredMessage)]


def test_in_order_messages_pass_straight_through() -> None:
    """Consecutive ids are delivered as they come, and the store is never asked."""

    async def scenario() -> None:
        store, sink = Store([]), Sink()
        feed = RoomFeed("lobby", sink, store.read_after, repair_wait=0.05)
        feed.start(0)
        feed.take([msg(1), msg(2)])
        feed.take([msg(3)])
        await asyncio.sleep(0.1)
        assert sink.ids() == [1, 2, 3] and store.reads == 0

    asyncio.run(scenario())


def test_an_early_message_waits_for_its_predecessor() -> None:
    """A message whose predecessor comes late over the bus is held, then both go in order."""

    async def scenario() -> None:
        store, sink = Store([]), Sink()
        feed = RoomFeed("lobby", sink, store.read_after, repair_wait=0.5)
        feed.start(4)
        feed.take([msg(6)])
        assert sink.ids() == []
        feed.take([msg(5)])
        assert sink.ids() == [5, 6]
        await asyncio.sleep(0.6)
        assert store.reads == 0

    asyncio.run(scenario())


def test_a_gap_that_stays_is_read_from_the_store() -> None:
    """A message that never arrives (its publisher died) is read from the store after the wait."""

    async def scenario() -> None:
        store, sink = Store([1, 2, 3, 4]), Sink()
        feed = RoomFeed("lobby", sink, store.read_after, repair_wait=0.05)
        feed.start(1)
        feed.take([msg(4)])
        await asyncio.sleep(0.2)
        assert sink.ids() == [2, 3, 4] and store.reads == 1

    asyncio.run(scenario())


def test_repeats_and_old_ids_are_dropped() -> None:
    """Ids at or below the last delivered one (history had them, or the bus sent twice) are dropped."""

    async def scenario() -> None:
        sink = Sink()
        feed = RoomFeed("lobby", sink, Store([]).read_after)
        feed.start(2)
        feed.take([msg(1), msg(2), msg(3), msg(3), msg(2)])
        assert sink.ids() == [3]

    asyncio.run(scenario())


def test_events_before_the_start_are_held_then_sorted_out() -> None:
    """What arrives while the starting point is read waits; then old ids drop and presence passes."""

    async def scenario() -> None:
        sink = Sink()
        feed = RoomFeed("lobby", sink, Store([]).read_after)
        join = PresenceEvent("join", "lobby", "bob", 2, 1)
        feed.take([msg(5), join, msg(6)])
        assert sink.events == []
        feed.start(5)
        assert sink.events == [join, msg(6)]

    asyncio.run(scenario())


def test_catch_up_delivers_what_the_bus_missed() -> None:
    """After the bus was away, everything the store has past the last id is delivered once."""

    async def scenario() -> None:
        store, sink = Store(range(1, 2501)), Sink()
        feed = RoomFeed("lobby", sink, store.read_after)
        feed.start(0)
        feed.take([msg(1)])
        assert await feed.catch_up() == 2499
        assert sink.ids() == list(range(1, 2501))

    asyncio.run(scenario())


def test_a_closed_feed_delivers_nothing() -> None:
    """After close nothing more is delivered, and no repair is pending."""

    async def scenario() -> None:
        store, sink = Store([1, 2, 3]), Sink()
        feed = RoomFeed("lobby", sink, store.read_after, repair_wait=0.05)
        feed.start(0)
        feed.take([msg(3)])
        feed.close()
        feed.take([msg(1)])
        await asyncio.sleep(0.15)
        assert sink.ids() == [] and store.reads == 0

    asyncio.run(scenario())


class Calls(Sink):
    """A sink that also counts its calls: each call is one write to every member."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[list[int]] = []

    def __call__(self, events: Sequence[Event]) -> None:
        super().__call__(events)
        self.calls.append([e.id for e in events if isinstance(e, StoredMessage)])


def started_feed() -> tuple[Store, Calls, RoomFeed]:
    """A feed of an empty room, delivering to a sink that counts its calls."""
    store, sink = Store([]), Calls()
    feed = RoomFeed("lobby", sink, store.read_after, repair_wait=0.5)
    feed.start(0)
    return store, sink, feed


class Clock:
    """The feed's monotonic clock, moved by the test alone: on a loaded machine a pause between two
    calls could pass the busy room's window (BUSY_ROOM, 8 ms), and the bus would not be held."""

    def __init__(self) -> None:
        self.now = 1000.0

    def monotonic(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    """The feed's clock, standing still until the test moves it."""
    stopped = Clock()
    monkeypatch.setattr(sequencer, "time", stopped)
    return stopped


@pytest.mark.usefixtures("clock")
def test_the_bus_waits_for_the_next_own_commit_in_a_busy_room() -> None:
    """Another process's messages between two of this process's commits go out with the second, in order."""

    async def scenario() -> None:
        store, sink, feed = started_feed()
        feed.take_own([msg(1), msg(2)])
        feed.take_from_bus([msg(3)])
        feed.take_from_bus([msg(4)])
        assert sink.calls == [[1, 2]]
        feed.take_own([msg(5)])
        assert sink.calls == [[1, 2], [3, 4, 5]]
        await asyncio.sleep(BUS_HOLD * 3)
        assert sink.calls == [[1, 2], [3, 4, 5]] and store.reads == 0

    asyncio.run(scenario())


@pytest.mark.usefixtures("clock")
def test_what_the_bus_brought_waits_at_most_the_hold() -> None:
    """Without another commit of this process, the bus's messages go out once the hold is over."""

    async def scenario() -> None:
        _store, sink, feed = started_feed()
        feed.take_own([msg(1)])
        feed.take_from_bus([msg(2)])
        feed.take_from_bus([msg(3)])
        assert sink.calls == [[1]]
        await asyncio.sleep(BUS_HOLD * 3)
        assert sink.calls == [[1], [2, 3]]

    asyncio.run(scenario())


def test_the_bus_is_not_held_where_this_process_does_not_commit(clock: Clock) -> None:
    """A room this process only listens to gets the bus's messages at once."""

    async def scenario() -> None:
        _store, sink, feed = started_feed()
        feed.take_from_bus([msg(1)])
        feed.take_from_bus([msg(2)])
        assert sink.calls == [[1], [2]]
        feed.take_own([msg(3)])
        clock.now += BUSY_ROOM * 2
        feed.take_from_bus([msg(4)])
        assert sink.calls == [[1], [2], [3], [4]]

    asyncio.run(scenario())


@pytest.mark.usefixtures("clock")
def test_an_own_commit_ahead_of_the_held_bus_still_goes_in_id_order() -> None:
    """This process's commit with a lower id than what the bus holds is delivered first, then the rest."""

    async def scenario() -> None:
        _store, sink, feed = started_feed()
        feed.take_own([msg(1)])
        feed.take_from_bus([msg(3)])
        feed.take_own([msg(2)])
        assert sink.ids() == [1, 2, 3]

    asyncio.run(scenario())


@pytest.mark.usefixtures("clock")
def test_closing_drops_what_the_bus_holds() -> None:
    """A closed feed passes on nothing more, held bus events included."""

    async def scenario() -> None:
        _store, sink, feed = started_feed()
        feed.take_own([msg(1)])
        feed.take_from_bus([msg(2)])
        feed.close()
        await asyncio.sleep(BUS_HOLD * 3)
        assert sink.calls == [[1]]

    asyncio.run(scenario())


@pytest.mark.usefixtures("clock")
def test_presence_from_the_bus_is_not_held_and_releases_what_waits() -> None:
    """A join or leave from the bus goes out at once, behind the messages held before it."""

    async def scenario() -> None:
        _store, sink, feed = started_feed()
        feed.take_own([msg(1)])
        feed.take_from_bus([msg(2)])
        joined = PresenceEvent("join", "lobby", "bob", 2, 1000)
        feed.take_from_bus([joined])
        assert sink.calls == [[1], [2]]
        assert sink.events[-1] is joined
        await asyncio.sleep(BUS_HOLD * 3)
        assert sink.calls == [[1], [2]]

    asyncio.run(scenario())
