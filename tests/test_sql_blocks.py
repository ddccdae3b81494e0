"""Blocks in the store, on SQLite and PostgreSQL: whom each person blocked, who blocked them, and what
no longer counts as unread for the blocker."""

from __future__ import annotations

from chatroom.store.base import Store
from chatroom.store.reading_base import Unread
from chatroom.store.records import OPEN, PERSON, Block

from .stores import StoreFactory, run, run_on_two_nodes


def test_a_block_is_listed_once_and_lifted(store_factory: StoreFactory) -> None:
    """Blocking twice keeps the first time; unblocking forgets it, and unblocking again finds nothing."""

    async def scenario(store: Store) -> None:
        accounts = store.accounts
        ann = await accounts.create_account("ann", PERSON)
        bob = await accounts.create_account("bob", PERSON)
        cid = await accounts.create_account("cid", PERSON)
        assert await accounts.blocks_of(ann.id) == []
        assert await accounts.block(ann.id, bob.id, created_at=1000)
        assert not await accounts.block(ann.id, bob.id, created_at=2000)
        assert await accounts.block(ann.id, cid.id, created_at=1500)
        assert await accounts.blocks_of(ann.id) == [Block(ann.id, bob.id, 1000), Block(ann.id, cid.id, 1500)]
        assert await accounts.unblock(ann.id, bob.id)
        assert not await accounts.unblock(ann.id, bob.id)
        assert await accounts.blocks_of(ann.id) == [Block(ann.id, cid.id, 1500)]

    run(store_factory(), scenario)


def test_a_block_is_one_way_and_each_persons_own(store_factory: StoreFactory) -> None:
    """Ann blocking bob blocks nobody for bob, and cid's list stays empty; bob learns who blocked him."""

    async def scenario(store: Store) -> None:
        accounts = store.accounts
        ann = await accounts.create_account("ann", PERSON)
        bob = await accounts.create_account("bob", PERSON)
        cid = await accounts.create_account("cid", PERSON)
        await accounts.block(ann.id, bob.id)
        await accounts.block(cid.id, bob.id)
        assert await accounts.blocks_of(bob.id) == []
        assert await accounts.blockers_of(bob.id) == {ann.id, cid.id}
        assert await accounts.blockers_of(ann.id) == set()

    run(store_factory(), scenario)


def test_a_block_made_on_one_node_is_read_on_the_other(shared_store_factory: StoreFactory) -> None:
    """Two stores on one database: the block and its lifting are seen by the other at once."""

    async def scenario(first: Store, second: Store) -> None:
        ann = await first.accounts.create_account("ann", PERSON)
        bob = await first.accounts.create_account("bob", PERSON)
        await first.accounts.block(ann.id, bob.id)
        assert await second.accounts.blockers_of(bob.id) == {ann.id}
        await second.accounts.unblock(ann.id, bob.id)
        assert await first.accounts.blocks_of(ann.id) == []

    run_on_two_nodes(shared_store_factory, scenario)


def test_what_a_blocked_person_writes_counts_for_nobody_who_blocked_them(store_factory: StoreFactory) -> None:
    """Bob's messages (a mention too) are not unread for ann, who blocked him, but are for cid; unblocked,
    they count for ann again."""

    async def scenario(store: Store) -> None:
        accounts = store.accounts
        ann = await accounts.create_account("ann", PERSON)
        bob = await accounts.create_account("bob", PERSON)
        cid = await accounts.create_account("cid", PERSON)
        await accounts.create_room("lobby", OPEN, creator_id=ann.id)
        await store.append("lobby", "bob", "@ann look")
        await store.append("lobby", "cid", "hello @ann")
        await accounts.block(ann.id, bob.id)
        assert await accounts.unread_in("lobby", 0, "ann", reader_id=ann.id) == Unread(1, 1)
        assert await accounts.unread_in("lobby", 0, "cid", reader_id=cid.id) == Unread(1, 0)
        await accounts.unblock(ann.id, bob.id)
        assert await accounts.unread_in("lobby", 0, "ann", reader_id=ann.id) == Unread(2, 2)

    run(store_factory(), scenario)


def test_a_blocked_persons_mention_of_the_whole_room_counts_for_nobody_who_blocked_them(
    store_factory: StoreFactory,
) -> None:
    """Bob's "@room" is no mention (nor unread) for ann, who blocked him, as his "@ann" is not; cid's is."""

    async def scenario(store: Store) -> None:
        accounts = store.accounts
        ann = await accounts.create_account("ann", PERSON)
        bob = await accounts.create_account("bob", PERSON)
        await accounts.create_account("cid", PERSON)
        await accounts.create_room("lobby", OPEN, creator_id=ann.id)
        await store.append("lobby", "bob", "@room look", account_id=bob.id)
        await store.append("lobby", "cid", "@everyone hello")
        await accounts.block(ann.id, bob.id)
        assert await accounts.unread_in("lobby", 0, "ann", reader_id=ann.id) == Unread(1, 1)

    run(store_factory(), scenario)


def test_what_a_blocked_person_wrote_under_an_earlier_name_counts_for_nobody_who_blocked_them(
    store_factory: StoreFactory,
) -> None:
    """Bob wrote as "bob", then became "robert": once ann blocks him, neither name's messages count for
    her; a guest's message, of no account, still does."""

    async def scenario(store: Store) -> None:
        accounts = store.accounts
        ann = await accounts.create_account("ann", PERSON)
        bob = await accounts.create_account("bob", PERSON)
        await accounts.create_room("lobby", OPEN, creator_id=ann.id)
        await store.append("lobby", "bob", "@ann before", account_id=bob.id)
        await accounts.rename_account(bob.id, "robert")
        await store.append("lobby", "robert", "@ann after", account_id=bob.id)
        await store.append("lobby", "visitor", "@ann hi", guest=True)
        assert await accounts.unread_in("lobby", 0, "ann", reader_id=ann.id) == Unread(3, 3)
        await accounts.block(ann.id, bob.id)
        assert await accounts.unread_in("lobby", 0, "ann", reader_id=ann.id) == Unread(1, 1)

    run(store_factory(), scenario)
