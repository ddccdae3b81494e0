"""Threads held against SQLite and PostgreSQL alike: replies, their roots' summaries, the reads."""

from __future__ import annotations

import asyncio

import pytest

from chatroom.events import DELETE, EDIT, ThreadSummary
from chatroom.protocol import BAD_THREAD
from chatroom.store.base import Store
from chatroom.store.change_rules import ChangeRefusedError, ChangeRequest
from chatroom.store.migrations import v032_threads

from .stores import StoreFactory, run

ANN, BOB = 1, 2


def test_a_thread_reply_takes_the_rooms_next_id_and_names_its_root(store_factory: StoreFactory) -> None:
    """A reply in a thread is a message of the room: the next id, its root named, read back as stored."""

    async def scenario(store: Store) -> None:
        root = (await store.append("lobby", "ann", "lunch?", account_id=ANN)).message
        reply = (await store.append("lobby", "bob", "yes", account_id=BOB, thread=root.id)).message
        after = (await store.append("lobby", "ann", "meanwhile", account_id=ANN)).message
        assert (reply.id, reply.thread, after.id, after.thread) == (2, 1, 3, None)
        read = await store.history("lobby")
        assert [(m.id, m.thread) for m in read] == [(1, None), (2, 1), (3, None)]
        assert [(m.id, m.thread) for m in await store.sequence_after("lobby", 1, 10)] == [(2, 1), (3, None)]

    run(store_factory(), scenario)


def test_a_roots_replies_are_summed_up_where_it_is_read(store_factory: StoreFactory) -> None:
    """A root read anywhere says how many replies it has (deleted ones left out), and the last's id and ts."""

    async def scenario(store: Store) -> None:
        await store.append("lobby", "ann", "lunch?", account_id=ANN)
        await store.append("lobby", "ann", "no thread here", account_id=ANN)
        first = (await store.append("lobby", "bob", "yes", account_id=BOB, thread=1)).message
        last = (await store.append("lobby", "ann", "12:30", account_id=ANN, thread=1)).message
        gone = (await store.append("lobby", "bob", "oops", account_id=BOB, thread=1)).message
        await store.change("lobby", ChangeRequest(DELETE, gone.id, "bob", BOB))
        root, plain, *replies = await store.history("lobby")
        assert root.replies == ThreadSummary(2, last.id, last.ts)
        assert plain.replies is None and all(r.replies is None for r in replies)
        assert first.id in [r.id for r in replies]
        assert (await store.thread("lobby", 1))[0].replies == ThreadSummary(2, last.id, last.ts)

    run(store_factory(), scenario)


@pytest.mark.parametrize("why", ["missing", "deleted", "nested", "other room"])
def test_a_reply_to_no_root_is_refused_and_takes_no_id(store_factory: StoreFactory, why: str) -> None:
    """A thread whose root is no message of the room, a deleted one or a thread reply: bad_thread, no id."""

    async def scenario(store: Store) -> None:
        await store.append("lobby", "ann", "root", account_id=ANN)
        await store.append("lobby", "bob", "in it", account_id=BOB, thread=1)
        await store.append("elsewhere", "ann", "there", account_id=ANN)
        await store.append("elsewhere", "ann", "and there", account_id=ANN)
        root = {"missing": 99, "deleted": 1, "nested": 2, "other room": 3}[why]
        if why == "deleted":
            await store.change("lobby", ChangeRequest(DELETE, 1, "ann", ANN))
        last = await store.last_id("lobby")
        with pytest.raises(ChangeRefusedError) as refused:
            await store.append("lobby", "bob", "hm", account_id=BOB, thread=root)
        assert refused.value.code == BAD_THREAD
        assert await store.last_id("lobby") == last
        assert (await store.append("lobby", "bob", "next", account_id=BOB)).message.id == last + 1

    run(store_factory(), scenario)


def test_a_refused_reply_leaves_the_others_of_its_batch_stored(store_factory: StoreFactory) -> None:
    """Sent together, a reply to no root is refused and the messages around it are stored in order."""

    async def scenario(store: Store) -> None:
        await store.append("lobby", "ann", "root", account_id=ANN)
        sent = await asyncio.gather(
            store.append("lobby", "ann", "a", account_id=ANN, thread=1),
            store.append("lobby", "bob", "b", account_id=BOB, thread=42),
            store.append("lobby", "ann", "c", account_id=ANN),
            return_exceptions=True,
        )
        assert isinstance(sent[1], ChangeRefusedError) and sent[1].code == BAD_THREAD
        assert [(m.text, m.thread) for m in await store.history("lobby")] == [
            ("root", None),
            ("a", 1),
            ("c", None),
        ]

    run(store_factory(), scenario)


