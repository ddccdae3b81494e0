"""The search index's pending lists are merged beside the writer, not by its commits."""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import Awaitable, Callable

import psycopg
import pytest

from chatroom.store import pg_pending
from chatroom.store.base import StoreError
from chatroom.store.pg_batch import Connection
from chatroom.store.pg_pending import PendingLists
from chatroom.store.postgres import PostgresStore

from .pg_server import SUPERUSER, PostgresServer

MERGE = "SELECT gin_clean_pending_list('search_rows_trigrams'), gin_clean_pending_list('search_rows_keys')"


def _pending_pages(url: str) -> int:
    """How many pages the two pending lists held (merging them: a second call finds none)."""
    with psycopg.connect(url, autocommit=True) as conn:
        row = conn.execute(MERGE).fetchone()
    assert row is not None
    return int(row[0]) + int(row[1])


async def _store_messages(url: str, lists: Callable[[PostgresStore], PendingLists], wait: float) -> None:
    store = PostgresStore(url)
    store._pending_lists = lists(store)
    await store.start()
    try:
        await asyncio.gather(
            *(store.append(f"room{n % 5}", "ann", f"river number {n} bends") for n in range(60))
        )
        await asyncio.sleep(wait)
    finally:
        await store.close()


def test_the_lists_are_merged_once_messages_are_stored(postgres_server: PostgresServer) -> None:
    """Stored messages leave the lists empty soon after; without the merges they stay in them."""
    merged, left = postgres_server.new_schema(), postgres_server.new_schema()

    def merging(store: PostgresStore) -> PendingLists:
        return PendingLists(store._run, lambda: store._writer.committed, after=1)

    def never(store: PostgresStore) -> PendingLists:
        return PendingLists(store._run, lambda: store._writer.committed, after=10**9, interval=10**9)

    asyncio.run(_store_messages(left, never, 0.5))
    assert _pending_pages(left) > 0
    asyncio.run(_store_messages(merged, merging, 1.5))
    assert _pending_pages(merged) == 0


class _Runs:
    """A stand-in for the store's runner: answers in turn, counting the calls."""

    def __init__(self, *answers: bool | StoreError) -> None:
        self.answers = list(answers)
        self.calls = 0

    async def __call__(self, work: Callable[[Connection], Awaitable[bool]], failing: str) -> bool:
        self.calls += 1
        answer = self.answers.pop(0) if self.answers else True
        if isinstance(answer, StoreError):
            raise answer
        return answer


async def _play(runs: _Runs, stored: list[int], seconds: float, **limits: float) -> PendingLists:
    """Start merging; wait ``seconds``, or with messages stored until the first merge was asked."""
    lists = PendingLists(runs, lambda: stored[0], **limits)  # type: ignore[arg-type]
    lists.start()
    await asyncio.sleep(seconds)
    for _ in range(500):
        if runs.calls or not stored[0]:
            break
        await asyncio.sleep(0.01)
    return lists


def test_nothing_stored_nothing_merged() -> None:
    """An idle process asks the server nothing."""
    runs = _Runs()

    async def main() -> None:
        lists = await _play(runs, [0], 0.3, after=1, interval=0.01)
        await lists.stop()

    asyncio.run(main())
    assert runs.calls == 0


def test_a_merge_after_enough_messages_or_some_time() -> None:
    """Enough messages merge at the next tick; fewer wait for the interval."""
    assert PendingLists(_Runs(), lambda: 0, after=10)._due(10, 0.0)
    assert not PendingLists(_Runs(), lambda: 0, after=10, interval=1.0)._due(9, 0.5)
    assert PendingLists(_Runs(), lambda: 0, after=10, interval=1.0)._due(9, 1.0)
    assert not PendingLists(_Runs(), lambda: 0, after=10, interval=1.0)._due(0, 5.0)


def test_a_failed_merge_is_tried_again(caplog: pytest.LogCaptureFixture) -> None:
    """The server away: the next merge comes at a later tick, and nothing is said above debug."""
    runs = _Runs(StoreError("cannot merge: no answer"))
    stored = [1]

    async def main() -> None:
        lists = await _play(runs, stored, 0.2, after=1)
        stored[0] = 2
        for _ in range(500):
            if runs.calls >= 2:
                break
            await asyncio.sleep(0.01)
        await asyncio.sleep(0.2)
        await lists.stop()

    with caplog.at_level(logging.INFO, logger="chatroom.store"):
        asyncio.run(main())
    assert runs.calls == 2
    assert not caplog.records


def test_a_role_that_may_not_merge_leaves_them_to_the_writer(caplog: pytest.LogCaptureFixture) -> None:
    """Told once, then never asked again."""
    runs = _Runs(False)
    stored = [1]

    async def main() -> None:
        lists = await _play(runs, stored, 0.2, after=1)
        stored[0] = 50
        await asyncio.sleep(0.3)
        await lists.stop()

    with caplog.at_level(logging.WARNING, logger="chatroom.store"):
        asyncio.run(main())
    assert runs.calls == 1
    assert [r.getMessage() for r in caplog.records] == [
        "the search index's pending lists are left to the writer's inserts: this role may not merge them"
        " (gin_clean_pending_list needs the indexes' owner)"
    ]


def test_merging_needs_the_indexes_owner(postgres_server: PostgresServer) -> None:
    """A role that is not the owner is refused by PostgreSQL, which merge_pending answers False."""
    url = postgres_server.new_schema()
    role = "r_" + secrets.token_hex(4)

    async def main() -> None:
        store = PostgresStore(url)
        await store.start()
        await store.close()
        schema = url.rsplit("search_path%3D", 1)[1]
        with postgres_server.connect() as conn:
            conn.execute(f"CREATE ROLE {role} LOGIN")
            conn.execute(f"GRANT USAGE ON SCHEMA {schema} TO {role}")
        other = url.replace(f"{SUPERUSER}@", f"{role}@")
        async with await psycopg.AsyncConnection.connect(other, autocommit=True) as conn:
            assert await pg_pending.merge_pending(conn) is False
        async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
            assert await pg_pending.merge_pending(conn) is True

    asyncio.run(main())
