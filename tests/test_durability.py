"""No acknowledged message is ever lost: recovery, paging, stop, crash and storage faults.

The in-process tests run the real app and store on this test's event loop, so a
test can hold the replay at the worst moment; the others run the real
``python -m chatroom`` and talk to it over real sockets.
"""

from __future__ import annotations

import asyncio
import json
import os
import resource
import signal
import sqlite3
import subprocess
import sys
import time
import urllib.request
from collections.abc import AsyncIterator, Coroutine
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, TypeVar

import pytest
import tornado.httpclient
import tornado.httpserver
from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosed

from chatroom.app import make_app
from chatroom.backend import RoomRead
from chatroom.config import Settings
from chatroom.service import ChatService, embedded
from tests.clients import (
    ANY_TYPE,
    Frame,
    aclose_code,
    aframes_until,
    anext_of,
    areceive,
    asend_acked,
    asend_message,
    awelcomed,
)
from tests.support import REPO, ServerProcess, free_port, http_status, require_program

T = TypeVar("T")
FAST = ("--rate", "100000", "--burst", "100000", "--log-level", "warning")


def run(coroutine: Coroutine[Any, Any, T], timeout: float = 30) -> T:
    """Run one test's coroutine on a fresh event loop."""
    return asyncio.run(asyncio.wait_for(coroutine, timeout))


# --- the app in this process -----------------------------------------------------


class SlowReplayBackend:
    """An embedded service whose next ``since`` replay waits for the test's word.

    With ``read_first`` the replay is read, then held back (messages stored
    meanwhile are newer than it); otherwise it waits, then reads (they are in
    the replay and also reach the member live).
    """

    def __init__(self, inner: ChatService, read_first: bool) -> None:
        self.inner = inner
        self.read_first = read_first
        self.replay_started = asyncio.Event()
        self.release = asyncio.Event()
        self.armed = True

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    async def read_room(self, room: str, *, after: int | None, limit: int) -> RoomRead:
        if after is None or not self.armed:
            return await self.inner.read_room(room, after=after, limit=limit)
        self.armed = False
        if self.read_first:
            read = await self.inner.read_room(room, after=after, limit=limit)
        self.replay_started.set()
        await self.release.wait()
        if not self.read_first:
            read = await self.inner.read_room(room, after=after, limit=limit)
        return read


@asynccontextmanager
async def app_server(backend: Any) -> AsyncIterator[str]:
    """Serve the real app over ``backend`` on a free port: yields ws://host:port/ws."""
    await backend.start()
    settings = Settings(
        database=":memory:", rate=100000, burst=100000, ping_interval=0, ping_timeout=0, guests=True
    )
    server = tornado.httpserver.HTTPServer(make_app(settings, backend))
    port = free_port()
    server.listen(port, "127.0.0.1")
    try:
        yield f"ws://127.0.0.1:{port}/ws"
    finally:
        server.stop()
        await backend.close()


async def get_json(url: str) -> tuple[int, Any]:
    """GET ``url``: the status and the decoded body."""
    response = await tornado.httpclient.AsyncHTTPClient().fetch(url, raise_error=False)
    return response.code, json.loads(response.body)


# --- exact recovery ----------------------------------------------------------------


@pytest.mark.parametrize("read_first", [True, False], ids=["read-then-held", "held-then-read"])
def test_messages_stored_during_the_replay_arrive_exactly_once(read_first: bool) -> None:
    """Reconnecting with since gives every later id once, in order, though messages land mid-replay."""

    async def scenario() -> tuple[list[int], list[int]]:
        backend = SlowReplayBackend(embedded(":memory:"), read_first)
        async with app_server(backend) as url:
            sender, _, _ = await awelcomed(url, max_queue=None, room="lobby", nick="ann")
            await asend_acked(sender, [f"early {n}" for n in range(10)])
            reconnecting = asyncio.ensure_future(
                awelcomed(url, max_queue=None, room="lobby", nick="bob", since=3)
            )
            await asyncio.wait_for(backend.replay_started.wait(), 10)
            acks = await asend_acked(sender, [f"during {n}" for n in range(15)])
            backend.release.set()
            reader, _, history = await reconnecting
            replayed = [m["id"] for m in history["messages"]]
            await sender.send("after the replay")
            frames = await aframes_until(reader, lambda f: f["type"] == "user" and f["id"] >= 26)
            live = [f["id"] for f in frames if f["type"] == "user"]
            await reader.close()
            await sender.close()
            return replayed + live, sorted(acks.values())

    seen, acked_during = run(scenario())
    assert acked_during == list(range(11, 26))
    assert seen == list(range(4, 27))


