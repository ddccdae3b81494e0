"""Forwarded copies in an export (chatroom/export_forward.py), through ``python -m chatroom export`` and
``import``, SQLite to PostgreSQL and back, and a bad snapshot refused with its line's number."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from chatroom.forwarded import Forwarded
from chatroom.store.base import Store
from chatroom.store.records import CLOSED, OPEN, PERSON

from .pg_server import PostgresServer
from .test_export import GOOD_HEADER, GOOD_MESSAGE, chatroom, one_line
from .test_export_reading import on_store, there_and_back

PLAN = Forwarded("team", 1, CLOSED, "Zoë", 1000, "the **plan**", "plan.pdf")


async def fill(store: Store) -> None:
    """A message of a closed room, forwarded into an open one with a comment, then without."""
    accounts = store.accounts
    ann = await accounts.create_account("ann", PERSON)
    zoe = await accounts.create_account("Zoë", PERSON)
    await accounts.create_room("team", CLOSED, creator_id=ann.id, members=[zoe.id])
    await accounts.create_room("lobby", OPEN, creator_id=ann.id)
    await store.append("team", "Zoë", "the **plan**", account_id=zoe.id)
    await store.append("lobby", "ann", "see this", account_id=ann.id, forward=PLAN)
    await store.append("lobby", "ann", "", account_id=ann.id, forward=PLAN)


async def copies(store: Store) -> list[tuple[str, Forwarded | None]]:
    return [(m.text, m.forward) for m in await store.history("lobby")]


def test_sqlite_to_postgresql_and_back_keeps_forwards(
    tmp_path: Path, postgres_server: PostgresServer
) -> None:
    """Each copy keeps its comment and its snapshot, the original's room, id, kind, author, time, text
    and file's name."""
    source, postgres, copy, exported = there_and_back(tmp_path, postgres_server, fill)
    expected = [("see this", PLAN), ("", PLAN)]
    assert on_store(copy, copies) == on_store(postgres, copies) == on_store(source, copies) == expected
    records = [orjson.loads(line) for line in exported.splitlines()[1:]]
    (first, *_) = [r for r in records if r.get("forward")]
    assert first["forward"] == {
        "room": "team", "id": 1, "kind": "closed", "nick": "Zoë", "ts": 1000, "message": "the **plan**",
        "file": "plan.pdf",
    }  # fmt: skip


FORWARD = b',"forward":{"room":"team","id":1,"kind":"closed","nick":"Zo","ts":1,"message":"x"}}'


@pytest.mark.parametrize(
    ("forward", "says"),
    [
        (FORWARD.replace(b'"kind":"closed"', b'"kind":"secret"'), "room kind 'secret'"),
    ],
)
def test_a_bad_snapshot_fails_with_its_line_number(tmp_path: Path, forward: bytes, says: str) -> None:
    """A message record whose snapshot is malformed: exit 2, nothing imported."""
    target = tmp_path / "target.db"
    line = GOOD_MESSAGE[:-1] + forward
    result = chatroom("import", "--db", str(target), stdin=GOOD_HEADER + b"\n" + line + b"\n")
    assert result.returncode == 2
    said = one_line(result)
    assert "line 2:" in said and says in said
    assert not target.exists()
