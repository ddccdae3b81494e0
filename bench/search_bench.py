"""Search benchmark: GET /api/search latency, a million messages in a thousand rooms, SQLite and PostgreSQL.

Builds the database once per store (bench/search_data.py says how its text is
made) under ``--data`` and reuses it afterwards; PostgreSQL is a cluster of
the benchmark's own there, on a free port (never the machine's own server).
Each run starts the real server (``python -m chatroom --database ...``) on
each store in turn, the order alternating from run to run, signs in as each
reader account, and sends every query class's requests one after another on
one keep-alive connection, after a warm-up pass. p50 and p99 are per run;
the table shows their medians over the runs, and the load average is
recorded before each run's store.

    pip install -r bench/requirements.txt
    python bench/search_bench.py --runs 3 --requests 100

``--only CLASS``, ``--reader NAME`` and ``--store`` narrow a run; ``--data``
says where the databases are kept (built on first use, a few minutes each).
PostgreSQL runs with 2 GB of shared buffers (POSTGRES_SETTINGS).
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
import json
import os
import random
import signal
import sqlite3
import statistics
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
sys.path[:0] = [str(REPO), str(BENCH)]

import search_data  # noqa: E402
from search_queries import CLASSES, QueryPools  # noqa: E402
from services import Postgres, free_port  # noqa: E402

from chatroom.store import migrations, open_store  # noqa: E402
from chatroom.store.migrations import v016_search_keys  # noqa: E402

STORES = ("sqlite", "postgres")
# PostgreSQL's default 128 MB of shared buffers holds a fraction of the million messages' tables
# and indexes (1.2 GB): 2 GB is what a server of this size would be given (the docs say a
# quarter of the memory; this machine has 24 GB).
POSTGRES_SETTINGS = ("shared_buffers=2GB",)
READY = "ready.json"


@dataclass
class Database:
    """One store's database under the data directory, and the cluster that serves it (PostgreSQL)."""

    store: str
    directory: Path
    cluster: Postgres | None = None

    @property
    def url(self) -> str:
        if self.cluster is None:
            return str(self.directory / "search.db")
        return self.cluster.url()

    def open(self) -> Database:
        self.directory.mkdir(parents=True, exist_ok=True)
        if self.store == "postgres":
            self.cluster = Postgres(directory=self.directory, settings=POSTGRES_SETTINGS).start()
        if not self._ready():
            self.build()
        return self

    def _ready(self) -> bool:
        """Whether the directory holds this benchmark's database, at this code's schema version."""
        ready = self.directory / READY
        return ready.exists() and json.loads(ready.read_text()).get("schema") == migrations.LATEST

    def close(self) -> None:
        if self.cluster is not None:
            self.cluster.stop()

    def build(self) -> None:
        print(f"building the {self.store} database in {self.directory} ...", flush=True)
        started = time.perf_counter()
        if self.cluster is not None:
            self.cluster.sql("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
        else:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{self.url}{suffix}").unlink(missing_ok=True)
        asyncio.run(self._fill())
        if self.cluster is not None:
            self._index_postgres()
        else:
            self._merge_sqlite_index()
        seconds = time.perf_counter() - started
        facts = {
            "messages": search_data.MESSAGES,
            "seed": search_data.SEED,
            "schema": migrations.LATEST,
            "seconds": round(seconds),
        }
        (self.directory / READY).write_text(json.dumps(facts))
        print(f"built in {seconds:.0f} s", flush=True)

    async def _fill(self) -> None:
        store = open_store(self.url, sqlite_synchronous="normal")
        await store.start()
        try:
            if self.cluster is not None:
                # A bulk load builds the text's indexes once at the end, not row by row.
                self.cluster.sql("DROP INDEX search_rows_trigrams; DROP INDEX search_rows_keys")
            await search_data.fill(store)
        finally:
            await store.close()

    def _merge_sqlite_index(self) -> None:
        """Merge the FTS5 index into one segment after the load, as schema step 13 does for a
        database it migrates (a bulk load leaves dozens, each of which a search reads)."""
        with closing(sqlite3.connect(self.url)) as conn, conn:
            conn.execute("INSERT INTO search_index (search_index) VALUES ('optimize')")

    def _index_postgres(self) -> None:
        assert self.cluster is not None
        self.cluster.sql(
            "SET maintenance_work_mem = '1GB';"
            " CREATE INDEX search_rows_trigrams ON search_rows USING gin (folded gin_trgm_ops);"
            f" {v016_search_keys.KEYS_INDEX}"
        )
        self.cluster.sql("VACUUM ANALYZE")


# --- the server and its client -------------------------------------------------------


@contextmanager
def chat_server(database: str, port: int, flags: Sequence[str] = ()) -> Iterator[subprocess.Popen[bytes]]:
    """``python -m chatroom`` on the database, ready on ``port``, with more ``flags``."""
    command = [sys.executable, "-m", "chatroom", "--port", str(port), "--database", database, *flags]
    process = subprocess.Popen([*command, "--log-level", "warning"], cwd=REPO)
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise SystemExit(f"the server exited {process.returncode}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise SystemExit("the server did not get ready") from None
                time.sleep(0.1)
        yield process
    finally:
        process.terminate()
        process.wait(20)


class Client:
    """One keep-alive HTTP connection, signed in as a reader account."""

    def __init__(self, port: int, reader: str) -> None:
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        body = json.dumps({"name": reader, "password": search_data.PASSWORD})
        # Any _xsrf value does, echoed in the header (as the page does with the cookie it was given).
        headers = {"Content-Type": "application/json", "Cookie": "_xsrf=bench", "X-XSRFToken": "bench"}
        self.conn.request("POST", "/api/session", body, headers)
        answer = self.conn.getresponse()
        answer.read()
        if answer.status != 200:
            raise SystemExit(f"signing in as {reader} answered {answer.status}")
        self.cookie = answer.getheader("Set-Cookie", "").split(";", 1)[0]

    def search(self, params: dict[str, str]) -> tuple[float, int]:
        """One search's latency (s) and how many results it answered."""
        started = time.perf_counter()
        self.conn.request("GET", "/api/search?" + urlencode(params), headers={"Cookie": self.cookie})
        answer = self.conn.getresponse()
        body = answer.read()
        seconds = time.perf_counter() - started
        if answer.status != 200:
            raise SystemExit(f"search {params} answered {answer.status}: {body[:200]!r}")
        return seconds, len(json.loads(body)["results"])

    def close(self) -> None:
        self.conn.close()


# --- measuring --------------------------------------------------------------------------


@dataclass
class Series:
    """One (store, reader, class) cell: every run's p50 and p99, and results per answer."""

    p50: list[float] = field(default_factory=list)
    p99: list[float] = field(default_factory=list)
    results: list[float] = field(default_factory=list)


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * pct / 100))]


