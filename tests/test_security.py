"""Safe by default, through real sockets: a ``python -m chatroom`` subprocess and
an independent client (the ``websockets`` library, or raw sockets where a
well-behaved client cannot misbehave enough).

Every refusal of PROTOCOL.md is checked for its exact error code, the fate of
the offending connection, and that another member of the room carries on.
"""

from __future__ import annotations

import json
import socket
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import jwt
import pytest
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import ClientConnection

from chatroom.cli import parse_settings
from tests.clients import (
    assert_room_carries_on,
    close_code,
    join,
    next_leave,
    next_of,
    open_ws,
    own_next,
    receive,
    refused_on_open,
    say,
    send_message,
    user_frames,
    welcomed,
)
from tests.raw_ws import RawMember
from tests.support import (
    NO_PROXY,
    Bot,
    ServerProcess,
    make_bot,
    post_message,
    unique,
    unsigned_token,
    wait_until,
)

JWT_SECRET = "jwt-secret-for-tests-" + "0123456789abcdef" * 3
ALLOWED_ORIGIN = "https://chat.example.com"
MAX_FRAME = 262144


# --- servers ----------------------------------------------------------------


@pytest.fixture(scope="module")
def bot(tmp_path_factory: pytest.TempPathFactory) -> Bot:
    """A bot account named ``deploybot``, on the database of ``server``."""
    return make_bot(tmp_path_factory.mktemp("security") / "chat.db", "deploybot")


@pytest.fixture(scope="module")
def server(bot: Bot) -> Iterator[ServerProcess]:
    """A server with an extra origin, a bot (which posts hundreds of messages at once: no allowance a
    minute) and a roomy frame limit."""
    flags = (
        "--origin",
        ALLOWED_ORIGIN,
        "--max-frame-bytes",
        str(MAX_FRAME),
        "--bot-messages-per-minute",
        "0",
    )
    with ServerProcess(bot.database, *flags) as running:
        yield running


@pytest.fixture(scope="module")
def jwt_server() -> Iterator[ServerProcess]:
    """A server that requires tokens (no guests) and has no bot."""
    with ServerProcess(":memory:", "--jwt-secret", JWT_SECRET, guests=False) as running:
        yield running


@pytest.fixture(scope="module")
def strict_server() -> Iterator[ServerProcess]:
    """A server whose rate limit is spent after three messages."""
    with ServerProcess(":memory:", "--rate", "0.01", "--burst", "3") as running:
        yield running


# --- upgrades -----------------------------------------------------------------


def handshake_status(server: ServerProcess, headers: dict[str, str], **params: str) -> int:
    """The HTTP status of an upgrade with these headers: 101 when it is accepted."""
    try:
        with open_ws(server, headers=headers, **params):
            return 101
    except InvalidStatus as refused:
        return refused.response.status_code


# --- 1. origins -------------------------------------------------------------


@pytest.mark.parametrize(
    "origin",
    ["{own}", ALLOWED_ORIGIN, ALLOWED_ORIGIN.upper(), ALLOWED_ORIGIN + "/"],
    ids=["own-host", "listed", "listed-upper-case", "listed-trailing-slash"],
)
def test_allowed_origins_may_connect(server: ServerProcess, origin: str) -> None:
    """The server's own host and each --origin open a WebSocket."""
    origin = origin.format(own=server.url)
    assert handshake_status(server, {"Origin": origin}, room=unique("o")) == 101


@pytest.mark.parametrize(
    "origin",
    [
        "http://chat.example.com",
        "https://chat.example.com:8443",
        "https://evil.example.com",
        "https://chat.example.com.evil.example",
        "https://evil.example/chat.example.com",
        "null",
        "{own_https_other_port}",
    ],
)
def test_foreign_origin_gets_403_before_upgrade(server: ServerProcess, origin: str) -> None:
    """An origin that is neither the server's host nor listed (scheme and port included) gets HTTP 403."""
    origin = origin.format(own_https_other_port=f"https://127.0.0.1:{server.port + 1}")
    assert handshake_status(server, {"Origin": origin}, room=unique("o")) == 403


def test_no_origin_is_a_non_browser_client(server: ServerProcess) -> None:
    """A client that sends no Origin header (a bot, a terminal client) is let in."""
    with join(server, unique("o"), "bot") as ws:
        say(ws, "hello")
        assert next_of(ws, "user")["message"] == "hello"


