"""The AccountStore contract, held against SQLite and PostgreSQL alike, with two nodes where it matters."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from collections.abc import Awaitable, Callable
from pathlib import Path

import psycopg
import pytest

from chatroom.clock import now_ms
from chatroom.names import BadNameError
from chatroom.store import migrations
from chatroom.store.accounts_base import (
    AccountStore,
    FormerNameError,
    NameTakenError,
    RoomTakenError,
    UnknownAccountError,
)
from chatroom.store.base import Store, StoreError
from chatroom.store.postgres import PostgresStore
from chatroom.store.records import (
    AVATAR_COLORS,
    BOT,
    CLOSED,
    DAY_MS,
    DIRECT,
    EVERYONE,
    JOIN,
    MANAGERS,
    MEMBER,
    OPEN,
    OWNER,
    PERSON,
    RESET,
    SESSION_IDLE_MS,
    SETUP,
    Account,
    BotKey,
    Membership,
    RoomRecord,
)
from chatroom.store.sessions_base import AGENT_LENGTH
from chatroom.store.sqlite import SQLiteStore
from chatroom.tokens import new_token, token_hash

from .pg_server import PostgresServer
from .stores import StoreFactory, postgres_schema_at, run_nodes, sqlite_file_at, write_schema_steps

Scenario = Callable[[AccountStore, Store], Awaitable[None]]


def run(store: Store, scenario: Scenario) -> None:
    """Start the store, play the scenario on its accounts, close it."""

    async def main() -> None:
        await store.start()
        try:
            await scenario(store.accounts, store)
        finally:
            await store.close()

    asyncio.run(main())


# --- accounts -------------------------------------------------------------------------


def test_an_account_is_created_and_found_by_id_and_name(store_factory: StoreFactory) -> None:
    """A new account keeps its name, gets a key, a colour and an id; its name finds it whatever the case."""

    async def scenario(accounts: AccountStore, store: Store) -> None:
        assert await accounts.count_accounts() == 0
        before = now_ms()
        alice = await accounts.create_account(" Alice ", PERSON, is_admin=True, password_hash="$argon2id$x")
        assert (alice.name, alice.name_key, alice.kind, alice.is_admin, alice.external) == (
            "Alice",
            "alice",
            PERSON,
            True,
            False,
        )
        assert alice.password_hash == "$argon2id$x" and "argon2" not in repr(alice)
        assert alice.color in AVATAR_COLORS and alice.active and not alice.is_bot
        assert before <= alice.created_at <= now_ms()
        bot = await accounts.create_account("ci", BOT)
        assert bot.id > alice.id and bot.is_bot and bot.password_hash is None
        assert await accounts.account_by_id(alice.id) == alice
        assert await accounts.account_by_name("ALICE") == alice
        assert await accounts.account_by_name("ａｌｉｃｅ") == alice
        assert await accounts.account_by_name("nobody") is None
        assert await accounts.account_by_name("not\u200bvalid") is None
        assert await accounts.account_by_id(999) is None
        assert await accounts.count_accounts() == 2
        external = await accounts.create_account("sso-user", PERSON, external=True)
        assert external.external
        assert [a.id for a in await accounts.list_accounts()] == [alice.id, bot.id, external.id]
        assert await accounts.list_accounts(after_id=alice.id, limit=1) == [bot]

    run(store_factory(), scenario)


@pytest.mark.parametrize("other", ["alice", "ALICE", "аlice", "ａｌｉｃｅ", "a1ice", "alice\ufe0f"])
def test_look_alike_names_collide(store_factory: StoreFactory, other: str) -> None:
    """alice, ALICE, a Cyrillic а, full-width letters, a digit 1 for l: one name, refused the second time."""

    async def scenario(accounts: AccountStore, store: Store) -> None:
        await accounts.create_account("alice", PERSON)
        try:
            await accounts.create_account(other, BOT)
        except BadNameError:
            return  # refused outright (an invisible character), which is as good
        except NameTakenError as error:
            assert error.holder == "alice"
            assert "alice" in str(error)
        else:
            pytest.fail(f"{other!r} was accepted beside alice")
        assert await accounts.count_accounts() == 1

    run(store_factory(), scenario)


def test_bad_names_and_kinds_are_refused_before_the_database(store_factory: StoreFactory) -> None:
    """A name the rules refuse raises BadNameError; an unknown kind ValueError; nothing is stored."""

    async def scenario(accounts: AccountStore, store: Store) -> None:
        for bad in ["", "a" * 33, "-dash", "bell\x07", "tab\there"]:
            with pytest.raises(BadNameError):
                await accounts.create_account(bad, PERSON)
        with pytest.raises(ValueError):
            await accounts.create_account("robot", "android")
        assert await accounts.count_accounts() == 0

    run(store_factory(), scenario)


def test_two_nodes_creating_look_alike_names_at_once_create_one(shared_store_factory: StoreFactory) -> None:
    """Two nodes creating bob and BOB at the same moment: one account, the other refused."""

    async def scenario(stores: list[Store]) -> None:
        for round_ in range(10):
            outcomes = await asyncio.gather(
                stores[0].accounts.create_account(f"bob{round_}", PERSON),
                stores[1].accounts.create_account(f"BOB{round_}", PERSON),
                return_exceptions=True,
            )
            assert sorted(type(o).__name__ for o in outcomes) == ["Account", "NameTakenError"], outcomes
        assert await stores[0].accounts.count_accounts() == 10

    run_nodes(shared_store_factory, scenario)


def test_rename_keeps_the_id_and_refuses_anothers_name(store_factory: StoreFactory) -> None:
    """An account may take a new name, or its own in other letters, but never another's look-alike."""

    async def scenario(accounts: AccountStore, store: Store) -> None:
        ann = await accounts.create_account("ann", PERSON)
        await accounts.create_account("bob", PERSON)
        renamed = await accounts.rename_account(ann.id, "Anna")
        assert renamed is not None and (renamed.id, renamed.name, renamed.name_key) == (
            ann.id,
            "Anna",
            "anna",
        )
        assert (await accounts.rename_account(ann.id, "ANNA")) is not None
        with pytest.raises(NameTakenError):
            await accounts.rename_account(ann.id, "B0B")
        assert await accounts.account_by_name("ann") is None
        assert (await accounts.account_by_name("anna")) == await accounts.account_by_id(ann.id)
        assert await accounts.rename_account(999, "ghost") is None

    run(store_factory(), scenario)


