"""Threads in an export: each reply's root goes there and back, SQLite to PostgreSQL to SQLite."""

from __future__ import annotations

from pathlib import Path

import orjson

from chatroom.events import DELETE
from chatroom.store.base import Store
from chatroom.store.change_rules import ChangeRequest
from chatroom.store.records import PERSON

from .pg_server import PostgresServer
from .test_export import GOOD_ACCOUNT, GOOD_HEADER, GOOD_MESSAGE, chatroom
from .test_export_reading import on_store, there_and_back


async def fill(store: Store) -> None:
    """A root with two replies (one deleted), another message, and a reply after it."""
    bob = (await store.accounts.create_account("bob", PERSON)).id
    await store.append("lobby", "ann", "lunch?")
    await store.append("lobby", "bob", "yes", account_id=bob, thread=1)
    await store.append("lobby", "ann", "meanwhile")
    await store.append("lobby", "bob", "oops", account_id=bob, thread=1)
    await store.change("lobby", ChangeRequest(DELETE, 4, "bob", bob))
    await store.append("lobby", "carl", "me too", thread=1, broadcast=True)


async def threads(store: Store) -> list[tuple[int, int | None, tuple[int, int] | None]]:
    """Each message of the lobby: its id, its thread, and a root's count of replies and last reply."""
    return [
        (m.id, m.thread, None if m.replies is None else (m.replies.count, m.replies.last_id))
        for m in await store.history("lobby")
    ]


def test_sqlite_to_postgresql_and_back_keeps_every_replys_thread(
    tmp_path: Path, postgres_server: PostgresServer
) -> None:
    """Every reply stays in its thread, the deleted one too; the root sums them up alike everywhere."""
    source, postgres, copy, exported = there_and_back(tmp_path, postgres_server, fill)
    expected = [(1, None, (2, 6)), (2, 1, None), (3, None, None), (4, 1, None), (6, 1, None)]
    assert on_store(source, threads) == on_store(postgres, threads) == on_store(copy, threads) == expected
    messages = [orjson.loads(line) for line in exported.splitlines()[1:]]
    assert [m.get("thread") for m in messages if m["type"] == "message"] == [None, 1, None, 1, 1]
    assert [m.get("broadcast") for m in messages if m["type"] == "message"] == [None, None, None, None, True]
    top = on_store(copy, lambda store: store.top_history("lobby"))
    assert [(m.id, m.broadcast) for m in top] == [(1, False), (3, False), (6, True)]


def test_a_message_of_an_export_without_threads_imports_in_the_main_timeline(tmp_path: Path) -> None:
    """An older export's messages have no "thread": each comes back in no thread."""
    target = str(tmp_path / "t.db")
    result = chatroom(
        "import",
        "--db",
        target,
        stdin=b"".join(line + b"\n" for line in [GOOD_HEADER, GOOD_ACCOUNT, GOOD_MESSAGE]),
    )
    assert result.returncode == 0, result.stderr
    assert on_store(target, threads) == [(1, None, None)]
