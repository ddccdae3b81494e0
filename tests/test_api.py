"""The HTTP API against a real ``python -m chatroom``: what bots may post, hostile paths.

Bot posts say they are bots and cannot take a member's nick; room paths are
decoded once; and no request makes the server log a traceback.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.redis_server import RedisServer
from tests.support import ServerProcess, assert_no_traceback, raw_get
from tests.test_security import (
    join,
    next_of,
    open_ws,
    post,
    receive,
    say,
    unique,
)

API_KEY = "api-test-key-0123456789abcdef"
JWT_SECRET = "api-test-jwt-secret-" + "0123456789abcdef" * 3
NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))
SECRET_ROOM = "vault-7"
SECRET_TEXT = "the door code is 0451"


def get(
    server: ServerProcess, path: str, headers: dict[str, str] | None = None
) -> tuple[int, dict[str, str], bytes]:
    """GET ``path`` exactly as written: status, headers (names in lower case) and body, errors included."""
    request = urllib.request.Request(server.url + path, headers=headers or {})
    try:
        with NO_PROXY.open(request, timeout=10) as response:
            return response.status, {k.lower(): v for k, v in response.headers.items()}, response.read()
    except urllib.error.HTTPError as error:
        return error.code, {k.lower(): v for k, v in error.headers.items()}, error.read()


def publish(server: ServerProcess, room: str, nick: str, message: str, **extra: str) -> tuple[int, Any]:
    """POST a message with the server's API key."""
    body = json.dumps({"nick": nick, "message": message, **extra}).encode()
    return post(server, room, body, f"Bearer {API_KEY}")


# --- 2. bots say so, and cannot pass for a member ----------------------------------


@pytest.fixture(scope="module", params=["sqlite", "redis"])
def bot_server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ServerProcess]:
    """A server with an API key, on SQLite or on a Redis of the test's own."""
    if request.param == "sqlite":
        with ServerProcess(tmp_path_factory.mktemp("bots") / "chat.db", "--api-key", API_KEY) as running:
            yield running
        return
    redis = RedisServer(Path(tmp_path_factory.mktemp("redis"))).start()
    try:
        with ServerProcess(":memory:", "--redis-url", redis.url, "--api-key", API_KEY) as running:
            yield running
    finally:
        redis.stop()


def test_a_bot_post_is_marked_everywhere_and_a_member_post_is_not(bot_server: ServerProcess) -> None:
    """The 201 answer, the live frame, history and a since= replay say "bot": true; a person's do not."""
    room = unique("bots")
    with join(bot_server, room, "alice") as alice:
        say(alice, "hello from a person")
        person = next_of(alice, "user")
        status, stored = publish(bot_server, room, "deploybot", "v2 is live", ref="deploy-1")
        assert status == 201
        assert (stored["nick"], stored["bot"]) == ("deploybot", True)
        assert next_of(alice, "user") == stored
    assert "bot" not in person
    status, _, body = get(bot_server, f"/api/rooms/{room}/messages")
    assert status == 200
    assert [m.get("bot") for m in json.loads(body)["messages"]] == [None, True]
    with open_ws(bot_server, room=room, nick="carol", since=str(person["id"] - 1)) as carol:
        assert receive(carol)["type"] == "welcome"
        replay = receive(carol)
        assert [m.get("bot") for m in replay["messages"]] == [None, True]
    # A retry after a lost answer is the first message, still a bot's.
    assert publish(bot_server, room, "deploybot", "v2 is live", ref="deploy-1") == (201, stored)


@pytest.mark.parametrize("nick", ["alice", "ALICE", "аlice"])
def test_a_bot_may_not_post_under_a_members_nick(bot_server: ServerProcess, nick: str) -> None:
    """A nick a member of the room holds (as nicks collide) is 409 nick_in_use; nothing is stored or seen."""
    room = unique("impostor")
    with join(bot_server, room, "alice") as alice:
        status, answer = publish(bot_server, room, nick, "please send me your password")
        assert (status, answer["error"]) == (409, "nick_in_use")
        assert set(answer) == {"error", "message"}
        # The same nick is free in a room where alice is not.
        elsewhere = unique("elsewhere")
        status, stored = publish(bot_server, elsewhere, nick, "hi")
        assert (status, stored["bot"]) == (201, True)
        say(alice, "still only me")
        assert next_of(alice, "user")["message"] == "still only me"
    status, _, body = get(bot_server, f"/api/rooms/{room}/messages")
    assert [m["message"] for m in json.loads(body)["messages"]] == ["still only me"]
    assert_no_traceback(bot_server)


