"""Bars from rooms in the store, on SQLite and PostgreSQL: barred, listed, taken out, kept out, lifted."""

from __future__ import annotations

from chatroom.store.base import Store
from chatroom.store.reading_base import ReadMark
from chatroom.store.records import CLOSED, MEMBER, OPEN, OWNER, PERSON

from .stores import StoreFactory, run


def test_a_bar_takes_the_account_out_is_listed_and_is_lifted(store_factory: StoreFactory) -> None:
    """Barred, bob is no member and follows nothing; barring again keeps the first bar; lifted, he is free."""

    async def scenario(store: Store) -> None:
        accounts = store.accounts
        ann = await accounts.create_account("ann", PERSON)
        bob = await accounts.create_account("bob", PERSON)
        await accounts.create_room("square", OPEN, creator_id=ann.id, members=[bob.id])
        await accounts.create_room("yard", CLOSED, creator_id=ann.id)
        await accounts.mark_read([ReadMark(bob.id, "square", 0)])
        bar = await accounts.bar_account("square", bob.id, ann.id)
        assert bar is not None and (bar.room, bar.account_id, bar.by_id) == ("square", bob.id, ann.id)
        assert await accounts.membership("square", bob.id) is None
        assert await accounts.read_position(bob.id, "square") is None
        assert [f.account_id for f in await accounts.followers("square")] == [ann.id]
        assert await accounts.bar_account("square", bob.id, None) == bar
        assert await accounts.room_bar("square", bob.id) == bar
        assert await accounts.bars_of("square") == [bar]
        assert await accounts.room_bar("yard", bob.id) is None
        await accounts.bar_account("yard", bob.id, ann.id)
        assert await accounts.barred_rooms(bob.id) == ["square", "yard"]
        assert await accounts.barred_rooms(ann.id) == []
        assert await accounts.lift_bar("square", bob.id)
        assert not await accounts.lift_bar("square", bob.id)
        assert await accounts.room_bar("square", bob.id) is None
        assert await accounts.bars_of("square") == []
        assert await accounts.barred_rooms(bob.id) == ["yard"]

    run(store_factory(), scenario)


def test_no_bar_without_the_room_or_the_account(store_factory: StoreFactory) -> None:
    """A room or an account that does not exist is barred from nothing: None, and nothing stored."""

    async def scenario(store: Store) -> None:
        accounts = store.accounts
        ann = await accounts.create_account("ann", PERSON)
        await accounts.create_room("square", OPEN, creator_id=ann.id)
        assert await accounts.bar_account("nowhere", ann.id, None) is None
        assert await accounts.bar_account("square", 9999, ann.id) is None
        assert await accounts.bars_of("square") == []
        assert await accounts.membership("square", ann.id) is not None

    run(store_factory(), scenario)


def test_a_room_everyone_is_in_leaves_out_who_is_barred(store_factory: StoreFactory) -> None:
    """Made a room everyone is in, every person is a member but the barred one; lifted, the bar lets
    him in again only when he is added (or the room is made everyone's again)."""

    async def scenario(store: Store) -> None:
        accounts = store.accounts
        ann = await accounts.create_account("ann", PERSON)
        bob = await accounts.create_account("bob", PERSON)
        cat = await accounts.create_account("cat", PERSON)
        await accounts.create_room("hall", OPEN, creator_id=ann.id)
        await accounts.bar_account("hall", bob.id, ann.id)
        await accounts.set_everyone_in("hall", True)
        members = {m.account_id: m.role for m in await accounts.members_of("hall")}
        assert members == {ann.id: OWNER, cat.id: MEMBER}
        await accounts.lift_bar("hall", bob.id)
        await accounts.set_everyone_in("hall", False)
        await accounts.set_everyone_in("hall", True)
        assert bob.id in {m.account_id for m in await accounts.members_of("hall")}

    run(store_factory(), scenario)
