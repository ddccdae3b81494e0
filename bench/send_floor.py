"""The floor under a broadcast's latency on this machine, with no chat server.

A message to a room at a fixed rate costs, at the least, one durable commit
and one ``send`` per member. This measures both with nothing else around
them, pinned the way bench/run.py pins a server (core 0, the reader on core 1):

- **round**: a bare Python loop of ``socket.send`` over N connected loopback
  TCP sockets (no framing, no JSON, no checks), the reader a C process that
  discards everything (bench/sink.c). Rounds are spaced by ``--gap`` so the
  reader sleeps in between, as a room at a fixed rate lets it. On loopback the
  sender's core also runs the receiving side of TCP and wakes the reader.
- **commit**: one message stored the way the product stores it: SQLite in
  WAL mode with ``synchronous=full``, one row per transaction, on the disk
  the benchmark's databases use (a temporary directory), spaced by the same
  ``--gap``: on a virtual disk an fsync after 20 ms of quiet can take twice
  as long as one after 2 ms.

A member's latency is at least the commit plus its place in the round, so the
p99 over all deliveries of a room of N is at least about the commit's median
plus 0.99 of a round.

    make -C bench && python bench/send_floor.py --members 1000
    python bench/send_floor.py --members 100 --gap 0.002
"""

from __future__ import annotations

import argparse
import contextlib
import os
import resource
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

# Pinned exactly as the runner pins a server and its load generator.
from run import CLIENT_CORE, SERVER_CORE, free_port

BENCH = Path(__file__).resolve().parent
SINK = BENCH / "build" / "sink"
FRAME = b"\x81\x7e\x00\xdc" + b"x" * 220  # about a user frame with 100 bytes of text


def percentile(values: list[float], q: float) -> float:
    """The q-quantile of ``values`` (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


@contextlib.contextmanager
def sink() -> Iterator[int]:
    """Run the discarding reader on the reader core; yield its port."""
    port = free_port()
    process = subprocess.Popen(["taskset", "-c", CLIENT_CORE, str(SINK), str(port)])
    try:
        for _ in range(100):
            with contextlib.suppress(OSError):
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            time.sleep(0.05)
        yield port
    finally:
        process.terminate()
        process.wait()


def members(port: int, count: int) -> list[socket.socket]:
    """``count`` connections to the sink, set up as the server sets its members'."""
    sockets = []
    for _ in range(count):
        sock = socket.create_connection(("127.0.0.1", port))
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.setblocking(False)
        sockets.append(sock)
    return sockets


def round_times(sockets: list[socket.socket], rounds: int, gap: float) -> list[float]:
    """Seconds each bare round of sends took."""
    sends = [sock.send for sock in sockets]
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        for send in sends:
            send(FRAME)
        times.append(time.perf_counter() - started)
        time.sleep(gap)
    return times


def commit_times(count: int, gap: float) -> list[float]:
    """Seconds each one-message durable commit took."""
    with tempfile.TemporaryDirectory(prefix="chatroom-floor-") as directory:
        conn = sqlite3.connect(os.path.join(directory, "floor.db"), isolation_level=None)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=full")
        conn.execute("CREATE TABLE messages (room TEXT, id INTEGER, nick TEXT, message TEXT, ts INTEGER,"
                     " PRIMARY KEY (room, id)) WITHOUT ROWID")  # fmt: skip
        times = []
        for message_id in range(1, count + 1):
            started = time.perf_counter()
            conn.execute("BEGIN IMMEDIATE")
            conn.execute("INSERT INTO messages VALUES ('bench', ?, 'm0', ?, 0)", (message_id, "x" * 100))
            conn.execute("COMMIT")
            times.append(time.perf_counter() - started)
            time.sleep(gap)
        conn.close()
    return times


def summary(name: str, seconds: list[float], per: int = 1) -> str:
    """One line of percentiles in milliseconds (and microseconds per send)."""
    line = "{:<16} p50 {:7.2f} ms  p90 {:7.2f} ms  p99 {:7.2f} ms".format(
        name, *(percentile(seconds, q) * 1e3 for q in (0.5, 0.9, 0.99))
    )
    if per > 1:
        line += f"  ({statistics.median(seconds) / per * 1e6:.1f} µs a send)"
    return line


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--members", default="100,1000", help="comma-separated list")
    parser.add_argument("--rounds", type=int, default=300)
    parser.add_argument("--gap", type=float, default=0.02, help="seconds between rounds, and between commits")
    parser.add_argument("--commits", type=int, default=300)
    args = parser.parse_args()
    if not SINK.exists():
        subprocess.run(["make", "-s", "-C", str(BENCH)], check=True)
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    os.sched_setaffinity(0, {int(SERVER_CORE)})
    commits = commit_times(args.commits, args.gap)
    print(summary("commit", commits))
    with sink() as port:
        for count in map(int, args.members.split(",")):
            sockets = members(port, count)
            time.sleep(0.5)
            rounds = round_times(sockets, args.rounds, args.gap)
            print(summary(f"round of {count}", rounds, per=count))
            low = statistics.median(commits) + 0.99 * statistics.median(rounds)
            print(f"{'':16} floor under the p99 of deliveries: about {low * 1e3:.2f} ms")
            for sock in sockets:
                sock.close()
    sys.stdout.flush()


if __name__ == "__main__":
    main()
