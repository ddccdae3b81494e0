"""Deployment figures: SQLite, PostgreSQL and Redis, one and two processes, side by side.

Starts its own PostgreSQL cluster and redis-server on free ports
(bench/services.py; never the machine's own), then for every configuration
runs ``python -m chatroom`` and drives it with the C load generator
(bench/loadgen.c) twice:

- flat out: every sender keeps ``--window`` messages in flight; gives the
  most messages the deployment stores and delivers per second;
- at a fixed rate (``--rate`` messages a second): the delivery latency at a
  load every configuration carries, and the CPU that load costs.

Configurations are ``store+bus:processes``: ``sqlite:1`` (the default, one
process), ``sqlite+redis:1``, ``sqlite+redis:2`` (one SQLite file shared by
two processes), ``postgres:1``, ``postgres+redis:1``, ``postgres+redis:2``.

Everything on the server side (chatroom's processes, PostgreSQL, Redis) is
pinned to one core and the load generator to the other, so a second process
cannot buy more CPU: scale-out is judged by deliveries per server CPU-second.
CPU comes from /proc (utime + stime, every thread) over exactly the load
generator's measured interval (it marks the start and the end on stderr):
chatroom's processes, the postmaster and every process it forked, Redis.
With PostgreSQL, the transactions it committed over the same interval are
counted too (``pg_stat_database``), and the messages stored per commit.

Runs alternate the configurations within every repetition; the summary prints
medians, and each two-process figure's ratio to the one-process figure of the
same store measured in the same repetition. A repetition runs one process
first, so a machine slowing down across a set counts against two; with
``--bracket`` the set ends with one more run of each one-process
configuration, and each two-process figure is also set against the mean of
the one-process runs either side of it, which a steady drift moves alike.

    make -C bench && python bench/deploy_bench.py --runs 3
    python bench/deploy_bench.py --summarize bench/results/deploy-*.jsonl   # saved runs, together
    python bench/deploy_bench.py --runs 1 --configs postgres+redis:1,postgres+redis:2 --modes rate

With ``--count calls`` or ``--count instructions`` every process of chatroom
is also profiled or run under callgrind, and the summary gives its work per
message beside the CPU (bench/work_counts.py says what each count is).

Raw results go to bench/results/deploy-<time>.jsonl, one run a line.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shlex
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import services
from run import run_marked
from work_counts import COUNTERS, Counter

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
LOADGEN = BENCH / "build" / "loadgen"
DEFAULT_CONFIGS = "sqlite:1,sqlite+redis:1,sqlite+redis:2,postgres:1,postgres+redis:1,postgres+redis:2"


@dataclass(frozen=True)
class Config:
    """One deployment: where history goes, whether Redis carries delivery, how many processes."""

    store: str
    redis: bool
    processes: int
    # Which checkout of chatroom runs (--variant); "" for this one.
    variant: str = ""

    @classmethod
    def parse(cls, text: str) -> Config:
        kinds, _, count = text.partition(":")
        store, _, bus = kinds.partition("+")
        if store not in ("sqlite", "postgres") or bus not in ("", "redis"):
            raise argparse.ArgumentTypeError(f"{text!r}: use sqlite|postgres[+redis]:N")
        processes = int(count or 1)
        if processes > 1 and not bus:
            raise argparse.ArgumentTypeError(f"{text!r}: more than one process needs +redis")
        return cls(store, bool(bus), processes)

    @property
    def name(self) -> str:
        variant = f"@{self.variant}" if self.variant else ""
        return f"{self.store}{'+redis' if self.redis else ''}:{self.processes}{variant}"

    def with_processes(self, processes: int) -> Config:
        return Config(self.store, self.redis, processes, self.variant)


class Deployment:
    """The shared servers and how each run gets a fresh database."""

    def __init__(self, pg: services.Postgres | None, redis: services.Redis | None, scratch: Path) -> None:
        self.pg = pg
        self.redis = redis
        self.scratch = scratch
        self.serial = 0

    @contextlib.contextmanager
    def database(self, config: Config) -> Iterator[str]:
        """A fresh database for one run: a new SQLite file, or a new PostgreSQL schema."""
        self.serial += 1
        if config.store == "sqlite":
            path = self.scratch / f"run{self.serial}.db"
            try:
                yield str(path)
            finally:
                for suffix in ("", "-wal", "-shm"):
                    Path(f"{path}{suffix}").unlink(missing_ok=True)
            return
        assert self.pg is not None
        schema = f"bench{self.serial}"
        self.pg.sql(f"CREATE SCHEMA {schema}")
        # A checkpoint now rather than in the middle of a run.
        self.pg.sql("CHECKPOINT")
        try:
            yield self.pg.url(schema)
        finally:
            self.pg.sql(f"DROP SCHEMA {schema} CASCADE")

    def server_side_pids(self, chatroom: int) -> dict[str, list[int]]:
        """Every process whose CPU counts as the deployment's, by part, as of now."""
        groups = {"chatroom": services.family(chatroom)}
        if self.pg is not None:
            groups["postgres"] = self.pg.pids()
        if self.redis is not None:
            groups["redis"] = [self.redis.pid]
        return groups

    def commits(self) -> float:
        """Transactions PostgreSQL has committed so far in the benchmark's database (0 without one).

        Every statement outside a transaction counts, reads too; flat out
        nearly all are the writers' batches and the index merges. Backends
        report their counts about once a second, so over a run of several
        seconds this is the rate to within a second's worth.
        """
        if self.pg is None:
            return 0.0
        query = f"SELECT xact_commit FROM pg_stat_database WHERE datname = '{services.DATABASE}'"
        return float(self.pg.sql(query))


