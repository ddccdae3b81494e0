"""A person's status and paused notifications reach every page of theirs and of others on any node.

Two ``python -m chatroom`` nodes on one PostgreSQL schema and one Redis;
people sign in with JWTs (tests/test_rooms_cluster.py sets them up alike).
"""

from __future__ import annotations

import asyncio
import time

from .clients import ANY_TYPE, anext_of, awelcomed
from .support import ServerProcess
from .test_rooms_cluster import WAIT, call, nodes, token

__all__ = ["nodes"]


def test_a_status_and_a_pause_set_on_one_node_reach_pages_on_the_other(
    nodes: tuple[ServerProcess, ServerProcess],
) -> None:
    """Ann sets her status and pauses on the left: bob's page on the right and her own other tab there get
    both, then their clearing; the right node's accounts list says what the left one stored."""
    left, right = nodes

    async def scenario() -> None:
        for name in ("ann", "bob"):
            assert (await call(left, "GET", "/api/me", name))[0] == 200
        bob, _, _ = await awelcomed(right, room="lobby", token=token("bob"))
        ann_tab, _, _ = await awelcomed(right, room="lobby", token=token("ann"))
        until = int(time.time() * 1000) + 3_600_000
        status = {"emoji": "🚌", "text": "Commuting", "until": until}
        assert (await call(left, "PUT", "/api/me/status", "ann", status))[0] == 200
        assert (await call(left, "PUT", "/api/me/dnd", "ann", {"until": until}))[0] == 200
        for ws in (bob, ann_tab):
            assert await anext_of(ws, "status", WAIT, skip=ANY_TYPE) == {
                "type": "status",
                "name": "ann",
                "status": status,
            }
            assert await anext_of(ws, "dnd", WAIT, skip=ANY_TYPE) == {
                "type": "dnd",
                "name": "ann",
                "until": until,
            }
        _, listed = await call(right, "GET", "/api/accounts?prefix=ann&limit=1", "bob")
        assert (listed["accounts"][0]["status"], listed["accounts"][0]["dnd"]) == (status, until)
        assert (await call(left, "DELETE", "/api/me/status", "ann"))[0] == 204
        assert (await call(left, "DELETE", "/api/me/dnd", "ann"))[0] == 204
        for ws in (bob, ann_tab):
            assert (await anext_of(ws, "status", WAIT, skip=ANY_TYPE))["status"] is None
            assert (await anext_of(ws, "dnd", WAIT, skip=ANY_TYPE))["until"] is None
        for ws in (bob, ann_tab):
            await ws.close()

    asyncio.run(scenario())
