"""The accept loop of a real ``python -m chatroom``: out of descriptors, per-address limits, idle sockets."""

from __future__ import annotations

import asyncio
import contextlib
import http.client
import json
import os
import re
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import tornado.netutil
import tornado.web
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families
from tornado.httpclient import AsyncHTTPClient
from websockets.exceptions import InvalidStatus
from websockets.sync.client import ClientConnection

from chatroom.listener import (
    LISTEN_BACKLOG,
    REQUEST_HEAD_SECONDS,
    AdmittedStream,
    GuardedHTTPServer,
    Listener,
)
from tests.clients import frames_until, join, open_ws, say
from tests.support import NO_PROXY, ServerProcess, wait_until

# A second loopback address (Linux routes all of 127/8 to lo): another client.
OTHER_ADDRESS = "127.0.0.2"


def cpu_seconds(pid: int) -> float:
    """User and system CPU time the process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def raw_socket(server: ServerProcess, source: str = "127.0.0.1", wait: bool = True) -> socket.socket:
    """A TCP connection to the server that sends nothing; ``wait`` false: do not wait for the handshake."""
    sock = socket.socket()
    sock.bind((source, 0))
    if wait:
        sock.settimeout(10)
        sock.connect(("127.0.0.1", server.port))
    else:
        sock.setblocking(False)
        sock.connect_ex(("127.0.0.1", server.port))
    return sock


def http_connection(server: ServerProcess, source: str = "127.0.0.1") -> http.client.HTTPConnection:
    return http.client.HTTPConnection("127.0.0.1", server.port, timeout=10, source_address=(source, 0))


def get(conn: http.client.HTTPConnection, path: str) -> tuple[int, bytes]:
    """GET ``path`` on a kept-alive connection: status and body."""
    conn.request("GET", path)
    response = conn.getresponse()
    return response.status, response.read()


def assert_chat_carries_on(speaker: ClientConnection, listener: ClientConnection, text: str) -> None:
    """``listener`` receives what ``speaker`` says (earlier messages skipped)."""
    say(speaker, text)
    frames_until(listener, lambda frame: frame["type"] == "user" and frame["message"] == text)


def metric(server: ServerProcess, name: str, **labels: str) -> float:
    """One sample of /metrics (0 when the series does not exist yet)."""
    text = NO_PROXY.open(f"{server.url}/metrics", timeout=10).read().decode()
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name and sample.labels == labels:
                return float(sample.value)
    return 0.0


def refused_upgrade(server: ServerProcess, source: str = "127.0.0.1") -> InvalidStatus:
    """The refusal a WebSocket upgrade from ``source`` gets."""
    with pytest.raises(InvalidStatus) as refused:
        open_ws(server, source=source, room="limit", nick="late")
    return refused.value


@contextlib.contextmanager
def many_idle_sockets(server: ServerProcess, count: int, source: str = "127.0.0.1") -> Iterator[None]:
    """``count`` TCP connections that never send a byte, closed on exit."""
    sockets = [raw_socket(server, source, wait=False) for _ in range(count)]
    try:
        yield
    finally:
        for sock in sockets:
            sock.close()


def log_health(server: ServerProcess) -> None:
    """The server's log holds no traceback and stays small."""
    text = server.log()
    assert "Traceback" not in text
    assert "[Errno 24]" not in text
    assert len(text) < 50_000, f"log grew to {len(text)} bytes"


