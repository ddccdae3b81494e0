"""Read positions, notification levels, push devices and blocks in an export (chatroom/export_reading.py),
through ``python -m chatroom export`` and ``import``, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import io
from pathlib import Path
from typing import Any

import orjson
import pytest

from chatroom.command_flags import parse_transfer
from chatroom.export import export_database, import_database
from chatroom.store import open_store
from chatroom.store.base import Store
from chatroom.store.reading_base import ReadMark
from chatroom.store.records import (
    CLOSED,
    DIRECT,
    DIRECT_ROOM_SECRET,
    OPEN,
    PERSON,
    Account,
    new_direct_room_key,
)
from chatroom.webpush import VAPID_SECRET, new_private_key

from .pg_server import PostgresServer
from .test_export import GOOD_ACCOUNT, GOOD_HEADER, GOOD_MESSAGE, GOOD_ROOM, chatroom, refuses_import

ENDPOINT = "https://push.example.net/send/device-"


def on_store(database: str, work: Any) -> Any:
    """Run ``work(store)`` on the database, started and closed around it."""

    async def main() -> Any:
        store = open_store(database)
        await store.start()
        try:
            return await work(store)
        finally:
            await store.close()

    return asyncio.run(main())


async def ann_and_zoe(store: Store) -> tuple[Account, Account]:
    """Two people, ann and Zoë, a closed room "team" of theirs and an open "lobby" (ann made both)."""
    ann = await store.accounts.create_account("ann", PERSON)
    zoe = await store.accounts.create_account("Zoë", PERSON)
    await store.accounts.create_room("team", CLOSED, creator_id=ann.id, members=[zoe.id])
    await store.accounts.create_room("lobby", OPEN, creator_id=ann.id)
    return ann, zoe


async def fill(store: Store) -> None:
    """Two people, a closed, an open (with messages) and a direct room; positions, levels, devices, keys."""
    accounts = store.accounts
    ann, zoe = await ann_and_zoe(store)
    await accounts.get_or_create_secret(DIRECT_ROOM_SECRET, new_direct_room_key)
    await accounts.create_room("dm-0123456789abcdef01234567", DIRECT, creator_id=ann.id, members=[zoe.id])
    for room, texts in (("team", ["a", "b", "c"]), ("lobby", ["x", "y"])):
        for text in texts:
            await store.append(room, "ann", text, account_id=ann.id)
    await accounts.mark_read(
        [ReadMark(ann.id, "team", 2), ReadMark(zoe.id, "lobby", 5), ReadMark(zoe.id, "team", 3)]
    )
    await accounts.set_notify_level(ann.id, "lobby", "muted")
    await accounts.set_notify_level(zoe.id, "team", "mentions")
    await accounts.get_or_create_secret(VAPID_SECRET, new_private_key)
    await accounts.save_push_subscription(zoe.id, ENDPOINT + "1", "p256dh-one", "auth-one", created_at=1000)
    await accounts.save_push_subscription(ann.id, ENDPOINT + "2", "p256dh-two", "auth-two", created_at=2000)
    await accounts.set_push_enabled(zoe.id, False)
    await accounts.block(ann.id, zoe.id, created_at=3000)


async def reading(store: Store) -> list[Any]:
    """Every account's positions, levels and devices, the push key and the direct rooms' key."""
    accounts = store.accounts
    state: list[Any] = [
        await accounts.get_or_create_secret(VAPID_SECRET, lambda: "none"),
        await accounts.get_or_create_secret(DIRECT_ROOM_SECRET, lambda: "none"),
    ]
    for account in await accounts.list_accounts(limit=100):
        state.append(
            (
                account.name,
                await accounts.read_positions(account.id),
                await accounts.notify_levels(account.id),
                await accounts.push_enabled(account.id),
                [
                    (d.endpoint, d.p256dh, d.auth, d.created_at)
                    for d in await accounts.push_subscriptions_of(account.id)
                ],
                await accounts.blocks_of(account.id),
            )
        )
    return state


def exported(database: str) -> bytes:
    """What ``python -m chatroom export --database DATABASE`` writes, made in this process."""
    out = io.BytesIO()
    asyncio.run(export_database(parse_transfer("export", ["--database", database], environ={}).settings, out))
    return out.getvalue()


def import_kept(database: str, export: bytes) -> None:
    """``python -m chatroom import --database DATABASE --keep-epoch``, with ``export`` as its input."""
    options = parse_transfer("import", ["--database", database, "--keep-epoch"], environ={})
    asyncio.run(import_database(options.settings, io.BytesIO(export), keep_epoch=options.keep_epoch))


def there_and_back(tmp_path: Path, postgres_server: PostgresServer, fill: Any) -> tuple[str, str, str, bytes]:
    """A SQLite database filled by ``fill``, exported, imported into PostgreSQL, exported again (the same
    bytes), imported into a new SQLite file: the three databases, and the export.

    Done in this process, as the commands do it: the commands' own ways (standard input and output,
    exit statuses) are tested in test_export.py.
    """
    source, copy = str(tmp_path / "source.db"), str(tmp_path / "copy.db")
    on_store(source, fill)
    first = exported(source)
    postgres = postgres_server.new_schema()
    import_kept(postgres, first)
    assert exported(postgres) == first
    import_kept(copy, first)
    return source, postgres, copy, first


def test_sqlite_to_postgresql_and_back_keeps_what_people_chose(
    tmp_path: Path, postgres_server: PostgresServer
) -> None:
    """Positions, levels, devices, switches, blocks and both keys (push, direct rooms) go there and back."""
    source, postgres, copy, exported = there_and_back(tmp_path, postgres_server, fill)
    assert on_store(copy, reading) == on_store(postgres, reading) == on_store(source, reading)

    records = [orjson.loads(line) for line in exported.splitlines()[1:]]
    kinds = [record["type"] for record in records]
    assert kinds.count("direct_room_key") == 1 and kinds.index("direct_room_key") < kinds.index(
        "read_position"
    )
    ann = ["read_position", "notify_level", "push_key", "push_subscription", "block"]
    tail = [*ann, "read_position", "read_position", "notify_level", "push_subscription", "push_switch"]
    assert kinds[-len(tail) :] == tail
    assert records[-len(tail)] == {"type": "read_position", "account": 1, "room": "team", "id": 2}
    assert records[-1] == {"type": "push_switch", "account": 2, "enabled": False}
    assert records[-6] == {"type": "block", "account": 1, "blocked": 2, "created_at": 3000}
    assert records[-2] == {
        "type": "push_subscription",
        "account": 2,
        "endpoint": ENDPOINT + "1",
        "p256dh": "p256dh-one",
        "auth": "auth-one",
        "created_at": 1000,
    }


POSITION = b'{"type":"read_position","account":1,"room":"lobby","id":1}'
LEVEL = b'{"type":"notify_level","account":1,"room":"lobby","level":"muted"}'
KEY = b'{"type":"push_key","private_key":"a-key"}'
DIRECT_KEY = b'{"type":"direct_room_key","key":"d-key"}'
DEVICE = (
    b'{"type":"push_subscription","account":1,"endpoint":"https://push.example.net/d",'
    b'"p256dh":"k","auth":"a","created_at":5}'
)
SWITCH = b'{"type":"push_switch","account":1,"enabled":false}'
BLOCK = b'{"type":"block","account":1,"blocked":2,"created_at":5}'
SECOND_ACCOUNT = GOOD_ACCOUNT.replace(b'"id":1', b'"id":2').replace(b'"ann"', b'"bob"')
BEFORE = [GOOD_HEADER, GOOD_ACCOUNT, GOOD_ROOM, GOOD_MESSAGE]


@pytest.mark.parametrize(
    ("lines", "number", "says"),
    [
        (
            [GOOD_HEADER, GOOD_ROOM.replace(b'"creator":1', b'"creator":null'), POSITION],
            3,
            "account 1, which no",
        ),
        ([GOOD_HEADER, GOOD_ACCOUNT, POSITION], 3, "room 'lobby', which no line before it brings"),
        ([*BEFORE, POSITION, POSITION], 6, "read position of room 'lobby' a second time"),
        ([*BEFORE, POSITION.replace(b'"id":1', b'"id":-1')], 5, "'id'"),
        ([*BEFORE, LEVEL, LEVEL], 6, "notification level of room 'lobby' a second time"),
        ([*BEFORE, LEVEL.replace(b"muted", b"loud")], 5, "'level'"),
        ([*BEFORE, KEY, KEY], 6, "a second push key"),
        ([GOOD_HEADER, KEY, DEVICE], 3, "push subscription of account 1, which no line before it brings"),
        ([*BEFORE, KEY, DEVICE, DEVICE], 7, "endpoint an earlier line already brings"),
        ([*BEFORE, DEVICE.replace(b'"auth":"a",', b"")], 5, "'auth'"),
        ([*BEFORE, SWITCH, SWITCH], 6, "push switch a second time"),
        ([*BEFORE, DIRECT_KEY, DIRECT_KEY], 6, "a second direct rooms' key"),
        ([*BEFORE, DIRECT_KEY.replace(b'"d-key"', b"7")], 5, "'key'"),
        ([GOOD_HEADER, SWITCH], 2, "push switch of account 1, which no line before it brings"),
        ([*BEFORE, SWITCH.replace(b"false", b"0")], 5, "'enabled'"),
        ([*BEFORE, BLOCK], 5, "a block of account 2, which no line before it brings"),
        ([*BEFORE, BLOCK.replace(b'"blocked":2', b'"blocked":1')], 5, "account 1 blocking itself"),
        ([*BEFORE, SECOND_ACCOUNT, BLOCK, BLOCK], 7, "block of account 2 a second time"),
        ([*BEFORE, SECOND_ACCOUNT, BLOCK.replace(b',"created_at":5', b"")], 6, "'created_at'"),
    ],
)
def test_a_bad_reading_line_fails_with_its_number_and_imports_nothing(
    tmp_path: Path, lines: list[bytes], number: int, says: str
) -> None:
    """A reading record that is malformed, refers to what the file did not bring, or comes twice: exit 2."""
    refuses_import(tmp_path, lines, number, says)


def test_a_position_in_a_room_with_only_messages_imports(tmp_path: Path) -> None:
    """A room the file brings by its messages alone (no record) takes positions and levels too."""
    lines = [GOOD_HEADER, GOOD_ACCOUNT, GOOD_MESSAGE, POSITION, LEVEL]
    target = str(tmp_path / "t.db")
    result = chatroom("import", "--db", target, stdin=b"".join(line + b"\n" for line in lines))
    assert result.returncode == 0, result.stderr

    async def chosen(store: Store) -> tuple[int | None, str]:
        return await store.accounts.read_position(1, "lobby"), await store.accounts.notify_level(1, "lobby")

    assert on_store(target, chosen) == (1, "muted")
