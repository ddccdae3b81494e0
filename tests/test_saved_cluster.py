"""A message saved, or a room starred, through one node is told at once to its person's connections on
another, and read from either node's API.

Two real ``python -m chatroom`` nodes on one PostgreSQL schema and one Redis;
people sign in with JWTs; clients are the ``websockets`` library.
"""

from __future__ import annotations

import asyncio

from . import test_changes_recovery, test_rooms_cluster
from .clients import ANY_TYPE, anext_of, awelcomed
from .support import ServerProcess

nodes = test_rooms_cluster.nodes
token = test_rooms_cluster.token
call = test_rooms_cluster.call
drain = test_rooms_cluster.drain
WAIT = test_rooms_cluster.WAIT
answer = test_changes_recovery.answer


def test_a_saving_reaches_the_persons_tab_on_the_other_node_and_nobody_elses(
    nodes: tuple[ServerProcess, ServerProcess],
) -> None:
    """ann saves on the left: her connection on the right gets the saved frame, bob's there nothing; her
    list reads the same from the right; unsaved on the right, her left connection hears it."""
    left, right = nodes

    async def scenario() -> None:
        ann_left, _, _ = await awelcomed(left, room="lobby", token=token("ann"))
        ann_right, _, _ = await awelcomed(right, room="lobby", token=token("ann"))
        bob, _, _ = await awelcomed(right, room="lobby", token=token("bob"))
        kept = (await answer(ann_left, {"type": "message", "message": "keep this"}))["id"]
        status, saved = await call(left, "PUT", f"/api/me/saved/lobby/{kept}", "ann")
        assert status == 200, saved
        for ws in (ann_right, ann_left):
            frame = await anext_of(ws, "saved", WAIT, skip=ANY_TYPE)
            assert frame == {
                "type": "saved",
                "room": "lobby",
                "id": kept,
                "saved": True,
                "saved_at": saved["saved_at"],
            }
        status, listed = await call(right, "GET", "/api/me/saved", "ann")
        assert [(e["id"], e["message"]["message"]) for e in listed["saved"]] == [(kept, "keep this")]
        assert (await call(right, "DELETE", f"/api/me/saved/lobby/{kept}", "ann"))[0] == 204
        gone = await anext_of(ann_left, "saved", WAIT, skip=ANY_TYPE)
        assert gone == {"type": "saved", "room": "lobby", "id": kept, "saved": False}
        assert '"saved"' not in await drain(bob)
        for ws in (ann_left, ann_right, bob):
            await ws.close()

    asyncio.run(scenario())


def test_a_star_reaches_the_persons_tab_on_the_other_node_and_nobody_elses(
    nodes: tuple[ServerProcess, ServerProcess],
) -> None:
    """ann stars the lobby on the left: her connection on the right gets the starred frame, bob's there
    nothing; her starred list and rooms list read it from the right; unstarred on the right, her left
    connection hears it."""
    left, right = nodes

    async def scenario() -> None:
        ann_left, _, _ = await awelcomed(left, room="lobby", token=token("ann"))
        ann_right, _, _ = await awelcomed(right, room="lobby", token=token("ann"))
        bob, _, _ = await awelcomed(right, room="lobby", token=token("bob"))
        assert (await call(left, "PUT", "/api/me/starred/lobby", "ann"))[0] == 200
        for ws in (ann_right, ann_left):
            frame = await anext_of(ws, "starred", WAIT, skip=ANY_TYPE)
            assert frame == {"type": "starred", "room": "lobby", "starred": True}
        _, listed = await call(right, "GET", "/api/me/starred", "ann")
        assert [entry["room"] for entry in listed["rooms"]] == ["lobby"]
        _, rooms = await call(right, "GET", "/api/rooms?prefix=lobby", "ann")
        assert [(entry["room"], entry["starred"]) for entry in rooms["rooms"]] == [("lobby", True)]
        assert (await call(right, "DELETE", "/api/me/starred/lobby", "ann"))[0] == 204
        gone = await anext_of(ann_left, "starred", WAIT, skip=ANY_TYPE)
        assert gone == {"type": "starred", "room": "lobby", "starred": False}
        assert '"starred"' not in await drain(bob)
        for ws in (ann_left, ann_right, bob):
            await ws.close()

    asyncio.run(scenario())