@pytest.mark.parametrize(
    ("site", "origin", "status"),
    [
        ("cross-site", "https://evil.example.com", 403),
        ("same-site", "https://evil.chat.example.com", 403),
        ("cross-site", ALLOWED_ORIGIN, 101),
        ("cross-site", None, 403),
        # Pages cannot set Sec-Fetch-Site, so Tornado believes it without looking at Origin.
        ("same-origin", "https://evil.example.com", 101),
        ("none", None, 101),
    ],
)
def test_sec_fetch_site(server: ServerProcess, site: str, origin: str | None, status: int) -> None:
    """A browser's Sec-Fetch-Site is honoured: cross-site needs a listed Origin, same-origin passes."""
    headers = {"Sec-Fetch-Site": site}
    if origin is not None:
        headers["Origin"] = origin
    assert handshake_status(server, headers, room=unique("o")) == status


# --- 2. tokens --------------------------------------------------------------


def token(sub: object = "alice", secret: str = JWT_SECRET, algorithm: str = "HS256", **claims: Any) -> str:
    payload: dict[str, Any] = {"sub": sub, "exp": int(time.time()) + 600, **claims}
    return jwt.encode(payload, secret, algorithm=algorithm)


def test_valid_token_names_the_member(jwt_server: ServerProcess) -> None:
    """With --jwt-secret the nick is the token's sub, and a nick parameter is ignored."""
    with open_ws(jwt_server, room="lobby", nick="mallory", token=token("alice")) as ws:
        welcome = receive(ws)
        assert (welcome["type"], welcome["nick"]) == ("welcome", "alice")


BAD_TOKENS: dict[str, Callable[[], str | None]] = {
    "missing": lambda: None,
    "empty": lambda: "",
    "garbage": lambda: "not.a.token",
    "bad-signature": lambda: token(secret="another-secret-" + "0123456789abcdef" * 3),
    "expired": lambda: token(exp=int(time.time()) - 60),
    "alg-none": lambda: unsigned_token({"sub": "alice", "exp": int(time.time()) + 600}),
    "wrong-alg": lambda: token(algorithm="HS512"),
    "no-sub": lambda: jwt.encode({"exp": int(time.time()) + 600}, JWT_SECRET, algorithm="HS256"),
    "sub-not-string": lambda: token(sub=42),
    "no-exp": lambda: jwt.encode({"sub": "alice"}, JWT_SECRET, algorithm="HS256"),
    "not-yet-valid": lambda: token(nbf=int(time.time()) + 600),
}


@pytest.mark.parametrize("kind", BAD_TOKENS)
def test_bad_token_is_unauthorized_4401(jwt_server: ServerProcess, kind: str) -> None:
    """Any token failure gets an unauthorized error frame and close 4401, and nobody joins."""
    room = "lobby"
    params = {"room": room, "nick": "mallory"}
    bad = BAD_TOKENS[kind]()
    if bad is not None:
        params["token"] = bad
    error, code = refused_on_open(jwt_server, **params)
    assert (error["type"], error["code"], code) == ("error", "unauthorized", 4401)
    with open_ws(jwt_server, room=room, token=token("bob")) as ws:
        users = receive(ws)["users"]
        assert "bob" in users and "mallory" not in users


# --- 3. the publish API -----------------------------------------------------


GOOD_BODY = json.dumps({"nick": "bot", "message": "deploy finished"}).encode()


def test_publish_reaches_connected_members(server: ServerProcess, bot: Bot) -> None:
    """A POST with a bot's key is stored and broadcast: a member in the room receives it."""
    room = unique("api")
    bot.join(room)
    with join(server, room, "watcher") as watcher:
        status, stored = post_message(server, room, GOOD_BODY, bot.authorization)
        assert status == 201
        assert (stored["type"], stored["nick"], stored["room"]) == ("user", "deploybot", room)
        assert next_of(watcher, "user") == stored


def test_publish_by_a_person_is_403(jwt_server: ServerProcess) -> None:
    """A person's token proves who they are, but people post on the socket: 403, nothing stored."""
    status, body = post_message(jwt_server, "lobby", GOOD_BODY, f"Bearer {token('alice')}")
    assert (status, body["error"]) == (403, "forbidden")
    history = NO_PROXY.open(f"{jwt_server.url}/api/rooms/lobby/messages?token={token('alice')}").read()
    assert json.loads(history)["messages"] == []


WRONG_AUTHORIZATIONS: dict[str, Callable[[str], str | None]] = {
    "none": lambda key: None,
    "empty": lambda key: "",
    "bearer-alone": lambda key: "Bearer",
    "wrong": lambda key: "Bearer wrong",
    "basic": lambda key: f"Basic {key}",
    "longer": lambda key: f"Bearer {key}x",
    "shorter": lambda key: f"Bearer {key[:-1]}",
}