def test_a_long_absence_replays_the_newest_thousand_and_says_truncated() -> None:
    """Over 1000 missed gives the newest 1000 with truncated; exactly 1000 is not truncated."""

    async def scenario() -> tuple[Frame, Frame]:
        backend = embedded(":memory:")
        async with app_server(backend) as url:
            await asyncio.gather(*(backend.publish("lobby", "ann", str(n)) for n in range(1005)))
            far, _, far_history = await awelcomed(url, max_queue=None, room="lobby", nick="bob", since=2)
            near, _, near_history = await awelcomed(url, max_queue=None, room="lobby", nick="cy", since=5)
            await far.close()
            await near.close()
        return far_history, near_history

    far, near = run(scenario())
    assert [m["id"] for m in far["messages"]] == list(range(6, 1006))
    assert far["truncated"] is True
    assert [m["id"] for m in near["messages"]] == list(range(6, 1006))
    assert near["truncated"] is False


# --- paging --------------------------------------------------------------------------


def test_history_requests_page_backwards() -> None:
    """A history request answers the N messages before ID, with truncated when older ones remain."""

    async def scenario() -> list[Frame]:
        backend = embedded(":memory:")
        async with app_server(backend) as url:
            await asyncio.gather(*(backend.publish("lobby", "ann", str(n)) for n in range(300)))
            ws, _, _ = await awelcomed(url, max_queue=None, room="lobby", nick="bob")
            answers = []
            for request in (
                {"before": 40, "limit": 5},
                {"before": 3, "limit": 5},
                {"before": 301, "limit": 250},
                {"before": 40, "limit": 0},
            ):
                await ws.send(json.dumps({"type": "history", **request}))
                answers.append(await anext_of(ws, ("history", "error"), skip=ANY_TYPE))
            await ws.close()
        return answers

    recent, oldest, capped, refused = run(scenario())
    assert [m["id"] for m in recent["messages"]] == [35, 36, 37, 38, 39]
    assert recent["truncated"] is True
    assert [m["id"] for m in oldest["messages"]] == [1, 2]
    assert oldest["truncated"] is False
    assert [m["id"] for m in capped["messages"]] == list(range(101, 301))
    assert (refused["type"], refused["code"]) == ("error", "bad_request")


def test_the_messages_api_pages_and_refuses_bad_values_with_json() -> None:
    """GET /api/rooms/{room}/messages pages with after, before and limit; bad values are 400 JSON."""
    queries = {
        "newest": "",
        "after": "?after=10&limit=3",
        "before": "?before=10&limit=3",
        "between": "?after=5&before=9",
        "capped": "?after=0&limit=100000",
        "empty room": "",
    }
    bad = ["?limit=0", "?limit=abc", "?after=-1", "?before=1.5", "?after=99999999999999999999"]

    async def scenario() -> tuple[dict[str, list[int]], list[tuple[int, Any]], tuple[int, Any]]:
        backend = embedded(":memory:")
        async with app_server(backend) as url:
            http = url.replace("ws://", "http://").removesuffix("/ws")
            await asyncio.gather(*(backend.publish("lobby", "ann", str(n)) for n in range(600)))
            pages = {}
            for name, query in queries.items():
                room = "quiet" if name == "empty room" else "lobby"
                status, body = await get_json(f"{http}/api/rooms/{room}/messages{query}")
                assert status == 200, body
                pages[name] = [m["id"] for m in body["messages"]]
            refusals = [await get_json(f"{http}/api/rooms/lobby/messages{query}") for query in bad]
            bad_room = await get_json(f"{http}/api/rooms/-nope/messages")
        return pages, refusals, bad_room

    pages, refusals, bad_room = run(scenario())
    assert pages == {
        "newest": list(range(551, 601)),
        "after": [11, 12, 13],
        "before": [7, 8, 9],
        "between": [6, 7, 8],
        "capped": list(range(1, 501)),
        "empty room": [],
    }
    for status, body in refusals:
        assert status == 400
        assert body["error"] == "bad_request" and body["message"]
    assert bad_room[0] == 400 and bad_room[1]["error"] == "bad_name"


