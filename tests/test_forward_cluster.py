"""A forward sent through one node reaches the readers of its room on another at once, snapshot and all,
and a reader back with since gets exactly the copy it missed.

Two real ``python -m chatroom`` nodes on one PostgreSQL schema and one Redis;
people sign in with JWTs; clients are the ``websockets`` library.
"""

from __future__ import annotations

import asyncio
import json

from . import test_changes_recovery, test_rooms_cluster
from .clients import ANY_TYPE, anext_of, awelcomed
from .support import ServerProcess

nodes = test_rooms_cluster.nodes
token = test_rooms_cluster.token
call = test_rooms_cluster.call
WAIT = test_rooms_cluster.WAIT
answer = test_changes_recovery.answer
SECRET = "vault-code-2291"


def test_a_copy_reaches_the_other_node_and_a_reader_back_with_since(
    nodes: tuple[ServerProcess, ServerProcess],
) -> None:
    """ann forwards from the closed "plans" into the open "town" on the left: cid, reading town on the
    right, gets the copy at once without the closed room's name; away, then back with since, he gets the
    next copy alone, then the live stream."""
    left, right = nodes

    async def scenario() -> None:
        assert (await call(left, "POST", "/api/rooms", "ann", {"room": "town", "kind": "open"}))[0] == 201
        body = {"room": "plans", "kind": "closed"}
        assert (await call(left, "POST", "/api/rooms", "ann", body))[0] == 201
        ann, _, _ = await awelcomed(left, room="plans", token=token("ann"))
        original = (await answer(ann, {"type": "message", "message": SECRET}))["id"]
        cid, _, _ = await awelcomed(right, room="town", token=token("cid"))
        forward = {"room": "plans", "id": original, "message": "first"}
        status, copy = await call(left, "POST", "/api/rooms/town/forwards", "ann", forward)
        assert status == 201, copy
        live = await anext_of(cid, "user", WAIT, skip=ANY_TYPE)
        assert live == copy and live["forward"]["message"] == SECRET and "plans" not in json.dumps(live)
        await cid.close()

        status, second = await call(
            left, "POST", "/api/rooms/town/forwards", "ann", {**forward, "message": "2"}
        )
        assert status == 201, second
        cid, welcome, history = await awelcomed(right, room="town", token=token("cid"), since=copy["id"])
        assert welcome["last_id"] == second["id"]
        assert history["messages"] == [second]
        status, third = await call(
            right, "POST", "/api/rooms/town/forwards", "ann", {**forward, "message": "3"}
        )
        assert (await anext_of(cid, "user", WAIT, skip=ANY_TYPE)) == third
        for ws in (ann, cid):
            await ws.close()

    asyncio.run(scenario())