def test_a_name_renamed_from_stays_the_accounts(store_factory: StoreFactory) -> None:
    """Nobody else takes a name an account was renamed from, nor a look-alike; the account takes it back."""

    async def scenario(accounts: AccountStore, store: Store) -> None:
        ann = await accounts.create_account("ann", PERSON)
        bob = await accounts.create_account("bob", PERSON)
        await accounts.rename_account(ann.id, "Anna")
        await accounts.rename_account(ann.id, "ANNA")
        assert await accounts.former_names_of(ann.id) == ["ann"]
        for taker in ("ann", "ANN", "аnn"):  # the last with a Cyrillic а
            with pytest.raises(FormerNameError, match="was another account's: its messages bear it"):
                await accounts.create_account(taker, PERSON)
            with pytest.raises(FormerNameError):
                await accounts.rename_account(bob.id, taker)
            assert await accounts.name_is_held(taker)
        assert await accounts.account_by_name("ann") is None
        assert not await accounts.name_is_held("cid") and not await accounts.name_is_held(" ")
        assert (await accounts.account_by_id(bob.id)) == bob
        taken_back = await accounts.rename_account(ann.id, "Ann")
        assert taken_back is not None and taken_back.name == "Ann"
        assert await accounts.former_names_of(ann.id) == ["ANNA"]
        assert await accounts.count_accounts() == 2

    run(store_factory(), scenario)


def test_two_nodes_renaming_to_a_name_being_left_keep_it_the_leavers(
    shared_store_factory: StoreFactory,
) -> None:
    """While one node renames ann away, another renames bob to ann and makes an ann: neither takes it."""

    async def scenario(stores: list[Store]) -> None:
        first = stores[0].accounts
        for round_ in range(5):
            ann = await first.create_account(f"ann{round_}", PERSON)
            bob = await first.create_account(f"bob{round_}", PERSON)
            outcomes = await asyncio.gather(
                stores[0].accounts.rename_account(ann.id, f"anna{round_}"),
                stores[1].accounts.rename_account(bob.id, f"ann{round_}"),
                stores[1].accounts.create_account(f"ANN{round_}", PERSON),
                return_exceptions=True,
            )
            assert isinstance(outcomes[0], Account), outcomes
            assert [type(o).__name__ for o in outcomes[1:]] in (
                ["NameTakenError", "NameTakenError"],
                ["FormerNameError", "FormerNameError"],
                ["NameTakenError", "FormerNameError"],
                ["FormerNameError", "NameTakenError"],
            ), outcomes
            holder = await first.account_by_name(f"ann{round_}")
            assert holder is None and await first.former_names_of(ann.id) == [f"ann{round_}"]

    run_nodes(shared_store_factory, scenario)


def test_password_admin_and_activation_change(store_factory: StoreFactory) -> None:
    """A password hash, the administrator mark and deactivation are stored; unknown ids change nothing."""

    async def scenario(accounts: AccountStore, store: Store) -> None:
        ann = await accounts.create_account("ann", PERSON)
        assert await accounts.set_password_hash(ann.id, "$argon2id$new")
        assert await accounts.set_admin(ann.id, True)
        changed = await accounts.account_by_id(ann.id)
        assert changed is not None and changed.password_hash == "$argon2id$new" and changed.is_admin
        assert await accounts.deactivate_account(ann.id)
        first = await accounts.account_by_id(ann.id)
        assert first is not None and not first.active
        assert await accounts.deactivate_account(ann.id)
        again = await accounts.account_by_id(ann.id)
        assert again is not None and again.deactivated_at == first.deactivated_at
        assert await accounts.reactivate_account(ann.id)
        back = await accounts.account_by_id(ann.id)
        assert back is not None and back.active
        for change in (
            accounts.set_password_hash(999, None),
            accounts.set_admin(999, True),
            accounts.deactivate_account(999),
            accounts.reactivate_account(999),
        ):
            assert not await change

    run(store_factory(), scenario)