# --- the real server: reconnect under load -------------------------------------------


def test_reconnecting_while_a_sender_floods_misses_and_repeats_nothing(tmp_path: Path) -> None:
    """A reader reconnecting with since while another member floods sees every id once, in order."""

    async def flood(url: str, count: int) -> int:
        ws, _, _ = await awelcomed(url, max_queue=None, room="lobby", nick="flood")
        acks = {}
        for start in range(0, count, 25):
            acks.update(await asend_acked(ws, [f"flood {n}" for n in range(start, start + 25)]))
        await ws.close()
        return max(acks.values())

    async def read_in_short_sessions(url: str, flooding: asyncio.Future[int]) -> list[int]:
        seen: list[int] = []
        session = 0
        while not flooding.done() or not seen or seen[-1] < flooding.result():
            session += 1
            since = seen[-1] if seen else 0
            ws, _, history = await awelcomed(
                url, max_queue=None, room="lobby", nick=f"reader-{session}", since=since
            )
            assert history["truncated"] is False
            seen.extend(m["id"] for m in history["messages"])
            seen.extend(await live_ids(ws, 10, flooding))
            await ws.close()
        return seen

    async def scenario(url: str) -> tuple[list[int], int]:
        flooding = asyncio.ensure_future(flood(url, 1500))
        seen = await read_in_short_sessions(url, flooding)
        return seen, await flooding

    with ServerProcess(tmp_path / "chat.db", *FAST) as server:
        seen, last = run(scenario(server.ws_url), timeout=45)
    assert seen == list(range(1, last + 1))


async def live_ids(ws: ClientConnection, wanted: int, flooding: asyncio.Future[int]) -> list[int]:
    """Ids of up to ``wanted`` live user frames, fewer once the flood is over."""
    ids: list[int] = []
    while len(ids) < wanted and not flooding.done():
        receiving = asyncio.ensure_future(anext_of(ws, "user", skip=ANY_TYPE))
        await asyncio.wait({receiving, flooding}, return_when=asyncio.FIRST_COMPLETED)
        if receiving.done():
            ids.append(receiving.result()["id"])
        else:
            receiving.cancel()
    return ids


# --- the real server: graceful stop, crash, faults --------------------------------------


async def flood_then_signal(server: ServerProcess, signum: int) -> tuple[dict[str, int], list[int | None]]:
    """Acks collected while the server is signalled mid-flood, and the clients' close codes."""
    listener, _, _ = await awelcomed(server, max_queue=None, room="lobby", nick="listener")
    sender, _, _ = await awelcomed(server, max_queue=None, room="lobby", nick="sender")
    for n in range(400):
        await sender.send(json.dumps({"type": "message", "message": f"msg {n}", "ref": str(n)}))
    acks: dict[str, int] = {}
    assert server.process is not None
    try:
        while True:
            frame = await areceive(sender)
            if frame["type"] == "ack":
                acks[frame["ref"]] = frame["id"]
                if len(acks) == 100:
                    server.process.send_signal(signum)
    except ConnectionClosed:
        pass
    return acks, [sender.close_code, await aclose_code(listener)]


