"""The Backend contract, held against every store with every bus.

Whatever the handlers can observe — ids, history pages, events, presence —
must not depend on which backend a deployment runs.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Awaitable, Callable, Iterator, Sequence
from pathlib import Path

import pytest

from chatroom import protocol
from chatroom.backend import Backend, BackendError, PresenceEvent, StoredChange, StoredMessage, TypingEvent
from chatroom.bus.base import Bus, account_owner, connection_owner, guest_owner
from chatroom.bus.local import LocalBus
from chatroom.bus.redis import RedisBus
from chatroom.events import EDIT
from chatroom.service import ChatService
from chatroom.store import postgres as postgres_store
from chatroom.store import sqlite as sqlite_store
from chatroom.store.base import Store
from chatroom.store.change_rules import ChangeRequest
from chatroom.store.postgres import PostgresStore
from chatroom.store.sqlite import SQLiteStore

from .redis_server import RedisServer
from .support import Collector

Scenario = Callable[[Backend], Awaitable[None]]


@pytest.fixture(scope="module")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    """One redis-server for the module; each test keeps to a key prefix of its own."""
    server = RedisServer(Path(tmp_path_factory.mktemp("redis"))).start()
    yield server
    server.stop()


COMBINATIONS = ["sqlite+local", "sqlite+redis", "postgres+local", "postgres+redis"]


def store_maker(request: pytest.FixtureRequest, kind: str, sqlite_path: str) -> Callable[[], Store]:
    """Stores of ``kind`` that all open one database (a SQLite path, or one PostgreSQL schema)."""
    if kind == "sqlite":
        return lambda: SQLiteStore(sqlite_path)
    url = request.getfixturevalue("postgres_server").lend_schema(request)
    return lambda: PostgresStore(url)


def bus_maker(request: pytest.FixtureRequest, kind: str) -> Callable[[], Bus]:
    """Buses of ``kind`` that all belong to one deployment (one Redis key prefix)."""
    if kind == "local":
        return LocalBus
    server: RedisServer = request.getfixturevalue("redis_server")
    prefix = f"test-{secrets.token_hex(4)}:"
    return lambda: RedisBus(server.url, prefix=prefix)


@pytest.fixture(params=COMBINATIONS)
def make_backend(request: pytest.FixtureRequest) -> Callable[[], Backend]:
    """A factory of unstarted services of one store and one bus."""
    store_kind, bus_kind = request.param.split("+")
    make_store = store_maker(request, store_kind, ":memory:")
    make_bus = bus_maker(request, bus_kind)
    return lambda: ChatService(make_store(), make_bus())


def run(backend: Backend, scenario: Scenario) -> None:
    """Start the backend, play the scenario, close the backend."""

    async def main() -> None:
        await backend.start()
        try:
            await scenario(backend)
        finally:
            await backend.close()

    asyncio.run(main())


def test_ids_start_at_one_and_follow_call_order(make_backend: Callable[[], Backend]) -> None:
    """Messages published in order get ids 1, 2, 3... in that order, and last_id follows."""

    async def scenario(backend: Backend) -> None:
        assert await backend.last_id("lobby") == 0
        pending = [backend.publish("lobby", "alice", f"m{i}") for i in range(5)]
        stored = await asyncio.gather(*pending)
        assert [(m.id, m.text) for m in stored] == [(i + 1, f"m{i}") for i in range(5)]
        assert await backend.last_id("lobby") == 5
        assert await backend.last_id("elsewhere") == 0

    run(make_backend(), scenario)


def test_a_join_reads_the_newest_messages_or_what_came_after_its_since(
    make_backend: Callable[[], Backend],
) -> None:
    """read_room: last id, epoch, one more than asked, the changes after a since; nothing past the end."""

    async def scenario(backend: Backend) -> None:
        epoch = await backend.epoch("lobby")
        empty = await backend.read_room("lobby", after=None, limit=50)
        assert (empty.last_id, empty.epoch, empty.messages, empty.changes) == (0, epoch, [], None)
        stored = await asyncio.gather(
            *(backend.publish("lobby", "ann", f"m{i}", account_id=1) for i in range(5))
        )
        await backend.change("lobby", ChangeRequest(EDIT, stored[0].id, "ann", 1, text="edited"))
        newest = await backend.read_room("lobby", after=None, limit=2)
        assert (newest.last_id, [m.id for m in newest.messages], newest.changes) == (6, [3, 4, 5], None)
        since = await backend.read_room("lobby", after=2, limit=50)
        assert [m.id for m in since.messages] == [3, 4, 5]
        assert [c.id for c in since.changes or []] == [6]
        for after in (6, 500):
            caught_up = await backend.read_room("lobby", after=after, limit=50)
            assert (caught_up.last_id, caught_up.messages, caught_up.changes) == (6, [], [])

    run(make_backend(), scenario)


def test_rooms_count_separately(make_backend: Callable[[], Backend]) -> None:
    """Each room has its own id sequence."""

    async def scenario(backend: Backend) -> None:
        first = await backend.publish("a", "alice", "one")
        second = await backend.publish("b", "alice", "one")
        third = await backend.publish("a", "alice", "two")
        assert (first.id, second.id, third.id) == (1, 1, 2)

    run(make_backend(), scenario)


def test_history_pages_like_the_handlers_use_them(make_backend: Callable[[], Backend]) -> None:
    """Newest pages, pages before an id, and forward pages after an id hold the same messages."""

    async def scenario(backend: Backend) -> None:
        await asyncio.gather(*[backend.publish("lobby", "bob", f"text {i}") for i in range(1, 31)])

        def ids(messages: list[StoredMessage]) -> list[int]:
            return [m.id for m in messages]

        assert ids(await backend.history("lobby", limit=10)) == list(range(21, 31))
        assert ids(await backend.history("lobby", before=21, limit=10)) == list(range(11, 21))
        assert ids(await backend.history("lobby", after=5, limit=3, newest=False)) == [6, 7, 8]
        assert ids(await backend.history("lobby", after=5, before=9)) == [6, 7, 8]
        assert ids(await backend.history("lobby", after=28)) == [29, 30]
        assert ids(await backend.history("lobby", before=1)) == []
        assert ids(await backend.history("lobby", after=30)) == []
        assert await backend.history("nowhere") == []
        message = (await backend.history("lobby", after=6, before=8))[0]
        assert (message.id, message.room, message.nick, message.text) == (7, "lobby", "bob", "text 7")
        assert message.ts > 0

    run(make_backend(), scenario)


def test_history_keeps_any_unicode_text(make_backend: Callable[[], Backend]) -> None:
    """Text comes back exactly as stored: scripts, emoji, newlines, tabs."""

    async def scenario(backend: Backend) -> None:
        text = "héllo 世界 🎉\nline two\tand a tab"
        await backend.publish("salle-1", "Zoë", text)
        [message] = await backend.history("salle-1")
        assert (message.nick, message.text) == ("Zoë", text)

    run(make_backend(), scenario)


def test_subscriber_gets_every_message_once_in_id_order(make_backend: Callable[[], Backend]) -> None:
    """Concurrent senders: the subscriber sees ids 1..N once each, every sender's own in order."""

    async def scenario(backend: Backend) -> None:
        sink = Collector()
        await backend.subscribe("lobby", sink)

        async def sender(nick: str) -> None:
            for i in range(10):
                backend.publish("lobby", nick, str(i))
                await asyncio.sleep(0)

        await asyncio.gather(*[sender(f"user{n}") for n in range(4)])
        await sink.wait_for(lambda s: len(s.messages()) >= 40)
        messages = sink.messages()
        assert [m.id for m in messages] == list(range(1, 41))
        for n in range(4):
            own = [m.text for m in messages if m.nick == f"user{n}"]
            assert own == [str(i) for i in range(10)]

    run(make_backend(), scenario)


