"""Measure several chat servers side by side with the C load generator.

Every server runs pinned to one core and the load generator to the other.
Repetitions alternate the servers (rep 1: A B C, rep 2: A B C, ...) so slow
drift on a shared machine hits them all alike; the summary prints medians and,
for each server, its ratio to the tutorial Tornado baseline measured in the
same repetitions.

    python bench/run.py --servers product,tornado,fastapi,node --members 1000 --window 20
    python bench/run.py --servers product --members 100,1000 --deliveries-rate 50000
    python bench/run.py --servers product --members 10000 --idle --rooms 100
    python bench/run.py --servers product,node --members 20000 --idle --rooms 200 --sources 4 --hold 60
    python bench/run.py --servers product --members 1000 --slow 0,10 --window 20
    python bench/run.py --servers product,product@before,node --variant before=/path/to/checkout \
        --baseline node --members 10000 --rooms 1000 --senders 1000 --window 1 --realtime
    python bench/run.py --servers product,reference --baseline reference --members 1000 --refs

With --refs every message carries a ref, as the page's do: the product acks it and keeps it to
store a resend once (the peers ignore the ref); the summary then adds the acks' latency, from each
message's send (or its scheduled time, with --rate) to its ack.

Every run also records how the server's CPU was shared over the measured interval between its main
thread (the event loop) and its busiest other thread (the product's SQLite writer); the summary gives
both in cores and per message sent.

Raw results go to bench/results/<time>.jsonl (one line per run), or to --out (appended);
bench/recorded/ keeps the runs the plots in docs/ are drawn from (bench/plot.py).
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import json
import os
import resource
import shlex
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import services

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
LOADGEN = BENCH / "build" / "loadgen"
BASELINE = "tornado"
# What the load generator prints on stderr with --marks, as the measured interval starts and ends.
MARKS = ("measuring", "measured")
SERVER_CORE, CLIENT_CORE = "0", "1"


@dataclass(frozen=True)
class Case:
    """One load shape: how many members, how many of them never read."""

    members: int
    slow: int


def server_command(name: str, port: int, db_dir: str, args: argparse.Namespace) -> list[str]:
    """The command line that starts server ``name`` on ``port``."""
    if is_product(name):
        return [
            sys.executable,
            "-m",
            "chatroom",
            "--port",
            str(port),
            "--db",
            os.path.join(db_dir, "bench.db"),
            "--rate",
            "1000000",
            "--burst",
            "1000000",
            "--max-backlog-bytes",
            str(args.max_backlog_bytes),
            "--log-level",
            "warning",
            # The load generator's members are guests (protocol v1, no account).
            "--guests",
            # Every member comes from 127.0.0.1 and the rooms are new.
            "--new-rooms-per-minute",
            "0",
            "--join-rate",
            "0",
            *args.product_arg,
        ]
    if name == "node":
        return ["node", str(BENCH / "peers" / "node" / "server.js"), "--port", str(port)]
    script = {
        "tornado": "tornado_tutorial.py",
        "fastapi": "fastapi_manager.py",
        "reference": "tornado_reference.py",
    }[name]
    return [sys.executable, str(BENCH / "peers" / script), "--port", str(port)]


def priority(args: argparse.Namespace) -> list[str]:
    """With --realtime, the command prefix that runs a server or the load generator round-robin
    at real-time priority 1: other work on a shared machine then waits for them (the kernel
    still leaves it 5 % of each core), so their figures are their own."""
    return ["chrt", "--rr", "1"] if args.realtime else []


def is_product(name: str) -> bool:
    """``product``, or ``product@VARIANT``: another checkout of it (--variant)."""
    return name.partition("@")[0] == "product"


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_ready(name: str, port: int, process: subprocess.Popen[bytes], timeout: float = 20.0) -> None:
    """Return once the server accepts connections (the product: /healthz 200)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{name} exited with {process.returncode}")
        with contextlib.suppress(OSError):
            if is_product(name):
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1) as answer:
                    if answer.status == 200:
                        return
            else:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                return
        time.sleep(0.1)
    raise RuntimeError(f"{name} not ready on port {port} within {timeout}s")


