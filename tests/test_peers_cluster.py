"""A direct room's members see each other come and go on any node.

Two ``python -m chatroom`` nodes on one PostgreSQL schema and one Redis;
people sign in with JWTs (tests/test_rooms_cluster.py sets them up alike).
"""

from __future__ import annotations

import asyncio
from typing import Any

from websockets.asyncio.client import ClientConnection

from .clients import ANY_TYPE, anext_of, awelcomed
from .support import ServerProcess
from .test_rooms_cluster import WAIT, call, drain, nodes, token

__all__ = ["nodes"]


async def peer(ws: ClientConnection) -> dict[str, Any]:
    """The next ``peer`` frame."""
    return await anext_of(ws, "peer", WAIT, skip=ANY_TYPE)


def test_the_other_person_is_followed_across_nodes(nodes: tuple[ServerProcess, ServerProcess]) -> None:
    """Ann on the left sees bob online while he has a page open on either node, away when he has none;
    bob on the right sees ann; carl, outside, hears nothing of it."""
    left, right = nodes

    async def scenario() -> None:
        for name in ("ann", "bob", "carl"):
            assert (await call(left, "GET", "/api/me", name))[0] == 200
        status, dm = await call(left, "POST", "/api/direct", "ann", {"members": ["bob"]})
        assert status == 201
        room = dm["room"]
        carl, _, _ = await awelcomed(right, room="lobby", token=token("carl"))
        ann, _, _ = await awelcomed(left, room=room, token=token("ann"))
        assert await peer(ann) == {"type": "peer", "room": room, "name": "bob", "online": False}
        bob_right, _, _ = await awelcomed(right, room="lobby", token=token("bob"))
        assert await peer(ann) == {"type": "peer", "room": room, "name": "bob", "online": True}
        bob_left, _, _ = await awelcomed(left, room="lobby", token=token("bob"))
        await bob_right.close()
        await bob_left.close()
        assert (await peer(ann))["online"] is False
        assert await drain(ann, 1.0) == ""
        bob_dm, _, _ = await awelcomed(right, room=room, token=token("bob"))
        assert await peer(bob_dm) == {"type": "peer", "room": room, "name": "ann", "online": True}
        assert (await peer(ann))["online"] is True
        await ann.close()
        assert (await peer(bob_dm))["online"] is False
        assert '"peer"' not in await drain(carl, 1.0)
        for ws in (carl, bob_dm):
            await ws.close()

    asyncio.run(scenario())