def test_messages_committed_together_reach_a_subscriber_together(make_backend: Callable[[], Backend]) -> None:
    """Messages sent at once are stored in few commits, each reaching this process in one delivery."""

    async def scenario(backend: Backend) -> None:
        deliveries: list[list[StoredMessage]] = []

        def sink(events: Sequence[object]) -> None:
            stored = [e for e in events if isinstance(e, StoredMessage)]
            if stored:
                deliveries.append(stored)

        await backend.subscribe("lobby", sink)
        await asyncio.gather(*[backend.publish("lobby", "ann", str(i)) for i in range(20)])
        deadline = asyncio.get_running_loop().time() + 10
        while sum(map(len, deliveries)) < 20 and asyncio.get_running_loop().time() < deadline:
            await asyncio.sleep(0.01)
        assert [m.text for delivery in deliveries for m in delivery] == [str(i) for i in range(20)]
        assert len(deliveries) < 20

    run(make_backend(), scenario)


def test_presence_is_case_insensitive_and_announced(make_backend: Callable[[], Backend]) -> None:
    """A nick is taken whatever its case; joins and leaves carry the count after them."""

    async def scenario(backend: Backend) -> None:
        sink = Collector()
        await backend.subscribe("lobby", sink)
        assert await backend.reserve("lobby", "Alice") == ["Alice"]
        assert await backend.reserve("lobby", "ALICE") is None
        assert sorted(await backend.reserve("lobby", "bob") or []) == ["Alice", "bob"]
        assert await backend.reserve("other", "alice") == ["alice"]
        await backend.announce_join("lobby", "Alice")
        await backend.announce_join("lobby", "bob")
        await backend.release("lobby", "bob", announce=True)
        await backend.release("lobby", "Alice", announce=False)
        await backend.reserve("lobby", "carol")
        await backend.announce_join("lobby", "carol")
        await sink.wait_for(lambda s: len(s.presence()) >= 4)
        assert sink.presence() == [
            ("join", "Alice", 2),
            ("join", "bob", 2),
            ("leave", "bob", 1),
            ("join", "carol", 1),
        ]
        assert await backend.reserve("lobby", "alice") is not None

    run(make_backend(), scenario)


def test_typing_reaches_subscribers(make_backend: Callable[[], Backend]) -> None:
    """Typing goes to the room's subscribers and is not stored."""

    async def scenario(backend: Backend) -> None:
        sink = Collector()
        await backend.subscribe("lobby", sink)
        await backend.typing("lobby", "alice")
        await sink.wait_for(lambda s: bool(s.events))
        assert sink.events == [TypingEvent("lobby", "alice")]
        assert await backend.last_id("lobby") == 0

    run(make_backend(), scenario)


def test_unsubscribed_room_is_not_delivered(make_backend: Callable[[], Backend]) -> None:
    """After unsubscribe the old sink hears nothing; a new subscription hears what follows."""

    async def scenario(backend: Backend) -> None:
        old, new = Collector(), Collector()
        await backend.subscribe("lobby", old)
        await backend.publish("lobby", "alice", "one")
        await old.wait_for(lambda s: len(s.messages()) == 1)
        await backend.unsubscribe("lobby")
        await backend.publish("lobby", "alice", "two")
        await backend.subscribe("lobby", new)
        await backend.publish("lobby", "alice", "three")
        await new.wait_for(lambda s: len(s.messages()) >= 1)
        assert [m.text for m in old.messages()] == ["one"]
        assert [m.text for m in new.messages()] == ["three"]

    run(make_backend(), scenario)


