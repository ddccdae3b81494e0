"""Groups in the store, on SQLite and PostgreSQL: one namespace with accounts, members added once, and
a deletion taking its members with it."""

from __future__ import annotations

import asyncio

import pytest

from chatroom.backend import StoredMessage
from chatroom.push_rules import MENTION, recipients
from chatroom.store.accounts_base import NameTakenError
from chatroom.store.base import Store
from chatroom.store.groups_base import GroupNameTakenError
from chatroom.store.records import BOT, CLOSED, PERSON

from .stores import StoreFactory, run, run_nodes


def test_groups_and_accounts_share_one_namespace(store_factory: StoreFactory) -> None:
    """No group takes an account's name or a look-alike, nor another group's; no account, new or renamed,
    takes a group's; a group renamed to its own name in other letters' case is still itself."""

    async def scenario(store: Store) -> None:
        accounts = store.accounts
        ann = await accounts.create_account("ann", PERSON)
        await accounts.create_account("helper", BOT)
        design = await accounts.create_group("designers", "who draws", ann.id, 1000)
        for taken, holder in (("ANN", "ann"), ("helper", "helper"), ("Designers", "designers")):
            with pytest.raises(GroupNameTakenError) as refused:
                await accounts.create_group(taken, "", ann.id, 1001)
            assert refused.value.holder == holder
        with pytest.raises(NameTakenError):
            await accounts.create_account("DESIGNERS", PERSON)
        with pytest.raises(NameTakenError):
            await accounts.rename_account(ann.id, "designers")
        ops = await accounts.create_group("ops", "", ann.id, 1002)
        with pytest.raises(GroupNameTakenError):
            await accounts.rename_group(ops.id, "designers")
        with pytest.raises(GroupNameTakenError):
            await accounts.rename_group(ops.id, "ann")
        assert await accounts.rename_group(design.id, "Designers")
        assert not await accounts.rename_group(9999, "nobody-here")
        assert [g.name for g in await accounts.groups()] == ["Designers", "ops"]
        found = await accounts.group_named("DESIGNERS")
        assert found is not None and (found.name, found.creator, found.description) == (
            "Designers",
            "ann",
            "who draws",
        )

    run(store_factory(), scenario)


def test_members_are_people_added_once_and_go_with_their_group(store_factory: StoreFactory) -> None:
    """A person is added once and removed once, a bot never; a deleted group leaves no member behind; a
    reader's groups are listed by name."""

    async def scenario(store: Store) -> None:
        accounts = store.accounts
        ann = await accounts.create_account("ann", PERSON)
        bob = await accounts.create_account("bob", PERSON)
        bot = await accounts.create_account("helper", BOT)
        design = await accounts.create_group("designers", "", ann.id, 1000)
        ops = await accounts.create_group("ops", "", bob.id, 1000)
        assert await accounts.add_group_member(design.id, bob.id, 2000)
        assert not await accounts.add_group_member(design.id, bob.id, 2001)
        assert not await accounts.add_group_member(design.id, bot.id, 2001)
        assert await accounts.add_group_member(design.id, ann.id, 2002)
        assert await accounts.add_group_member(ops.id, bob.id, 2003)
        found = await accounts.group_named("designers")
        assert found is not None and found.members == ("ann", "bob")
        assert await accounts.groups_of(bob.id) == ["designers", "ops"]
        assert await accounts.remove_group_member(design.id, bob.id)
        assert not await accounts.remove_group_member(design.id, bob.id)
        assert await accounts.describe_group(ops.id, "on call")
        assert await accounts.delete_group(ops.id) and not await accounts.delete_group(ops.id)
        assert await accounts.groups_of(bob.id) == []
        assert [(g.name, g.members) for g in await accounts.groups()] == [("designers", ("ann",))]
        exported = await accounts.export_groups()
        assert [(g.name, g.creator_id, g.members) for g in exported] == [
            ("designers", ann.id, ((ann.id, 2002),))
        ]

    run(store_factory(), scenario)


def test_a_group_mention_counts_and_pushes_for_its_members_who_may_read_the_room(
    store_factory: StoreFactory,
) -> None:
    """ann's "@designers" in a closed room of ann and bob: bob (a member of the group) counts a mention
    and is pushed, also where the room is muted to him (as a mention by name); cid, in the group but not
    in the room, is neither; ann, the sender and a member, neither; "x@designers.com" mentions nobody; once
    bob blocked ann, her group mentions neither count nor push for him."""

    async def scenario(store: Store) -> None:
        accounts = store.accounts
        ann, bob = await accounts.create_account("ann", PERSON), await accounts.create_account("bob", PERSON)
        cid = await accounts.create_account("cid", PERSON)
        group = await accounts.create_group("designers", "", ann.id, 1)
        for member in (ann, bob, cid):
            await accounts.add_group_member(group.id, member.id, 2)
        room = await accounts.create_room("studio", CLOSED, creator_id=ann.id, members=[bob.id])
        await store.append("studio", "ann", "@designers please look", account_id=ann.id)
        await store.append("studio", "ann", "mail x@designers.com", account_id=ann.id)
        assert (await accounts.unread_in("studio", 0, "bob", reader_id=bob.id)).mentions == 1
        assert (
            await accounts.unread_in("studio", 0, "bob", reader_id=bob.id, whole_room=False)
        ).mentions == 1
        assert (await accounts.unread_in("studio", 0, "ann", reader_id=ann.id)).unread == 0
        chosen = await recipients(accounts, StoredMessage(1, "studio", "ann", "@Designers look", 0), room)
        assert [(r.account.name, r.reason) for r in chosen] == [("bob", MENTION)]
        nobody = await recipients(accounts, StoredMessage(2, "studio", "ann", "x@designers.com", 0), room)
        assert nobody == []
        await accounts.block(bob.id, ann.id)
        assert (await accounts.unread_in("studio", 0, "bob", reader_id=bob.id)).mentions == 0
        assert await recipients(accounts, StoredMessage(3, "studio", "ann", "@designers", 0), room) == []

    run(store_factory(), scenario)


def test_an_account_and_a_group_named_alike_at_once_on_two_nodes_are_one(
    shared_store_factory: StoreFactory,
) -> None:
    """One node creates the account "dana", the other the group "DANA" at the same moment, or renames to
    it: one of the two is refused, every time."""

    async def scenario(stores: list[Store]) -> None:
        left, right = stores[0].accounts, stores[1].accounts
        ann = await left.create_account("ann", PERSON)
        spare = await right.create_group("spare", "", ann.id, 1)
        for round_ in range(8):
            group = right.create_group(f"DANA{round_}", "", ann.id, 2)
            outcomes = await asyncio.gather(
                left.create_account(f"dana{round_}", PERSON), group, return_exceptions=True
            )
            assert sorted(type(o).__name__ for o in outcomes) in (
                ["Account", "GroupNameTakenError"],
                ["Group", "NameTakenError"],
            ), outcomes
            renamed = await asyncio.gather(
                left.rename_account(ann.id, f"eve{round_}"),
                right.rename_group(spare.id, f"EVE{round_}"),
                return_exceptions=True,
            )
            assert sum(isinstance(o, Exception) for o in renamed) == 1, renamed

    run_nodes(shared_store_factory, scenario)
