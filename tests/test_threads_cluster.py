"""A thread reply sent on one node reaches a member on another at once, and a member back with since.

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

nodes = test_rooms_cluster.nodes
call = test_rooms_cluster.call
drain = test_rooms_cluster.drain
token = test_rooms_cluster.token
WAIT = test_rooms_cluster.WAIT
answer = test_changes_recovery.answer


async def thread_on(server: ServerProcess, who: str, root: int) -> list[tuple[int, int | None]]:
    """The lobby's thread ``root`` as ``who`` reads it from ``server``'s API: (id, thread)."""
    request = tornado.httpclient.HTTPRequest(
        f"{server.url}/api/rooms/lobby/messages?thread={root}",
        headers={"Authorization": f"Bearer {token(who)}"},
    )
    response = await tornado.httpclient.AsyncHTTPClient().fetch(request, raise_error=False)
    assert response.code == 200, response.body
    return [(m["id"], m.get("thread")) for m in json.loads(response.body)["messages"]]


def test_a_thread_reply_reaches_the_other_node_with_its_root(
    nodes: tuple[ServerProcess, ServerProcess],
) -> None:
    """ann replies in a thread on the left: bob on the right hears it at once with "thread", and reads
    the thread from his node; away, then back on the right with since, he gets exactly the replies."""
    left, right = nodes

    async def scenario() -> None:
        ann, _, _ = await awelcomed(left, room="lobby", token=token("ann"))
        bob, _, _ = await awelcomed(right, room="lobby", token=token("bob"))
        root = (await answer(ann, {"type": "message", "message": "lunch?"}))["id"]
        reply = (await answer(ann, {"type": "message", "message": "noon", "thread": root}))["id"]
        heard = await anext_of(bob, "user", WAIT, skip=ANY_TYPE)
        while heard["id"] != reply:
            heard = await anext_of(bob, "user", WAIT, skip=ANY_TYPE)
        assert (heard["message"], heard["thread"]) == ("noon", root)
        assert await thread_on(right, "bob", root) == [(root, None), (reply, root)]
        await bob.close()

        later = (
            await answer(ann, {"type": "message", "message": "or one?", "thread": root, "broadcast": True})
        )["id"]
        bob, welcome, history = await awelcomed(right, room="lobby", token=token("bob"), since=reply)
        assert welcome["last_id"] == later
        assert [(m["id"], m.get("thread"), m.get("broadcast")) for m in history["messages"]] == [
            (later, root, True)
        ]
        live = (
            await answer(ann, {"type": "message", "message": "final", "thread": root, "broadcast": True})
        )["id"]
        heard = await anext_of(bob, "user", WAIT, skip=ANY_TYPE)
        assert (heard["id"], heard["thread"], heard["broadcast"]) == (live, root, True)
        for ws in (ann, bob):
            await ws.close()

    asyncio.run(scenario())


def test_a_thread_read_on_one_node_reads_in_the_persons_tab_on_the_other(
    nodes: tuple[ServerProcess, ServerProcess],
) -> None:
    """bob replies on the right: ann (the root's author), whose tab is on the left, is told of the reply;
    she reads the thread through the right node, and her left tab hears it read, bob's tab nothing; her
    list reads the same from either node."""
    left, right = nodes

    async def scenario() -> None:
        ann, _, _ = await awelcomed(left, room="lobby", token=token("ann"))
        bob, _, _ = await awelcomed(right, room="lobby", token=token("bob"))
        root = (await answer(ann, {"type": "message", "message": "plans?"}))["id"]
        reply = (await answer(bob, {"type": "message", "message": "beach", "thread": root}))["id"]
        told = await anext_of(ann, "thread_reply", WAIT, skip=ANY_TYPE)
        assert told == {"type": "thread_reply", "room": "lobby", "root": root, "id": reply, "mention": False}
        listed = [await call(server, "GET", "/api/me/threads", "ann") for server in (left, right)]
        assert listed[0] == listed[1] and listed[0][1]["threads"][0]["unread"] == 1
        status, read = await call(right, "PUT", f"/api/me/threads/lobby/{root}/read", "ann", {"id": reply})
        assert (status, read["read_id"]) == (200, reply)
        frame = await anext_of(ann, "thread", WAIT, skip=ANY_TYPE)
        assert frame == {"type": "thread", "room": "lobby", "root": root, "following": True, "read_id": reply}
        assert (await call(left, "GET", "/api/me/threads", "ann"))[1]["unread"] == 0
        assert '"type":"thread"' not in await drain(bob)
        # bob deletes his reply on the right: ann's tab on the left is told her follow again, to count.
        await bob.send(json.dumps({"type": "delete", "id": reply, "ref": "d"}))
        assert await anext_of(ann, "thread", WAIT, skip=ANY_TYPE) == frame
        for ws in (ann, bob):
            await ws.close()

    asyncio.run(scenario())
