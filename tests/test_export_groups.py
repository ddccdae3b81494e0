"""Groups in an export (chatroom/export_groups.py), through ``python -m chatroom export`` and ``import``,
SQLite to PostgreSQL and back, and every bad line refused with its number."""

from __future__ import annotations

import io
from pathlib import Path

import orjson
import pytest

from chatroom.export_check import check_file
from chatroom.export_fields import ExportFileError
from chatroom.store.base import Store
from chatroom.store.records import PERSON

from .pg_server import PostgresServer
from .test_export import GOOD_ACCOUNT, GOOD_HEADER
from .test_export_reading import on_store, there_and_back


async def fill(store: Store) -> None:
    """ann's @designers with ann and Zoë, Zoë's empty @Night owls."""
    accounts = store.accounts
    ann = await accounts.create_account("ann", PERSON)
    zoe = await accounts.create_account("Zoë", PERSON)
    design = await accounts.create_group("designers", "who draws", ann.id, 1000)
    await accounts.create_group("Night owls", "", zoe.id, 2000)
    await accounts.add_group_member(design.id, zoe.id, 3000)
    await accounts.add_group_member(design.id, ann.id, 4000)


async def groups(store: Store) -> list[tuple[object, ...]]:
    """Every group as the API lists it, and Zoë's groups."""
    listed: list[tuple[object, ...]] = [
        (g.name, g.description, g.creator, g.created, g.members) for g in await store.accounts.groups()
    ]
    return [*listed, tuple(await store.accounts.groups_of(2))]


def test_sqlite_to_postgresql_and_back_keeps_groups(tmp_path: Path, postgres_server: PostgresServer) -> None:
    """Each group, its description, creator, time and members go there and back, written last."""
    source, postgres, copy, exported = there_and_back(tmp_path, postgres_server, fill)
    assert on_store(copy, groups) == on_store(postgres, groups) == on_store(source, groups)
    assert on_store(copy, groups) == [
        ("designers", "who draws", "ann", 1000, ("ann", "Zoë")),
        ("Night owls", "", "Zoë", 2000, ()),
        ("designers",),
    ]
    records = [orjson.loads(line) for line in exported.splitlines()[1:]]
    assert records[-2] == {
        "type": "group",
        "name": "designers",
        "description": "who draws",
        "account": 1,
        "created": 1000,
        "members": [[1, 4000], [2, 3000]],
    }


GROUP = b'{"type":"group","name":"designers","description":"","account":1,"created":5,"members":[[1,6]]}'


@pytest.mark.parametrize(
    ("lines", "number", "says"),
    [
        ([GOOD_HEADER, GROUP], 2, "names account 1, which no line before it brings"),
        ([GOOD_HEADER, GOOD_ACCOUNT, GROUP.replace(b'"designers"', b'"room"')], 3, "mentions the room"),
        ([GOOD_HEADER, GOOD_ACCOUNT, GROUP.replace(b"[[1,6]]", b"[[1]]")], 3, "'members'"),
        ([GOOD_HEADER, GOOD_ACCOUNT, GROUP.replace(b'"created":5', b'"created":-1')], 3, "'created'"),
        ([GOOD_HEADER, GOOD_ACCOUNT, GROUP, GROUP.replace(b"designers", b"DESIGNERS")], 4, "a second time"),
    ],
)
def test_a_bad_group_line_fails_with_its_number(lines: list[bytes], number: int, says: str) -> None:
    """A group record that is malformed, names an account the file did not bring, or repeats a name."""
    with pytest.raises(ExportFileError) as refused:
        check_file(io.BytesIO(b"".join(line + b"\n" for line in lines)))
    assert f"line {number}:" in str(refused.value) and says in str(refused.value)