def test_epoch_is_stable(make_backend: Callable[[], Backend]) -> None:
    """A room's epoch does not change while its sequence goes on."""

    async def scenario(backend: Backend) -> None:
        before = await backend.epoch("lobby")
        await backend.publish("lobby", "alice", "hi")
        assert before and await backend.epoch("lobby") == before

    run(make_backend(), scenario)


def test_rooms_lists_history_and_presence(make_backend: Callable[[], Backend]) -> None:
    """Rooms with history or members are listed, with their counts and last ids."""

    async def scenario(backend: Backend) -> None:
        await backend.publish("alpha", "alice", "hi")
        await backend.publish("alpha", "alice", "again")
        await backend.reserve("beta", "bob")
        rooms = [(r.room, r.online, r.last_id) for r in await backend.rooms()]
        assert rooms == [("alpha", 0, 2), ("beta", 1, 0)]
        await backend.release("beta", "bob", announce=False)
        assert [r.room for r in await backend.rooms()] == ["alpha"]

    run(make_backend(), scenario)


def test_rooms_page_by_name_from_a_cursor(make_backend: Callable[[], Backend]) -> None:
    """Pages follow name order from ``after``, mixing rooms with history and rooms with members."""

    async def scenario(backend: Backend) -> None:
        await asyncio.gather(*[backend.publish(f"r{i:02d}", "alice", "hi") for i in range(0, 20, 2)])
        for i in range(1, 20, 2):
            await backend.reserve(f"r{i:02d}", "bob")
        await backend.reserve("r04", "carol")  # history and a member: listed once
        pages, after = [], ""
        while True:
            page = await backend.rooms(after=after, limit=6)
            pages.append([r.room for r in page])
            if len(page) < 6:
                break
            after = page[-1].room
        assert pages == [
            [f"r{i:02d}" for i in range(0, 6)],
            [f"r{i:02d}" for i in range(6, 12)],
            [f"r{i:02d}" for i in range(12, 18)],
            ["r18", "r19"],
        ]
        first = {r.room: (r.online, r.last_id) for r in await backend.rooms(limit=5)}
        assert first == {"r00": (0, 1), "r01": (1, 0), "r02": (0, 1), "r03": (1, 0), "r04": (1, 1)}
        assert await backend.rooms(after="r19") == []
        assert [r.room for r in await backend.rooms(after="r105", limit=2)] == ["r11", "r12"]

    run(make_backend(), scenario)


def test_rooms_filter_by_prefix(make_backend: Callable[[], Backend]) -> None:
    """A prefix keeps the names that start with it, case-sensitively, in any script, with the cursor."""

    async def scenario(backend: Backend) -> None:
        names = ["dev", "dev-ops", "dev.web", "Dev", "deva", "de", "design", "développeurs", "d", "été", "zz"]
        await asyncio.gather(*[backend.publish(name, "alice", "hi") for name in names[:6]])
        for name in names[6:]:
            await backend.reserve(name, "bob")

        async def listed(**query: str | int) -> list[str]:
            return [r.room for r in await backend.rooms(**query)]  # type: ignore[arg-type]

        assert await listed(prefix="dev") == ["dev", "dev-ops", "dev.web", "deva"]
        assert await listed(prefix="dev", after="dev-ops") == ["dev.web", "deva"]
        assert await listed(prefix="dev", after="a") == ["dev", "dev-ops", "dev.web", "deva"]
        assert await listed(prefix="dev", after="deva") == []
        assert await listed(prefix="dev", limit=2) == ["dev", "dev-ops"]
        assert await listed(prefix="Dev") == ["Dev"]
        assert await listed(prefix="dé") == ["développeurs"]
        assert await listed(prefix="é") == ["été"]
        assert await listed(prefix="x") == []
        assert await listed(prefix="d", limit=3) == ["d", "de", "design"]

    run(make_backend(), scenario)


def test_rooms_joined_without_history_leave_the_list_once_empty(make_backend: Callable[[], Backend]) -> None:
    """A room that only had members is listed while someone is in it, then exists no more."""

    async def scenario(backend: Backend) -> None:
        assert not await backend.room_exists("fresh")
        await backend.reserve("fresh", "alice")
        await backend.epoch("fresh")  # what a join reads
        await backend.reserve("fresh", "bob")
        assert await backend.room_exists("fresh")
        assert [r.room for r in await backend.rooms(prefix="fresh")] == ["fresh"]
        await backend.release("fresh", "alice", announce=True)
        assert await backend.room_exists("fresh")
        await backend.release("fresh", "bob", announce=True)
        assert not await backend.room_exists("fresh")
        assert await backend.rooms() == []
        await backend.publish("kept", "alice", "hi")
        assert await backend.room_exists("kept")
        assert [r.room for r in await backend.rooms()] == ["kept"]

    run(make_backend(), scenario)


def test_publish_after_close_is_refused(make_backend: Callable[[], Backend]) -> None:
    """A closed backend refuses to store with BackendError rather than losing the message."""

    async def scenario() -> None:
        backend = make_backend()
        await backend.start()
        await backend.close()
        with pytest.raises(BackendError):
            await backend.publish("lobby", "alice", "too late")

    asyncio.run(scenario())