def messages_in(db: Path, room: str = "lobby") -> dict[int, str]:
    """id -> text of every message in the file."""
    with sqlite3.connect(db) as conn:
        return dict(conn.execute("SELECT id, message FROM messages WHERE room = ?", (room,)).fetchall())


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_stop_signal_closes_every_member_with_1001_and_keeps_every_acked_message(
    tmp_path: Path, signum: int
) -> None:
    """SIGTERM or SIGINT: members get close 1001, exit 0 within 5 s, every acked message kept."""
    db = tmp_path / "chat.db"
    server = ServerProcess(db, *FAST).start()
    try:
        acks, close_codes = run(flood_then_signal(server, signum))
        refused = http_status(server.url + "/healthz")
        assert server.process is not None
        status = server.process.wait(timeout=5)
    finally:
        if server.process is not None and server.process.poll() is None:
            server.kill()
    assert close_codes == [1001, 1001]
    assert refused is None
    assert status == 0
    stored = messages_in(db)
    assert len(acks) >= 100
    assert {stored.get(msg_id) for msg_id in acks.values()} == {f"msg {ref}" for ref in acks}


async def acks_until_killed(server: ServerProcess, count: int, kill_after: int) -> tuple[dict[str, int], str]:
    """Send ``count`` messages, SIGKILL the server once ``kill_after`` are acked: the acks and the epoch."""
    sender, welcome, _ = await awelcomed(server, max_queue=None, room="lobby", nick="sender")
    for n in range(count):
        await sender.send(json.dumps({"type": "message", "message": f"msg {n}", "ref": str(n)}))
    acks: dict[str, int] = {}
    while len(acks) < kill_after:
        frame = await areceive(sender)
        if frame["type"] == "ack":
            acks[frame["ref"]] = frame["id"]
    server.kill()
    return acks, welcome["epoch"]


def all_messages(server: ServerProcess, room: str = "lobby") -> dict[int, str]:
    """id -> text of every message, paged through the API."""
    found: dict[int, str] = {}
    after = 0
    while True:
        with urllib.request.urlopen(
            f"{server.url}/api/rooms/{room}/messages?after={after}&limit=500"
        ) as reply:
            page = json.load(reply)["messages"]
        if not page:
            return found
        found.update((m["id"], m["message"]) for m in page)
        after = page[-1]["id"]


def test_acked_messages_survive_sigkill_with_their_ids_and_ids_go_on(tmp_path: Path) -> None:
    """Hundreds of acked messages are all there after a SIGKILL and restart, same ids; new ids follow on."""
    db = tmp_path / "chat.db"
    server = ServerProcess(db, *FAST).start()
    acks, epoch = run(acks_until_killed(server, count=800, kill_after=400))
    with ServerProcess(db, *FAST) as restarted:
        stored = all_messages(restarted)

        async def after_restart() -> tuple[Frame, dict[str, int]]:
            ws, welcome, _ = await awelcomed(restarted, max_queue=None, room="lobby", nick="sender")
            new_acks = await asend_acked(ws, ["after the crash"])
            await ws.close()
            return welcome, new_acks

        welcome, new_acks = run(after_restart())
    assert len(acks) >= 400
    assert {msg_id: stored.get(msg_id) for msg_id in acks.values()} == {
        msg_id: f"msg {ref}" for ref, msg_id in acks.items()
    }
    assert sorted(stored) == list(range(1, len(stored) + 1))
    assert welcome["epoch"] == epoch
    assert welcome["last_id"] == len(stored)
    assert new_acks == {"0": len(stored) + 1}


def start_and_fail(db: Path, *wrapper: str) -> subprocess.CompletedProcess[str]:
    """Run the server on ``db`` expecting it to refuse to start."""
    command = [
        *wrapper,
        sys.executable,
        "-m",
        "chatroom",
        "--guests",
        "--port",
        str(free_port()),
        "--db",
        str(db),
    ]
    return subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=20)


def assert_one_line_exit_1(result: subprocess.CompletedProcess[str], path: Path, reason: str) -> None:
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 1, result.stderr
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("chatroom: error:") and str(path) in lines[0] and reason in lines[0]


