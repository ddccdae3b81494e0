"""Followed threads in the store, on SQLite and PostgreSQL: who follows which thread, how far they read,
the newest reply of each, carried by an import."""

from __future__ import annotations

import asyncio

import pytest

from chatroom.events import DELETE, StoredMessage
from chatroom.store.base import Store
from chatroom.store.change_rules import ChangeRefusedError, ChangeRequest
from chatroom.store.migrations import v035_thread_follows
from chatroom.store.records import BOT, OPEN, PERSON, ThreadFollow

from .stores import StoreFactory, run


def test_following_reading_and_unfollowing_a_thread(store_factory: StoreFactory) -> None:
    """A follow starts at the position given, reading only moves it up, unfollowing keeps the position."""

    async def scenario(store: Store) -> None:
        accounts = store.accounts
        ann = await accounts.create_account("ann", PERSON)
        await accounts.create_room("lobby", OPEN, creator_id=ann.id)
        assert await accounts.thread_follow(ann.id, "lobby", 1) is None
        assert await accounts.read_thread(ann.id, "lobby", 1, 5) is None
        assert await accounts.thread_follow(ann.id, "lobby", 1) is None
        await accounts.follow_thread(ann.id, "lobby", 1, read_id=3)
        assert await accounts.thread_follow(ann.id, "lobby", 1) == ThreadFollow(ann.id, "lobby", 1, True, 3)
        assert await accounts.read_thread(ann.id, "lobby", 1, 7) == ThreadFollow(ann.id, "lobby", 1, True, 7)
        assert await accounts.read_thread(ann.id, "lobby", 1, 4) == ThreadFollow(ann.id, "lobby", 1, True, 7)
        await accounts.follow_thread(ann.id, "lobby", 1, following=False, read_id=2)
        assert await accounts.thread_follow(ann.id, "lobby", 1) == ThreadFollow(ann.id, "lobby", 1, False, 7)

    run(store_factory(), scenario)


def test_a_roots_author_rule_leaves_an_unfollowed_thread_alone(store_factory: StoreFactory) -> None:
    """Following only where there is no row yet follows a new thread, and not one the person left."""

    async def scenario(store: Store) -> None:
        accounts = store.accounts
        ann = await accounts.create_account("ann", PERSON)
        await accounts.create_room("lobby", OPEN, creator_id=ann.id)
        await accounts.follow_thread(ann.id, "lobby", 1, again=False)
        await accounts.follow_thread(ann.id, "lobby", 2, following=False)
        await accounts.follow_thread(ann.id, "lobby", 2, again=False)
        rows = await accounts.thread_follows_of(ann.id)
        assert [(f.root_id, f.following, f.read_id) for f in rows] == [(1, True, 0), (2, False, 0)]
        await accounts.follow_thread(ann.id, "lobby", 2)
        assert (await accounts.thread_follow(ann.id, "lobby", 2)) == ThreadFollow(ann.id, "lobby", 2, True, 0)

    run(store_factory(), scenario)


def test_the_followed_list_names_each_threads_newest_reply(store_factory: StoreFactory) -> None:
    """The list holds followed threads alone, with their newest reply not deleted (None: no reply)."""

    async def scenario(store: Store) -> None:
        accounts = store.accounts
        ann = await accounts.create_account("ann", PERSON)
        bob = await accounts.create_account("bob", PERSON)
        await accounts.create_room("lobby", OPEN, creator_id=ann.id)
        await store.append("lobby", "ann", "root", account_id=ann.id)
        await store.append("lobby", "ann", "quiet root", account_id=ann.id)
        await store.append("lobby", "bob", "one", account_id=bob.id, thread=1)
        await store.append("lobby", "bob", "other", account_id=bob.id)
        await store.append("lobby", "bob", "two", account_id=bob.id, thread=1)
        await store.change("lobby", ChangeRequest(DELETE, 5, "bob", bob.id))
        await accounts.follow_thread(ann.id, "lobby", 1)
        await accounts.follow_thread(ann.id, "lobby", 2)
        await accounts.follow_thread(ann.id, "lobby", 4, following=False)
        await accounts.follow_thread(bob.id, "lobby", 1, read_id=5)
        listed = sorted(await accounts.followed_threads(ann.id), key=lambda f: f.root_id)
        assert [(f.root_id, f.read_id, f.last_reply_id) for f in listed] == [(1, 0, 3), (2, 0, None)]
        newest = (await store.history("lobby", after=2, before=4))[0]
        assert (listed[0].last_reply_at, listed[1].last_reply_at) == (newest.ts, None)
        followers = await accounts.thread_followers("lobby", 1)
        assert [(f.account_id, f.read_id) for f in followers] == [(ann.id, 0), (bob.id, 5)]

    run(store_factory(), scenario)