@pytest.mark.parametrize("kind", WRONG_AUTHORIZATIONS)
def test_publish_with_wrong_key_is_401(server: ServerProcess, bot: Bot, kind: str) -> None:
    """A missing or wrong key gets 401 and stores nothing."""
    room = unique("api")
    bot.join(room)
    status, body = post_message(server, room, GOOD_BODY, WRONG_AUTHORIZATIONS[kind](bot.key))
    assert (status, body["error"]) == (401, "unauthorized")
    history = json.loads(NO_PROXY.open(f"{server.url}/api/rooms/{room}/messages").read())
    assert history["messages"] == []


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (b"not json", "bad_json"),
        (b"[1, 2]", "bad_request"),
        (b'{"nick": "bot"}', "bad_request"),
        (b'{"message": 7}', "bad_request"),
        (b'{"message": "hi", "ref": 7}', "bad_request"),
        (b'{"nick": "bot", "message": "   "}', "empty"),
        (json.dumps({"nick": "bot", "message": "x" * 4001}).encode(), "too_long"),
    ],
)
def test_publish_bad_body_is_400(server: ServerProcess, bot: Bot, body: bytes, code: str) -> None:
    """A body that is not {"message": text} gets 400 with its error code."""
    room = unique("api")
    bot.join(room)
    status, answer = post_message(server, room, body, bot.authorization)
    assert (status, answer["error"]) == (400, code)


def test_publish_to_bad_room_is_400(server: ServerProcess, bot: Bot) -> None:
    """A room name with a slash or dots is refused with bad_name."""
    for room in ("a/b", "..", "../etc"):
        status, answer = post_message(server, room, GOOD_BODY, bot.authorization)
        assert (status, answer["error"]) == (400, "bad_name")


# --- 4. abuse ---------------------------------------------------------------


def test_rate_limited_refusal_carries_ref(strict_server: ServerProcess) -> None:
    """Past the burst, a message is refused rate_limited with its ref, and is not broadcast."""
    room = unique("rate")
    with join(strict_server, room, "watcher") as watcher, join(strict_server, room, "chatty") as chatty:
        for n in range(3):
            assert send_message(chatty, f"m{n}", f"r{n}")["type"] == "ack"
        error = send_message(chatty, "one too many", "r3")
        assert (error["type"], error["code"], error["ref"]) == ("error", "rate_limited", "r3")
        seen = [frame["message"] for frame in user_frames(watcher, 3)]
        assert seen == ["m0", "m1", "m2"]
        with join(strict_server, room, "other") as other:
            assert_room_carries_on(watcher, other)


def test_history_requests_are_rate_limited(strict_server: ServerProcess) -> None:
    """History requests (up to 200 messages each) spend the same tokens as messages."""
    with join(strict_server, unique("rate"), "pager") as pager:
        for _ in range(5):
            pager.send(json.dumps({"type": "history", "limit": 200}))
        answers = []
        while len(answers) < 5:
            frame = receive(pager)
            if frame["type"] in ("history", "error"):
                answers.append(frame.get("code", "history"))
        assert sorted(answers) == ["history"] * 3 + ["rate_limited"] * 2


def test_flooding_after_refusals_closes_1008(strict_server: ServerProcess) -> None:
    """A connection that keeps sending after 20 refusals within 10 s is closed 1008; others stay."""
    room = unique("rate")
    with join(strict_server, room, "watcher") as watcher, join(strict_server, room, "flood") as flood:
        for n in range(3 + 20):
            say(flood, f"flood {n}")
        errors = [own_next(flood, "error")["code"] for _ in range(20)]
        assert errors == ["rate_limited"] * 20
        say(flood, "the 21st refusal")
        assert own_next(flood, "error")["code"] == "rate_limited"
        assert close_code(flood) == 1008
        assert next_leave(watcher, skip=("typing", "user")) == "flood"
        with join(strict_server, room, "other") as other:
            assert_room_carries_on(watcher, other)


def test_bad_frames_close_1008_on_the_21st(server: ServerProcess) -> None:
    """Twenty bad frames are answered and tolerated; the 21st within 10 s closes 1008."""
    room = unique("bad")
    with join(server, room, "watcher") as watcher, join(server, room, "noisy") as noisy:
        for _ in range(20):
            noisy.send("{not json")
        assert [own_next(noisy, "error")["code"] for _ in range(20)] == ["bad_json"] * 20
        assert_room_carries_on(watcher, noisy)
        noisy.send("{not json")
        assert own_next(noisy, "error")["code"] == "bad_json"
        assert close_code(noisy) == 1008
        with join(server, room, "other") as other:
            assert_room_carries_on(watcher, other)


