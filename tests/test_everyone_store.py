"""The rooms everyone is in (store/everyone_base.py), held against SQLite and PostgreSQL alike."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from pathlib import Path

import psycopg
import pytest

from chatroom.store import migrations
from chatroom.store.accounts_base import AccountStore
from chatroom.store.base import Store
from chatroom.store.postgres import PostgresStore
from chatroom.store.records import (
    AVATAR_COLORS,
    BOT,
    CLOSED,
    DIRECT,
    MEMBER,
    OPEN,
    OWNER,
    PERSON,
    Account,
    RoomRecord,
)
from chatroom.store.sqlite import SQLiteStore

from .pg_server import PostgresServer
from .stores import StoreFactory, postgres_schema_at, run, run_on_two_nodes, sqlite_file_at


async def member_ids(accounts: AccountStore, room: str) -> list[int]:
    return [m.account_id for m in await accounts.members_of(room)]


def test_turning_a_room_on_makes_every_person_a_member(store_factory: StoreFactory) -> None:
    """Every person joins at once (an owner stays owner), a deactivated one too; bots do not."""

    async def scenario(store: Store) -> None:
        accounts = store.accounts
        teacher = await accounts.create_account("teacher", PERSON, is_admin=True)
        students = [await accounts.create_account(f"student{n}", PERSON) for n in range(3)]
        gone = await accounts.create_account("gone", PERSON)
        await accounts.deactivate_account(gone.id)
        bot = await accounts.create_account("ci", BOT)
        news = await accounts.create_room("news", OPEN, creator_id=teacher.id)
        assert not news.everyone_in
        turned = await accounts.set_everyone_in("news", True)
        assert turned is not None and turned.everyone_in and turned.room == "news"
        assert await accounts.room_record("news") == turned
        assert await member_ids(accounts, "news") == [teacher.id, *(s.id for s in students), gone.id]
        assert (await accounts.membership("news", teacher.id)).role == OWNER  # type: ignore[union-attr]
        assert bot.id not in await member_ids(accounts, "news")
        assert [r.room for r in await accounts.rooms_of(students[0].id)] == ["news"]
        assert [(r.room, r.everyone_in) for r in await accounts.open_rooms()] == [("news", True)]

    run(store_factory(), scenario)


def test_a_person_made_later_is_a_member_at_creation_and_a_bot_is_not(store_factory: StoreFactory) -> None:
    """A person created after the room is turned on is in it; after it is turned off, not; nobody leaves."""

    async def scenario(store: Store) -> None:
        accounts = store.accounts
        await accounts.create_room("news", OPEN)
        await accounts.create_room("chat", OPEN)
        await accounts.set_everyone_in("news", True)
        ann = await accounts.create_account("ann", PERSON)
        sso = await accounts.create_account("sso", PERSON, external=True)
        bot = await accounts.create_account("ci", BOT)
        assert [r.room for r in await accounts.rooms_of(ann.id)] == ["news"]
        assert [r.room for r in await accounts.rooms_of(sso.id)] == ["news"]
        assert await accounts.rooms_of(bot.id) == []
        membership = await accounts.membership("news", ann.id)
        assert membership is not None and membership.role == MEMBER and membership.added_at == ann.created_at
        turned_off = await accounts.set_everyone_in("news", False)
        assert turned_off is not None and not turned_off.everyone_in
        assert await member_ids(accounts, "news") == [ann.id, sso.id]
        bob = await accounts.create_account("bob", PERSON)
        assert await accounts.rooms_of(bob.id) == []

    run(store_factory(), scenario)


def test_who_left_is_not_added_again_until_the_room_is_turned_on_again(store_factory: StoreFactory) -> None:
    """Leaving holds while others join; turning the room on again makes everyone a member again."""

    async def scenario(store: Store) -> None:
        accounts = store.accounts
        await accounts.create_room("news", OPEN)
        await accounts.set_everyone_in("news", True)
        ann = await accounts.create_account("ann", PERSON)
        assert await accounts.remove_member("news", ann.id)
        bob = await accounts.create_account("bob", PERSON)
        assert await member_ids(accounts, "news") == [bob.id]
        await accounts.set_everyone_in("news", True)
        assert await member_ids(accounts, "news") == [ann.id, bob.id]

    run(store_factory(), scenario)


def test_only_an_open_room_is_one_everyone_is_in(store_factory: StoreFactory) -> None:
    """A closed room, a direct room and a room that is not there answer None and change nobody."""

    async def scenario(store: Store) -> None:
        accounts = store.accounts
        ann = await accounts.create_account("ann", PERSON)
        bob = await accounts.create_account("bob", PERSON)
        await accounts.create_room("team", CLOSED, creator_id=ann.id)
        await accounts.create_room("dm-x", DIRECT, members=[ann.id, bob.id])
        assert await accounts.set_everyone_in("team", True) is None
        assert await accounts.set_everyone_in("dm-x", True) is None
        assert await accounts.set_everyone_in("nowhere", True) is None
        assert await member_ids(accounts, "team") == [ann.id]
        assert not (await accounts.room_record("team")).everyone_in  # type: ignore[union-attr]
        carol = await accounts.create_account("carol", PERSON)
        assert await accounts.rooms_of(carol.id) == []

    run(store_factory(), scenario)


def test_thousands_of_people_join_at_once(store_factory: StoreFactory) -> None:
    """Two thousand people become members in one change."""

    async def scenario(store: Store) -> None:
        accounts = store.accounts
        await accounts.create_room("news", OPEN)
        # Made in one import: created one by one, they took 20 s of a loaded test run on PostgreSQL.
        people = [
            Account(n, f"p{n}", f"p{n}", PERSON, False, False, None, AVATAR_COLORS[0], 1000)
            for n in range(1, 2001)
        ]
        await accounts.import_accounts(people, [])
        await accounts.set_everyone_in("news", True)
        assert await member_ids(accounts, "news") == [p.id for p in people]

    run(store_factory(), scenario)


def test_accounts_made_on_another_node_while_it_is_turned_on_all_end_up_members(
    shared_store_factory: StoreFactory,
) -> None:
    """People created on one node during the turning on through another are all members after it."""

    async def scenario(left: Store, right: Store) -> None:
        await left.accounts.create_room("news", OPEN)
        for round_ in range(5):
            creations = [right.accounts.create_account(f"r{round_}-{n}", PERSON) for n in range(8)]
            turning = left.accounts.set_everyone_in("news", True)
            made = await asyncio.gather(*creations[:4], turning, *creations[4:])
            people = [account.id for account in made if not isinstance(account, RoomRecord)]
            assert set(people) <= set(await member_ids(left.accounts, "news")), round_
            await left.accounts.set_everyone_in("news", False)

    run_on_two_nodes(shared_store_factory, scenario)


VERSION_22_ROOMS = [
    "INSERT INTO rooms (room, last_id, key, kind) VALUES ('lobby', 0, 'lobby', 'open')",
    "INSERT INTO rooms (room, last_id, key, kind) VALUES ('team', 0, 'team', 'closed')",
]


async def check_nobody_is_added_by_step_23(store: Store) -> None:
    """Rooms from before step 23 are ordinary ones, and an open one can then be turned on."""
    accounts = store.accounts
    assert await accounts.room_record("lobby") == RoomRecord("lobby", OPEN)
    assert await accounts.room_record("team") == RoomRecord("team", CLOSED)
    turned = await accounts.set_everyone_in("lobby", True)
    assert turned is not None and turned.everyone_in
    assert migrations.LATEST >= 23


def test_a_version_22_sqlite_file_gains_rooms_everyone_is_in(tmp_path: Path) -> None:
    """Step 23 on SQLite: no room of a version 22 file is one, and the database keeps closed rooms out."""
    path = tmp_path / "v22.db"
    sqlite_file_at(path, 22, VERSION_22_ROOMS)
    run(SQLiteStore(str(path)), check_nobody_is_added_by_step_23)
    with contextlib.closing(sqlite3.connect(path)) as conn, pytest.raises(sqlite3.IntegrityError):
        conn.execute("UPDATE rooms SET everyone_in = 1 WHERE room = 'team'")


def test_a_version_22_postgres_schema_gains_rooms_everyone_is_in(postgres_server: PostgresServer) -> None:
    """Step 23 on PostgreSQL: no room of a version 22 schema is one, and closed rooms are kept out."""
    url, schema = postgres_schema_at(postgres_server, 22, VERSION_22_ROOMS)
    run(PostgresStore(url), check_nobody_is_added_by_step_23)
    with postgres_server.connect() as conn, pytest.raises(psycopg.errors.CheckViolation):
        conn.execute(f"UPDATE {schema}.rooms SET everyone_in = TRUE WHERE room = 'team'")


def test_those_a_room_takes_in_start_reading_at_its_newest_message(store_factory: StoreFactory) -> None:
    """Turned on over a room with history, the people it takes in count nothing of what came before (no
    99+ on a first look); a member already there keeps where they were; a person made later starts at
    the room's newest message too; what comes next counts for all."""

    async def scenario(store: Store) -> None:
        accounts = store.accounts
        old_hand = await accounts.create_account("old hand", PERSON)
        newcomer = await accounts.create_account("newcomer", PERSON)
        await accounts.create_room("news", OPEN, creator_id=old_hand.id)
        for n in range(3):
            await store.append("news", "old hand", f"before {n}")
        await accounts.set_everyone_in("news", True)
        assert await accounts.read_position(old_hand.id, "news") is None
        assert await accounts.read_position(newcomer.id, "news") == 3
        later = await accounts.create_account("later", PERSON)
        assert await accounts.read_position(later.id, "news") == 3
        await store.append("news", "old hand", "after")
        assert (await accounts.unread_in("news", 3, "later")).unread == 1

    run(store_factory(), scenario)


