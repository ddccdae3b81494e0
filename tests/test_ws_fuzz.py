"""A bounded, seeded fuzz of /ws through raw sockets.

Hundreds of connections send what a broken or hostile client might: random
frames, fragments out of order, unmasked frames, reserved bits, unknown
opcodes, oversized control frames, bad close codes, invalid UTF-8, lying
lengths and plain garbage. Afterwards the server must still serve a normal
client, hold no leftover sessions, and have logged no traceback.
"""

from __future__ import annotations

import base64
import json
import random
import re
import struct
import time
from collections.abc import Callable, Iterator

import pytest

from tests.clients import join, own_next
from tests.raw_ws import RawMember
from tests.support import NO_PROXY, ServerProcess, wait_until

SEED = 20261122
CONNECTIONS = 250
TIME_BOUND = 8.0  # seconds: the fuzz stops early on a slow machine, never fails for it

OP_CONTINUATION, OP_TEXT, OP_BINARY, OP_CLOSE, OP_PING, OP_PONG = 0x0, 0x1, 0x2, 0x8, 0x9, 0xA
BAD_CLOSE_CODES = (0, 999, 1004, 1005, 1006, 1015, 1016, 2999, 5000, 65535)


@pytest.fixture(scope="module")
def server() -> Iterator[ServerProcess]:
    """A server with a small frame limit and a generous rate, so frames reach the parser."""
    flags = ("--max-frame-bytes", "4096", "--rate", "1000", "--burst", "1000")
    with ServerProcess(":memory:", *flags) as running:
        yield running


def frame(
    opcode: int,
    payload: bytes,
    rng: random.Random,
    fin: bool = True,
    rsv: int = 0,
    masked: bool = True,
    length: int | None = None,
) -> bytes:
    """One client frame, honest or not: ``length`` may lie about the payload."""
    declared = len(payload) if length is None else length
    first = (0x80 if fin else 0) | (rsv << 4) | opcode
    mask_bit = 0x80 if masked else 0
    if declared < 126:
        header = struct.pack("!BB", first, mask_bit | declared)
    elif declared <= 0xFFFF:
        header = struct.pack("!BBH", first, mask_bit | 126, declared)
    else:
        header = struct.pack("!BBQ", first, mask_bit | 127, declared)
    if not masked:
        return header + payload
    key = rng.randbytes(4)
    return header + key + bytes(b ^ key[i % 4] for i, b in enumerate(payload))


def random_text(rng: random.Random) -> bytes:
    choices = [
        lambda: rng.randbytes(rng.randint(0, 64)),
        lambda: "".join(chr(rng.randint(0, 0x2FFFF)) for _ in range(rng.randint(0, 20))).encode(
            "utf-8", "surrogatepass"
        ),
        lambda: json.dumps(
            {"type": rng.choice(["message", "typing", "history", "x"]), "message": "fz"}
        ).encode(),
        lambda: b'{"type": "message", "message": "' + b"[" * rng.randint(0, 200) + b'"}',
        lambda: b"hello \xc3\x28 invalid",
        lambda: b"\xed\xa0\x80 surrogate",
    ]
    return rng.choice(choices)()


def fuzz_frames(rng: random.Random) -> bytes:
    """A few misbehaving frames, picked at random."""
    makers: list[Callable[[], bytes]] = [
        lambda: frame(OP_TEXT, random_text(rng), rng),
        lambda: frame(OP_BINARY, rng.randbytes(rng.randint(0, 100)), rng),
        lambda: (
            frame(OP_TEXT, b"part one ", rng, fin=False)
            + frame(OP_PING, b"in between", rng)
            + frame(OP_CONTINUATION, b"part two", rng)
        ),
        lambda: frame(OP_CONTINUATION, b"no start", rng),
        lambda: frame(OP_TEXT, b"a", rng, fin=False) + frame(OP_TEXT, b"b", rng),
        lambda: frame(OP_TEXT, b"caf\xc3", rng, fin=False) + frame(OP_CONTINUATION, b"\xa9 ok", rng),
        lambda: frame(OP_TEXT, b"unmasked", rng, masked=False),
        lambda: frame(OP_TEXT, b"reserved", rng, rsv=rng.randint(1, 7)),
        lambda: frame(rng.choice([3, 4, 5, 6, 7, 0xB, 0xC, 0xD, 0xE, 0xF]), b"opcode", rng),
        lambda: frame(OP_PING, rng.randbytes(126 + rng.randint(0, 200)), rng),
        lambda: frame(OP_PING, b"fragmented ping", rng, fin=False),
        lambda: frame(OP_PONG, b"unsolicited", rng),
        lambda: frame(OP_CLOSE, struct.pack("!H", rng.choice(BAD_CLOSE_CODES)) + b"bye", rng),
        lambda: frame(OP_CLOSE, b"\x03", rng),
        lambda: frame(OP_CLOSE, struct.pack("!H", 1000) + b"\xff\xfe", rng),
        lambda: frame(OP_TEXT, b"x" * 5000, rng),
        lambda: frame(OP_TEXT, b"short", rng, length=2**63 - 1),
        lambda: frame(OP_TEXT, b"truncated payload", rng, length=1000),
        lambda: rng.randbytes(rng.randint(1, 300)),
    ]
    return b"".join(rng.choice(makers)() for _ in range(rng.randint(1, 5)))


def fuzz_one(port: int, rng: random.Random) -> None:
    """One connection's worth of abuse; whatever the server answers is read and dropped."""
    key = base64.b64encode(rng.randbytes(16)).decode()
    nick = f"fz{rng.randint(0, 10**9)}"
    with RawMember(port, "fuzz", nick, key=key) as member:
        member.sock.settimeout(0.05)
        try:
            member.send(fuzz_frames(rng))
            while member.sock.recv(65536):
                pass
        except (TimeoutError, ConnectionError):
            pass


def open_connections(server: ServerProcess) -> float:
    text = NO_PROXY.open(f"{server.url}/metrics", timeout=5).read().decode()
    match = re.search(r"^chatroom_connections_open (\S+)$", text, re.M)
    assert match is not None
    return float(match.group(1))


def test_server_survives_a_raw_socket_fuzz(server: ServerProcess) -> None:
    """After hundreds of malformed connections the server serves a normal client, with no traceback."""
    rng = random.Random(SEED)
    started = time.monotonic()
    for _ in range(CONNECTIONS):
        fuzz_one(server.port, rng)
        if time.monotonic() - started > TIME_BOUND:
            break
    assert server.process is not None and server.process.poll() is None
    wait_until(lambda: open_connections(server) == 0, timeout=20)
    with join(server, "fuzz", "normal") as ws:
        ws.send(json.dumps({"type": "message", "message": "still standing", "ref": "r1"}))
        # Its echo and its ack come in either order, and a late notice (a join, typing) may come between.
        assert {"type": "ack", "ref": "r1"}.items() <= own_next(ws, "ack").items()
    log = server.log()
    assert "Traceback" not in log, log[-3000:]
    assert re.search(r"^\S+ \S+ ERROR ", log, re.M) is None, log[-3000:]


def test_fuzz_is_reproducible() -> None:
    """The same seed makes the same frames, so a failure can be replayed."""
    assert fuzz_frames(random.Random(SEED)) == fuzz_frames(random.Random(SEED))
