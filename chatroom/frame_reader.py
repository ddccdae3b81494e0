"""Client WebSocket frames read without I/O: bytes in, whole messages and control frames out (RFC 6455).

A chat socket gets a few small frames a second. Tornado's own reader is a
coroutine that asks its stream for 2 bytes, then the length, the mask and
the payload, each an awaited read, and wakes once per frame; profiles of
rooms of 10 and of pings to idle members put a fifth of the server's time
there. ``FrameReader`` parses every frame that arrived with one ``recv`` in
a plain loop instead, and checks what Tornado lets through: an unmasked
frame, a close code no endpoint may send.

Nothing here does I/O (Tornado lends only its C unmasking): live_socket.py feeds it what
push_stream.py reads.
"""

from __future__ import annotations

from dataclasses import dataclass

from tornado.util import _websocket_mask as unmask

OP_CONTINUATION, OP_TEXT, OP_BINARY = 0x0, 0x1, 0x2
OP_CLOSE, OP_PING, OP_PONG = 0x8, 0x9, 0xA
PROTOCOL_ERROR, INVALID_DATA, MESSAGE_TOO_BIG = 1002, 1007, 1009

_FIN, _RSV, _OPCODE, _MASKED, _LENGTH = 0x80, 0x70, 0x0F, 0x80, 0x7F
_DATA_OPCODES = frozenset((OP_TEXT, OP_BINARY))
_CONTROL_OPCODES = frozenset((OP_CLOSE, OP_PING, OP_PONG))
_LONGEST_CONTROL_PAYLOAD = 125


@dataclass(slots=True)
class Received:
    """A whole message (fragments joined; text already decoded) or a control frame."""

    opcode: int
    payload: bytes | str


@dataclass(slots=True)
class Failed:
    """The peer broke the protocol: close with ``code`` and read nothing more."""

    code: int
    reason: str


def close_code_is_valid(code: int) -> bool:
    """Whether a peer may send this close code (RFC 6455 §7.4 and the IANA registry)."""
    return 1000 <= code <= 1003 or 1007 <= code <= 1014 or 3000 <= code <= 4999


def check_close_payload(payload: bytes) -> Failed | None:
    """What is wrong with a close frame's payload: a lone byte, a code nobody may send, a reason not UTF-8."""
    if not payload:
        return None
    if len(payload) == 1 or not close_code_is_valid(int.from_bytes(payload[:2], "big")):
        return Failed(PROTOCOL_ERROR, "invalid close code")
    try:
        payload[2:].decode("utf-8")
    except UnicodeDecodeError:
        return Failed(INVALID_DATA, "close reason is not UTF-8")
    return None


class FrameReader:
    """Parses a client's frames as they arrive, for one connection.

    ``feed`` takes whatever one read returned and gives back, in order, every
    whole message and control frame it completed, ending with a ``Failed``
    when the peer broke the protocol (after which the reader must not be fed
    again). A frame that has not fully arrived waits in the reader; one whose
    declared length passes ``max_message_size`` fails before its payload is
    read.
    """

    __slots__ = ("_fragments", "_fragments_opcode", "_pending", "max_message_size")

    def __init__(self, max_message_size: int) -> None:
        self.max_message_size = max_message_size
        self._pending = b""
        self._fragments: bytearray | None = None
        self._fragments_opcode = OP_TEXT

    def feed(self, data: bytes) -> list[Received | Failed]:
        """Every message and control frame ``data`` completes (with what was fed before)."""
        if self._pending:
            data = self._pending + data
            self._pending = b""
        out: list[Received | Failed] = []
        start, end = 0, len(data)
        while start < end:
            taken = self._frame_at(data, start, out)
            if taken == 0:
                self._pending = data[start:]
                break
            if out and type(out[-1]) is Failed:
                break
            start += taken
        return out

    def _frame_at(self, data: bytes, start: int, out: list[Received | Failed]) -> int:
        """Parse the frame at ``start`` into ``out``: its length in bytes, or 0 while it is incomplete."""
        if len(data) - start < 2:
            return 0
        first, second = data[start], data[start + 1]
        opcode, length = first & _OPCODE, second & _LENGTH
        header = 2
        if length == 126:
            header = 4
            if len(data) - start < header:
                return 0
            length = int.from_bytes(data[start + 2 : start + 4], "big")
        elif length == 127:
            header = 10
            if len(data) - start < header:
                return 0
            length = int.from_bytes(data[start + 2 : start + 10], "big")
        refusal = self._check_header(first, second, opcode, length)
        if refusal is not None:
            out.append(refusal)
            return header
        mask_at = start + header
        size = header + 4 + length
        if len(data) - start < size:
            return 0
        payload = unmask(data[mask_at : mask_at + 4], data[mask_at + 4 : start + size])
        self._complete(first & _FIN, opcode, payload, out)
        return size

    def _check_header(self, first: int, second: int, opcode: int, length: int) -> Failed | None:
        if first & _RSV:
            return Failed(PROTOCOL_ERROR, "reserved bits set")  # no extension is ever negotiated
        if not second & _MASKED:
            return Failed(PROTOCOL_ERROR, "client frames must be masked")
        if opcode in _CONTROL_OPCODES:
            if length > _LONGEST_CONTROL_PAYLOAD or not first & _FIN:
                return Failed(PROTOCOL_ERROR, "bad control frame")
            return None
        if opcode == OP_CONTINUATION:
            if self._fragments is None:
                return Failed(PROTOCOL_ERROR, "nothing to continue")
        elif opcode not in _DATA_OPCODES:
            return Failed(PROTOCOL_ERROR, "reserved opcode")
        elif self._fragments is not None:
            return Failed(PROTOCOL_ERROR, "a new message inside a fragmented one")
        if length + len(self._fragments or b"") > self.max_message_size:
            return Failed(MESSAGE_TOO_BIG, "message too big")
        return None

    def _complete(self, fin: int, opcode: int, payload: bytes, out: list[Received | Failed]) -> None:
        """Hand on a whole message or a control frame; keep a fragment until its message ends."""
        if opcode == OP_CONTINUATION:
            assert self._fragments is not None  # _check_header refused a continuation of nothing
            self._fragments += payload
            if not fin:
                return
            opcode, payload, self._fragments = self._fragments_opcode, bytes(self._fragments), None
        elif not fin and opcode in _DATA_OPCODES:
            self._fragments, self._fragments_opcode = bytearray(payload), opcode
            return
        if opcode == OP_TEXT:
            try:
                out.append(Received(opcode, payload.decode("utf-8")))
            except UnicodeDecodeError:
                out.append(Failed(INVALID_DATA, "text is not UTF-8"))
            return
        if opcode == OP_CLOSE:
            refusal = check_close_payload(payload)
            if refusal is not None:
                out.append(refusal)
                return
        out.append(Received(opcode, payload))
