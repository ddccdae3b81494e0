"""The moderation history in an export (chatroom/export_acts.py), through ``python -m chatroom export``
and ``import``, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import io
from pathlib import Path
from typing import Any

import orjson
import pytest

from chatroom import export_acts
from chatroom.events import DELETE
from chatroom.store.acts_base import DEACTIVATE, REMOVE_GUEST, ModerationAct
from chatroom.store.base import Store
from chatroom.store.change_rules import ChangeRequest
from chatroom.store.records import PERSON
from chatroom.store.sqlite import SQLiteStore

from .pg_server import PostgresServer
from .test_export import GOOD_ACCOUNT, GOOD_HEADER, refuses_import
from .test_export_reading import on_store, there_and_back


async def fill(store: Store) -> None:
    """root deactivates bob, removes a guest, deletes bob's message in dev."""
    accounts = store.accounts
    root = await accounts.create_account("root", PERSON, is_admin=True)
    bob = await accounts.create_account("bob", PERSON)
    await accounts.record_act(ModerationAct(DEACTIVATE, 1000, "root", "bob", root.id, bob.id))
    guest = ModerationAct(REMOVE_GUEST, 2000, "root", "guest-1", root.id, room="dev", detail="barred until x")
    await accounts.record_act(guest)
    await store.append("dev", "bob", "rude words", account_id=bob.id)
    await store.change("dev", ChangeRequest(DELETE, 1, "root", root.id, any_author=True))


async def history(store: Store) -> list[tuple[Any, ...]]:
    """The acts, newest first, without their ids."""
    acts = await store.accounts.acts()
    return [
        (a.act, a.ts, a.actor, a.actor_id, a.subject, a.subject_id, a.room, a.message, a.detail) for a in acts
    ]


def test_sqlite_to_postgresql_and_back_keeps_the_history(
    tmp_path: Path, postgres_server: PostgresServer
) -> None:
    """The acts go there and back, oldest first at the end of the file, with no message's text."""
    source, postgres, copy, exported = there_and_back(tmp_path, postgres_server, fill)
    kept = on_store(source, history)
    assert [act[0] for act in kept] == ["delete_message", "remove_guest", "deactivate"]
    assert on_store(copy, history) == on_store(postgres, history) == kept
    records = [orjson.loads(line) for line in exported.splitlines()[1:]]
    assert [r["type"] for r in records[-3:]] == ["moderation_act"] * 3
    assert records[-3] == {
        "type": "moderation_act", "ts": 1000, "act": "deactivate", "actor": "root", "actor_account": 1,
        "subject": "bob", "subject_account": 2, "room": "", "message": None, "detail": "",
    }  # fmt: skip
    assert b"rude" not in exported


def test_a_long_history_is_written_oldest_first_across_pages(monkeypatch: pytest.MonkeyPatch) -> None:
    """Pages of two: seven acts come out in the order they were done, each once."""
    monkeypatch.setattr(export_acts, "PAGE", 2)

    async def main() -> list[int]:
        store = SQLiteStore(":memory:")
        await store.start()
        try:
            for n in range(7):
                await store.accounts.record_act(ModerationAct(DEACTIVATE, n, "root", f"p{n}"))
            out = io.BytesIO()
            await export_acts.export_acts(store, out)
            return [orjson.loads(line)["ts"] for line in out.getvalue().splitlines()]
        finally:
            await store.close()

    assert asyncio.run(main()) == list(range(7))


ACT = (
    b'{"type":"moderation_act","ts":5,"act":"deactivate","actor":"ann","actor_account":1,'
    b'"subject":"bob","subject_account":null,"room":"","message":null,"detail":""}'
)


@pytest.mark.parametrize(
    ("lines", "number", "says"),
    [
        ([GOOD_HEADER, ACT], 2, "account 1, which no line before it brings"),
        ([GOOD_HEADER, GOOD_ACCOUNT, ACT.replace(b"deactivate", b"ban")], 3, "'act'"),
        ([GOOD_HEADER, GOOD_ACCOUNT, ACT.replace(b'"actor":"ann",', b"")], 3, "'actor'"),
        ([GOOD_HEADER, GOOD_ACCOUNT, ACT.replace(b'"message":null', b'"message":"x"')], 3, "'message'"),
    ],
)
def test_a_bad_act_fails_with_its_line_and_imports_nothing(
    tmp_path: Path, lines: list[bytes], number: int, says: str
) -> None:
    """An act that is malformed or names an account the file did not bring: exit 2, no database."""
    refuses_import(tmp_path, lines, number, says)
