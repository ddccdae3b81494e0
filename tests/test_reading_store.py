"""The ReadingStore contract (read positions, unread counts, notification levels) on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import pytest

from chatroom.store.accounts_base import AccountStore
from chatroom.store.base import Store
from chatroom.store.reading_base import UNREAD_CAP, Follower, ReadMark, Unread
from chatroom.store.records import CLOSED, DIRECT, OPEN, PERSON

from .stores import StoreFactory

Scenario = Callable[[AccountStore, Store], Awaitable[None]]


def run(store: Store, scenario: Scenario) -> None:
    """Start the store, play the scenario, close it."""

    async def main() -> None:
        await store.start()
        try:
            await scenario(store.accounts, store)
        finally:
            await store.close()

    asyncio.run(main())


async def _say(store: Store, room: str, nick: str, *texts: str) -> int:
    """Append messages; the id of the last."""
    last = 0
    for text in texts:
        last = (await store.append(room, nick, text)).message.id
    return last


def test_a_position_is_stored_and_never_goes_back(store_factory: StoreFactory) -> None:
    """A mark moves the position up; a lower mark later leaves it where it was."""

    async def scenario(accounts: AccountStore, store: Store) -> None:
        ann = await accounts.create_account("ann", PERSON)
        await accounts.create_room("lobby", OPEN, creator_id=ann.id)
        await _say(store, "lobby", "bob", "one", "two", "three")
        assert await accounts.read_position(ann.id, "lobby") is None
        await accounts.mark_read([ReadMark(ann.id, "lobby", 2)])
        await accounts.mark_read([ReadMark(ann.id, "lobby", 1)])
        assert await accounts.read_position(ann.id, "lobby") == 2
        assert await accounts.read_positions(ann.id) == {"lobby": 2}

    run(store_factory(), scenario)


def test_a_position_set_goes_back_or_on_but_never_past_the_newest(store_factory: StoreFactory) -> None:
    """Marking unread puts the position back (and on); it never passes the newest id; a room that does not
    exist is dropped; another account's position is not touched."""

    async def scenario(accounts: AccountStore, store: Store) -> None:
        ann = await accounts.create_account("ann", PERSON)
        bob = await accounts.create_account("bob", PERSON)
        await accounts.create_room("lobby", OPEN, creator_id=ann.id)
        last = await _say(store, "lobby", "carl", "one", "two", "three")
        await accounts.mark_read([ReadMark(ann.id, "lobby", last), ReadMark(bob.id, "lobby", last)])
        await accounts.set_read_position(ann.id, "lobby", 1)
        assert await accounts.read_position(ann.id, "lobby") == 1
        assert await accounts.unread_in("lobby", 1, "ann") == Unread(2, 0)
        await accounts.set_read_position(ann.id, "lobby", 10**12)
        assert await accounts.read_position(ann.id, "lobby") == last
        await accounts.set_read_position(ann.id, "nowhere", 1)
        assert await accounts.read_positions(ann.id) == {"lobby": last}
        assert await accounts.read_position(bob.id, "lobby") == last

    run(store_factory(), scenario)


def test_a_position_never_passes_the_newest_message(store_factory: StoreFactory) -> None:
    """Marking read far beyond the newest id stops at it: later messages still count as unread."""

    async def scenario(accounts: AccountStore, store: Store) -> None:
        ann = await accounts.create_account("ann", PERSON)
        await accounts.create_room("lobby", OPEN, creator_id=ann.id)
        last = await _say(store, "lobby", "bob", "one")
        await accounts.mark_read([ReadMark(ann.id, "lobby", 10**12)])
        assert await accounts.read_position(ann.id, "lobby") == last
        await _say(store, "lobby", "bob", "two")
        assert await accounts.unread_in("lobby", last, "ann") == Unread(1, 0)

    run(store_factory(), scenario)


def test_a_batch_is_stored_at_once_and_unknown_rooms_are_dropped(store_factory: StoreFactory) -> None:
    """Several accounts and rooms in one batch; a mark of a room that does not exist is skipped."""

    async def scenario(accounts: AccountStore, store: Store) -> None:
        ann = await accounts.create_account("ann", PERSON)
        bob = await accounts.create_account("bob", PERSON)
        for room in ("a", "b"):
            await accounts.create_room(room, OPEN, creator_id=ann.id)
            await _say(store, room, "carol", "x", "y")
        marks = [ReadMark(ann.id, "a", 1), ReadMark(ann.id, "b", 2), ReadMark(bob.id, "a", 2)]
        await accounts.mark_read([*marks, ReadMark(bob.id, "nowhere", 5)])
        assert await accounts.read_positions(ann.id) == {"a": 1, "b": 2}
        assert await accounts.read_positions(bob.id) == {"a": 2}

    run(store_factory(), scenario)