def test_active_accounts_are_found_by_the_start_of_their_name(store_factory: StoreFactory) -> None:
    """A prefix finds active accounts as names compare (case, look-alikes), never a deactivated one; an
    empty one, the first by name."""

    async def scenario(accounts: AccountStore, store: Store) -> None:
        alice = await accounts.create_account("Alice", PERSON)
        await accounts.create_account("alfred", PERSON)
        await accounts.create_account("bob", PERSON)
        gone = await accounts.create_account("Alma", PERSON)
        await accounts.deactivate_account(gone.id)
        assert [a.name for a in await accounts.active_accounts_named("AL")] == ["alfred", "Alice"]
        # Cyrillic а looks like a: the same key.
        assert [a.name for a in await accounts.active_accounts_named("\u0430li")] == ["Alice"]
        assert [a.id for a in await accounts.active_accounts_named("al", limit=1)] == [
            (await accounts.account_by_name("alfred")).id  # type: ignore[union-attr]
        ]
        assert alice.id not in [a.id for a in await accounts.active_accounts_named("b")]
        assert [a.name for a in await accounts.active_accounts_named("")] == ["alfred", "Alice", "bob"]
        assert [a.name for a in await accounts.active_accounts_named(" ", limit=2)] == ["alfred", "Alice"]
        assert await accounts.active_accounts_named("no such") == []
        assert await accounts.active_accounts_named("\u200b") == []

    run(store_factory(), scenario)


# --- sessions ---------------------------------------------------------------------------


def test_a_session_opens_its_account_until_revoked(store_factory: StoreFactory) -> None:
    """A session finds its account; revoked, unknown, or with its account deactivated it finds nothing."""

    async def scenario(accounts: AccountStore, store: Store) -> None:
        ann = await accounts.create_account("ann", PERSON)
        phone, laptop = token_hash(new_token()), token_hash(new_token())
        await accounts.create_session(ann.id, phone)
        await accounts.create_session(ann.id, laptop)
        assert await accounts.session_account(phone) == ann
        assert await accounts.session_account(token_hash(new_token())) is None
        assert await accounts.revoke_session(phone)
        assert not await accounts.revoke_session(phone)
        assert await accounts.session_account(phone) is None
        assert await accounts.session_account(laptop) == ann
        await accounts.deactivate_account(ann.id)
        assert await accounts.session_account(laptop) is None
        await accounts.reactivate_account(ann.id)
        # Deactivation ended the sessions for good.
        assert await accounts.session_account(laptop) is None

    run(store_factory(), scenario)


def test_sign_out_everywhere_ends_every_session_of_one_account(store_factory: StoreFactory) -> None:
    """revoke_sessions_of ends the account's open sessions, says how many, and leaves others' alone."""

    async def scenario(accounts: AccountStore, store: Store) -> None:
        ann = await accounts.create_account("ann", PERSON)
        bob = await accounts.create_account("bob", PERSON)
        anns = [token_hash(new_token()) for _ in range(3)]
        for session in anns:
            await accounts.create_session(ann.id, session)
        bobs = token_hash(new_token())
        await accounts.create_session(bob.id, bobs)
        await accounts.revoke_session(anns[0])
        assert await accounts.revoke_sessions_of(ann.id) == 2
        assert [await accounts.session_account(s) for s in anns] == [None, None, None]
        assert await accounts.session_account(bobs) == bob

    run(store_factory(), scenario)


def test_an_unused_session_expires_and_use_is_noted_once_a_minute(store_factory: StoreFactory) -> None:
    """A session unused for SESSION_IDLE_MS ends; its use counts only when noted (at most once a minute)."""

    async def scenario(accounts: AccountStore, store: Store) -> None:
        ann = await accounts.create_account("ann", PERSON)
        quiet, busy = token_hash(new_token()), token_hash(new_token())
        start = now_ms()
        await accounts.create_session(ann.id, quiet)
        await accounts.create_session(ann.id, busy)
        # 30 seconds in: not noted, so the idle time still counts from the start.
        assert await accounts.session_account(quiet, now=start + 30_000) == ann
        assert await accounts.session_account(quiet, now=start + SESSION_IDLE_MS + 10_000) is None
        # Two minutes in: noted, so it lasts from then on.
        assert await accounts.session_account(busy, now=start + 120_000) == ann
        later = start + SESSION_IDLE_MS + 60_000
        assert await accounts.session_account(busy, now=later) == ann
        assert await accounts.session_account(busy, now=later + SESSION_IDLE_MS + 1) is None

    run(store_factory(), scenario)


