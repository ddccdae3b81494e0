"""Join storms on every deployment: how many members a process welcomes, and refuses, when all come at once.

Starts its own PostgreSQL and redis-server on free ports (bench/services.py),
then, for every configuration (``store[+redis]:processes``, as in
deploy_bench.py) and every checkout given with ``--variant``, alternating,
runs a fresh ``python -m chatroom`` on a fresh database and connects
``--members`` members into ``--rooms`` rooms with the C load generator's
``--idle`` mode: 64 upgrades in flight, nobody sends. A member counts as
connected at its 101; its join then goes on in the server, so this is a
node restarted and its members reconnecting. Each run reports the seconds
until every member had its first frame (a welcome, or a refusal) and how
many were refused (an error frame, close 1013 ``unavailable``), and the CPU
the chatroom process (with its workers) used meanwhile, per member.

Server side on core 0, the load generator on core 1.

    make -C bench && python bench/join_storm.py --configs postgres+redis:1 --members 5000 --rooms 50 --runs 4
    python bench/join_storm.py --configs sqlite:1 --members 10000 --rooms 1000 --variant before=CHECKOUT
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import services
from deploy_bench import LOADGEN, REPO, Config, Deployment, chatroom_command, stop, wait_healthy


def storm(args: argparse.Namespace, deployment: Deployment, config: Config) -> dict[str, Any]:
    """One fresh deployment, every member connecting at once."""
    if deployment.redis is not None:
        deployment.redis.command(b"FLUSHALL")
    port = services.free_port()
    with deployment.database(config) as database, tempfile.TemporaryFile() as log:
        command = ["taskset", "-c", args.server_cpu, *chatroom_command(config, database, port, deployment)]
        code = args.variants.get(config.variant, REPO)
        env = {**os.environ, "PYTHONPATH": str(code)}
        server = subprocess.Popen(command, cwd=code, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            wait_healthy(port, server)
            before = chatroom_cpu(server.pid)
            load = [
                "taskset", "-c", args.client_cpu, str(LOADGEN), "--port", str(port),
                "--members", str(args.members), "--rooms", str(args.rooms), "--idle", "--hold", "1",
            ]  # fmt: skip
            answer = subprocess.run(load, capture_output=True, text=True, check=True, timeout=600)
            cpu = chatroom_cpu(server.pid) - before
        finally:
            stop(server)
    result: dict[str, Any] = json.loads(answer.stdout.strip().splitlines()[-1])
    result.update(config=config.name, refused=int(result["closed_1013"]), cpu_ms=cpu * 1000 / args.members)
    return result


def chatroom_cpu(pid: int) -> float:
    """CPU seconds the chatroom process and its workers have used so far."""
    return sum(services.cpu_seconds(each) for each in services.family(pid))


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--configs", default="postgres+redis:1", help="comma-separated store[+redis]:processes"
    )
    parser.add_argument("--members", type=int, default=5000)
    parser.add_argument("--rooms", type=int, default=50)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--server-cpu", default="0")
    parser.add_argument("--client-cpu", default="1")
    parser.add_argument("--variant", action="append", default=[], metavar="NAME=PATH")
    args = parser.parse_args()
    args.variants = dict(v.split("=", 1) for v in args.variant)
    plain = [Config.parse(text) for text in args.configs.split(",")]
    args.config_list = [
        Config(c.store, c.redis, c.processes, variant) for c in plain for variant in ("", *args.variants)
    ]
    return args


def main() -> None:
    args = parse_args()
    if not LOADGEN.exists():
        subprocess.run(["make", "-s", "-C", str(REPO / "bench")], check=True)
    configs: list[Config] = args.config_list
    runs: dict[str, list[dict[str, Any]]] = {c.name: [] for c in configs}
    want_pg = any(c.store == "postgres" for c in configs)
    want_redis = any(c.redis for c in configs)
    with (
        services.running(want_pg, want_redis, cpu=args.server_cpu) as (pg, redis),
        tempfile.TemporaryDirectory(prefix="chatroom-storm-") as scratch,
    ):
        deployment = Deployment(pg, redis, Path(scratch))
        for rep in range(1, args.runs + 1):
            for config in configs:
                result = storm(args, deployment, config)
                runs[config.name].append(result)
                print(
                    f"{rep} {config.name}: {result['join_s']:.2f} s, refused {result['refused']},"
                    f" open {result['still_open']}, {result['cpu_ms']:.2f} ms of CPU a member",
                    file=sys.stderr,
                    flush=True,
                )
    print(f"\n{args.members} members into {args.rooms} rooms, {args.runs} runs each")
    for name, results in runs.items():
        seconds = [r["join_s"] for r in results]
        refused = [r["refused"] for r in results]
        cpu = [r["cpu_ms"] for r in results]
        print(
            f"{name:28} s until every first frame: median {statistics.median(seconds):.2f}"
            f" ({min(seconds):.2f}..{max(seconds):.2f}); refused: {', '.join(map(str, refused))};"
            f" ms of CPU a member: median {statistics.median(cpu):.2f} ({min(cpu):.2f}..{max(cpu):.2f})"
        )


if __name__ == "__main__":
    main()
