"""Statuses and paused notifications in the store, on SQLite and PostgreSQL: set, replaced, cleared, and
absent once their time passed."""

from __future__ import annotations

from chatroom.store.base import Store
from chatroom.store.records import PERSON
from chatroom.store.status_base import Pause, Status

from .stores import StoreFactory, run, run_on_two_nodes

NOW = 1_800_000_000_000
HOUR = 3_600_000


def test_a_status_is_shown_until_its_time_then_absent(store_factory: StoreFactory) -> None:
    """A status until in an hour is read before then and not after; one for good is read always."""

    async def scenario(store: Store) -> None:
        accounts = store.accounts
        ann = await accounts.create_account("ann", PERSON)
        bob = await accounts.create_account("bob", PERSON)
        cid = await accounts.create_account("cid", PERSON)
        meeting = Status(ann.id, "📅", "In a meeting", NOW + HOUR, NOW)
        holiday = Status(bob.id, "🌴", "On holiday", None, NOW)
        await accounts.set_status(meeting)
        await accounts.set_status(holiday)
        ids = [ann.id, bob.id, cid.id]
        assert await accounts.statuses_of(ids, NOW) == {ann.id: meeting, bob.id: holiday}
        assert await accounts.statuses_of(ids, NOW + HOUR) == {bob.id: holiday}
        assert await accounts.statuses_of([], NOW) == {}

    run(store_factory(), scenario)


def test_a_status_set_again_replaces_the_first_and_clearing_says_whether_one_was_shown(
    store_factory: StoreFactory,
) -> None:
    """The second status replaces the first; clearing it says it was shown, clearing again finds none, and
    clearing one whose time passed says none was shown."""

    async def scenario(store: Store) -> None:
        accounts = store.accounts
        ann = await accounts.create_account("ann", PERSON)
        await accounts.set_status(Status(ann.id, "📅", "In a meeting", NOW + HOUR, NOW))
        sick = Status(ann.id, "🤒", "Out sick", NOW + 8 * HOUR, NOW + 1)
        await accounts.set_status(sick)
        assert await accounts.statuses_of([ann.id], NOW) == {ann.id: sick}
        assert await accounts.clear_status(ann.id, NOW)
        assert not await accounts.clear_status(ann.id, NOW)
        assert await accounts.statuses_of([ann.id], NOW) == {}
        await accounts.set_status(sick)
        assert not await accounts.clear_status(ann.id, NOW + 9 * HOUR)

    run(store_factory(), scenario)


def test_a_pause_lasts_until_its_time_and_ends_early_when_resumed(store_factory: StoreFactory) -> None:
    """Paused for an hour: paused before then, not after; paused again, the new time holds; resumed, none."""

    async def scenario(store: Store) -> None:
        accounts = store.accounts
        ann = await accounts.create_account("ann", PERSON)
        bob = await accounts.create_account("bob", PERSON)
        await accounts.pause_notifications(Pause(ann.id, NOW + HOUR))
        assert await accounts.pauses_of([ann.id, bob.id], NOW) == {ann.id: NOW + HOUR}
        assert await accounts.pauses_of([ann.id, bob.id], NOW + HOUR) == {}
        await accounts.pause_notifications(Pause(ann.id, NOW + 2 * HOUR))
        assert await accounts.pauses_of([ann.id], NOW + HOUR) == {ann.id: NOW + 2 * HOUR}
        assert await accounts.resume_notifications(ann.id, NOW)
        assert not await accounts.resume_notifications(ann.id, NOW)
        assert await accounts.pauses_of([ann.id], NOW) == {}

    run(store_factory(), scenario)


def test_many_accounts_are_read_in_turns(store_factory: StoreFactory) -> None:
    """More accounts than one statement asks about at once are all read."""

    async def scenario(store: Store) -> None:
        accounts = store.accounts
        ann = await accounts.create_account("ann", PERSON)
        await accounts.set_status(Status(ann.id, "🏠", "Working remotely", None, NOW))
        await accounts.pause_notifications(Pause(ann.id, NOW + HOUR))
        ids = [*range(10_000, 10_700), ann.id]
        assert list(await accounts.statuses_of(ids, NOW)) == [ann.id]
        assert list(await accounts.pauses_of(ids, NOW)) == [ann.id]

    run(store_factory(), scenario)


def test_a_status_set_on_one_node_is_read_on_the_other(shared_store_factory: StoreFactory) -> None:
    """Two stores on one database: a status and a pause set on one are read on the other at once."""

    async def scenario(first: Store, second: Store) -> None:
        ann = await first.accounts.create_account("ann", PERSON)
        status = Status(ann.id, "🚌", "Commuting", NOW + HOUR, NOW)
        await first.accounts.set_status(status)
        await first.accounts.pause_notifications(Pause(ann.id, NOW + HOUR))
        assert await second.accounts.statuses_of([ann.id], NOW) == {ann.id: status}
        assert await second.accounts.pauses_of([ann.id], NOW) == {ann.id: NOW + HOUR}

    run_on_two_nodes(shared_store_factory, scenario)
