"""Groups across real processes: a group made on one node reaches the pages on the other, and its mention
there counts for its members who read the room, never for one who does not.

Two ``python -m chatroom`` nodes on one PostgreSQL schema and one Redis; people sign in with JWTs
(tests/test_rooms_cluster.py sets them up alike).
"""

from __future__ import annotations

import asyncio
import json

from .clients import ANY_TYPE, anext_of, awelcomed
from .support import ServerProcess
from .test_rooms_cluster import call, nodes, token  # noqa: F401
from .test_unread_cluster import unread_frame

SECRET = "the launch moves to Friday"


def test_a_group_and_its_mention_reach_the_other_node(nodes: tuple[ServerProcess, ServerProcess]) -> None:  # noqa: F811
    """ann makes @designers on the left, bob (right) and cid (left) join it: bob's page on the right hears
    each change; ann's "@designers" on the left counts a mention for bob on the right; cid, in the group and
    not in the room, gets no byte of it and no count, on his node."""
    left, right = nodes

    async def scenario() -> None:
        for name in ("ann", "bob", "cid"):
            assert (await call(left, "GET", "/api/me", name))[0] == 200
        assert (
            await call(
                left, "POST", "/api/rooms", "ann", {"room": "studio", "kind": "closed", "members": ["bob"]}
            )
        )[0] == 201
        assert (await call(left, "POST", "/api/rooms", "cid", {"room": "corner", "kind": "closed"}))[0] == 201
        bob, _, _ = await awelcomed(right, room="studio", token=token("bob"))
        cid, _, _ = await awelcomed(left, room="corner", token=token("cid"))
        assert (await call(left, "POST", "/api/groups", "ann", {"name": "designers"}))[0] == 201
        told = await anext_of(bob, "group", 10, skip=ANY_TYPE)
        assert told["group"]["name"] == "designers"
        for who, server in (("bob", right), ("cid", left)):
            assert (await call(server, "PUT", f"/api/groups/designers/members/{who}", who))[0] == 200
        while (await anext_of(bob, "group", 10, skip=ANY_TYPE))["group"]["members"] != ["bob", "cid"]:
            pass
        ann, _, _ = await awelcomed(left, room="studio", token=token("ann"))
        await ann.send(json.dumps({"type": "message", "message": f"@designers {SECRET}"}))
        assert (await unread_frame(bob, "studio", unread=1))["mentions"] == 1
        await asyncio.sleep(0.5)  # what would reach cid has had time to
        while True:
            try:
                raw = await asyncio.wait_for(cid.recv(), 0.2)
            except TimeoutError:
                break
            assert SECRET not in str(raw) and "studio" not in str(raw)
        status, rooms = await call(right, "GET", "/api/rooms", "cid")
        assert status == 200 and "studio" not in [entry["room"] for entry in rooms["rooms"]]
        for ws in (ann, bob, cid):
            await ws.close()

    asyncio.run(scenario())
