"""Soak: minutes of churn against a real ``python -m chatroom``, watching its resources.

Runs a server subprocess on a free loopback port with a SQLite file in a
temporary directory, then, for ``--minutes``, keeps up:

- steady members that stay the whole run and read everything (and check that
  every message of their room arrives once, in id order);
- chatters among them that send messages at a steady rate;
- churners that connect, send a few messages, and leave — politely or by
  dropping the TCP connection;
- slow readers: raw sockets with a small receive buffer that never read, so the
  server must cut them off (1013) instead of buffering for them.

Every ``--sample`` seconds it records the server's RSS (/proc/PID/status),
open file descriptors (/proc/PID/fd), threads, and the open-connection gauge
from /metrics. At the end it stops the load, waits for the server to settle
and prints a summary: a leak shows as RSS or fds that keep growing, or
connections that stay open after every client left.

    python bench/soak.py --minutes 10
    python bench/soak.py --minutes 30 --csv soak.csv
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import csv
import os
import random
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

REPO = Path(__file__).resolve().parent.parent


@dataclass
class Tally:
    """What the load did, and what went wrong for it."""

    sessions: int = 0
    sent: int = 0
    received: int = 0
    slow_cut: int = 0
    slow_sessions: int = 0
    aborted: int = 0
    gaps: int = 0
    errors: int = 0
    refused_upgrades: int = 0
    order_errors: int = 0
    closes: dict[str, int] = field(default_factory=dict)

    def closed(self, role: str, code: int | None) -> None:
        key = f"{role} {int(code) if code is not None else 1006}"
        self.closes[key] = self.closes.get(key, 0) + 1


@dataclass
class Sample:
    """The server's resources at one moment."""

    elapsed: float
    rss_kib: int
    fds: int
    threads: int
    connections: float


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_server(port: int, db: Path, log: Path, extra: list[str]) -> subprocess.Popen[bytes]:
    """The server subprocess, ready when /healthz answers."""
    command = [sys.executable, "-m", "chatroom", "--port", str(port), "--db", str(db), *extra]
    with open(log, "wb") as out:
        server = subprocess.Popen(command, cwd=REPO, stdout=out, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"server exited {server.returncode}; see {log}")
        with (
            contextlib.suppress(OSError),
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1),
        ):
            return server
        time.sleep(0.1)
    server.kill()
    raise SystemExit("server did not become ready")


def read_status(pid: int) -> tuple[int, int]:
    """RSS in KiB and thread count from /proc/PID/status."""
    text = Path(f"/proc/{pid}/status").read_text()
    rss = int(re.search(r"^VmRSS:\s+(\d+)", text, re.M).group(1))  # type: ignore[union-attr]
    threads = int(re.search(r"^Threads:\s+(\d+)", text, re.M).group(1))  # type: ignore[union-attr]
    return rss, threads