@pytest.fixture(scope="module")
def per_ip_server() -> Iterator[ServerProcess]:
    """Two WebSockets per address, addresses taken from X-Forwarded-For."""
    with ServerProcess(":memory:", "--max-connections-per-ip", "2", "--xheaders") as running:
        yield running


def upgrade_from(server: ServerProcess, forwarded_for: str | None) -> ClientConnection:
    headers = {"X-Forwarded-For": forwarded_for} if forwarded_for else {}
    return open_ws(server, headers=headers, room="ip")


def test_max_connections_per_forwarded_ip(per_ip_server: ServerProcess) -> None:
    """With --xheaders the forwarded address counts: its third socket gets 429, others are unaffected."""
    first, second = upgrade_from(per_ip_server, "203.0.113.7"), upgrade_from(per_ip_server, "203.0.113.7")
    with pytest.raises(InvalidStatus) as refused:
        upgrade_from(per_ip_server, "203.0.113.7")
    assert refused.value.response.status_code == 429
    assert json.loads(refused.value.response.body or b"{}")["error"] == "too_many_connections"
    # The proxy appends the address it saw; what the client wrote before it does not count.
    with pytest.raises(InvalidStatus) as spoofed:
        upgrade_from(per_ip_server, "198.51.100.9, 203.0.113.7")
    assert spoofed.value.response.status_code == 429
    upgrade_from(per_ip_server, "198.51.100.1").close()
    first.close()
    # The slot frees when the session ends on the server, a moment after the client's close.
    for _ in range(100):
        try:
            upgrade_from(per_ip_server, "203.0.113.7").close()
            break
        except InvalidStatus:
            time.sleep(0.05)
    else:
        pytest.fail("a closed connection's slot was never freed")
    second.close()


@pytest.fixture
def new_rooms_server() -> Iterator[ServerProcess]:
    """A server that lets one address create five rooms a minute."""
    with ServerProcess(":memory:", "--new-rooms-per-minute", "5") as running:
        yield running


def test_a_flood_of_new_rooms_from_one_address_is_refused_429(new_rooms_server: ServerProcess) -> None:
    """Creating rooms flat out: five a minute get in, the rest 429 too_many_rooms; the room chats on."""
    server = new_rooms_server
    with join(server, "lobby", "watcher") as watcher, join(server, "lobby", "speaker") as speaker:
        created, refused = [], []
        for number in range(100):
            try:
                with open_ws(server, room=f"flood{number}", nick="bot") as ws:
                    assert receive(ws)["type"] == "welcome"
                created.append(number)
            except InvalidStatus as error:
                refused.append(error.response)
        assert created == [0, 1, 2, 3, 4]  # the lobby is made at start, not by joining
        assert {response.status_code for response in refused} == {429} and len(refused) == 95
        assert json.loads(refused[0].body or b"{}") == {
            "error": "too_many_rooms",
            "message": "too many new rooms from this address (at most 5 a minute):"
            " join an existing room, or try again later",
        }
        assert refused[0].headers["Retry-After"] == "12"
        assert_room_carries_on(watcher, speaker)
        join(server, "lobby", "third").close()  # joining a room that exists is no creation
        metrics = NO_PROXY.open(f"{server.url}/metrics", timeout=5).read().decode()
        assert 'chatroom_upgrades_refused_total{reason="too_many_rooms"} 95.0' in metrics

        def listed() -> Any:
            return json.loads(NO_PROXY.open(f"{server.url}/api/rooms", timeout=5).read())

        # The flood's rooms had no history: they left the list with their last member.
        wait_until(
            lambda: [(r["room"], r["online"], r["last_id"]) for r in listed()["rooms"]] == [("lobby", 2, 1)]
        )


def test_forwarded_for_is_ignored_without_xheaders() -> None:
    """Without --xheaders a client cannot dodge the limit by forging X-Forwarded-For."""
    with ServerProcess(":memory:", "--max-connections-per-ip", "1") as server:
        with upgrade_from(server, "203.0.113.1"), pytest.raises(InvalidStatus) as refused:
            upgrade_from(server, "203.0.113.2")
        assert refused.value.response.status_code == 429


# --- joins per address and per room ------------------------------------------


def join_and_leave(server: ServerProcess, source: str, room: str, nick: str) -> Any:
    """Connect from ``source``, read the welcome, close: None when let in, else the refusal."""
    try:
        with open_ws(server, source=source, room=room, nick=nick) as ws:
            assert receive(ws)["type"] == "welcome"
    except InvalidStatus as refused:
        return refused.response
    return None