def cpu_snapshot(groups: dict[str, list[int]]) -> dict[str, dict[int, float]]:
    return {part: {pid: services.cpu_seconds(pid) for pid in pids} for part, pids in groups.items()}


def switch_snapshot(groups: dict[str, list[int]]) -> dict[str, dict[int, float]]:
    """Each process's context switches so far, by part (cpu_used takes their differences too)."""
    return {part: {pid: float(services.switches(pid)) for pid in pids} for part, pids in groups.items()}


def cpu_used(before: dict[str, dict[int, float]], after: dict[str, dict[int, float]]) -> dict[str, float]:
    """CPU seconds per part between two snapshots; a process born in between counts from 0."""
    used = {}
    for part, now in after.items():
        earlier = before.get(part, {})
        used[part] = sum(max(0.0, cpu - earlier.get(pid, 0.0)) for pid, cpu in now.items())
    return used


def wait_healthy(port: int, process: subprocess.Popen[bytes], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"chatroom exited with {process.returncode}")
        with (
            contextlib.suppress(OSError),
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1) as answer,
        ):
            if answer.status == 200:
                return
        time.sleep(0.1)
    raise RuntimeError(f"chatroom on port {port} not healthy within {timeout}s")


def chatroom_command(config: Config, database: str, port: int, deployment: Deployment) -> list[str]:
    command = [
        sys.executable, "-m", "chatroom", "--port", str(port), "--database", database,
        "--processes", str(config.processes), "--log-level", "warning",
        "--rate", "1000000", "--burst", "1000000",
        # The load generator's members are guests (protocol v1, no account).
        "--guests",
        # Every member comes from 127.0.0.1, into a room that is new.
        "--new-rooms-per-minute", "0", "--join-rate", "0",
    ]  # fmt: skip
    if config.redis:
        assert deployment.redis is not None
        command += ["--redis-url", deployment.redis.url]
    return command