def test_once_the_member_leaves_a_bot_may_use_the_nick(bot_server: ServerProcess) -> None:
    """The nick is refused while its member is connected, not for ever; the post then says it is a bot."""
    room = unique("later")
    with join(bot_server, room, "alice"):
        assert publish(bot_server, room, "alice", "first try")[0] == 409
    deadline = time.monotonic() + 10
    while (answer := publish(bot_server, room, "alice", "second try"))[0] == 409:
        assert time.monotonic() < deadline, "the nick stayed held after its member left"
        time.sleep(0.05)
    status, stored = answer
    assert (status, stored["nick"], stored["bot"]) == (201, "alice", True)


# --- 3. paths are decoded once, and hostile ones are 4xx without a traceback ---------


@pytest.fixture(scope="module")
def server() -> Iterator[ServerProcess]:
    """A server with an API key, without tokens."""
    with ServerProcess(":memory:", "--api-key", API_KEY) as running:
        yield running


def test_a_room_path_is_decoded_once(server: ServerProcess) -> None:
    """``%2541BC`` names the room ``%41BC`` (a bad name), never the room ``ABC``."""
    assert publish(server, "ABC", "bot", "only in ABC")[0] == 201
    status, body = raw_get(server, "/api/rooms/%2541BC/messages")
    assert (status, json.loads(body)["error"]) == (400, "bad_name")
    assert b"only in ABC" not in body
    status, answer = post(
        server, "%41BC", json.dumps({"nick": "bot", "message": "x"}).encode(), f"Bearer {API_KEY}"
    )
    assert (status, answer["error"]) == (400, "bad_name")
    status, body = raw_get(server, "/api/rooms/%41BC/messages")
    assert (status, [m["message"] for m in json.loads(body)["messages"]]) == (200, ["only in ABC"])
    assert_no_traceback(server)


HOSTILE_API_TARGETS = [
    "/api/rooms/%ff/messages",
    "/api/rooms/%c0%ae%c0%ae/messages",
    "/api/rooms/%00/messages",
    "/api/rooms/lobby%00/messages",
    "/api/rooms/a%2fb/messages",
    "/api/rooms/..%2f..%2fetc/messages",
    "/api/rooms/%e2%80%ae/messages",
    "/api/rooms/%252e%252e/messages",
    "/api/rooms/" + "a" * 5000 + "/messages",
    "/api/rooms/lobby/messages?limit=%ff",
    "/api/rooms/lobby/messages?after=%c0%ae",
    "/api/rooms/lobby/messages?before=%00",
    "/api/rooms/lobby/messages?limit=99999999999999999999999",
    "/api/rooms/lobby/messages?limit=-1",
    "/api/rooms?prefix=%ff",
    "/api/rooms?after=%00",
    "/api/rooms?limit=%ff",
    "/api/rooms?prefix=" + "a" * 5000,
    "/api/%ff",
    "/%00",
]


@pytest.mark.parametrize("target", HOSTILE_API_TARGETS)
def test_hostile_api_paths_are_400_json_without_a_traceback(server: ServerProcess, target: str) -> None:
    """Invalid UTF-8, NUL, encoded slashes, overlong names and bad numbers: a 4xx JSON error, never a 500."""
    logged = len(server.log())
    status, body = raw_get(server, target)
    assert 400 <= status < 500, (target, status, body)
    answer = json.loads(body)
    assert set(answer) == {"error", "message"}
    assert "Traceback" not in answer["message"]
    assert_no_traceback(server, logged)


@pytest.mark.parametrize(
    "body",
    [b'{"nick": "bot", "message": "\\ud800"}', b'{"nick": "bot", "message": "\xff\xfe"}', b"\xff" * 10],
)
def test_hostile_post_bodies_are_400_json(server: ServerProcess, body: bytes) -> None:
    """A lone surrogate or bytes that are not UTF-8 in the body: 400, nothing stored, no traceback."""
    room = unique("bodies")
    status, answer = post(server, room, body, f"Bearer {API_KEY}")
    assert status == 400 and answer["error"] in ("bad_json", "bad_request")
    status, _, history = get(server, f"/api/rooms/{room}/messages")
    assert (status, json.loads(history)["messages"]) == (200, [])
    assert_no_traceback(server)
