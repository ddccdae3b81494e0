"""What the search index's full pending lists cost a PostgreSQL search, merged or not.

Each run starts a PostgreSQL cluster of its own (services.py, on core 1),
opens the store with its merges of the pending lists on (as shipped) or
off (never due), stores 3,000 messages into 100 rooms (eight words with a
number each, as bench/pending_lists.py writes), waits 1.5 s, then times 200
searches of a word or a phrase in those rooms through ``Store.search``, and
says how many pages the lists held at the end (merging them).

    python bench/pending_search.py --runs 2
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path[:0] = [str(BENCH.parent), str(BENCH)]

from pending_lists import _text  # noqa: E402
from services import Postgres  # noqa: E402

QUERIES = ("river123", "stone7", "yellow999", "cloud42", '"lake1 hill2"')
LEFT = (
    "SELECT gin_clean_pending_list('search_rows_trigrams'::regclass)"
    " + gin_clean_pending_list('search_rows_keys'::regclass)"
)


async def measure(cluster: Postgres, merging: bool) -> tuple[float, float]:
    """Store the messages, then the searches' p50 and p90 in milliseconds."""
    from chatroom.search_text import parse_query
    from chatroom.store.pg_pending import PendingLists
    from chatroom.store.postgres import PostgresStore
    from chatroom.store.search_base import SearchQuery

    store = PostgresStore(cluster.url(schema=None))
    if not merging:
        store._pending_lists = PendingLists(
            store._run, lambda: store._writer.committed, after=10**9, interval=10**9
        )
    await store.start()
    rng = random.Random(1)
    for n in range(150):
        rooms = [f"room{(n * 20 + j) % 100}" for j in range(20)]
        await asyncio.gather(*(store.append(room, "ann", _text(rng)) for room in rooms))
    await asyncio.sleep(1.5)
    times = []
    for query in QUERIES * 40:
        began = time.perf_counter()
        await store.search(SearchQuery(parse_query(query), tuple(f"room{r}" for r in range(100))))
        times.append(1e3 * (time.perf_counter() - began))
    await store.close()
    times.sort()
    return statistics.median(times), times[int(len(times) * 0.9)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=2)
    args = parser.parse_args()
    os.sched_setaffinity(0, {0})
    for run in range(args.runs):
        for merging in (False, True):
            cluster = Postgres(cpu="1").start()
            try:
                p50, p90 = asyncio.run(measure(cluster, merging))
                left = cluster.sql(LEFT).strip()
            finally:
                cluster.stop()
            name = "merges on" if merging else "merges off"
            print(f"run {run + 1} {name}: search p50 {p50:.2f} ms, p90 {p90:.2f}; pages in the lists {left}")


if __name__ == "__main__":
    main()
