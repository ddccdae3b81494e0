"""Changes beside messages: edits, reactions and read marks in rooms of accounts, against plain messages.

Members are accounts (a JWT each), spread over closed rooms whose members they
are; the first ``--senders`` of them send, flat out with ``--window`` frames in
flight. Every repetition runs the two workloads alternately on fresh servers
with the default file store (``synchronous=full``): ``--changes`` % of each
sender's frames being changes (an edit of its newest message, a reaction on
or off the room's newest message, a read mark, in turn), then plain messages
only. The server runs pinned to core 0, the load generator (``bench/loadgen.c``,
``--tokens``/``--changes``) to core 1.

    python bench/changes_bench.py --members 1000 --rooms 100 --senders 100 --window 1 --reps 3
    python bench/changes_bench.py --syncs   # also: fsync/fdatasync calls in the measured interval

With ``--syncs`` one more run of each workload, and one of messages and read
marks half and half (``reads``), all at ``--sync-rate`` frames a second in
total (few enough that commits are not grouped), starts the server under
``strace --seccomp-bpf`` stopping it only at fsync and fdatasync, and counts the
calls stamped within the measured interval (the tracing costs each sync a
round trip to strace: these runs' throughput is not the benchmark's).
Raw results go to bench/results/changes-<time>.jsonl.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import jwt

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(BENCH))

from run import CLIENT_CORE, LOADGEN, SERVER_CORE, free_port, raise_fd_limit, stop, wait_ready  # noqa: E402

from chatroom.admin import opened  # noqa: E402
from chatroom.config import Settings  # noqa: E402
from chatroom.store.records import CLOSED, PERSON  # noqa: E402

SECRET = "changes-bench-secret-long-enough-for-hs256"
WORKLOADS = ("changes", "plain")
# The traced runs add one of read marks and messages only: does each mark cost a sync?
TRACED = ("changes", "plain", "reads")
READS_SHARE = 50


def make_database(path: str, members: int, rooms: int) -> None:
    """Closed rooms r0..r{rooms-1}; account mI a member of room r{I % rooms}."""

    async def create() -> None:
        async with opened(Settings(database=path)) as store:
            for number in range(rooms):
                await store.accounts.create_room(f"r{number}", CLOSED)
            for number in range(members):
                account = await store.accounts.create_account(f"m{number}", PERSON)
                await store.accounts.add_member(f"r{number % rooms}", account.id)

    asyncio.run(create())


def write_tokens(path: Path, members: int) -> None:
    """One JWT a line, member I's on line I, valid for a day."""
    expiry = int(time.time()) + 86400
    lines = (jwt.encode({"sub": f"m{n}", "exp": expiry}, SECRET, algorithm="HS256") for n in range(members))
    path.write_text("\n".join(lines) + "\n")


def server_command(port: int, database: str, trace: Path | None) -> list[str]:
    """The product on the file store, accounts signing in with JWTs, no rate limit in the way;
    with ``trace``, under strace writing its disk syncs there with their times."""
    tracing = ["strace", "-f", "--seccomp-bpf", "-ttt", "-e", "trace=fsync,fdatasync", "-o", str(trace)]
    return [
        "taskset", "-c", SERVER_CORE, *(tracing if trace else []), sys.executable, "-m", "chatroom",
        "--port", str(port), "--db", database, "--jwt-secret", SECRET,
        "--rate", "1000000", "--burst", "1000000", "--join-rate", "0", "--log-level", "warning",
    ]  # fmt: skip


def traced_child(pid: int) -> int:
    """The server strace started (its only child)."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        if children:
            return int(children[0])
        time.sleep(0.05)
    raise RuntimeError("strace started no server")


def stop_traced(pid: int, timeout: float = 60) -> None:
    """SIGTERM the server strace runs and wait for it to end: strace ends with it. Killing strace
    first would detach the server, and a signal strace had not passed on yet would be lost."""
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while Path(f"/proc/{pid}").exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)


@contextlib.contextmanager
def running(template: Path, trace: Path | None) -> Iterator[tuple[int, int]]:
    """A fresh server on a copy of the prepared database; yield (port, server pid)."""
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="chatroom-changes-") as db_dir:
        database = os.path.join(db_dir, "bench.db")
        shutil.copy(template, database)
        env = {**os.environ, "PYTHONPATH": str(REPO)}
        with open(os.path.join(db_dir, "server.log"), "wb") as log:
            process = subprocess.Popen(
                server_command(port, database, trace), cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT
            )
            server = process.pid
            try:
                wait_ready("product", port, process)
                server = traced_child(process.pid) if trace else process.pid
                yield port, server
            finally:
                if server != process.pid:
                    stop_traced(server)
                stop(process)


def loadgen_command(port: int, pid: int, workload: str, tokens: Path, args: argparse.Namespace) -> list[str]:
    """The load generator's command line for one run of ``workload``."""
    changes = {"changes": args.changes, "plain": 0, "reads": READS_SHARE}[workload]
    kinds = ["--change-kinds", "read"] if workload == "reads" else []
    return [
        "taskset", "-c", CLIENT_CORE, str(LOADGEN), "--port", str(port), "--server-pid", str(pid),
        "--members", str(args.members), "--rooms", str(args.rooms), "--room", "r",
        "--senders", str(args.senders), "--window", str(args.window), "--duration", str(args.duration),
        "--warmup", str(args.warmup), "--tokens", str(tokens), "--changes", str(changes), "--marks", *kinds,
    ]  # fmt: skip