def test_a_garbage_db_file_stops_the_server_with_one_line(tmp_path: Path) -> None:
    """A --db file that is not a database: one line on stderr naming it, exit status 1."""
    db = tmp_path / "garbage.db"
    db.write_bytes(os.urandom(16384))
    assert_one_line_exit_1(start_and_fail(db), db, "not a database")


def test_a_db_in_a_directory_nobody_may_write_stops_the_server_with_one_line(tmp_path: Path) -> None:
    """A --db in a read-only directory: one line on stderr naming it, exit status 1."""
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    # root writes anywhere; without CAP_DAC_OVERRIDE it obeys the mode like anyone.
    wrapper = (
        (
            require_program("setpriv", "apt-get install util-linux"),
            "--bounding-set=-dac_override,-dac_read_search",
        )
        if os.geteuid() == 0
        else ()
    )
    try:
        assert_one_line_exit_1(
            start_and_fail(locked / "chat.db", *wrapper), locked / "chat.db", "unable to open"
        )
    finally:
        locked.chmod(0o700)


def test_a_full_disk_refuses_messages_keeps_the_stored_ones_and_recovers(tmp_path: Path) -> None:
    """A full disk: error unavailable and /healthz 503, nothing stored is lost, then it recovers."""
    db = tmp_path / "chat.db"
    server = ServerProcess(db, *FAST).start()
    assert server.process is not None
    pid = server.process.pid

    async def scenario() -> dict[str, Any]:
        ws, _, _ = await awelcomed(server, max_queue=None, room="lobby", nick="ann")
        outcome: dict[str, Any] = {"before": await asend_acked(ws, [f"kept {n}" for n in range(50)])}
        # The kernel now refuses any write past the first byte of any file, as a full disk would.
        resource.prlimit(pid, resource.RLIMIT_FSIZE, (1, resource.RLIM_INFINITY))
        outcome["refused"] = await asend_message(ws, "x" * 4000, "probe")
        outcome["health while full"] = await asyncio.to_thread(http_status, server.url + "/healthz")
        resource.prlimit(pid, resource.RLIMIT_FSIZE, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))
        # The background write probe (every few seconds) finds the space again.
        outcome["health after"] = await asyncio.to_thread(health_settles, server, 200)
        outcome["after"] = await asend_acked(ws, [f"later {n}" for n in range(5)])
        await ws.close()
        return outcome

    try:
        outcome = run(scenario())
        assert server.stop() == 0
    finally:
        if server.process.poll() is None:
            server.kill()
    refused = outcome["refused"]
    assert (refused["type"], refused["code"], refused["ref"]) == ("error", "unavailable", "probe")
    assert outcome["health while full"] == 503
    assert outcome["health after"] == 200
    assert sorted(outcome["before"].values()) == list(range(1, 51))
    assert sorted(outcome["after"].values()) == list(range(51, 56))
    with ServerProcess(db, *FAST) as restarted:
        stored = all_messages(restarted)
    assert stored == {n + 1: f"kept {n}" for n in range(50)} | {51 + n: f"later {n}" for n in range(5)}


def health_settles(server: ServerProcess, wanted: int, timeout: float = 20) -> int | None:
    """Poll /healthz until it answers ``wanted`` (a generous guard); its last answer."""
    deadline = time.monotonic() + timeout
    while (status := http_status(server.url + "/healthz")) != wanted and time.monotonic() < deadline:
        time.sleep(0.1)
    return status


def start_on_a_full_disk(server: ServerProcess, limit: int) -> int | None:
    """Start ``server`` unable to write any file past ``limit`` bytes; its first /healthz status.

    Reading the database and opening it need no growth (the WAL starts empty,
    its index is 32 KiB): only new writes fail, as on a disk that filled up.
    """

    def cap_file_size() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, resource.RLIM_INFINITY))

    command = [
        sys.executable,
        "-m",
        "chatroom",
        "--port",
        str(server.port),
        "--db",
        server.db,
        "--guests",
        *server.extra,
    ]
    with open(server._log_file(), "a") as log_file:
        server.process = subprocess.Popen(
            command, cwd=REPO, stdout=log_file, stderr=subprocess.STDOUT, text=True, preexec_fn=cap_file_size
        )
    deadline = time.monotonic() + 15
    while (status := http_status(server.url + "/healthz")) is None and time.monotonic() < deadline:
        assert server.process.poll() is None, server.log()
        time.sleep(0.05)
    return status


