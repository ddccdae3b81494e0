"""Followed threads in an export (chatroom/export_threads.py), through ``python -m chatroom export`` and
``import``, SQLite to PostgreSQL and back, and every bad line refused with its number."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from chatroom.store.base import Store
from chatroom.store.records import ThreadFollow

from .pg_server import PostgresServer
from .test_export import GOOD_ACCOUNT, GOOD_HEADER, GOOD_MESSAGE, GOOD_ROOM, refuses_import
from .test_export_reading import ann_and_zoe, on_store, there_and_back


async def fill(store: Store) -> None:
    """Two people, two rooms with threads, each person's followed threads (by the replies: ann's roots,
    Zoë's replies), one of them read and one unfollowed."""
    accounts = store.accounts
    ann, zoe = await ann_and_zoe(store)
    for room in ("team", "lobby"):
        await store.append(room, "ann", "root", account_id=ann.id)
        await store.append(room, "Zoë", "reply", account_id=zoe.id, thread=1)
    await accounts.read_thread(ann.id, "team", 1, 2)
    await accounts.follow_thread(ann.id, "lobby", 1, following=False)


async def follows(store: Store) -> list[list[ThreadFollow]]:
    """Every account's rows."""
    return [
        await store.accounts.thread_follows_of(a.id) for a in await store.accounts.list_accounts(limit=100)
    ]


def test_sqlite_to_postgresql_and_back_keeps_followed_threads(
    tmp_path: Path, postgres_server: PostgresServer
) -> None:
    """Each person's followed threads, followed or not, with their read positions, go there and back,
    written last."""
    source, postgres, copy, exported = there_and_back(tmp_path, postgres_server, fill)
    assert on_store(copy, follows) == on_store(postgres, follows) == on_store(source, follows)
    assert [len(rows) for rows in on_store(copy, follows)] == [2, 2]
    records = [orjson.loads(line) for line in exported.splitlines()[1:]]
    line = {"type": "thread_follow", "account": 1, "room": "lobby", "root": 1, "following": False}
    assert records[-4:] == [
        {**line, "read_id": 0},
        {**line, "room": "team", "following": True, "read_id": 2},
        {**line, "account": 2, "following": True, "read_id": 2},
        {**line, "account": 2, "room": "team", "following": True, "read_id": 2},
    ]


FOLLOW = b'{"type":"thread_follow","account":1,"room":"lobby","root":1,"following":true,"read_id":0}'
BEFORE = [GOOD_HEADER, GOOD_ACCOUNT, GOOD_ROOM, GOOD_MESSAGE]


@pytest.mark.parametrize(
    ("lines", "number", "says"),
    [
        (
            [GOOD_HEADER, GOOD_ROOM.replace(b'"creator":1', b'"creator":null'), FOLLOW],
            3,
            "account 1, which no",
        ),
        ([GOOD_HEADER, GOOD_ACCOUNT, FOLLOW], 3, "room 'lobby', which no line before it brings"),
        ([*BEFORE, FOLLOW, FOLLOW], 6, "followed by account 1 twice"),
        ([*BEFORE, FOLLOW.replace(b'"root":1', b'"root":0')], 5, "'root'"),
        ([*BEFORE, FOLLOW.replace(b'"following":true', b'"following":1')], 5, "'following'"),
        ([*BEFORE, FOLLOW.replace(b',"read_id":0', b"")], 5, "'read_id'"),
    ],
)
def test_a_bad_thread_follow_line_fails_with_its_number_and_imports_nothing(
    tmp_path: Path, lines: list[bytes], number: int, says: str
) -> None:
    """A followed thread record that is malformed, refers to what the file did not bring, or comes twice:
    exit 2."""
    refuses_import(tmp_path, lines, number, says)
