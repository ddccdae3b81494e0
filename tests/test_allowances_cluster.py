"""Allowances a minute are the deployment's, not a process's: what one node spent, the other counts.

Two ``python -m chatroom`` nodes on one PostgreSQL schema and one Redis, with
guests, JWTs, 3 new rooms, 2 uploads and 6 bot writes a minute; one person
(or bot) spreads their requests over both nodes and is refused once the
deployment's allowance is spent, on either node, while another carries on:
new rooms (through the API, and by joining), uploads, status changes,
forwards, groups, custom emoji, and a bot's messages and changes through the
HTTP API.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Awaitable, Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
import tornado.escape
import tornado.httpclient
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from .clients import awelcomed, ws_url
from .redis_server import RedisServer
from .support import ServerProcess, call_api, make_bot
from .test_changes_recovery import answer
from .test_emoji_cluster import add
from .test_rooms_cluster import SECRET, call, token

Nodes = tuple[ServerProcess, ServerProcess]


@pytest.fixture(scope="module")
def nodes(tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest) -> Iterator[Nodes]:
    """Two nodes sharing a PostgreSQL schema and a Redis, with small allowances for rooms and uploads."""
    redis = RedisServer(tmp_path_factory.mktemp("redis")).start()
    database = request.getfixturevalue("postgres_server").new_schema()
    flags = (database, "--redis-url", redis.url, "--jwt-secret", SECRET)
    limits = ("--new-rooms-per-minute", "3", "--uploads-per-minute", "2", "--bot-messages-per-minute", "6")
    try:
        with ServerProcess(*flags, *limits) as left, ServerProcess(*flags, *limits) as right:
            yield left, right
    finally:
        redis.stop()


def assert_refused(status: int, body: Any) -> None:
    assert status == 429, body
    assert body["error"] == "rate_limited", body


Attempt = Callable[[ServerProcess], Awaitable[tuple[int, Any]]]


async def spend_until_refused(
    nodes: Sequence[ServerProcess], attempt: Attempt, per_minute: int, done: int
) -> None:
    """Try over ``nodes`` in turn until each has refused (rate_limited): a whole allowance is let through,
    and no more than it regains meanwhile (a slow machine takes seconds: one every 60 / ``per_minute``);
    counted by each process, each node would let a whole allowance through. ``done``: the success status.
    """
    started = time.monotonic()
    let_through, refused = 0, set()
    for n in itertools.count():
        status, body = await attempt(nodes[n % len(nodes)])
        if status == 429:
            assert_refused(status, body)
            refused.add(n % len(nodes))
        else:
            assert status == done, (n, body)
            let_through += 1
        regained = int((time.monotonic() - started) * per_minute / 60) + 1
        assert let_through <= per_minute + regained, (let_through, per_minute, regained)
        if len(refused) == len(nodes):
            break
    assert let_through >= per_minute


def test_status_changes_on_both_nodes_count_as_one_allowance(nodes: Nodes) -> None:
    """ann changes her status on each node in turn (20 a minute): 20 changes go through, and no more than
    the allowance regains meanwhile, before either node refuses with rate_limited; bob changes his."""
    right = nodes[1]

    async def change(node: ServerProcess) -> tuple[int, Any]:
        return await call(node, "PUT", "/api/me/status", "ann", {"emoji": "🚌", "text": f"bus {time.time()}"})

    async def scenario() -> None:
        await spend_until_refused(nodes, change, 20, 200)
        assert (await call(right, "PUT", "/api/me/status", "bob", {"emoji": "🌴", "text": "free"}))[0] == 200

    asyncio.run(scenario())


def test_forwards_on_both_nodes_count_as_one_allowance(nodes: Nodes) -> None:
    """cid forwards a message through each node in turn (30 a minute): 30 go through, and no more than
    the allowance regains meanwhile, before either node refuses; dee forwards it still."""
    left, right = nodes

    async def scenario() -> None:
        assert (await call(left, "POST", "/api/rooms", "cid", {"room": "relay", "kind": "open"}))[0] == 201
        ws, _, _ = await awelcomed(left, room="relay", token=token("cid"))
        original = (await answer(ws, {"type": "message", "message": "pass it on"}))["id"]
        forward = {"room": "relay", "id": original}

        async def forward_it(node: ServerProcess) -> tuple[int, Any]:
            return await call(node, "POST", "/api/rooms/relay/forwards", "cid", forward)

        await spend_until_refused(nodes, forward_it, 30, 201)
        assert (await call(right, "POST", "/api/rooms/relay/forwards", "dee", forward))[0] == 201
        await ws.close()

    asyncio.run(scenario())


def test_rooms_made_on_both_nodes_count_as_one_allowance(nodes: Nodes) -> None:
    """eve makes 3 rooms, two on the left and one on the right (3 a minute); a 4th is refused on either
    node, and fay makes hers."""
    left, right = nodes

    async def scenario() -> None:
        for name, node in (("eve-1", left), ("eve-2", right), ("eve-3", left)):
            assert (await call(node, "POST", "/api/rooms", "eve", {"room": name, "kind": "open"}))[0] == 201
        for node in nodes:
            assert_refused(*await call(node, "POST", "/api/rooms", "eve", {"room": "eve-4", "kind": "open"}))
        assert (await call(right, "POST", "/api/rooms", "fay", {"room": "fay-1", "kind": "open"}))[0] == 201

    asyncio.run(scenario())


def test_rooms_made_by_joining_on_both_nodes_count_as_one_allowance(nodes: Nodes) -> None:
    """Guests from one address make 3 new rooms by joining them, on both nodes (3 a minute); the 4th
    new room's upgrade is refused 429 too_many_rooms on either node, while joining a room that exists
    goes on."""
    left, right = nodes

    async def scenario() -> None:
        joined = [
            (await awelcomed(node, room=room, nick=f"guest-{room}"))[0]
            for room, node in (("new-1", left), ("new-2", right), ("new-3", left))
        ]
        for node in nodes:
            with pytest.raises(InvalidStatus) as refused:
                async with connect(ws_url(node, room="new-4", nick="guest-4")):
                    pass
            assert refused.value.response.status_code == 429
            assert b"too_many_rooms" in refused.value.response.body
        again, _, _ = await awelcomed(right, room="new-1", nick="guest-again")
        for ws in (*joined, again):
            await ws.close()

    asyncio.run(scenario())


def test_groups_and_emoji_made_on_both_nodes_count_as_one_allowance(nodes: Nodes) -> None:
    """ida makes groups and adds custom emoji on each node in turn (10 and 20 a minute): that many go
    through, and no more than the allowance regains meanwhile, before either node refuses; jon makes a
    group and adds an emoji."""
    right = nodes[1]
    made = itertools.count()

    async def make_group(node: ServerProcess) -> tuple[int, Any]:
        return await call(node, "POST", "/api/groups", "ida", {"name": f"crew-{next(made)}"})

    async def add_emoji(node: ServerProcess) -> tuple[int, Any]:
        return await add(node, "ida", f"ida-{next(made)}")

    async def scenario() -> None:
        await spend_until_refused(nodes, make_group, 10, 201)
        await spend_until_refused(nodes, add_emoji, 20, 201)
        assert (await call(right, "POST", "/api/groups", "jon", {"name": "jons-crew"}))[0] == 201
        assert (await add(right, "jon", "jon-1"))[0] == 201

    asyncio.run(scenario())


async def upload(node: ServerProcess, who: str, name: str) -> tuple[int, Any]:
    request = tornado.httpclient.HTTPRequest(
        f"{node.url}/api/rooms/files-room/files?name={name}",
        method="POST",
        headers={"Authorization": f"Bearer {token(who)}", "Content-Type": "text/plain"},
        body=b"notes\n",
    )
    response = await tornado.httpclient.AsyncHTTPClient().fetch(request, raise_error=False)
    return response.code, tornado.escape.json_decode(response.body) if response.body else None


def test_uploads_on_both_nodes_count_as_one_allowance(nodes: Nodes) -> None:
    """gus uploads a file on each node (2 a minute); a third is refused on either node; hal uploads."""
    left, right = nodes

    async def scenario() -> None:
        assert (await call(left, "POST", "/api/rooms", "gus", {"room": "files-room", "kind": "open"}))[
            0
        ] == 201
        for n, node in enumerate(nodes):
            status, body = await upload(node, "gus", f"notes-{n}.txt")
            assert status == 200, body
        for node in nodes:
            assert_refused(*await upload(node, "gus", "notes-3.txt"))
        assert (await upload(right, "hal", "notes.txt"))[0] == 200

    asyncio.run(scenario())


def test_a_bots_writes_on_both_nodes_count_as_one_allowance(nodes: Nodes) -> None:
    """A build bot posts through each node in turn (6 a minute): 6 go through, and no more than the
    allowance regains meanwhile, before either node refuses; a reaction is refused too (changes count
    with posts), while another bot posts."""
    right = nodes[1]
    database = right.db
    builds, docs = make_bot(database, "builds-bot", ["ci-room"]), make_bot(database, "docs-bot", ["ci-room"])
    stored: list[int] = []

    async def post(node: ServerProcess) -> tuple[int, Any]:
        body = {"message": f"build {len(stored)} passed"}
        answer = await asyncio.to_thread(
            call_api, node, "POST", "/api/rooms/ci-room/messages", body, builds.authorization
        )
        if answer[0] == 201:
            stored.append(answer[1]["id"])
        return answer

    async def scenario() -> None:
        await spend_until_refused(nodes, post, 6, 201)
        for node in nodes:
            path = f"/api/rooms/ci-room/messages/{stored[0]}/reactions/%E2%9C%85"
            assert_refused(*await asyncio.to_thread(call_api, node, "PUT", path, None, builds.authorization))
        assert docs.post(right, "ci-room", "docs published")[0] == 201

    asyncio.run(scenario())


def test_with_redis_away_a_node_counts_alone_and_refuses_nothing_the_allowance_lets_through(
    tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """kim changes her status once; Redis stopped, she changes it 20 more times on the node (its own
    count, whole) before it refuses; with Redis back, the deployment's count takes over again."""
    redis = RedisServer(tmp_path).start()
    database = request.getfixturevalue("postgres_server").lend_schema(request)
    try:
        with ServerProcess(database, "--redis-url", redis.url, "--jwt-secret", SECRET) as node:

            async def change(n: int) -> tuple[int, Any]:
                return await call(node, "PUT", "/api/me/status", "kim", {"emoji": "🚌", "text": f"bus {n}"})

            changes = itertools.count(1)

            async def change_on(node: ServerProcess) -> tuple[int, Any]:
                return await change(next(changes))

            async def scenario() -> None:
                assert (await change(0))[0] == 200
                redis.stop()
                await spend_until_refused([node], change_on, 20, 200)
                redis.start()
                assert (await change(22))[0] == 200  # Redis's count: one spent before it went away

            asyncio.run(scenario())
    finally:
        redis.stop()
