"""Joins in their turn (join_turns.py): members beyond them wait for a turn, none is refused for
waiting, and while the line is long the server accepts no new connection."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import replace

import pytest
from tornado.testing import gen_test

from chatroom.join_turns import JOINS_AT_ONCE, JoinTurns
from tests.chat_case import ChatTestCase


class JoinTurnsTest(ChatTestCase):
    """At most JOINS_AT_ONCE joins read the store and ask the bus at once; the rest wait in line."""

    # Many members come into new rooms from one address at once.
    settings = replace(ChatTestCase.settings, new_rooms_per_minute=0)

    @asynccontextmanager
    async def every_turn_taken(self) -> AsyncIterator[Callable[[], None]]:
        """Hold every turn; the caller may give them back one by one, the rest go back at the end."""
        async with holding_every_turn(self.app.hub.joining) as give_one_back:
            yield give_one_back

    @gen_test
    async def test_a_join_waits_for_a_turn_then_is_welcomed(self) -> None:
        """While every turn is taken a newcomer hears nothing, is not refused, and is welcomed at the next."""
        async with self.every_turn_taken() as give_one_back:
            ann = await self.connect(room="lobby", nick="ann")
            await self.nothing_more(ann, wait=0.3)
            give_one_back()
            welcome = await self.recv(ann)
            assert (welcome["type"], welcome["nick"], welcome["users"]) == ("welcome", "ann", ["ann"])

    @gen_test
    async def test_while_the_line_is_long_the_others_hear_of_joins_together(self) -> None:
        """In a storm (the line at its longest) a member hears of two joins as one presence frame."""
        ann, _, _ = await self.join("ann")
        self.app.hub.joining.longest_line = 0  # every moment counts as a storm
        await self.join("bob")
        await self.join("cat")
        frame = await self.recv(ann)
        assert (frame["type"], frame["joined"], frame["users"]) == ("presence", ["bob", "cat"], 3)

    @gen_test(timeout=30)
    async def test_a_refused_join_gives_its_turn_back(self) -> None:
        """Twice the turns refused (a nick in use) leave every turn free: the next member is welcomed."""
        await self.join("ann")
        refused = [await self.connect(room="lobby", nick="ann") for _ in range(2 * JOINS_AT_ONCE)]
        for client in refused:
            assert (await self.recv(client))["code"] == "nick_taken"
        _, welcome, _ = await self.join("bob")
        assert welcome["users"] == ["ann", "bob"]

    @gen_test(timeout=30)
    async def test_more_joins_than_turns_are_all_welcomed(self) -> None:
        """Four times the turns at once, in four rooms: every one welcomed, none refused."""
        count = 4 * JOINS_AT_ONCE
        clients = await asyncio.gather(
            *[self.connect(room=f"room-{i % 4}", nick=f"m{i}") for i in range(count)]
        )
        welcomes = [await self.recv(client, timeout=20) for client in clients]
        assert [(w["type"], w["nick"]) for w in welcomes] == [("welcome", f"m{i}") for i in range(count)]
        assert {room: len(members) for room, members in self.app.hub.members.items()} == {
            f"room-{i}": count // 4 for i in range(4)
        }


@asynccontextmanager
async def holding_every_turn(
    turns: JoinTurns, at_once: int = JOINS_AT_ONCE
) -> AsyncIterator[Callable[[], None]]:
    """Every turn held by a task of its own; give_one_back ends one of them, the rest end at the end."""
    ends = [asyncio.Event() for _ in range(at_once)]
    taken = asyncio.Semaphore(0)

    async def hold(end: asyncio.Event) -> None:
        async with turns:
            taken.release()
            await end.wait()

    holders = [asyncio.ensure_future(hold(end)) for end in ends]
    for _ in ends:
        await taken.acquire()
    try:
        yield lambda: ends.pop().set()
    finally:
        for end in ends:
            end.set()
        await asyncio.gather(*holders)


@pytest.mark.gen_test
async def test_the_line_is_counted_and_crowded_from_its_longest() -> None:
    """Those waiting for a turn are counted while they wait, and not once they have it."""
    turns = JoinTurns(at_once=1, longest_line=2)
    async with holding_every_turn(turns, at_once=1) as give_one_back:
        waiters = [asyncio.ensure_future(_take_a_turn(turns)) for _ in range(2)]
        await asyncio.sleep(0.01)
        assert (turns.waiting, turns.crowded()) == (2, True)
        give_one_back()
        await asyncio.sleep(0.01)
        assert (turns.waiting, turns.crowded()) == (0, False)
        await asyncio.gather(*waiters)


async def _take_a_turn(turns: JoinTurns) -> None:
    async with turns:
        await asyncio.sleep(0)