def join_refusals(server: ServerProcess) -> str:
    metrics = NO_PROXY.open(f"{server.url}/metrics", timeout=5).read().decode()
    return next(
        line.rsplit(" ", 1)[1]
        for line in metrics.splitlines()
        if line.startswith('chatroom_upgrades_refused_total{reason="too_many_joins"}')
    )


def test_a_connect_close_loop_from_one_address_is_refused_429_after_the_burst() -> None:
    """The default limit (5 a second, bursts of 30): then 429 too_many_joins; others join and chat."""
    with ServerProcess(":memory:", "--join-rate", "5", "--join-burst", "30") as server:
        watcher = join(server, "lobby", "watcher", source="127.0.0.3")
        speaker = join(server, "lobby", "speaker", source="127.0.0.4")
        # Upgrades a browser would refuse (another site's page) spend nothing.
        for _ in range(40):
            assert handshake_status(server, {"Origin": "https://evil.example"}, room="lobby") == 403
        started = time.monotonic()
        outcomes = [join_and_leave(server, "127.0.0.1", "lobby", f"loop{n}") for n in range(150)]
        elapsed = time.monotonic() - started
        admitted = outcomes.count(None)
        refused = [response for response in outcomes if response is not None]
        assert 30 <= admitted <= 30 + 5 * elapsed + 1, (admitted, elapsed)
        assert {response.status_code for response in refused} == {429}
        assert json.loads(refused[0].body or b"{}") == {
            "error": "too_many_joins",
            "message": "too many joins from this address (at most 5 a second):"
            " wait a moment, then connect again",
        }
        assert refused[0].headers["Retry-After"] == "1"
        assert join_refusals(server) == f"{len(refused)}.0"
        # Another address joins the same room at once, and the room chats on.
        join(server, "lobby", "neighbour", source="127.0.0.2").close()
        assert_room_carries_on(watcher, speaker)
        # A second later the address may join again.
        time.sleep(1.0)
        assert join_and_leave(server, "127.0.0.1", "lobby", "back") is None
        watcher.close()
        speaker.close()


def test_many_addresses_churning_one_room_meet_the_rooms_limit() -> None:
    """A room takes 10 times an address's joins from all addresses: past that 429; other rooms are open."""
    with ServerProcess(":memory:", "--join-rate", "1", "--join-burst", "2") as server:
        started = time.monotonic()
        outcomes = [
            join_and_leave(server, f"127.0.1.{address}", "hot", f"n{address}-{n}")
            for address in range(1, 41)
            for n in range(2)  # within each address's own burst
        ]
        elapsed = time.monotonic() - started
        admitted = outcomes.count(None)
        refused = [response for response in outcomes if response is not None]
        assert 20 <= admitted <= 20 + 10 * elapsed + 1, (admitted, elapsed)
        assert json.loads(refused[0].body or b"{}") == {
            "error": "too_many_joins",
            "message": "too many joins into this room (at most 10 a second):"
            " wait a moment, then connect again",
        }
        assert refused[0].status_code == 429 and refused[0].headers["Retry-After"] == "1"
        join(server, "calm", "ann", source="127.0.2.1").close()


# --- 9. every refusal in PROTOCOL.md, through a real socket -------------------

STAYS_OPEN = {
    "bad_json-syntax": ('{"type": "message", "message": ', "bad_json"),
    "bad_json-array-brace": ("{[1, 2]}", "bad_json"),
    "bad_json-5000-digit-number": (
        '{"type": "message", "message": "hi", "n": ' + "9" * 5000 + "}",
        "bad_json",
    ),
    "bad_request-unknown-type": ('{"type": "shout", "message": "hi"}', "bad_request"),
    "bad_request-no-type": ('{"message": "hi"}', "bad_request"),
    "bad_request-sys": (
        '{"type": "sys", "event": "join", "nick": "admin", "message": "admin has joined"}',
        "bad_request",
    ),
    "bad_request-user": ('{"type": "user", "id": 1, "nick": "admin", "message": "hi"}', "bad_request"),
    "bad_request-message-not-string": ('{"type": "message", "message": 42}', "bad_request"),
    "bad_request-ref-too-long": (
        json.dumps({"type": "message", "message": "hi", "ref": "r" * 65}),
        "bad_request",
    ),
    "bad_request-ref-not-string": ('{"type": "message", "message": "hi", "ref": 5}', "bad_request"),
    "bad_request-history-before": ('{"type": "history", "before": "10"}', "bad_request"),
    "bad_request-history-limit": ('{"type": "history", "limit": 0}', "bad_request"),
    "bad_request-control-character": ('{"type": "message", "message": "ring \\u0007 bell"}', "bad_request"),
    "empty-plain": ("   \n\t ", "empty"),
    "empty-json": ('{"type": "message", "message": "  "}', "empty"),
    "too_long-plain": ("x" * 4001, "too_long"),
    "too_long-json": (json.dumps({"type": "message", "message": "x" * 4001}), "too_long"),
}