def syncs_between(trace: Path, start: float, end: float) -> dict[str, int]:
    """fsync and fdatasync calls strace stamped between two wall-clock times, by call and thread
    ("fdatasync 1234"): the store's writer and the read marks' flush sync from threads of their own."""
    calls: dict[str, int] = {}
    for line in trace.read_text().splitlines():
        fields = line.split(maxsplit=2)  # thread, time, call(...)
        if len(fields) == 3 and start <= float(fields[1]) <= end:
            name = fields[2].split("(", 1)[0]
            if name in ("fsync", "fdatasync"):
                key = f"{name} {fields[0]}"
                calls[key] = calls.get(key, 0) + 1
    return calls


def measure(workload: str, template: Path, tokens: Path, args: argparse.Namespace, syncs: bool) -> dict:
    """One run against a fresh server; with ``syncs``, at --sync-rate, counting the server's disk syncs."""
    trace = Path(tempfile.mkstemp(prefix="chatroom-strace-")[1]) if syncs else None
    marks = {}
    with running(template, trace) as (port, pid):
        command = loadgen_command(port, pid, workload, tokens, args)
        if syncs:
            command += ["--rate", str(args.sync_rate)]
        loadgen = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        assert loadgen.stderr is not None
        for line in loadgen.stderr:
            marks[line.strip()] = time.time()
            if line.strip() == "measured":
                break
        output, errors = loadgen.communicate(timeout=60)
    if "measured" not in marks:
        raise RuntimeError(f"loadgen ended before measuring: {errors.strip()}")
    calls = syncs_between(trace, marks["measuring"], marks["measured"]) if trace else None
    if trace:
        trace.unlink()
    if loadgen.returncode != 0 or not output.strip():
        raise RuntimeError(f"loadgen failed: {errors.strip()}")
    result: dict = json.loads(output)
    result.update(workload=workload, command=" ".join(command))
    if calls is not None:
        result["syncs"] = calls
    return result


def report(results: list[dict], workload: str) -> None:
    """Medians (min..max) of one workload's runs."""
    runs = [r for r in results if r["workload"] == workload and "syncs" not in r]
    if not runs:
        return
    print(f"\n== {workload}: {len(runs)} runs, medians (min..max)")
    keys = [
        "messages_stored_per_s", "changes_stored_per_s", "reads_per_s", "deliveries_per_s",
        "change_deliveries_per_s", "p50_ms", "p99_ms", "change_p50_ms", "change_p99_ms",
        "server_cpu", "client_cpu", "error_frames", "unchanged_acks",
    ]  # fmt: skip
    for key in keys:
        values = [float(r[key]) for r in runs]
        print(f"{key:<26} {statistics.median(values):>12,.2f}   ({min(values):,.2f}..{max(values):,.2f})")
    first = next((r["first_error"] for r in runs if "first_error" in r), None)
    if first:
        print(f"first error frame: {first}")


def report_syncs(results: list[dict]) -> None:
    """The traced runs: disk syncs against what was stored and marked."""
    for run in (r for r in results if "syncs" in r):
        calls = sum(run["syncs"].values())
        seconds = float(run["measured_s"])
        stored = (float(run["messages_stored_per_s"]) + float(run["changes_stored_per_s"])) * seconds
        print(
            f"\n{run['workload']} (traced): {calls} syncs {run['syncs']} in {seconds:.1f} s"
            f" ({calls / seconds:.1f}/s); {stored:.0f} messages and changes stored,"
            f" {int(run['reads_sent'])} read marks sent ({float(run['reads_per_s']):.1f}/s)"
        )


def parse_args() -> argparse.Namespace:
    """The runner's flags."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--members", type=int, default=1000)
    parser.add_argument("--rooms", type=int, default=100)
    parser.add_argument("--senders", type=int, default=100)
    parser.add_argument("--window", type=int, default=1, help="frames in flight per sender")
    parser.add_argument(
        "--changes", type=int, default=20, help="percent of a sender's frames that are changes"
    )
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--duration", type=float, default=5)
    parser.add_argument("--warmup", type=float, default=1)
    parser.add_argument("--syncs", action="store_true", help="traced runs counting disk syncs")
    parser.add_argument("--sync-rate", type=float, default=200, help="frames a second in the traced runs")
    parser.add_argument("--out", type=Path, default=None, help="JSON lines file for raw results")
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    raise_fd_limit()
    subprocess.run(["make", "-s", "-C", str(BENCH)], check=True)
    work = Path(tempfile.mkdtemp(prefix="chatroom-changes-setup-"))
    template, tokens = work / "template.db", work / "tokens"
    make_database(str(template), args.members, args.rooms)
    write_tokens(tokens, args.members)
    out = args.out or BENCH / "results" / time.strftime("changes-%Y%m%d-%H%M%S.jsonl")
    out.parent.mkdir(parents=True, exist_ok=True)
    plan = [(rep, workload, False) for rep in range(1, args.reps + 1) for workload in WORKLOADS]
    plan += [(0, workload, True) for workload in TRACED if args.syncs]
    results = []
    with out.open("a") as sink:
        for rep, workload, syncs in plan:
            result = measure(workload, template, tokens, args, syncs)
            result["rep"] = rep
            results.append(result)
            sink.write(json.dumps(result) + "\n")
            sink.flush()
            print(
                f"rep {rep} {workload:<7}{' traced' if syncs else ''}:"
                f" {result['messages_stored_per_s']:,.0f} msg/s"
                f" {result['changes_stored_per_s']:,.0f} changes/s"
                f" p99 {result['p99_ms']} / {result['change_p99_ms']} ms",
                flush=True,
            )
    for workload in WORKLOADS:
        report(results, workload)
    report_syncs(results)
    shutil.rmtree(work)
    print(f"\nraw results: {out}")


if __name__ == "__main__":
    main()