def run_once(args: argparse.Namespace, deployment: Deployment, config: Config, rate: float) -> dict[str, Any]:
    """One fresh chatroom deployment, one load generator run."""
    if deployment.redis is not None:
        deployment.redis.command(b"FLUSHALL")
    port = services.free_port()
    with (
        deployment.database(config) as database,
        tempfile.TemporaryFile() as log,
        tempfile.TemporaryDirectory(dir=deployment.scratch) as counts,
    ):
        command = chatroom_command(config, database, port, deployment)
        code = args.variant_paths.get(config.variant, REPO)
        env = {**os.environ, "PYTHONPATH": str(code)}
        counter = COUNTERS[args.count](Path(counts)) if args.count else None
        if counter is not None:
            command = counter.wrap(command, env)
        if args.server_cpu is not None:
            command = ["taskset", "-c", args.server_cpu, *command]
        server = subprocess.Popen(command, cwd=code, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            wait_healthy(port, server, counter.startup_timeout if counter else 30.0)
            pg = config.store == "postgres"
            result = drive(args, deployment, server.pid, port, rate, count_commits=pg, counter=counter)
        except Exception:
            log.seek(0)
            sys.stderr.write(log.read().decode(errors="replace")[-3000:])
            raise
        finally:
            stop(server)
    result.update(config=config.name, processes=config.processes, mode="rate" if rate else "flat-out")
    result.update(words=bool(args.words))
    return result


def drive(
    args: argparse.Namespace,
    deployment: Deployment,
    server_pid: int,
    port: int,
    rate: float,
    *,
    count_commits: bool,
    counter: Counter | None = None,
) -> dict[str, Any]:
    """Run the load generator; sample the deployment's CPU (and, with ``count_commits``, PostgreSQL's
    commits: it also runs for the set's other configurations; with a ``counter``, chatroom's work) at
    its marks."""
    load = [
        str(LOADGEN), "--port", str(port), "--server-pid", str(server_pid),
        "--members", str(args.members), "--senders", str(args.senders), "--size", str(args.size),
        "--duration", str(args.duration), "--warmup", str(args.warmup), "--rooms", str(args.rooms),
    ]  # fmt: skip
    load += ["--rate", str(rate)] if rate else ["--window", str(args.window)]
    if args.words:
        load.append("--words")
    if args.client_cpu is not None:
        load = ["taskset", "-c", args.client_cpu, *load]
    Snapshot = dict[str, dict[int, float]]
    marks: dict[str, tuple[float, Snapshot, float, Snapshot]] = {}
    commits: dict[str, float] = {}

    def at_mark(word: str) -> None:
        # Pids are listed afresh: PostgreSQL forks a backend per new connection.
        groups = deployment.server_side_pids(server_pid)
        if counter is not None:
            counter.at_mark(word, groups["chatroom"])
        cpu, switched = cpu_snapshot(groups), switch_snapshot(groups)
        marks[word] = (time.monotonic(), cpu, machine_busy(), switched)
        if count_commits:
            # After the CPU is read: psql's own work falls outside the interval.
            commits[word] = deployment.commits()

    returncode, output, errors = run_marked(load, at_mark)
    if returncode != 0 or set(marks) != {"measuring", "measured"}:
        raise RuntimeError(f"loadgen failed ({returncode}): {errors[-2000:]}")
    result: dict[str, Any] = json.loads(output)
    (start, before, busy_before, switched_before) = marks["measuring"]
    (end, after, busy_after, switched_after) = marks["measured"]
    used = cpu_used(before, after)
    switched = cpu_used(switched_before, switched_after)
    wall = end - start
    server_cpu = sum(used.values())
    machine = (busy_after - busy_before) / wall
    result.update(
        # Cores busy on the machine, and how much of that was neither the
        # deployment nor the load generator: other work sharing the machine.
        machine_cpu=machine,
        other_cpu=max(0.0, machine - server_cpu / wall - float(result["client_cpu"])),
    )
    result.update(
        stored_per_s=result["messages_sent"] / result["measured_s"] if result["measured_s"] else 0.0,
        cpu_chatroom=used["chatroom"] / wall,
        cpu_postgres=used.get("postgres", 0.0) / wall,
        cpu_redis=used.get("redis", 0.0) / wall,
        cpu_server=server_cpu / wall,
        deliveries_per_cpu_s=result["deliveries"] / server_cpu if server_cpu else 0.0,
        deliveries_per_chatroom_cpu_s=result["deliveries"] / used["chatroom"] if used["chatroom"] else 0.0,
    )
    add_per_message(result)
    sent = result["messages_sent"] or 1
    # Each switch is a wait and a wake-up (or a preemption): on a shared core, what they cost is CPU.
    for part, count in switched.items():
        result[f"switches_per_message_{part}"] = count / sent
    if count_commits:
        result["postgres_commits_per_s"] = (commits["measured"] - commits["measuring"]) / wall
        result["messages_per_commit"] = result["stored_per_s"] / (result["postgres_commits_per_s"] or 1)
    if counter is not None:
        result[counter.key] = counter.per_message(int(result["messages_sent"]))
    return result


def progress(r: dict[str, Any]) -> str:
    """One run on one line."""
    return (
        f"{r['started']} load {r['loadavg']:.1f} rep {r['rep']} {r['config']:<16} {r['mode']:<8}"
        f" stored/s {r['stored_per_s']:>8,.0f} deliv/s {r['deliveries_per_s']:>10,.0f}"
        f" p50 {r['p50_ms']:6.2f} p99 {r['p99_ms']:7.2f} ms"
        f" cpu {r['cpu_chatroom']:.2f}+{r['cpu_postgres']:.2f}+{r['cpu_redis']:.2f}"
        f" deliv/srv-cpu-s {r['deliveries_per_cpu_s']:>9,.0f} other {r['other_cpu']:.2f}"
    )


def machine_busy() -> float:
    """CPU seconds the whole machine has spent busy since boot (steal included), from /proc/stat."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle, iowait
    # guest and guest_nice are already counted in user and nice.
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def wait_for_quiet(limit: float, longest: float) -> float:
    """Wait (at most ``longest`` s) until the machine's other work keeps under ``limit`` cores
    for a second; the cores it kept busy in the last such second."""
    deadline = time.monotonic() + longest
    while True:
        before, started = machine_busy(), time.monotonic()
        time.sleep(1.0)
        busy = (machine_busy() - before) / (time.monotonic() - started)
        if busy < limit or time.monotonic() > deadline:
            return busy
        time.sleep(2.0)


def stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM (the parent stops its workers), then SIGKILL if it lingers."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
    try:
        process.wait(20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


# --- summary ----------------------------------------------------------------------------

COLUMNS = (
    ("stored_per_s", "stored/s", "{:,.0f}"),
    ("deliveries_per_s", "deliv/s", "{:,.0f}"),
    ("p50_ms", "p50 ms", "{:.2f}"),
    ("p99_ms", "p99 ms", "{:.2f}"),
    ("cpu_chatroom", "chatroom", "{:.2f}"),
    ("cpu_postgres", "postgres", "{:.2f}"),
    ("cpu_redis", "redis", "{:.2f}"),
    ("cpu_server", "server", "{:.2f}"),
    ("deliveries_per_cpu_s", "deliv/srv-cpu-s", "{:,.0f}"),
    ("deliveries_per_chatroom_cpu_s", "deliv/chat-cpu-s", "{:,.0f}"),
    ("us_per_message_chatroom", "chat us/msg", "{:,.0f}"),
    ("us_per_message_postgres", "pg us/msg", "{:,.1f}"),
    ("switches_per_message_chatroom", "chat switches/msg", "{:.2f}"),
    ("switches_per_message_postgres", "pg switches/msg", "{:.2f}"),
    ("switches_per_message_redis", "redis switches/msg", "{:.2f}"),
    ("postgres_commits_per_s", "pg commits/s", "{:,.0f}"),
    ("messages_per_commit", "msgs/commit", "{:.1f}"),
    ("other_cpu", "other work", "{:.2f}"),
)
# With --count: chatroom's work per message (bench/work_counts.py).
COUNTED = tuple((kind.key, kind.title, "{:,.0f}") for kind in COUNTERS.values())


def columns(runs: list[dict[str, Any]]) -> tuple[tuple[str, str, str], ...]:
    """The summary's columns: every run's, and the counts some runs made."""
    return COLUMNS + tuple(c for c in COUNTED if any(c[0] in r for r in runs))


def add_per_message(result: dict[str, Any]) -> None:
    """CPU microseconds per stored message, by part: what each message costs wherever it goes."""
    sent = result["messages_sent"] or 1
    for part in ("chatroom", "postgres", "redis"):
        result[f"us_per_message_{part}"] = result[f"cpu_{part}"] * result["measured_s"] / sent * 1e6


def _rooms(run: dict[str, Any]) -> str:
    rooms = int(run.get("rooms") or 1)
    return "one room" if rooms <= 1 else f"{rooms} rooms"


def summary(runs: list[dict[str, Any]], configs: list[Config]) -> str:
    first = runs[0]
    rates = sorted({float(r["rate"]) for r in runs if r["mode"] == "rate"})
    windows = sorted({int(r["window"]) for r in runs if r["mode"] == "flat-out"})
    lines = [
        f"medians of {len({r['rep'] for r in runs})} runs; {_rooms(first)}, {first['members']} members,"
        f" {first['senders']} senders (window {windows} flat out; {rates} messages/s at a fixed rate),"
        f" {first['size']}-byte messages; CPU in cores over the measured interval",
        "",
    ]
    shown = columns(runs)
    for mode in ("flat-out", "rate"):
        header = f"{'config':<18} " + " ".join(f"{title:>16}" for _, title, _ in shown)
        lines += [f"== {mode}", header]
        for config in configs:
            chosen = [r for r in runs if r["mode"] == mode and r["config"] == config.name]
            if not chosen:
                continue
            cells = [fmt.format(statistics.median(r.get(key, 0.0) for r in chosen)) for key, _, fmt in shown]
            lines.append(f"{config.name:<18} " + " ".join(f"{cell:>16}" for cell in cells))
            spread = [r["deliveries_per_cpu_s"] for r in chosen]
            p99 = [r["p99_ms"] for r in chosen]
            lines.append(
                f"{'':<18} deliv/srv-cpu-s {min(spread):,.0f}..{max(spread):,.0f};"
                f" p99 {min(p99):.2f}..{max(p99):.2f} ms"
            )
            errors = sum(int(r["error_frames"]) for r in chosen)
            if errors:
                lines.append(f"{'':<18} {errors} error frames, e.g. {chosen[0].get('first_error')}")
        lines += ["", *scale_out(runs, configs, mode), *against_variants(runs, configs, mode), ""]
    return "\n".join(lines)


def scale_out(runs: list[dict[str, Any]], configs: list[Config], mode: str) -> list[str]:
    """Each N-process figure against the same store's 1-process figure, per repetition, then medians."""
    lines = []
    for config in configs:
        if config.processes == 1:
            continue
        single = config.with_processes(1).name
        pairs = [
            (many, one)
            for many in runs
            if many["mode"] == mode and many["config"] == config.name
            for one in runs
            if one["mode"] == mode and one["config"] == single and one["rep"] == many["rep"]
        ]
        if not pairs:
            continue
        lines += bracketed(runs, config, single, mode)
        for key, what in (
            ("deliveries_per_cpu_s", "deliveries per server CPU-second"),
            ("deliveries_per_chatroom_cpu_s", "deliveries per chatroom CPU-second"),
            ("stored_per_s", "stored messages/s"),
            *((key, f"{title} (work per message)") for key, title, _ in COUNTED),
        ):
            ratios = [many[key] / one[key] for many, one in pairs if one.get(key)]
            if not ratios:
                continue
            lines.append(
                f"{config.name} / {single}: {what} x{statistics.median(ratios):.3f}"
                f" ({min(ratios):.3f}..{max(ratios):.3f})"
            )
    return lines


def bracketed(runs: list[dict[str, Any]], config: Config, single: str, mode: str) -> list[str]:
    """Deliveries per server CPU-second of each ``config`` run against the mean of the ``single`` runs of
    its own repetition (just before it) and the next one (just after it); none without such runs."""

    def figure(name: str, rep: int) -> float | None:
        found = [r for r in runs if r["mode"] == mode and r["config"] == name and r["rep"] == rep]
        return float(found[0]["deliveries_per_cpu_s"]) if found else None

    ratios = []
    for many in runs:
        if many["mode"] != mode or many["config"] != config.name:
            continue
        before, after = figure(single, many["rep"]), figure(single, many["rep"] + 1)
        if before and after:
            ratios.append(many["deliveries_per_cpu_s"] / ((before + after) / 2))
    if not ratios:
        return []
    return [
        f"{config.name} / {single}: deliveries per server CPU-second, bracketed by the runs either side"
        f" x{statistics.median(ratios):.3f} ({min(ratios):.3f}..{max(ratios):.3f})"
    ]


def against_variants(runs: list[dict[str, Any]], configs: list[Config], mode: str) -> list[str]:
    """Each --variant's figures against this checkout's, same configuration, per repetition."""
    lines = []
    for config in configs:
        if not config.variant:
            continue
        base = Config(config.store, config.redis, config.processes).name
        pairs = [
            (other, this)
            for other in runs
            if other["mode"] == mode and other["config"] == config.name
            for this in runs
            if this["mode"] == mode and this["config"] == base and this["rep"] == other["rep"]
        ]
        for key, what in (
            ("deliveries_per_cpu_s", "deliveries per server CPU-second"),
            ("stored_per_s", "stored/s"),
        ):
            ratios = [other[key] / this[key] for other, this in pairs if this[key]]
            if ratios:
                lines.append(
                    f"{config.name} / {base}: {what} x{statistics.median(ratios):.3f}"
                    f" ({min(ratios):.3f}..{max(ratios):.3f})"
                )
    return lines


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=3, help="repetitions of every configuration and mode")
    parser.add_argument("--configs", default=DEFAULT_CONFIGS, help="comma-separated store[+redis]:processes")
    parser.add_argument("--modes", default="flat-out,rate", help="flat-out, rate, or both")
    parser.add_argument("--members", type=int, default=100)
    parser.add_argument("--senders", type=int, default=20)
    parser.add_argument(
        "--rooms", type=int, default=1, help="rooms the members are in (member i in room i mod ROOMS)"
    )
    parser.add_argument("--window", type=int, default=5, help="messages in flight per sender (flat out)")
    parser.add_argument("--rate", type=float, default=300, help="messages a second in total (fixed rate)")
    parser.add_argument("--size", type=int, default=100, help="message text bytes")
    parser.add_argument(
        "--words", action="store_true", help="texts of English words, not a run of x (what search indexes)"
    )
    parser.add_argument("--duration", type=float, default=6)
    parser.add_argument("--warmup", type=float, default=2)
    parser.add_argument("--server-cpu", default="0", help="core(s) for chatroom, PostgreSQL and Redis")
    parser.add_argument("--client-cpu", default="1", help="core for the load generator")
    parser.add_argument(
        "--services-cpu", default=None, help="core(s) for PostgreSQL and Redis (default: --server-cpu)"
    )
    parser.add_argument("--no-pin", action="store_true", help="let the kernel place every process")
    parser.add_argument("--out", type=Path, default=None, help="JSON lines file for raw results")
    parser.add_argument(
        "--count",
        choices=sorted(COUNTERS),
        default=None,
        help="also count chatroom's work per message (bench/work_counts.py); CPU is then not speed",
    )
    parser.add_argument(
        "--quiet",
        type=float,
        default=0.5,
        help="before each run, wait until other work keeps fewer cores than this busy (0: do not wait)",
    )
    parser.add_argument("--quiet-wait", type=float, default=120, help="the longest wait for --quiet, seconds")
    parser.add_argument(
        "--bracket",
        action="store_true",
        help="end with one more run of each one-process configuration, and also set each N-process run"
        " against the mean of the one-process runs either side of it",
    )
    parser.add_argument(
        "--variant",
        action="append",
        default=[],
        metavar="NAME=PATH",
        help="also run the chatroom checked out at PATH, alternating with the others; may be repeated",
    )
    args = parser.parse_args()
    args.variant_paths = {}
    for text in args.variant:
        name, _, path = text.partition("=")
        if not name or not Path(path, "chatroom").is_dir():
            parser.error(f"--variant {text!r}: use NAME=PATH, PATH a checkout with chatroom/ in it")
        args.variant_paths[name] = Path(path).resolve()
    variants = ["", *args.variant_paths]
    args.config_list = [
        Config(c.store, c.redis, c.processes, variant)
        for c in map(Config.parse, args.configs.split(","))
        for variant in variants
    ]
    args.mode_list = args.modes.split(",")
    if not set(args.mode_list) <= {"flat-out", "rate"}:
        parser.error("--modes: flat-out and/or rate")
    if args.no_pin:
        args.server_cpu = args.client_cpu = args.services_cpu = None
    elif args.services_cpu is None:
        args.services_cpu = args.server_cpu
    elif not shutil.which("taskset"):
        parser.error("taskset is missing (util-linux); use --no-pin")
    return args


