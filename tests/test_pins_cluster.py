"""Pins made on one node reach the members on another at once, and a member back with since.

Two real ``python -m chatroom`` nodes on one PostgreSQL schema and one Redis;
people sign in with JWTs; clients are the ``websockets`` library.
"""

from __future__ import annotations

import asyncio
import json

import tornado.httpclient

from . import test_changes_recovery, test_rooms_cluster
from .clients import ANY_TYPE, anext_of, awelcomed
from .support import ServerProcess

# Two nodes on one PostgreSQL schema and one Redis, as the rooms' cluster tests have them.
nodes = test_rooms_cluster.nodes
token = test_rooms_cluster.token
WAIT = test_rooms_cluster.WAIT
answer = test_changes_recovery.answer


async def pinned_on(server: ServerProcess, who: str) -> list[tuple[int, str]]:
    """The lobby's pins as ``who`` reads them from ``server``: (id, who pinned it), newest pin first."""
    request = tornado.httpclient.HTTPRequest(
        server.url + "/api/rooms/lobby/pins", headers={"Authorization": f"Bearer {token(who)}"}
    )
    response = await tornado.httpclient.AsyncHTTPClient().fetch(request, raise_error=False)
    assert response.code == 200, response.body
    return [(m["id"], m["pinned"]["nick"]) for m in json.loads(response.body)["messages"]]


def test_a_pin_reaches_the_other_node_at_once_and_a_member_back_with_since(
    nodes: tuple[ServerProcess, ServerProcess],
) -> None:
    """ann pins on the left: bob on the right hears it at once and reads it from his node's API; away,
    then back on the right with since, he gets exactly the pins he missed, then the live stream."""
    left, right = nodes

    async def scenario() -> None:
        ann, _, _ = await awelcomed(left, room="lobby", token=token("ann"))
        bob, _, _ = await awelcomed(right, room="lobby", token=token("bob"))
        rules = (await answer(ann, {"type": "message", "message": "the rules"}))["id"]
        link = (await answer(ann, {"type": "message", "message": "the link"}))["id"]
        pinned = await answer(ann, {"type": "pin", "id": rules, "on": True})
        live = await anext_of(bob, "pin", WAIT, skip=ANY_TYPE)
        assert (live["id"], live["target"], live["nick"], live["on"]) == (pinned["id"], rules, "ann", True)
        assert await pinned_on(right, "bob") == [(rules, "ann")]
        await bob.close()

        unpinned = await answer(ann, {"type": "pin", "id": rules, "on": False})
        again = await answer(ann, {"type": "pin", "id": link, "on": True})
        bob, welcome, history = await awelcomed(right, room="lobby", token=token("bob"), since=pinned["id"])
        assert welcome["last_id"] == again["id"]
        assert [(c["type"], c["id"], c["target"], c["on"]) for c in history["changes"]] == [
            ("pin", unpinned["id"], rules, False),
            ("pin", again["id"], link, True),
        ]
        assert await pinned_on(right, "bob") == [(link, "ann")]
        deleted = await answer(ann, {"type": "delete", "id": link})
        frame = await anext_of(bob, "delete", WAIT, skip=ANY_TYPE)
        assert (frame["id"], frame["target"]) == (deleted["id"], link)
        assert await pinned_on(right, "bob") == []
        for ws in (ann, bob):
            await ws.close()

    asyncio.run(scenario())
