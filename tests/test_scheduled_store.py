"""Scheduled messages in the store, on SQLite and PostgreSQL: each person's own list, soonest first,
capped, claimed once when due, stored once by the message's own transaction, carried by an import."""

from __future__ import annotations

import asyncio

import pytest

from chatroom.store.base import Store
from chatroom.store.change_rules import GONE, ChangeRefusedError
from chatroom.store.records import OPEN, PERSON, ScheduledClaim, ScheduledMessage

from .stores import StoreFactory, added_through_both, run, run_on_two_nodes


def draft(account_id: int, text: str, at: int, **extra: object) -> ScheduledMessage:
    """A message to schedule in the lobby (the store gives its id)."""
    return ScheduledMessage(0, account_id, "lobby", text, at, 1, **extra)  # type: ignore[arg-type]


async def ann_in_lobby(store: Store) -> int:
    ann = await store.accounts.create_account("ann", PERSON)
    await store.accounts.create_room("lobby", OPEN, creator_id=ann.id)
    return ann.id


def claim(row: ScheduledMessage) -> ScheduledClaim:
    return ScheduledClaim(row.id, row.version)


def test_the_list_is_soonest_first_and_edits_raise_the_version(store_factory: StoreFactory) -> None:
    """Two list soonest first; an edit changes text or time and the version; a deletion forgets it."""

    async def scenario(store: Store) -> None:
        accounts, ann = store.accounts, await ann_in_lobby(store)
        later = await accounts.schedule_message(draft(ann, "later", 9000, reply_to=3), limit=10)
        threaded = draft(ann, "sooner", 5000, thread=2, broadcast=True)
        sooner = await accounts.schedule_message(threaded, limit=10)
        assert later is not None and sooner is not None
        assert (later.text, later.at, later.reply_to, later.version) == ("later", 9000, 3, 1)
        assert later.failure is None
        assert (sooner.thread, sooner.broadcast) == (2, True)
        assert await accounts.scheduled_messages(ann) == [sooner, later]
        edited = await accounts.edit_scheduled(ann, later.id, text="now this")
        assert edited is not None and (edited.text, edited.at, edited.version) == ("now this", 9000, 2)
        moved = await accounts.edit_scheduled(ann, later.id, at=1000)
        assert moved is not None and (moved.text, moved.at, moved.version) == ("now this", 1000, 3)
        assert [s.id for s in await accounts.scheduled_messages(ann)] == [later.id, sooner.id]
        assert await accounts.scheduled_message(ann, sooner.id) == sooner
        assert await accounts.delete_scheduled(ann, sooner.id)
        assert not await accounts.delete_scheduled(ann, sooner.id)
        assert await accounts.scheduled_message(ann, sooner.id) is None

    run(store_factory(), scenario)


def test_a_list_is_its_persons_own_and_capped(store_factory: StoreFactory) -> None:
    """Bob sees, edits and deletes none of ann's; past her limit a new one is refused (None)."""

    async def scenario(store: Store) -> None:
        accounts, ann = store.accounts, await ann_in_lobby(store)
        bob = (await accounts.create_account("bob", PERSON)).id
        first = await accounts.schedule_message(draft(ann, "one", 5000), limit=2)
        assert first is not None
        assert await accounts.schedule_message(draft(ann, "two", 5000), limit=2) is not None
        assert await accounts.schedule_message(draft(ann, "three", 5000), limit=2) is None
        assert await accounts.schedule_message(draft(bob, "his", 5000), limit=2) is not None
        assert await accounts.scheduled_message(bob, first.id) is None
        assert await accounts.edit_scheduled(bob, first.id, text="hijack") is None
        assert not await accounts.delete_scheduled(bob, first.id)
        assert [s.text for s in await accounts.scheduled_messages(ann)] == ["one", "two"]

    run(store_factory(), scenario)


def test_two_nodes_scheduling_at_once_never_pass_the_limit(shared_store_factory: StoreFactory) -> None:
    """One person's messages scheduled through two nodes at once stop at the limit."""

    async def scenario(left: Store, right: Store) -> None:
        ann = await ann_in_lobby(left)

        async def schedule(store: Store, n: int) -> object:
            return await store.accounts.schedule_message(draft(ann, f"later {n}", 5000), limit=5)

        assert await added_through_both(left, right, schedule) == 5
        assert len(await right.accounts.scheduled_messages(ann)) == 5

    run_on_two_nodes(shared_store_factory, scenario)


def test_due_rows_are_claimed_once_until_the_claim_lapses(store_factory: StoreFactory) -> None:
    """Only due rows are claimed; claimed, not again until the claim lapses; a failed one never."""

    async def scenario(store: Store) -> None:
        accounts, ann = store.accounts, await ann_in_lobby(store)
        due = await accounts.schedule_message(draft(ann, "due", 1000), limit=10)
        failed = await accounts.schedule_message(draft(ann, "failed", 1000), limit=10)
        await accounts.schedule_message(draft(ann, "later", 9000), limit=10)
        assert due is not None and failed is not None
        assert await accounts.mark_not_sent(failed.id, failed.version, "read_only")
        assert not await accounts.mark_not_sent(failed.id, failed.version + 1, "read_only")
        assert [s.text for s in await accounts.claim_due(2000, 2500, 10)] == ["due"]
        assert await accounts.claim_due(2100, 2600, 10) == []
        assert [s.text for s in await accounts.claim_due(2500, 3000, 10)] == ["due"]
        marked = await accounts.scheduled_message(ann, failed.id)
        assert marked is not None and marked.failure == "read_only"
        rescheduled = await accounts.edit_scheduled(ann, failed.id, at=2000)
        assert rescheduled is not None and rescheduled.failure is None
        assert [s.text for s in await accounts.claim_due(2000, 4000, 10)] == ["failed"]

    run(store_factory(), scenario)


