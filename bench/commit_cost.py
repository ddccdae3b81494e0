"""What a commit costs chatroom's CPU: the PostgreSQL store's and the Redis bus's part, alone.

Every commit of the PostgreSQL store is one call of its store function and,
on a deployment with Redis, one hand-over of its rooms' frames to the bus.
This measures each alone, in a process of its own pinned to one core (the
services on the other), with ``time.process_time``:

- **store**: the store appends batches of N messages into 100 rooms, one
  batch at a time (each its own commit): CPU a commit, chatroom's and
  PostgreSQL's (the postmaster and every process it forked, from /proc);
- **bus**: ``RedisBus.publish_stored`` of one message in each of R rooms,
  one after the other: CPU a hand-over, and Redis's (from /proc);
- **served**: the same, by a bus subscribed to those rooms, as a node serving
  them is (each room in one worker, or room affinity at the proxy): what its
  own frames coming back cost it, if they do;
- **receive**: a node's bus subscribed to 100 rooms takes the frames another
  process publishes into them, a message each: CPU a frame, when they come
  alone (one PUBLISH at a time, about 2,000 a second) and together (100 in
  one pipeline).

Each checkout given with ``--variant`` runs in turn with this one, ``--runs``
times; medians are printed, with the ratio of each variant to this code.

    python bench/commit_cost.py --runs 5 --variant before=CHECKOUT
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from services import Postgres, Redis, cpu_seconds, family

REPO = Path(__file__).resolve().parent.parent
ROOMS = 100
TEXT = "a chat message of about the usual length, with a few words in it"


def child(repo: str, kind: str, size: int, count: int, url: str, server_pid: int) -> dict[str, float]:
    """Run in the measuring process: import chatroom from ``repo`` and measure one case.

    ``server_pid``: the postmaster's for the store, Redis's for the bus.
    """
    sys.path.insert(0, repo)
    os.sched_setaffinity(0, {0})
    if kind == "store":
        return asyncio.run(_store(url, size, count, server_pid))
    if kind == "receive":
        return asyncio.run(_receive(repo, url, size, count))
    return asyncio.run(_bus(url, size, count, server_pid, served=kind == "served"))


def _postgres_cpu(postmaster: int) -> float:
    return sum(cpu_seconds(pid) for pid in family(postmaster))


async def _store(url: str, size: int, count: int, postmaster: int) -> dict[str, float]:
    from chatroom.store.postgres import PostgresStore

    store = PostgresStore(url)
    await store.start()
    try:

        async def batches(n: int) -> None:
            for i in range(n):
                rooms = [f"room{(i * size + j) % ROOMS}" for j in range(size)]
                await asyncio.gather(*[store.append(room, "ann", f"{TEXT} {i}") for room in rooms])

        await batches(100)
        started, postgres_started = time.process_time(), _postgres_cpu(postmaster)
        await batches(count)
        return {
            "chatroom_us": 1e6 * (time.process_time() - started) / count,
            "postgres_us": 1e6 * (_postgres_cpu(postmaster) - postgres_started) / count,
        }
    finally:
        await store.close()


async def _bus(url: str, rooms: int, count: int, redis_pid: int, *, served: bool) -> dict[str, float]:
    from chatroom.backend import StoredMessage
    from chatroom.bus.redis import RedisBus

    bus = RedisBus(url)
    await bus.start()
    try:
        for room in range(rooms if served else 0):
            await bus.subscribe(f"room{room}", lambda events: None)
        stored = [
            (f"room{r}", [StoredMessage(r + 1, f"room{r}", "ann", TEXT, 1_700_000_000_000, False, False)])
            for r in range(rooms)
        ]
        for _ in range(100):
            await bus.publish_stored(stored)
        started, redis_started = time.process_time(), cpu_seconds(redis_pid)
        for _ in range(count):
            await bus.publish_stored(stored)
        return {
            "chatroom_us": 1e6 * (time.process_time() - started) / count,
            "redis_us": 1e6 * (cpu_seconds(redis_pid) - redis_started) / count,
        }
    finally:
        await bus.close()


async def _receive(repo: str, url: str, together: int, count: int) -> dict[str, float]:
    """CPU a frame taken by a subscribed bus, published by another process ``together`` at a time."""
    from chatroom.bus.redis import RedisBus

    bus = RedisBus(url)
    await bus.start()
    taken = 0
    started = 0.0
    done = asyncio.Event()

    def sink(events: list[object]) -> None:
        nonlocal taken, started
        taken += len(events)
        if taken == 1:
            started = time.process_time()
        if taken >= count:
            done.set()

    try:
        for room in range(ROOMS):
            await bus.subscribe(f"room{room}", sink)
        command = [sys.executable, __file__, "--publish", repo, url, bus.prefix, str(together), str(count)]
        publisher = await asyncio.create_subprocess_exec(*command)
        await asyncio.wait_for(done.wait(), 120)
        await publisher.wait()
        return {"chatroom_us": 1e6 * (time.process_time() - started) / (count - 1)}
    finally:
        await bus.close()


def publish(repo: str, url: str, prefix: str, together: int, count: int) -> None:
    """Run in the publishing process: ``count`` frames of another node, ``together`` in a pipeline."""
    sys.path.insert(0, repo)
    os.sched_setaffinity(0, {1})
    import redis

    from chatroom.backend import StoredMessage
    from chatroom.bus.redis_frames import message_frames
    from chatroom.bus.redis_keys import RedisKeys

    keys = RedisKeys(prefix, "other")
    frames = []
    for n in range(count):
        room = f"room{n % ROOMS}"
        stored = StoredMessage(n // ROOMS + 1, room, "ann", TEXT, 1_700_000_000_000, False, False)
        frames.append((keys.channel(room), message_frames(b"other", [stored])[0]))
    client = redis.Redis.from_url(url)
    for start in range(0, count, together):
        pipe = client.pipeline(transaction=False)
        for channel, data in frames[start : start + together]:
            pipe.publish(channel, data)
        pipe.execute()
        if together == 1:
            time.sleep(0.0005)  # one at a time, so that each comes alone
    client.close()


def measure(repo: Path, kind: str, size: int, url: str, server_pid: int) -> dict[str, float]:
    count = 6000 if kind == "receive" else 3000 if size < 10 else 800
    command = [
        sys.executable,
        __file__,
        "--child",
        str(repo),
        kind,
        str(size),
        str(count),
        url,
        str(server_pid),
    ]
    done = subprocess.run(command, check=True, capture_output=True, text=True)
    result: dict[str, float] = json.loads(done.stdout)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--batches", default="1,24", help="messages a commit, comma-separated")
    parser.add_argument("--rooms", default="1,10,40", help="rooms a hand-over, comma-separated")
    parser.add_argument("--served", default="1,10", help="rooms a hand-over when served, comma-separated")
    parser.add_argument("--received", default="1,100", help="frames published together, comma-separated")
    parser.add_argument("--variant", action="append", default=[], metavar="NAME=PATH")
    args = parser.parse_args()
    variants = {"this": REPO, **{name: Path(path) for name, path in (v.split("=", 1) for v in args.variant)}}
    cases = [("store", int(n)) for n in args.batches.split(",") if n]
    cases += [("bus", int(n)) for n in args.rooms.split(",") if n]
    cases += [("served", int(n)) for n in args.served.split(",") if n]
    cases += [("receive", int(n)) for n in args.received.split(",") if n]
    results: dict[tuple[str, str, int], list[dict[str, float]]] = {}
    postgres, redis = Postgres(cpu="1").start(), Redis(cpu="1").start()
    try:
        for run in range(args.runs):
            for kind, size in cases:
                url = postgres.url(schema=None) if kind == "store" else f"redis://127.0.0.1:{redis.port}"
                for name, repo in variants.items():
                    if kind == "store":
                        postgres.sql("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
                    result = measure(repo, kind, size, url, postgres.pid if kind == "store" else redis.pid)
                    results.setdefault((name, kind, size), []).append(result)
                    print(f"run {run + 1} {name:>10} {kind} {size:>3}: {result}", flush=True)
    finally:
        postgres.stop()
        redis.stop()
    report(results, list(variants), cases)


def report(
    results: dict[tuple[str, str, int], list[dict[str, float]]],
    names: list[str],
    cases: list[tuple[str, int]],
) -> None:
    print("\nmedians, µs of CPU: a commit of N messages (store), a hand-over of R rooms (bus; served:")
    print("by a node subscribed to them), a frame received when T were published together (receive)")
    for kind, size in cases:
        line = f"{kind} {dict(store='N', bus='R', served='R', receive='T')[kind]}={size:<3}"
        for name in names:
            runs = results[(name, kind, size)]
            chat = statistics.median(r["chatroom_us"] for r in runs)
            line += f" | {name}: chatroom {chat:,.0f}"
            if kind in ("bus", "served"):
                line += f", redis {statistics.median(r['redis_us'] for r in runs):,.0f}"
            if kind == "store":
                line += f", postgres {statistics.median(r['postgres_us'] for r in runs):,.0f}"
            if name != names[0]:
                base = statistics.median(r["chatroom_us"] for r in results[(names[0], kind, size)])
                line += f" (×{chat / base:.2f} of {names[0]})"
        print(line)


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--publish":
        publish(sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5]), int(sys.argv[6]))
    elif len(sys.argv) > 1 and sys.argv[1] == "--child":
        repo, kind, size, count, url, server_pid = sys.argv[2:8]
        print(json.dumps(child(repo, kind, int(size), int(count), url, int(server_pid))))
    else:
        main()
