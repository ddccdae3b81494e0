"""The moderation history (store/acts_base.py), held against SQLite and PostgreSQL alike."""

from __future__ import annotations

from pathlib import Path

from chatroom.events import DELETE
from chatroom.store.acts_base import DEACTIVATE, DELETE_MESSAGE, REMOVE_GUEST, ModerationAct
from chatroom.store.base import Store
from chatroom.store.change_rules import ChangeRequest
from chatroom.store.postgres import PostgresStore
from chatroom.store.records import PERSON
from chatroom.store.sqlite import SQLiteStore

from .pg_server import PostgresServer
from .stores import StoreFactory, postgres_schema_at, run, sqlite_file_at


def test_acts_are_read_newest_first_a_page_at_a_time(store_factory: StoreFactory) -> None:
    """Each act gets a higher id; a page before an id holds the older ones, newest first."""

    async def scenario(store: Store) -> None:
        accounts = store.accounts
        assert await accounts.acts() == []
        written = [
            await accounts.record_act(ModerationAct(DEACTIVATE, 1000 + n, "ann", f"troll{n}", 1, 10 + n))
            for n in range(5)
        ]
        assert [a.id for a in written] == sorted({a.id for a in written})
        newest = await accounts.acts(limit=2)
        assert [a.subject for a in newest] == ["troll4", "troll3"]
        assert newest[0] == written[4]
        older = await accounts.acts(before_id=newest[-1].id, limit=10)
        assert [a.subject for a in older] == ["troll2", "troll1", "troll0"]
        guest = ModerationAct(REMOVE_GUEST, 2000, "ann", "guest-1", 1, room="lobby", detail="until noon")
        kept = await accounts.record_act(guest)
        assert (await accounts.acts(limit=1))[0] == kept
        assert (kept.subject_id, kept.room, kept.detail, kept.message) == (None, "lobby", "until noon", None)

    run(store_factory(), scenario)


def test_deleting_anothers_message_is_an_act_and_keeps_no_text(store_factory: StoreFactory) -> None:
    """An administrator's deletion of bob's message is in the history (room and id, not the text); a
    deletion of one's own, or one asked not to be recorded, is not."""

    async def scenario(store: Store) -> None:
        ann = await store.accounts.create_account("ann", PERSON, is_admin=True)
        bob = await store.accounts.create_account("bob", PERSON)
        await store.append("dev", "bob", "something rude", account_id=bob.id)
        await store.append("dev", "ann", "my own", account_id=ann.id)
        await store.append("dev", "bob", "more", account_id=bob.id)
        await store.append("dev", "guest-7", "a guest's")

        def by_ann(target: int, recorded: bool = True) -> ChangeRequest:
            return ChangeRequest(DELETE, target, "ann", ann.id, any_author=True, recorded=recorded)

        for request in (by_ann(1), by_ann(2), by_ann(3, recorded=False), by_ann(4)):
            await store.change("dev", request)
        acts = await store.accounts.acts()
        assert [(a.act, a.actor, a.actor_id, a.subject, a.subject_id, a.room, a.message) for a in acts] == [
            (DELETE_MESSAGE, "ann", ann.id, "guest-7", None, "dev", 4),
            (DELETE_MESSAGE, "ann", ann.id, "bob", bob.id, "dev", 1),
        ]
        assert all("rude" not in repr(a) and a.detail == "" for a in acts)
        # Deleting it again changes nothing: no second act.
        await store.change("dev", by_ann(1))
        assert len(await store.accounts.acts()) == 2

    run(store_factory(), scenario)


def test_imported_acts_keep_their_order_and_times(store_factory: StoreFactory) -> None:
    """Acts imported oldest first read back newest first, as they were, with ids of their own."""

    async def scenario(store: Store) -> None:
        exported = [
            ModerationAct(DEACTIVATE, 10, "ann", "bob", 1, 2, id=7),
            ModerationAct(DELETE_MESSAGE, 20, "ann", "carl", 1, 3, room="dev", message=12, id=9),
        ]
        await store.accounts.import_acts(exported)
        await store.accounts.import_acts([])
        back = await store.accounts.acts()
        assert [(a.act, a.ts, a.subject, a.room, a.message) for a in back] == [
            (DELETE_MESSAGE, 20, "carl", "dev", 12),
            (DEACTIVATE, 10, "bob", "", None),
        ]
        assert back[0].id > back[1].id

    run(store_factory(), scenario)


VERSION_25_MESSAGE = [
    "INSERT INTO rooms (room, last_id, key, kind) VALUES ('lobby', 1, 'lobby', 'open')",
    "INSERT INTO messages (room, id, nick, message, ts, account_id) VALUES ('lobby', 1, 'bob', 'rude', 5, 2)",
]


async def check_the_history_comes_with_the_step(store: Store) -> None:
    """A database from before the history has none, and keeps a deletion of a message from before."""
    assert await store.accounts.acts() == []
    await store.change("lobby", ChangeRequest(DELETE, 1, "root", 1, any_author=True))
    acts = await store.accounts.acts()
    assert [(a.act, a.subject, a.message) for a in acts] == [(DELETE_MESSAGE, "bob", 1)]


def test_a_version_25_sqlite_file_gains_the_history(tmp_path: Path) -> None:
    """The history's step on SQLite."""
    path = tmp_path / "v25.db"
    sqlite_file_at(path, 25, VERSION_25_MESSAGE)
    run(SQLiteStore(str(path)), check_the_history_comes_with_the_step)


def test_a_version_25_postgres_schema_gains_the_history(postgres_server: PostgresServer) -> None:
    """The history's step on PostgreSQL."""
    url, _ = postgres_schema_at(postgres_server, 25, VERSION_25_MESSAGE)
    run(PostgresStore(url), check_the_history_comes_with_the_step)