def test_healthy_when_running(make_backend: Callable[[], Backend]) -> None:
    """A started backend reports itself healthy."""

    async def scenario(backend: Backend) -> None:
        assert await backend.healthy()

    run(make_backend(), scenario)


@pytest.fixture(params=COMBINATIONS)
def make_durable_backend(request: pytest.FixtureRequest, tmp_path: Path) -> Callable[[], Backend]:
    """A factory of unstarted services that all open the same database and deployment."""
    store_kind, bus_kind = request.param.split("+")
    make_store = store_maker(request, store_kind, str(tmp_path / "chat.db"))
    make_bus = bus_maker(request, bus_kind)
    return lambda: ChatService(make_store(), make_bus())


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The backends' time in milliseconds, moved forward by the test instead of sleeping."""
    now = [1_700_000_000_000]
    for module in (sqlite_store, postgres_store):
        monkeypatch.setattr(module, "now_ms", lambda: now[0])
    return now


def test_resent_ref_and_text_is_stored_once(make_backend: Callable[[], Backend]) -> None:
    """The same sender, ref and text again: the first message (id, ts), not stored or broadcast again."""

    async def scenario(backend: Backend) -> None:
        sink = Collector()
        await backend.subscribe("lobby", sink)
        first = await backend.publish("lobby", "alice", "hello", ref="1")
        again = await backend.publish("lobby", "alice", "hello", ref="1")
        later = await backend.publish("lobby", "alice", "after", ref="2")
        assert again == first
        assert (first.id, later.id) == (1, 2)
        assert [(m.id, m.text) for m in await backend.history("lobby")] == [(1, "hello"), (2, "after")]
        assert await backend.last_id("lobby") == 2
        await sink.wait_for(lambda c: len(c.messages()) >= 2)
        assert [m.id for m in sink.messages()] == [1, 2]

    run(make_backend(), scenario)


def test_same_ref_with_other_text_is_a_new_message(make_backend: Callable[[], Backend]) -> None:
    """A later guest reusing a nick and starting at ref 1 loses nothing."""

    async def scenario(backend: Backend) -> None:
        first = await backend.publish("lobby", "alice", "hello", ref="1")
        other = await backend.publish("lobby", "alice", "something else", ref="1")
        assert (first.id, other.id) == (1, 2)
        # Both are remembered: either one resent is still one message.
        assert await backend.publish("lobby", "alice", "hello", ref="1") == first
        assert await backend.publish("lobby", "alice", "something else", ref="1") == other
        assert await backend.last_id("lobby") == 2

    run(make_backend(), scenario)


def test_no_ref_or_other_sender_or_room_is_never_a_repeat(make_backend: Callable[[], Backend]) -> None:
    """Only the same room, sender (by nick key) and ref collapse; no ref never does."""

    async def scenario(backend: Backend) -> None:
        await backend.publish("lobby", "alice", "hi")
        await backend.publish("lobby", "alice", "hi")
        a = await backend.publish("lobby", "alice", "hi", ref="7")
        b = await backend.publish("lobby", "bob", "hi", ref="7")
        c = await backend.publish("other", "alice", "hi", ref="7")
        # The sender is the nick key: a case variant of the nick is the same sender.
        d = await backend.publish("lobby", "ALICE", "hi", ref="7")
        assert [m.id for m in (a, b, c)] == [3, 4, 1]
        assert d == a
        assert await backend.last_id("lobby") == 4

    run(make_backend(), scenario)


def test_repeat_after_ten_minutes_is_a_new_message(
    make_backend: Callable[[], Backend], clock: list[int]
) -> None:
    """The window is ten minutes from the first send."""

    async def scenario(backend: Backend) -> None:
        first = await backend.publish("lobby", "alice", "hello", ref="1")
        clock[0] += 10 * 60 * 1000 - 1
        assert await backend.publish("lobby", "alice", "hello", ref="1") == first
        clock[0] += 1
        later = await backend.publish("lobby", "alice", "hello", ref="1")
        assert (later.id, later.ts) == (2, first.ts + 10 * 60 * 1000)
        # The window restarts at the new message.
        clock[0] += 1000
        assert await backend.publish("lobby", "alice", "hello", ref="1") == later

    run(make_backend(), scenario)


def test_repeat_within_one_batch_is_stored_once(make_backend: Callable[[], Backend]) -> None:
    """Sends queued together (one group commit) still collapse onto the first."""

    async def scenario(backend: Backend) -> None:
        sink = Collector()
        await backend.subscribe("lobby", sink)
        pending = [
            backend.publish("lobby", "alice", "one", ref="1"),
            backend.publish("lobby", "alice", "one", ref="1"),
            backend.publish("lobby", "bob", "one", ref="1"),
            backend.publish("lobby", "alice", "one", ref="1"),
            backend.publish("lobby", "alice", "two", ref="2"),
        ]
        stored = await asyncio.gather(*pending)
        assert [m.id for m in stored] == [1, 1, 2, 1, 3]
        assert stored[1] == stored[0] and stored[3] == stored[0]
        await sink.wait_for(lambda c: len(c.messages()) >= 3)
        assert [(m.id, m.nick, m.text) for m in sink.messages()] == [
            (1, "alice", "one"),
            (2, "bob", "one"),
            (3, "alice", "two"),
        ]
        assert [m.id for m in await backend.history("lobby")] == [1, 2, 3]

    run(make_backend(), scenario)


