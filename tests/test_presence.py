"""Join and leave notices (chatroom/presence.py): at once in a quiet room, a few a second under churn."""

from __future__ import annotations

import asyncio
import itertools
import json
import threading
import time
from collections.abc import Iterator, Sequence
from typing import Any

import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection

from chatroom import protocol
from chatroom.backend import PresenceEvent, TypingEvent
from chatroom.presence import Coalescer, PresenceBatch, RoomNotices
from tests.clients import open_ws, own_join, receive, welcomed
from tests.support import ServerProcess

RATE, BURST = 4.0, 10
_ts = itertools.count(1)


def joined(nick: str, users: int = 1) -> PresenceEvent:
    return PresenceEvent("join", "lobby", nick, users, next(_ts))


def left(nick: str, users: int = 1) -> PresenceEvent:
    return PresenceEvent("leave", "lobby", nick, users, next(_ts))


def spent(now: float = 0.0) -> Coalescer:
    """A coalescer whose burst is used up at ``now``."""
    coalescer = Coalescer("lobby", RATE, BURST, now)
    for n in range(BURST):
        assert coalescer.admit(joined(f"early{n}"), now)
    return coalescer


def apply(view: set[str], notice: PresenceEvent | PresenceBatch) -> None:
    """What a client does with a notice: its own list of who is online."""
    if isinstance(notice, PresenceEvent):
        (view.add if notice.event == "join" else view.discard)(notice.nick)
    else:
        view.difference_update(notice.left)
        view.update(notice.joined)


# --- the coalescer, on a clock of the test's own ---------------------------------


def test_a_quiet_room_passes_each_notice_at_once() -> None:
    """Up to the burst in a row, and one more per token after, every event goes out as itself."""
    coalescer = Coalescer("lobby", RATE, BURST, now=0.0)
    assert all(coalescer.admit(joined(f"n{n}"), now=0.0) for n in range(BURST))
    assert coalescer.due(0.0) is None
    assert coalescer.admit(left("n0"), now=0.25)  # a token came back
    assert coalescer.due(0.25) is None


def test_past_the_burst_events_are_held_until_a_token() -> None:
    """The eleventh event at once is held; it is due when a token is back (1/rate later)."""
    coalescer = spent()
    event = joined("late")
    assert not coalescer.admit(event, now=0.0)
    assert coalescer.due(0.0) == pytest.approx(1 / RATE)
    assert coalescer.flush(0.1) is None  # too early: no token yet
    assert coalescer.flush(1 / RATE) is event  # a lone held event goes out as itself (a sys frame)
    assert coalescer.due(1 / RATE) is None


def test_in_a_storm_even_a_quiet_rooms_notices_wait_for_a_token() -> None:
    """While many joins wait for their turn, a room with its whole burst left still holds its notices."""
    coalescer = Coalescer("lobby", RATE, BURST, now=0.0)
    first, second = joined("ann"), joined("bob")
    assert not coalescer.admit(first, now=0.0, storm=True)
    assert not coalescer.admit(second, now=0.0)  # held behind the first
    assert coalescer.due(0.0) == pytest.approx(1 / RATE)
    batch = coalescer.flush(1 / RATE)
    assert isinstance(batch, PresenceBatch) and batch.joined == ("ann", "bob")
    assert coalescer.admit(joined("cat"), now=1.0)  # the storm over, a token each again


def test_held_events_are_never_overtaken() -> None:
    """Once something is held, later events wait behind it even when a token is back."""
    coalescer = spent()
    assert not coalescer.admit(left("ann"), now=0.0)
    assert not coalescer.admit(joined("ann", users=11), now=5.0)  # tokens are back, but ann's leave waits
    batch = coalescer.flush(5.0)
    assert isinstance(batch, PresenceBatch) and (batch.joined, batch.left) == (("ann",), ())


def test_a_batch_says_where_each_nick_ended() -> None:
    """In or out at the batch's end; a nick that came and went is out; a respelt nick is swapped."""
    coalescer = spent()
    events = [
        joined("ann", 11),
        joined("bob", 12),
        left("bob", 11),  # came and went: listed as left, for members whose welcome showed bob
        left("Cat", 10),
        joined("cat", 11),  # Cat left, cat came back: Cat out, cat in
        left("dan", 10),
        joined("dan", 11),  # left and came back as himself: in, not out
        left("eve", 10),
    ]
    for event in events:
        assert not coalescer.admit(event, now=0.0)
    batch = coalescer.flush(1.0)
    assert batch == PresenceBatch("lobby", ("ann", "cat", "dan"), ("bob", "Cat", "eve"), 10, events[-1].ts)
    assert protocol.frame_of(batch) == {
        "type": "presence",
        "room": "lobby",
        "joined": list(batch.joined),
        "left": list(batch.left),
        "users": 10,
        "ts": events[-1].ts,
        "guests": [],
    }


