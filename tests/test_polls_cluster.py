"""Votes given on one node reach the members on another at once, and a member back with since.

Two real ``python -m chatroom`` nodes on one PostgreSQL schema and one Redis;
people sign in with JWTs; clients are the ``websockets`` library.
"""

from __future__ import annotations

import asyncio

from chatroom import polls

from . import test_changes_recovery, test_rooms_cluster
from .clients import ANY_TYPE, anext_of, awelcomed
from .support import ServerProcess

nodes = test_rooms_cluster.nodes
token = test_rooms_cluster.token
call = test_rooms_cluster.call
WAIT = test_rooms_cluster.WAIT
answer = test_changes_recovery.answer


def test_votes_reach_the_other_node_at_once_and_a_member_back_with_since(
    nodes: tuple[ServerProcess, ServerProcess],
) -> None:
    """bob votes on the right for ann's poll made on the left: ann hears it at once; bob, away, misses a
    changed vote and the close, and back on the left with since gets exactly those, then the poll as it
    stands from his node's API."""
    left, right = nodes

    async def scenario() -> None:
        ann, _, _ = await awelcomed(left, room="lobby", token=token("ann"))
        bob, _, _ = await awelcomed(right, room="lobby", token=token("bob"))
        text = polls.poll_text("Where do we meet?", ["Office", "Park", "Cafe"])
        poll = (await answer(ann, {"type": "message", "message": text}))["id"]
        made = await anext_of(bob, "user", WAIT, skip=ANY_TYPE)
        assert made["poll"]["question"] == "Where do we meet?"
        voted = await answer(bob, {"type": "vote", "id": poll, "option": 1})
        live = await anext_of(ann, "vote", WAIT, skip=ANY_TYPE)
        assert (live["id"], live["target"], live["nick"], live["option"]) == (voted["id"], poll, "bob", 1)
        await bob.close()

        changed = await answer(ann, {"type": "vote", "id": poll, "option": 2})
        closed = await answer(ann, {"type": "close_poll", "id": poll})
        bob, welcome, history = await awelcomed(left, room="lobby", token=token("bob"), since=voted["id"])
        assert welcome["last_id"] == closed["id"]
        assert [(c["type"], c["id"], c.get("option")) for c in history["changes"]] == [
            ("vote", changed["id"], 2),
            ("close_poll", closed["id"], None),
        ]
        status, body = await call(right, "GET", "/api/rooms/lobby/messages", "bob")
        assert status == 200
        (shown,) = [m["poll"] for m in body["messages"] if m["id"] == poll]
        assert [o["nicks"] for o in shown["options"]] == [[], ["bob"], ["ann"]] and shown["closed"]
        for ws in (ann, bob):
            await ws.close()

    asyncio.run(scenario())
