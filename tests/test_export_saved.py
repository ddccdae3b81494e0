"""Saved messages in an export (chatroom/export_saved.py), through ``python -m chatroom export`` and
``import``, SQLite to PostgreSQL and back, and every bad line refused with its number."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from chatroom.store.base import Store
from chatroom.store.records import SavedMessage

from .pg_server import PostgresServer
from .test_export import GOOD_ACCOUNT, GOOD_HEADER, GOOD_MESSAGE, GOOD_ROOM, refuses_import
from .test_export_reading import ann_and_zoe, on_store, there_and_back


async def fill(store: Store) -> None:
    """Two people, two rooms with messages, each person's saved messages."""
    accounts = store.accounts
    ann, zoe = await ann_and_zoe(store)
    for room, texts in (("team", ["a", "b"]), ("lobby", ["x", "y"])):
        for text in texts:
            await store.append(room, "ann", text, account_id=ann.id)
    await accounts.save_message(ann.id, "team", 2, limit=10, saved_at=1000)
    await accounts.save_message(ann.id, "lobby", 1, limit=10, saved_at=3000)
    await accounts.save_message(zoe.id, "team", 1, limit=10, saved_at=2000)


async def saved(store: Store) -> list[list[SavedMessage]]:
    """Every account's saved messages."""
    return [await store.accounts.saved_messages(a.id) for a in await store.accounts.list_accounts(limit=100)]


def test_sqlite_to_postgresql_and_back_keeps_saved_messages(
    tmp_path: Path, postgres_server: PostgresServer
) -> None:
    """Each person's saved messages, with their times, go there and back, written last."""
    source, postgres, copy, exported = there_and_back(tmp_path, postgres_server, fill)
    assert on_store(copy, saved) == on_store(postgres, saved) == on_store(source, saved)
    assert [len(rows) for rows in on_store(copy, saved)] == [2, 1]
    records = [orjson.loads(line) for line in exported.splitlines()[1:]]
    assert records[-3:] == [
        {"type": "saved", "account": 1, "room": "lobby", "id": 1, "saved_at": 3000},
        {"type": "saved", "account": 1, "room": "team", "id": 2, "saved_at": 1000},
        {"type": "saved", "account": 2, "room": "team", "id": 1, "saved_at": 2000},
    ]


SAVED = b'{"type":"saved","account":1,"room":"lobby","id":1,"saved_at":5}'
BEFORE = [GOOD_HEADER, GOOD_ACCOUNT, GOOD_ROOM, GOOD_MESSAGE]


@pytest.mark.parametrize(
    ("lines", "number", "says"),
    [
        (
            [GOOD_HEADER, GOOD_ROOM.replace(b'"creator":1', b'"creator":null'), SAVED],
            3,
            "account 1, which no",
        ),
        ([GOOD_HEADER, GOOD_ACCOUNT, SAVED], 3, "room 'lobby', which no line before it brings"),
        ([*BEFORE, SAVED, SAVED], 6, "saved by account 1 twice"),
        ([*BEFORE, SAVED.replace(b'"id":1', b'"id":0')], 5, "'id'"),
        ([*BEFORE, SAVED.replace(b',"saved_at":5', b"")], 5, "'saved_at'"),
    ],
)
def test_a_bad_saved_line_fails_with_its_number_and_imports_nothing(
    tmp_path: Path, lines: list[bytes], number: int, says: str
) -> None:
    """A saved record that is malformed, refers to what the file did not bring, or comes twice: exit 2."""
    refuses_import(tmp_path, lines, number, says)
