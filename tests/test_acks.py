"""Acks owed are written before a server-initiated close, and a resend is stored once.

Through real sockets against ``python -m chatroom`` subprocesses: a client
that lost an ack can resend the same ``ref`` and text, on any connection and
any node, and the room still sees the message once.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import sqlite3
import struct
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from websockets.sync.client import ClientConnection

from tests.redis_server import RedisServer
from tests.support import ServerProcess, upgrade_request
from tests.test_security import join, next_of, unique

API_KEY = "k3y-for-tests-0123456789abcdef"
NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))


# --- a raw client: frames written in one go, as an attacker would ----------


def client_frame(text: str) -> bytes:
    """One masked text frame from a client."""
    payload = text.encode()
    key = os.urandom(4)
    if len(payload) < 126:
        header = struct.pack("!BB", 0x81, 0x80 | len(payload))
    else:
        header = struct.pack("!BBH", 0x81, 0x80 | 126, len(payload))
    return header + key + bytes(b ^ key[i % 4] for i, b in enumerate(payload))


def message(text: str, ref: str) -> bytes:
    return client_frame(json.dumps({"type": "message", "message": text, "ref": ref}))


class RawMember:
    """A member on a raw socket: it writes frames in one go, as an attacker would."""

    def __init__(self, port: int, room: str, nick: str) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=20)
        self.sock.sendall(upgrade_request(port, room, nick))
        head = b""
        while b"\r\n\r\n" not in head:
            head += self.sock.recv(1)
        assert head.startswith(b"HTTP/1.1 101"), head
        self.data = b""
        self.frames: list[dict[str, Any]] = []
        self.close_code: int | None = None
        # Joined: the welcome, the history and its own join have come.
        while not any(f["type"] == "sys" and f["nick"] == nick for f in self.frames):
            assert self._read(), "the server closed while joining"
        self.frames.clear()

    def _read(self) -> bool:
        """Read once and parse complete frames; False at the end of the stream or the close."""
        if self.close_code is not None:
            return False
        chunk = self.sock.recv(1 << 16)
        if not chunk:
            return False
        self.data += chunk
        while len(self.data) >= 2:
            opcode, length, header = self.data[0] & 0x0F, self.data[1] & 0x7F, 2
            if length == 126:
                if len(self.data) < 4:
                    break
                (length,), header = struct.unpack_from("!H", self.data, 2), 4
            elif length == 127:
                if len(self.data) < 10:
                    break
                (length,), header = struct.unpack_from("!Q", self.data, 2), 10
            if len(self.data) < header + length:
                break
            payload = self.data[header : header + length]
            self.data = self.data[header + length :]
            if opcode == 0x8:
                self.close_code = struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else 0
                return False
            if opcode == 0x1:
                self.frames.extend(json.loads(line) for line in payload.decode().splitlines() if line)
        return True

    def until_close(self) -> tuple[list[dict[str, Any]], int | None]:
        """Every text frame up to the server's close frame, and its code (None: no close frame)."""
        while self._read():
            pass
        self.sock.close()
        return self.frames, self.close_code


def left(watcher: ClientConnection) -> str:
    """The nick of the next member to leave (a member left is free to join again)."""
    frame = next_of(watcher, "sys", skip=("typing",))
    while frame["event"] != "leave":
        frame = next_of(watcher, "sys", skip=("typing",))
    return str(frame["nick"])


def acks(frames: list[dict[str, Any]]) -> dict[str, int]:
    return {f["ref"]: f["id"] for f in frames if f["type"] == "ack"}


# --- the server closes: acks first ---------------------------------------


@pytest.fixture(scope="module")
def roomy_server() -> Iterator[ServerProcess]:
    """A server whose rate limit lets a burst of 50 messages through, with an API key."""
    with ServerProcess(":memory:", "--rate", "100", "--burst", "50", "--api-key", API_KEY) as running:
        yield running


def test_a_burst_closed_1008_gets_every_accepted_message_acked_first(roomy_server: ServerProcess) -> None:
    """20 messages then 21 bad frames in one write: 20 acks, 21 bad_json, then 1008."""
    room = unique("burst")
    with join(roomy_server, room, "watcher") as watcher:
        burster = RawMember(roomy_server.port, room, "burster")
        burst = b"".join(message(f"burst {n}", str(n)) for n in range(20))
        burster.sock.sendall(burst + client_frame("{not json") * 21)
        frames, code = burster.until_close()
        assert code == 1008
        seen = [next_of(watcher, "user") for _ in range(20)]
        assert [f["message"] for f in seen] == [f"burst {n}" for n in range(20)]
        assert acks(frames) == {str(n): seen[n]["id"] for n in range(20)}
        assert [f["code"] for f in frames if f["type"] == "error"] == ["bad_json"] * 21
        # The room carries on, without any of the refused frames.
        with join(roomy_server, room, "other") as other:
            other.send(json.dumps({"type": "message", "message": "after"}))
            assert next_of(watcher, "user")["message"] == "after"


