"""Room affinity under --processes: a room's members gathered in its worker, on real processes."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
import tornado.routing

from chatroom import room_affinity
from chatroom.app import make_app
from chatroom.config import Settings
from chatroom.handlers import ChatSocketHandler
from chatroom.room_affinity import Handoff, owner_of, room_of_request
from chatroom.service import embedded

from .clients import ANY_TYPE, aclose_code, ajoin, anext_of
from .redis_server import RedisServer
from .support import ServerProcess, http_status, wait_until
from .test_cluster import WAIT, node, redis_server, worker_connections  # noqa: F401

# --- which room a request opens ------------------------------------------------


@pytest.mark.parametrize(
    ("head", "room"),
    [
        (b"GET /ws?room=team&nick=ann HTTP/1.1\r\nHost: x\r\n\r\n", "team"),
        (b"GET /ws?nick=ann HTTP/1.1\r\n", "lobby"),
        (b"GET /ws HTTP/1.1\r\n", "lobby"),
        (b"GET /ws?room=%E8%81%8A%E5%A4%A9&since=4 HTTP/1.1\r\n", "聊天"),
        # NFD and NFC spellings of one room go to one worker.
        (b"GET /ws?room=cafe%CC%81 HTTP/1.1\r\n", "café"),
        (b"GET /ws?room=caf%C3%A9 HTTP/1.1\r\n", "café"),
    ],
)
def test_the_room_of_a_chat_socket_request(head: bytes, room: str) -> None:
    """The room named in a chat socket's request line, as the server names it."""
    assert room_of_request(head) == room


@pytest.mark.parametrize(
    "head",
    [
        b"GET /ws?room=team HTTP/1.1",  # the line has not all arrived
        b"GET /?room=team HTTP/1.1\r\n",  # the page, not the socket
        b"GET /wsx?room=team HTTP/1.1\r\n",
        b"POST /ws?room=team HTTP/1.1\r\n",
        b"GET /ws?room=no%20spaces%20here! HTTP/1.1\r\n",  # not a room name
        b"GET /ws?room=%FF HTTP/1.1\r\n",
        b"GET /ws?room=\xff HTTP/1.1\r\n",
        b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n",  # TLS, say
        b"GET  /ws HTTP/1.1\r\n",
        b"",
    ],
)
def test_requests_that_open_no_known_room(head: bytes) -> None:
    """Anything but a whole chat socket request line in a valid room is served where it landed."""
    assert room_of_request(head) is None


def test_owners_are_stable_and_spread() -> None:
    """A room's worker is the same in every process and start; many rooms fill every worker."""
    assert owner_of("lobby", 4) == owner_of("lobby", 4)
    assert [owner_of(room, 3) for room in ("lobby", "team", "random")] == [
        owner_of(room, 3) for room in ("lobby", "team", "random")
    ]
    counts = [0, 0, 0, 0]
    for n in range(400):
        counts[owner_of(f"room-{n}", 4)] += 1
    assert all(70 < count < 130 for count in counts), counts


def rooms_by_owner(workers: int) -> list[str]:
    """One room name per worker index."""
    found: dict[int, str] = {}
    n = 0
    while len(found) < workers:
        found.setdefault(owner_of(f"room-{n}", workers), f"room-{n}")
        n += 1
    return [found[index] for index in range(workers)]


# --- handing a connection over ------------------------------------------------


@pytest.fixture
def channels() -> Iterator[list[tuple[socket.socket, socket.socket]]]:
    """Two workers' channels, as the pool makes them."""
    pairs = [socket.socketpair(), socket.socketpair()]
    yield pairs
    for pair in pairs:
        for end in pair:
            end.close()


def test_a_handed_connection_arrives_with_its_bytes_unread(
    channels: list[tuple[socket.socket, socket.socket]],
) -> None:
    """The connection itself crosses: same peer, and what the client sent is still to be read."""
    sender, receiver = Handoff(0, channels), Handoff(1, channels)
    with socket.create_server(("127.0.0.1", 0)) as server:
        client = socket.create_connection(server.getsockname())
        accepted, address = server.accept()
        client.sendall(b"GET /ws?room=x HTTP/1.1\r\n\r\n")
        time.sleep(0.05)
        assert accepted.recv(64, socket.MSG_PEEK).startswith(b"GET /ws")
        assert sender.hand(accepted, 1)
        accepted.close()
        taken: list[tuple[socket.socket, tuple[str, int]]] = []
        receiver._drain(lambda connection, peer: taken.append((connection, peer)))
        [(connection, peer)] = taken
        assert peer == address
        connection.setblocking(True)
        assert connection.recv(64) == b"GET /ws?room=x HTTP/1.1\r\n\r\n"
        connection.sendall(b"answer")
        assert client.recv(64) == b"answer"
        connection.close()
        client.close()


def test_a_full_queue_keeps_the_connection_here(channels: list[tuple[socket.socket, socket.socket]]) -> None:
    """When the owner's queue is full, ``hand`` says so and the connection stays usable here."""
    sender = Handoff(0, channels)
    with socket.create_server(("127.0.0.1", 0)) as server:
        client = socket.create_connection(server.getsockname())
        accepted, _ = server.accept()
        handed = 0
        while sender.hand(accepted, 1):
            handed += 1
            assert handed < 100_000, "the queue never filled"
        assert handed > 10
        accepted.sendall(b"still mine")
        assert client.recv(64) == b"still mine"
        accepted.close()
        client.close()


# --- real workers ---------------------------------------------------------------


def holders(server: ServerProcess) -> dict[int, int]:
    """Established connections to the server's port, per worker."""
    assert server.process is not None
    return worker_connections(server.process.pid, server.port)