def test_the_storing_transaction_takes_the_row_once(store_factory: StoreFactory) -> None:
    """The message is stored and its row gone; the same claim again, or an edited row's old one, stores
    nothing (gone); another member's message of the same batch is unaffected."""

    async def scenario(store: Store) -> None:
        accounts, ann = store.accounts, await ann_in_lobby(store)
        row = await accounts.schedule_message(draft(ann, "hello later", 1000), limit=10)
        edited = await accounts.schedule_message(draft(ann, "first words", 1000), limit=10)
        assert row is not None and edited is not None
        await accounts.edit_scheduled(ann, edited.id, text="second words")
        outcomes = await asyncio.gather(
            store.append("lobby", "ann", row.text, account_id=ann, scheduled=claim(row)),
            store.append("lobby", "ann", row.text, account_id=ann, scheduled=claim(row)),
            store.append("lobby", "bob", "unrelated"),
            store.append("lobby", "ann", edited.text, account_id=ann, scheduled=claim(edited)),
            return_exceptions=True,
        )
        assert [type(o).__name__ for o in outcomes] == [
            "Appended",
            "ChangeRefusedError",
            "Appended",
            "ChangeRefusedError",
        ]
        assert all(o.code == GONE for o in outcomes if isinstance(o, ChangeRefusedError))
        assert [m.text for m in await store.history("lobby")] == ["hello later", "unrelated"]
        assert [s.text for s in await accounts.scheduled_messages(ann)] == ["second words"]

    run(store_factory(), scenario)


def test_a_reply_in_a_thread_keeps_its_place_when_stored(store_factory: StoreFactory) -> None:
    """A scheduled thread reply is stored in its thread, also sent to the room, as written."""

    async def scenario(store: Store) -> None:
        accounts, ann = store.accounts, await ann_in_lobby(store)
        root = (await store.append("lobby", "ann", "the root")).message
        row = await accounts.schedule_message(draft(ann, "in the thread", 1000, thread=root.id), limit=10)
        assert row is not None
        stored = (await store.append("lobby", "ann", row.text, thread=root.id, scheduled=claim(row))).message
        assert (stored.thread, stored.text) == (root.id, "in the thread")

    run(store_factory(), scenario)


def test_two_nodes_claim_and_store_each_message_once(shared_store_factory: StoreFactory) -> None:
    """Two stores on one database claim at the same moment, again and again: each row goes to one claimer
    once (one that lost a race claims fewer, the rest at its next look); both storing the same row at once
    store one message."""

    async def scenario(left: Store, right: Store) -> None:
        ann = await ann_in_lobby(left)
        for n in range(20):
            await left.accounts.schedule_message(draft(ann, f"m{n}", 1000), limit=100)
        claimed: list[str] = []
        for _ in range(10):
            claims = await asyncio.gather(*(s.accounts.claim_due(2000, 9000, 7) for s in (left, right) * 2))
            claimed += [row.text for rows in claims for row in rows]
        assert sorted(claimed) == sorted(f"m{n}" for n in range(20))
        rows = await left.accounts.scheduled_messages(ann)
        sends = [
            store.append("lobby", "ann", row.text, account_id=ann, scheduled=claim(row))
            for row in rows
            for store in (left, right)
        ]
        outcomes = await asyncio.gather(*sends, return_exceptions=True)
        assert sum(not isinstance(o, BaseException) for o in outcomes) == 20
        assert all(isinstance(o, ChangeRefusedError) for o in outcomes if isinstance(o, BaseException))
        assert sorted(m.text for m in await right.history("lobby")) == sorted(f"m{n}" for n in range(20))
        assert await right.accounts.scheduled_messages(ann) == []

    run_on_two_nodes(shared_store_factory, scenario)


@pytest.mark.parametrize("failure", [None, "not_found"])
def test_an_import_keeps_text_time_and_failure(store_factory: StoreFactory, failure: str | None) -> None:
    """Imported rows list with their text, time, reply and failure, under new ids."""

    async def scenario(store: Store) -> None:
        accounts, ann = store.accounts, await ann_in_lobby(store)
        await accounts.import_scheduled([draft(ann, "kept", 7000, reply_to=4, failure=failure)])
        (row,) = await accounts.scheduled_messages(ann)
        assert (row.text, row.at, row.reply_to, row.failure, row.created_at) == ("kept", 7000, 4, failure, 1)
        assert await accounts.all_scheduled(after_id=0, limit=10) == [row]
        assert await accounts.all_scheduled(after_id=row.id, limit=10) == []

    run(store_factory(), scenario)
