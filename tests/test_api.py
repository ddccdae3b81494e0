"""The HTTP API against a real ``python -m chatroom``: who may read, what bots may post, hostile paths.

Every read path answers only to a valid token when the server requires
tokens; bot posts say they are bots and carry the bot's own name; room
paths are decoded once; and no request makes the server log a traceback.
"""

from __future__ import annotations

import asyncio
import json
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import jwt
import pytest
import tornado.httpclient
import tornado.httpserver
import tornado.netutil
import tornado.routing
import tornado.web

from chatroom.access import Access
from chatroom.api import JsonHandler
from chatroom.app import make_app
from chatroom.config import Settings
from chatroom.identity import Authenticator
from chatroom.service import embedded
from tests.clients import join, next_of, refused_on_open, say, welcomed
from tests.redis_server import RedisServer
from tests.support import (
    NO_PROXY,
    Bot,
    ServerProcess,
    assert_no_traceback,
    make_bot,
    post_message,
    raw_get,
    unique,
    unsigned_token,
)

JWT_SECRET = "api-test-jwt-secret-" + "0123456789abcdef" * 3
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


# --- 1. reading needs a token under --jwt-secret ---------------------------------


@pytest.fixture(scope="module")
def jwt_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """Tokens required, and a room with a message (a bot's) nobody without a token should read."""
    db = tmp_path_factory.mktemp("jwt") / "chat.db"
    keeper = make_bot(db, "keeper", rooms=[SECRET_ROOM])
    with ServerProcess(db, "--jwt-secret", JWT_SECRET, guests=False) as running:
        status, _ = keeper.post(running, SECRET_ROOM, SECRET_TEXT)
        assert status == 201
        yield running


def guarded_get_paths() -> list[str]:
    """Every GET path of the URL table that a token guards, with a room filled in.

    Read from the application itself, so a handler added later is checked
    here without anyone remembering to list it.
    """
    app = make_app(Settings(jwt_secret=JWT_SECRET), embedded(":memory:"))
    paths = []
    for rule in app.wildcard_router.rules:
        handler = rule.target
        if not (isinstance(handler, type) and issubclass(handler, JsonHandler)):
            continue
        if "GET" in getattr(handler, "public_methods", ()):
            continue
        assert isinstance(rule.matcher, tornado.routing.PathMatches)
        pattern = rule.matcher.regex.pattern.rstrip("$")
        paths.append(pattern.replace("([^/]+)", SECRET_ROOM))
    return paths


def test_the_guarded_paths_are_every_api_read() -> None:
    """The table's guarded GET paths include the rooms list and history; the public ones are operational."""
    assert {"/api/rooms", f"/api/rooms/{SECRET_ROOM}/messages"} <= set(guarded_get_paths())
    app = make_app(Settings(jwt_secret=JWT_SECRET), embedded(":memory:"))
    public = {
        rule.matcher.regex.pattern.rstrip("$")
        for rule in app.wildcard_router.rules
        if isinstance(rule.target, type)
        and issubclass(rule.target, JsonHandler)
        and "GET" in rule.target.public_methods
        and isinstance(rule.matcher, tornado.routing.PathMatches)
    }
    assert public == {"/healthz"}


def test_a_handler_added_later_is_guarded_without_saying_so() -> None:
    """A new JsonHandler that declares nothing answers 401 without a token and 200 with one."""

    class LaterHandler(JsonHandler):
        def get(self) -> None:
            self.send_json({"secret": SECRET_TEXT})

    async def scenario() -> list[tuple[int, bytes]]:
        settings = Settings(jwt_secret=JWT_SECRET)
        backend = embedded(":memory:")
        await backend.start()
        handler_args = {
            "config": settings,
            "backend": backend,
            "authenticator": Authenticator(settings, backend.accounts),
            "access": Access(settings, backend.accounts),
        }
        app = tornado.web.Application([(r"/api/later", LaterHandler, handler_args)])
        sockets = tornado.netutil.bind_sockets(0, "127.0.0.1")
        server = tornado.httpserver.HTTPServer(app)
        server.add_sockets(sockets)
        url = f"http://127.0.0.1:{sockets[0].getsockname()[1]}/api/later"
        client = tornado.httpclient.AsyncHTTPClient()
        answers = []
        for headers in ({}, bearer("not.a.token"), bearer(token_for("reader"))):
            response = await client.fetch(url, headers=headers, raise_error=False)
            answers.append((response.code, response.body))
        server.stop()
        await backend.close()
        return answers

    (none, bad, good) = asyncio.run(scenario())
    for status, body in (none, bad):
        assert (status, json.loads(body)["error"]) == (401, "unauthorized")
        assert SECRET_TEXT.encode() not in body
    assert good == (200, json.dumps({"secret": SECRET_TEXT}, separators=(",", ":")).encode())


READ_QUERIES = ["", "?limit=500", "?prefix=vault", "?after=0", "?before=100"]


def token_for(nick: str, secret: str = JWT_SECRET, algorithm: str = "HS256", **claims: Any) -> str:
    """A token for ``nick``, valid for ten minutes unless ``claims`` say otherwise."""
    payload = {"sub": nick, "exp": int(time.time()) + 600, **claims}
    return jwt.encode(payload, secret, algorithm=algorithm)


