"""Scheduled messages in an export (chatroom/export_scheduled.py), through ``python -m chatroom export``
and ``import``, SQLite to PostgreSQL and back, and every bad line refused with its number."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from chatroom.store.base import Store
from chatroom.store.records import ScheduledMessage

from .pg_server import PostgresServer
from .test_export import GOOD_ACCOUNT, GOOD_HEADER, refuses_import
from .test_export_reading import ann_and_zoe, on_store, there_and_back

# Far ahead: no server runs on these databases to send them, and none would.
LATER = 4_000_000_000_000


async def fill(store: Store) -> None:
    """Two people, each with scheduled messages: a reply, a thread reply, one not sent."""
    accounts = store.accounts
    ann, zoe = await ann_and_zoe(store)
    await store.append("team", "ann", "a question", account_id=ann.id)
    rows = [
        ScheduledMessage(0, ann.id, "team", "the answer", LATER, 1000, reply_to=1),
        ScheduledMessage(0, zoe.id, "team", "in its thread", LATER + 5, 2000, thread=1, broadcast=True),
        ScheduledMessage(0, ann.id, "lobby", "too late", 10, 3000),
    ]
    for row in rows:
        assert await accounts.schedule_message(row, limit=10) is not None
    (late,) = await accounts.claim_due(20, 30, 10)
    await accounts.mark_not_sent(late.id, late.version, "read_only")


async def scheduled(store: Store) -> list[list[tuple[object, ...]]]:
    """Every account's scheduled messages, but their ids."""
    listed = []
    for account in await store.accounts.list_accounts(limit=100):
        rows = await store.accounts.scheduled_messages(account.id)
        listed.append(
            [(r.room, r.text, r.at, r.created_at, r.reply_to, r.thread, r.broadcast, r.failure) for r in rows]
        )
    return listed


def test_sqlite_to_postgresql_and_back_keeps_scheduled_messages(
    tmp_path: Path, postgres_server: PostgresServer
) -> None:
    """Each person's scheduled messages, with their times, replies and reasons not sent, go there and
    back, written last."""
    source, postgres, copy, exported = there_and_back(tmp_path, postgres_server, fill)
    assert on_store(copy, scheduled) == on_store(postgres, scheduled) == on_store(source, scheduled)
    assert [len(rows) for rows in on_store(copy, scheduled)] == [2, 1]
    records = [orjson.loads(line) for line in exported.splitlines()[1:]]
    assert records[-1] == {
        "type": "scheduled",
        "account": 1,
        "room": "lobby",
        "message": "too late",
        "at": 10,
        "created_at": 3000,
        "reply_to": None,
        "thread": None,
        "broadcast": False,
        "not_sent": "read_only",
    }
    assert [r["type"] for r in records[-3:]] == ["scheduled"] * 3


SCHEDULED = (
    b'{"type":"scheduled","account":1,"room":"lobby","message":"hi","at":5,"created_at":1,'
    b'"reply_to":null,"thread":null,"broadcast":false,"not_sent":null}'
)


@pytest.mark.parametrize(
    ("lines", "number", "says"),
    [
        ([GOOD_HEADER, SCHEDULED], 2, "account 1, which no line before it brings"),
        ([GOOD_HEADER, GOOD_ACCOUNT, SCHEDULED.replace(b'"message":"hi"', b'"message":""')], 3, "'message'"),
        ([GOOD_HEADER, GOOD_ACCOUNT, SCHEDULED.replace(b'"at":5', b'"at":-1')], 3, "'at'"),
        (
            [GOOD_HEADER, GOOD_ACCOUNT, SCHEDULED.replace(b'"broadcast":false', b'"broadcast":1')],
            3,
            "'broadcast'",
        ),
        (
            [GOOD_HEADER, GOOD_ACCOUNT, SCHEDULED.replace(b'"reply_to":null', b'"reply_to":0')],
            3,
            "'reply_to'",
        ),
    ],
)
def test_a_bad_scheduled_line_fails_with_its_number_and_imports_nothing(
    tmp_path: Path, lines: list[bytes], number: int, says: str
) -> None:
    """A scheduled record that is malformed or of an account the file did not bring: exit 2."""
    refuses_import(tmp_path, lines, number, says)