def test_running_out_of_descriptors_pauses_accepting_and_recovers() -> None:
    """Out of descriptors to idle sockets, the server pauses accepting, keeps serving, and recovers."""
    with ServerProcess(":memory:", nofile=(256, 256)) as server:
        assert server.process is not None
        pid = server.process.pid
        ann, bob = join(server, "busy", "ann"), join(server, "busy", "bob")
        health = http_connection(server)
        assert get(health, "/healthz")[0] == 200
        with many_idle_sockets(server, 400):
            wait_until(lambda: len(os.listdir(f"/proc/{pid}/fd")) >= 250)
            started, cpu_before = time.monotonic(), cpu_seconds(pid)
            time.sleep(3)
            cpu_used = cpu_seconds(pid) - cpu_before
            log_health(server)
            # A spinning accept loop burns a whole core: 3 s of CPU in 3 s.
            assert cpu_used < 1.0, f"{cpu_used:.2f} s of CPU in 3 s while out of descriptors"
            assert get(health, "/healthz")[0] == 200
            assert_chat_carries_on(ann, bob, "still here")
            elapsed = time.monotonic() - started
            reports = server.log().count("cannot accept connections: EMFILE")
            assert 1 <= reports <= 2 + elapsed / 10
            log_health(server)
        assert metric(server, "chatroom_accept_failures_total", reason="EMFILE") >= 1
        # Accepting resumes by itself: a new client connects and joins.
        wait_until(lambda: get_status(server) == 200, timeout=20)
        with join(server, "busy", "cy") as cy:
            assert_chat_carries_on(cy, ann, "welcome back")
        ann.close()
        bob.close()
        log_health(server)


def get_status(server: ServerProcess) -> int | None:
    """The status of GET /healthz on a new connection, or None when it cannot connect in time."""
    try:
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=2)
        status, _ = get(conn, "/healthz")
        conn.close()
        return status
    except OSError:
        return None


def test_the_idle_socket_attack_is_refused_per_address() -> None:
    """300 idle sockets from one address under a limit of 5: the rest get 429, others are served."""
    with ServerProcess(":memory:", "--max-connections-per-ip", "5", nofile=(256, 256)) as server:
        assert server.process is not None
        pid = server.process.pid
        ann = join(server, "attack", "ann", source=OTHER_ADDRESS)
        bob = join(server, "attack", "bob", source=OTHER_ADDRESS)
        cpu_before = cpu_seconds(pid)
        sockets = [raw_socket(server) for _ in range(5)]
        try:
            # Over the limit, one that sends a request is answered 429...
            assert refused_upgrade(server).response.status_code == 429
            sockets += [raw_socket(server) for _ in range(295)]
            # ...and silent ones are closed without an answer, within seconds.
            assert [sock.recv(4096) for sock in sockets[5:]] == [b""] * 295
            health = http_connection(server, OTHER_ADDRESS)
            assert get(health, "/healthz")[0] == 200
            assert_chat_carries_on(ann, bob, "unbothered")
            assert cpu_seconds(pid) - cpu_before < 3.0
        finally:
            for sock in sockets:
                sock.close()
        assert metric(server, "chatroom_connections_refused_total", reason="too_many_connections") == 296
        assert metric(server, "chatroom_accept_failures_total", reason="EMFILE") == 0
        log_health(server)


def test_every_connection_counts_against_the_per_address_limit() -> None:
    """Plain TCP and HTTP connections count: the address's next WebSocket gets 429, other addresses do not."""
    with ServerProcess(":memory:", "--max-connections-per-ip", "3") as server:
        idle = raw_socket(server)
        page = http_connection(server)
        assert get(page, "/")[0] == 200
        ws = join(server, "limit", "ann")
        refused = refused_upgrade(server)
        assert refused.response.status_code == 429
        assert json.loads(refused.response.body or b"{}")["error"] == "too_many_connections"
        assert get_status(server) == 429
        # Another address is unaffected, and so are the three connections open.
        with join(server, "limit", "bob", source=OTHER_ADDRESS) as bob:
            assert_chat_carries_on(bob, ws, "hello")
        assert get(page, "/healthz")[0] == 200
        # Closing one connection frees its slot.
        idle.close()
        wait_until(lambda: get_status(server) == 200)
        ws.close()
        page.close()


def test_behind_a_proxy_the_proxys_connections_are_not_limited() -> None:
    """With --xheaders the TCP peer is the proxy: its connections are not counted per address."""
    with ServerProcess(":memory:", "--max-connections-per-ip", "1", "--xheaders") as server:
        pages = [http_connection(server) for _ in range(3)]
        assert [get(page, "/healthz")[0] for page in pages] == [200, 200, 200]
        for page in pages:
            page.close()


