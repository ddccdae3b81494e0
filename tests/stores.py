"""Stores for tests: every store test runs on SQLite and on PostgreSQL."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path

import pytest

from chatroom.store import migrations
from chatroom.store.base import Store
from chatroom.store.postgres import PostgresStore
from chatroom.store.sqlite import SQLiteStore
from chatroom.tasks import Repeating

from .pg_server import PostgresServer

StoreFactory = Callable[[], Store]


@pytest.fixture(params=["sqlite", "postgres"])
def store_factory(request: pytest.FixtureRequest) -> StoreFactory:
    """A factory of unstarted stores of one kind, each with a database of its own."""
    if request.param == "sqlite":
        return lambda: SQLiteStore(":memory:")
    # The cluster is started only when a PostgreSQL test runs, once per session.
    server: PostgresServer = request.getfixturevalue("postgres_server")
    return lambda: PostgresStore(server.lend_schema(request))


@pytest.fixture(params=["sqlite", "postgres"])
def shared_store_factory(request: pytest.FixtureRequest, tmp_path: Path) -> StoreFactory:
    """A factory of unstarted stores that all share one database, as the nodes of a deployment do.

    SQLite: one file that every store opens; PostgreSQL: one schema.
    """
    if request.param == "sqlite":
        path = str(tmp_path / "shared.db")
        return lambda: SQLiteStore(path)
    server: PostgresServer = request.getfixturevalue("postgres_server")
    url = server.lend_schema(request)
    return lambda: PostgresStore(url)


def run_nodes(
    factory: StoreFactory, scenario: Callable[[list[Store]], Awaitable[None]], nodes: int = 2
) -> None:
    """Start several stores on one database (as nodes), play the scenario, close them."""

    async def main() -> None:
        stores = [factory() for _ in range(nodes)]
        for store in stores:
            await store.start()
        try:
            await scenario(stores)
        finally:
            for store in stores:
                await store.close()

    asyncio.run(main())


def run(store: Store, scenario: Callable[[Store], Awaitable[None]]) -> None:
    """Start the store, play the scenario, close it."""

    async def main() -> None:
        await store.start()
        try:
            await scenario(store)
        finally:
            await store.close()

    asyncio.run(main())


def run_on_two_nodes(shared: StoreFactory, scenario: Callable[[Store, Store], Awaitable[None]]) -> None:
    """Play ``scenario(left, right)`` with two stores on one database (shared_store_factory's),
    started before it and closed after it."""

    async def main() -> None:
        left, right = shared(), shared()
        await left.start()
        await right.start()
        try:
            await scenario(left, right)
        finally:
            await left.close()
            await right.close()

    asyncio.run(main())


async def added_through_both(
    left: Store, right: Store, add: Callable[[Store, int], Awaitable[object]], tries: int = 24
) -> int:
    """Make ``tries`` additions at once, taking turns between the two nodes: how many were kept
    (``add(store, n)`` answers None for one refused)."""
    kept = await asyncio.gather(*(add((left, right)[n % 2], n) for n in range(tries)))
    return sum(outcome is not None for outcome in kept)


def sqlite_plan(path: Path, statement: str, params: Sequence[object] = ()) -> str:
    """SQLite's plan of ``statement`` on the database file, its steps on one line."""
    with contextlib.closing(sqlite3.connect(path)) as conn:
        rows = conn.execute(f"EXPLAIN QUERY PLAN {statement}", params)
        return " ".join(str(row[3]) for row in rows)


def postgres_plan(
    server: PostgresServer, url: str, statement: str, params: Sequence[object] = (), *, table: str
) -> str:
    """PostgreSQL's plan of ``statement`` in the schema of the store's URL, on one line, once the
    table is analysed (the statistics autovacuum would have gathered by now)."""
    with server.connect() as conn:
        conn.execute(f"SET search_path TO {url.rsplit('%3D', 1)[1]}")
        conn.execute(f"ANALYZE {table}")
        return " ".join(str(row[0]) for row in conn.execute(f"EXPLAIN {statement}", params))


def sqlite_file_at(path: Path, version: int, statements: Sequence[str]) -> None:
    """A SQLite file an older release left: schema steps 1 to ``version``, then ``statements``."""
    with contextlib.closing(sqlite3.connect(path)) as conn, conn:
        write_schema_steps(conn.execute, "sqlite", version)
        for statement in statements:
            conn.execute(statement)


def postgres_schema_at(server: PostgresServer, version: int, statements: Sequence[str]) -> tuple[str, str]:
    """A new PostgreSQL schema an older release left (steps 1 to ``version``, then ``statements``): its
    store URL and its name."""
    url = server.new_schema()
    schema = url.rsplit("%3D", 1)[1]
    with server.connect() as conn:
        conn.execute(f"SET search_path TO {schema}")
        write_schema_steps(conn.execute, "postgres", version)
        for statement in statements:
            conn.execute(statement)
    return url, schema


def write_schema_steps(execute: Callable[[str], object], dialect: str, version: int) -> None:
    """Schema steps 1 to ``version`` in ``dialect`` ("sqlite" or "postgres") and that version recorded,
    through ``execute``: the database an older release left, for the migration tests."""
    for step in migrations.STEPS[:version]:
        for statement in getattr(step, dialect):
            execute(statement)
    execute(f"INSERT INTO meta (key, value) VALUES ('schema_version', '{version}')")


def failing_sweeps(
    store_factory: StoreFactory,
    caplog: pytest.LogCaptureFixture,
    sweeper_of: Callable[[Store], Repeating],
    logger: str,
    words: str,
) -> int:
    """How many times in 0.1 s a sweeper on a closed store logged ``words`` on ``logger``."""

    async def main() -> None:
        store = store_factory()
        await store.start()
        await store.close()
        sweeper = sweeper_of(store)
        with caplog.at_level(logging.WARNING, logger=logger):
            sweeper.start()
            await asyncio.sleep(0.1)
            await sweeper.stop()

    asyncio.run(main())
    return sum(words in record.getMessage() for record in caplog.records)
