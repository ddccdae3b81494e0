"""A near-limit Tornado broadcast server: the reference the product is measured against.

What a bare Tornado server can do for a chat room when it does nothing but
broadcast, with the techniques that make fan-out fast in Python:

- each frame is JSON-encoded and framed (RFC 6455) once per broadcast, not
  once per member;
- what each member is owed is coalesced per loop tick: every broadcast of a
  tick appends its bytes to the member's queue, and one flush at the end of
  the tick writes each queue in one ``send``;
- the flush writes straight to the socket when the stream has nothing of its
  own waiting (no Future, no copy into Tornado's buffer); only what the
  kernel does not take goes through ``IOStream.write``, behind which later
  bytes queue, so order holds;
- TCP_NODELAY on every connection.

It stores nothing, checks nothing and limits nothing. Same protocol subset as
the other peers: GET /ws?room=R&nick=N, every text frame is broadcast to the
room as a JSON user frame, sender included.

    python bench/peers/tornado_reference.py --port 8004
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import struct
import time
from typing import ClassVar

import orjson
import tornado.iostream
import tornado.web
import tornado.websocket


def text_frame(payload: bytes) -> bytes:
    """An unmasked, final text frame (server to client) carrying ``payload``."""
    length = len(payload)
    if length < 126:
        return struct.pack("!BB", 0x81, length) + payload
    if length < 1 << 16:
        return struct.pack("!BBH", 0x81, 126, length) + payload
    return struct.pack("!BBQ", 0x81, 127, length) + payload


class Member:
    """One member's stream and the bytes it is owed this tick."""

    __slots__ = ("pending", "stream", "waiting")

    def __init__(self, stream: tornado.iostream.IOStream) -> None:
        self.stream = stream
        self.pending: list[bytes] = []
        # Bytes handed to IOStream.write and not on the socket yet: later ones go behind them.
        self.waiting = False

    def flush(self) -> None:
        data = b"".join(self.pending)
        self.pending.clear()
        stream = self.stream
        if stream.closed():
            return
        if self.waiting or stream.writing():
            self._through_stream(data)
            return
        try:
            sent = stream.socket.send(data)
        except BlockingIOError:
            sent = 0
        except OSError:
            return
        if sent < len(data):
            self._through_stream(data[sent:])

    def _through_stream(self, data: bytes) -> None:
        self.waiting = True
        try:
            written = self.stream.write(data)
        except tornado.iostream.StreamClosedError:
            return
        written.add_done_callback(self._written)

    def _written(self, _: asyncio.Future[None]) -> None:
        self.waiting = self.stream.writing()


class Broadcaster:
    """Queues broadcasts per member and flushes every dirty member once per tick."""

    def __init__(self) -> None:
        self.dirty: list[Member] = []

    def broadcast(self, members: list[Member], data: bytes) -> None:
        if not self.dirty:
            asyncio.get_running_loop().call_soon(self.flush)
        for member in members:
            if not member.pending:
                self.dirty.append(member)
            member.pending.append(data)

    def flush(self) -> None:
        dirty, self.dirty = self.dirty, []
        for member in dirty:
            member.flush()


class ChatSocketHandler(tornado.websocket.WebSocketHandler):
    """One member of one room."""

    rooms: ClassVar[dict[str, list[Member]]] = {}
    broadcaster = Broadcaster()
    ids = itertools.count(1)

    def open(self) -> None:
        self.room = self.get_argument("room", "lobby")
        self.nick = self.get_argument("nick", "guest")
        self.set_nodelay(True)
        assert self.ws_connection is not None and self.ws_connection.stream is not None
        self.member = Member(self.ws_connection.stream)
        self.rooms.setdefault(self.room, []).append(self.member)
        self.write_message(orjson.dumps({"type": "welcome", "room": self.room, "nick": self.nick}).decode())

    def on_close(self) -> None:
        members = self.rooms.get(self.room, [])
        if getattr(self, "member", None) in members:
            members.remove(self.member)

    def on_message(self, message: str | bytes) -> None:
        frame = {
            "type": "user",
            "id": next(self.ids),
            "room": self.room,
            "nick": self.nick,
            "message": message if isinstance(message, str) else message.decode(errors="replace"),
            "ts": int(time.time() * 1000),
        }
        self.broadcaster.broadcast(self.rooms[self.room], text_frame(orjson.dumps(frame)))


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=8004)
    args = parser.parse_args()
    app = tornado.web.Application([(r"/ws", ChatSocketHandler)])
    app.listen(args.port, "127.0.0.1")
    await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(main())
