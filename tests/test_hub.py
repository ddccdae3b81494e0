"""The hub's turns for joins: members beyond them wait for a turn, and none is refused for waiting."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import replace

from tornado.testing import gen_test

from chatroom.hub import JOINS_AT_ONCE
from tests.chat_case import ChatTestCase


class JoinTurnsTest(ChatTestCase):
    """At most JOINS_AT_ONCE joins read the store and ask the bus at once; the rest wait in line."""

    # Many members come into new rooms from one address at once.
    settings = replace(ChatTestCase.settings, new_rooms_per_minute=0)

    @asynccontextmanager
    async def every_turn_taken(self) -> AsyncIterator[Callable[[], None]]:
        """Hold every turn; the caller may give them back one by one, the rest go back at the end."""
        joining = self.app.hub.joining
        for _ in range(JOINS_AT_ONCE):
            await joining.acquire()
        held = JOINS_AT_ONCE

        def give_one_back() -> None:
            nonlocal held
            held -= 1
            joining.release()

        try:
            yield give_one_back
        finally:
            for _ in range(held):
                joining.release()

    @gen_test
    async def test_a_join_waits_for_a_turn_then_is_welcomed(self) -> None:
        """While every turn is taken a newcomer hears nothing, is not refused, and is welcomed at the next."""
        async with self.every_turn_taken() as give_one_back:
            ann = await self.connect(room="lobby", nick="ann")
            await self.nothing_more(ann, wait=0.3)
            give_one_back()
            welcome = await self.recv(ann)
            assert (welcome["type"], welcome["nick"], welcome["users"]) == ("welcome", "ann", ["ann"])

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