def test_a_thread_reads_its_root_and_replies_and_the_main_timeline_leaves_them_out(
    store_factory: StoreFactory,
) -> None:
    """``thread`` pages a root and its replies; ``top_history`` every message in no thread."""

    async def scenario(store: Store) -> None:
        await store.append("lobby", "ann", "root one", account_id=ANN)
        await store.append("lobby", "ann", "root two", account_id=ANN)
        for n in range(5):
            await store.append("lobby", "bob", f"one {n}", account_id=BOB, thread=1)
            await store.append("lobby", "bob", f"two {n}", account_id=BOB, thread=2)
        await store.append("lobby", "ann", "main", account_id=ANN)
        one = await store.thread("lobby", 1)
        assert [m.text for m in one] == ["root one", *[f"one {n}" for n in range(5)]]
        assert [m.text for m in await store.thread("lobby", 1, limit=2)] == ["one 3", "one 4"]
        older = await store.thread("lobby", 1, before=one[3].id, limit=10)
        assert [m.text for m in older] == ["root one", "one 0", "one 1"]
        assert [m.text for m in await store.thread("lobby", 1, after=1, limit=2, newest=False)] == [
            "one 0",
            "one 1",
        ]
        assert [m.text for m in await store.top_history("lobby")] == ["root one", "root two", "main"]
        assert [m.text for m in await store.top_history("lobby", limit=1)] == ["main"]
        assert [m.text for m in await store.top_history("lobby", before=12, limit=5)] == [
            "root one",
            "root two",
        ]
        assert await store.thread("lobby", 99) == []

    run(store_factory(), scenario)


def test_changes_to_a_thread_reply_work_as_on_any_message(store_factory: StoreFactory) -> None:
    """An edit of a reply keeps it in its thread; a deleted reply stays there, a tombstone."""

    async def scenario(store: Store) -> None:
        await store.append("lobby", "ann", "root", account_id=ANN)
        await store.append("lobby", "bob", "yes", account_id=BOB, thread=1)
        await store.change("lobby", ChangeRequest(EDIT, 2, "bob", BOB, text="yes!"))
        edited = (await store.thread("lobby", 1))[1]
        assert (edited.text, edited.thread, edited.edited is not None) == ("yes!", 1, True)
        await store.change("lobby", ChangeRequest(DELETE, 2, "bob", BOB))
        root, gone = await store.thread("lobby", 1)
        assert gone.deleted and gone.thread == 1 and root.replies is None

    run(store_factory(), scenario)


def test_the_schema_step_indexes_threads_on_both_dialects() -> None:
    """Step 32 adds the column and the (room, thread_id, id) index to both dialects."""
    assert v032_threads.STEP.version == 32
    for statements in (v032_threads.STEP.sqlite, v032_threads.STEP.postgres):
        assert any("thread_id" in s and "ADD COLUMN" in s for s in statements)
        assert any("ON messages (room, thread_id, id)" in s for s in statements)


def test_a_reply_also_sent_to_the_room_is_in_the_main_timeline_too(store_factory: StoreFactory) -> None:
    """``broadcast`` keeps a reply in its thread and in the main timeline; the others stay out of it."""

    async def scenario(store: Store) -> None:
        await store.append("lobby", "ann", "root", account_id=ANN)
        await store.append("lobby", "bob", "quiet", account_id=BOB, thread=1)
        loud = (await store.append("lobby", "bob", "loud", account_id=BOB, thread=1, broadcast=True)).message
        assert (loud.thread, loud.broadcast) == (1, True)
        assert [(m.text, m.broadcast) for m in await store.top_history("lobby")] == [
            ("root", False),
            ("loud", True),
        ]
        assert [m.text for m in await store.thread("lobby", 1)] == ["root", "quiet", "loud"]
        assert [m.broadcast for m in await store.history("lobby")] == [False, False, True]

    run(store_factory(), scenario)


def test_a_reply_sent_again_is_answered_with_its_thread(store_factory: StoreFactory) -> None:
    """A reply re-sent with the same ref and text is stored once, and answered naming its thread."""

    async def scenario(store: Store) -> None:
        await store.append("lobby", "ann", "root", account_id=ANN)
        first = await store.append("lobby", "bob", "yes", ref="r1", account_id=BOB, thread=1, broadcast=True)
        again = await store.append("lobby", "bob", "yes", ref="r1", account_id=BOB, thread=1, broadcast=True)
        assert (first.new, again.new) == (True, False)
        assert (again.message.id, again.message.thread, again.message.broadcast) == (2, 1, True)
        plain = await store.append("lobby", "bob", "plain", ref="r2", account_id=BOB)
        repeated = await store.append("lobby", "bob", "plain", ref="r2", account_id=BOB)
        assert (repeated.message.id, repeated.message.thread, repeated.message.broadcast) == (
            plain.message.id,
            None,
            False,
        )
        assert await store.last_id("lobby") == 3

    run(store_factory(), scenario)
