"""WebSocket framing at the edge: close codes, masking and malformed frames, through raw sockets.

A rogue member on a hand-built socket sends one kind of bad framing to a real
``python -m chatroom``; a watcher in the same room must be unaffected and see
the rogue leave. docs/security.md ("WebSocket framing") lists the answers.
"""

from __future__ import annotations

import itertools
import json
import struct
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from tests.clients import Frame, frames_until, join, send_message
from tests.raw_ws import (
    OP_CONTINUATION,
    OP_PING,
    OP_PONG,
    OP_TEXT,
    Ending,
    RawMember,
    client_frame,
    close_frame,
)
from tests.support import ServerProcess

RSV1, RSV2, RSV3 = 4, 2, 1
PROTOCOL_ERROR, INVALID_DATA = 1002, 1007
VALID_CLOSE_CODES = (1000, 1001, 3000, 4000)
INVALID_CLOSE_CODES = (0, 999, 1004, 1005, 1006, 1016, 1100, 2000, 2999)
SMUGGLED = json.dumps({"type": "message", "message": "smuggled"}).encode()
ROOMS = itertools.count()


@pytest.fixture(scope="module")
def server() -> Iterator[ServerProcess]:
    """One real server for the module; every test uses rooms of its own."""
    with ServerProcess(":memory:") as running:
        yield running


def is_presence(frame: Frame, event: str, nick: str) -> bool:
    return (frame.get("type"), frame.get("event"), frame.get("nick")) == ("sys", event, nick)


@dataclass
class Outcome:
    """What a misbehaving member got, and what its room saw meanwhile."""

    ending: Ending
    seen_by_watcher: list[Frame]  # from the rogue's join to its leave


def misbehave(server: ServerProcess, data: bytes) -> Outcome:
    """A rogue sends ``data`` after joining; a watcher in the room must still chat afterwards."""
    room = f"framing{next(ROOMS)}"
    with join(server, room, "watcher") as watcher:
        with RawMember(server.port, room, "rogue") as rogue:
            rogue.join()
            frames_until(watcher, lambda f: is_presence(f, "join", "rogue"))
            rogue.send(data)
            ending = rogue.ending()
        # The socket is closed by now, so a leave comes even if the server kept it open.
        seen = frames_until(watcher, lambda f: is_presence(f, "leave", "rogue"))
        assert send_message(watcher, "still here", "w1")["type"] == "ack"
    assert "Traceback" not in server.log(), server.log()[-3000:]
    return Outcome(ending, seen)


def smuggled_messages(outcome: Outcome) -> list[Frame]:
    return [f for f in outcome.seen_by_watcher if f["type"] == "user" and f["nick"] == "rogue"]


# --- close codes ------------------------------------------------------------------


@pytest.mark.parametrize("code", VALID_CLOSE_CODES)
def test_valid_close_code_is_echoed_and_the_room_sees_the_leave(server: ServerProcess, code: int) -> None:
    """A client's close with a valid code (1000, 1001, 3000, 4000) is answered with the same code."""
    outcome = misbehave(server, close_frame(struct.pack("!H", code) + b"bye"))
    assert outcome.ending == Ending(close_code=code, stream_ended=True)
    assert smuggled_messages(outcome) == []


BAD_CLOSE_PAYLOADS = [pytest.param(struct.pack("!H", code), id=str(code)) for code in INVALID_CLOSE_CODES]
BAD_CLOSE_PAYLOADS.append(pytest.param(b"\x03", id="one-byte-payload"))


@pytest.mark.parametrize("payload", BAD_CLOSE_PAYLOADS)
def test_invalid_close_code_ends_only_that_session(server: ServerProcess, payload: bytes) -> None:
    """A close with a code no endpoint may send ends that connection with a close frame; the room goes on."""
    outcome = misbehave(server, close_frame(payload))
    assert outcome.ending.stream_ended
    assert outcome.ending.close_code is not None