def open_connections(port: int) -> float:
    """The chatroom_connections_open gauge from /metrics."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
        text = response.read().decode()
    match = re.search(r"^chatroom_connections_open (\S+)$", text, re.M)
    return float(match.group(1)) if match else float("nan")


def take_sample(pid: int, port: int, started: float) -> Sample:
    rss, threads = read_status(pid)
    fds = len(os.listdir(f"/proc/{pid}/fd"))
    return Sample(time.monotonic() - started, rss, fds, threads, open_connections(port))


async def sample_forever(pid: int, port: int, started: float, every: float, samples: list[Sample]) -> None:
    while True:
        sample = await asyncio.to_thread(take_sample, pid, port, started)
        samples.append(sample)
        print(
            f"{sample.elapsed:7.0f}s  rss {sample.rss_kib / 1024:7.1f} MiB  fds {sample.fds:5d}"
            f"  threads {sample.threads:3d}  connections {sample.connections:5.0f}",
            flush=True,
        )
        await asyncio.sleep(every)


def ws_url(port: int, room: str, nick: str) -> str:
    return f"ws://127.0.0.1:{port}/ws?room={room}&nick={nick}"


async def steady_member(
    port: int, room: str, nick: str, send_every: float | None, stop: asyncio.Event, tally: Tally
) -> None:
    """Stay the whole run; check ids arrive in order; optionally chat."""
    async with connect(ws_url(port, room, nick), max_size=None) as ws:
        tally.sessions += 1
        sender = asyncio.create_task(chat(ws, send_every, stop, tally)) if send_every else None
        leaver = asyncio.create_task(close_on(stop, ws))
        last_id = 0
        try:
            async for raw in ws:
                frame = orjson.loads(raw)
                if frame.get("type") == "welcome":
                    last_id = frame["last_id"]
                elif frame.get("type") == "history" and frame["messages"]:
                    last_id = max(last_id, frame["messages"][-1]["id"])
                elif frame.get("type") == "user":
                    tally.received += 1
                    # A member receives every message of its room: ids go up by one.
                    if frame["id"] <= last_id:
                        tally.order_errors += 1
                    elif frame["id"] != last_id + 1:
                        tally.gaps += 1
                    last_id = frame["id"]
        except ConnectionClosed:
            pass
        finally:
            leaver.cancel()
            if sender:
                sender.cancel()
        tally.closed("steady", ws.close_code)


async def close_on(stop: asyncio.Event, ws: ClientConnection) -> None:
    await stop.wait()
    await ws.close()


async def chat(ws: ClientConnection, every: float, stop: asyncio.Event, tally: Tally) -> None:
    while not stop.is_set():
        await ws.send(orjson.dumps({"type": "message", "message": f"steady {time.time():.3f}"}).decode())
        tally.sent += 1
        await asyncio.sleep(every)


async def drain(ws: ClientConnection) -> None:
    """Read and forget every frame, so this client never falls behind."""
    with contextlib.suppress(ConnectionClosed):
        async for _ in ws:
            pass


async def churner(port: int, rooms: list[str], worker: int, stop: asyncio.Event, tally: Tally) -> None:
    """Connect, say a little, leave (politely or not), again and again."""
    rng = random.Random(worker)
    session = 0
    while not stop.is_set():
        session += 1
        room = rng.choice(rooms)
        try:
            async with connect(ws_url(port, room, f"churn{worker}-{session}"), max_size=None) as ws:
                tally.sessions += 1
                reader = asyncio.create_task(drain(ws))
                for _ in range(rng.randint(0, 5)):
                    await ws.send(f"churn message {session}")
                    tally.sent += 1
                    await asyncio.sleep(rng.uniform(0, 0.3))
                if rng.random() < 0.3:
                    ws.transport.abort()  # vanish without a close frame
                    tally.aborted += 1
                    reader.cancel()
                    continue
                reader.cancel()
            tally.closed("churner", ws.close_code)
        except InvalidStatus:
            tally.refused_upgrades += 1
        except (ConnectionClosed, OSError):
            tally.errors += 1
        await asyncio.sleep(rng.uniform(0, 0.5))


def upgrade_request(port: int, room: str, nick: str) -> bytes:
    key = base64.b64encode(os.urandom(16)).decode()
    return (
        f"GET /ws?room={room}&nick={nick} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
        "Upgrade: websocket\r\nConnection: Upgrade\r\n"
        f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
    ).encode()


async def slow_reader(
    port: int, room: str, worker: int, hold: float, stop: asyncio.Event, tally: Tally
) -> None:
    """A client that never reads: the server must cut it off, not buffer for it."""
    session = 0
    loop = asyncio.get_running_loop()
    while not stop.is_set():
        session += 1
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sock.setblocking(False)
        try:
            await loop.sock_connect(sock, ("127.0.0.1", port))
            await loop.sock_sendall(sock, upgrade_request(port, room, f"slow{worker}-{session}"))
            tally.slow_sessions += 1
            await asyncio.sleep(hold)
            if await was_cut_off(sock):
                tally.slow_cut += 1
        except OSError:
            pass
        finally:
            sock.close()


async def was_cut_off(sock: socket.socket) -> bool:
    """Read what the server left: did it end the stream (1013 or a dropped connection)?"""
    loop = asyncio.get_running_loop()
    while True:
        try:
            chunk = await asyncio.wait_for(loop.sock_recv(sock, 1 << 20), timeout=2)
        except TimeoutError:
            return False  # still open: the server is still holding it
        except ConnectionResetError:
            return True
        if not chunk:
            return True


async def flooder(port: int, room: str, rate: float, size: int, stop: asyncio.Event, tally: Tally) -> None:
    """Sends big messages fast into the slow readers' room, and reads everything."""
    async with connect(ws_url(port, room, "flooder"), max_size=None) as ws:
        tally.sessions += 1

        reader = asyncio.create_task(drain(ws))
        text = "x" * size
        while not stop.is_set():
            await ws.send(text)
            tally.sent += 1
            await asyncio.sleep(1.0 / rate)
        reader.cancel()


