"""Store.way_in, held against every store: each of its answers is what that question's own read answers."""

from __future__ import annotations

from chatroom.clock import now_ms
from chatroom.names import room_key
from chatroom.store.base import Store
from chatroom.store.records import CLOSED, PERSON
from chatroom.store.way_in import WayIn

from .stores import StoreFactory, run

ADDRESS = "203.0.113.9"
MINUTE = 60_000


async def one_by_one(
    store: Store, room: str, address: str | None, account_id: int | None, nick: str | None
) -> WayIn:
    """The same questions asked by their own reads (what a join asked before way_in)."""
    accounts = store.accounts
    record = await accounts.room_record(room)
    membership = None if account_id is None else await accounts.membership(room, account_id)
    return WayIn(
        barred_until=await accounts.guest_barred_until(address) if address else None,
        record=record,
        membership=membership,
        holder=await store.room_holding(room_key(room)),
        account_named=nick is not None and await accounts.name_is_held(nick),
    )


def test_a_new_room_and_a_free_nick_ask_nothing_back(store_factory: StoreFactory) -> None:
    """A guest from an unbarred address, into a room nobody made, with a nick no account holds."""

    async def scenario(store: Store) -> None:
        found = await store.way_in("lobby", address=ADDRESS, nick="guest-0042")
        assert found == WayIn(None, None, None, None, False)
        assert found == await one_by_one(store, "lobby", ADDRESS, None, "guest-0042")

    run(store_factory(), scenario)


def test_a_guests_answers_agree_with_their_own_reads(store_factory: StoreFactory) -> None:
    """A barred address, a room with history, a look-alike's holder, an account's name (any case)."""

    async def scenario(store: Store) -> None:
        until = now_ms() + 10 * MINUTE
        await store.accounts.bar_guest(ADDRESS, until)
        await store.accounts.create_account("alice", PERSON)
        await store.append("lobby", "bob", "hello")
        found = await store.way_in("lobby", address=ADDRESS, nick="ALICE")
        assert found == await one_by_one(store, "lobby", ADDRESS, None, "ALICE")
        assert found.barred_until == until and found.account_named and found.holder == "lobby"
        assert found.record is not None and found.record.last_id == 1 and found.membership is None
        look_alike = await store.way_in("Iobby", address="198.51.100.7", nick="bob")
        assert look_alike == WayIn(None, None, None, "lobby", False)
        assert look_alike == await one_by_one(store, "Iobby", "198.51.100.7", None, "bob")

    run(store_factory(), scenario)


def test_a_name_an_account_was_renamed_from_is_still_an_accounts(store_factory: StoreFactory) -> None:
    """A guest may not take the name an account had: its old messages bear it."""

    async def scenario(store: Store) -> None:
        alice = await store.accounts.create_account("alice", PERSON)
        await store.accounts.rename_account(alice.id, "alicia")
        for nick in ("alice", "ALICE", "alicia"):
            found = await store.way_in("lobby", nick=nick)
            assert found.account_named and found == await one_by_one(store, "lobby", None, None, nick)
        assert not (await store.way_in("lobby", nick="bob")).account_named

    run(store_factory(), scenario)


def test_an_accounts_membership_and_its_rooms_record(store_factory: StoreFactory) -> None:
    """An account's membership of a closed room, and none of a room it is not in; no guest questions."""

    async def scenario(store: Store) -> None:
        await store.accounts.bar_guest(ADDRESS, now_ms() + MINUTE)
        ann = await store.accounts.create_account("ann", PERSON)
        cid = await store.accounts.create_account("cid", PERSON)
        await store.accounts.create_room("vault", CLOSED, title="Vault", creator_id=ann.id)
        member = await store.way_in("vault", account_id=ann.id)
        assert member == await one_by_one(store, "vault", None, ann.id, None)
        assert member.membership is not None and member.membership.role == "owner"
        assert member.record is not None and member.record.kind == CLOSED and member.holder == "vault"
        outsider = await store.way_in("vault", account_id=cid.id)
        assert outsider.membership is None and outsider.record == member.record
        assert outsider.barred_until is None and not outsider.account_named

    run(store_factory(), scenario)


def test_lapsed_bars_and_names_no_account_could_hold(store_factory: StoreFactory) -> None:
    """A bar that ended bars nothing; a nick that is no valid name, and an empty address, find nothing."""

    async def scenario(store: Store) -> None:
        await store.accounts.bar_guest(ADDRESS, now_ms() - 1)
        found = await store.way_in("lobby", address=ADDRESS, nick="\u202e")
        assert found == WayIn(None, None, None, None, False)
        assert await store.way_in("lobby", address="", nick="") == found

    run(store_factory(), scenario)


def test_a_bar_from_the_room_is_read_with_the_rest(store_factory: StoreFactory) -> None:
    """An account barred from the room is told so by way_in; another account, and another room, are not."""

    async def scenario(store: Store) -> None:
        accounts = store.accounts
        ann = await accounts.create_account("ann", PERSON)
        bob = await accounts.create_account("bob", PERSON)
        await accounts.create_room("plans", CLOSED, creator_id=ann.id, members=[bob.id])
        await accounts.create_room("other", CLOSED, creator_id=ann.id, members=[bob.id])
        await accounts.bar_account("plans", bob.id, ann.id)
        barred = await store.way_in("plans", account_id=bob.id, nick="bob")
        assert barred.barred and barred.membership is None and barred.record is not None
        assert not (await store.way_in("plans", account_id=ann.id, nick="ann")).barred
        assert not (await store.way_in("other", account_id=bob.id, nick="bob")).barred

    run(store_factory(), scenario)
