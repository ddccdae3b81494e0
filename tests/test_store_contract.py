"""The Store contract, held against every store: what the server can observe must not depend on which."""

from __future__ import annotations

import asyncio
import random
import sqlite3
from collections.abc import Awaitable
from pathlib import Path

import pytest

from chatroom import protocol
from chatroom.backend import StoredMessage
from chatroom.events import DELETE, EDIT, REACTION, ReplyQuote
from chatroom.names import room_key
from chatroom.store import migrations
from chatroom.store.base import Appended, SchemaTooNewError, Store, StoreError
from chatroom.store.change_rules import (
    FORBIDDEN,
    MAX_EMOJIS,
    NO_MESSAGE,
    TOO_MANY_REACTIONS,
    ChangeRefusedError,
    ChangeRequest,
)
from chatroom.store.sqlite import SQLiteStore

from .stores import StoreFactory, run


def test_ids_start_at_one_and_follow_call_order(store_factory: StoreFactory) -> None:
    """Messages appended in order get ids 1, 2, 3... in that order, per room."""

    async def scenario(store: Store) -> None:
        assert await store.last_id("lobby") == 0
        results = await asyncio.gather(*[store.append("lobby", "alice", f"m{i}") for i in range(5)])
        assert [(r.message.id, r.message.text, r.new) for r in results] == [
            (i + 1, f"m{i}", True) for i in range(5)
        ]
        other = await store.append("elsewhere", "alice", "x")
        assert other.message.id == 1
        assert await store.last_id("lobby") == 5

    run(store_factory(), scenario)


def test_history_pages(store_factory: StoreFactory) -> None:
    """Newest pages, pages before an id and forward pages after an id hold the same messages."""

    async def scenario(store: Store) -> None:
        await asyncio.gather(*[store.append("lobby", "bob", f"text {i}") for i in range(1, 31)])

        def ids(messages: list[StoredMessage]) -> list[int]:
            return [m.id for m in messages]

        assert ids(await store.history("lobby", limit=10)) == list(range(21, 31))
        assert ids(await store.history("lobby", before=21, limit=10)) == list(range(11, 21))
        assert ids(await store.history("lobby", after=5, limit=3, newest=False)) == [6, 7, 8]
        assert ids(await store.history("lobby", after=5, before=9)) == [6, 7, 8]
        assert (await store.history("lobby", limit=1))[0].text == "text 30"

    run(store_factory(), scenario)


def test_a_resend_is_stored_once(store_factory: StoreFactory) -> None:
    """The same room, sender (case-insensitively), ref and text resolve to the first message."""

    async def scenario(store: Store) -> None:
        first = await store.append("lobby", "Alice", "hi", ref="1")
        again = await store.append("lobby", "alice", "hi", ref="1")
        other_text = await store.append("lobby", "alice", "hello", ref="1")
        no_ref = await store.append("lobby", "alice", "hi")
        assert (again.message, again.new) == (first.message, False)
        assert other_text.new and other_text.message.id == 2
        assert no_ref.new and no_ref.message.id == 3
        together = await asyncio.gather(
            store.append("lobby", "bob", "x", ref="r"), store.append("lobby", "bob", "x", ref="r")
        )
        assert together[0].message == together[1].message and [r.new for r in together] == [True, False]

    run(store_factory(), scenario)


def test_a_resent_reply_resolves_to_the_whole_first_message(store_factory: StoreFactory) -> None:
    """A resend of a reply answers the first message as stored: its quote, author and bot mark with it,
    whether it comes in a later batch or beside the first in one."""

    async def scenario(store: Store) -> None:
        question = await store.append("lobby", "ann", "deploy now?")

        def reply(ref: str) -> Awaitable[Appended]:
            return store.append(
                "lobby", "ci", "deployed", ref=ref, bot=True, account_id=7, reply_to=question.message.id
            )

        first = await reply("r1")
        assert first.message.reply_to is not None and first.message.reply_to.text == "deploy now?"
        again = await reply("r1")
        assert (again.message, again.new) == (first.message, False)
        together = await asyncio.gather(reply("r2"), reply("r2"))
        assert together[0].message == together[1].message and [r.new for r in together] == [True, False]
        assert together[1].message.reply_to == first.message.reply_to

    run(store_factory(), scenario)


