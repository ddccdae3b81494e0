"""Saved messages in the store, on SQLite and PostgreSQL: each person's own list, newest saved first,
paged by time, capped, carried by an import."""

from __future__ import annotations

from chatroom.store.base import Store
from chatroom.store.records import CLOSED, OPEN, PERSON, SavedMessage

from .stores import StoreFactory, added_through_both, run, run_on_two_nodes


def test_saving_twice_keeps_the_first_time_and_unsaving_forgets_it(store_factory: StoreFactory) -> None:
    """A second save answers the first row; unsaving forgets it, and unsaving again finds nothing."""

    async def scenario(store: Store) -> None:
        accounts = store.accounts
        ann = await accounts.create_account("ann", PERSON)
        await accounts.create_room("lobby", OPEN, creator_id=ann.id)
        first = await accounts.save_message(ann.id, "lobby", 7, limit=10, saved_at=1000)
        assert first == SavedMessage(ann.id, "lobby", 7, 1000)
        assert await accounts.save_message(ann.id, "lobby", 7, limit=10, saved_at=5000) == first
        assert await accounts.saved_messages(ann.id) == [first]
        assert await accounts.unsave_message(ann.id, "lobby", 7)
        assert not await accounts.unsave_message(ann.id, "lobby", 7)
        assert await accounts.saved_messages(ann.id) == []

    run(store_factory(), scenario)


def test_the_list_is_newest_saved_first_and_pages_by_time(store_factory: StoreFactory) -> None:
    """Three saves in one millisecond take three times; ``before`` gives the older ones, in rooms alike."""

    async def scenario(store: Store) -> None:
        accounts = store.accounts
        ann = await accounts.create_account("ann", PERSON)
        await accounts.create_room("lobby", OPEN, creator_id=ann.id)
        await accounts.create_room("team", CLOSED, creator_id=ann.id)
        await accounts.save_message(ann.id, "lobby", 3, limit=10, saved_at=2000)
        await accounts.save_message(ann.id, "team", 1, limit=10, saved_at=2000)
        await accounts.save_message(ann.id, "lobby", 1, limit=10, saved_at=2000)
        listed = await accounts.saved_messages(ann.id)
        assert [(s.room, s.message_id, s.saved_at) for s in listed] == [
            ("lobby", 1, 2002),
            ("team", 1, 2001),
            ("lobby", 3, 2000),
        ]
        assert await accounts.saved_messages(ann.id, limit=2) == listed[:2]
        assert await accounts.saved_messages(ann.id, before=2001, limit=2) == listed[2:]
        assert await accounts.saved_in(ann.id, "lobby") == [1, 3]
        assert await accounts.saved_in(ann.id, "team") == [1]

    run(store_factory(), scenario)


def test_a_saved_list_is_its_persons_own(store_factory: StoreFactory) -> None:
    """Ann's saving shows in nobody else's list, and bob's unsaving of it forgets nothing of hers."""

    async def scenario(store: Store) -> None:
        accounts = store.accounts
        ann = await accounts.create_account("ann", PERSON)
        bob = await accounts.create_account("bob", PERSON)
        await accounts.create_room("lobby", OPEN, creator_id=ann.id)
        await accounts.save_message(ann.id, "lobby", 1, limit=10)
        assert await accounts.saved_messages(bob.id) == []
        assert await accounts.saved_in(bob.id, "lobby") == []
        assert not await accounts.unsave_message(bob.id, "lobby", 1)
        assert len(await accounts.saved_messages(ann.id)) == 1

    run(store_factory(), scenario)


def test_past_the_limit_a_new_save_is_refused_and_an_old_one_still_answers(
    store_factory: StoreFactory,
) -> None:
    """With two saved under a limit of two, a third is refused (None); the saved ones answer their rows."""

    async def scenario(store: Store) -> None:
        accounts = store.accounts
        ann = await accounts.create_account("ann", PERSON)
        await accounts.create_room("lobby", OPEN, creator_id=ann.id)
        one = await accounts.save_message(ann.id, "lobby", 1, limit=2)
        await accounts.save_message(ann.id, "lobby", 2, limit=2)
        assert await accounts.save_message(ann.id, "lobby", 3, limit=2) is None
        assert await accounts.save_message(ann.id, "lobby", 1, limit=2) == one
        await accounts.unsave_message(ann.id, "lobby", 2)
        assert await accounts.save_message(ann.id, "lobby", 3, limit=2) is not None

    run(store_factory(), scenario)


def test_an_import_keeps_the_times_and_replaces_a_row(store_factory: StoreFactory) -> None:
    """Imported rows keep their times; a second import of the same message takes its time."""

    async def scenario(store: Store) -> None:
        accounts = store.accounts
        ann = await accounts.create_account("ann", PERSON)
        await accounts.create_room("lobby", OPEN, creator_id=ann.id)
        await accounts.import_saved(
            [SavedMessage(ann.id, "lobby", 4, 10), SavedMessage(ann.id, "lobby", 5, 20)]
        )
        await accounts.import_saved([SavedMessage(ann.id, "lobby", 4, 30)])
        assert await accounts.saved_messages(ann.id) == [
            SavedMessage(ann.id, "lobby", 4, 30),
            SavedMessage(ann.id, "lobby", 5, 20),
        ]

    run(store_factory(), scenario)


def test_a_save_on_one_node_is_read_on_the_other(shared_store_factory: StoreFactory) -> None:
    """Two stores on one database: the saving and its removal are seen by the other at once."""

    async def scenario(first: Store, second: Store) -> None:
        ann = await first.accounts.create_account("ann", PERSON)
        await first.accounts.create_room("lobby", OPEN, creator_id=ann.id)
        saved = await first.accounts.save_message(ann.id, "lobby", 9, limit=10)
        assert await second.accounts.saved_messages(ann.id) == [saved]
        assert await second.accounts.unsave_message(ann.id, "lobby", 9)
        assert await first.accounts.saved_in(ann.id, "lobby") == []

    run_on_two_nodes(shared_store_factory, scenario)


def test_two_nodes_saving_at_once_never_pass_the_limit(shared_store_factory: StoreFactory) -> None:
    """Saves of one person through two nodes at once stop at the limit: each counts the other's."""

    async def scenario(left: Store, right: Store) -> None:
        ann = await left.accounts.create_account("ann", PERSON)
        await left.accounts.create_room("lobby", OPEN, creator_id=ann.id)

        async def save(store: Store, n: int) -> object:
            # Times of their own: saves in one millisecond would wait on each other for theirs.
            return await store.accounts.save_message(ann.id, "lobby", n + 1, limit=5, saved_at=1000 + n)

        assert await added_through_both(left, right, save) == 5
        assert len(await right.accounts.saved_messages(ann.id)) == 5

    run_on_two_nodes(shared_store_factory, scenario)
