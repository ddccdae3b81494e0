"""A WebSocket member on a raw socket, for tests that send what no client library would.

It writes any bytes (bursts of frames in one write, bad framing, close codes
an endpoint may not send) and reads the server's frames as they are.
"""

from __future__ import annotations

import json
import os
import socket
import struct
from dataclasses import dataclass
from typing import Any

import pytest

from tests.support import upgrade_request

OP_CONTINUATION, OP_TEXT, OP_BINARY, OP_CLOSE, OP_PING, OP_PONG = 0x0, 0x1, 0x2, 0x8, 0x9, 0xA
NO_STATUS = 1005  # what a close frame without a code reports (RFC 6455 §7.1.5)
Frame = dict[str, Any]


def client_frame(opcode: int, payload: bytes, fin: bool = True, rsv: int = 0, masked: bool = True) -> bytes:
    """One client frame, honest or not."""
    first = (0x80 if fin else 0) | (rsv << 4) | opcode
    mask_bit = 0x80 if masked else 0
    if len(payload) < 126:
        header = struct.pack("!BB", first, mask_bit | len(payload))
    else:
        header = struct.pack("!BBH", first, mask_bit | 126, len(payload))
    if not masked:
        return header + payload
    key = os.urandom(4)
    return header + key + bytes(b ^ key[i % 4] for i, b in enumerate(payload))


def text_frame(text: str) -> bytes:
    """One masked text frame."""
    return client_frame(OP_TEXT, text.encode())


def close_frame(payload: bytes) -> bytes:
    """One masked close frame with this payload (a code, then a reason)."""
    return client_frame(OP_CLOSE, payload)


@dataclass
class Ending:
    """How the server ended a raw connection: its close frame's code, and whether the stream ended."""

    close_code: int | None  # None: no close frame at all; NO_STATUS: a close frame without a code
    stream_ended: bool


class RawMember:
    """A member on a raw socket, past the upgrade (101) and nothing more.

    ``timeout``: how long one read may wait; ``receive_buffer``: the socket's
    receive buffer, small for a member that reads slowly; ``key``: the
    upgrade's Sec-WebSocket-Key (random when None).
    """

    def __init__(
        self,
        port: int,
        room: str,
        nick: str,
        *,
        timeout: float = 5.0,
        receive_buffer: int | None = None,
        key: str | None = None,
    ) -> None:
        self.nick = nick
        self.sock = socket.socket()
        if receive_buffer is not None:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, receive_buffer)
        self.sock.settimeout(timeout)
        self.sock.connect(("127.0.0.1", port))
        self.sock.sendall(upgrade_request(port, room, nick, key))
        head = b""
        while b"\r\n\r\n" not in head:  # a byte at a time: no frame is read with it
            chunk = self.sock.recv(1)
            assert chunk, "the server closed during the handshake"
            head += chunk
        assert head.startswith(b"HTTP/1.1 101"), head
        self.buffer = b""

    def __enter__(self) -> RawMember:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        self.sock.close()

    def send(self, data: bytes) -> None:
        """Write ``data`` in one go."""
        self.sock.sendall(data)

    def next_frame(self) -> tuple[int, bytes] | None:
        """The server's next frame (opcode, payload); None when the stream ends."""
        while (parsed := self._parse()) is None:
            try:
                chunk = self.sock.recv(65536)
            except ConnectionResetError:
                chunk = b""
            if not chunk:
                return None
            self.buffer += chunk
        return parsed

    def _parse(self) -> tuple[int, bytes] | None:
        data = self.buffer
        if len(data) < 2:
            return None
        opcode, length, at = data[0] & 0x0F, data[1] & 0x7F, 2
        if length == 126:
            if len(data) < 4:
                return None
            (length,), at = struct.unpack_from("!H", data, 2), 4
        elif length == 127:
            if len(data) < 10:
                return None
            (length,), at = struct.unpack_from("!Q", data, 2), 10
        if len(data) < at + length:
            return None
        self.buffer = data[at + length :]
        return opcode, data[at : at + length]

    def join(self) -> None:
        """Read the welcome, the history and this member's own join, in that order."""
        texts: list[Frame] = []
        while len(texts) < 3:
            frame = self.next_frame()
            if frame is None or frame[0] == OP_CLOSE:
                pytest.fail("the server closed before the join")
            if frame[0] == OP_TEXT:
                texts.append(json.loads(frame[1]))
        welcome, history, own = texts
        assert (welcome["type"], history["type"]) == ("welcome", "history"), texts
        assert (own["type"], own.get("event"), own.get("nick")) == ("sys", "join", self.nick), own

    def until_close(self) -> tuple[list[Frame], int | None]:
        """Every text frame up to the server's close frame, decoded, and its code (None: no close frame)."""
        frames: list[Frame] = []
        while (frame := self.next_frame()) is not None:
            opcode, payload = frame
            if opcode == OP_CLOSE:
                return frames, _close_code(payload)
            if opcode == OP_TEXT:
                frames.append(json.loads(payload))
        return frames, None

    def ending(self) -> Ending:
        """Read to the end of the stream, or a quiet spell of ``timeout``: how the server ended it."""
        close_code: int | None = None
        try:
            while (frame := self.next_frame()) is not None:
                opcode, payload = frame
                if opcode == OP_CLOSE and close_code is None:
                    close_code = _close_code(payload)
        except TimeoutError:
            return Ending(close_code, stream_ended=False)
        return Ending(close_code, stream_ended=True)


def _close_code(payload: bytes) -> int:
    return int(struct.unpack("!H", payload[:2])[0]) if len(payload) >= 2 else NO_STATUS