def test_bot_messages_keep_their_mark(store_factory: StoreFactory) -> None:
    """A bot's message is stored with its mark; a person's has none."""

    async def scenario(store: Store) -> None:
        await store.append("lobby", "ci", "build passed", bot=True)
        await store.append("lobby", "ann", "thanks")
        assert [(m.nick, m.bot) for m in await store.history("lobby")] == [("ci", True), ("ann", False)]
        assert protocol.frame_of((await store.history("lobby"))[0])["bot"] is True
        assert "bot" not in protocol.frame_of((await store.history("lobby"))[1])

    run(store_factory(), scenario)


def test_rooms_page_by_name_and_prefix(store_factory: StoreFactory) -> None:
    """The rooms list is paged in code point order, filtered by prefix."""

    async def scenario(store: Store) -> None:
        for room in ["b", "a", "ab", "é", "ac"]:
            await store.append(room, "ann", "x")
        assert [r.room for r in await store.rooms()] == ["a", "ab", "ac", "b", "é"]
        assert [r.room for r in await store.rooms(prefix="a", after="a", limit=1)] == ["ab"]
        assert [(r.room, r.last_id) for r in await store.rooms(prefix="é")] == [("é", 1)]

    run(store_factory(), scenario)


def test_rooms_page_in_code_point_order_beyond_ascii(store_factory: StoreFactory) -> None:
    """Paging by name and prefix agrees with Python's order whatever the database's collation.

    (The tests' PostgreSQL has an ICU English default collation, where "a" < "B" < "é" < "f".)
    """
    names = ["Zulu", "alpha", "Alpha", "éclair", "eclair", "Éclair", "z", "ß", "日本", "𝔘x", "a-b", "a.b"]
    names += ["a_b", "a0", "ab", "a", "Ω", "ω", "1", "Ａ"]

    async def scenario(store: Store) -> None:
        for name in random.Random(3).sample(names, len(names)):
            await store.append(name, "ann", "x")
        paged: list[str] = []
        while page := await store.rooms(after=paged[-1] if paged else "", limit=3):
            paged += [row.room for row in page]
        assert paged == sorted(names)
        for prefix in ["a", "A", "é", "日", "𝔘", "ω"]:
            assert [r.room for r in await store.rooms(prefix=prefix)] == sorted(
                name for name in names if name.startswith(prefix)
            )
        assert [r.room for r in await store.rooms(prefix="a", after="a.b", limit=2)] == ["a0", "a_b"]

    run(store_factory(), scenario)


def test_look_alike_keys_of_rooms_with_history(store_factory: StoreFactory) -> None:
    """A room with history holds its look-alike key."""

    async def scenario(store: Store) -> None:
        assert await store.room_holding(room_key("lobby")) is None
        await store.append("lobby", "ann", "x")
        assert await store.room_holding(room_key("Iobby")) == "lobby"

    run(store_factory(), scenario)


def test_import_keeps_ids_and_refuses_overlap(store_factory: StoreFactory) -> None:
    """Imported messages keep their ids and times; new ones continue after them."""

    async def scenario(store: Store) -> None:
        old = [StoredMessage(i, "lobby", "ann", f"t{i}", 1000 + i, i == 2) for i in (1, 2, 5)]
        assert await store.import_messages(old) == 3
        assert await store.export_messages("lobby", 0, 10) == old
        assert (await store.append("lobby", "ann", "next")).message.id == 6
        with pytest.raises(StoreError):
            await store.import_messages([StoredMessage(6, "lobby", "ann", "again", 1, False)])

    run(store_factory(), scenario)


