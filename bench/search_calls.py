"""The store's search call alone, per query class of the search benchmark, on its SQLite database.

No HTTP: each query of a class (search_queries.py, the same pools as
search_bench.py) is one call of Store.search in this process, timed from
the call to its answer, for the reader's rooms. The store starts fresh, so
whatever it learns as it searches (sqlite_grams.py's counts) is paid for
in the calls, as a server that has just started pays for it; ``--settle
SECONDS`` makes one search first and waits that long before timing any,
as a server that has been searched before. ``--code``
imports chatroom from another checkout, so that two versions run on one
database side by side:

    python bench/search_calls.py --data /var/tmp/sb20 --settle 3 --code /tmp/before
    python bench/search_calls.py --data /var/tmp/sb20 --settle 3

The database is the one search_bench.py builds (``--build-only``).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", required=True, help="where search_bench.py keeps its databases")
    parser.add_argument("--code", default=str(BENCH.parent), help="the checkout whose chatroom is timed")
    parser.add_argument("--only", nargs="+", help="query classes (all by default)")
    parser.add_argument("--reader", nargs="+", default=["fifty", "everyone"])
    parser.add_argument("--queries", type=int, default=200, help="queries a class and reader (at most 200)")
    parser.add_argument("--settle", type=float, default=0.0, help="seconds after a first search, untimed")
    args = parser.parse_args()
    sys.path[:0] = [args.code, str(BENCH)]
    asyncio.run(run(args))


async def run(args: argparse.Namespace) -> None:
    import search_data
    import search_queries

    from chatroom.search_text import parse_query
    from chatroom.store import open_store
    from chatroom.store.search_base import Reader, SearchQuery

    pools = search_queries.QueryPools.make()
    ids = {name: n for n, name in enumerate([*search_data.READERS, search_data.ADMIN], start=1)}
    store = open_store(f"sqlite:///{Path(args.data) / 'sqlite' / 'search.db'}")
    await store.start()
    try:
        if args.settle:
            await store.search(SearchQuery(parse_query("settle"), (), reader=Reader(ids["everyone"], True)))
            await asyncio.sleep(args.settle)
        for reader in args.reader:
            for name in args.only or list(search_queries.CLASSES):
                times = []
                for params in pools.queries(name, reader)[: args.queries]:
                    query = SearchQuery(
                        parse_query(params["q"]),
                        (params["room"],) if "room" in params else (),
                        params.get("from"),
                        reader=Reader(ids[reader], True),
                    )
                    started = time.perf_counter()
                    await store.search(query)
                    times.append((time.perf_counter() - started) * 1000)
                print(line(reader, name, times), flush=True)
    finally:
        await store.close()


def line(reader: str, name: str, times: list[float]) -> str:
    ordered = sorted(times)
    p90 = ordered[int(len(ordered) * 0.9)]
    return f"{reader:8} {name:15} p50 {statistics.median(ordered):6.2f} p90 {p90:6.2f} max {ordered[-1]:6.2f}"


if __name__ == "__main__":
    main()
