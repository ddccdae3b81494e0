"""Starred rooms in the store, on SQLite and PostgreSQL: each person's own stars, by room name, capped
(across nodes too), carried by an import."""

from __future__ import annotations

from chatroom.store.base import Store
from chatroom.store.records import CLOSED, OPEN, PERSON, RoomStar

from .stores import StoreFactory, added_through_both, run, run_on_two_nodes


def test_starring_twice_keeps_the_first_time_and_unstarring_forgets_it(store_factory: StoreFactory) -> None:
    """A second star answers the first row; unstarring forgets it, and unstarring again finds nothing."""

    async def scenario(store: Store) -> None:
        accounts = store.accounts
        ann = await accounts.create_account("ann", PERSON)
        await accounts.create_room("lobby", OPEN, creator_id=ann.id)
        first = await accounts.star_room(ann.id, "lobby", limit=10, starred_at=1000)
        assert first == RoomStar(ann.id, "lobby", 1000)
        assert await accounts.star_room(ann.id, "lobby", limit=10, starred_at=5000) == first
        assert await accounts.starred_rooms(ann.id) == [first]
        assert await accounts.unstar_room(ann.id, "lobby")
        assert not await accounts.unstar_room(ann.id, "lobby")
        assert await accounts.starred_rooms(ann.id) == []

    run(store_factory(), scenario)


def test_the_stars_are_read_by_room_name_in_code_point_order(store_factory: StoreFactory) -> None:
    """Whatever order they were starred in, and whatever their case, the stars come in the rooms list's
    order: code points, not a locale's."""

    async def scenario(store: Store) -> None:
        accounts = store.accounts
        ann = await accounts.create_account("ann", PERSON)
        names = ["zeta", "Zoë", "alpha", "Beta", "émile"]
        for name in names:
            await accounts.create_room(name, CLOSED if name == "alpha" else OPEN, creator_id=ann.id)
            await accounts.star_room(ann.id, name, limit=10)
        assert [star.room for star in await accounts.starred_rooms(ann.id)] == sorted(names)

    run(store_factory(), scenario)


def test_stars_are_their_persons_own(store_factory: StoreFactory) -> None:
    """ann's star shows in nobody else's list, and bob's unstarring of the room forgets nothing of hers."""

    async def scenario(store: Store) -> None:
        accounts = store.accounts
        ann = await accounts.create_account("ann", PERSON)
        bob = await accounts.create_account("bob", PERSON)
        await accounts.create_room("lobby", OPEN, creator_id=ann.id)
        await accounts.star_room(ann.id, "lobby", limit=10)
        assert await accounts.starred_rooms(bob.id) == []
        assert not await accounts.unstar_room(bob.id, "lobby")
        assert [star.room for star in await accounts.starred_rooms(ann.id)] == ["lobby"]

    run(store_factory(), scenario)


def test_past_the_limit_a_new_star_is_refused_and_an_old_one_still_answers(
    store_factory: StoreFactory,
) -> None:
    """With two starred under a limit of two, a third is refused (None); the starred ones answer their
    rows; one unstarred makes room."""

    async def scenario(store: Store) -> None:
        accounts = store.accounts
        ann = await accounts.create_account("ann", PERSON)
        for name in ("one", "two", "three"):
            await accounts.create_room(name, OPEN, creator_id=ann.id)
        one = await accounts.star_room(ann.id, "one", limit=2)
        await accounts.star_room(ann.id, "two", limit=2)
        assert await accounts.star_room(ann.id, "three", limit=2) is None
        assert await accounts.star_room(ann.id, "one", limit=2) == one
        await accounts.unstar_room(ann.id, "two")
        assert await accounts.star_room(ann.id, "three", limit=2) is not None

    run(store_factory(), scenario)


def test_an_import_keeps_the_times_and_replaces_a_row(store_factory: StoreFactory) -> None:
    """Imported rows keep their times; a second import of the same room takes its time."""

    async def scenario(store: Store) -> None:
        accounts = store.accounts
        ann = await accounts.create_account("ann", PERSON)
        await accounts.create_room("lobby", OPEN, creator_id=ann.id)
        await accounts.create_room("team", CLOSED, creator_id=ann.id)
        await accounts.import_stars([RoomStar(ann.id, "team", 10), RoomStar(ann.id, "lobby", 20)])
        await accounts.import_stars([RoomStar(ann.id, "team", 30)])
        assert await accounts.starred_rooms(ann.id) == [
            RoomStar(ann.id, "lobby", 20),
            RoomStar(ann.id, "team", 30),
        ]

    run(store_factory(), scenario)


def test_a_star_on_one_node_is_read_on_the_other(shared_store_factory: StoreFactory) -> None:
    """Two stores on one database: the star and its removal are seen by the other at once."""

    async def scenario(first: Store, second: Store) -> None:
        ann = await first.accounts.create_account("ann", PERSON)
        await first.accounts.create_room("lobby", OPEN, creator_id=ann.id)
        star = await first.accounts.star_room(ann.id, "lobby", limit=10)
        assert await second.accounts.starred_rooms(ann.id) == [star]
        assert await second.accounts.unstar_room(ann.id, "lobby")
        assert await first.accounts.starred_rooms(ann.id) == []

    run_on_two_nodes(shared_store_factory, scenario)


def test_two_nodes_starring_at_once_never_pass_the_limit(shared_store_factory: StoreFactory) -> None:
    """Stars of one person through two nodes at once stop at the limit: each counts the other's."""

    async def scenario(left: Store, right: Store) -> None:
        ann = await left.accounts.create_account("ann", PERSON)
        rooms = [f"room-{n}" for n in range(24)]
        for room in rooms:
            await left.accounts.create_room(room, OPEN, creator_id=ann.id)

        async def star(store: Store, n: int) -> object:
            return await store.accounts.star_room(ann.id, rooms[n], limit=5)

        assert await added_through_both(left, right, star) == 5
        assert len(await right.accounts.starred_rooms(ann.id)) == 5

    run_on_two_nodes(shared_store_factory, scenario)
