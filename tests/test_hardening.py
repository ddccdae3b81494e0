"""The outside attack, replayed through real sockets: client input cannot stall,
fool or crash the server (linear parsing, names, integer ranges).

Each test sends the hostile input to a real ``python -m chatroom`` and checks
the exact refusal, the offending connection's fate, and that another member
carries on.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import pytest

from tests.clients import (
    assert_room_carries_on,
    join,
    next_of,
    open_ws,
    own_next,
    receive,
    refused_on_open,
)
from tests.support import NO_PROXY, ServerProcess, unique

FRAME_LIMIT = 65536
# Work that takes milliseconds; far below the 15 s the attack once cost.
STALL_BOUND = 2.0


@pytest.fixture(scope="module")
def server() -> Iterator[ServerProcess]:
    """A server with the default frame limit and a generous rate."""
    with ServerProcess(":memory:", "--rate", "1000", "--burst", "1000") as running:
        yield running


def stall_frames() -> list[str]:
    """Frames just under the limit built to make a backtracking scan explode."""
    body = FRAME_LIMIT - 200
    return [
        "{" + "[" * 40 + '"\\' * (body // 2),
        "{" + "[" * 40 + '"' + '\\"' * (body // 2),
        "{" + "[" * 40 + '"' * body,
        "{" + '"a":' * (body // 4),
        "{" + "[" * 40 + "\\" * body,
        '{"type":"message","message":"' + "\\u00e9" * (body // 6) + '"',
    ]


@pytest.mark.parametrize("index", range(len(stall_frames())))
def test_one_hostile_frame_does_not_stall_the_others(server: ServerProcess, index: int) -> None:
    """While a hostile frame is parsed, another member's message is acked at once."""
    room = unique("stall")
    with join(server, room, "attacker") as attacker, join(server, room, "ann") as ann:
        attacker.send(stall_frames()[index])
        started = time.monotonic()
        ann.send(json.dumps({"type": "message", "message": "still fast", "ref": "r1"}))
        assert own_next(ann, "ack")["ref"] == "r1"
        assert time.monotonic() - started < STALL_BOUND
        assert next_of(attacker, "error", skip=("sys", "user"))["code"] in ("bad_json", "too_long")
        with NO_PROXY.open(f"{server.url.rstrip('/')}/healthz", timeout=STALL_BOUND) as health:
            assert health.status == 200
        assert_room_carries_on(ann, attacker)


INVISIBLE_SUFFIXES = ["\U000e0100", "\u034f", "\ufe0f", "\u180b", "\u17b4"]


@pytest.mark.parametrize("suffix", INVISIBLE_SUFFIXES)
def test_invisible_twin_of_an_online_member_is_refused(server: ServerProcess, suffix: str) -> None:
    """``alice`` plus an invisible code point is a bad name, not a second alice."""
    room = unique("twin")
    with join(server, room, "alice") as alice:
        error, code = refused_on_open(server, room=room, nick="alice" + suffix)
        assert (error["code"], code) == ("bad_name", 4400)
        with join(server, room, "bob") as bob:
            assert_room_carries_on(alice, bob)


def test_hangul_filler_is_not_a_blank_author(server: ServerProcess) -> None:
    """U+3164 alone would render as a blank nick: refused."""
    error, code = refused_on_open(server, room=unique("blank"), nick="\u3164")
    assert (error["code"], code) == ("bad_name", 4400)


@pytest.mark.parametrize("look_alike", ["аlice", "ALICE", "a1ice", "ａｌｉｃｅ"])
def test_look_alike_of_an_online_member_is_nick_taken(server: ServerProcess, look_alike: str) -> None:
    """A Cyrillic а, another case, a digit one or fullwidth letters collide with alice."""
    room = unique("alike")
    with join(server, room, "alice") as alice:
        error, code = refused_on_open(server, room=room, nick=look_alike)
        assert (error["code"], code) == ("nick_taken", 4409)
        with join(server, room, "bob") as bob:
            assert_room_carries_on(alice, bob)


def test_welcome_names_the_member_as_normalised(server: ServerProcess) -> None:
    """Fullwidth ｆｏｏ is welcomed as foo, and the room sees foo join."""
    room = unique("wide")
    with join(server, room, "watcher") as watcher, open_ws(server, room=room, nick="ｆｏｏ") as ws:
        welcome = receive(ws)
        assert welcome["nick"] == "foo"
        assert "foo" in welcome["users"]
        assert next_of(watcher, "sys")["nick"] == "foo"


@pytest.mark.parametrize("look_alike", ["Iobby", "lоbby", "1obby"])
def test_room_that_looks_like_an_existing_room_is_refused(server: ServerProcess, look_alike: str) -> None:
    """With ``lobby`` in use, its look-alikes are bad names; other rooms are not affected."""
    with join(server, "lobby", f"keeper{look_alike}") as keeper:
        error, code = refused_on_open(server, room=look_alike, nick="visitor")
        assert (error["code"], code) == ("bad_name", 4400)
        assert (
            error["message"]
            == f"the room name {look_alike!r} looks like an existing room's name: pick another name"
        )
        with join(server, "Lobby", f"capital{look_alike}"):
            pass  # joined: a room differing only in case is another room, as in version 1
        with join(server, "lobby", f"other{look_alike}") as other:
            assert_room_carries_on(keeper, other)


def test_empty_look_alike_room_lets_go_of_its_name(server: ServerProcess) -> None:
    """Once a room without history is empty, its look-alike may be used; while busy, not."""
    original = unique("room")
    look_alike = original.replace("o", "\u043e")  # Cyrillic о
    with join(server, original, "first"):
        error, code = refused_on_open(server, room=look_alike, nick="second")
        assert (error["code"], code) == ("bad_name", 4400)
    deadline = time.monotonic() + 5
    while True:
        with open_ws(server, room=look_alike, nick="second") as ws:
            if receive(ws)["type"] == "welcome":
                return
        assert time.monotonic() < deadline, "the empty room kept holding its name"
        time.sleep(0.1)


@pytest.mark.parametrize(
    "history",
    [
        {"before": 2**63},
        {"before": 2**64 - 1},
        {"before": -1},
        {"before": 1.5},
        {"before": True},
        {"before": 10, "limit": 2**63},
        {"before": 10, "limit": -5},
        {"before": 10, "limit": 0},
    ],
)
def test_integers_the_store_cannot_hold_are_bad_request(
    server: ServerProcess, history: dict[str, object]
) -> None:
    """Out-of-range numbers are refused as bad_request; the connection and the room go on."""
    room = unique("ints")
    with join(server, room, "asker") as asker, join(server, room, "other") as other:
        asker.send(json.dumps({"type": "history", "ref": "h", **history}))
        error = next_of(asker, "error")
        assert (error["code"], error.get("ref")) == ("bad_request", "h")
        assert_room_carries_on(other, asker)
    log = server.log()
    assert "Traceback" not in log and "OverflowError" not in log


def test_big_limit_is_still_a_clamp(server: ServerProcess) -> None:
    """A representable limit beyond 200 is clamped, as documented, not refused."""
    room = unique("clamp")
    with join(server, room, "asker") as asker:
        asker.send(json.dumps({"type": "history", "before": 2**62, "limit": 10**12}))
        assert next_of(asker, "history")["messages"] == []