def test_repeat_is_recognised_after_a_restart(make_durable_backend: Callable[[], Backend]) -> None:
    """What was sent is remembered by the store, not by the process."""
    first: list[StoredMessage] = []

    async def before(backend: Backend) -> None:
        first.append(await backend.publish("lobby", "alice", "hello", ref="1"))

    async def after(backend: Backend) -> None:
        assert await backend.publish("lobby", "alice", "hello", ref="1") == first[0]
        assert (await backend.publish("lobby", "alice", "new", ref="2")).id == 2
        assert await backend.last_id("lobby") == 2

    run(make_durable_backend(), before)
    run(make_durable_backend(), after)


# --- bot messages --------------------------------------------------------------


def test_bot_messages_say_so_in_history_and_delivery(make_durable_backend: Callable[[], Backend]) -> None:
    """A bot's message is marked wherever it comes back, after a restart too; a person's is not."""

    def marks(messages: Sequence[StoredMessage]) -> list[tuple[int, str, bool]]:
        return [(m.id, m.nick, m.bot) for m in messages]

    expected = [(1, "alice", False), (2, "deploybot", True), (3, "alice", False)]

    async def publish(backend: Backend) -> None:
        sink = Collector()
        await backend.subscribe("lobby", sink)
        stored = [
            await backend.publish("lobby", "alice", "hi"),
            await backend.publish("lobby", "deploybot", "v2 is live", bot=True),
            await backend.publish("lobby", "alice", "thanks"),
        ]
        assert marks(stored) == expected
        await sink.wait_for(lambda c: len(c.messages()) >= 3)
        assert marks(sink.messages()) == expected
        assert marks(await backend.history("lobby")) == expected
        assert marks(await backend.history("lobby", after=1, newest=False)) == expected[1:]

    async def reopened(backend: Backend) -> None:
        assert marks(await backend.history("lobby")) == expected
        frames = [protocol.frame_of(m) for m in await backend.history("lobby")]
        assert [f.get("bot") for f in frames] == [None, True, None]
        assert "bot" not in frames[0]

    run(make_durable_backend(), publish)
    run(make_durable_backend(), reopened)


def test_guest_messages_say_so_in_history_and_delivery(make_durable_backend: Callable[[], Backend]) -> None:
    """A guest's message is marked wherever it comes back, after a restart too; an account's is not."""

    def marks(messages: Sequence[StoredMessage]) -> list[tuple[int, str, bool]]:
        return [(m.id, m.nick, m.guest) for m in messages]

    expected = [(1, "walker", True), (2, "alice", False)]

    async def publish(backend: Backend) -> None:
        sink = Collector()
        await backend.subscribe("lobby", sink)
        stored = [
            await backend.publish("lobby", "walker", "hello", guest=True),
            await backend.publish("lobby", "alice", "welcome"),
        ]
        assert marks(stored) == expected
        await sink.wait_for(lambda c: len(c.messages()) >= 2)
        assert marks(sink.messages()) == expected
        assert marks(await backend.history("lobby", after=0, newest=False)) == expected

    async def reopened(backend: Backend) -> None:
        frames = [protocol.frame_of(m) for m in await backend.history("lobby")]
        assert [f.get("guest") for f in frames] == [True, None]
        assert "guest" not in frames[1] and "bot" not in frames[0]

    run(make_durable_backend(), publish)
    run(make_durable_backend(), reopened)


def test_a_bot_resend_is_stored_once_and_apart_from_a_person(make_backend: Callable[[], Backend]) -> None:
    """A bot's retry with its ref is its first message; a person of that nick is another sender."""

    async def scenario(backend: Backend) -> None:
        first = await backend.publish("lobby", "deploybot", "done", ref="r1", bot=True)
        again = await backend.publish("lobby", "deploybot", "done", ref="r1", bot=True)
        person = await backend.publish("lobby", "deploybot", "done", ref="r1")
        batch = await asyncio.gather(
            backend.publish("lobby", "deploybot", "batch", ref="r2", bot=True),
            backend.publish("lobby", "deploybot", "batch", ref="r2", bot=True),
        )
        assert again == first and first.bot
        assert (person.id, person.bot) == (2, False)
        assert batch[0] == batch[1] and (batch[0].id, batch[0].bot) == (3, True)
        assert await backend.last_id("lobby") == 3

    run(make_backend(), scenario)


def test_is_online_follows_the_members(make_backend: Callable[[], Backend]) -> None:
    """A nick is online in its room while reserved, compared as nicks are; not elsewhere or after."""

    async def scenario(backend: Backend) -> None:
        assert not await backend.is_online("lobby", "alice")
        assert await backend.reserve("lobby", "alice") is not None
        assert await backend.is_online("lobby", "alice")
        assert await backend.is_online("lobby", "ALICE")
        assert await backend.is_online("lobby", "аlice")  # Cyrillic а
        assert not await backend.is_online("other", "alice")
        assert not await backend.is_online("lobby", "bob")
        await backend.release("lobby", "alice", announce=False)
        assert not await backend.is_online("lobby", "alice")

    run(make_backend(), scenario)


# --- an account's connections: one member -----------------------------------------


