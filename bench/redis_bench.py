"""One process vs N processes on one Redis: messages published/s, delivery p99, Redis CPU.

Starts its own redis-server (free port, temporary directory, AOF with
``appendfsync always`` unless told otherwise), then for each process count
runs ``python -m chatroom --redis-url ... --processes N`` and drives it with
the C load generator (bench/loadgen.c) twice:

- flat out: every sender keeps ``--window`` messages in flight; gives the
  most messages the deployment stores and fans out per second;
- at a fixed rate (``--rate``): gives the delivery latency at a load it carries.

CPU of Redis and of every chatroom process comes from /proc (utime + stime)
over the measured interval. Runs alternate the process counts; the summary
prints medians.

    make -C bench && python bench/redis_bench.py --runs 3
    python bench/redis_bench.py --processes 1,2 --members 200 --senders 20 --rate 2000
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
LOADGEN = REPO / "bench" / "build" / "loadgen"
TICKS = os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def cpu_seconds(pid: int) -> float:
    """utime + stime of a process, in seconds."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def family(pid: int) -> list[int]:
    """A process and its children (the workers of --processes)."""
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    return [pid, *map(int, children)]


def wait_healthy(port: int, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1) as answer:
                if answer.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"chatroom on {port} not healthy in {timeout}s")


def start_redis(directory: Path, appendfsync: str) -> tuple[subprocess.Popen[bytes], int]:
    port = free_port()
    command = [
        "redis-server", "--port", str(port), "--bind", "127.0.0.1", "--dir", str(directory),
        "--save", "", "--appendonly", "yes", "--appendfsync", appendfsync,
        "--logfile", str(directory / "redis.log"),
    ]  # fmt: skip
    process = subprocess.Popen(command)
    for _ in range(100):
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return process, port
        time.sleep(0.05)
    raise RuntimeError("redis-server did not start")


def flush_redis(port: int) -> None:
    with socket.create_connection(("127.0.0.1", port)) as conn:
        conn.sendall(b"FLUSHALL\r\n")
        conn.recv(64)


def run_once(
    args: argparse.Namespace, redis_pid: int, redis_port: int, processes: int, rate: float
) -> dict[str, Any]:
    """One chatroom deployment, one load generator run."""
    flush_redis(redis_port)
    port = free_port()
    command = [
        sys.executable, "-m", "chatroom", "--port", str(port), "--db", ":memory:",
        "--redis-url", f"redis://127.0.0.1:{redis_port}/0", "--processes", str(processes),
        "--log-level", "warning", "--rate", "100000", "--burst", "100000",
        "--new-rooms-per-minute", "0",  # the load generator's rooms are new, all from 127.0.0.1
        "--join-rate", "0",  # and it connects thousands of members from there
    ]  # fmt: skip
    server = subprocess.Popen(command, cwd=REPO)
    try:
        wait_healthy(port)
        time.sleep(0.5)
        pids = family(server.pid)
        load = [
            str(LOADGEN), "--port", str(port), "--members", str(args.members),
            "--senders", str(args.senders), "--size", str(args.size),
            "--duration", str(args.duration), "--warmup", str(args.warmup),
        ]  # fmt: skip
        load += ["--rate", str(rate)] if rate else ["--window", str(args.window)]
        before = time.monotonic(), cpu_seconds(redis_pid), sum(cpu_seconds(p) for p in pids)
        output = subprocess.run(load, capture_output=True, text=True, check=True).stdout
        after = time.monotonic(), cpu_seconds(redis_pid), sum(cpu_seconds(p) for p in pids)
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(20)
    result: dict[str, Any] = json.loads(output)
    wall = after[0] - before[0]
    result.update(
        processes=processes,
        published_per_s=result["messages_sent"] / result["measured_s"] if result["measured_s"] else 0.0,
        # CPU over the whole load run (join, warm-up, measure, settle): a share of one core.
        redis_cpu=(after[1] - before[1]) / wall,
        chatroom_cpu=(after[2] - before[2]) / wall,
    )
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--processes", default="1,2", help="process counts to compare")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--members", type=int, default=100)
    parser.add_argument("--senders", type=int, default=20)
    parser.add_argument("--window", type=int, default=5, help="messages in flight per sender (flat out)")
    parser.add_argument("--rate", type=float, default=300, help="messages/s for the latency runs")
    parser.add_argument("--size", type=int, default=100)
    parser.add_argument("--duration", type=float, default=6)
    parser.add_argument("--warmup", type=float, default=2)
    parser.add_argument("--appendfsync", default="always", choices=["always", "everysec", "no"])
    parser.add_argument("--json", type=Path, help="write every run here, one JSON object a line")
    args = parser.parse_args()
    if not LOADGEN.exists():
        subprocess.run(["make", "-C", str(REPO / "bench")], check=True)
    counts = [int(n) for n in args.processes.split(",")]
    runs: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as directory:
        redis, redis_port = start_redis(Path(directory), args.appendfsync)
        try:
            for rep in range(args.runs):
                for processes in counts:
                    for rate in (0.0, args.rate):
                        result = run_once(args, redis.pid, redis_port, processes, rate)
                        result.update(rep=rep, mode="rate" if rate else "flat-out")
                        runs.append(result)
                        print(json.dumps(result), file=sys.stderr)
        finally:
            redis.terminate()
            redis.wait(10)
    if args.json:
        args.json.write_text("".join(json.dumps(r) + "\n" for r in runs))
    print_summary(runs, counts, args)


def print_summary(runs: list[dict[str, Any]], counts: list[int], args: argparse.Namespace) -> None:
    fields = ("published_per_s", "deliveries_per_s", "p50_ms", "p99_ms", "redis_cpu", "chatroom_cpu")
    print(f"medians of {args.runs} runs; {args.members} members, {args.senders} senders, one room,"
          f" appendfsync {args.appendfsync}")  # fmt: skip
    print(f"{'mode':10} {'procs':>5} " + " ".join(f"{f:>16}" for f in fields))
    for mode in ("flat-out", "rate"):
        for processes in counts:
            chosen = [r for r in runs if r["mode"] == mode and r["processes"] == processes]
            medians = [statistics.median(r[f] for r in chosen) for f in fields]
            print(f"{mode:10} {processes:>5} " + " ".join(f"{m:>16.2f}" for m in medians))


if __name__ == "__main__":
    main()