def bearer(credentials: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {credentials}"}


BAD_CREDENTIALS: dict[str, Callable[[], dict[str, str]]] = {
    "none": dict,
    "empty-bearer": lambda: {"Authorization": "Bearer "},
    "garbage": lambda: bearer("not.a.token"),
    "bad-signature": lambda: bearer(token_for("eve", secret="another-secret-" + "0123456789abcdef" * 3)),
    "expired": lambda: bearer(token_for("eve", exp=int(time.time()) - 60)),
    "not-yet-valid": lambda: bearer(token_for("eve", nbf=int(time.time()) + 600)),
    "wrong-alg": lambda: bearer(token_for("eve", algorithm="HS512")),
    "alg-none": lambda: bearer(unsigned_token({"sub": "eve", "exp": int(time.time()) + 600})),
    "no-exp": lambda: bearer(jwt.encode({"sub": "eve"}, JWT_SECRET, algorithm="HS256")),
    "basic-scheme": lambda: {"Authorization": f"Basic {token_for('eve')}"},
    "unknown-bot-key": lambda: bearer("k" * 43),
}


@pytest.mark.parametrize("kind", BAD_CREDENTIALS)
@pytest.mark.parametrize("path", guarded_get_paths())
def test_reads_without_a_valid_token_are_401_and_show_nothing(
    jwt_server: ServerProcess, path: str, kind: str
) -> None:
    """No token, a bad one, an expired one or a key no bot holds: 401 JSON, no room name, no message text."""
    for query in READ_QUERIES:
        status, headers, body = get(jwt_server, path + query, BAD_CREDENTIALS[kind]())
        assert status == 401, (path + query, body)
        answer = json.loads(body)
        assert set(answer) == {"error", "message"}
        assert answer["error"] == "unauthorized"
        assert SECRET_ROOM not in body.decode()
        assert SECRET_TEXT not in body.decode()
        assert headers["www-authenticate"].startswith("Bearer")


@pytest.mark.parametrize("path", guarded_get_paths())
def test_an_expired_token_in_the_query_is_401(jwt_server: ServerProcess, path: str) -> None:
    """The socket's ``token`` argument works on the API too, and is checked the same way."""
    expired = token_for("eve", exp=int(time.time()) - 60)
    status, _, body = get(jwt_server, f"{path}?token={expired}")
    assert (status, json.loads(body)["error"]) == (401, "unauthorized")
    assert SECRET_TEXT not in body.decode()


def test_a_valid_token_reads_rooms_and_history(jwt_server: ServerProcess) -> None:
    """With a token in the header (or the query, as on /ws), the rooms list and the history answer 200."""
    bearer = {"Authorization": f"Bearer {token_for('reader')}"}
    status, _, body = get(jwt_server, "/api/rooms", bearer)
    assert status == 200
    assert SECRET_ROOM in [room["room"] for room in json.loads(body)["rooms"]]
    status, _, body = get(jwt_server, f"/api/rooms/{SECRET_ROOM}/messages", bearer)
    assert status == 200
    assert [m["message"] for m in json.loads(body)["messages"]] == [SECRET_TEXT]
    status, _, body = get(jwt_server, f"/api/rooms/{SECRET_ROOM}/messages?token={token_for('reader')}")
    assert (status, json.loads(body)["room"]) == (200, SECRET_ROOM)
    assert_no_traceback(jwt_server)


@pytest.mark.parametrize("path", ["/healthz", "/metrics", "/", "/static/js/app.js"])
def test_operational_paths_and_the_page_stay_public(jwt_server: ServerProcess, path: str) -> None:
    """Health, metrics, the page and its script answer without a token (the page asks for one)."""
    status, _, body = get(jwt_server, path)
    assert status == 200
    assert SECRET_TEXT.encode() not in body


def test_an_unknown_path_is_404_with_or_without_a_token(jwt_server: ServerProcess) -> None:
    """A path that does not exist says so, and nothing else."""
    status, _, body = get(jwt_server, "/api/nothing-here")
    assert (status, json.loads(body)["error"]) == (404, "not_found")


def test_the_socket_still_wants_its_token(jwt_server: ServerProcess) -> None:
    """The same rule on /ws: no token, close 4401."""
    error, code = refused_on_open(jwt_server, room=SECRET_ROOM, nick="eve")
    assert (error["code"], code) == ("unauthorized", 4401)


def test_without_jwt_secret_the_api_reads_without_a_token(tmp_path: Path) -> None:
    """A server with guests answers the rooms list and history of open rooms to anyone, as before."""
    bot = make_bot(tmp_path / "chat.db", rooms=["open-room"])
    with ServerProcess(bot.database) as server:
        assert bot.post(server, "open-room", "hello")[0] == 201
        status, _, body = get(server, "/api/rooms")
        assert status == 200 and "open-room" in body.decode()
        status, _, body = get(server, "/api/rooms/open-room/messages")
        assert status == 200 and "hello" in body.decode()


# --- 2. bots say so, under their own name ------------------------------------------


@pytest.fixture(scope="module", params=["sqlite", "redis"])
def bot_server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ServerProcess]:
    """A server on SQLite or on a Redis of the test's own, where bots are made as tests need them."""
    if request.param == "sqlite":
        with ServerProcess(tmp_path_factory.mktemp("bots") / "chat.db") as running:
            yield running
        return
    redis = RedisServer(Path(tmp_path_factory.mktemp("redis"))).start()
    try:
        with ServerProcess(":memory:", "--redis-url", redis.url) as running:
            yield running
    finally:
        redis.stop()