@pytest.mark.parametrize("case", STAYS_OPEN)
def test_refused_frame_keeps_connection_open(server: ServerProcess, case: str) -> None:
    """A refused frame gets its exact error code; nothing is broadcast; both members carry on."""
    frame, code = STAYS_OPEN[case]
    room = unique("refuse")
    with join(server, room, "watcher") as watcher, join(server, room, "offender") as offender:
        offender.send(frame)
        error = next_of(offender, "error")
        assert (error["code"], isinstance(error["message"], str)) == (code, True)
        assert_room_carries_on(watcher, offender)


def test_error_frame_carries_the_offending_ref(server: ServerProcess) -> None:
    """A refused JSON frame with a valid ref gets that ref back in its error frame."""
    with join(server, unique("refuse"), "sender") as ws:
        ws.send(json.dumps({"type": "message", "message": " ", "ref": "abc-1"}))
        error = next_of(ws, "error")
        assert (error["code"], error["ref"]) == ("empty", "abc-1")


def test_binary_frame_is_refused(server: ServerProcess) -> None:
    """A binary frame gets error binary; the connection stays open."""
    room = unique("refuse")
    with join(server, room, "watcher") as watcher, join(server, room, "offender") as offender:
        offender.send(b'{"type": "message", "message": "hi"}')
        assert next_of(offender, "error")["code"] == "binary"
        assert_room_carries_on(watcher, offender)


def test_json_array_is_plain_text(server: ServerProcess) -> None:
    """Only a leading '{' makes a frame JSON: '[1,2]' is chat text."""
    with join(server, unique("refuse"), "sender") as ws:
        ws.send("[1,2]")
        assert next_of(ws, "user")["message"] == "[1,2]"


def test_deeply_nested_arrays_are_bad_json(server: ServerProcess) -> None:
    """A JSON frame nested 100,000 deep is refused bad_json, and the connection stays open."""
    frame = '{"type": "message", "message": "hi", "x": ' + "[" * 100_000 + "]" * 100_000 + "}"
    room = unique("deep")
    with join(server, room, "watcher") as watcher, join(server, room, "offender") as offender:
        offender.send(frame)
        assert next_of(offender, "error")["code"] == "bad_json"
        assert_room_carries_on(watcher, offender)


def test_deeply_nested_objects_do_not_crash_the_server() -> None:
    """100,000 nested objects in one frame are refused bad_json; the server keeps serving."""
    nested = '{"type": "message", "message": "hi", "x": ' + '{"a": ' * 100_000 + "1" + "}" * 100_001
    with ServerProcess(":memory:", "--max-frame-bytes", str(1 << 20)) as server:
        room = unique("deep")
        with join(server, room, "watcher") as watcher, join(server, room, "offender") as offender:
            offender.send(nested)
            assert next_of(offender, "error")["code"] == "bad_json"
            assert_room_carries_on(watcher, offender)


def test_frame_over_max_frame_bytes_closes_1009(server: ServerProcess) -> None:
    """A frame larger than --max-frame-bytes closes its connection 1009; the room carries on."""
    room = unique("big")
    with join(server, room, "watcher") as watcher, join(server, room, "offender") as offender:
        offender.send("x" * (MAX_FRAME + 1))
        assert close_code(offender) == 1009
        with join(server, room, "other") as other:
            assert_room_carries_on(watcher, other)


def test_invalid_utf8_fails_the_connection(server: ServerProcess) -> None:
    """A text frame that is not UTF-8 ends its connection (1007 or dropped); the room carries on."""
    room = unique("utf8")
    with join(server, room, "watcher") as watcher, join(server, room, "offender") as offender:
        offender.send(b"caf\xe9 \xff\xfe", text=True)
        assert close_code(offender) in (1007, None)
        with join(server, room, "other") as other:
            assert_room_carries_on(watcher, other)


@pytest.mark.parametrize("room", ["a/b", "..", "../etc", ".hidden", "", "x" * 65, "a b", "a\u202eb"])
def test_bad_room_is_bad_name_4400(server: ServerProcess, room: str) -> None:
    """A room with a slash, dots first, spaces or a bidi override gets bad_name and close 4400."""
    error, code = refused_on_open(server, room=room, nick=unique("n"))
    assert (error["code"], code) == ("bad_name", 4400)