def test_an_accounts_connections_share_its_nick_as_one_member(make_backend: Callable[[], Backend]) -> None:
    """Two holds of one account: listed once, counted once, joined once; gone with the second release."""

    async def scenario(backend: Backend) -> None:
        sink = Collector()
        await backend.subscribe("lobby", sink)
        await backend.reserve("lobby", "bob")
        assert sorted(await backend.reserve("lobby", "ann", account_owner(7)) or []) == ["ann", "bob"]
        assert await backend.announce_join("lobby", "ann") is True
        assert sorted(await backend.reserve("lobby", "ann", account_owner(7)) or []) == ["ann", "bob"]
        assert await backend.announce_join("lobby", "ann") is False
        assert await backend.online_counts(["lobby"]) == [2]
        assert [(r.room, r.online) for r in await backend.rooms()] == [("lobby", 2)]
        await backend.release("lobby", "ann", announce=True)
        assert await backend.is_online("lobby", "ann")
        assert await backend.online_counts(["lobby"]) == [2]
        await backend.release("lobby", "ann", announce=True)
        assert not await backend.is_online("lobby", "ann")
        await sink.wait_for(lambda s: len(s.presence()) >= 2)
        await asyncio.sleep(0.1)  # nothing more comes
        assert sink.presence() == [("join", "ann", 2), ("leave", "ann", 1)]
        assert await backend.online_counts(["lobby"]) == [1]

    run(make_backend(), scenario)


def test_an_account_back_while_its_last_connection_lets_go_keeps_its_nick(
    make_backend: Callable[[], Backend],
) -> None:
    """An account's connection closed by the server comes back at once: its claim, made while the
    old connection's release is under way, waits for it and is never refused."""

    async def scenario(backend: Backend) -> None:
        ann = account_owner(7)
        await backend.reserve("lobby", "ann", ann)
        _, back = await asyncio.gather(
            backend.release("lobby", "ann", announce=True), backend.reserve("lobby", "ann", ann)
        )
        assert back == ["ann"]
        assert await backend.is_online("lobby", "ann")

    run(make_backend(), scenario)


def test_guests_are_marked_in_the_members_and_their_joins_and_leaves(
    make_backend: Callable[[], Backend],
) -> None:
    """A guest is marked in the members list and in its join and leave; an account is not."""

    async def scenario(backend: Backend) -> None:
        sink = Collector()
        await backend.subscribe("lobby", sink)
        members = await backend.reserve("lobby", "ann", account_owner(7))
        assert members is not None and members.guests == frozenset()
        members = await backend.reserve("lobby", "visitor", connection_owner())
        assert members is not None and sorted(members) == ["ann", "visitor"]
        assert members.guests == {"visitor"}
        await backend.announce_join("lobby", "ann")
        await backend.announce_join("lobby", "visitor")
        await backend.release("lobby", "visitor", announce=True)
        await backend.release("lobby", "ann", announce=True)
        await sink.wait_for(lambda s: len(s.presence()) >= 4)
        marks = [(e.event, e.nick, e.guest) for e in sink.events if isinstance(e, PresenceEvent)]
        assert marks == [
            ("join", "ann", False),
            ("join", "visitor", True),
            ("leave", "visitor", True),
            ("leave", "ann", False),
        ]

    run(make_backend(), scenario)


def test_a_guests_connections_with_one_key_share_its_nick_as_one_guest(
    make_backend: Callable[[], Backend],
) -> None:
    """Two holds under one guest key: one member, marked a guest, joined once and gone with the second
    release; another key, a connection's own owner and an account are refused the nick meanwhile."""

    async def scenario(backend: Backend) -> None:
        sink = Collector()
        await backend.subscribe("lobby", sink)
        visitor = guest_owner("k" * 24)
        members = await backend.reserve("lobby", "ann", visitor)
        assert members is not None and members.guests == {"ann"}
        assert await backend.announce_join("lobby", "ann") is True
        members = await backend.reserve("lobby", "Ann", guest_owner("k" * 24))
        assert members == ["ann"] and members.guests == {"ann"}
        assert await backend.announce_join("lobby", "ann") is False
        for other in (guest_owner("j" * 24), connection_owner(), account_owner(7)):
            assert await backend.reserve("lobby", "ann", other) is None
        await backend.release("lobby", "ann", announce=True)
        assert await backend.is_online("lobby", "ann")
        await backend.release("lobby", "ann", announce=True)
        assert not await backend.is_online("lobby", "ann")
        await sink.wait_for(lambda s: len(s.presence()) >= 2)
        await asyncio.sleep(0.1)  # nothing more comes
        marks = [(e.event, e.nick, e.guest) for e in sink.events if isinstance(e, PresenceEvent)]
        assert marks == [("join", "ann", True), ("leave", "ann", True)]

    run(make_backend(), scenario)


def test_members_stay_listed_as_they_come_and_go(make_backend: Callable[[], Backend]) -> None:
    """A reservation returns the members holding a nick now, guests marked, whoever came and left before."""

    async def scenario(backend: Backend) -> None:
        owners = {nick: connection_owner() for nick in ("Zoe", "ann", "Bob", "dave", "Carl")}
        owners["eve"] = account_owner(3)
        for nick, owner in owners.items():
            assert await backend.reserve("lobby", nick, owner) is not None
        for nick in ("Bob", "eve"):
            await backend.release("lobby", nick, announce=False)
        members = await backend.reserve("lobby", "dan", account_owner(4))
        assert members is not None
        assert protocol.sort_nicks(members) == ["ann", "Carl", "dan", "dave", "Zoe"]
        assert members.guests == {"ann", "Carl", "dave", "Zoe"}
        if isinstance(backend, ChatService) and isinstance(backend.bus, LocalBus):
            # The in-process bus keeps them in the order a welcome lists them.
            assert list(members) == protocol.sort_nicks(members)

    run(make_backend(), scenario)


