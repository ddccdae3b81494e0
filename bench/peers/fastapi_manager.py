"""The FastAPI ConnectionManager pattern, for side-by-side figures.

A manager keeps a list of WebSockets and awaits ``send_text`` for each in
turn, as FastAPI's WebSocket documentation shows. Same protocol subset as the
other peers: GET /ws?room=R&nick=N; every text frame is broadcast to the room
as a JSON user frame, sender included.

    python bench/peers/fastapi_manager.py --port 8002
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import json
import time

import uvicorn
from fastapi import FastAPI, WebSocket, WebSocketDisconnect


class ConnectionManager:
    """The members of every room."""

    def __init__(self) -> None:
        self.rooms: dict[str, list[WebSocket]] = {}

    async def connect(self, room: str, websocket: WebSocket) -> None:
        await websocket.accept()
        self.rooms.setdefault(room, []).append(websocket)

    def disconnect(self, room: str, websocket: WebSocket) -> None:
        self.rooms[room].remove(websocket)

    async def broadcast(self, room: str, message: str) -> None:
        for connection in list(self.rooms.get(room, [])):
            with contextlib.suppress(WebSocketDisconnect, RuntimeError):
                await connection.send_text(message)


app = FastAPI()
manager = ConnectionManager()
ids = itertools.count(1)


@app.websocket("/ws")
async def chat(websocket: WebSocket, room: str = "lobby", nick: str = "guest") -> None:
    await manager.connect(room, websocket)
    await websocket.send_text(json.dumps({"type": "welcome", "room": room, "nick": nick}))
    try:
        while True:
            text = await websocket.receive_text()
            frame = {
                "type": "user",
                "id": next(ids),
                "room": room,
                "nick": nick,
                "message": text,
                "ts": int(time.time() * 1000),
            }
            await manager.broadcast(room, json.dumps(frame))
    except WebSocketDisconnect:
        manager.disconnect(room, websocket)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=8002)
    args = parser.parse_args()
    uvicorn.run(app, host="127.0.0.1", port=args.port, log_level="warning", ws="websockets")
