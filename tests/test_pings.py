"""One ping sweep per process pings every member once per interval and closes those that stop answering."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import socket
from collections.abc import Callable
from dataclasses import replace

import pytest
from tornado.testing import gen_test

from chatroom.handlers import ChatSocketHandler
from chatroom.pings import PingSchedule, PingSweep
from tests.chat_case import ChatTestCase
from tests.raw_ws import OP_CLOSE, OP_PING, OP_PONG, OP_TEXT, RawMember, client_frame, text_frame
from tests.support import ServerProcess, upgrade_request


class FakeMember:
    """A connection that counts its pings and whether it was closed for silence."""

    def __init__(self, answers: bool = True) -> None:
        self.answers = answers
        self.pings = 0
        self.timed_out = False
        self.sweep: PingSweep[FakeMember] | None = None

    def send_ping(self) -> None:
        self.pings += 1
        if self.answers and self.sweep is not None:
            self.sweep.answered(self)

    def ping_timed_out(self) -> None:
        self.timed_out = True


def sweep_of(members: list[FakeMember], interval: float = 20, timeout: float = 10) -> PingSweep[FakeMember]:
    """A sweep with ``members`` added, driven by hand (tick) rather than by its timer."""
    sweep: PingSweep[FakeMember] = PingSweep(interval, timeout)
    for member in members:
        member.sweep = sweep
        sweep.add(member)
    # Driven by hand: the timer the first member started must not tick too.
    if sweep._timer is not None:
        sweep._timer.stop()
    return sweep


def in_a_loop(test: Callable[[], None]) -> Callable[[], None]:
    """Run ``test`` inside a running event loop: the sweep starts its timer on one."""

    @functools.wraps(test)
    def run() -> None:
        async def main() -> None:
            test()

        asyncio.run(main())

    return run


def ticks_for(sweep: PingSweep[FakeMember], seconds: float) -> int:
    return round(seconds / sweep.schedule.tick_seconds)


@pytest.mark.parametrize(
    ("interval", "timeout", "slots", "timeout_ticks"),
    [(20, 10, 40, 20), (0.2, 0.2, 20, 20), (30, 0, 20, 0), (10, 3, 66, 20)],
)
def test_schedule_never_pings_later_nor_checks_sooner_than_asked(
    interval: float, timeout: float, slots: int, timeout_ticks: int
) -> None:
    """Pings come at most ``interval`` apart; a timeout is at least ``timeout``, at most the interval."""
    schedule = PingSchedule(interval, timeout)
    assert (schedule.slots, schedule.timeout_ticks) == (slots, timeout_ticks)
    assert schedule.slots * schedule.tick_seconds <= interval + 1e-9
    assert schedule.timeout_ticks * schedule.tick_seconds >= timeout - 1e-9


@in_a_loop
def test_every_member_is_pinged_once_per_interval_first_one_interval_after_joining() -> None:
    """Members pinged once each per interval; none before an interval has passed since it joined."""
    members = [FakeMember() for _ in range(100)]
    sweep = sweep_of(members)
    slots = sweep.schedule.slots
    for _ in range(slots - 1):
        sweep.tick()
    assert [m.pings for m in members] == [0] * 100
    sweep.tick()
    assert [m.pings for m in members] == [1] * 100
    for _ in range(2 * slots):
        sweep.tick()
    assert [m.pings for m in members] == [3] * 100
    assert not any(m.timed_out for m in members)


@in_a_loop
def test_members_joining_over_time_are_pinged_one_interval_after_they_joined() -> None:
    """A member joining at each tick is first pinged one interval later: pings spread as joins do."""
    sweep = sweep_of([])
    slots = sweep.schedule.slots
    members: list[FakeMember] = []
    first_ping: dict[int, int] = {}
    for tick in range(3 * slots):
        if tick < slots:
            member = FakeMember()
            member.sweep = sweep
            sweep.add(member)
            members.append(member)
            if sweep._timer is not None:
                sweep._timer.stop()
        before = [m.pings for m in members]
        sweep.tick()
        pinged = [index for index, m in enumerate(members) if m.pings > before[index]]
        assert len(pinged) <= 1
        for index in pinged:
            first_ping.setdefault(index, tick)
    # Joined before tick i ran, pinged in tick i + slots - 1: after ``slots`` ticks, one interval.
    assert first_ping == {index: index + slots - 1 for index in range(slots)}


@in_a_loop
def test_a_member_that_stops_answering_is_closed_within_interval_plus_timeout() -> None:
    """Silent after its last answer, a member is closed within interval + timeout, not before the timeout."""
    quiet, chatty = FakeMember(), FakeMember()
    sweep = sweep_of([quiet, chatty], interval=20, timeout=10)
    slots = sweep.schedule.slots
    for _ in range(slots):  # first pings, both answered
        sweep.tick()
    assert (quiet.pings, chatty.pings) == (1, 1)
    quiet.answers = False
    ticks = 0
    while not quiet.timed_out:
        sweep.tick()
        ticks += 1
    assert ticks * sweep.schedule.tick_seconds <= 20 + 10
    assert quiet.pings == 2
    assert ticks - ticks_for(sweep, 20) >= ticks_for(sweep, 10)
    assert not chatty.timed_out


@in_a_loop
def test_a_late_answer_still_saves_a_member_if_it_comes_within_the_timeout() -> None:
    """A pong arriving before the timeout's check keeps the member."""
    late = FakeMember(answers=False)
    sweep = sweep_of([late], interval=20, timeout=10)
    for _ in range(sweep.schedule.slots + ticks_for(sweep, 10) - 1):
        sweep.tick()
    assert late.pings == 1 and not late.timed_out
    sweep.answered(late)
    sweep.tick()
    assert not late.timed_out


