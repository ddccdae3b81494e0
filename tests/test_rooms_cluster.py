"""Rooms created and managed through one node's API reach the members on another node at once.

Two real ``python -m chatroom`` nodes on one PostgreSQL schema and one Redis;
people sign in with JWTs; clients are the ``websockets`` library.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jwt
import pytest
import tornado.httpclient
from websockets.asyncio.client import ClientConnection

from chatroom.store.accounts_base import AccountStore
from chatroom.store.records import PERSON

from .clients import ANY_TYPE, aclose_code, anext_of, arefused_on_open, awelcomed
from .redis_server import RedisServer
from .support import ServerProcess, in_store

SECRET = "a-rooms-cluster-secret-long-enough-for-hs256"
WORDS = "the-quarterly-numbers-8812"
WAIT = 15.0


def token(name: str) -> str:
    return jwt.encode({"sub": name, "exp": int(time.time()) + 600}, SECRET, algorithm="HS256")


@pytest.fixture
def nodes(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[tuple[ServerProcess, ServerProcess]]:
    """Two nodes sharing a PostgreSQL schema and a Redis, accounts only."""
    redis = RedisServer(tmp_path).start()
    database = request.getfixturevalue("postgres_server").lend_schema(request)
    flags = (database, "--redis-url", redis.url, "--jwt-secret", SECRET)
    try:
        with ServerProcess(*flags, guests=False) as left, ServerProcess(*flags, guests=False) as right:
            yield left, right
    finally:
        redis.stop()


async def call(server: ServerProcess, method: str, path: str, who: str, body: Any = None) -> tuple[int, Any]:
    """An API call to ``server`` as ``who``: status and decoded body."""
    request = tornado.httpclient.HTTPRequest(
        server.url + path,
        method=method,
        headers={"Authorization": f"Bearer {token(who)}"},
        body=json.dumps(body) if body is not None else (b"" if method in ("POST", "PATCH") else None),
        allow_nonstandard_methods=True,
    )
    response = await tornado.httpclient.AsyncHTTPClient().fetch(request, raise_error=False)
    return response.code, json.loads(response.body) if response.body else None


async def drain(ws: ClientConnection, wait: float = 0.5) -> str:
    """Every frame that arrives within ``wait`` seconds, as text."""
    received = []
    try:
        while True:
            received.append(str(await asyncio.wait_for(ws.recv(), wait)))
    except TimeoutError:
        return "".join(received)


def test_a_closed_room_lives_on_both_nodes(nodes: tuple[ServerProcess, ServerProcess]) -> None:
    """Created, renamed, archived and a member removed on the left: the right node's members follow at once,
    and an outsider on the right hears nothing of it."""
    left, right = nodes

    async def scenario() -> None:
        ann_hall, _, _ = await awelcomed(left, room="lobby", token=token("ann"))
        bob_lobby, _, _ = await awelcomed(right, room="lobby", token=token("bob"))
        carl_lobby, _, _ = await awelcomed(right, room="lobby", token=token("carl"))
        status, _ = await call(
            left, "POST", "/api/rooms", "ann", {"room": "team", "kind": "closed", "members": ["bob"]}
        )
        assert status == 201
        created = await anext_of(bob_lobby, "room", WAIT, skip=ANY_TYPE)
        assert (created["change"], created["room"]["room"], created["room"]["kind"]) == (
            "created",
            "team",
            "closed",
        )
        bob_team, _, _ = await awelcomed(right, room="team", token=token("bob"))
        ann_team, _, _ = await awelcomed(left, room="team", token=token("ann"))
        await ann_team.send(json.dumps({"type": "message", "message": WORDS}))
        assert (await anext_of(bob_team, "user", WAIT, skip=ANY_TYPE))["message"] == WORDS

        assert (await call(left, "PATCH", "/api/rooms/team", "ann", {"title": "The team"}))[0] == 200
        for ws in (bob_lobby, bob_team):
            renamed = await anext_of(ws, "room", WAIT, skip=ANY_TYPE)
            assert (renamed["change"], renamed["room"]["room"], renamed["room"]["title"]) == (
                "renamed",
                "team",
                "The team",
            )
        assert (await call(left, "PATCH", "/api/rooms/team", "ann", {"archived": True}))[0] == 200
        assert (await anext_of(bob_team, "room", WAIT, skip=ANY_TYPE))["change"] == "archived"
        await bob_team.send(json.dumps({"type": "message", "message": "too late", "ref": "r"}))
        assert (await anext_of(bob_team, "error", WAIT, skip=ANY_TYPE))["code"] == "read_only"

        assert (await call(left, "DELETE", "/api/rooms/team/members/bob", "ann"))[0] == 204
        assert (await anext_of(bob_team, "error", WAIT, skip=ANY_TYPE))["code"] == "forbidden"
        assert await aclose_code(bob_team, WAIT) == 4403
        assert (await anext_of(bob_lobby, "room_gone", WAIT, skip=ANY_TYPE))["room"] == "team"
        error, code = await arefused_on_open(right, room="team", token=token("bob"), since=0)
        assert (error["code"], code) == ("not_found", 4404)
        assert (await call(right, "GET", "/api/rooms/team/messages", "bob"))[0] == 404

        heard = await drain(carl_lobby)
        assert "team" not in heard and WORDS not in heard
        for ws in (ann_hall, bob_lobby, carl_lobby, ann_team):
            await ws.close()

    asyncio.run(scenario())


def test_a_direct_message_reaches_the_other_node(nodes: tuple[ServerProcess, ServerProcess]) -> None:
    """Opened on the left, the conversation appears at once in the right node's room list with both names."""
    left, right = nodes

    async def scenario() -> None:
        bob_lobby, _, _ = await awelcomed(right, room="lobby", token=token("bob"))
        carl_lobby, _, _ = await awelcomed(right, room="lobby", token=token("carl"))
        status, dm = await call(left, "POST", "/api/direct", "ann", {"members": ["bob"]})
        assert status == 201
        frame = await anext_of(bob_lobby, "room", WAIT, skip=ANY_TYPE)
        assert frame["room"]["room"] == dm["room"] and sorted(frame["room"]["members"]) == ["ann", "bob"]
        status, again = await call(right, "POST", "/api/direct", "bob", {"members": ["ann"]})
        assert (status, again["room"]) == (200, dm["room"])
        bob_dm, _, _ = await awelcomed(right, room=dm["room"], token=token("bob"))
        ann_dm, _, _ = await awelcomed(left, room=dm["room"], token=token("ann"))
        await ann_dm.send(json.dumps({"type": "message", "message": WORDS}))
        assert (await anext_of(bob_dm, "user", WAIT, skip=ANY_TYPE))["message"] == WORDS
        heard = await drain(carl_lobby)
        assert dm["room"] not in heard and WORDS not in heard
        error, code = await arefused_on_open(right, room=dm["room"], token=token("carl"), since=0)
        assert (error["code"], code) == ("not_found", 4404)
        for ws in (bob_lobby, carl_lobby, bob_dm, ann_dm):
            await ws.close()

    asyncio.run(scenario())


