"""Reminders in the store, on SQLite and PostgreSQL: each person's own list, soonest first, capped,
claimed once when due, marked due or dropped only as read, snoozed to wait again, carried by an import."""

from __future__ import annotations

import asyncio

import pytest

from chatroom.store.base import Store
from chatroom.store.records import OPEN, PERSON, Reminder

from .stores import StoreFactory, added_through_both, run, run_on_two_nodes


def draft(account_id: int, message_id: int, at: int, *, due: bool = False) -> Reminder:
    """A reminder of a lobby message (the store gives its id)."""
    return Reminder(0, account_id, "lobby", message_id, at, 1, due=due)


async def ann_in_lobby(store: Store) -> int:
    ann = await store.accounts.create_account("ann", PERSON)
    await store.accounts.create_room("lobby", OPEN, creator_id=ann.id)
    return ann.id


def test_the_list_is_soonest_first_and_a_snooze_waits_again(store_factory: StoreFactory) -> None:
    """Two list soonest first; a due one snoozed waits again under a new version; a deletion forgets it."""

    async def scenario(store: Store) -> None:
        accounts, ann = store.accounts, await ann_in_lobby(store)
        later = await accounts.set_reminder(draft(ann, 3, 9000), limit=10)
        sooner = await accounts.set_reminder(draft(ann, 4, 5000), limit=10)
        assert later is not None and sooner is not None
        fields = (later.room, later.message_id, later.at, later.version, later.due)
        assert fields == ("lobby", 3, 9000, 1, False)
        assert await accounts.reminders(ann) == [sooner, later]
        assert await accounts.mark_reminder_due(sooner.id, sooner.version)
        shown = await accounts.reminder(ann, sooner.id)
        assert shown is not None and shown.due
        snoozed = await accounts.snooze_reminder(ann, sooner.id, 20_000)
        assert snoozed is not None and (snoozed.at, snoozed.version, snoozed.due) == (20_000, 2, False)
        assert [r.id for r in await accounts.reminders(ann)] == [later.id, sooner.id]
        assert await accounts.delete_reminder(ann, later.id)
        assert not await accounts.delete_reminder(ann, later.id)
        assert await accounts.reminder(ann, later.id) is None

    run(store_factory(), scenario)


def test_a_list_is_its_persons_own_and_capped(store_factory: StoreFactory) -> None:
    """Bob sees, snoozes and deletes none of ann's; past her limit a new one is refused (None)."""

    async def scenario(store: Store) -> None:
        accounts, ann = store.accounts, await ann_in_lobby(store)
        bob = (await accounts.create_account("bob", PERSON)).id
        first = await accounts.set_reminder(draft(ann, 1, 5000), limit=2)
        assert first is not None
        assert await accounts.set_reminder(draft(ann, 2, 5000), limit=2) is not None
        assert await accounts.set_reminder(draft(ann, 3, 5000), limit=2) is None
        assert await accounts.set_reminder(draft(bob, 1, 5000), limit=2) is not None
        assert await accounts.reminder(bob, first.id) is None
        assert await accounts.snooze_reminder(bob, first.id, 9000) is None
        assert not await accounts.delete_reminder(bob, first.id)
        assert [r.message_id for r in await accounts.reminders(ann)] == [1, 2]

    run(store_factory(), scenario)


def test_due_rows_are_claimed_once_and_marked_or_dropped_as_read(store_factory: StoreFactory) -> None:
    """Only waiting due rows are claimed, not again until the claim lapses; a snooze meanwhile makes the
    claimed version mark nothing; one marked due is never claimed; one dropped is gone."""

    async def scenario(store: Store) -> None:
        accounts, ann = store.accounts, await ann_in_lobby(store)
        due = await accounts.set_reminder(draft(ann, 1, 1000), limit=10)
        gone = await accounts.set_reminder(draft(ann, 2, 1000), limit=10)
        await accounts.set_reminder(draft(ann, 3, 9000), limit=10)
        assert due is not None and gone is not None
        assert [r.message_id for r in await accounts.claim_due_reminders(2000, 2500, 10)] == [1, 2]
        assert await accounts.claim_due_reminders(2100, 2600, 10) == []
        assert await accounts.drop_reminder(gone.id, gone.version)
        assert not await accounts.drop_reminder(gone.id, gone.version)
        (again,) = await accounts.claim_due_reminders(2500, 3000, 10)
        assert again == due
        await accounts.snooze_reminder(ann, due.id, 1500)
        assert not await accounts.mark_reminder_due(due.id, due.version)
        (snoozed,) = await accounts.claim_due_reminders(2000, 4000, 10)
        assert await accounts.mark_reminder_due(snoozed.id, snoozed.version)
        assert await accounts.claim_due_reminders(9000, 10_000, 10) == [
            r for r in await accounts.reminders(ann) if r.message_id == 3
        ]

    run(store_factory(), scenario)


def test_two_nodes_claim_each_reminder_once(shared_store_factory: StoreFactory) -> None:
    """Two stores on one database claim at the same moment, again and again: each row goes to one claimer
    once, and of both marking it due, one does."""

    async def scenario(left: Store, right: Store) -> None:
        ann = await ann_in_lobby(left)
        for n in range(20):
            await left.accounts.set_reminder(draft(ann, n + 1, 1000), limit=100)
        claimed: list[int] = []
        for _ in range(10):
            claims = await asyncio.gather(
                *(s.accounts.claim_due_reminders(2000, 9000, 7) for s in (left, right) * 2)
            )
            claimed += [row.message_id for rows in claims for row in rows]
        assert sorted(claimed) == list(range(1, 21))
        rows = await left.accounts.reminders(ann)
        marks = await asyncio.gather(
            *(s.accounts.mark_reminder_due(row.id, row.version) for row in rows for s in (left, right))
        )
        assert sum(marks) == 20
        assert all(r.due for r in await right.accounts.reminders(ann))
        assert await right.accounts.claim_due_reminders(20_000, 30_000, 100) == []

    run_on_two_nodes(shared_store_factory, scenario)


def test_two_nodes_setting_at_once_never_pass_the_limit(shared_store_factory: StoreFactory) -> None:
    """One person's reminders set through two nodes at once stop at the limit."""

    async def scenario(left: Store, right: Store) -> None:
        ann = await ann_in_lobby(left)

        async def remind(store: Store, n: int) -> object:
            return await store.accounts.set_reminder(draft(ann, n + 1, 5000), limit=5)

        assert await added_through_both(left, right, remind) == 5
        assert len(await right.accounts.reminders(ann)) == 5

    run_on_two_nodes(shared_store_factory, scenario)


@pytest.mark.parametrize("due", [False, True])
def test_an_import_keeps_message_time_and_due(store_factory: StoreFactory, due: bool) -> None:
    """Imported rows list with their message, time and whether they fell due, under new ids."""

    async def scenario(store: Store) -> None:
        accounts, ann = store.accounts, await ann_in_lobby(store)
        await accounts.import_reminders([draft(ann, 4, 7000, due=due)])
        (row,) = await accounts.reminders(ann)
        assert (row.room, row.message_id, row.at, row.due, row.created_at) == ("lobby", 4, 7000, due, 1)
        assert await accounts.all_reminders(after_id=0, limit=10) == [row]
        assert await accounts.all_reminders(after_id=row.id, limit=10) == []

    run(store_factory(), scenario)