def test_an_accounts_open_sessions_are_listed_with_their_browsers_used_last_first(
    store_factory: StoreFactory,
) -> None:
    """sessions_of lists the account's open sessions, the one used last first, with the agent each was
    begun with (cut to AGENT_LENGTH; None without one); not a revoked or idle one, nor another's."""

    async def scenario(accounts: AccountStore, store: Store) -> None:
        ann = await accounts.create_account("ann", PERSON)
        bob = await accounts.create_account("bob", PERSON)
        phone, laptop, old, gone = (token_hash(new_token()) for _ in range(4))
        start = now_ms()
        await accounts.create_session(ann.id, old, "Mozilla/5.0 (X11; Linux x86_64) Firefox/120.0")
        await accounts.create_session(ann.id, phone, "Mozilla/5.0 (iPhone) " + "x" * 600)
        await accounts.create_session(ann.id, laptop)
        await accounts.create_session(ann.id, gone, "curl/8.5.0")
        await accounts.create_session(bob.id, token_hash(new_token()), "bob's")
        await accounts.revoke_session(gone)
        await accounts.session_account(phone, now=start + 120_000)  # used two minutes in: noted
        listed = await accounts.sessions_of(ann.id, now=start + 180_000)
        assert [s.id_hash for s in listed[:1]] == [phone]
        assert {s.id_hash for s in listed} == {phone, laptop, old}
        by_hash = {s.id_hash: s for s in listed}
        assert by_hash[phone].agent == ("Mozilla/5.0 (iPhone) " + "x" * 600)[:AGENT_LENGTH]
        assert by_hash[phone].last_seen_at == start + 120_000
        assert by_hash[laptop].agent is None
        assert by_hash[old].agent == "Mozilla/5.0 (X11; Linux x86_64) Firefox/120.0"
        assert all(start <= s.created_at <= by_hash[phone].last_seen_at for s in listed)
        # Long unused, all but the one used two minutes in are no longer open.
        idle = await accounts.sessions_of(ann.id, now=start + SESSION_IDLE_MS + 60_000)
        assert [s.id_hash for s in idle] == [phone]
        assert await accounts.sessions_of(ann.id + bob.id + 1000) == []

    run(store_factory(), scenario)


# --- bot keys -------------------------------------------------------------------------------


def test_a_bot_key_opens_its_bot_until_revoked(store_factory: StoreFactory) -> None:
    """A key finds its bot; a revoked key or a deactivated bot finds nothing; reactivation, back."""

    async def scenario(accounts: AccountStore, store: Store) -> None:
        ci = await accounts.create_account("ci", BOT)
        old, new = token_hash(new_token()), token_hash(new_token())
        await accounts.create_bot_key(ci.id, old)
        await accounts.create_bot_key(ci.id, new)
        assert await accounts.bot_key_account(old) == ci
        assert await accounts.bot_key_account(token_hash(new_token())) is None
        assert await accounts.revoke_bot_key(old)
        assert not await accounts.revoke_bot_key(old)
        assert await accounts.bot_key_account(old) is None
        assert await accounts.bot_key_account(new) == ci
        keys = await accounts.bot_keys_of(ci.id)
        assert {k.key_hash: k.revoked_at is None for k in keys} == {old: False, new: True}
        assert all(isinstance(k, BotKey) and k.account_id == ci.id for k in keys)
        await accounts.deactivate_account(ci.id)
        assert await accounts.bot_key_account(new) is None
        await accounts.reactivate_account(ci.id)
        assert await accounts.bot_key_account(new) == ci
        assert await accounts.revoke_bot_keys_of(ci.id) == 1
        assert await accounts.bot_key_account(new) is None

    run(store_factory(), scenario)


# --- links ------------------------------------------------------------------------------------


def test_a_one_time_link_is_consumed_once(store_factory: StoreFactory) -> None:
    """A setup or reset link works once, a join link until revoked; expired, revoked, other kind: never."""

    async def scenario(accounts: AccountStore, store: Store) -> None:
        ann = await accounts.create_account("ann", PERSON)
        setup, reset, join = (token_hash(new_token()) for _ in range(3))
        await accounts.create_link(SETUP, setup)
        link = await accounts.create_link(RESET, reset, account_id=ann.id, expires_at=now_ms() + DAY_MS)
        assert (link.kind, link.account_id, link.used_at) == (RESET, ann.id, None)
        await accounts.create_link(JOIN, join)
        assert await accounts.consume_link(setup, RESET) is None
        used = await accounts.consume_link(setup, SETUP)
        assert used is not None and used.used_at is not None
        assert await accounts.consume_link(setup, SETUP) is None
        assert await accounts.consume_link(reset, RESET, now=now_ms() + 2 * DAY_MS) is None
        consumed = await accounts.consume_link(reset, RESET)
        assert consumed is not None and consumed.account_id == ann.id
        for _ in range(3):
            assert await accounts.consume_link(join, JOIN) is not None
        assert await accounts.revoke_link(join)
        assert not await accounts.revoke_link(join)
        assert await accounts.consume_link(join, JOIN) is None
        assert await accounts.consume_link(token_hash(new_token()), JOIN) is None

    run(store_factory(), scenario)


def test_active_links_and_revoking_by_kind(store_factory: StoreFactory) -> None:
    """Active links are the usable ones; links are revoked by kind, or by kind and account."""

    async def scenario(accounts: AccountStore, store: Store) -> None:
        ann = await accounts.create_account("ann", PERSON)
        bob = await accounts.create_account("bob", PERSON)
        join = await accounts.create_link(JOIN, token_hash(new_token()))
        await accounts.create_link(JOIN, token_hash(new_token()), expires_at=now_ms() - 1)
        anns = await accounts.create_link(RESET, token_hash(new_token()), account_id=ann.id)
        bobs = await accounts.create_link(RESET, token_hash(new_token()), account_id=bob.id)
        used = await accounts.create_link(SETUP, token_hash(new_token()))
        await accounts.consume_link(used.token_hash, SETUP)
        await accounts.consume_link(join.token_hash, JOIN)
        active = await accounts.active_links()
        assert {link.token_hash for link in active} == {join.token_hash, anns.token_hash, bobs.token_hash}
        resets = {link.token_hash for link in await accounts.active_links(RESET)}
        assert resets == {anns.token_hash, bobs.token_hash}
        assert await accounts.revoke_links(RESET, account_id=ann.id) == 1
        assert [link.account_id for link in await accounts.active_links(RESET)] == [bob.id]
        assert await accounts.revoke_links(JOIN) == 2
        assert await accounts.active_links(JOIN) == []

    run(store_factory(), scenario)