def test_room_names_page_through_rooms_with_history(store_factory: StoreFactory) -> None:
    """Export pages room names in code point order after a cursor, non-ASCII names included."""

    async def scenario(store: Store) -> None:
        names = ["Zed", "café", "lobby", "日本語", "кухня", "a-1"]
        for name in names:
            await store.append(name, "ann", "x")
        pages: list[list[str]] = []
        after = ""
        while page := await store.room_names(after, 4):
            pages.append(page)
            after = page[-1]
        assert pages == [sorted(names)[:4], sorted(names)[4:]]

    run(store_factory(), scenario)


def test_an_empty_database_may_adopt_an_epoch(store_factory: StoreFactory) -> None:
    """A database without messages takes another epoch; once it holds one it refuses and keeps its own."""

    async def scenario(store: Store) -> None:
        await store.adopt_epoch("kept-epoch")
        assert await store.epoch() == "kept-epoch"
        await store.append("lobby", "ann", "x")
        with pytest.raises(StoreError):
            await store.adopt_epoch("another")
        assert await store.epoch() == "kept-epoch"

    run(store_factory(), scenario)


def test_closed_store_refuses(store_factory: StoreFactory) -> None:
    """After close, appends fail with StoreError rather than hang."""

    async def main() -> None:
        store = store_factory()
        await store.start()
        await store.close()
        with pytest.raises(StoreError):
            await store.append("lobby", "ann", "late")

    asyncio.run(main())


def test_a_started_store_is_healthy_until_closed(store_factory: StoreFactory) -> None:
    """Once started (the write probe ran) the store is healthy; once closed it is not."""

    async def main() -> None:
        store = store_factory()
        await store.start()
        assert await store.healthy()
        await store.append("lobby", "ann", "x")
        assert await store.healthy()
        await store.close()
        assert not await store.healthy()

    asyncio.run(main())


# --- SQLite files: the release format, epochs, newer schemas -------------------


RELEASE_SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE rooms (room TEXT PRIMARY KEY, last_id INTEGER NOT NULL);
CREATE TABLE messages (room TEXT NOT NULL, id INTEGER NOT NULL, nick TEXT NOT NULL,
    message TEXT NOT NULL, ts INTEGER NOT NULL, PRIMARY KEY (room, id)) WITHOUT ROWID;
CREATE TABLE sent (digest BLOB PRIMARY KEY, room TEXT NOT NULL, id INTEGER NOT NULL,
    ts INTEGER NOT NULL) WITHOUT ROWID;
CREATE INDEX sent_by_ts ON sent (ts);
INSERT INTO meta VALUES ('epoch', 'release-epoch');
INSERT INTO rooms VALUES ('lobby', 2);
INSERT INTO messages VALUES ('lobby', 1, 'ann', 'first', 1000), ('lobby', 2, 'bob', 'second', 2000);
"""


def test_a_release_database_keeps_its_history(tmp_path: Path) -> None:
    """A chatroom.db written before schema versions opens, keeps history and epoch, and goes on."""
    path = tmp_path / "chatroom.db"
    with sqlite3.connect(path) as conn:
        conn.executescript(RELEASE_SCHEMA)

    async def scenario(store: Store) -> None:
        assert await store.epoch() == "release-epoch"
        assert [(m.id, m.text, m.bot) for m in await store.history("lobby")] == [
            (1, "first", False),
            (2, "second", False),
        ]
        assert (await store.append("lobby", "ann", "third")).message.id == 3
        assert await store.room_holding(room_key("lobby")) == "lobby"

    run(SQLiteStore(str(path)), scenario)
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone() == (
            str(migrations.LATEST),
        )


def test_a_newer_database_refuses_to_start(tmp_path: Path) -> None:
    """A database from a newer chatroom is refused with a one-line reason."""
    path = tmp_path / "chatroom.db"
    run(SQLiteStore(str(path)), lambda store: asyncio.sleep(0))
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", (str(migrations.LATEST + 1),))

    async def main() -> None:
        with pytest.raises(SchemaTooNewError, match="newer than this chatroom"):
            await SQLiteStore(str(path)).start()

    asyncio.run(main())


def test_the_epoch_survives_a_restart(tmp_path: Path) -> None:
    """The epoch is the database's: the same after reopening, different for a new file."""
    epochs: list[str] = []

    async def remember(store: Store) -> None:
        epochs.append(await store.epoch())

    run(SQLiteStore(str(tmp_path / "a.db")), remember)
    run(SQLiteStore(str(tmp_path / "a.db")), remember)
    run(SQLiteStore(str(tmp_path / "b.db")), remember)
    assert epochs[0] == epochs[1] != epochs[2]


