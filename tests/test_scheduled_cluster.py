"""Scheduled messages go out at their time once, however many nodes look, and after a restart.

Two real ``python -m chatroom`` nodes on one PostgreSQL schema and one Redis
both send due messages: each message is stored once, with one id, and
reaches its room's members on both nodes. A server that was stopped when a
message fell due sends it when it is back. People sign in with JWTs;
clients are the ``websockets`` library.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

from websockets.asyncio.client import ClientConnection

from . import test_rooms_cluster
from .clients import ANY_TYPE, anext_of, awelcomed
from .support import ServerProcess

nodes = test_rooms_cluster.nodes
token = test_rooms_cluster.token
call = test_rooms_cluster.call
drain = test_rooms_cluster.drain
WAIT = test_rooms_cluster.WAIT
# Seconds long enough for every node to have looked for due messages again.
LOOK_AGAIN = 2.5


async def messages(ws: ClientConnection, count: int) -> list[dict[str, Any]]:
    """The next ``count`` user frames."""
    return [await anext_of(ws, "user", WAIT, skip=ANY_TYPE) for _ in range(count)]


def test_two_nodes_send_each_due_message_once_to_both(nodes: tuple[ServerProcess, ServerProcess]) -> None:
    """Six messages scheduled on the left for the same second: each reaches ann's and bob's tabs on both
    nodes once, under one id; the room holds six; her list is empty, her tab on the right told."""
    left, right = nodes

    async def scenario() -> None:
        ann_left, _, _ = await awelcomed(left, room="lobby", token=token("ann"))
        ann_right, _, _ = await awelcomed(right, room="lobby", token=token("ann"))
        bob_right, _, _ = await awelcomed(right, room="lobby", token=token("bob"))
        # Whole seconds, and far enough ahead for six requests on a slow, busy machine.
        at = int(time.time()) + 4
        texts = [f"at the stroke {n}" for n in range(6)]
        for text in texts:
            status, row = await call(
                left, "POST", "/api/me/scheduled", "ann", {"room": "lobby", "message": text, "at": at}
            )
            assert status == 201, row
        assert await anext_of(ann_right, "scheduled", WAIT, skip=ANY_TYPE) == {
            "type": "scheduled",
            "room": "lobby",
        }
        seen = []
        for ws in (ann_left, ann_right, bob_right):
            frames = await messages(ws, 6)
            assert sorted(f["message"] for f in frames) == texts
            assert {f["nick"] for f in frames} == {"ann"}
            seen.append([(f["id"], f["message"]) for f in frames])
        assert seen[0] == seen[1] == seen[2] and len({i for i, _ in seen[0]}) == 6
        await asyncio.sleep(LOOK_AGAIN)
        assert '"type":"user"' not in await drain(bob_right)
        status, history = await call(right, "GET", "/api/rooms/lobby/messages", "bob")
        assert sorted(m["message"] for m in history["messages"]) == texts
        assert (await call(right, "GET", "/api/me/scheduled", "ann"))[1] == {"scheduled": []}
        for ws in (ann_left, ann_right, bob_right):
            await ws.close()

    asyncio.run(scenario())


def test_two_nodes_sending_now_and_at_its_time_send_it_once(
    nodes: tuple[ServerProcess, ServerProcess],
) -> None:
    """ann presses Send now on the right while the left sends at its time: one message either way."""
    left, right = nodes

    async def scenario() -> None:
        bob, _, _ = await awelcomed(left, room="lobby", token=token("bob"))
        # At least a second ahead: the time is in whole seconds, and the request takes its own.
        at = int(time.time()) + 2
        body = {"room": "lobby", "message": "a race", "at": at}
        status, row = await call(left, "POST", "/api/me/scheduled", "ann", body)
        assert status == 201, row
        await asyncio.sleep(max(0.0, at - time.time()))
        status, _ = await call(right, "POST", f"/api/me/scheduled/{row['id']}/send", "ann")
        assert status in (200, 404)
        (frame,) = await messages(bob, 1)
        assert frame["message"] == "a race"
        await asyncio.sleep(LOOK_AGAIN)
        assert '"type":"user"' not in await drain(bob)
        await bob.close()

    asyncio.run(scenario())


def test_a_message_due_while_the_server_was_down_goes_out_when_it_is_back(tmp_path: Path) -> None:
    """Scheduled, the server stopped past its time, started again: the room has the message, once."""
    flags = ("--jwt-secret", test_rooms_cluster.SECRET)
    server = ServerProcess(tmp_path / "chat.db", *flags, guests=False)

    async def schedule() -> int:
        at = int(time.time()) + 3
        status, row = await call(
            server, "POST", "/api/me/scheduled", "ann", {"room": "lobby", "message": "while away", "at": at}
        )
        assert status == 201, row
        return at

    async def after() -> None:
        bob, _, history = await awelcomed(server, room="lobby", token=token("bob"))
        if not [m for m in history["messages"] if m["message"] == "while away"]:
            assert (await anext_of(bob, "user", WAIT, skip=ANY_TYPE))["message"] == "while away"
        await asyncio.sleep(LOOK_AGAIN)
        _, page = await call(server, "GET", "/api/rooms/lobby/messages", "bob")
        assert [m["message"] for m in page["messages"]] == ["while away"]
        assert (await call(server, "GET", "/api/me/scheduled", "ann"))[1] == {"scheduled": []}
        await bob.close()

    with server:
        at = asyncio.run(schedule())
    time.sleep(max(0.0, at + 1 - time.time()))
    with server:
        asyncio.run(after())