def store_writable_metric(server: ServerProcess) -> str:
    """The chatroom_store_writable line of /metrics."""
    with urllib.request.urlopen(server.url + "/metrics", timeout=5) as response:
        lines = response.read().decode().splitlines()
    return str(next(line for line in lines if line.startswith("chatroom_store_writable ")))


def test_a_server_restarted_on_a_full_disk_is_degraded_from_the_start_and_recovers(tmp_path: Path) -> None:
    """Started where nothing fits: /healthz 503 from its first answer, logged once; 200 once space returns."""
    db = tmp_path / "chat.db"
    with ServerProcess(db, *FAST) as first:
        assert all_messages(first) == {}
        run(stored_once(first))
    server = ServerProcess(db, *FAST)
    first_health = start_on_a_full_disk(server, 64 * 1024)
    assert server.process is not None
    try:
        outcome: dict[str, Any] = {"first health": first_health, "metric full": store_writable_metric(server)}

        async def scenario() -> None:
            ws, _, history = await awelcomed(server, max_queue=None, room="lobby", nick="bob")
            outcome["history"] = [frame["message"] for frame in history["messages"]]
            outcome["refused"] = await refused_before_long(ws)
            outcome["health full"] = await asyncio.to_thread(http_status, server.url + "/healthz")
            resource.prlimit(server.process.pid, resource.RLIMIT_FSIZE, (resource.RLIM_INFINITY,) * 2)  # type: ignore[union-attr]
            outcome["health freed"] = await asyncio.to_thread(health_settles, server, 200)
            outcome["acked"] = list((await asend_acked(ws, ["after"])).values())
            await ws.close()

        run(scenario())
        outcome["metric freed"] = store_writable_metric(server)
        assert server.stop() == 0
    finally:
        if server.process.poll() is None:
            server.kill()
    acked = outcome.pop("acked")
    assert outcome == {
        "first health": 503,
        "metric full": "chatroom_store_writable 0.0",
        "history": ["before"],
        "refused": "unavailable",
        "health full": 503,
        "health freed": 200,
        "metric freed": "chatroom_store_writable 1.0",
    }
    (after,) = acked
    with ServerProcess(db, *FAST) as restarted:
        stored = all_messages(restarted)
    assert sorted(stored) == list(range(1, after + 1))
    assert (stored[1], stored[after]) == ("before", "after")
    said = server.log()
    assert said.count("the store cannot be written") == 1, said
    assert said.count("the store accepts writes again") == 1, said


async def refused_before_long(ws: ClientConnection) -> str | None:
    """Send long messages until the store refuses one (what fits in the last free bytes is stored)."""
    for attempt in range(100):
        answer = await asend_message(ws, f"{attempt} " + "x" * 3990, "probe")
        if answer["type"] == "error":
            return str(answer["code"])
    return None


async def stored_once(server: ServerProcess) -> None:
    ws, _, _ = await awelcomed(server, max_queue=None, room="lobby", nick="ann")
    await asend_acked(ws, ["before"])
    await ws.close()


def test_an_idle_server_whose_disk_fills_turns_degraded_without_a_write(tmp_path: Path) -> None:
    """Nobody sends anything: /healthz still turns 503 when the disk fills, and 200 when it empties."""
    with ServerProcess(tmp_path / "chat.db", *FAST) as server:
        assert server.process is not None
        pid = server.process.pid
        resource.prlimit(pid, resource.RLIMIT_FSIZE, (1, resource.RLIM_INFINITY))
        full = health_settles(server, 503)
        resource.prlimit(pid, resource.RLIMIT_FSIZE, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))
        freed = health_settles(server, 200)
    assert (full, freed) == (503, 200)
