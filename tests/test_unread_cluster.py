"""Unread counts across real processes: a read mark on one node reaches the same person's tab on the
other, and a mark still waiting to be stored is stored when the server stops.

Two ``python -m chatroom`` nodes on one PostgreSQL schema and one Redis;
people sign in with JWTs (tests/test_rooms_cluster.py sets them up alike).
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

from websockets.asyncio.client import ClientConnection

from chatroom.bus.redis_notices import decode_notices, notice_frames
from chatroom.events import ActivityNotice, UnreadNotice

from .clients import ANY_TYPE, BEFORE_ANSWER, anext_of, awelcomed, next_of, welcomed
from .support import ServerProcess, call_api, in_store
from .test_rooms_cluster import SECRET, WAIT, call, drain, nodes, token

__all__ = ["nodes"]


async def unread_frame(ws: ClientConnection, room: str, **expected: Any) -> dict[str, Any]:
    """The next ``unread`` frame for ``room`` holding ``expected``."""
    while True:
        frame = await anext_of(ws, "unread", WAIT, skip=ANY_TYPE)
        if frame["room"] == room and all(frame[k] == v for k, v in expected.items()):
            return frame


def test_a_read_mark_on_one_node_reaches_the_other(nodes: tuple[ServerProcess, ServerProcess]) -> None:
    """Bob writes on the right; Ann's tab on the left counts it; Ann reads on the right: the left tab clears;
    she marks it unread on the right and reads it again: the left tab hears both. Carl, not a member, hears
    nothing of the room on either node."""
    left, right = nodes

    async def scenario() -> None:
        for name in ("ann", "bob", "carl"):
            assert (await call(left, "GET", "/api/me", name))[0] == 200
        body = {"room": "plans", "kind": "closed", "members": ["bob"]}
        assert (await call(left, "POST", "/api/rooms", "ann", body))[0] == 201
        ann_left, _, _ = await awelcomed(left, room="lobby", token=token("ann"))
        carl_left, _, _ = await awelcomed(left, room="lobby", token=token("carl"))
        ann_right, _, _ = await awelcomed(right, room="plans", token=token("ann"))
        bob_right, _, _ = await awelcomed(right, room="plans", token=token("bob"))
        await bob_right.send(json.dumps({"type": "message", "message": "@ann the plans are ready"}))
        counted = await unread_frame(ann_left, "plans", unread=1)
        assert counted["mentions"] == 1
        last = (await anext_of(ann_right, "user", WAIT, skip=ANY_TYPE))["id"]
        await ann_right.send(json.dumps({"type": "read", "id": last}))
        cleared = await unread_frame(ann_left, "plans", read_id=last)
        assert (cleared["unread"], cleared["mentions"]) == (0, 0)
        status, _ = await call(right, "PUT", "/api/rooms/plans/unread", "ann", {"from": last})
        assert status == 200
        back = await unread_frame(ann_left, "plans", read_id=last - 1)
        assert (back["unread"], back["mentions"], back["back"]) == (1, 1, True)
        await ann_right.send(json.dumps({"type": "read", "id": last}))
        assert (await unread_frame(ann_left, "plans", read_id=last))["unread"] == 0
        heard = await drain(carl_left, 1.0)
        assert "plans" not in heard
        for ws in (ann_left, carl_left, ann_right, bob_right):
            await ws.close()

    asyncio.run(scenario())


def test_unread_notices_cross_the_bus_whole() -> None:
    """Both new notices come out of the Redis encoding as they went in; a node skips its own."""
    notices = (
        UnreadNotice(7, "plans", 12, 3, 1, "mentions"),
        UnreadNotice(7, "plans", 4, 9, 1, "all", back=True),
        ActivityNotice("plans", 40),
    )
    for notice in notices:
        (frame,) = notice_frames(b"a", [notice])
        assert decode_notices(frame, b"b") == [notice]
        assert decode_notices(frame, b"a") == []


def test_the_activity_of_many_rooms_crosses_the_bus_as_one_message() -> None:
    """One frame for every room active at once, beside the other notices; an older single one still reads."""
    unread = UnreadNotice(7, "plans", 12, 3, 1, "mentions")
    active = [ActivityNotice(f"room-{n}", 100 + n) for n in range(50)]
    frames = notice_frames(b"a", [active[0], unread, *active[1:]])
    assert len(frames) == 2
    assert [notice for frame in frames for notice in decode_notices(frame, b"b")] == [unread, *active]
    older = b'na\n{"activity": "plans", "last_id": 40}'
    assert decode_notices(older, b"b") == [ActivityNotice("plans", 40)]


def test_a_mark_waiting_at_shutdown_is_stored(tmp_path: Path) -> None:
    """A read mark answered just before SIGTERM is in the database once the server has stopped."""
    db = tmp_path / "chat.db"
    server = ServerProcess(db, "--jwt-secret", SECRET, guests=False).start()
    try:
        for name in ("ann", "bob"):
            assert call_api(server, "GET", "/api/me", authorization=f"Bearer {token(name)}")[0] == 200
        body = {"room": "plans", "kind": "closed", "members": ["ann"]}
        assert call_api(server, "POST", "/api/rooms", body, f"Bearer {token('bob')}")[0] == 201
        bob, _, _ = welcomed(server, room="plans", token=token("bob"))
        # The room's creation may reach his new connection (its ``room`` frame) before the answer, or not.
        bob.send(json.dumps({"type": "message", "message": "one", "ref": "r1"}))
        last = next_of(bob, "ack", skip=(*BEFORE_ANSWER, "room"))["id"]
        bob.close()
        status, counts = call_api(
            server, "PUT", "/api/rooms/plans/read", {"id": last}, f"Bearer {token('ann')}"
        )
        assert (status, counts["read_id"]) == (200, last)
    finally:
        assert server.stop() == 0

    async def position(accounts: Any) -> int | None:
        ann = await accounts.account_by_name("ann")
        return await accounts.read_position(ann.id, "plans")  # type: ignore[no-any-return]

    assert in_store(db, position) == last
