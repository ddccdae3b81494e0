"""Changes to messages survive a SIGKILL once acked, and reach a member back with since on any node.

Real ``python -m chatroom`` processes; people sign in with JWTs; clients are
the ``websockets`` library.
"""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path
from typing import Any

import jwt
import pytest
from websockets.asyncio.client import ClientConnection

from .clients import ANY_TYPE, anext_of, awelcomed
from .redis_server import RedisServer
from .support import ServerProcess

SECRET = "a-changes-recovery-secret-long-enough-for-hs256"
WAIT = 15.0
HEART = "\u2764\ufe0f"


def token(name: str) -> str:
    return jwt.encode({"sub": name, "exp": int(time.time()) + 600}, SECRET, algorithm="HS256")


def flags(*extra: str) -> tuple[str, ...]:
    return (*extra, "--jwt-secret", SECRET, "--log-level", "warning")


async def answer(ws: ClientConnection, frame: dict[str, Any]) -> dict[str, Any]:
    """Send a frame with a ref: the ack (or error) answering it."""
    ref = str(time.monotonic_ns())
    await ws.send(json.dumps({**frame, "ref": ref}))
    while True:
        got = json.loads(await asyncio.wait_for(ws.recv(), WAIT))
        if got["type"] in ("ack", "error") and got.get("ref") == ref:
            return dict(got)


def changed(history: dict[str, Any]) -> list[tuple[str, int, int]]:
    """The kinds, ids and targets of a history frame's changes."""
    return [(c["type"], c["id"], c["target"]) for c in history["changes"]]


def test_acked_changes_survive_sigkill(tmp_path: Path) -> None:
    """Edit, reaction and deletion acked, then SIGKILL: after a restart since brings all three, ids go on."""
    db = tmp_path / "chat.db"
    server = ServerProcess(db, *flags(), guests=False).start()

    async def before_the_kill() -> list[int]:
        ann, _, _ = await awelcomed(server, room="lobby", token=token("ann"))
        one = (await answer(ann, {"type": "message", "message": "one"}))["id"]
        two = (await answer(ann, {"type": "message", "message": "two secret"}))["id"]
        acks = [
            await answer(ann, {"type": "edit", "id": one, "message": "one, edited"}),
            await answer(ann, {"type": "react", "id": one, "emoji": HEART, "on": True}),
            await answer(ann, {"type": "delete", "id": two}),
        ]
        server.kill()
        return [one, two, *(a["id"] for a in acks)]

    one, two, edit, react, delete = asyncio.run(before_the_kill())
    assert [edit, react, delete] == [3, 4, 5]
    with ServerProcess(db, *flags(), guests=False) as restarted:

        async def after_the_restart() -> None:
            bob, welcome, history = await awelcomed(restarted, room="lobby", token=token("bob"), since=one)
            assert welcome["last_id"] == delete
            assert [(m["id"], m["message"], m.get("deleted")) for m in history["messages"]] == [
                (two, "", True)
            ]
            assert changed(history) == [
                ("edit", edit, one),
                ("reaction", react, one),
                ("delete", delete, two),
            ]
            assert history["changes"][0]["message"] == "one, edited"
            _, _, fresh = await awelcomed(restarted, room="lobby", token=token("carl"))
            first = fresh["messages"][0]
            assert (first["message"], first["reactions"]) == (
                "one, edited",
                [{"emoji": HEART, "nicks": ["ann"]}],
            )
            assert "secret" not in json.dumps(fresh) + json.dumps(history)
            ann, _, _ = await awelcomed(restarted, room="lobby", token=token("ann"))
            assert (await answer(ann, {"type": "message", "message": "three"}))["id"] == delete + 1
            for ws in (bob, ann):
                await ws.close()

        asyncio.run(after_the_restart())


@pytest.fixture
def two_nodes(tmp_path: Path, request: pytest.FixtureRequest) -> Any:
    """Two nodes sharing a PostgreSQL schema and a Redis, accounts only."""
    redis = RedisServer(tmp_path).start()
    database = request.getfixturevalue("postgres_server").lend_schema(request)
    try:
        with (
            ServerProcess(database, *flags("--redis-url", redis.url), guests=False) as left,
            ServerProcess(database, *flags("--redis-url", redis.url), guests=False) as right,
        ):
            yield left, right
    finally:
        redis.stop()


def test_changes_reach_the_other_node_at_once_and_a_member_back_on_another_node(
    two_nodes: tuple[ServerProcess, ServerProcess],
) -> None:
    """bob on the right sees ann's changes made on the left at once; away, then back on the left with
    since, he gets exactly the changes and messages he missed, in id order, then the live stream."""
    left, right = two_nodes

    async def scenario() -> None:
        ann, _, _ = await awelcomed(left, room="lobby", token=token("ann"))
        bob, _, _ = await awelcomed(right, room="lobby", token=token("bob"))
        one = (await answer(ann, {"type": "message", "message": "one"}))["id"]
        assert (await anext_of(bob, "user", WAIT, skip=ANY_TYPE))["id"] == one
        react = await answer(ann, {"type": "react", "id": one, "emoji": HEART, "on": True})
        live = await anext_of(bob, "reaction", WAIT, skip=ANY_TYPE)
        assert (live["id"], live["target"], live["emoji"]) == (react["id"], one, HEART)
        await bob.close()

        edit = await answer(ann, {"type": "edit", "id": one, "message": "one, edited"})
        two = (await answer(ann, {"type": "message", "message": "two", "reply_to": one}))["id"]
        unreact = await answer(ann, {"type": "react", "id": one, "emoji": HEART, "on": False})
        bob, welcome, history = await awelcomed(left, room="lobby", token=token("bob"), since=react["id"])
        assert welcome["last_id"] == unreact["id"]
        assert [m["id"] for m in history["messages"]] == [two]
        assert history["messages"][0]["reply_to"] == {"id": one, "nick": "ann", "message": "one, edited"}
        assert changed(history) == [("edit", edit["id"], one), ("reaction", unreact["id"], one)]
        deleted = await answer(ann, {"type": "delete", "id": two})
        frame = await anext_of(bob, "delete", WAIT, skip=ANY_TYPE)
        assert (frame["id"], frame["target"]) == (deleted["id"], two) == (unreact["id"] + 1, two)
        for ws in (ann, bob):
            await ws.close()

    asyncio.run(scenario())