def test_two_nodes_marking_at_once_keep_the_higher(shared_store_factory: StoreFactory) -> None:
    """Two stores on one database marking the same room: the higher mark wins, whatever the order."""

    async def main() -> None:
        first, second = shared_store_factory(), shared_store_factory()
        await first.start()
        await second.start()
        try:
            ann = await first.accounts.create_account("ann", PERSON)
            await first.accounts.create_room("lobby", OPEN, creator_id=ann.id)
            await _say(first, "lobby", "bob", *[str(n) for n in range(10)])
            await asyncio.gather(
                *(
                    store.accounts.mark_read([ReadMark(ann.id, "lobby", n)])
                    for n in range(1, 11)
                    for store in (first, second)
                )
            )
            assert await second.accounts.read_position(ann.id, "lobby") == 10
        finally:
            await first.close()
            await second.close()

    asyncio.run(main())


def test_unread_counts_others_messages_after_the_position(store_factory: StoreFactory) -> None:
    """One's own messages are never unread; mentions are ``@name`` in any case, not a longer name."""

    async def scenario(accounts: AccountStore, store: Store) -> None:
        await accounts.create_account("Ann", PERSON)
        await accounts.create_room("lobby", OPEN)
        seen = await _say(store, "lobby", "bob", "old news @ann")
        await _say(store, "lobby", "bob", "hi @ANN", "hello", "@anna is someone else", "mail ann@x")
        await _say(store, "lobby", "Ann", "my own @Ann")
        await _say(store, "lobby", "carol", "thanks @Ann.")
        assert await accounts.unread_in("lobby", seen, "Ann") == Unread(5, 2)
        assert await accounts.unread_in("lobby", 0, "Ann") == Unread(6, 3)

    run(store_factory(), scenario)


def test_a_mention_of_the_whole_room_counts_for_every_reader_but_its_sender(
    store_factory: StoreFactory,
) -> None:
    """ "@all" and "@room" count as mentions for Ann and Bob, not for the sender's own count, not as an
    address (x@all.com), and not where the reader muted the room (``whole_room`` off)."""

    async def scenario(accounts: AccountStore, store: Store) -> None:
        await accounts.create_room("lobby", OPEN)
        await _say(store, "lobby", "carol", "@all standup", "write to x@all.com", "(@Room) lunch")
        assert await accounts.unread_in("lobby", 0, "Ann") == Unread(3, 2)
        assert await accounts.unread_in("lobby", 0, "bob") == Unread(3, 2)
        assert await accounts.unread_in("lobby", 0, "carol") == Unread(0, 0)
        assert await accounts.unread_in("lobby", 0, "Ann", whole_room=False) == Unread(3, 0)
        await _say(store, "lobby", "carol", "@ann, you")
        assert await accounts.unread_in("lobby", 0, "Ann", whole_room=False) == Unread(4, 1)

    run(store_factory(), scenario)


def test_here_mentions_those_written_down_as_online_then(store_factory: StoreFactory) -> None:
    """ "@here" counts as a mention for Ann, written down as online when it was sent, not for Bob, nor for
    Ann where she muted the room; an address (x@here.org) is none."""

    async def scenario(accounts: AccountStore, store: Store) -> None:
        ann = await accounts.create_account("Ann", PERSON)
        bob = await accounts.create_account("bob", PERSON)
        await accounts.create_room("lobby", OPEN)
        first = await _say(store, "lobby", "carol", "@here standup")
        await accounts.record_here("lobby", first, [ann.id])
        await accounts.record_here("lobby", first, [ann.id])  # twice is harmless
        second = await _say(store, "lobby", "carol", "mail x@here.org", "@here again")
        assert await accounts.unread_in("lobby", 0, "Ann", reader_id=ann.id) == Unread(3, 1)
        assert await accounts.unread_in("lobby", 0, "bob", reader_id=bob.id) == Unread(3, 0)
        assert await accounts.unread_in("lobby", 0, "Ann", reader_id=ann.id, whole_room=False) == Unread(3, 0)
        assert await accounts.unread_in("lobby", first, "Ann", reader_id=ann.id) == Unread(2, 0)
        await accounts.record_here("lobby", second, [ann.id, bob.id])
        assert await accounts.unread_in("lobby", 0, "bob", reader_id=bob.id) == Unread(3, 1)
        assert await accounts.here_of(ann.id) == [("lobby", first), ("lobby", second)]

    run(store_factory(), scenario)