def test_a_reply_stores_its_authors_and_the_roots_authors_follows_with_it(
    store_factory: StoreFactory,
) -> None:
    """Once a reply is stored, its author follows the thread read up to it and the root's author follows
    it (unless they left it); a guest, a bot and a refused reply follow nothing."""

    async def scenario(store: Store) -> None:
        accounts = store.accounts
        ann, bob, cid = [await accounts.create_account(name, PERSON) for name in ("ann", "bob", "cid")]
        bot = await accounts.create_account("helper", BOT)
        await accounts.create_room("lobby", OPEN, creator_id=ann.id)

        async def rows(root: int) -> list[tuple[str, bool, int]]:
            named = {ann.id: "ann", bob.id: "bob", cid.id: "cid", bot.id: "helper"}
            found = await accounts.thread_followers("lobby", root)
            return [(named[f.account_id], f.following, f.read_id) for f in found]

        await store.append("lobby", "ann", "root", account_id=ann.id)
        await store.append("lobby", "bob", "first", account_id=bob.id, thread=1)
        assert await rows(1) == [("ann", True, 0), ("bob", True, 2)]
        await accounts.follow_thread(ann.id, "lobby", 1, following=False)
        await asyncio.gather(
            store.append("lobby", "cid", "in one batch", account_id=cid.id, thread=1),
            store.append("lobby", "bob", "with this", account_id=bob.id, thread=1),
            store.append("lobby", "guest-1", "a guest's", guest=True, thread=1),
            store.append("lobby", "helper", "a bot's", bot=True, account_id=bot.id, thread=1),
        )
        assert await rows(1) == [("ann", False, 0), ("bob", True, 4), ("cid", True, 3)]
        await store.append("lobby", "ann", "own root", account_id=ann.id)
        await store.append("lobby", "ann", "own reply", account_id=ann.id, thread=7)
        assert await rows(7) == [("ann", True, 8)]
        await store.append("lobby", "guest-1", "a guest's root", guest=True)
        await store.append("lobby", "helper", "to a guest", bot=True, account_id=bot.id, thread=9)
        assert await rows(9) == []
        with pytest.raises(ChangeRefusedError):
            await store.append("lobby", "bob", "to nothing", account_id=bob.id, thread=99)
        assert await rows(99) == []

    run(store_factory(), scenario)


def test_imported_replies_leave_the_follows_to_the_exports_rows(store_factory: StoreFactory) -> None:
    """An import stores replies without making anyone follow their thread: the export's rows say who."""

    async def scenario(store: Store) -> None:
        accounts = store.accounts
        ann = await accounts.create_account("ann", PERSON)
        bob = await accounts.create_account("bob", PERSON)
        await accounts.create_room("lobby", OPEN, creator_id=ann.id)
        root = StoredMessage(id=1, room="lobby", nick="ann", text="root", ts=1, account_id=ann.id)
        reply = StoredMessage(id=2, room="lobby", nick="bob", text="re", ts=2, account_id=bob.id, thread=1)
        assert await store.import_messages([root, reply]) == 2
        assert await accounts.thread_followers("lobby", 1) == []
        assert await store.last_id("lobby") == 2

    run(store_factory(), scenario)


def test_an_import_replaces_rows_with_the_exports(store_factory: StoreFactory) -> None:
    """Imported rows are stored as they are, positions lowered too, followed or not."""

    async def scenario(store: Store) -> None:
        accounts = store.accounts
        ann = await accounts.create_account("ann", PERSON)
        await accounts.create_room("lobby", OPEN, creator_id=ann.id)
        await accounts.follow_thread(ann.id, "lobby", 1, read_id=9)
        rows = [ThreadFollow(ann.id, "lobby", 1, False, 4), ThreadFollow(ann.id, "lobby", 6, True, 8)]
        await accounts.import_thread_follows(rows)
        assert await accounts.thread_follows_of(ann.id) == rows

    run(store_factory(), scenario)


def test_the_schema_step_is_written_for_both_dialects() -> None:
    """Step 35 makes the table and the index of a thread's followers in SQLite and PostgreSQL."""
    step = v035_thread_follows.STEP
    assert step.version == 35
    for dialect in (step.sqlite, step.postgres):
        assert any("CREATE TABLE thread_follows" in sql for sql in dialect)
        assert any("thread_followers ON thread_follows (room, root_id)" in sql for sql in dialect)


def test_thread_replies_count_in_their_rooms_unread_messages_and_mentions(
    store_factory: StoreFactory,
) -> None:
    """A thread reply counts as unread in its room like any message, its mention too (docs/protocol.md,
    "Threads": the choice kept), and one's own replies count for nobody but the others."""

    async def scenario(store: Store) -> None:
        accounts = store.accounts
        ann = await accounts.create_account("ann", PERSON)
        bob = await accounts.create_account("bob", PERSON)
        await accounts.create_room("lobby", OPEN, creator_id=ann.id)
        await store.append("lobby", "ann", "root", account_id=ann.id)
        await store.append("lobby", "bob", "in the thread", account_id=bob.id, thread=1)
        await store.append(
            "lobby", "bob", "@ann and to the room", account_id=bob.id, thread=1, broadcast=True
        )
        counts = await accounts.unread_in("lobby", 1, "ann", reader_id=ann.id)
        assert (counts.unread, counts.mentions) == (2, 1)
        assert (await accounts.unread_in("lobby", 0, "bob", reader_id=bob.id)).unread == 1

    run(store_factory(), scenario)
