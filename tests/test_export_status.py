"""Statuses and paused notifications in an export (chatroom/export_status.py), through ``python -m chatroom
export`` and ``import``, SQLite to PostgreSQL and back; a bad line fails the import at its number."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest

from chatroom.clock import now_ms
from chatroom.store.base import Store
from chatroom.store.records import PERSON
from chatroom.store.status_base import Pause, Status

from .pg_server import PostgresServer
from .test_export import GOOD_ACCOUNT, GOOD_HEADER, refuses_import
from .test_export_reading import on_store, there_and_back

DAY = 24 * 3_600_000
UNTIL = now_ms() + 30 * DAY


async def fill(store: Store) -> None:
    """ann on holiday for good, her notifications paused; Zoë in a meeting; bob's status long gone."""
    accounts = store.accounts
    ann = await accounts.create_account("ann", PERSON)
    zoe = await accounts.create_account("Zoë", PERSON)
    bob = await accounts.create_account("bob", PERSON)
    await accounts.set_status(Status(ann.id, "🌴", "On holiday", None, 1000))
    await accounts.pause_notifications(Pause(ann.id, UNTIL))
    await accounts.set_status(Status(zoe.id, "📅", "In a meeting", UNTIL, 2000))
    await accounts.set_status(Status(bob.id, "🚌", "Commuting", 5000, 3000))


async def marks(store: Store) -> tuple[dict[int, Status], dict[int, int]]:
    """Every account's status and pause in force now."""
    ids = [account.id for account in await store.accounts.list_accounts(limit=100)]
    now = now_ms()
    return await store.accounts.statuses_of(ids, now), await store.accounts.pauses_of(ids, now)


def test_statuses_and_pauses_go_there_and_back(tmp_path: Path, postgres_server: PostgresServer) -> None:
    """Those in force go there and back as they were; bob's, whose time had passed, is not written."""
    source, postgres, copy, exported = there_and_back(tmp_path, postgres_server, fill)
    assert on_store(copy, marks) == on_store(postgres, marks) == on_store(source, marks)
    assert len(on_store(copy, marks)[0]) == 2
    records = [orjson.loads(line) for line in exported.splitlines()[1:]]
    ours = [record for record in records if record["type"] in ("status", "notification_pause")]
    assert ours == [
        {"type": "status", "account": 1, "emoji": "🌴", "text": "On holiday", "until": None, "set_at": 1000},
        {"type": "notification_pause", "account": 1, "until": UNTIL},
        {
            "type": "status",
            "account": 2,
            "emoji": "📅",
            "text": "In a meeting",
            "until": UNTIL,
            "set_at": 2000,
        },
    ]


STATUS = b'{"type":"status","account":1,"emoji":"\xf0\x9f\x8c\xb4","text":"away","until":null,"set_at":5}'
PAUSE = b'{"type":"notification_pause","account":1,"until":5}'


@pytest.mark.parametrize(
    ("lines", "number", "says"),
    [
        ([GOOD_HEADER, STATUS], 2, "status of account 1, which no line before it brings"),
        ([GOOD_HEADER, PAUSE], 2, "notification pause of account 1, which no line before it brings"),
        ([GOOD_HEADER, GOOD_ACCOUNT, STATUS, STATUS], 4, "account 1's status a second time"),
        ([GOOD_HEADER, GOOD_ACCOUNT, PAUSE, PAUSE], 4, "account 1's notification pause a second time"),
        ([GOOD_HEADER, GOOD_ACCOUNT, STATUS.replace(b"\xf0\x9f\x8c\xb4", b"away")], 3, "'emoji'"),
        ([GOOD_HEADER, GOOD_ACCOUNT, PAUSE.replace(b'"until":5', b'"until":null')], 3, "'until'"),
    ],
)
def test_a_bad_status_line_fails_with_its_number_and_imports_nothing(
    tmp_path: Path, lines: list[bytes], number: int, says: Any
) -> None:
    """A status or pause of an account the file did not bring, twice, or malformed: exit 2, nothing made."""
    refuses_import(tmp_path, lines, number, says)