def test_unread_is_capped(store_factory: StoreFactory) -> None:
    """Past UNREAD_CAP messages the count stops: the page shows "99+"."""

    async def scenario(accounts: AccountStore, store: Store) -> None:
        await accounts.create_room("busy", OPEN)
        await _say(store, "busy", "bob", *[f"m{n}" for n in range(UNREAD_CAP + 5)])
        assert (await accounts.unread_in("busy", 0, "ann")).unread == UNREAD_CAP

    run(store_factory(), scenario)


def test_followers_are_members_and_readers_of_open_rooms(store_factory: StoreFactory) -> None:
    """An open room's readers follow it; a closed room's follower must be a member still."""

    async def scenario(accounts: AccountStore, store: Store) -> None:
        ann = await accounts.create_account("ann", PERSON)
        bob = await accounts.create_account("bob", PERSON)
        carol = await accounts.create_account("carol", PERSON)
        await accounts.create_room("open", OPEN, creator_id=ann.id)
        await accounts.create_room("shut", CLOSED, creator_id=ann.id, members=[bob.id])
        await _say(store, "open", "ann", "x")
        await _say(store, "shut", "ann", "x")
        await accounts.mark_read([ReadMark(carol.id, "open", 1), ReadMark(bob.id, "shut", 1)])
        assert [f.account_id for f in await accounts.followers("open")] == [ann.id, carol.id]
        await accounts.remove_member("shut", bob.id)
        assert [f.account_id for f in await accounts.followers("shut")] == [ann.id]

    run(store_factory(), scenario)


def test_followers_come_with_their_positions_and_levels(store_factory: StoreFactory) -> None:
    """Each follower carries its own position and level in this room, not another room's or another's."""

    async def scenario(accounts: AccountStore, store: Store) -> None:
        ann = await accounts.create_account("ann", PERSON)
        bob = await accounts.create_account("bob", PERSON)
        carol = await accounts.create_account("carol", PERSON)
        await accounts.create_room("plans", CLOSED, creator_id=ann.id, members=[bob.id, carol.id])
        await accounts.create_room("other", CLOSED, creator_id=ann.id, members=[bob.id, carol.id])
        await _say(store, "plans", "ann", "a", "b", "c")
        await _say(store, "other", "ann", "a", "b", "c", "d")
        await accounts.mark_read([ReadMark(bob.id, "plans", 2), ReadMark(carol.id, "other", 4)])
        await accounts.set_notify_level(carol.id, "plans", "muted")
        await accounts.set_notify_level(bob.id, "other", "mentions")
        assert await accounts.followers("plans") == [
            Follower(ann.id, None, "all"),
            Follower(bob.id, 2, "all"),
            Follower(carol.id, None, "muted"),
        ]
        assert await accounts.followers("other") == [
            Follower(ann.id, None, "all"),
            Follower(bob.id, None, "mentions"),
            Follower(carol.id, 4, "all"),
        ]
        assert await accounts.followers("nowhere") == []

    run(store_factory(), scenario)


def test_notify_level_defaults_to_all_and_is_kept_per_room(store_factory: StoreFactory) -> None:
    """``all`` unless chosen (a direct room too); each room keeps its own; a missing room is refused."""

    async def scenario(accounts: AccountStore, store: Store) -> None:
        ann = await accounts.create_account("ann", PERSON)
        bob = await accounts.create_account("bob", PERSON)
        await accounts.create_room("lobby", OPEN, creator_id=ann.id)
        await accounts.create_room("dm-1", DIRECT, members=[ann.id, bob.id])
        assert await accounts.notify_level(ann.id, "dm-1") == "all"
        assert await accounts.set_notify_level(ann.id, "lobby", "muted")
        assert await accounts.set_notify_level(ann.id, "lobby", "mentions")
        assert not await accounts.set_notify_level(ann.id, "nowhere", "muted")
        assert await accounts.notify_level(ann.id, "lobby") == "mentions"
        assert await accounts.notify_level(bob.id, "lobby") == "all"
        assert await accounts.notify_levels(ann.id) == {"lobby": "mentions"}
        with pytest.raises(ValueError, match="one of all, mentions, muted"):
            await accounts.set_notify_level(ann.id, "lobby", "loud")

    run(store_factory(), scenario)