def summarize(paths: list[Path]) -> None:
    """Print the summary of results saved earlier (several files: their runs together)."""
    runs: list[dict[str, Any]] = []
    for number, path in enumerate(paths):
        for line in path.read_text().splitlines():
            run = json.loads(line)
            # Repetitions of different files are different repetitions (and never next to each other).
            run["rep"] = number * 1000 + int(run["rep"])
            add_per_message(run)
            runs.append(run)
    names = list(dict.fromkeys(r["config"] for r in runs))
    configs = []
    for name in names:
        base, _, variant = name.partition("@")
        parsed = Config.parse(base)
        configs.append(Config(parsed.store, parsed.redis, parsed.processes, variant))
    print(summary(runs, configs))


def main() -> None:
    # A stop signal ends the run in order: servers stopped, the cluster removed.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    signal.signal(signal.SIGINT, signal.default_int_handler)
    if sys.argv[1:2] == ["--summarize"]:
        summarize([Path(p) for p in sys.argv[2:]])
        return
    args = parse_args()
    if not LOADGEN.exists() or LOADGEN.stat().st_mtime < (BENCH / "loadgen.c").stat().st_mtime:
        subprocess.run(["make", "-s", "-C", str(BENCH)], check=True)
    configs: list[Config] = args.config_list
    want_pg = any(c.store == "postgres" for c in configs)
    want_redis = any(c.redis for c in configs)
    out = args.out or BENCH / "results" / time.strftime("deploy-%Y%m%d-%H%M%S.jsonl")
    out.parent.mkdir(parents=True, exist_ok=True)
    runs: list[dict[str, Any]] = []
    invocation = shlex.join(["python", "bench/deploy_bench.py", *sys.argv[1:]])
    with (
        services.running(want_pg, want_redis, cpu=args.services_cpu) as (pg, redis),
        tempfile.TemporaryDirectory(prefix="chatroom-bench-") as scratch,
        out.open("a") as sink,
    ):
        deployment = Deployment(pg, redis, Path(scratch))
        order = [(rep, config) for rep in range(1, args.runs + 1) for config in configs]
        if args.bracket:
            order += [(args.runs + 1, config) for config in configs if config.processes == 1]
        for rep, config in order:
            for mode in args.mode_list:
                quiet = wait_for_quiet(args.quiet, args.quiet_wait) if args.quiet else 0.0
                day, started = time.strftime("%Y-%m-%d"), time.strftime("%H:%M:%S")
                load = os.getloadavg()[0]
                result = run_once(args, deployment, config, args.rate if mode == "rate" else 0.0)
                result.update(rep=rep, started=started, loadavg=load, busy_before=quiet)
                # The day and the command, for a plot's caption (bench/plot.py).
                result.update(date=day, argv=invocation)
                runs.append(result)
                sink.write(json.dumps(result) + "\n")
                sink.flush()
                print(progress(result), file=sys.stderr, flush=True)
    print(summary(runs, configs))
    print(f"\nraw results: {out}")


if __name__ == "__main__":
    main()
