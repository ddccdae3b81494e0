"""FrameReader turns a client's bytes into whole messages and control frames, or one refusal, however cut."""

from __future__ import annotations

import struct

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chatroom.frame_reader import (
    INVALID_DATA,
    MESSAGE_TOO_BIG,
    OP_BINARY,
    OP_CLOSE,
    OP_CONTINUATION,
    OP_PING,
    OP_PONG,
    OP_TEXT,
    PROTOCOL_ERROR,
    Failed,
    FrameReader,
    Received,
    close_code_is_valid,
)

MASK = b"\x37\xfa\x21\x3d"


def frame(opcode: int, payload: bytes, *, fin: bool = True, masked: bool = True, rsv: int = 0) -> bytes:
    """One client frame, masked as a client must, with the shortest length encoding."""
    head = bytes([(0x80 if fin else 0) | rsv << 4 | opcode])
    mask_bit = 0x80 if masked else 0
    length = len(payload)
    if length < 126:
        head += bytes([mask_bit | length])
    elif length < 1 << 16:
        head += bytes([mask_bit | 126]) + struct.pack("!H", length)
    else:
        head += bytes([mask_bit | 127]) + struct.pack("!Q", length)
    if not masked:
        return head + payload
    return head + MASK + bytes(b ^ MASK[i % 4] for i, b in enumerate(payload))


def fed(data: bytes, max_size: int = 1 << 20) -> list[Received | Failed]:
    return FrameReader(max_size).feed(data)


def fed_bytewise(data: bytes, max_size: int = 1 << 20) -> list[Received | Failed]:
    reader = FrameReader(max_size)
    return [item for i in range(len(data)) for item in reader.feed(data[i : i + 1])]


def test_a_text_frame_is_one_decoded_message() -> None:
    """The common case: one small text frame, one str."""
    assert fed(frame(OP_TEXT, "héllo 聊天".encode())) == [Received(OP_TEXT, "héllo 聊天")]


def test_every_frame_of_one_read_comes_out_in_order() -> None:
    """Several frames that arrived together are all parsed, in order."""
    data = frame(OP_TEXT, b"a") + frame(OP_PING, b"p") + frame(OP_BINARY, b"\x00\x01") + frame(OP_PONG, b"")
    assert fed(data) == [
        Received(OP_TEXT, "a"),
        Received(OP_PING, b"p"),
        Received(OP_BINARY, b"\x00\x01"),
        Received(OP_PONG, b""),
    ]


@pytest.mark.parametrize("size", [0, 125, 126, 65535, 65536, 70000])
def test_all_three_length_encodings_are_read(size: int) -> None:
    """7-bit, 16-bit and 64-bit lengths, at their edges."""
    payload = bytes(i % 251 for i in range(size))
    assert fed(frame(OP_BINARY, payload)) == [Received(OP_BINARY, payload)]


def test_frames_split_at_every_byte_arrive_whole() -> None:
    """A frame that comes a byte at a time waits in the reader until it is whole."""
    data = frame(OP_TEXT, b"x" * 300) + frame(OP_TEXT, "é".encode(), fin=False) + frame(OP_CONTINUATION, b"!")
    assert fed_bytewise(data) == [Received(OP_TEXT, "x" * 300), Received(OP_TEXT, "é!")]


def test_fragments_are_joined_and_a_ping_between_them_comes_first() -> None:
    """Control frames may come between fragments; the message is handed on once its last fragment is in."""
    data = frame(OP_TEXT, b"hel", fin=False) + frame(OP_PING, b"q") + frame(OP_CONTINUATION, b"lo")
    assert fed(data) == [Received(OP_PING, b"q"), Received(OP_TEXT, "hello")]


def test_a_character_split_between_fragments_is_decoded_once_joined() -> None:
    """UTF-8 is checked on the whole message, not on each fragment."""
    encoded = "café".encode()
    data = frame(OP_TEXT, encoded[:-1], fin=False) + frame(OP_CONTINUATION, encoded[-1:])
    assert fed(data) == [Received(OP_TEXT, "café")]