# --- changes to messages -------------------------------------------------------------------

ANN, BOB, ADMIN = 1, 2, 3


def edit(target: int, text: str, account: int = ANN, nick: str = "ann") -> ChangeRequest:
    """Ann's (by default) edit of ``target``."""
    return ChangeRequest(EDIT, target, nick, account, text=text)


def react(target: int, emoji: str, on: bool, account: int = ANN, nick: str = "ann") -> ChangeRequest:
    """A reaction put on (or taken back from) ``target``."""
    return ChangeRequest(REACTION, target, nick, account, emoji=emoji, on=on)


async def raw_texts(store: Store) -> list[str]:
    """Every text the database holds in messages and changes, read past the store's contract."""
    sql = "SELECT message FROM messages UNION ALL SELECT text FROM changes"
    if isinstance(store, SQLiteStore):
        rows = await store._read(lambda conn: conn.execute(sql).fetchall())
    else:
        rows = await store._fetch(sql)  # type: ignore[attr-defined]
    return [str(row[0]) for row in rows]


def test_changes_take_the_rooms_next_ids(store_factory: StoreFactory) -> None:
    """An edit takes the id after the last message, and the next message the one after it."""

    async def scenario(store: Store) -> None:
        first = await store.append("lobby", "ann", "helo", account_id=ANN)
        await store.append("lobby", "bob", "hi", account_id=BOB)
        changed = await store.change("lobby", edit(first.message.id, "hello"))
        after = await store.append("lobby", "bob", "again", account_id=BOB)
        assert changed.change is not None and changed.change.id == 3
        assert (changed.change.kind, changed.change.target, changed.change.text) == (EDIT, 1, "hello")
        assert after.message.id == 4 and await store.last_id("lobby") == 4
        shown = (await store.history("lobby"))[0]
        assert (shown.text, shown.edited) == ("hello", changed.change.ts)
        assert [c.id for c in await store.changes("lobby", after=0)] == [3]
        assert [item.id for item in await store.sequence_after("lobby", 1, 10)] == [2, 3, 4]

    run(store_factory(), scenario)


def test_a_deletion_takes_the_text_out_of_the_store(store_factory: StoreFactory) -> None:
    """Deleting empties the message and every edit of it; history shows a tombstone."""

    async def scenario(store: Store) -> None:
        await store.append("lobby", "ann", "secret one", account_id=ANN)
        await store.change("lobby", edit(1, "secret two"))
        await store.change("lobby", react(1, "👍", True, BOB, "bob"))
        deleted = await store.change("lobby", ChangeRequest(DELETE, 1, "ann", ANN))
        assert deleted.change is not None and deleted.change.id == 4
        shown = (await store.history("lobby"))[0]
        assert (shown.deleted, shown.text, shown.reactions) == (True, "", ())
        assert not any("secret" in text for text in await raw_texts(store))
        assert [(c.kind, c.text) for c in await store.changes("lobby", after=0)] == [
            (EDIT, ""),
            (REACTION, ""),
            (DELETE, ""),
        ]
        again = await store.change("lobby", ChangeRequest(DELETE, 1, "ann", ANN))
        assert again.change is None and await store.last_id("lobby") == 4

    run(store_factory(), scenario)


