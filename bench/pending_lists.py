"""How long the PostgreSQL store's commits take while the search index's pending lists fill.

Each run starts a PostgreSQL cluster of its own (services.py, pinned to core
1) and, pinned to core 0, a process that opens the store of one checkout and
appends 60,000 messages into 100 rooms in batches of 20 (eight words with a
number each, so that the GIN indexes' pending lists fill as a busy server's
do), one batch after the other. It reports the messages a second, the CPU of
PostgreSQL and of the process a message, and each batch's time from its
appends to their last answer: p50, p99, the longest, and how many took over
50 ms. Checkouts alternate, ``--runs`` times:

    python bench/pending_lists.py --runs 2 --variant before=CHECKOUT

``--texts`` chooses what the messages say: ``numbered`` (the default, above),
``chat`` (the search benchmark's English messages, bench/search_data.py:
words drawn by their frequency, 7 a message in the median) or ``loadgen``
(what ``bench/build/loadgen --words`` sends: ``bench``, a time in
nanoseconds, two numbers, then common words up to 100 characters).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import subprocess
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

from services import Postgres, cpu_seconds, family  # noqa: E402

WORDS = ("river", "bend", "hill", "lake", "stone", "cloud", "morning", "evening", "yellow", "window")
BATCHES, BATCH = 3000, 20


# bench/loadgen.c's words for --words, in its order.
_LOADGEN_TEXT = (
    "the meeting moved to three can you check release notes before lunch deploy went fine staging is"
    " green again who has a keys for office tomorrow morning please review my change thanks coffee later"
    " budget report draft looks good send it customer called about invoice weekend plans train late"
    " station north exit photos from trip agenda friday backup finished overnight server restart question"
    " answer welcome team schedule update bug fixed"
)
LOADGEN_WORDS = _LOADGEN_TEXT.split()
TEXTS = ("numbered", "chat", "loadgen")


def make_texts(kind: str, count: int) -> list[str]:
    """``count`` message texts of this kind (see the module's docstring); the same every run."""
    rng = random.Random(1)
    if kind == "numbered":
        # Eight words with a number each: entries the pending lists have not seen.
        return [" ".join(f"{rng.choice(WORDS)}{rng.randrange(1000)}" for _ in range(8)) for _ in range(count)]
    if kind == "chat":
        from index_cost import texts

        return texts("chat", count)
    return [_loadgen_text(rng, n) for n in range(count)]


def _loadgen_text(rng: random.Random, n: int) -> str:
    text = f"bench {time.time_ns()} {n % 1000} {n // 1000} "
    while len(text) < 100:
        text += rng.choice(LOADGEN_WORDS) + " "
    return text[:100]


async def measure(url: str, postmaster: int, kind: str) -> dict[str, float]:
    """Append the batches one after the other; throughput, CPU a message and each batch's time."""
    from chatroom.store.postgres import PostgresStore

    all_texts = make_texts(kind, BATCHES * BATCH)
    store = PostgresStore(url)
    await store.start()
    times: list[float] = []
    servers = family(postmaster)
    server_cpu, own_cpu, started = sum(map(cpu_seconds, servers)), time.process_time(), time.perf_counter()
    for n in range(BATCHES):
        texts = all_texts[n * BATCH : (n + 1) * BATCH]
        began = time.perf_counter()
        await asyncio.gather(
            *(store.append(f"room{(n * BATCH + j) % 100}", "ann", t) for j, t in enumerate(texts))
        )
        times.append(time.perf_counter() - began)
    elapsed, messages = time.perf_counter() - started, BATCHES * BATCH
    result = {
        "per_second": messages / elapsed,
        "postgres_us": 1e6 * (sum(map(cpu_seconds, servers)) - server_cpu) / messages,
        "chatroom_us": 1e6 * (time.process_time() - own_cpu) / messages,
    }
    await store.close()
    times.sort()
    result.update(
        p50=1e3 * times[len(times) // 2],
        p99=1e3 * times[int(len(times) * 0.99)],
        longest=1e3 * times[-1],
        over_50ms=sum(1 for t in times if t > 0.05),
    )
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--variant", action="append", default=[], help="NAME=CHECKOUT, measured alike")
    parser.add_argument("--texts", choices=TEXTS, default="numbered", help="what the messages say")
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        os.sched_setaffinity(0, {0})
        print(json.dumps(asyncio.run(measure(args.child[0], int(args.child[1]), args.child[2]))))
        return
    checkouts = {"this": BENCH.parent, **{k: Path(v) for k, v in (a.split("=", 1) for a in args.variant)}}
    for run in range(args.runs):
        for name, code in checkouts.items():
            cluster = Postgres(cpu="1").start()
            try:
                command = [
                    sys.executable,
                    __file__,
                    "--child",
                    cluster.url(schema=None),
                    str(cluster.pid),
                    args.texts,
                ]
                env = {**os.environ, "PYTHONPATH": str(code)}
                done = subprocess.run(command, env=env, cwd=code, capture_output=True, text=True, check=True)
                r = json.loads(done.stdout.strip().splitlines()[-1])
            finally:
                cluster.stop()
            print(
                f"run {run + 1} {name:>8}: {r['per_second']:6,.0f} messages/s,"
                f" PostgreSQL {r['postgres_us']:.0f} µs a message, chatroom {r['chatroom_us']:.0f};"
                f" a batch p50 {r['p50']:.1f} ms, p99"
                f" {r['p99']:.1f}, longest {r['longest']:.1f}, over 50 ms {r['over_50ms']:.0f}",
                flush=True,
            )


if __name__ == "__main__":
    main()