@in_a_loop
def test_a_member_gone_is_neither_pinged_nor_closed() -> None:
    """After discard, the sweep forgets the member, and stops its timer with the last one."""
    gone = FakeMember(answers=False)
    sweep = sweep_of([gone])
    sweep.discard(gone)
    for _ in range(3 * sweep.schedule.slots):
        sweep.tick()
    assert (gone.pings, gone.timed_out, len(sweep)) == (0, False, 0)
    assert sweep._timer is None


@in_a_loop
def test_without_a_timeout_pings_go_out_and_nobody_is_closed() -> None:
    """--ping-timeout 0: pings keep connections alive through proxies, silence closes nothing."""
    silent = FakeMember(answers=False)
    sweep = sweep_of([silent], interval=30, timeout=0)
    for _ in range(5 * sweep.schedule.slots):
        sweep.tick()
    assert (silent.pings, silent.timed_out) == (5, False)


@in_a_loop
def test_no_pings_when_the_interval_is_zero() -> None:
    """--ping-interval 0: no member is registered, no timer runs."""
    sweep: PingSweep[FakeMember] = PingSweep(0, 0)
    sweep.add(FakeMember())
    assert len(sweep) == 0 and sweep._timer is None


class PingedMembersTest(ChatTestCase):
    """Through a real server: members answering pings stay, with no ping task of Tornado's per connection."""

    settings = replace(ChatTestCase.settings, ping_interval=0.2, ping_timeout=0.2)

    @gen_test(timeout=20)
    async def test_members_that_answer_stay_and_no_connection_has_a_ping_task(self) -> None:
        """Tornado's client answers pings; after several intervals both members still talk."""
        ann, _, _ = await self.join("ann")
        bob, _, _ = await self.join("bob")
        await asyncio.sleep(1.2)
        tasks = [task.get_coro().__qualname__ for task in asyncio.all_tasks()]  # type: ignore[union-attr]
        assert not [name for name in tasks if name.endswith("periodic_ping")], tasks
        ann.write_message('{"type": "message", "message": "still here"}')
        assert (await self.recv_type(bob, "user"))["message"] == "still here"
        assert (await self.recv_type(ann, "user"))["message"] == "still here"


def test_a_raw_client_gets_pings_answers_them_and_stays_while_a_silent_one_is_closed() -> None:
    """Real server and listener: pings arrive as frames; the member that pongs stays, the other gets 1000."""
    with (
        ServerProcess(":memory:", "--ping-interval", "0.5", "--ping-timeout", "0.5") as server,
        RawMember(server.port, "pings", "answers") as answers,
        RawMember(server.port, "pings", "silent") as silent,
    ):
        answers.join()
        silent.join()
        pings = 0
        while pings < 4:
            frame = answers.next_frame()
            assert frame is not None and frame[0] != OP_CLOSE, frame
            if frame[0] == OP_PING:
                pings += 1
                answers.send(client_frame(OP_PONG, frame[1]))
        ending = None
        while ending is None or ending[0] != OP_CLOSE:
            ending = silent.next_frame()
            assert ending is not None, "the stream ended without a close frame"
        assert ending[1] == b"\x03\xe8ping timed out"
        answers.send(text_frame('{"type": "message", "message": "still here"}'))
        while True:
            frame = answers.next_frame()
            assert frame is not None and frame[0] != OP_CLOSE, frame
            if frame[0] == OP_PING:
                answers.send(client_frame(OP_PONG, frame[1]))
            elif frame[0] == OP_TEXT and b"still here" in frame[1]:
                break


class PingOrderTest(ChatTestCase):
    """A ping is not held behind the frames a member's outbox still queues."""

    settings = replace(ChatTestCase.settings, ping_interval=20, ping_timeout=10)

    @gen_test
    async def test_a_ping_goes_ahead_of_frames_the_outbox_still_queues(self) -> None:
        """Queued in the same tick, the outbox's frame arrives after the ping sent meanwhile."""
        raw = socket.create_connection(("127.0.0.1", self.get_http_port()))
        raw.sendall(upgrade_request(self.get_http_port(), "lobby", "ann"))
        raw.setblocking(False)
        await asyncio.sleep(0.3)
        with contextlib.suppress(BlockingIOError):
            raw.recv(1 << 16)  # the 101, welcome, history and join
        (handler,) = ChatSocketHandler.clients["lobby"]
        assert handler.outbox is not None
        handler.outbox.send(b"\x81\x06queued")
        handler.send_ping()
        await asyncio.sleep(0.2)
        received = raw.recv(1 << 16)
        assert received.index(b"\x89\x00") < received.index(b"\x81\x06queued"), received
        raw.close()