def test_a_rooms_members_gather_in_its_worker(redis_server: RedisServer) -> None:  # noqa: F811
    """--processes 2: every member of a room lands on one worker, each room on its own, and they chat."""
    first, second = rooms_by_owner(2)
    server = node(redis_server, "--processes", "2").start()
    try:

        async def scenario() -> None:
            ones = [(await ajoin(server, first, f"one{i}"))[0] for i in range(10)]
            counts = holders(server)
            assert sorted(counts.values()) == [0, 10], counts
            owner = max(counts, key=lambda pid: counts[pid])
            twos = [(await ajoin(server, second, f"two{i}"))[0] for i in range(6)]
            counts = holders(server)
            assert counts[owner] == 10 and sorted(counts.values()) == [6, 10], counts
            await ones[3].send("gathered")
            for client in ones:
                frame = await anext_of(client, "user", WAIT, skip=ANY_TYPE)
                assert (frame["id"], frame["message"]) == (1, "gathered")
            await twos[0].send("the other room")
            for client in twos:
                assert (await anext_of(client, "user", WAIT, skip=ANY_TYPE))["message"] == "the other room"
            for client in ones + twos:
                await client.close()

        asyncio.run(scenario())
        metrics = [fetch_metrics(server) for _ in range(6)]
        assert any('chatroom_connections_handed_total{outcome="handed"}' in text for text in metrics)
    finally:
        server.stop()


def fetch_metrics(server: ServerProcess) -> str:
    """One worker's /metrics (whichever the kernel picks)."""
    with urllib.request.urlopen(server.url + "/metrics", timeout=WAIT) as answer:
        return str(answer.read().decode())


def test_spread_rooms_leaves_members_where_they_landed(redis_server: RedisServer) -> None:  # noqa: F811
    """--spread-rooms: one room's members sit on both workers, and the bus joins them."""
    server = node(redis_server, "--processes", "2", "--spread-rooms").start()
    try:

        async def scenario() -> None:
            clients = [(await ajoin(server, "lobby", f"user{i}"))[0] for i in range(16)]
            counts = holders(server)
            assert len(counts) == 2 and all(counts.values()), counts
            await clients[0].send("hello all")
            for client in clients:
                assert (await anext_of(client, "user", WAIT, skip=ANY_TYPE))["message"] == "hello all"
            for client in clients:
                await client.close()

        asyncio.run(scenario())
    finally:
        server.stop()


def test_slow_and_plain_requests_are_served_where_they_land(tmp_path: Path) -> None:
    """A request line in pieces, the page and /healthz: served by whichever worker accepted them."""
    redis = RedisServer(tmp_path).start()
    server = ServerProcess(tmp_path / "chat.db", "--redis-url", redis.url, "--processes", "2").start()
    try:
        for _ in range(8):
            assert http_status(server.url + "/healthz") == 200
            assert http_status(server.url + "/") == 200
        with socket.create_connection(("127.0.0.1", server.port), timeout=WAIT) as slow:
            slow.sendall(b"GET /ws?room=lob")
            time.sleep(0.3)
            slow.sendall(
                b"by&nick=slow HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
            )
            assert slow.recv(64).startswith(b"HTTP/1.1 101")
    finally:
        server.stop()
        redis.stop()


def test_a_restarted_worker_takes_its_rooms_back(redis_server: RedisServer) -> None:  # noqa: F811
    """SIGKILL a room's worker: members who join meanwhile are served by its replacement."""
    room, _ = rooms_by_owner(2)
    server = node(redis_server, "--processes", "2").start()
    try:

        async def scenario() -> None:
            first, _ = await ajoin(server, room, "first")
            [owner] = [pid for pid, count in holders(server).items() if count]
            # The pool replaces a worker that ran a while (workers.py), not one that failed at start.
            await asyncio.sleep(max(0.0, 5.5 - (time.monotonic() - started)))
            os.kill(owner, signal.SIGKILL)
            assert await aclose_code(first, WAIT) in (1006, None)
            # Until the dying worker's listening socket is closed, the kernel may still give it a
            # connection, which then dies with it: any server's lot, which clients retry. Wait
            # until the pool has reaped it.
            await asyncio.to_thread(wait_until, lambda: not Path(f"/proc/{owner}").exists())
            later = [(await ajoin(server, room, f"later{i}"))[0] for i in range(4)]
            counts = holders(server)
            assert owner not in counts and sorted(counts.values()) == [0, 4], counts
            await later[0].send("back")
            for client in later:
                assert (await anext_of(client, "user", WAIT, skip=ANY_TYPE))["message"] == "back"
                await client.close()

        started = time.monotonic()
        asyncio.run(scenario())
        assert server.process is not None
        wait_until(lambda: http_status(server.url + "/healthz") == 200)
    finally:
        server.stop()


def test_the_chat_socket_path_is_the_apps() -> None:
    """The path looked for is the one the URL table serves chat sockets on."""
    app = make_app(Settings(), embedded(":memory:"))
    paths = [
        rule.matcher.regex.pattern.rstrip("$")
        for rule in app.wildcard_router.rules
        if rule.target is ChatSocketHandler and isinstance(rule.matcher, tornado.routing.PathMatches)
    ]
    assert paths == [room_affinity.CHAT_SOCKET_PATH]


def test_a_closed_channel_ends_the_drain(channels: list[tuple[socket.socket, socket.socket]]) -> None:
    """With every sender gone the inbox reads end-of-file: the drain says so instead of spinning."""
    receiver = Handoff(1, channels)
    for pair in channels:
        pair[0].close()
    assert receiver._drain(lambda connection, peer: None) is False