def test_a_person_deactivated_when_a_room_is_turned_on_finds_it_on_return(
    store_factory: StoreFactory,
) -> None:
    """ann, deactivated, is taken in by a room turned on meanwhile, counting what was posted there since as
    in her other rooms; reactivated, she is in it. A room she left before stays left: coming back is not
    joining again."""

    async def scenario(store: Store) -> None:
        accounts = store.accounts
        ann = await accounts.create_account("ann", PERSON)
        bob = await accounts.create_account("bob", PERSON)
        await accounts.create_room("lobby", OPEN)
        await accounts.set_everyone_in("lobby", True)
        assert await accounts.remove_member("lobby", ann.id)
        await accounts.create_room("news", OPEN, creator_id=bob.id)
        assert await accounts.deactivate_account(ann.id)
        for n in range(3):
            await store.append("news", "bob", f"before {n}")
        await accounts.set_everyone_in("news", True)
        await store.append("news", "bob", "while away")
        assert await accounts.reactivate_account(ann.id)
        assert [r.room for r in await accounts.rooms_of(ann.id)] == ["news"]
        assert (await accounts.membership("news", ann.id)).role == MEMBER  # type: ignore[union-attr]
        assert await accounts.read_position(ann.id, "news") == 3
        assert (await accounts.unread_in("news", 3, "ann")).unread == 1

    run(store_factory(), scenario)