def test_two_nodes_consuming_one_link_at_once_get_it_once(shared_store_factory: StoreFactory) -> None:
    """Each one-time link, consumed by two nodes at the same moment (several times each), is given once."""

    async def scenario(stores: list[Store]) -> None:
        links = [token_hash(new_token()) for _ in range(20)]
        for link in links:
            await stores[0].accounts.create_link(SETUP, link)
        attempts = [store.accounts.consume_link(link, SETUP) for link in links for store in stores * 2]
        outcomes = await asyncio.gather(*attempts)
        won = [o.token_hash for o in outcomes if o is not None]
        assert sorted(won) == sorted(links)

    run_nodes(shared_store_factory, scenario)


# --- rooms and memberships -----------------------------------------------------------------------


def test_a_room_is_created_with_its_owner_and_members(store_factory: StoreFactory) -> None:
    """A created room has its kind, title, creator and time; its creator is its owner, the others members."""

    async def scenario(accounts: AccountStore, store: Store) -> None:
        ann = await accounts.create_account("ann", PERSON)
        bob = await accounts.create_account("bob", PERSON)
        before = now_ms()
        room = await accounts.create_room(
            "team", CLOSED, title="The Team", creator_id=ann.id, members=[bob.id]
        )
        assert (room.room, room.kind, room.title, room.creator_id, room.archived_at, room.last_id) == (
            "team",
            CLOSED,
            "The Team",
            ann.id,
            None,
            0,
        )
        assert room.created_at is not None and room.created_at >= before
        assert room.display_name == "The Team"
        assert await accounts.room_record("team") == room
        assert [(m.account_id, m.role) for m in await accounts.members_of("team")] == [
            (ann.id, OWNER),
            (bob.id, MEMBER),
        ]
        assert [r.room for r in await accounts.rooms_of(bob.id)] == ["team"]
        # A created room is listed among the rooms, and its messages take ids as usual.
        assert [(r.room, r.last_id) for r in await store.rooms()] == [("team", 0)]
        assert (await store.append("team", "ann", "hello")).message.id == 1
        after = await accounts.room_record("team")
        assert after is not None and (after.kind, after.last_id) == (CLOSED, 1)

    run(store_factory(), scenario)


def test_look_alike_rooms_are_refused(store_factory: StoreFactory) -> None:
    """The same room, a look-alike of a created one, or of one with history: RoomTakenError."""

    async def scenario(accounts: AccountStore, store: Store) -> None:
        await accounts.create_room("lobby", OPEN)
        await store.append("general", "ann", "from before accounts")
        for room, holder in [
            ("lobby", "lobby"),
            ("Iobby", "lobby"),
            ("generaI", "general"),
            ("general", "general"),
        ]:
            with pytest.raises(RoomTakenError) as refused:
                await accounts.create_room(room, OPEN)
            assert refused.value.holder == holder
        # Rooms stay case-sensitive, as in version 1.
        assert (await accounts.create_room("Lobby", OPEN)).room == "Lobby"
        with pytest.raises(BadNameError):
            await accounts.create_room("bad room", OPEN)
        assert [r.room for r in await store.rooms()] == ["Lobby", "general", "lobby"]

    run(store_factory(), scenario)


def test_a_room_of_history_is_open_and_unowned(store_factory: StoreFactory) -> None:
    """A room that came into being by being written to (version 1, guests) is open, with no creator."""

    async def scenario(accounts: AccountStore, store: Store) -> None:
        await store.append("old", "ann", "x")
        assert await accounts.room_record("old") == RoomRecord("old", OPEN, None, None, None, None, 1)
        assert await accounts.room_record("missing") is None

    run(store_factory(), scenario)


def test_direct_rooms_need_two_accounts_that_exist(store_factory: StoreFactory) -> None:
    """A direct room of one account is refused; so is one naming a missing account."""

    async def scenario(accounts: AccountStore, store: Store) -> None:
        ann = await accounts.create_account("ann", PERSON)
        bob = await accounts.create_account("bob", PERSON)
        with pytest.raises(ValueError):
            await accounts.create_room("dm-1", DIRECT, creator_id=ann.id)
        with pytest.raises(ValueError):
            await accounts.create_room("dm-1", DIRECT, creator_id=ann.id, members=[ann.id])
        with pytest.raises(UnknownAccountError):
            await accounts.create_room("dm-1", DIRECT, creator_id=ann.id, members=[999])
        assert await accounts.room_record("dm-1") is None
        assert await accounts.members_of("dm-1") == []
        dm = await accounts.create_room("dm-1", DIRECT, members=[ann.id, bob.id])
        assert dm.kind == DIRECT and dm.creator_id is None
        assert [m.role for m in await accounts.members_of("dm-1")] == [MEMBER, MEMBER]

    run(store_factory(), scenario)