def test_a_connection_that_sends_no_request_is_closed() -> None:
    """A connection without a request head within seconds is closed; kept-alive ones and WebSockets stay."""
    with ServerProcess(":memory:") as server:
        silent = raw_socket(server)
        dripping = raw_socket(server)
        dripping.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        kept_alive = http_connection(server)
        assert get(kept_alive, "/healthz")[0] == 200
        ann, bob = join(server, "idle", "ann"), join(server, "idle", "bob")
        started = time.monotonic()
        silent.settimeout(30)
        dripping.settimeout(30)
        assert silent.recv(1) == b""
        assert dripping.recv(1) == b""
        # Generous: 60 s (the keep-alive timeout) would fail it.
        assert time.monotonic() - started < REQUEST_HEAD_SECONDS + 10
        time.sleep(max(0.0, started + REQUEST_HEAD_SECONDS + 1 - time.monotonic()))
        assert get(kept_alive, "/healthz")[0] == 200
        assert_chat_carries_on(ann, bob, "still open")
        assert metric(server, "chatroom_request_head_timeouts_total") == 2
        ann.close()
        bob.close()


def test_the_soft_descriptor_limit_is_raised_to_the_hard_limit() -> None:
    """A soft descriptor limit below the hard one is raised at start, logged and shown in /metrics."""
    with ServerProcess(":memory:", nofile=(256, 4096)) as server:
        assert server.process is not None
        limits = Path(f"/proc/{server.process.pid}/limits").read_text()
        assert re.search(r"Max open files\s+4096\s+4096", limits)
        assert "descriptor limit raised from 256 to 4096" in server.log()
        assert metric(server, "process_max_fds") == 4096


def test_a_stream_that_shed_its_write_queues_still_writes_everything_in_order() -> None:
    """Idle streams share empty stand-ins for their write queues; a write gives a stream its own again."""

    async def main() -> None:
        pairs = [socket.socketpair() for _ in range(2)]
        first, second = (
            AdmittedStream(mine, on_close=lambda: None, max_buffer_size=None, read_chunk_size=None)
            for mine, _ in pairs
        )
        await first.write(b"hello ")
        for stream in (first, second):
            stream.shed_write_queues()
        big = b"x" * (4 * 1024 * 1024)  # more than the socket takes at once: the rest is queued
        written = first.write(big)
        assert first.writing() and not second.writing()
        first.write(b" bye")
        theirs = pairs[0][1]
        theirs.setblocking(False)
        received = bytearray()
        while not written.done() or len(received) < 6 + len(big) + 4:
            await asyncio.sleep(0.001)
            with contextlib.suppress(BlockingIOError):
                received += theirs.recv(1 << 20)
        assert bytes(received) == b"hello " + big + b" bye"
        second.write(b"still mine")
        assert pairs[1][1].recv(100) == b"still mine"
        for stream in (first, second):
            stream.close()
        for _, other in pairs:
            other.close()

    asyncio.run(main())


class _Hello(tornado.web.RequestHandler):
    def get(self) -> None:
        self.write("hello")


def test_while_busy_nothing_is_accepted_then_the_waiting_connection_is_served() -> None:
    """While ``busy()`` (a long line of joins) a connection waits in the backlog; then it is served."""

    async def main() -> None:
        busy = True
        server = GuardedHTTPServer(tornado.web.Application([(r"/", _Hello)]))
        sockets = tornado.netutil.bind_sockets(0, "127.0.0.1", backlog=LISTEN_BACKLOG)
        listener = Listener(server, sockets, 0, count_peers=True, busy=lambda: busy)
        pauses = REGISTRY.get_sample_value("chatroom_accept_pauses_total") or 0.0
        listener.start()
        try:
            port = sockets[0].getsockname()[1]
            answer = asyncio.ensure_future(AsyncHTTPClient().fetch(f"http://127.0.0.1:{port}/"))
            await asyncio.sleep(0.3)
            assert not answer.done() and listener.counter.total() == 0
            assert (REGISTRY.get_sample_value("chatroom_accept_pauses_total") or 0.0) > pauses
            busy = False
            assert (await asyncio.wait_for(answer, 5)).body == b"hello"
        finally:
            listener.stop()
            server.stop()

    asyncio.run(main())