def measure_store(
    database: Database, pools: QueryPools, args: argparse.Namespace, cells: dict[tuple[str, str, str], Series]
) -> None:
    """One run on one store: a fresh server, every reader, every class."""
    port = free_port()
    with chat_server(database.url, port):
        for reader in args.reader:
            client = Client(port, reader)
            for name in args.only:
                queries = pools.queries(name, reader)
                rng = random.Random(f"{name}{reader}")
                for params in rng.sample(queries, min(len(queries), args.warmup)):
                    client.search(params)
                samples = [client.search(rng.choice(queries)) for _ in range(args.requests)]
                cell = cells.setdefault((database.store, reader, name), Series())
                latencies = [seconds * 1000 for seconds, _ in samples]
                cell.p50.append(percentile(latencies, 50))
                cell.p99.append(percentile(latencies, 99))
                cell.results.append(statistics.mean(found for _, found in samples))
            client.close()


def table(cells: dict[tuple[str, str, str], Series], runs: int) -> str:
    lines = [
        "| store | reader | query | p50 ms | p99 ms | p50 of each run | p99 of each run | results per page |",
        "|---|---|---|---:|---:|---|---|---:|",
    ]
    for (store, reader, name), cell in cells.items():
        each50 = " ".join(f"{v:.1f}" for v in cell.p50)
        each99 = " ".join(f"{v:.1f}" for v in cell.p99)
        p50, p99 = statistics.median(cell.p50), statistics.median(cell.p99)
        lines.append(
            f"| {store} | {reader} | {name} | {p50:.1f} | {p99:.1f}"
            f" | {each50} | {each99} | {statistics.mean(cell.results):.1f} |"
        )
    return "\n".join(lines) + f"\n\n(medians over {runs} runs)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--data",
        type=Path,
        default=Path("/var/tmp/chatroom-search-bench"),
        help="where the databases are kept",
    )
    parser.add_argument("--store", nargs="+", choices=STORES, default=list(STORES))
    parser.add_argument(
        "--reader", nargs="+", choices=list(search_data.READERS), default=list(search_data.READERS)
    )
    parser.add_argument(
        "--only", nargs="+", choices=list(CLASSES), default=list(CLASSES), help="query classes"
    )
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--requests", type=int, default=100, help="requests per class, reader, store and run")
    parser.add_argument("--warmup", type=int, default=30, help="requests per class before measuring")
    parser.add_argument("--build-only", action="store_true", help="build the databases and stop")
    args = parser.parse_args()
    # Stopped from outside, it still stops its servers and its PostgreSQL (the finally below).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    databases = [Database(store, args.data / store) for store in args.store]
    pools = QueryPools.make()
    cells: dict[tuple[str, str, str], Series] = {}
    try:
        for database in databases:
            database.open()
        if args.build_only:
            return
        for run in range(args.runs):
            order = databases if run % 2 == 0 else databases[::-1]
            for database in order:
                load = os.getloadavg()
                started = time.perf_counter()
                measure_store(database, pools, args, cells)
                print(
                    f"run {run + 1} {database.store}: load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f},"
                    f" {time.perf_counter() - started:.0f} s",
                    flush=True,
                )
            # Every run's table, so that a run cut short still leaves its figures.
            print(table(cells, run + 1), flush=True)
    finally:
        for database in databases:
            database.close()


if __name__ == "__main__":
    main()