REFUSED = [
    pytest.param(frame(OP_TEXT, b"x", masked=False), PROTOCOL_ERROR, id="unmasked"),
    pytest.param(frame(OP_TEXT, b"x", rsv=4), PROTOCOL_ERROR, id="rsv1"),
    pytest.param(frame(OP_TEXT, b"x", rsv=1), PROTOCOL_ERROR, id="rsv3"),
    pytest.param(frame(OP_PING, b"p" * 126), PROTOCOL_ERROR, id="long-control"),
    pytest.param(frame(OP_PING, b"p", fin=False), PROTOCOL_ERROR, id="fragmented-control"),
    pytest.param(frame(OP_CONTINUATION, b"x"), PROTOCOL_ERROR, id="stray-continuation"),
    pytest.param(
        frame(OP_TEXT, b"a", fin=False) + frame(OP_TEXT, b"b"), PROTOCOL_ERROR, id="message-in-message"
    ),
    pytest.param(frame(0x3, b"x"), PROTOCOL_ERROR, id="reserved-data-opcode"),
    pytest.param(frame(0xB, b"x"), PROTOCOL_ERROR, id="reserved-control-opcode"),
    pytest.param(frame(OP_TEXT, b"caf\xc3"), INVALID_DATA, id="text-not-utf8"),
    pytest.param(frame(OP_CLOSE, b"\x03"), PROTOCOL_ERROR, id="close-one-byte"),
    pytest.param(frame(OP_CLOSE, struct.pack("!H", 1005)), PROTOCOL_ERROR, id="close-1005"),
    pytest.param(
        frame(OP_CLOSE, struct.pack("!H", 1000) + b"\xff"), INVALID_DATA, id="close-reason-not-utf8"
    ),
]


@pytest.mark.parametrize(("data", "code"), REFUSED)
def test_broken_framing_is_one_refusal_and_nothing_after_it(data: bytes, code: int) -> None:
    """A protocol error ends the list: what follows it in the same read is never handed on."""
    out = fed(data + frame(OP_TEXT, b"after"))
    assert len(out) == 1 and isinstance(out[0], Failed) and out[0].code == code


def test_a_frame_too_big_is_refused_before_its_payload_arrives() -> None:
    """The declared length is enough: the reader does not wait for (or keep) a megabyte."""
    head = frame(OP_TEXT, b"x" * 2000)[:8]
    assert fed(head, max_size=1000) == [Failed(MESSAGE_TOO_BIG, "message too big")]


def test_fragments_count_towards_the_limit_together() -> None:
    """Two fragments under the limit each but over it together are refused."""
    data = frame(OP_BINARY, b"x" * 600, fin=False) + frame(OP_CONTINUATION, b"y" * 600)
    assert fed(data, max_size=1000) == [Failed(MESSAGE_TOO_BIG, "message too big")]


@pytest.mark.parametrize("code", [1000, 1001, 1003, 1007, 1011, 1014, 3000, 4999])
def test_a_valid_close_is_handed_on(code: int) -> None:
    """A close with a code a peer may send, and a UTF-8 reason, reaches the protocol to be echoed."""
    payload = struct.pack("!H", code) + "au revoir ✓".encode()
    assert fed(frame(OP_CLOSE, payload)) == [Received(OP_CLOSE, payload)]
    assert close_code_is_valid(code)


@pytest.mark.parametrize("code", [0, 999, 1004, 1005, 1006, 1015, 1016, 2999, 5000])
def test_codes_no_endpoint_may_send_are_invalid(code: int) -> None:
    """RFC 6455 §7.4: reserved and unassigned codes are not valid on the wire."""
    assert not close_code_is_valid(code)


@given(st.lists(st.binary(max_size=300), min_size=1, max_size=6), st.lists(st.integers(1, 50), max_size=20))
def test_any_split_of_any_frames_gives_the_same_messages(payloads: list[bytes], cuts: list[int]) -> None:
    """However the bytes are cut into reads, the same messages come out."""
    data = b"".join(frame(OP_BINARY, payload) for payload in payloads)
    reader, out, at = FrameReader(1 << 20), [], 0
    for cut in [*cuts, len(data)]:
        out += reader.feed(data[at : at + cut])
        at += cut
    out += reader.feed(data[at:]) if at < len(data) else []
    assert out == [Received(OP_BINARY, payload) for payload in payloads]