@pytest.mark.parametrize(
    "nick",
    [
        "evil\u202etxt.exe",
        "\u2067alice",
        "zero\u200bwidth",
        "bell\u0007",
        "tab\there",
        "-dash",
        "x" * 33,
    ],
)
def test_bad_nick_is_bad_name_4400(server: ServerProcess, nick: str) -> None:
    """A nick with a bidi override, an invisible or control character, or a bad shape gets 4400."""
    room = unique("nick")
    with join(server, room, "watcher") as watcher:
        error, code = refused_on_open(server, room=room, nick=nick)
        assert (error["code"], code) == ("bad_name", 4400)
        with join(server, room, "other") as other:
            assert_room_carries_on(watcher, other)


def test_taken_nick_is_4409(server: ServerProcess) -> None:
    """A nick in use in the room, in any case, gets nick_taken and close 4409; its owner stays."""
    room = unique("nick")
    with join(server, room, "Alice") as alice, join(server, room, "bob") as bob:
        error, code = refused_on_open(server, room=room, nick="aLICE")
        assert (error["code"], code) == ("nick_taken", 4409)
        assert_room_carries_on(alice, bob)


def test_forged_fields_are_ignored(server: ServerProcess) -> None:
    """Identity, room, id and time come from the server, whatever the client puts in its frame."""
    room = unique("forge")
    with join(server, room, "watcher") as watcher, join(server, room, "mallory") as mallory:
        say(mallory, "before")
        before = next_of(watcher, "user")
        forged = {
            "type": "message",
            "message": "forged",
            "nick": "admin",
            "id": 10**9,
            "ts": 1,
            "room": "other",
        }
        mallory.send(json.dumps(forged))
        got = next_of(watcher, "user")
        assert (got["nick"], got["room"], got["id"]) == ("mallory", room, before["id"] + 1)
        assert got["ts"] >= before["ts"]


# --- 5. slow consumers --------------------------------------------------------


