"""Reminders in an export (chatroom/export_reminders.py), through ``python -m chatroom export`` and
``import``, SQLite to PostgreSQL and back, and every bad line refused with its number."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from chatroom.store.base import Store
from chatroom.store.records import Reminder

from .pg_server import PostgresServer
from .test_export import GOOD_ACCOUNT, GOOD_HEADER, refuses_import
from .test_export_reading import ann_and_zoe, on_store, there_and_back

# Far ahead: no server runs on these databases to make them due, and none would.
LATER = 4_000_000_000_000


async def fill(store: Store) -> None:
    """Two people, each with reminders: two waiting, one due already."""
    accounts = store.accounts
    ann, zoe = await ann_and_zoe(store)
    await store.append("team", "ann", "a question", account_id=ann.id)
    await store.append("lobby", "ann", "hello", account_id=ann.id)
    rows = [
        Reminder(0, ann.id, "team", 1, LATER, 1000),
        Reminder(0, zoe.id, "team", 1, LATER + 5, 2000),
        Reminder(0, ann.id, "lobby", 1, 10, 3000),
    ]
    for row in rows:
        assert await accounts.set_reminder(row, limit=10) is not None
    (due,) = await accounts.claim_due_reminders(20, 30, 10)
    assert await accounts.mark_reminder_due(due.id, due.version)


async def reminders(store: Store) -> list[list[tuple[object, ...]]]:
    """Every account's reminders, but their ids."""
    listed = []
    for account in await store.accounts.list_accounts(limit=100):
        rows = await store.accounts.reminders(account.id)
        listed.append([(r.room, r.message_id, r.at, r.created_at, r.due) for r in rows])
    return listed


def test_sqlite_to_postgresql_and_back_keeps_reminders(
    tmp_path: Path, postgres_server: PostgresServer
) -> None:
    """Each person's reminders, waiting and due, with their messages and times, go there and back,
    written last."""
    source, postgres, copy, exported = there_and_back(tmp_path, postgres_server, fill)
    assert on_store(copy, reminders) == on_store(postgres, reminders) == on_store(source, reminders)
    assert [len(rows) for rows in on_store(copy, reminders)] == [2, 1]
    assert [row[-1] for row in on_store(copy, reminders)[0]] == [True, False]
    records = [orjson.loads(line) for line in exported.splitlines()[1:]]
    assert records[-1] == {
        "type": "reminder",
        "account": 1,
        "room": "lobby",
        "id": 1,
        "at": 10,
        "created_at": 3000,
        "due": True,
    }
    assert [r["type"] for r in records[-3:]] == ["reminder"] * 3


REMINDER = b'{"type":"reminder","account":1,"room":"lobby","id":1,"at":5,"created_at":1,"due":false}'


@pytest.mark.parametrize(
    ("lines", "number", "says"),
    [
        ([GOOD_HEADER, REMINDER], 2, "account 1, which no line before it brings"),
        ([GOOD_HEADER, GOOD_ACCOUNT, REMINDER.replace(b'"id":1', b'"id":0')], 3, "'id'"),
        ([GOOD_HEADER, GOOD_ACCOUNT, REMINDER.replace(b'"at":5', b'"at":-1')], 3, "'at'"),
        ([GOOD_HEADER, GOOD_ACCOUNT, REMINDER.replace(b'"due":false', b'"due":1')], 3, "'due'"),
    ],
)
def test_a_bad_reminder_line_fails_with_its_number_and_imports_nothing(
    tmp_path: Path, lines: list[bytes], number: int, says: str
) -> None:
    """A reminder record that is malformed or of an account the file did not bring: exit 2."""
    refuses_import(tmp_path, lines, number, says)