async def run_load(args: argparse.Namespace, port: int, pid: int) -> tuple[Tally, list[Sample]]:
    tally = Tally()
    samples: list[Sample] = []
    stop = asyncio.Event()
    started = time.monotonic()
    rooms = [f"soak{n}" for n in range(args.rooms)]
    sampler = asyncio.create_task(sample_forever(pid, port, started, args.sample, samples))
    workers: list[asyncio.Task[Any]] = []
    for n in range(args.steady):
        every = 1.0 / args.chat_rate if n < args.chatters else None
        room = rooms[n % len(rooms)]
        workers.append(asyncio.create_task(steady_member(port, room, f"steady{n}", every, stop, tally)))
    workers += [asyncio.create_task(churner(port, rooms, n, stop, tally)) for n in range(args.churners)]
    workers.append(asyncio.create_task(flooder(port, rooms[0], args.flood_rate, 2000, stop, tally)))
    workers += [
        asyncio.create_task(slow_reader(port, rooms[0], n, args.slow_hold, stop, tally))
        for n in range(args.slow)
    ]
    await asyncio.sleep(args.minutes * 60)
    stop.set()
    await asyncio.wait(workers, timeout=30)
    for task in workers:
        task.cancel()
    await asyncio.sleep(args.settle)
    sampler.cancel()
    samples.append(await asyncio.to_thread(take_sample, pid, port, started))
    return tally, samples


def summarize(tally: Tally, samples: list[Sample], baseline: Sample) -> str:
    warm = samples[min(len(samples) - 1, max(1, len(samples) // 10))]
    peak_rss = max(s.rss_kib for s in samples)
    peak_fds = max(s.fds for s in samples)
    peak_conns = max(s.connections for s in samples)
    final = samples[-1]
    lines = [
        f"sessions opened        {tally.sessions} (+ {tally.slow_sessions} slow readers,"
        f" {tally.slow_cut} of them cut off by the server)",
        f"messages sent          {tally.sent}",
        f"user frames received   {tally.received} by steady members;"
        f" out of order {tally.order_errors}, gaps {tally.gaps}",
        f"close codes seen       {dict(sorted(tally.closes.items()))};"
        f" {tally.aborted} churners dropped TCP; {tally.errors} sessions failed",
        f"upgrades refused       {tally.refused_upgrades}",
        f"RSS  idle {baseline.rss_kib / 1024:.1f} MiB, after warm-up {warm.rss_kib / 1024:.1f},"
        f" peak {peak_rss / 1024:.1f}, end {final.rss_kib / 1024:.1f} MiB",
        f"fds  idle {baseline.fds}, peak {peak_fds}, after the load left {final.fds}",
        f"threads idle {baseline.threads}, end {final.threads}",
        f"connections open: peak {peak_conns:.0f}, after the load left {final.connections:.0f}",
    ]
    return "\n".join(lines)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--rooms", type=int, default=5)
    parser.add_argument("--steady", type=int, default=40, help="members that stay the whole run")
    parser.add_argument("--chatters", type=int, default=10, help="how many steady members also chat")
    parser.add_argument("--chat-rate", type=float, default=5.0, help="messages a second per chatter")
    parser.add_argument("--churners", type=int, default=20, help="connect/leave loops")
    parser.add_argument("--slow", type=int, default=4, help="slow readers that never read")
    parser.add_argument("--slow-hold", type=float, default=60.0, help="seconds a slow reader waits")
    parser.add_argument("--flood-rate", type=float, default=20.0, help="2 kB messages a second")
    parser.add_argument("--sample", type=float, default=10.0, help="seconds between samples")
    parser.add_argument("--settle", type=float, default=5.0, help="seconds to wait after the load")
    parser.add_argument("--csv", type=Path, help="write the samples here")
    parser.add_argument(
        "--server-arg",
        action="append",
        default=[],
        help="extra flag for the server (repeat), e.g. --server-arg=--max-backlog-bytes=65536",
    )
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="chatroom-soak-") as scratch:
        log = Path(scratch) / "server.log"
        # The churn creates rooms and joins them from one address: no limit on either.
        extra = [
            "--max-backlog-bytes",
            "65536",
            "--rate",
            "50",
            "--burst",
            "100",
            "--new-rooms-per-minute",
            "0",
            "--join-rate",
            "0",
        ]
        extra += ["--log-level", "warning", *args.server_arg]
        server = start_server(port, Path(scratch) / "soak.db", log, extra)
        try:
            time.sleep(1)
            baseline = take_sample(server.pid, port, time.monotonic())
            print(f"server pid {server.pid} on port {port}; idle rss {baseline.rss_kib / 1024:.1f} MiB")
            tally, samples = asyncio.run(run_load(args, port, server.pid))
        finally:
            server.send_signal(signal.SIGTERM)
            status = server.wait(15)
        print(summarize(tally, samples, baseline))
        print(f"server exit status {status}")
        tracebacks = log.read_text(errors="replace").count("Traceback")
        print(f"tracebacks in the server log: {tracebacks}")
        if args.csv:
            with open(args.csv, "w", newline="") as out:
                writer = csv.writer(out)
                writer.writerow(["elapsed_s", "rss_kib", "fds", "threads", "connections"])
                for s in samples:
                    writer.writerow([f"{s.elapsed:.0f}", s.rss_kib, s.fds, s.threads, f"{s.connections:.0f}"])


if __name__ == "__main__":
    main()