def test_two_nodes_creating_look_alike_rooms_at_once_create_one(shared_store_factory: StoreFactory) -> None:
    """Two nodes creating rooms whose names look alike at the same moment: one room, the other refused."""

    async def scenario(stores: list[Store]) -> None:
        for round_ in range(10):
            outcomes = await asyncio.gather(
                stores[0].accounts.create_room(f"room{round_}l", OPEN),
                stores[1].accounts.create_room(f"room{round_}I", OPEN),
                return_exceptions=True,
            )
            assert sorted(type(o).__name__ for o in outcomes) == ["RoomRecord", "RoomTakenError"], outcomes
        assert len(await stores[0].rooms()) == 10

    run_nodes(shared_store_factory, scenario)


def test_rename_and_archive_change_only_the_settings(store_factory: StoreFactory) -> None:
    """A rename sets or clears the title (the room keeps its name); archiving is kept and undone."""

    async def scenario(accounts: AccountStore, store: Store) -> None:
        await accounts.create_room("ops", OPEN, title="Ops")
        renamed = await accounts.rename_room("ops", "Operations")
        assert renamed is not None and (renamed.room, renamed.title) == ("ops", "Operations")
        cleared = await accounts.rename_room("ops", None)
        assert cleared is not None and cleared.title is None and cleared.display_name == "ops"
        archived = await accounts.archive_room("ops")
        assert archived is not None and archived.archived_at is not None
        again = await accounts.archive_room("ops")
        assert again is not None and again.archived_at == archived.archived_at
        back = await accounts.archive_room("ops", archived=False)
        assert back is not None and back.archived_at is None
        assert await accounts.rename_room("nowhere", "x") is None
        assert await accounts.archive_room("nowhere") is None

    run(store_factory(), scenario)


def test_who_posts_is_said_at_creation_and_changed_by_itself(store_factory: StoreFactory) -> None:
    """A room keeps who posts in it (everyone unless said); changing it changes nothing else, and is
    refused for a direct room, a room that is not there and an unknown rule."""

    async def scenario(accounts: AccountStore, store: Store) -> None:
        ann = await accounts.create_account("ann", PERSON)
        bob = await accounts.create_account("bob", PERSON)
        news = await accounts.create_room("news", CLOSED, title="News", creator_id=ann.id, posting=MANAGERS)
        assert news.posting == MANAGERS and (await accounts.create_room("chat", OPEN)).posting == EVERYONE
        assert await accounts.room_record("news") == news
        assert [(r.room, r.posting) for r in await accounts.rooms_of(ann.id)] == [("news", MANAGERS)]
        assert (await store.way_in("news", address=None, account_id=ann.id, nick=None)).record == news
        opened = await accounts.set_posting("chat", MANAGERS)
        assert opened is not None and opened.posting == MANAGERS
        assert [(r.room, r.posting) for r in await accounts.open_rooms()] == [("chat", MANAGERS)]
        back = await accounts.set_posting("news", EVERYONE)
        assert back == RoomRecord("news", CLOSED, "News", ann.id, news.created_at, None, 0, EVERYONE)
        await accounts.create_room("dm-x", DIRECT, members=[ann.id, bob.id])
        assert await accounts.set_posting("dm-x", MANAGERS) is None
        assert (await accounts.room_record("dm-x")) is not None
        assert (await accounts.room_record("dm-x")).posting == EVERYONE  # type: ignore[union-attr]
        assert await accounts.set_posting("nowhere", MANAGERS) is None
        with pytest.raises(ValueError):
            await accounts.set_posting("news", "teachers")
        with pytest.raises(ValueError):
            await accounts.create_room("dm-y", DIRECT, members=[ann.id, bob.id], posting=MANAGERS)
        with pytest.raises(ValueError):
            await accounts.create_room("other", OPEN, posting="teachers")
        assert await accounts.room_record("dm-y") is None and await accounts.room_record("other") is None

    run(store_factory(), scenario)


def test_memberships_are_added_changed_and_removed(store_factory: StoreFactory) -> None:
    """Adding twice changes the role and keeps the time; removing says whether there was anything."""

    async def scenario(accounts: AccountStore, store: Store) -> None:
        ann = await accounts.create_account("ann", PERSON)
        bob = await accounts.create_account("bob", PERSON)
        for room in ["b-room", "a-room", "Z-room"]:
            await accounts.create_room(room, CLOSED, creator_id=ann.id)
        added = await accounts.add_member("a-room", bob.id)
        assert isinstance(added, Membership) and (added.room, added.account_id, added.role) == (
            "a-room",
            bob.id,
            MEMBER,
        )
        promoted = await accounts.add_member("a-room", bob.id, OWNER)
        assert promoted is not None and (promoted.role, promoted.added_at) == (OWNER, added.added_at)
        assert await accounts.membership("a-room", bob.id) == promoted
        assert await accounts.membership("b-room", bob.id) is None
        assert [r.room for r in await accounts.rooms_of(ann.id)] == ["Z-room", "a-room", "b-room"]
        assert await accounts.add_member("no-room", bob.id) is None
        assert await accounts.add_member("a-room", 999) is None
        with pytest.raises(ValueError):
            await accounts.add_member("a-room", bob.id, "king")
        assert await accounts.remove_member("a-room", bob.id)
        assert not await accounts.remove_member("a-room", bob.id)
        assert [m.account_id for m in await accounts.members_of("a-room")] == [ann.id]
        assert await accounts.rooms_of(bob.id) == []

    run(store_factory(), scenario)