def test_a_batch_lists_the_guests_among_those_who_joined() -> None:
    """A guest who joined is in the batch's guests; one who came and went is not."""
    coalescer = spent()
    events = [
        PresenceEvent("join", "lobby", "zoe", 2, 1, guest=True),
        PresenceEvent("join", "lobby", "ann", 3, 2),
        PresenceEvent("join", "lobby", "yan", 4, 3, guest=True),
        PresenceEvent("leave", "lobby", "yan", 3, 4, guest=True),
    ]
    for event in events:
        assert not coalescer.admit(event, now=0.0)
    batch = coalescer.flush(1.0)
    assert isinstance(batch, PresenceBatch) and batch.guests == ("zoe",)
    assert protocol.frame_of(batch)["guests"] == ["zoe"]


def test_churn_becomes_a_few_notices_a_second_and_every_view_ends_right() -> None:
    """A thousand joins and leaves a second for 10 s: at most burst + rate per second notices.

    Whatever a member saw at first, applying the notices in order leaves it
    with the room as it really is, at every flush.
    """
    coalescer = Coalescer("lobby", RATE, BURST, now=0.0)
    truth = {"watcher", "stays"}
    view = set(truth)
    notices = 0
    now = 0.0
    for n in range(10_000):
        now = n / 1000
        due = coalescer.due(now)
        if due is not None and due <= now:
            notice = coalescer.flush(now)
            if notice is not None:
                notices += 1
                apply(view, notice)
        nick = f"churn{n // 2}" if n % 3 else "stays"
        event = joined(nick) if nick not in truth else left(nick)
        (truth.add if event.event == "join" else truth.discard)(nick)
        if coalescer.admit(event, now):
            notices += 1
            apply(view, event)
    while (due := coalescer.due(now)) is not None:
        now = max(now, due)
        notice = coalescer.flush(now)
        if notice is not None:
            notices += 1
            apply(view, notice)
    assert view == truth
    assert notices <= BURST + RATE * now + 1


# --- every room's coalescer, on a running loop ---------------------------------------


def test_held_notices_go_out_on_their_own() -> None:
    """What a room holds is emitted by a timer, with no further event to push it."""

    async def scenario() -> list[Any]:
        emitted: list[Any] = []
        notices = RoomNotices()
        events = [joined("ann"), joined("bob"), TypingEvent("lobby", "ann"), left("ann")]
        passed = notices.admit("lobby", events, 20.0, 1, lambda room, e: emitted.extend(e))
        assert passed == events[:1] + events[2:3]  # the first join passes; typing is never held
        await asyncio.sleep(0.2)
        notices.clear()
        return emitted

    emitted = asyncio.run(scenario())
    assert len(emitted) == 1 and isinstance(emitted[0], PresenceBatch)
    assert (emitted[0].joined, emitted[0].left) == (("bob",), ("ann",))


def test_in_a_storm_every_notice_goes_out_later_in_one() -> None:
    """RoomNotices holds a storm's joins, typing still passes, and the held go out as one batch."""

    async def scenario() -> tuple[Sequence[Any], list[Any]]:
        emitted: list[Any] = []
        notices = RoomNotices()
        events = [joined("ann"), TypingEvent("lobby", "zoe"), joined("bob")]
        passed = notices.admit("lobby", events, 20.0, BURST, lambda room, e: emitted.extend(e), storm=True)
        await asyncio.sleep(0.2)
        notices.clear()
        return passed, emitted

    passed, emitted = asyncio.run(scenario())
    assert [type(e) for e in passed] == [TypingEvent]
    assert len(emitted) == 1 and isinstance(emitted[0], PresenceBatch)
    assert emitted[0].joined == ("ann", "bob")


def test_the_joiner_gets_its_own_join_at_once_even_when_held() -> None:
    """A member waiting for its own join is greeted on arrival; coalescing on or off; not after it left."""

    async def scenario() -> None:
        notices = RoomNotices()
        greeted: list[PresenceEvent] = []
        for n in range(3):
            notices.admit("lobby", [joined(f"n{n}")], 1.0, 1, lambda room, e: None)
        notices.await_join("lobby", "ann", greeted.append)
        ann = joined("ann")
        assert notices.admit("lobby", [ann], 1.0, 1, lambda room, e: None) == []  # held for the others
        assert greeted == [ann]
        notices.await_join("lobby", "bob", greeted.append)
        bob = joined("bob")
        assert notices.admit("lobby", [bob], 0, 1, lambda room, e: None) == [bob]  # coalescing off
        assert greeted == [ann, bob]
        notices.await_join("lobby", "cat", greeted.append)
        notices.stop_awaiting("lobby", "cat", greeted.append)
        notices.admit("lobby", [joined("cat")], 0, 1, lambda room, e: None)
        assert greeted == [ann, bob]
        notices.clear()

    asyncio.run(scenario())