@contextlib.contextmanager
def running(name: str, args: argparse.Namespace) -> Iterator[tuple[int, int]]:
    """Start server ``name`` pinned to the server core; yield (port, pid)."""
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="chatroom-bench-") as db_dir:
        command = [*priority(args), "taskset", "-c", SERVER_CORE, *server_command(name, port, db_dir, args)]
        code = args.variant_paths.get(name.partition("@")[2], REPO)
        env = {**os.environ, "PYTHONPATH": str(code)}
        log = open(os.path.join(db_dir, "server.log"), "wb")  # noqa: SIM115 - the child keeps it
        process = subprocess.Popen(command, cwd=code, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            wait_ready(name, port, process)
            yield port, process.pid
        finally:
            stop(process)
            log.close()
            tail = Path(db_dir, "server.log").read_text(errors="replace")[-2000:]
            if process.returncode not in (0, -signal.SIGTERM, -signal.SIGKILL) and tail:
                print(f"--- {name} log tail ---\n{tail}", file=sys.stderr)


def stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM, then SIGKILL if the server lingers."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def loadgen_command(port: int, pid: int, case: Case, args: argparse.Namespace) -> list[str]:
    """The load generator's command line for one run."""
    command = [
        *priority(args), "taskset", "-c", CLIENT_CORE, str(LOADGEN),
        "--port", str(port), "--server-pid", str(pid),
        "--members", str(case.members), "--slow", str(case.slow),
        "--senders", str(args.senders), "--window", str(args.window),
        "--size", str(args.size), "--duration", str(args.duration),
        "--warmup", str(args.warmup), "--rooms", str(args.rooms),
        "--settle-max", str(args.settle_max), "--slow-rcvbuf", str(args.slow_rcvbuf),
    ]  # fmt: skip
    rate = message_rate(case, args)
    if rate:
        command += ["--rate", str(rate)]
    if args.idle:
        command.append("--idle")
        if args.hold:
            command += ["--hold", str(args.hold)]
    if args.refs:
        command.append("--refs")
    if args.sources > 1:
        command += ["--sources", str(args.sources)]
    return command


def message_rate(case: Case, args: argparse.Namespace) -> float:
    """Messages a second for fixed-rate runs (0: flat out)."""
    if args.deliveries_rate:
        return args.deliveries_rate / (case.members - case.slow)
    return float(args.rate)


def measure(name: str, case: Case, args: argparse.Namespace) -> dict[str, object]:
    """One run of the load generator against a fresh server."""
    with running(name, args) as (port, pid):
        command = loadgen_command(port, pid, case, args)
        limit = args.settle_max + args.warmup + args.duration + args.hold + 30
        returncode, output, errors, threads = drive(command, pid, limit)
        cut_off = slow_clients_cut_off(port) if is_product(name) else None
    if returncode != 0 or not output.strip():
        raise RuntimeError(f"loadgen failed for {name}: {errors.strip()}")
    result: dict[str, object] = json.loads(output)
    result.update(threads)
    result["server"] = name
    # Paths relative to the checkout: recorded runs (bench/recorded/) read the same anywhere.
    result["command"] = " ".join(command).replace(f"{REPO}/", "")
    # Members that never read cannot see their 1013: the server's count says.
    result["slow_cut_off"] = cut_off
    return result


def drive(command: list[str], pid: int, limit: float) -> tuple[int, str, str, dict[str, float]]:
    """Run the load generator: its exit status, stdout and stderr, and how the server's CPU was shared
    between its threads over the measured interval (``thread_split``)."""
    marks: dict[str, dict[int, float]] = {}

    def at_mark(word: str) -> None:
        marks[word] = thread_cpu(pid)

    returncode, output, errors = run_marked(command, at_mark, limit)
    return returncode, output, errors, thread_split(marks, pid)


def run_marked(
    command: list[str], at_mark: Callable[[str], None], limit: float | None = None
) -> tuple[int, str, str]:
    """Run the load generator with ``--marks``, calling ``at_mark`` with each mark ("measuring",
    "measured") as it is printed: its exit status, its stdout (one JSON line at the end) and the
    rest of its stderr. Killed after ``limit`` seconds, if given; otherwise its own limits (settle,
    warm-up, duration) bound it."""
    pipe = subprocess.PIPE
    process = subprocess.Popen([*command, "--marks"], stdout=pipe, stderr=pipe, text=True)
    other: list[str] = []

    def watch() -> None:
        assert process.stderr is not None
        for line in process.stderr:
            if line.strip() in MARKS:
                at_mark(line.strip())
            else:
                other.append(line)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    # Only the watcher reads stderr (communicate() would take it from under it).
    timer = threading.Timer(limit, process.kill) if limit else None
    if timer is not None:
        timer.start()
    try:
        assert process.stdout is not None
        output = process.stdout.read()
        process.wait(30)
    finally:
        if timer is not None:
            timer.cancel()
        if process.poll() is None:
            process.kill()
            process.wait()
    watcher.join(5)
    return process.returncode, output, "".join(other)


def thread_cpu(pid: int) -> dict[int, float]:
    """CPU seconds (user and system) each thread of a process has used so far, by thread id."""
    used = {}
    for task in Path(f"/proc/{pid}/task").glob("*"):
        seconds = services.stat_cpu_seconds(task / "stat")
        if seconds is not None:
            used[int(task.name)] = seconds
    return used


def thread_split(marks: dict[str, dict[int, float]], pid: int) -> dict[str, float]:
    """The CPU seconds, over the measured interval, of the main thread (the event loop, for the
    Python servers) and of the busiest other thread (the product's SQLite writer). Empty without
    both marks (an idle run has no measured interval of its own)."""
    if set(marks) != {"measuring", "measured"}:
        return {}
    before, after = marks["measuring"], marks["measured"]
    used = {tid: after[tid] - before.get(tid, 0.0) for tid in after}
    others = [seconds for tid, seconds in used.items() if tid != pid]
    return {"main_thread_cpu_s": used.get(pid, 0.0), "busiest_other_thread_cpu_s": max(others, default=0.0)}


def slow_clients_cut_off(port: int) -> int | None:
    """The product's count of members cut off with 1013, from /metrics."""
    with (
        contextlib.suppress(OSError),
        urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as answer,
    ):
        for line in answer.read().decode().splitlines():
            if line.startswith("chatroom_slow_clients_disconnected_total "):
                return int(float(line.split()[1]))
    return None


def summarize(
    results: list[dict[str, object]], servers: list[str], cases: list[Case], baseline: str = BASELINE
) -> None:
    """Medians per server and case; ratios to the baseline from the same repetitions."""
    for case in cases:
        print(f"\n== members={case.members} slow={case.slow}")
        header = (
            "server",
            "deliv/s med",
            "min..max",
            "p50 ms",
            "p99 ms",
            "max ms",
            "srv cpu",
            "rss MiB",
            "join s",
            "x base",
        )
        print("{:<9} {:>12} {:>22} {:>8} {:>8} {:>8} {:>7} {:>8} {:>7} {:>8}".format(*header))
        runs = {s: [r for r in results if r["server"] == s and r["case"] == case.__dict__] for s in servers}
        base = runs.get(baseline, [])
        for server in servers:
            mine = runs[server]
            if not mine:
                continue
            rate = [float(r["deliveries_per_s"]) for r in mine]  # type: ignore[arg-type]
            ratios = [
                float(m["deliveries_per_s"]) / float(b["deliveries_per_s"])  # type: ignore[arg-type]
                for m, b in zip(mine, base, strict=False)
                if float(b["deliveries_per_s"])  # type: ignore[arg-type]
            ]
            print(
                "{:<9} {:>12,.0f} {:>22} {:>8.2f} {:>8.2f} {:>8.1f} {:>7.2f} {:>8.1f} {:>7.2f} {:>8}".format(
                    server,
                    statistics.median(rate),
                    f"{min(rate):,.0f}..{max(rate):,.0f}",
                    median(mine, "p50_ms"),
                    median(mine, "p99_ms"),
                    median(mine, "max_ms"),
                    median(mine, "server_cpu"),
                    median(mine, "server_rss_kib") / 1024,
                    # Seconds until every member was welcomed (the load generator's join_s).
                    median(mine, "join_s"),
                    f"{statistics.median(ratios):.1f}" if ratios else "-",
                )
            )
            if all(float(r.get("acks_per_s", 0)) > 0 for r in mine):  # type: ignore[arg-type]
                acks = (median(mine, key) for key in ("ack_p50_ms", "ack_p99_ms", "ack_max_ms"))
                print("          acks: p50 {:.2f} ms, p99 {:.2f} ms, max {:.1f} ms (medians)".format(*acks))
            if all("main_thread_cpu_s" in r for r in mine):
                print("          " + threads_line(mine))
            cut_off = [r.get("slow_cut_off") for r in mine]
            if case.slow and any(count is not None for count in cut_off):
                print(f"          members cut off with 1013, per run: {cut_off}")
            errors = sum(int(r["error_frames"]) for r in mine)  # type: ignore[call-overload]
            if errors:
                print(f"          {errors} error frames, e.g. {mine[0].get('first_error')}")


def threads_line(runs: list[dict[str, object]]) -> str:
    """The server's CPU by thread over the measured interval (medians): in cores and per message sent."""
    parts = []
    for key, name in (("main_thread_cpu_s", "main thread"), ("busiest_other_thread_cpu_s", "busiest other")):
        cores = statistics.median(number(r, key) / number(r, "measured_s") for r in runs)
        sent = [max(1.0, number(r, "messages_sent")) for r in runs]
        per_message = statistics.median(1e6 * number(r, key) / n for r, n in zip(runs, sent, strict=True))
        parts.append(f"{name} {cores:.2f} cores ({per_message:.1f} µs a message)")
    return "threads: " + ", ".join(parts)


def number(run: dict[str, object], key: str) -> float:
    """One numeric field of a run."""
    return float(run[key])  # type: ignore[arg-type]


def idle_line(result: dict[str, object]) -> str:
    """An idle run's figures: RSS gained per member (joined, and after --hold), server CPU, pings."""
    before, members = float(result["server_rss_kib_before_join"]), int(result["members"])  # type: ignore[arg-type, call-overload]
    joined = (float(result["server_rss_kib_joined"]) - before) / members  # type: ignore[arg-type]
    held = (float(result["server_rss_kib"]) - before) / members  # type: ignore[arg-type]
    return (
        f" | {joined:.2f} KiB/member joined, {held:.2f} after holding; open {result['still_open']},"
        f" failed {result['failed_connects']}, server cpu {result['server_cpu']},"
        f" pings answered {result.get('pings_answered')} in {result['measured_s']} s"
    )


def median(runs: list[dict[str, object]], key: str) -> float:
    """The median of one field over runs."""
    return statistics.median(float(r[key]) for r in runs)  # type: ignore[arg-type]


def parse_args() -> argparse.Namespace:
    """The runner's flags."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--servers", default="product,tornado,fastapi,node")
    parser.add_argument("--members", default="1000", help="comma-separated list")
    parser.add_argument("--slow", default="0", help="members that never read; comma-separated list")
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--senders", type=int, default=1)
    parser.add_argument("--window", type=int, default=20, help="messages in flight per sender (flat out)")
    parser.add_argument("--rate", type=float, default=0, help="messages a second in total (0: flat out)")
    parser.add_argument("--deliveries-rate", type=float, default=0, help="deliveries a second in total")
    parser.add_argument("--size", type=int, default=100, help="message text bytes")
    parser.add_argument(
        "--refs",
        action="store_true",
        help="send each message with a ref, as the page does (acked, deduplicated)",
    )
    parser.add_argument("--duration", type=float, default=5)
    parser.add_argument("--warmup", type=float, default=1)
    parser.add_argument("--settle-max", type=float, default=60, help="seconds allowed for joining")
    parser.add_argument("--rooms", type=int, default=1, help="spread members over this many rooms")
    parser.add_argument("--idle", action="store_true", help="join, settle, report memory; send nothing")
    parser.add_argument(
        "--hold", type=float, default=0, help="--idle: stay connected this many seconds, server CPU measured"
    )
    parser.add_argument(
        "--sources",
        type=int,
        default=1,
        help="connect from 127.0.0.1 .. 127.0.0.K (ports run out near 28,000)",
    )
    parser.add_argument("--max-backlog-bytes", type=int, default=1048576)
    parser.add_argument(
        "--slow-rcvbuf",
        type=int,
        default=0,
        help="receive buffer of the members that never read (0: the kernel's default)",
    )
    parser.add_argument("--product-arg", action="append", default=[], help="extra flag for the product")
    parser.add_argument("--out", type=Path, default=None, help="JSON lines file for raw results")
    parser.add_argument(
        "--variant",
        action="append",
        default=[],
        metavar="NAME=PATH",
        help="a checkout of chatroom at PATH, run as the server product@NAME",
    )
    parser.add_argument(
        "--realtime", action="store_true", help="run servers and load generator at real-time priority"
    )
    parser.add_argument("--baseline", default=BASELINE, help="the server the others are compared with")
    args = parser.parse_args()
    args.variant_paths = dict(v.split("=", 1) for v in args.variant)
    return args


def raise_fd_limit(members: int) -> None:
    """10,000 members need more descriptors than the usual 1024; the servers and load generator inherit them.

    Where the hard limit is below the members and a few more (20,000 members on a machine whose hard
    limit is 20,000), it is raised when the runner may (as root); otherwise it stays.
    """
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = max(hard, members + 1024) if hard != resource.RLIM_INFINITY else hard
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, wanted))
    except (ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def main() -> None:
    args = parse_args()
    raise_fd_limit(max(int(m) for m in args.members.split(",")))
    if not LOADGEN.exists() or LOADGEN.stat().st_mtime < (BENCH / "loadgen.c").stat().st_mtime:
        subprocess.run(["make", "-s", "-C", str(BENCH)], check=True)
    if not shutil.which("taskset"):
        sys.exit("taskset is missing (util-linux)")
    servers = args.servers.split(",")
    cases = [
        Case(int(m), int(k)) for m, k in itertools.product(args.members.split(","), args.slow.split(","))
    ]
    out = args.out or BENCH / "results" / time.strftime("%Y%m%d-%H%M%S.jsonl")
    out.parent.mkdir(parents=True, exist_ok=True)
    results: list[dict[str, object]] = []
    invocation = shlex.join(["python", "bench/run.py", *sys.argv[1:]])
    with out.open("a") as sink:
        for rep in range(1, args.reps + 1):
            for case in cases:
                for server in servers:
                    started, load = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime()), os.getloadavg()[0]
                    result = measure(server, case, args)
                    # When, on how busy a machine, and how: what a plot's caption names.
                    result.update(rep=rep, case=case.__dict__, started=started, loadavg=load, argv=invocation)
                    results.append(result)
                    sink.write(json.dumps(result) + "\n")
                    sink.flush()
                    print(
                        f"rep {rep} {server:<8} members={case.members} slow={case.slow}:"
                        f" {result['deliveries_per_s']:>10,} deliv/s p99 {result['p99_ms']} ms"
                        f" rss {int(result['server_rss_kib']) // 1024} MiB"  # type: ignore[call-overload]
                        + (f" cut off {result['slow_cut_off']}" if case.slow else "")
                        + (idle_line(result) if args.idle else ""),
                        flush=True,
                    )
    summarize(results, servers, cases, args.baseline)
    print(f"\nraw results: {out}")


if __name__ == "__main__":
    main()