# --- shared secrets --------------------------------------------------------------------------------


def test_a_secret_is_made_once(store_factory: StoreFactory) -> None:
    """The first call stores what generate makes; later calls get it back without generating."""

    async def scenario(accounts: AccountStore, store: Store) -> None:
        made: list[str] = []

        def generate() -> str:
            made.append(new_token())
            return made[-1]

        first = await accounts.get_or_create_secret("cookie", generate)
        assert await accounts.get_or_create_secret("cookie", generate) == first == made[0]
        assert len(made) == 1
        assert await accounts.get_or_create_secret("other", generate) != first

    run(store_factory(), scenario)


def test_two_nodes_making_a_secret_at_once_share_one(shared_store_factory: StoreFactory) -> None:
    """Nodes asking for a new secret at the same moment all get the value the first stored."""

    async def scenario(stores: list[Store]) -> None:
        for round_ in range(10):
            values = await asyncio.gather(
                *[store.accounts.get_or_create_secret(f"s{round_}", new_token) for store in stores * 3]
            )
            assert len(set(values)) == 1

    run_nodes(shared_store_factory, scenario)


# --- import -------------------------------------------------------------------------------------------


def test_imported_accounts_keep_their_ids_and_new_ones_follow(store_factory: StoreFactory) -> None:
    """Imported accounts, keys, rooms and memberships read back as they were; new ids follow."""
    ann = Account(7, "ann", "ann", PERSON, True, False, "$argon2id$h", AVATAR_COLORS[0], 1000, None)
    ci = Account(12, "ci", "ci", BOT, False, False, None, AVATAR_COLORS[1], 2000, 3000)
    key = BotKey(b"k" * 32, 12, 2500, None)
    team = RoomRecord("team", CLOSED, "Team", 7, 1500, None, 0, MANAGERS)
    members = [Membership("team", 7, OWNER, 1500), Membership("team", 12, MEMBER, 1600)]

    async def scenario(accounts: AccountStore, store: Store) -> None:
        await accounts.import_accounts([ann, ci], [key])
        await accounts.import_rooms([team], members)
        assert await accounts.list_accounts() == [ann, ci]
        assert await accounts.bot_keys_of(12) == [key]
        assert await accounts.room_record("team") == team
        assert await accounts.members_of("team") == members
        assert (await accounts.create_account("bob", PERSON)).id == 13
        with pytest.raises(StoreError):
            await accounts.import_accounts([ann], [])
        with pytest.raises(NameTakenError):
            await accounts.create_account("ANN", PERSON)

    run(store_factory(), scenario)


def test_an_unknown_room_kind_is_refused(store_factory: StoreFactory) -> None:
    """A room kind other than open, closed and direct is refused before the database."""

    async def scenario(accounts: AccountStore, store: Store) -> None:
        with pytest.raises(ValueError):
            await accounts.create_room("x", "secret")
        assert await store.rooms() == []

    run(store_factory(), scenario)


def test_a_closed_store_refuses(store_factory: StoreFactory) -> None:
    """After close, account calls fail with StoreError rather than hang."""

    async def main() -> None:
        store = store_factory()
        await store.start()
        await store.close()
        with pytest.raises(StoreError):
            await store.accounts.create_account("late", PERSON)
        with pytest.raises(StoreError):
            await store.accounts.count_accounts()

    asyncio.run(main())


# --- a database written at schema version 2 ------------------------------------------------------------

VERSION_2_DATA = [
    "INSERT INTO meta (key, value) VALUES ('epoch', 'version-2-epoch')",
    "INSERT INTO rooms (room, last_id, key) VALUES ('lobby', 2, 'lobby')",
    "INSERT INTO messages (room, id, nick, message, ts, bot) VALUES ('lobby', 1, 'ann', 'first', 1000, ?),"
    " ('lobby', 2, 'ci', 'second', 2000, ?)",
    "INSERT INTO sent (digest, room, id, ts) VALUES (?, 'lobby', 2, 2000)",
]


async def check_version_2_kept(store: Store) -> None:
    """What a version 2 database held is all there, and accounts and rooms work beside it."""
    assert await store.epoch() == "version-2-epoch"
    assert [(m.id, m.nick, m.text, m.bot) for m in await store.history("lobby")] == [
        (1, "ann", "first", False),
        (2, "ci", "second", True),
    ]
    assert await store.accounts.room_record("lobby") == RoomRecord("lobby", OPEN, None, None, None, None, 2)
    resent = await store.append("lobby", "ann", "third")
    assert resent.message.id == 3
    ann = await store.accounts.create_account("ann", PERSON)
    await store.accounts.add_member("lobby", ann.id, OWNER)
    assert [r.room for r in await store.accounts.rooms_of(ann.id)] == ["lobby"]
    with pytest.raises(RoomTakenError):
        await store.accounts.create_room("Iobby", OPEN)