def test_a_nick_is_not_shared_with_another_owner(make_backend: Callable[[], Backend]) -> None:
    """An account's nick is refused to another account and to a guest; a guest's nick to everyone else."""

    async def scenario(backend: Backend) -> None:
        assert await backend.reserve("lobby", "ann", account_owner(7)) == ["ann"]
        assert await backend.reserve("lobby", "ANN", account_owner(8)) is None
        assert await backend.reserve("lobby", "ann") is None
        assert await backend.reserve("lobby", "ann", connection_owner()) is None
        guest = connection_owner()
        assert sorted(await backend.reserve("lobby", "bob", guest) or []) == ["ann", "bob"]
        assert await backend.reserve("lobby", "bob", connection_owner()) is None
        assert await backend.reserve("lobby", "bob", account_owner(7)) is None
        assert await backend.reserve("lobby", "bob") is None
        assert await backend.reserve("elsewhere", "ann", account_owner(8)) == ["ann"]

    run(make_backend(), scenario)


def test_the_leave_is_told_if_any_connection_of_the_member_was_out(
    make_backend: Callable[[], Backend],
) -> None:
    """A member whose last connection never got its join out leaves announced when an earlier one did."""

    async def scenario(backend: Backend) -> None:
        sink = Collector()
        await backend.subscribe("lobby", sink)
        await backend.reserve("lobby", "ann", account_owner(7))
        await backend.announce_join("lobby", "ann")
        await backend.reserve("lobby", "ann", account_owner(7))
        await backend.release("lobby", "ann", announce=True)
        await backend.release("lobby", "ann", announce=False)
        await backend.reserve("lobby", "cid", account_owner(9))
        await backend.reserve("lobby", "cid", account_owner(9))
        await backend.release("lobby", "cid", announce=False)
        await backend.release("lobby", "cid", announce=False)
        await sink.wait_for(lambda s: len(s.presence()) >= 2)
        await asyncio.sleep(0.1)
        assert sink.presence() == [("join", "ann", 1), ("leave", "ann", 0)]

    run(make_backend(), scenario)


def test_a_join_once_announced_is_announced_again_after_the_member_left(
    make_backend: Callable[[], Backend],
) -> None:
    """Back after leaving, an account is a new member: its join is told again."""

    async def scenario(backend: Backend) -> None:
        sink = Collector()
        await backend.subscribe("lobby", sink)
        for _ in range(2):
            await backend.reserve("lobby", "ann", account_owner(7))
            assert await backend.announce_join("lobby", "ann") is True
            await backend.release("lobby", "ann", announce=True)
        assert await backend.announce_join("lobby", "ann") is False  # not held: nothing told
        await sink.wait_for(lambda s: len(s.presence()) >= 4)
        assert [event for event, _, _ in sink.presence()] == ["join", "leave", "join", "leave"]

    run(make_backend(), scenario)


class RecordingBus(LocalBus):
    """The in-process bus, remembering what it was asked to hand to other processes, as if there were some."""

    shared = True

    def __init__(self) -> None:
        super().__init__()
        self.handed: list[tuple[str, list[int]]] = []

    async def publish_stored(self, stored: Sequence[tuple[str, Sequence[StoredMessage]]]) -> None:
        self.handed += [(room, [m.id for m in messages]) for room, messages in stored]


def test_messages_stored_together_reach_the_bus_together() -> None:
    """A burst committed together is one publish per room, not one per message; each id once, in order."""
    bus = RecordingBus()

    async def scenario(backend: Backend) -> None:
        burst = [backend.publish(f"room{i % 2}", "alice", f"m{i}") for i in range(10)]
        await asyncio.gather(*burst)
        await asyncio.sleep(0.05)
        burst_publishes = len(bus.handed)
        await backend.publish("room0", "alice", "later")
        await asyncio.sleep(0.05)
        for room, last in (("room0", 6), ("room1", 5)):
            ids = [i for handed_room, ids in bus.handed if handed_room == room for i in ids]
            assert ids == list(range(1, last + 1))
        # The writer takes what queued while it was busy: at worst the first message alone.
        assert burst_publishes <= 4
        assert bus.handed[-1] == ("room0", [6])

    run(ChatService(SQLiteStore(":memory:"), bus), scenario)


def run_on_two_nodes(
    make_backend: Callable[[], Backend], scenario: Callable[[list[Backend]], Awaitable[None]]
) -> None:
    """Run ``scenario`` on two nodes of one deployment: two backends on one Redis, or, with an
    in-process bus, the one node twice (its counts are its own)."""
    other = make_backend()

    async def on_both(backend: Backend) -> None:
        await other.start()
        try:
            await scenario(
                [backend, other] if getattr(backend, "bus_kind", "") == "redis" else [backend, backend]
            )
        finally:
            await other.close()

    run(make_backend(), on_both)


def test_failures_count_for_the_whole_deployment(make_backend: Callable[[], Backend]) -> None:
    """After ``limit`` failures a key waits about the window, on every node of the deployment;
    another key does not; forgetting clears it (the sign-in limits stand on this)."""

    async def scenario(nodes: list[Backend]) -> None:
        for node in [*nodes, nodes[0]]:
            assert await node.failure_wait("n:ann", 3, 60.0) == 0
            await node.record_failure("n:ann", 3, 60.0)
        for node in nodes:
            assert 55.0 < await node.failure_wait("n:ann", 3, 60.0) <= 60.0
        assert await nodes[1].failure_wait("n:bob", 3, 60.0) == 0
        await nodes[1].forget_failures("n:ann")
        assert await nodes[0].failure_wait("n:ann", 3, 60.0) == 0

    run_on_two_nodes(make_backend, scenario)


