"""Messages pinned to their room, held against SQLite and PostgreSQL alike."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from chatroom.events import DELETE, PIN, Pin
from chatroom.store.base import Store
from chatroom.store.change_rules import MAX_PINS, NO_MESSAGE, TOO_MANY_PINS, ChangeRefusedError, ChangeRequest
from chatroom.store.postgres import PostgresStore
from chatroom.store.sqlite import SQLiteStore

from .pg_server import PostgresServer
from .stores import StoreFactory, postgres_schema_at, run, sqlite_file_at

ANN, BOB = 1, 2


def pin(target: int, on: bool = True, account: int = ANN, nick: str = "ann") -> ChangeRequest:
    """Ann's (by default) pin of ``target``, or its unpinning."""
    return ChangeRequest(PIN, target, nick, account, on=on)


def test_a_pin_takes_the_rooms_next_id_and_shows_on_its_message(store_factory: StoreFactory) -> None:
    """A pin is a change with its own id; the message then says who pinned it and when."""

    async def scenario(store: Store) -> None:
        await store.append("lobby", "bob", "the meeting link", account_id=BOB)
        await store.append("lobby", "bob", "hello", account_id=BOB)
        pinned = await store.change("lobby", pin(1))
        assert pinned.change is not None and (pinned.change.id, pinned.change.kind) == (3, PIN)
        assert pinned.change.on and pinned.change.nick == "ann"
        assert (await store.append("lobby", "bob", "next", account_id=BOB)).message.id == 4
        first, second, _ = await store.history("lobby")
        assert first.pinned == Pin("ann", pinned.change.ts) and second.pinned is None
        assert [(c.kind, c.target, c.on) for c in await store.changes("lobby", after=2)] == [(PIN, 1, True)]
        assert [item.id for item in await store.sequence_after("lobby", 2, 10)] == [3, 4]

    run(store_factory(), scenario)


def test_a_repeat_changes_nothing_and_unpinning_takes_the_mark_away(store_factory: StoreFactory) -> None:
    """Pinning a pinned message, or unpinning one that is not, takes no id; unpinning does take one."""

    async def scenario(store: Store) -> None:
        await store.append("lobby", "bob", "rules", account_id=BOB)
        assert (await store.change("lobby", pin(1, False))).change is None
        await store.change("lobby", pin(1))
        again = await store.change("lobby", pin(1, True, BOB, "bob"))
        assert again.change is None and await store.last_id("lobby") == 2
        assert (await store.history("lobby"))[0].pinned is not None
        off = await store.change("lobby", pin(1, False, BOB, "bob"))
        assert off.change is not None and off.change.id == 3 and not off.change.on
        assert (await store.history("lobby"))[0].pinned is None
        assert await store.pinned("lobby") == []

    run(store_factory(), scenario)


def test_the_rooms_pins_are_listed_newest_pin_first(store_factory: StoreFactory) -> None:
    """pinned() lists the room's pinned messages as they are now, the most recently pinned first."""

    async def scenario(store: Store) -> None:
        for text in ("one", "two", "three"):
            await store.append("lobby", "bob", text, account_id=BOB)
        await store.append("elsewhere", "bob", "not here", account_id=BOB)
        await store.change("elsewhere", pin(1))
        for target in (2, 1, 3):
            await store.change("lobby", pin(target))
        await store.change("lobby", pin(3, False))
        listed = await store.pinned("lobby")
        assert [(m.id, m.text) for m in listed] == [(1, "one"), (2, "two")]
        assert all(m.pinned is not None and m.pinned.nick == "ann" for m in listed)
        assert [m.text for m in await store.pinned("elsewhere")] == ["not here"]

    run(store_factory(), scenario)


def test_deleting_a_pinned_message_unpins_it(store_factory: StoreFactory) -> None:
    """The deletion alone takes an id; its tombstone is no longer pinned, and cannot be pinned again."""

    async def scenario(store: Store) -> None:
        await store.append("lobby", "bob", "homework", account_id=BOB)
        await store.change("lobby", pin(1))
        deleted = await store.change("lobby", ChangeRequest(DELETE, 1, "bob", BOB))
        assert deleted.change is not None and deleted.change.id == 3
        assert (await store.history("lobby"))[0].pinned is None and await store.pinned("lobby") == []
        with pytest.raises(ChangeRefusedError) as refused:
            await store.change("lobby", pin(1))
        assert refused.value.code == NO_MESSAGE and await store.last_id("lobby") == 3
        with pytest.raises(ChangeRefusedError) as refused:
            await store.change("lobby", pin(2))  # the pin's id, not a message's
        assert refused.value.code == NO_MESSAGE

    run(store_factory(), scenario)


def test_a_room_holds_at_most_fifty_pins(store_factory: StoreFactory) -> None:
    """Past MAX_PINS a new pin is refused and takes no id; unpinning, and a repeat, are still taken."""

    async def scenario(store: Store) -> None:
        await asyncio.gather(
            *[store.append("lobby", "bob", f"m{i}", account_id=BOB) for i in range(MAX_PINS + 1)]
        )
        for target in range(1, MAX_PINS + 1):
            await store.change("lobby", pin(target))
        last = await store.last_id("lobby")
        with pytest.raises(ChangeRefusedError) as refused:
            await store.change("lobby", pin(MAX_PINS + 1))
        assert refused.value.code == TOO_MANY_PINS and await store.last_id("lobby") == last
        assert (await store.change("lobby", pin(1))).change is None
        assert (await store.change("lobby", pin(1, False))).change is not None
        assert (await store.change("lobby", pin(MAX_PINS + 1))).change is not None
        assert len(await store.pinned("lobby")) == MAX_PINS

    run(store_factory(), scenario)


VERSION_23_MESSAGES = [
    "INSERT INTO rooms (room, last_id, key, kind) VALUES ('lobby', 1, 'lobby', 'open')",
    "INSERT INTO messages (room, id, nick, message, ts, account_id)"
    " VALUES ('lobby', 1, 'bob', 'rules', 5, 2)",
]


async def check_pins_come_with_the_step(store: Store) -> None:
    """A message from before pins is not pinned, and can be."""
    assert (await store.history("lobby"))[0].pinned is None
    assert (await store.change("lobby", pin(1))).change is not None
    assert [m.text for m in await store.pinned("lobby")] == ["rules"]


def test_a_version_23_sqlite_file_gains_pins(tmp_path: Path) -> None:
    """The pins step on SQLite: an older file's messages are not pinned, and can be."""
    path = tmp_path / "v23.db"
    sqlite_file_at(path, 23, VERSION_23_MESSAGES)
    run(SQLiteStore(str(path)), check_pins_come_with_the_step)


def test_a_version_23_postgres_schema_gains_pins(postgres_server: PostgresServer) -> None:
    """The pins step on PostgreSQL: an older schema's messages are not pinned, and can be."""
    url, _ = postgres_schema_at(postgres_server, 23, VERSION_23_MESSAGES)
    run(PostgresStore(url), check_pins_come_with_the_step)