def test_a_version_2_sqlite_file_migrates_and_keeps_everything(tmp_path: Path) -> None:
    """A SQLite file made by schema steps 1 and 2 opens at the latest version with its history whole."""
    path = tmp_path / "v2.db"
    with contextlib.closing(sqlite3.connect(path)) as conn, conn:
        write_schema_steps(conn.execute, "sqlite", 2)
        for statement in VERSION_2_DATA:
            conn.execute(statement, [b"d" * 32] if "sent" in statement else [0, 1][: statement.count("?")])

    run(SQLiteStore(str(path)), lambda accounts, store: check_version_2_kept(store))
    with contextlib.closing(sqlite3.connect(path)) as conn:
        assert conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone() == (
            str(migrations.LATEST),
        )


def test_a_version_2_postgres_schema_migrates_and_keeps_everything(postgres_server: PostgresServer) -> None:
    """A PostgreSQL schema made by schema steps 1 and 2 opens at the latest version with its history whole."""
    url = postgres_server.new_schema()
    schema = url.rsplit("%3D", 1)[1]
    with postgres_server.connect() as conn:
        conn.execute(f"SET search_path TO {schema}")
        write_schema_steps(conn.execute, "postgres", 2)
        for statement in VERSION_2_DATA:
            params = [b"d" * 32] if "sent" in statement else [False, True][: statement.count("?")]
            conn.execute(statement.replace("?", "%s"), params)

    run(PostgresStore(url), lambda accounts, store: check_version_2_kept(store))
    with postgres_server.connect() as conn:
        row = conn.execute(f"SELECT value FROM {schema}.meta WHERE key = 'schema_version'").fetchone()
        assert row == (str(migrations.LATEST),)


VERSION_21_ROOMS = [
    "INSERT INTO rooms (room, last_id, key, kind, archived_at) VALUES ('lobby', 0, 'lobby', 'open', NULL)",
    "INSERT INTO rooms (room, last_id, key, kind, archived_at) VALUES ('old', 0, 'old', 'closed', 5)",
]


async def check_everyone_posts_after_step_22(accounts: AccountStore, store: Store) -> None:
    """Rooms from before step 22 take everyone's messages, as they did; the rule can then be changed."""
    assert [(r.room, r.posting) for r in await accounts.open_rooms()] == [("lobby", EVERYONE)]
    assert await accounts.room_record("old") == RoomRecord("old", CLOSED, archived_at=5)
    changed = await accounts.set_posting("old", MANAGERS)
    assert changed is not None and changed.posting == MANAGERS and changed.archived_at == 5


def test_a_version_21_sqlite_file_gains_who_posts_in_its_rooms(tmp_path: Path) -> None:
    """Step 22 on SQLite: every room of a version 21 file is one where everyone posts."""
    path = tmp_path / "v21.db"
    sqlite_file_at(path, 21, VERSION_21_ROOMS)
    run(SQLiteStore(str(path)), check_everyone_posts_after_step_22)
    with contextlib.closing(sqlite3.connect(path)) as conn, pytest.raises(sqlite3.IntegrityError):
        conn.execute("UPDATE rooms SET posting = 'teachers' WHERE room = 'lobby'")


def test_a_version_21_postgres_schema_gains_who_posts_in_its_rooms(postgres_server: PostgresServer) -> None:
    """Step 22 on PostgreSQL: every room of a version 21 schema is one where everyone posts."""
    url, schema = postgres_schema_at(postgres_server, 21, VERSION_21_ROOMS)
    run(PostgresStore(url), check_everyone_posts_after_step_22)
    with postgres_server.connect() as conn, pytest.raises(psycopg.errors.CheckViolation):
        conn.execute(f"UPDATE {schema}.rooms SET posting = 'teachers' WHERE room = 'lobby'")


def test_rooms_of_a_kind_come_in_pages_by_name(store_factory: StoreFactory) -> None:
    """Open and closed rooms are listed apart, by code point, after a cursor and with a prefix."""

    async def scenario(accounts: AccountStore, store: Store) -> None:
        ann = await accounts.create_account("ann", PERSON)
        for name in ("dev-b", "dev-a", "ops", "Dev-c"):
            await accounts.create_room(name, OPEN)
        for name in ("dev-secret", "board"):
            await accounts.create_room(name, CLOSED, members=[ann.id])
        await accounts.create_room(
            "dm-1", DIRECT, members=[ann.id, (await accounts.create_account("bo", PERSON)).id]
        )
        await accounts.archive_room("ops")

        def names(rooms: list[RoomRecord]) -> list[str]:
            return [room.room for room in rooms]

        assert names(await accounts.open_rooms()) == ["Dev-c", "dev-a", "dev-b", "ops"]
        assert names(await accounts.open_rooms(prefix="dev")) == ["dev-a", "dev-b"]
        assert names(await accounts.open_rooms(after="dev-a", limit=2)) == ["dev-b", "ops"]
        assert names(await accounts.rooms_of_kind(CLOSED)) == ["board", "dev-secret"]
        assert names(await accounts.rooms_of_kind(DIRECT)) == ["dm-1"]
        assert (await accounts.open_rooms(prefix="ops"))[0].archived_at is not None

    run(store_factory(), scenario)
