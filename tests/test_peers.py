"""Direct rooms tell their members whether the other person is online anywhere (chatroom/peers.py)."""

from __future__ import annotations

from typing import Any

import pytest
from tornado.testing import gen_test

from chatroom import peers
from chatroom.bus.redis_notices import decode_notices, notice_frames
from chatroom.events import PresenceNotice
from tests.chat_case import Client
from tests.rooms_case import RoomsCase


class PeerCase(RoomsCase):
    """ann and bob share a direct room; bob comes and goes in other rooms."""

    async def direct(self) -> str:
        """The people, an open room, and ann and bob's direct room; its name."""
        for name in ("ann", "bob", "carl"):
            await self.person(name)
        await self.create("ann", "commons", "open")
        status, dm, _ = await self.api("POST", "/api/direct", "ann", {"members": ["bob"]})
        assert status == 201
        return str(dm["room"])

    async def peer(self, client: Client) -> dict[str, Any]:
        """The next ``peer`` frame."""
        return await self.recv_type(client, "peer")

    async def nothing_of(self, client: Client, kind: str, wait: float) -> None:
        """No frame of ``kind`` arrives within ``wait`` seconds (others may)."""
        with pytest.raises(TimeoutError):
            await self.recv_type(client, kind, timeout=wait)


class PeerTest(PeerCase):
    """Presence told as it changes, to the direct room's members only."""

    @gen_test(timeout=20)
    async def test_the_other_person_coming_and_going_anywhere_is_told(self) -> None:
        """Ann's direct room says bob is away, online once he opens another room, away once he closes it."""
        dm = await self.direct()
        ann, _ = await self.enter("ann", dm)
        assert await self.peer(ann) == {"type": "peer", "room": dm, "name": "bob", "online": False}
        bob, _ = await self.enter("bob", "commons")
        assert await self.peer(ann) == {"type": "peer", "room": dm, "name": "bob", "online": True}
        bob.close()
        assert (await self.peer(ann))["online"] is False

    @gen_test(timeout=20)
    async def test_each_side_sees_the_other_and_a_second_tab_changes_nothing(self) -> None:
        """Both are told of each other; bob's second tab and its closing say nothing while one stays."""
        dm = await self.direct()
        bob, _ = await self.enter("bob", "commons")
        ann, _ = await self.enter("ann", dm)
        assert (await self.peer(ann))["online"] is True
        bob_dm, _ = await self.enter("bob", dm)
        assert await self.peer(bob_dm) == {"type": "peer", "room": dm, "name": "ann", "online": True}
        second, _ = await self.enter("bob", "commons")
        second.close()
        await self.nothing_of(ann, "peer", 0.8)
        bob.close()
        bob_dm.close()
        assert (await self.peer(ann))["online"] is False

    @gen_test(timeout=20)
    async def test_people_outside_the_direct_room_hear_nothing(self) -> None:
        """Carl, in the open room with both, gets no peer frame when bob comes or goes."""
        dm = await self.direct()
        carl, _ = await self.enter("carl", "commons")
        ann, _ = await self.enter("ann", dm)
        await self.peer(ann)
        bob, _ = await self.enter("bob", "commons")
        await self.peer(ann)
        bob.close()
        await self.peer(ann)
        await self.nothing_of(carl, "peer", 0.5)


class RecheckTest(PeerCase):
    """A notice lost (the bus was away) is made up for by the desk asking again."""

    def setUp(self) -> None:
        self.recheck = peers.RECHECK_SECONDS
        peers.RECHECK_SECONDS = 0.3
        super().setUp()

    def tearDown(self) -> None:
        super().tearDown()
        peers.RECHECK_SECONDS = self.recheck

    @gen_test(timeout=20)
    async def test_a_lost_notice_is_made_up_for(self) -> None:
        """Bob comes while notices are lost: ann's direct room says so within the recheck."""
        dm = await self.direct()
        ann, _ = await self.enter("ann", dm)
        assert (await self.peer(ann))["online"] is False
        notify = self.backend.notify

        async def losing(notice: Any) -> None:
            if not isinstance(notice, PresenceNotice):
                await notify(notice)

        self.backend.notify = losing  # type: ignore[method-assign]
        await self.enter("bob", "commons")
        assert (await self.peer(ann))["online"] is True


def test_the_notice_crosses_the_bus() -> None:
    """A presence notice reaches the other nodes as it left, and not the node that sent it."""
    notice = PresenceNotice(42)
    (frame,) = notice_frames(b"left", [notice])
    assert decode_notices(frame, b"right") == [notice]
    assert decode_notices(frame, b"left") == []