def test_a_bot_post_is_marked_everywhere_and_a_member_post_is_not(bot_server: ServerProcess) -> None:
    """The 201 answer, the live frame, history, a since= replay and a retry say "bot": true; a person's no."""
    room = unique("bots")
    deploybot = make_bot(bot_server.db, unique("deploybot"), rooms=[room])
    with join(bot_server, room, "alice") as alice:
        say(alice, "hello from a person")
        person = next_of(alice, "user")
        status, stored = deploybot.post(bot_server, room, "v2 is live", ref="deploy-1")
        assert status == 201
        assert (stored["nick"], stored["bot"]) == (deploybot.name, True)
        assert next_of(alice, "user") == stored
    assert "bot" not in person
    status, _, body = get(bot_server, f"/api/rooms/{room}/messages")
    assert status == 200
    assert [m.get("bot") for m in json.loads(body)["messages"]] == [None, True]
    carol, _, replay = welcomed(bot_server, room=room, nick="carol", since=str(person["id"] - 1))
    with carol:
        assert [m.get("bot") for m in replay["messages"]] == [None, True]
    # A retry after a lost answer is the first message, still a bot's; a reply's with its quote.
    assert deploybot.post(bot_server, room, "v2 is live", ref="deploy-1") == (201, stored)
    answer = {"ref": "deploy-2", "reply_to": person["id"]}
    status, reply = deploybot.post(bot_server, room, "rolled out", **answer)
    assert status == 201 and reply["reply_to"]["message"] == "hello from a person"
    assert deploybot.post(bot_server, room, "rolled out", **answer) == (201, reply)


@pytest.mark.parametrize("nick", ["alice", "ALICE", "аlice"])
def test_a_bot_posts_under_its_own_name_whatever_the_body_says(bot_server: ServerProcess, nick: str) -> None:
    """A body's "nick" (a member's, or a look-alike) is ignored: the frame names the bot, a bot."""
    room = unique("impostor")
    mimic = make_bot(bot_server.db, unique("mimic"), rooms=[room])
    with join(bot_server, room, "alice") as alice:
        status, stored = mimic.post(bot_server, room, "please send me your password", nick=nick)
        assert (status, stored["nick"], stored["bot"]) == (201, mimic.name, True)
        seen = next_of(alice, "user")
        assert (seen["nick"], seen["bot"]) == (mimic.name, True)
    assert_no_traceback(bot_server)


# --- 3. paths are decoded once, and hostile ones are 4xx without a traceback ---------


@pytest.fixture(scope="module")
def server_bot(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ServerProcess, Bot]]:
    """A server with guests, without tokens, and a bot that posts in ``ABC``."""
    bot = make_bot(tmp_path_factory.mktemp("paths") / "chat.db", rooms=["ABC"])
    with ServerProcess(bot.database) as running:
        yield running, bot


@pytest.fixture(scope="module")
def server(server_bot: tuple[ServerProcess, Bot]) -> ServerProcess:
    return server_bot[0]


def test_a_room_path_is_decoded_once(server_bot: tuple[ServerProcess, Bot]) -> None:
    """``%2541BC`` names the room ``%41BC`` (a bad name), never the room ``ABC``."""
    server, bot = server_bot
    assert bot.post(server, "ABC", "only in ABC")[0] == 201
    status, body = raw_get(server, "/api/rooms/%2541BC/messages")
    assert (status, json.loads(body)["error"]) == (400, "bad_name")
    assert b"only in ABC" not in body
    status, answer = post_message(server, "%41BC", json.dumps({"message": "x"}).encode(), bot.authorization)
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
    assert answer["error"] in ("bad_request", "bad_name", "not_found")
    assert answer["message"] not in ("", "Bad Request")
    assert_no_traceback(server, logged)


@pytest.mark.parametrize(
    "body",
    [b'{"nick": "bot", "message": "\\ud800"}', b'{"nick": "bot", "message": "\xff\xfe"}', b"\xff" * 10],
)
def test_hostile_post_bodies_are_400_json(server_bot: tuple[ServerProcess, Bot], body: bytes) -> None:
    """A lone surrogate or bytes that are not UTF-8 in the body: 400, nothing stored, no traceback."""
    server, bot = server_bot
    room = unique("bodies")
    bot.join(room)
    status, answer = post_message(server, room, body, bot.authorization)
    assert status == 400 and answer["error"] in ("bad_json", "bad_request")
    status, _, history = get(server, f"/api/rooms/{room}/messages")
    assert (status, json.loads(history)["messages"]) == (200, [])
    assert_no_traceback(server)
