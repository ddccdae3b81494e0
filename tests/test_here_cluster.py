"""``@here`` across real processes: it mentions those online in the room when it is sent, on either node,
and the counts say the same on every node and after a restart.

Two ``python -m chatroom`` nodes on one PostgreSQL schema and one Redis; people sign in with JWTs
(tests/test_rooms_cluster.py sets them up alike).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from .clients import awelcomed
from .redis_server import RedisServer
from .support import ServerProcess, call_api
from .test_rooms_cluster import SECRET, call, token
from .test_unread_cluster import unread_frame


@pytest.fixture
def here_nodes(
    tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[tuple[str, ServerProcess, ServerProcess]]:
    """Two nodes sharing a PostgreSQL schema and a Redis, accounts only; the schema's address."""
    redis = RedisServer(tmp_path).start()
    database = request.getfixturevalue("postgres_server").lend_schema(request)
    flags = (database, "--redis-url", redis.url, "--jwt-secret", SECRET)
    try:
        with ServerProcess(*flags, guests=False) as left, ServerProcess(*flags, guests=False) as right:
            yield database, left, right
    finally:
        redis.stop()


def mentions_of(server: ServerProcess, who: str, room: str) -> tuple[int, int]:
    """The room's unread count and mentions in ``who``'s rooms list."""
    status, body = call_api(server, "GET", "/api/rooms", None, f"Bearer {token(who)}")
    assert status == 200, body
    entry = next(entry for entry in body["rooms"] if entry["room"] == room)
    return entry["unread"], entry["mentions"]


def test_here_mentions_who_is_in_the_room_on_either_node_and_says_so_after_a_restart(
    here_nodes: tuple[str, ServerProcess, ServerProcess],
) -> None:
    """Sal's "@here" on the left: ann (in the room on the left) and cid (on the right) count a mention; bob,
    online in another room, counts it unread, not a mention; a node started afresh says the same."""
    database, left, right = here_nodes

    async def scenario() -> None:
        for name in ("sal", "ann", "bob", "cid"):
            assert (await call(left, "GET", "/api/me", name))[0] == 200
        body = {"room": "standup", "kind": "closed", "members": ["ann", "bob", "cid"]}
        assert (await call(left, "POST", "/api/rooms", "sal", body))[0] == 201
        ann, _, _ = await awelcomed(left, room="standup", token=token("ann"))
        cid, _, _ = await awelcomed(right, room="standup", token=token("cid"))
        bob, _, _ = await awelcomed(left, room="lobby", token=token("bob"))
        sal, _, _ = await awelcomed(left, room="standup", token=token("sal"))
        await asyncio.sleep(0.3)  # cid's presence reaches Redis
        await sal.send(json.dumps({"type": "message", "message": "@here standup in five"}))
        assert (await unread_frame(ann, "standup", unread=1))["mentions"] == 1
        assert (await unread_frame(cid, "standup", unread=1))["mentions"] == 1
        assert (await unread_frame(bob, "standup", unread=1))["mentions"] == 0
        for ws in (ann, cid, bob, sal):
            await ws.close()

    asyncio.run(scenario())
    for server in (left, right):
        assert mentions_of(server, "cid", "standup") == (1, 1)
        assert mentions_of(server, "bob", "standup") == (1, 0)
    left.stop()
    right.stop()
    with ServerProcess(database, "--jwt-secret", SECRET, guests=False) as again:
        assert mentions_of(again, "ann", "standup") == (1, 1)
        assert mentions_of(again, "cid", "standup") == (1, 1)
        assert mentions_of(again, "bob", "standup") == (1, 0)