def test_every_connection_of_a_nick_awaiting_its_join_is_greeted_by_it() -> None:
    """Two tabs of one account waiting for the same join both get it; one that stopped waiting does not."""

    async def scenario() -> None:
        notices = RoomNotices()
        first: list[PresenceEvent] = []
        second: list[PresenceEvent] = []
        third: list[PresenceEvent] = []
        for greet in (first.append, second.append, third.append):
            notices.await_join("lobby", "ann", greet)
        notices.stop_awaiting("lobby", "ann", third.append)
        ann = joined("ann")
        notices.admit("lobby", [ann], 0, 1, lambda room, e: None)
        assert (first, second, third) == ([ann], [ann], [])
        notices.admit("lobby", [joined("ann")], 0, 1, lambda room, e: None)
        assert (first, second) == ([ann], [ann])

    asyncio.run(scenario())


# --- through real sockets ---------------------------------------------------------------


@pytest.fixture
def server() -> Iterator[ServerProcess]:
    """A server that lets one address join without limit, so that churn reaches the room."""
    with ServerProcess(":memory:", "--log-level", "warning") as running:
        yield running


def member(server: ServerProcess, room: str, nick: str) -> tuple[ClientConnection, list[str]]:
    """A member that has read its welcome, history and own join; the users its welcome listed."""
    ws, welcome, _ = welcomed(server, max_queue=None, room=room, nick=nick)
    own_join(ws, nick)
    return ws, list(welcome["users"])


class Watcher(threading.Thread):
    """Reads one member's frames as they come, with the time each arrived."""

    def __init__(self, ws: ClientConnection) -> None:
        super().__init__(daemon=True)
        self.ws = ws
        self.frames: list[tuple[float, dict[str, Any]]] = []

    def run(self) -> None:
        try:
            for raw in self.ws:
                self.frames.append((time.monotonic(), json.loads(raw)))
        except ConnectionClosed:  # dropped at the end of the test
            return

    def notices(self) -> list[tuple[float, dict[str, Any]]]:
        return [(at, f) for at, f in self.frames if f["type"] in ("sys", "presence")]


def churn(server: ServerProcess, room: str, loops: int, name: str) -> None:
    """Connect, read the welcome, close: as fast as one client can."""
    for n in range(loops):
        with open_ws(server, room=room, nick=f"{name}{n}") as ws:
            receive(ws)


def view_of(users: list[str], notices: list[tuple[float, dict[str, Any]]]) -> set[str]:
    view = set(users)
    for _, frame in notices:
        if frame["type"] == "sys":
            (view.add if frame["event"] == "join" else view.discard)(frame["nick"])
        else:
            view.difference_update(frame["left"])
            view.update(frame["joined"])
    return view


def test_churn_reaches_a_watching_member_as_a_few_frames_a_second(server: ServerProcess) -> None:
    """Hundreds of connect→close loops: the watcher gets a few notices a second, and the right list."""
    watcher_ws, users = member(server, "churn", "watcher")
    watcher = Watcher(watcher_ws)
    watcher.start()
    workers = [threading.Thread(target=churn, args=(server, "churn", 150, f"c{w}-")) for w in range(3)]
    started = time.monotonic()
    for worker in workers:
        worker.start()
    time.sleep(0.3)
    stayer, _ = member(server, "churn", "stayer")  # joins mid-churn and stays
    for worker in workers:
        worker.join()
    churned = time.monotonic() - started
    time.sleep(1.0)  # the last batch goes out within 1/rate
    notices = watcher.notices()
    # 900 joins and leaves; without coalescing the watcher would get each of them.
    assert len(notices) <= BURST + RATE * (churned + 1.0) + 1, len(notices)
    assert any(f["type"] == "presence" for _, f in notices)
    assert view_of(users, notices) == {"watcher", "stayer"}
    assert notices[-1][1]["users"] == 2
    # The room is quiet again: a single join and leave arrive at once, as sys frames.
    time.sleep(BURST / RATE)
    before = len(watcher.notices())
    sent = time.monotonic()
    with open_ws(server, room="churn", nick="late") as late:
        receive(late)
        time.sleep(0.5)
    deadline = time.monotonic() + 5
    while len(watcher.notices()) < before + 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    quiet = watcher.notices()[before:]
    assert [(f["type"], f["event"], f["nick"]) for _, f in quiet] == [
        ("sys", "join", "late"),
        ("sys", "leave", "late"),
    ]
    assert quiet[0][0] - sent < 0.5 and quiet[1][0] - sent < 1.5
    stayer.close()
    watcher_ws.close()


def test_a_quiet_room_hears_each_join_and_leave_at_once(server: ServerProcess) -> None:
    """Version 1 unchanged in a quiet room: bob's join and leave reach ann promptly as sys frames."""
    ann, _ = member(server, "quiet", "ann")
    started = time.monotonic()
    bob, users = member(server, "quiet", "bob")
    assert users == ["ann", "bob"]
    frame = receive(ann, timeout=2)
    assert (frame["type"], frame["event"], frame["nick"], frame["users"]) == ("sys", "join", "bob", 2)
    bob.close()
    frame = receive(ann, timeout=2)
    assert (frame["type"], frame["event"], frame["nick"], frame["users"]) == ("sys", "leave", "bob", 1)
    assert time.monotonic() - started < 2.0
    ann.close()