def test_failures_older_than_the_window_no_longer_count(make_backend: Callable[[], Backend]) -> None:
    """Failures leave the count as they pass the window: a short window is free again soon."""

    async def scenario(backend: Backend) -> None:
        for _ in range(2):
            await backend.record_failure("a:10.0.0.1", 2, 0.3)
        assert await backend.failure_wait("a:10.0.0.1", 2, 0.3) > 0
        await asyncio.sleep(0.4)
        assert await backend.failure_wait("a:10.0.0.1", 2, 0.3) == 0

    run(make_backend(), scenario)


def test_an_allowance_is_spent_by_the_whole_deployment(make_backend: Callable[[], Backend]) -> None:
    """An allowance of 3 a minute is spent 3 times over the nodes; the 4th asks for about 20 s (one comes
    back every 20 s), on every node, and spends nothing; another key has its own."""

    async def scenario(nodes: list[Backend]) -> None:
        for node in [*nodes, nodes[0]]:
            assert await node.spend("forwards:7", 3) == 0
        for node in [*nodes, *nodes]:
            assert 19.0 < await node.spend("forwards:7", 3) <= 20.0
        assert await nodes[1].spend("forwards:8", 3) == 0
        assert await nodes[1].spend("status-changes:7", 3) == 0

    run_on_two_nodes(make_backend, scenario)


def test_an_allowance_comes_back_at_its_rate(make_backend: Callable[[], Backend]) -> None:
    """Spent in full, an allowance of 60 a minute has one again after the second it says, not before."""

    async def scenario(backend: Backend) -> None:
        spent = 0
        while (wait := await backend.spend("uploads:9", 60)) == 0:
            spent += 1
            assert spent <= 62, "an allowance of 60 a minute never ran out"
        assert spent >= 60 and 0 < wait <= 1.0
        await asyncio.sleep(wait + 0.05)
        assert await backend.spend("uploads:9", 60) == 0
        assert await backend.spend("uploads:9", 60) > 0

    run(make_backend(), scenario)


def test_changes_are_delivered_in_order_and_kept(make_durable_backend: Callable[[], Backend]) -> None:
    """A change is delivered among messages in id order, and after a restart history shows its effect."""

    async def publish(backend: Backend) -> None:
        sink = Collector()
        await backend.subscribe("lobby", sink)
        first = await backend.publish("lobby", "ann", "helo", account_id=1)
        edited = await backend.change("lobby", ChangeRequest(EDIT, first.id, "ann", 1, text="hello"))
        again = await backend.change("lobby", ChangeRequest(EDIT, first.id, "ann", 1, text="hello"))
        second = await backend.publish("lobby", "bob", "hi", account_id=2, reply_to=first.id)
        assert edited.change is not None and again.change is None
        await sink.wait_for(lambda s: len([e for e in s.events if isinstance(e, StoredChange)]) >= 1)
        await sink.wait_for(lambda s: len(s.messages()) >= 2)
        ids = [e.id for e in sink.events if isinstance(e, StoredMessage | StoredChange)]
        assert ids == [first.id, edited.change.id, second.id] == [1, 2, 3]

    async def reopened(backend: Backend) -> None:
        first, second = await backend.history("lobby")
        assert (first.text, first.edited is not None, first.account_id) == ("hello", True, 1)
        assert second.reply_to is not None and second.reply_to.text == "hello"
        assert [c.id for c in await backend.changes("lobby", after=0, before=10, limit=10)] == [2]
        assert await backend.last_id("lobby") == 3

    run(make_durable_backend(), publish)
    run(make_durable_backend(), reopened)


# --- accounts online, messages stored here -----------------------------------------------


def test_an_account_is_online_while_it_holds_a_member_in_any_room(
    make_backend: Callable[[], Backend],
) -> None:
    """Online with a connection in one room or two; offline once the last goes; guests are nobody's."""

    async def scenario(backend: Backend) -> None:
        assert await backend.accounts_online([7, 8]) == set()
        await backend.reserve("lobby", "ann", account_owner(7))
        await backend.reserve("kitchen", "ann", account_owner(7))
        await backend.reserve("lobby", "guest", connection_owner())
        assert await backend.accounts_online([7, 8]) == {7}
        await backend.release("lobby", "ann", announce=False)
        assert await backend.accounts_online([7, 8]) == {7}
        await backend.release("kitchen", "ann", announce=False)
        assert await backend.accounts_online([7, 8]) == set()
        assert await backend.accounts_online([]) == set()

    run(make_backend(), scenario)


def test_the_accounts_in_a_room_are_those_holding_a_member_in_it(make_backend: Callable[[], Backend]) -> None:
    """Who ``@here`` finds: the accounts with a member in the room, not a guest, not one elsewhere."""

    async def scenario(backend: Backend) -> None:
        assert await backend.accounts_in("lobby") == set()
        await backend.reserve("lobby", "ann", account_owner(7))
        await backend.reserve("lobby", "guest", connection_owner())
        await backend.reserve("kitchen", "bob", account_owner(8))
        assert await backend.accounts_in("lobby") == {7}
        await backend.release("lobby", "ann", announce=False)
        assert await backend.accounts_in("lobby") == set()

    run(make_backend(), scenario)


def test_each_new_message_is_watched_once_and_a_resend_not_again(make_backend: Callable[[], Backend]) -> None:
    """A watcher sees every stored message once committed; the same ref and text sent again, not twice."""

    async def scenario(backend: Backend) -> None:
        seen: list[tuple[int, str]] = []
        backend.watch_stored(lambda message: seen.append((message.id, message.text)))
        await backend.publish("lobby", "ann", "one", ref="r1")
        await backend.publish("lobby", "ann", "one", ref="r1")
        await backend.publish("lobby", "ann", "two")
        assert seen == [(1, "one"), (2, "two")]

    run(make_backend(), scenario)
