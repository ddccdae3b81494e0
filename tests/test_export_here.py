"""Who each ``@here`` mentioned in an export (chatroom/export_here.py), through ``python -m chatroom export``
and ``import``, SQLite to PostgreSQL and back: the same counts after; a bad line fails at its number."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest

from chatroom.store.base import Store
from chatroom.store.reading_base import Unread
from chatroom.store.records import CLOSED, PERSON

from .pg_server import PostgresServer
from .test_export import GOOD_ACCOUNT, GOOD_HEADER, GOOD_ROOM, refuses_import
from .test_export_reading import on_store, there_and_back


async def fill(store: Store) -> None:
    """bob's "@here" in "plans" found ann online there, not cid."""
    accounts = store.accounts
    ann = await accounts.create_account("ann", PERSON)
    bob = await accounts.create_account("bob", PERSON)
    cid = await accounts.create_account("cid", PERSON)
    await accounts.create_room("plans", CLOSED, members=[ann.id, bob.id, cid.id])
    stored = await store.append("plans", "bob", "@here standup", account_id=bob.id)
    await accounts.record_here("plans", stored.message.id, [ann.id])


async def counts(store: Store) -> list[Unread]:
    """ann's and cid's counts in plans."""
    accounts = store.accounts
    return [
        await accounts.unread_in("plans", 0, "ann", reader_id=1),
        await accounts.unread_in("plans", 0, "cid", reader_id=3),
    ]


def test_who_here_mentioned_goes_there_and_back(tmp_path: Path, postgres_server: PostgresServer) -> None:
    """ann's mention by "@here" goes there and back: her count says 1 mention in every copy, cid's none."""
    source, postgres, copy, exported = there_and_back(tmp_path, postgres_server, fill)
    assert on_store(copy, counts) == on_store(postgres, counts) == on_store(source, counts)
    assert on_store(copy, counts) == [Unread(1, 1), Unread(1, 0)]
    records = [orjson.loads(line) for line in exported.splitlines()[1:]]
    assert [r for r in records if r["type"] == "here_mention"] == [
        {"type": "here_mention", "account": 1, "room": "plans", "id": 1}
    ]


HERE = b'{"type":"here_mention","account":1,"room":"lobby","id":3}'


@pytest.mark.parametrize(
    ("lines", "number", "says"),
    [
        ([GOOD_HEADER, HERE], 2, "here_mention of account 1, which no line before it brings"),
        (
            [GOOD_HEADER, GOOD_ACCOUNT, HERE],
            3,
            "here_mention of room 'lobby', which no line before it brings",
        ),
        ([GOOD_HEADER, GOOD_ACCOUNT, GOOD_ROOM, HERE, HERE], 5, "here_mention of message 3 a second time"),
        ([GOOD_HEADER, GOOD_ACCOUNT, GOOD_ROOM, HERE.replace(b'"id":3', b'"id":0')], 4, "'id'"),
    ],
)
def test_a_bad_here_line_fails_with_its_number_and_imports_nothing(
    tmp_path: Path, lines: list[bytes], number: int, says: Any
) -> None:
    """A mark of an account or a room the file did not bring, twice, or malformed: exit 2, nothing made."""
    refuses_import(tmp_path, lines, number, says)