def test_a_resend_on_a_new_connection_is_acked_with_the_first_id(roomy_server: ServerProcess) -> None:
    """A page that lost its ack resends the same ref and text: same id, and the room sees it once."""
    room = unique("resend")
    with join(roomy_server, room, "watcher") as watcher:
        with join(roomy_server, room, "ann") as ann:
            ann.send(json.dumps({"type": "message", "message": "only once", "ref": "1"}))
            first = next_of(ann, "ack", skip=("sys", "typing", "user"))["id"]
        assert (next_of(watcher, "user")["id"], left(watcher)) == (first, "ann")
        with join(roomy_server, room, "ann") as ann:
            ann.send(json.dumps({"type": "message", "message": "only once", "ref": "1"}))
            assert next_of(ann, "ack", skip=("sys", "typing", "user"))["id"] == first
            # The same ref with another text is another message.
            ann.send(json.dumps({"type": "message", "message": "another", "ref": "1"}))
            assert next_of(ann, "ack", skip=("sys", "typing", "user"))["id"] == first + 1
        # The resend reached nobody: the next message the watcher sees is the new one.
        news = next_of(watcher, "user")
        assert (news["id"], news["message"]) == (first + 1, "another")


def post(server: ServerProcess, room: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    request = urllib.request.Request(
        f"{server.url}/api/rooms/{room}/messages",
        data=json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {API_KEY}", "Content-Type": "application/json"},
        method="POST",
    )
    with NO_PROXY.open(request, timeout=10) as response:
        return response.status, json.loads(response.read())


def test_the_api_stores_a_resent_ref_once(roomy_server: ServerProcess) -> None:
    """POST with the same nick, ref and text twice: one message, the same frame back."""
    room = unique("api")
    with join(roomy_server, room, "watcher") as watcher:
        status, first = post(roomy_server, room, {"nick": "bot", "message": "deploy done", "ref": "d-1"})
        again_status, again = post(
            roomy_server, room, {"nick": "bot", "message": "deploy done", "ref": "d-1"}
        )
        assert (status, again_status) == (201, 201)
        assert again == first
        post(roomy_server, room, {"nick": "bot", "message": "next"})
        assert [next_of(watcher, "user")["message"] for _ in range(2)] == ["deploy done", "next"]


# --- stopping with messages in the store's hands --------------------------


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    """A redis-server of this test's own."""
    server = RedisServer(tmp_path).start()
    yield server
    server.stop()


def test_sigterm_with_messages_in_flight_acks_them_then_closes_1001(redis_server: RedisServer) -> None:
    """Messages Redis is still storing when the stop comes are acked before 1001."""
    with ServerProcess(":memory:", "--redis-url", redis_server.url, "--burst", "50") as server:
        ann = RawMember(server.port, "lobby", "ann")
        admin = redis_server.client()
        # Redis holds every write for a moment: the messages are in flight.
        admin.execute_command("CLIENT", "PAUSE", "700", "WRITE")
        ann.sock.sendall(b"".join(message(f"m{n}", str(n)) for n in range(10)))
        time.sleep(0.2)
        server.process.send_signal(signal.SIGTERM)  # type: ignore[union-attr]
        frames, code = ann.until_close()
        assert server.stop() == 0
        assert code == 1001
        assert sorted(acks(frames).values()) == list(range(1, 11))
        with contextlib.closing(sqlite3.connect(server.db)) as db:
            assert db.execute("SELECT last_id FROM rooms WHERE room = 'lobby'").fetchone() == (10,)


def test_a_resend_to_the_other_node_is_stored_once(redis_server: RedisServer) -> None:
    """Two processes on one Redis: the ack lost on one node, the resend on the other gets the first id."""
    with (
        ServerProcess(":memory:", "--redis-url", redis_server.url) as one,
        ServerProcess(":memory:", "--redis-url", redis_server.url) as two,
        join(two, "lobby", "watcher") as watcher,
    ):
        with join(one, "lobby", "ann") as ann:
            ann.send(json.dumps({"type": "message", "message": "hello", "ref": "1"}))
            first = next_of(ann, "ack", skip=("sys", "typing", "user"))["id"]
        assert (next_of(watcher, "user")["id"], left(watcher)) == (first, "ann")
        with join(two, "lobby", "ann") as ann:
            ann.send(json.dumps({"type": "message", "message": "hello", "ref": "1"}))
            assert next_of(ann, "ack", skip=("sys", "typing", "user"))["id"] == first
            ann.send(json.dumps({"type": "message", "message": "then this", "ref": "2"}))
        # The resend reached nobody: the next message the watcher sees is the new one.
        news = next_of(watcher, "user")
        assert (news["id"], news["message"]) == (first + 1, "then this")