def test_who_posts_changes_at_once_on_the_other_node(nodes: tuple[ServerProcess, ServerProcess]) -> None:
    """Only managers posting, said on the left: bob's connection on the right refuses his message at once
    (read_only, open still) and ann's on the right takes hers; everyone posting again, bob posts."""
    left, right = nodes

    async def scenario() -> None:
        status, _ = await call(left, "POST", "/api/rooms", "ann", {"room": "news", "kind": "open"})
        assert status == 201
        bob_news, _, _ = await awelcomed(right, room="news", token=token("bob"))
        ann_news, _, _ = await awelcomed(right, room="news", token=token("ann"))

        assert (await call(left, "PATCH", "/api/rooms/news", "ann", {"posting": "managers"}))[0] == 200
        for ws in (bob_news, ann_news):
            changed = await anext_of(ws, "room", WAIT, skip=ANY_TYPE)
            assert (changed["change"], changed["room"]["posting"]) == ("posting", "managers")
        await bob_news.send(json.dumps({"type": "message", "message": "me too", "ref": "r"}))
        refused = await anext_of(bob_news, "error", WAIT, skip=ANY_TYPE)
        assert (refused["code"], refused["ref"]) == ("read_only", "r")
        await ann_news.send(json.dumps({"type": "message", "message": WORDS}))
        assert (await anext_of(bob_news, "user", WAIT, skip=ANY_TYPE))["message"] == WORDS

        assert (await call(left, "PATCH", "/api/rooms/news", "ann", {"posting": "everyone"}))[0] == 200
        assert (await anext_of(bob_news, "room", WAIT, skip=ANY_TYPE))["room"]["posting"] == "everyone"
        await bob_news.send(json.dumps({"type": "message", "message": "thanks", "ref": "r2"}))
        assert (await anext_of(bob_news, "ack", WAIT, skip=ANY_TYPE))["ref"] == "r2"
        status, page = await call(left, "GET", "/api/rooms/news/messages", "ann")
        assert [m["message"] for m in page["messages"]] == [WORDS, "thanks"]
        for ws in (bob_news, ann_news):
            await ws.close()

    asyncio.run(scenario())


