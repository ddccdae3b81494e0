"""Storage benchmark: messages stored and acked per second, and the ack latency storage adds.

Runs the embedded service (SQLite store, in-process bus) in this process (no
network, no JSON), and with
``--server`` also the real ``python -m chatroom`` over WebSockets. Each case
is measured ``--runs`` times in turn and the median is reported:

- synchronous ``full`` and ``normal``;
- group commit (the server's writer) and the naive baseline, one commit per
  message (``max_batch=1``), measured in the same run;
- one sender that waits for each ack, 50 such senders at once, and one sender
  that sends a burst without waiting;
- ``:memory:`` (no disk at all): the latency the disk adds is file minus memory.

Every sender has a room of its own, so the figures are about storing, not
about fanning each message out to 50 members.

    python bench/store_bench.py --runs 5 --server

To count the fsyncs one burst costs, store a single burst under strace:

    strace -f -qq -e trace=fsync,fdatasync -o syncs.txt \
        python bench/store_bench.py --one-burst 1000 --db /tmp/burst.db --max-batch 2000
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from websockets.asyncio.client import ClientConnection, connect  # noqa: E402

from chatroom.service import ChatService, embedded  # noqa: E402

TEXT = "a chat message of about the usual length, " * 2
SHAPES = {
    # name: (senders, messages per sender, wait for each ack)
    "1 sender": (1, 400, True),
    "50 senders": (50, 40, True),
    "1 sender, burst": (1, 2000, False),
}


@dataclass
class Sample:
    """One measured run of one case."""

    messages: int
    seconds: float
    latencies: list[float]
    commits: int = 0

    @property
    def rate(self) -> float:
        return self.messages / self.seconds


@dataclass
class Case:
    """One line of the results table, with every run's sample."""

    store: str
    synchronous: str
    commit: str
    shape: str
    samples: list[Sample] = field(default_factory=list)

    def median(self, value: str) -> float:
        figures = {
            "rate": [s.rate for s in self.samples],
            "p50": [percentile(s.latencies, 50) * 1000 for s in self.samples],
            "p99": [percentile(s.latencies, 99) * 1000 for s in self.samples],
            "per commit": [s.messages / s.commits if s.commits else 0.0 for s in self.samples],
        }
        return statistics.median(figures[value])


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * pct / 100))]


# --- the embedded service in this process ---------------------------------------------


async def measure_backend(path: str, synchronous: str, max_batch: int, shape: str) -> Sample:
    """Store one shape's messages through a fresh embedded service."""
    backend = embedded(path, synchronous=synchronous, max_batch=max_batch)
    await backend.start()
    commits: list[None] = []
    writer = backend.store._writer  # type: ignore[attr-defined]
    assert writer is not None
    conn = writer.conn
    conn.set_trace_callback(lambda sql: commits.append(None) if sql == "COMMIT" else None)
    senders, count, wait = SHAPES[shape]
    started = time.perf_counter()
    if wait:
        per_sender = await asyncio.gather(*(one_at_a_time(backend, n, count) for n in range(senders)))
        latencies = [latency for sender in per_sender for latency in sender]
    else:
        latencies = await burst(backend, count)
    seconds = time.perf_counter() - started
    await backend.close()
    return Sample(senders * count, seconds, latencies, len(commits))


async def one_at_a_time(backend: ChatService, sender: int, count: int) -> list[float]:
    latencies = []
    for _ in range(count):
        sent = time.perf_counter()
        await backend.publish(f"bench-{sender}", f"sender-{sender}", TEXT)
        latencies.append(time.perf_counter() - sent)
    return latencies


async def burst(backend: ChatService, count: int) -> list[float]:
    latencies: list[float] = []
    sent = time.perf_counter()
    futures = [backend.publish("bench", "sender", TEXT) for _ in range(count)]
    for future in futures:
        future.add_done_callback(lambda _: latencies.append(time.perf_counter() - sent))
    await asyncio.gather(*futures)
    return latencies


def backend_cases() -> list[Case]:
    cases = [
        Case("file", synchronous, commit, shape)
        for synchronous in ("full", "normal")
        for commit in ("group", "per message")
        for shape in SHAPES
    ]
    return cases + [Case(":memory:", "-", "group", shape) for shape in SHAPES]


def run_backend_case(case: Case, directory: Path) -> Sample:
    if case.store == ":memory:":
        return asyncio.run(measure_backend(":memory:", "full", 2000, case.shape))
    db = directory / f"bench-{case.synchronous}.db"
    remove_database(db)
    max_batch = 1 if case.commit == "per message" else 2000
    return asyncio.run(measure_backend(str(db), case.synchronous, max_batch, case.shape))


def remove_database(db: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)


# --- the real server over WebSockets --------------------------------------------


@contextmanager
def chat_server(db: str, synchronous: str, port: int) -> Iterator[str]:
    """``python -m chatroom`` on ``port`` with no rate limit: yields its ws:// base."""
    command = [
        sys.executable,
        "-m",
        "chatroom",
        "--port",
        str(port),
        "--db",
        db,
        "--sqlite-synchronous",
        synchronous,
        "--rate",
        "1000000",
        "--burst",
        "1000000",
        "--new-rooms-per-minute",
        "0",
        "--join-rate",
        "0",
        "--log-level",
        "warning",
    ]
    process = subprocess.Popen(command, cwd=REPO)
    try:
        wait_ready(f"http://127.0.0.1:{port}/healthz", process)
        yield f"ws://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(10)


