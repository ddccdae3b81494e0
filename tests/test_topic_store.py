"""A room's topic (AccountStore.set_topic, schema step 24), held against SQLite and PostgreSQL alike."""

from __future__ import annotations

from pathlib import Path

from chatroom.store import migrations
from chatroom.store.base import Store
from chatroom.store.postgres import PostgresStore
from chatroom.store.records import CLOSED, DIRECT, MANAGERS, OPEN, PERSON, RoomRecord
from chatroom.store.sqlite import SQLiteStore

from .pg_server import PostgresServer
from .stores import StoreFactory, postgres_schema_at, run, sqlite_file_at


def test_a_topic_is_set_changed_and_cleared_by_itself(store_factory: StoreFactory) -> None:
    """A new room has none; setting one changes nothing else and every read of the room carries it."""

    async def scenario(store: Store) -> None:
        accounts = store.accounts
        ann = await accounts.create_account("ann", PERSON)
        news = await accounts.create_room("news", CLOSED, title="News", creator_id=ann.id, posting=MANAGERS)
        assert news.topic == ""
        topic = "Release planning — next: Friday's demo ✨"
        changed = await accounts.set_topic("news", topic)
        assert changed is not None and changed.topic == topic
        assert changed == RoomRecord(
            "news", CLOSED, "News", ann.id, news.created_at, posting=MANAGERS, topic=topic
        )
        assert await accounts.room_record("news") == changed
        assert [r.topic for r in await accounts.rooms_of(ann.id)] == [topic]
        assert (await store.way_in("news", address=None, account_id=ann.id, nick=None)).record == changed
        assert (await store.way_in("news", address=None, account_id=ann.id, nick=None)).membership is not None
        await accounts.create_room("chat", OPEN)
        await accounts.set_topic("chat", "anything goes")
        assert [(r.room, r.topic) for r in await accounts.open_rooms()] == [("chat", "anything goes")]
        cleared = await accounts.set_topic("news", "")
        assert cleared == news

    run(store_factory(), scenario)


def test_a_direct_room_has_a_topic_and_a_missing_room_none(store_factory: StoreFactory) -> None:
    """A direct conversation takes a topic as any room does; a room that is not there answers None."""

    async def scenario(store: Store) -> None:
        accounts = store.accounts
        ann = await accounts.create_account("ann", PERSON)
        bob = await accounts.create_account("bob", PERSON)
        await accounts.create_room("dm-x", DIRECT, members=[ann.id, bob.id])
        direct = await accounts.set_topic("dm-x", "the trip")
        assert direct is not None and direct.topic == "the trip" and direct.kind == DIRECT
        assert await accounts.set_topic("nowhere", "x") is None
        assert await accounts.room_record("nowhere") is None

    run(store_factory(), scenario)


VERSION_23_ROOMS = [
    "INSERT INTO rooms (room, last_id, key, kind, title) VALUES ('lobby', 0, 'lobby', 'open', 'Lobby')",
]


async def check_no_topic_after_step_24(store: Store) -> None:
    """Rooms from before step 24 have no topic, and can be given one."""
    assert await store.accounts.room_record("lobby") == RoomRecord("lobby", OPEN, "Lobby")
    changed = await store.accounts.set_topic("lobby", "say hello")
    assert changed is not None and changed.topic == "say hello" and changed.title == "Lobby"
    assert migrations.LATEST >= 24


def test_a_version_23_sqlite_file_gains_room_topics(tmp_path: Path) -> None:
    """Step 24 on SQLite: every room of a version 23 file has no topic."""
    path = tmp_path / "v23.db"
    sqlite_file_at(path, 23, VERSION_23_ROOMS)
    run(SQLiteStore(str(path)), check_no_topic_after_step_24)


def test_a_version_23_postgres_schema_gains_room_topics(postgres_server: PostgresServer) -> None:
    """Step 24 on PostgreSQL: every room of a version 23 schema has no topic."""
    url, _ = postgres_schema_at(postgres_server, 23, VERSION_23_ROOMS)
    run(PostgresStore(url), check_no_topic_after_step_24)