def test_a_room_everyone_is_in_reaches_every_page_on_the_other_node(
    nodes: tuple[ServerProcess, ServerProcess],
) -> None:
    """Turned on through the left: bob's page on the right gets the room's new entry from the one notice,
    and, now a member, his count when ann posts; a person made on the right is a member at once."""
    left, right = nodes

    async def make_root(accounts: AccountStore) -> None:
        await accounts.create_account("root", PERSON, is_admin=True)

    in_store(left.db, make_root)

    async def scenario() -> None:
        status, _ = await call(left, "POST", "/api/rooms", "ann", {"room": "news", "kind": "open"})
        assert status == 201
        bob_lobby, _, _ = await awelcomed(right, room="lobby", token=token("bob"))
        assert (await call(left, "PATCH", "/api/rooms/news", "root", {"everyone_in": True}))[0] == 200
        changed = await anext_of(bob_lobby, "room", WAIT, skip=ANY_TYPE)
        assert (changed["change"], changed["room"]["room"], changed["room"]["everyone_in"]) == (
            "everyone_in",
            "news",
            True,
        )
        ann_news, _, _ = await awelcomed(left, room="news", token=token("ann"))
        await ann_news.send(json.dumps({"type": "message", "message": WORDS}))
        unread = await anext_of(bob_lobby, "unread", WAIT, skip=ANY_TYPE)
        assert (unread["room"], unread["unread"]) == ("news", 1)
        status, members = await call(right, "GET", "/api/rooms/news/members", "carl")
        assert status == 200 and "carl" in [member["name"] for member in members["members"]]
        for ws in (bob_lobby, ann_news):
            await ws.close()

    asyncio.run(scenario())


def test_a_topic_set_through_one_node_reaches_the_other_with_who_set_it(
    nodes: tuple[ServerProcess, ServerProcess],
) -> None:
    """bob sets the open room's topic on the left: ann's connection on the right (in another room) gets
    the room frame with the topic and bob's name, and her rooms list there shows it; cleared, likewise."""
    left, right = nodes

    async def scenario() -> None:
        for room in ("news", "hall"):
            assert (await call(left, "POST", "/api/rooms", "ann", {"room": room, "kind": "open"}))[0] == 201
        ann_hall, _, _ = await awelcomed(right, room="hall", token=token("ann"))
        topic = "Release planning — next: Friday's demo"
        status, entry = await call(left, "PATCH", "/api/rooms/news", "bob", {"topic": topic})
        assert (status, entry["topic"]) == (200, topic)
        changed = await anext_of(ann_hall, "room", WAIT, skip=ANY_TYPE)
        assert (changed["change"], changed["by"], changed["room"]["room"]) == ("topic", "bob", "news")
        assert changed["room"]["topic"] == topic
        _, listed = await call(right, "GET", "/api/rooms", "ann")
        assert [e["topic"] for e in listed["rooms"] if e["room"] == "news"] == [topic]
        assert (await call(right, "PATCH", "/api/rooms/news", "ann", {"topic": None}))[0] == 200
        cleared = await anext_of(ann_hall, "room", WAIT, skip=ANY_TYPE)
        assert (cleared["change"], cleared["by"], cleared["room"]["topic"]) == ("topic", "ann", "")
        await ann_hall.close()

    asyncio.run(scenario())


def test_a_bar_through_one_node_puts_the_member_out_on_the_other(
    nodes: tuple[ServerProcess, ServerProcess],
) -> None:
    """ann bars bob from her open room on the left: bob, in it on the right, is told so and closed 4403,
    his other tab loses the room, and the right node lets him back in only once the bar is lifted."""
    left, right = nodes

    async def scenario() -> None:
        await awelcomed(left, room="lobby", token=token("bob"))
        assert (await call(left, "POST", "/api/rooms", "ann", {"room": "square", "kind": "open"}))[0] == 201
        bob_square, _, _ = await awelcomed(right, room="square", token=token("bob"))
        bob_lobby, _, _ = await awelcomed(right, room="lobby", token=token("bob"))
        assert (await call(left, "POST", "/api/rooms/square/bars", "ann", {"name": "bob"}))[0] == 201
        error = await anext_of(bob_square, "error", WAIT, skip=ANY_TYPE)
        assert (error["code"], error["message"]) == ("forbidden", "you were barred from 'square'")
        assert await aclose_code(bob_square, WAIT) == 4403
        assert (await anext_of(bob_lobby, "room_gone", WAIT, skip=ANY_TYPE))["room"] == "square"
        error, code = await arefused_on_open(right, room="square", token=token("bob"), since=0)
        assert (error["code"], code) == ("not_found", 4404)
        assert (await call(right, "DELETE", "/api/rooms/square/bars/bob", "ann"))[0] == 204
        bob_square, welcome, _ = await awelcomed(right, room="square", token=token("bob"))
        assert welcome["room"] == "square"
        for ws in (bob_square, bob_lobby):
            await ws.close()

    asyncio.run(scenario())
