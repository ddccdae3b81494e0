"""Starred rooms in an export (chatroom/export_stars.py), through ``python -m chatroom export`` and
``import``, SQLite to PostgreSQL and back, and every bad line refused with its number."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from chatroom.store.base import Store
from chatroom.store.records import RoomStar

from .pg_server import PostgresServer
from .test_export import GOOD_ACCOUNT, GOOD_HEADER, GOOD_MESSAGE, GOOD_ROOM, refuses_import
from .test_export_reading import ann_and_zoe, on_store, there_and_back


async def fill(store: Store) -> None:
    """Two people, two rooms, a saved message (the stars come after it), each person's stars."""
    accounts = store.accounts
    ann, zoe = await ann_and_zoe(store)
    await store.append("team", "ann", "a", account_id=ann.id)
    await accounts.save_message(ann.id, "team", 1, limit=10, saved_at=500)
    await accounts.star_room(ann.id, "team", limit=10, starred_at=1000)
    await accounts.star_room(ann.id, "lobby", limit=10, starred_at=3000)
    await accounts.star_room(zoe.id, "team", limit=10, starred_at=2000)


async def stars(store: Store) -> list[list[RoomStar]]:
    """Every account's starred rooms."""
    return [await store.accounts.starred_rooms(a.id) for a in await store.accounts.list_accounts(limit=100)]


def test_sqlite_to_postgresql_and_back_keeps_starred_rooms(
    tmp_path: Path, postgres_server: PostgresServer
) -> None:
    """Each person's starred rooms, with their times, go there and back, after the saved messages."""
    source, postgres, copy, exported = there_and_back(tmp_path, postgres_server, fill)
    assert on_store(copy, stars) == on_store(postgres, stars) == on_store(source, stars)
    assert [len(rows) for rows in on_store(copy, stars)] == [2, 1]
    records = [orjson.loads(line) for line in exported.splitlines()[1:]]
    assert [record["type"] for record in records[-4:]] == ["saved"] + ["starred_room"] * 3
    assert records[-3:] == [
        {"type": "starred_room", "account": 1, "room": "lobby", "starred_at": 3000},
        {"type": "starred_room", "account": 1, "room": "team", "starred_at": 1000},
        {"type": "starred_room", "account": 2, "room": "team", "starred_at": 2000},
    ]


STAR = b'{"type":"starred_room","account":1,"room":"lobby","starred_at":5}'
BEFORE = [GOOD_HEADER, GOOD_ACCOUNT, GOOD_ROOM, GOOD_MESSAGE]


@pytest.mark.parametrize(
    ("lines", "number", "says"),
    [
        (
            [GOOD_HEADER, GOOD_ROOM.replace(b'"creator":1', b'"creator":null'), STAR],
            3,
            "a starred room of account 1, which no line before it brings",
        ),
        ([GOOD_HEADER, GOOD_ACCOUNT, STAR], 3, "a star of room 'lobby', which no line before it brings"),
        ([*BEFORE, STAR, STAR], 6, "room 'lobby' starred by account 1 twice"),
        ([*BEFORE, STAR.replace(b'"account":1', b'"account":0')], 5, "'account'"),
        ([*BEFORE, STAR.replace(b',"starred_at":5', b"")], 5, "'starred_at'"),
    ],
)
def test_a_bad_starred_line_fails_with_its_number_and_imports_nothing(
    tmp_path: Path, lines: list[bytes], number: int, says: str
) -> None:
    """A starred record that is malformed, refers to what the file did not bring, or comes twice: exit 2."""
    refuses_import(tmp_path, lines, number, says)