def wait_ready(url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"the server exited {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=1):
                return
        except OSError:
            time.sleep(0.05)
    raise SystemExit("the server did not get ready")


async def measure_server(base: str, shape: str) -> Sample:
    """Send one shape's messages with refs and wait for every ack."""
    senders, count, wait = SHAPES[shape]
    clients = [
        await connect(f"{base}/ws?room=bench&nick=s{n}", max_size=None, max_queue=None)
        for n in range(senders)
    ]
    for client in clients:
        for _ in range(2):  # welcome and history
            await client.recv()
    started = time.perf_counter()
    runs = (ws_sender(client, count, wait) for client in clients)
    per_sender = await asyncio.gather(*runs)
    seconds = time.perf_counter() - started
    for client in clients:
        await client.close()
    return Sample(senders * count, seconds, [latency for sender in per_sender for latency in sender])


async def ws_sender(client: ClientConnection, count: int, wait: bool) -> list[float]:
    sent_at: dict[str, float] = {}
    latencies: list[float] = []

    async def send(n: int) -> None:
        sent_at[str(n)] = time.perf_counter()
        await client.send(json.dumps({"type": "message", "message": TEXT, "ref": str(n)}))

    async def next_ack() -> None:
        while True:
            frame = json.loads(await client.recv())
            if frame["type"] == "ack":
                latencies.append(time.perf_counter() - sent_at[frame["ref"]])
                return
            if frame["type"] == "error":
                raise SystemExit(f"the server refused a message: {frame}")

    for n in range(count):
        await send(n)
        if wait:
            await next_ack()
    while len(latencies) < count:
        await next_ack()
    return latencies


def server_cases() -> list[Case]:
    shapes = ("1 sender", "50 senders")
    cases = [
        Case("server, file", synchronous, "group", shape)
        for synchronous in ("full", "normal")
        for shape in shapes
    ]
    return cases + [Case("server, :memory:", "-", "group", shape) for shape in shapes]


def run_server_case(case: Case, directory: Path, port: int) -> Sample:
    db = ":memory:"
    if case.store != "server, :memory:":
        db = str(directory / f"server-{case.synchronous}.db")
        remove_database(Path(db))
    synchronous = "full" if case.synchronous == "-" else case.synchronous
    with chat_server(db, synchronous, port) as base:
        return asyncio.run(measure_server(base, case.shape))


# --- report ------------------------------------------------------------------------


def table(cases: list[Case]) -> str:
    lines = [
        "| store | synchronous | commit | senders | msgs/s | ack p50 ms | ack p99 ms | msgs per commit |",
        "|---|---|---|---|---:|---:|---:|---:|",
    ]
    for case in cases:
        per_commit = case.median("per commit")
        batch = f"{per_commit:.1f}" if per_commit else "-"
        lines.append(
            f"| {case.store} | {case.synchronous} | {case.commit} | {case.shape} | {case.median('rate'):,.0f}"
            f" | {case.median('p50'):.2f} | {case.median('p99'):.2f} | {batch} |"
        )
    return "\n".join(lines)


def ratios(cases: list[Case]) -> str:
    by_key = {(c.store, c.synchronous, c.commit, c.shape): c for c in cases}
    lines = ["| synchronous | senders | group commit / one commit per message |", "|---|---|---:|"]
    for (store, synchronous, commit, shape), case in by_key.items():
        naive = by_key.get((store, synchronous, "per message", shape))
        if commit == "group" and naive is not None:
            ratio = case.median("rate") / naive.median("rate")
            lines.append(f"| {synchronous} | {shape} | {ratio:.1f}x |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="runs of every case; medians are reported")
    parser.add_argument("--server", action="store_true", help="also measure the real server over WebSockets")
    parser.add_argument(
        "--dir", type=Path, default=None, help="where the database files go (default: a temp dir)"
    )
    parser.add_argument("--one-burst", type=int, default=0, help="only store one burst of N messages in --db")
    parser.add_argument("--db", type=Path, default=Path("burst.db"), help="the database of --one-burst")
    parser.add_argument("--max-batch", type=int, default=2000, help="with --one-burst: 1 for one commit each")
    parser.add_argument("--synchronous", choices=("full", "normal"), default="full", help="with --one-burst")
    args = parser.parse_args()
    if args.one_burst:
        asyncio.run(one_burst(args.db, args.one_burst, args.max_batch, args.synchronous))
        return
    directory = args.dir or Path(tempfile.mkdtemp(prefix="chatroom-bench-"))
    directory.mkdir(parents=True, exist_ok=True)
    cases = backend_cases()
    live = server_cases() if args.server else []
    port = free_port()
    for run in range(args.runs):
        for case in cases:
            case.samples.append(run_backend_case(case, directory))
        for case in live:
            case.samples.append(run_server_case(case, directory, port))
        print(f"run {run + 1}/{args.runs} done", file=sys.stderr)
    if args.dir is None:
        shutil.rmtree(directory)
    print(f"SQLite store in one process, median of {args.runs} runs ({os.cpu_count()} cores):\n")
    print(table(cases))
    print("\nGroup commit against the naive baseline, same runs:\n")
    print(ratios(cases))
    if live:
        print(
            f"\nThe real server over WebSockets (ack latency as the client sees it),"
            f" median of {args.runs} runs:\n"
        )
        print(table(live))


async def one_burst(db: Path, count: int, max_batch: int, synchronous: str) -> None:
    """Start on a fresh ``db``, store ``count`` messages at once, close."""
    remove_database(db)
    backend = embedded(str(db), synchronous=synchronous, max_batch=max_batch)
    await backend.start()
    await burst(backend, count)
    await backend.close()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


if __name__ == "__main__":
    main()