@pytest.mark.parametrize("payload", BAD_CLOSE_PAYLOADS)
def test_invalid_close_code_is_answered_1002(server: ServerProcess, payload: bytes) -> None:
    """RFC 6455 §7.4: a close code no endpoint may send is a protocol error, answered with 1002."""
    outcome = misbehave(server, close_frame(payload))
    assert outcome.ending.close_code == PROTOCOL_ERROR


# --- masking ----------------------------------------------------------------------


def test_unmasked_frame_is_refused_1002(server: ServerProcess) -> None:
    """RFC 6455 §5.1: the server closes on an unmasked client frame (1002), and does not act on it."""
    outcome = misbehave(server, client_frame(OP_TEXT, SMUGGLED, masked=False))
    assert outcome.ending.close_code == PROTOCOL_ERROR
    assert smuggled_messages(outcome) == []


# --- malformed framing ------------------------------------------------------------

MALFORMED = [
    pytest.param(client_frame(OP_TEXT, SMUGGLED, rsv=RSV1), id="rsv1-without-extension"),
    pytest.param(client_frame(OP_TEXT, SMUGGLED, rsv=RSV2), id="rsv2"),
    pytest.param(client_frame(OP_TEXT, SMUGGLED, rsv=RSV3), id="rsv3"),
    pytest.param(client_frame(OP_PING, b"p" * 126), id="control-frame-over-125-bytes"),
    pytest.param(client_frame(OP_PING, b"ping", fin=False), id="fragmented-control-frame"),
    pytest.param(client_frame(OP_CONTINUATION, SMUGGLED), id="continuation-without-start"),
    pytest.param(
        client_frame(OP_TEXT, SMUGGLED[:10], fin=False) + client_frame(OP_TEXT, SMUGGLED),
        id="new-message-inside-a-fragmented-one",
    ),
    pytest.param(client_frame(0x3, SMUGGLED), id="reserved-data-opcode"),
    pytest.param(client_frame(0xB, b"x"), id="reserved-control-opcode"),
]
NOT_UTF8 = [
    pytest.param(
        client_frame(OP_TEXT, b'{"type":"message","message":"caf\xc3', fin=False)
        + client_frame(OP_CONTINUATION, b'\x28"}'),
        id="invalid-utf8-across-fragments",
    ),
    pytest.param(close_frame(struct.pack("!H", 1000) + b"\xff\xfe"), id="close-reason-not-utf8"),
]


@pytest.mark.parametrize("data", MALFORMED)
def test_malformed_framing_fails_only_that_connection(server: ServerProcess, data: bytes) -> None:
    """Reserved bits, bad control frames, stray continuations, unknown opcodes: 1002, never acted on."""
    outcome = misbehave(server, data)
    assert outcome.ending == Ending(close_code=PROTOCOL_ERROR, stream_ended=True)
    assert smuggled_messages(outcome) == []


@pytest.mark.parametrize("data", NOT_UTF8)
def test_text_that_is_not_utf8_fails_only_that_connection(server: ServerProcess, data: bytes) -> None:
    """Text (or a close reason) that is not UTF-8, even split across fragments, ends the connection."""
    outcome = misbehave(server, data)
    assert outcome.ending == Ending(close_code=INVALID_DATA, stream_ended=True)
    assert smuggled_messages(outcome) == []


def test_ping_is_answered_with_its_payload(server: ServerProcess) -> None:
    """A ping (up to 125 bytes) between fragments of a message gets a pong; the message still arrives."""
    room = f"framing{next(ROOMS)}"
    with join(server, room, "watcher") as watcher:
        with RawMember(server.port, room, "pinger") as rogue:
            rogue.join()
            rogue.send(
                client_frame(OP_TEXT, SMUGGLED[:10], fin=False)
                + client_frame(OP_PING, b"q" * 125)
                + client_frame(OP_CONTINUATION, SMUGGLED[10:])
            )
            assert rogue.next_frame() == (OP_PONG, b"q" * 125)
        got = frames_until(watcher, lambda f: f["type"] == "user")
        assert (got[-1]["nick"], got[-1]["message"]) == ("pinger", "smuggled")