def test_slow_consumer_is_cut_1013_and_others_get_everything() -> None:
    """A member that never reads is cut off (1013) while a fast reader receives every message in order."""
    backlog, batch, text = 131072, 20, "x" * 4000
    # Enough to overflow the backlog bound plus everything the kernel may buffer on top.
    count = max(1500, 3 * (kernel_send_buffer_max() + backlog) // (2 * len(text)) // batch * batch)
    flags = ("--max-backlog-bytes", str(backlog), "--rate", "100000", "--burst", "100000")
    with ServerProcess(":memory:", *flags) as server:
        with (
            join(server, "flood", "fast") as fast,
            join(server, "flood", "flooder", max_queue=None) as flooder,
        ):
            assert next_of(fast, "sys")["nick"] == "flooder"
            slow = RawMember(server.port, "flood", "slow", timeout=30, receive_buffer=4096)
            assert next_of(fast, "sys")["nick"] == "slow"
            reader = FastReader(fast)
            reader.start()
            for sent in range(batch, count + 1, batch):
                for _ in range(batch):
                    flooder.send(text)
                # The fast reader keeps up by construction: one batch behind at most.
                assert reader.wait_for(sent), f"the fast reader stopped at {len(reader.ids)}"
            assert reader.ids == list(range(reader.ids[0], reader.ids[0] + count))
            assert reader.wait_for_leave("slow")
            frames, code = slow.until_close()
            slow.close()
            assert len(frames) < count
            assert code in (1013, None)
            reader.stop()
        metrics = NO_PROXY.open(f"{server.url}/metrics").read().decode()
        assert "chatroom_slow_clients_disconnected_total 1.0" in metrics


def test_big_replay_is_truncated_not_cut_off(server: ServerProcess, bot: Bot) -> None:
    """A member back after missing over 1 MiB of messages gets the newest of them, truncated, not 1013."""
    room = unique("replay")
    bot.join(room)
    for n in range(300):
        assert bot.post(server, room, f"{n} " + "x" * 3990)[0] == 201
    ws, _, history = welcomed(server, room=room, nick="back", since="1")
    with ws:
        assert history["truncated"] is True
        ids = [message["id"] for message in history["messages"]]
        assert ids == list(range(ids[0], 301))
        say(ws, "I am back")
        assert next_of(ws, "user")["message"] == "I am back"


def kernel_send_buffer_max() -> int:
    """The most Linux lets a TCP socket buffer for sending (4 MiB when unknown)."""
    try:
        return int(Path("/proc/sys/net/ipv4/tcp_wmem").read_text().split()[2])
    except (OSError, ValueError, IndexError):
        return 4 << 20


class FastReader(threading.Thread):
    """Reads a member's frames as they come, noting user frame ids and leaves."""

    def __init__(self, ws: ClientConnection) -> None:
        super().__init__(daemon=True)
        self.ws = ws
        self.ids: list[int] = []
        self.left: list[str] = []
        self.changed = threading.Condition()
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            for raw in self.ws:
                frame = json.loads(raw)
                with self.changed:
                    if frame["type"] == "user":
                        self.ids.append(frame["id"])
                    elif frame["type"] == "sys" and frame["event"] == "leave":
                        self.left.append(frame["nick"])
                    self.changed.notify_all()
        except ConnectionClosed as closed:
            self.error = closed
        with self.changed:
            self.changed.notify_all()

    def wait_for(self, count: int) -> bool:
        with self.changed:
            return self.changed.wait_for(lambda: len(self.ids) >= count or self.error is not None, 30) and (
                self.error is None
            )

    def wait_for_leave(self, nick: str) -> bool:
        with self.changed:
            return self.changed.wait_for(lambda: nick in self.left or self.error is not None, 30)

    def stop(self) -> None:
        self.ws.close()
        self.join(10)


# --- 6. secrets never logged --------------------------------------------------


def test_secrets_never_reach_the_log(tmp_path: Path) -> None:
    """At --log-level debug, tokens, bots' keys and the JWT secret appear in no log line."""
    good, expired = token("alice"), token("carol", exp=int(time.time()) - 60)
    wrong_key = "wrong-key-that-must-not-be-logged-42"
    bot = make_bot(tmp_path / "chat.db", "bot", rooms=["lobby"])
    flags = ("--log-level", "debug", "--jwt-secret", JWT_SECRET)
    server = ServerProcess(bot.database, *flags).start()
    try:
        ws, _, _ = welcomed(server, room="lobby", token=good)
        with ws:
            ws.send("hello")
            post_message(server, "lobby", GOOD_BODY, f"Bearer {bot.key}")
            post_message(server, "lobby", GOOD_BODY, f"Bearer {wrong_key}")
            next_of(ws, "user")
        refused_on_open(server, room="lobby", token=expired)
        assert handshake_status(server, {"Origin": "https://evil.example"}, room="lobby", token=good) == 403
        NO_PROXY.open(f"{server.url}/api/rooms/lobby/messages?token={good}&key={bot.key}").read()
    finally:
        assert server.stop() == 0
    log = server.log()
    assert "ws 127.0.0.1 room=lobby nick=alice close=" in log
    assert "/api/rooms/lobby/messages" in log
    assert "403 GET /ws" in log
    for secret in (good, expired, bot.key, wrong_key, JWT_SECRET, good.split(".")[2]):
        assert secret not in log
    assert "Traceback" not in log


# --- request bodies ---------------------------------------------------------


def test_oversized_body_is_refused_before_it_is_read(server: ServerProcess) -> None:
    """A POST announcing a 50 MB body is answered at once, not buffered: no key needed to try it."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
        sock.sendall(
            b"POST /api/rooms/lobby/messages HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b'Content-Length: 50000000\r\n\r\n{"nick": '
        )
        try:
            answer = sock.recv(200)
        except TimeoutError:
            answer = b""
    assert answer.split(b" ")[1:2] in ([b"400"], [b"413"])


# --- the page ---------------------------------------------------------------


def test_page_escapes_the_room_and_forbids_framing(server: ServerProcess) -> None:
    """A room name in the page URL is shown as text, and the page sets CSP and nosniff."""
    attack = '"><script>alert(1)</script>'
    with NO_PROXY.open(f"{server.url}/?room={urllib.parse.quote(attack)}", timeout=5) as response:
        page = response.read().decode()
        headers = response.headers
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    assert "script-src 'self'" in headers["Content-Security-Policy"]
    assert headers["X-Content-Type-Options"] == "nosniff"


def test_short_jwt_secret_is_refused_at_start(capsys: pytest.CaptureFixture[str]) -> None:
    """A --jwt-secret under 32 bytes stops the command line with exit 2, naming the flag, not the secret."""
    with pytest.raises(SystemExit) as stopped:
        parse_settings(["--jwt-secret", "hunter2"], environ={})
    assert stopped.value.code == 2
    error = capsys.readouterr().err
    assert "--jwt-secret" in error
    assert "hunter2" not in error