def test_reactions_toggle_per_person(store_factory: StoreFactory) -> None:
    """A second "on" changes nothing and takes no id; history lists who reacted, in order."""

    async def scenario(store: Store) -> None:
        await store.append("lobby", "ann", "party", account_id=ANN)
        first = await store.change("lobby", react(1, "🎉", True, BOB, "bob"))
        twice = await store.change("lobby", react(1, "🎉", True, BOB, "bob"))
        await store.change("lobby", react(1, "🎉", True))
        await store.change("lobby", react(1, "👍", True))
        assert first.change is not None and first.change.on and twice.change is None
        assert await store.last_id("lobby") == 4
        reactions = (await store.history("lobby"))[0].reactions
        assert [(r.emoji, r.nicks) for r in reactions] == [("🎉", ("bob", "ann")), ("👍", ("ann",))]
        off = await store.change("lobby", react(1, "🎉", False, BOB, "bob"))
        off_again = await store.change("lobby", react(1, "🎉", False, BOB, "bob"))
        assert off.change is not None and not off.change.on and off_again.change is None
        reactions = (await store.history("lobby"))[0].reactions
        assert [(r.emoji, r.nicks) for r in reactions] == [("🎉", ("ann",)), ("👍", ("ann",))]

    run(store_factory(), scenario)


def test_a_message_holds_at_most_twenty_different_emoji(store_factory: StoreFactory) -> None:
    """Past MAX_EMOJIS different emoji a new one is refused and takes no id; one already there is not."""

    async def scenario(store: Store) -> None:
        await store.append("lobby", "ann", "vote", account_id=ANN)
        for index in range(MAX_EMOJIS):
            await store.change("lobby", react(1, chr(0x1F600 + index), True, BOB, "bob"))
        last = await store.last_id("lobby")
        with pytest.raises(ChangeRefusedError) as refused:
            await store.change("lobby", react(1, "\u2605", True))
        assert refused.value.code == TOO_MANY_REACTIONS and await store.last_id("lobby") == last
        added = await store.change("lobby", react(1, chr(0x1F600), True))
        assert added.change is not None and added.change.id == last + 1
        taken_back = await store.change("lobby", react(1, chr(0x1F601), False, BOB, "bob"))
        assert taken_back.change is not None
        again = await store.change("lobby", react(1, "\u2605", True))
        assert again.change is not None
        reactions = (await store.history("lobby"))[0].reactions
        assert len(reactions) == MAX_EMOJIS and reactions[0].nicks == ("bob", "ann")

    run(store_factory(), scenario)


def test_changes_are_refused_by_the_rules(store_factory: StoreFactory) -> None:
    """Others' messages, missing, deleted or change ids are refused with their code and take no id."""

    async def scenario(store: Store) -> None:
        await store.append("lobby", "ann", "mine", account_id=ANN)
        await store.append("lobby", "guest-1", "a guest's", guest=True)
        await store.change("lobby", edit(1, "still mine"))  # id 3, a change
        await store.append("lobby", "ann", "gone", account_id=ANN)
        await store.change("lobby", ChangeRequest(DELETE, 4, "ann", ANN))  # id 5
        refusals = [
            (edit(1, "bob's now", BOB, "bob"), FORBIDDEN),
            (ChangeRequest(DELETE, 1, "bob", BOB), FORBIDDEN),
            (ChangeRequest(DELETE, 2, "ann", ANN), FORBIDDEN),
            (edit(4, "back"), NO_MESSAGE),
            (react(4, "👍", True), NO_MESSAGE),
            (react(3, "👍", True), NO_MESSAGE),
            (edit(99, "nothing"), NO_MESSAGE),
        ]
        for request, code in refusals:
            with pytest.raises(ChangeRefusedError) as refused:
                await store.change("lobby", request)
            assert refused.value.code == code, request
        with pytest.raises(ChangeRefusedError) as refused:
            await store.change("elsewhere", edit(1, "another room"))
        assert refused.value.code == NO_MESSAGE
        assert await store.last_id("lobby") == 5
        by_admin = await store.change("lobby", ChangeRequest(DELETE, 2, "root", ADMIN, any_author=True))
        assert by_admin.change is not None and by_admin.change.nick == "root"

    run(store_factory(), scenario)


