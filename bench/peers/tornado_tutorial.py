"""The tutorial Tornado chat pattern, for side-by-side figures.

A class-level set of handlers; every broadcast calls json.dumps and
write_message once per member, as Tornado's chat demo and most tutorials do.
Speaks the benchmark's protocol subset: GET /ws?room=R&nick=N, every text
frame is broadcast to the room as a JSON user frame, sender included.

    python bench/peers/tornado_tutorial.py --port 8001
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import os
import time
from typing import ClassVar

import tornado.web
import tornado.websocket

# Tutorials leave Nagle on; CHATROOM_BENCH_NODELAY=1 turns it off for comparison.
NODELAY = os.environ.get("CHATROOM_BENCH_NODELAY") == "1"


class ChatSocketHandler(tornado.websocket.WebSocketHandler):
    """One member; ``rooms`` holds every open handler per room."""

    rooms: ClassVar[dict[str, set[ChatSocketHandler]]] = {}
    ids = itertools.count(1)

    def open(self) -> None:
        self.room = self.get_argument("room", "lobby")
        self.nick = self.get_argument("nick", "guest")
        if NODELAY:
            self.set_nodelay(True)
        self.rooms.setdefault(self.room, set()).add(self)
        self.write_message(json.dumps({"type": "welcome", "room": self.room, "nick": self.nick}))

    def on_close(self) -> None:
        self.rooms.get(self.room, set()).discard(self)

    def on_message(self, message: str | bytes) -> None:
        frame = {
            "type": "user",
            "id": next(self.ids),
            "room": self.room,
            "nick": self.nick,
            "message": message,
            "ts": int(time.time() * 1000),
        }
        for waiter in self.rooms.get(self.room, set()):
            with contextlib.suppress(tornado.websocket.WebSocketClosedError):
                waiter.write_message(json.dumps(frame))


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=8001)
    args = parser.parse_args()
    app = tornado.web.Application([(r"/ws", ChatSocketHandler)])
    app.listen(args.port, "127.0.0.1")
    await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(main())