def test_a_refused_change_leaves_its_batch_alone(store_factory: StoreFactory) -> None:
    """Messages and changes queued together keep their order; a refusal fails only itself."""

    async def scenario(store: Store) -> None:
        await store.append("lobby", "ann", "one", account_id=ANN)
        outcomes = await asyncio.gather(
            store.append("lobby", "bob", "two", account_id=BOB),
            store.change("lobby", edit(1, "bob may not", BOB, "bob")),
            store.change("lobby", edit(1, "ONE")),
            store.append("lobby", "bob", "three", account_id=BOB, reply_to=42),
            store.append("lobby", "bob", "four", account_id=BOB),
            return_exceptions=True,
        )
        assert isinstance(outcomes[1], ChangeRefusedError) and isinstance(outcomes[3], ChangeRefusedError)
        assert [await store.last_id("lobby")] == [4]
        ids = [item.id for item in await store.sequence_after("lobby", 0, 10)]
        assert ids == [1, 2, 3, 4]
        assert [m.text for m in await store.history("lobby")] == ["ONE", "two", "four"]

    run(store_factory(), scenario)


def test_replies_quote_their_original_as_it_is(store_factory: StoreFactory) -> None:
    """A reply names its original; once that is deleted, the quote has no text."""

    async def scenario(store: Store) -> None:
        await store.append("lobby", "ann", "question?", account_id=ANN)
        reply = await store.append("lobby", "bob", "answer", account_id=BOB, reply_to=1)
        assert reply.message.reply_to == ReplyQuote(1, "ann", "question?")
        with pytest.raises(ChangeRefusedError):
            await store.append("lobby", "bob", "to a change", reply_to=3)
        await store.change("lobby", edit(1, "better question?"))
        assert (await store.history("lobby"))[1].reply_to == ReplyQuote(1, "ann", "better question?")
        await store.change("lobby", ChangeRequest(DELETE, 1, "ann", ANN))
        assert (await store.history("lobby"))[1].reply_to == ReplyQuote(1, "ann", None)
        assert (await store.history("lobby"))[1].account_id == BOB

    run(store_factory(), scenario)


def test_changes_since_and_before(store_factory: StoreFactory) -> None:
    """changes() pages by id like history: after, before, newest or oldest first."""

    async def scenario(store: Store) -> None:
        await store.append("lobby", "ann", "m", account_id=ANN)
        for i in range(5):
            await store.change("lobby", edit(1, f"m{i}"))
        assert [c.id for c in await store.changes("lobby", after=2)] == [3, 4, 5, 6]
        assert [c.id for c in await store.changes("lobby", after=0, before=5, limit=2)] == [3, 4]
        assert [c.id for c in await store.changes("lobby", after=0, limit=2, newest=False)] == [2, 3]

    run(store_factory(), scenario)


def test_an_accounts_messages_and_reactions_are_found_in_every_room(store_factory: StoreFactory) -> None:
    """messages_of lists one account's messages not deleted, in every room, by room and id, up to a
    limit: nobody else's, a guest's of the same nick neither; reactions_of its reactions alike."""

    async def scenario(store: Store) -> None:
        for room, nick, account in [("b", "troll", 7), ("a", "troll", 7), ("a", "ann", 8), ("b", "troll", 7)]:
            await store.append(room, nick, "words", account_id=account)
        await store.append("a", "troll", "a guest's", guest=True)
        await store.change("b", ChangeRequest(DELETE, 1, "troll", 7))
        assert await store.messages_of(7, limit=10) == [("a", 1), ("b", 2)]
        assert await store.messages_of(7, limit=1) == [("a", 1)]
        assert await store.messages_of(9, limit=10) == []
        await store.change("a", ChangeRequest(REACTION, 2, "troll", 7, emoji="\U0001f595", on=True))
        await store.change("b", ChangeRequest(REACTION, 2, "troll", 7, emoji="\U0001f4a9", on=True))
        await store.change("b", ChangeRequest(REACTION, 2, "ann", 8, emoji="\U0001f4a9", on=True))
        assert await store.reactions_of(7, limit=10) == [
            ("a", 2, "\U0001f595", "troll"),
            ("b", 2, "\U0001f4a9", "troll"),
        ]
        assert await store.reactions_of(7, limit=1) == [("a", 2, "\U0001f595", "troll")]
        assert await store.reactions_of(9, limit=10) == []

    run(store_factory(), scenario)
