"""A search for a reader looks in the rooms it may read at that moment, on both stores (Reader)."""

from __future__ import annotations

import contextlib
import itertools
import sqlite3
from pathlib import Path

from pytest import MonkeyPatch

from chatroom.events import EDIT
from chatroom.search_text import parse_query
from chatroom.store import pg_search, search_base
from chatroom.store.base import Store
from chatroom.store.change_rules import ChangeRequest
from chatroom.store.postgres import PostgresStore
from chatroom.store.records import CLOSED, DIRECT, MEMBER, OPEN, PERSON, Membership, RoomRecord
from chatroom.store.search_base import DOC_SHIFT, Reader, SearchCursor, SearchQuery
from chatroom.store.sqlite import SQLiteStore

from .pg_server import PostgresServer
from .stores import StoreFactory, postgres_plan, run, sqlite_plan, store_factory, write_schema_steps
from .test_search_store import ANN, NEW_YEAR, found, post

__all__ = ["store_factory"]


async def rooms_found(
    store: Store, reader: Reader, rooms: tuple[str, ...] = (), **filters: object
) -> list[str]:
    """The rooms of the messages holding ``news`` that a search for ``reader`` answers, by name."""
    query = SearchQuery(parse_query("news"), rooms, reader=reader, **filters)  # type: ignore[arg-type]
    return sorted(m.room for m in await store.search(query))


async def town(store: Store) -> tuple[int, int, int]:
    """ann, bob and cy; an open room, a closed one of ann's and bob's, a direct one of ann's and cy's,
    each with one message holding ``news``."""
    ann, bob, cy = [(await store.accounts.create_account(name, PERSON)).id for name in ("ann", "bob", "cy")]
    await store.accounts.create_room("square", OPEN, creator_id=ann)
    await store.accounts.create_room("office", CLOSED, creator_id=ann, members=[bob])
    await store.accounts.create_room("ann-cy", DIRECT, creator_id=ann, members=[cy])
    for room in ("square", "office", "ann-cy"):
        await store.append(room, "ann", f"{room} news", account_id=ann)
    return ann, bob, cy


def test_each_reader_finds_the_rooms_it_may_read(store_factory: StoreFactory) -> None:
    """Members find their closed and direct rooms' messages, all the open rooms', guests when let in."""

    async def scenario(store: Store) -> None:
        ann, bob, cy = await town(store)
        assert await rooms_found(store, Reader(ann, open_rooms=True)) == ["ann-cy", "office", "square"]
        assert await rooms_found(store, Reader(bob, open_rooms=True)) == ["office", "square"]
        assert await rooms_found(store, Reader(cy, open_rooms=True)) == ["ann-cy", "square"]
        assert await rooms_found(store, Reader(None, open_rooms=True)) == ["square"]
        assert await rooms_found(store, Reader(None, open_rooms=False)) == []
        # A short term takes the bounded scan, which keeps to the same rooms.
        short = SearchQuery(parse_query("ne"), (), reader=Reader(bob, open_rooms=True))
        assert sorted(m.room for m in await store.search(short)) == ["office", "square"]

    run(store_factory(), scenario)


def test_a_membership_ended_just_before_the_search_hides_the_room(store_factory: StoreFactory) -> None:
    """bob taken out of the office finds its messages no more, even when he names the room."""

    async def scenario(store: Store) -> None:
        _, bob, _ = await town(store)
        assert await rooms_found(store, Reader(bob, open_rooms=True), ("office",)) == ["office"]
        await store.accounts.remove_member("office", bob)
        assert await rooms_found(store, Reader(bob, open_rooms=True)) == ["square"]
        assert await rooms_found(store, Reader(bob, open_rooms=True), ("office",)) == []
        await store.accounts.add_member("office", bob)
        assert await rooms_found(store, Reader(bob, open_rooms=True), author="ann") == ["office", "square"]

    run(store_factory(), scenario)


def test_the_author_filter_finds_the_name_each_message_shows(store_factory: StoreFactory) -> None:
    """After a rename, the old messages are found by the old name and the new ones by the new."""

    async def scenario(store: Store) -> None:
        ann, _, _ = await town(store)
        reader = Reader(ann, open_rooms=True)
        await store.accounts.rename_account(ann, "anna")
        await store.append("square", "anna", "later news", account_id=ann)
        assert await rooms_found(store, reader, author="ann") == ["ann-cy", "office", "square"]
        assert await rooms_found(store, reader, author="anna") == ["square"]
        assert await rooms_found(store, reader, ("office",), author="anna") == []

    run(store_factory(), scenario)


# Messages of a database written before search rows knew their authors (schema step 11).
VERSION_11_ROWS = [("ann", 1, "news from ann"), ("bob", 2, "news from bob"), ("ann", 3, "more news")]


async def check_version_11_authors(store: Store) -> None:
    """The messages stored before step 13 are found by their authors; new ones too, and edits are followed."""
    assert await found(store, "news", author="ann") == ["more news", "news from ann"]
    assert await found(store, "news", author="bob") == ["news from bob"]
    (fresh,) = await post(store, "fresh news")
    assert await found(store, "news", author="ann") == ["fresh news", "more news", "news from ann"]
    await store.change("lobby", ChangeRequest(EDIT, fresh.id, "ann", ANN, text="fresh gossip"))
    assert await found(store, "news", author="ann") == ["more news", "news from ann"]
    assert await found(store, "gossip", author="ann") == ["fresh gossip"]


def version_11_statements(mark: str, postgres: bool) -> list[tuple[str, tuple[object, ...]]]:
    """The statements that store VERSION_11_ROWS as schema step 11 kept them, in one dialect."""
    rows = "(room, id, ts, folded)" if postgres else "(doc, room, id, folded)"
    four, eight = ", ".join([mark] * 4), ", ".join([mark] * 8)
    statements = [
        (f"INSERT INTO rooms (room, last_id, key) VALUES ({mark}, {mark}, {mark})", ("lobby", 3, "lobby"))
    ]
    for nick, msg_id, text in VERSION_11_ROWS:
        ts = NEW_YEAR + msg_id
        flag: object = False if postgres else 0
        message = ("lobby", msg_id, nick, text, ts, flag, flag, flag)
        statements.append(
            (
                f"INSERT INTO messages (room, id, nick, message, ts, bot, guest, deleted) VALUES ({eight})",
                message,
            )
        )
        key = ("lobby", msg_id, ts) if postgres else (-(ts << DOC_SHIFT), "lobby", msg_id)
        statements.append((f"INSERT INTO search_rows {rows} VALUES ({four})", (*key, text)))
    return statements


def test_a_version_11_sqlite_file_filters_by_author_after_migration(tmp_path: Path) -> None:
    """A SQLite file of schema step 11 opens with its messages found by author."""
    path = tmp_path / "v11.db"
    with contextlib.closing(sqlite3.connect(path)) as conn, conn:
        write_schema_steps(conn.execute, "sqlite", 11)
        for statement, row in version_11_statements("?", postgres=False):
            conn.execute(statement, row)
    run(SQLiteStore(str(path)), check_version_11_authors)


def test_a_version_11_postgres_schema_filters_by_author_after_migration(
    postgres_server: PostgresServer,
) -> None:
    """A PostgreSQL schema of step 11 opens with its messages found by author."""
    url = postgres_server.new_schema()
    schema = url.rsplit("%3D", 1)[1]
    with postgres_server.connect() as conn:
        conn.execute(f"SET search_path TO {schema}")
        write_schema_steps(conn.execute, "postgres", 11)
        for statement, row in version_11_statements("%s", postgres=True):
            conn.execute(statement, row)
    run(PostgresStore(url), check_version_11_authors)


def test_pages_are_exact_however_the_store_looks(
    store_factory: StoreFactory, monkeypatch: MonkeyPatch
) -> None:
    """Every way a store reads (recent rows, a small room's rows, the index) answers exact pages."""
    monkeypatch.setattr(pg_search, "PROBE", 4)
    monkeypatch.setattr(pg_search, "PROBE_MOST", 12)

    async def scenario(store: Store) -> None:
        # Dense matches (a second look finds the page), then sparse ones (the trigram index does);
        # a small room's own rows.
        texts = [
            f"note {n} {'common' if n % 2 else 'plain'} {'rare' if n % 9 == 0 else ''}" for n in range(40)
        ]
        await post(store, *texts)
        words = (("common", 3), ("rare", 2), ("note", 5))
        for few, (word, limit) in itertools.product((0, 5000), words):
            monkeypatch.setattr(search_base, "FEW_ROWS", few)
            expected = [text for text in reversed(texts) if word in text]
            cursor, pages = None, []
            while page := await store.search(
                SearchQuery(parse_query(word), ("lobby",), cursor=cursor, limit=limit)
            ):
                pages += [m.text for m in page]
                last = page[-1]
                cursor = SearchCursor(last.ts, last.room, last.id)
            assert pages == expected

    run(store_factory(), scenario)


def test_a_second_look_is_as_long_as_the_first_ones_matches_say(monkeypatch: MonkeyPatch) -> None:
    """Few matches in the first look ask for a longer second one; none, or too few, for the index."""
    assert pg_search.second_span(20, 10) == pg_search.PROBE * 3
    assert pg_search.second_span(20, 0) is None
    monkeypatch.setattr(pg_search, "PROBE_MOST", pg_search.PROBE * 3)
    assert pg_search.second_span(20, 10) == pg_search.PROBE * 3
    assert pg_search.second_span(20, 9) is None


# How each store reads the open rooms: the readable rooms' condition, and the directory's list.
OPEN_ROOMS_READ = "SELECT room FROM rooms WHERE kind = 'open' AND {mark}"
OPEN_ROOMS_LISTED = "SELECT room FROM rooms WHERE kind = 'open' AND room > '' ORDER BY room LIMIT 50"


async def many_conversations(store: Store) -> None:
    """The town, and 3,000 direct conversations of other people (two members each)."""
    await town(store)
    people = [(await store.accounts.create_account(f"p{n}", PERSON)).id for n in range(20)]
    pairs = itertools.islice(itertools.cycle(itertools.combinations(people, 2)), 3_000)
    rooms, members = [], []
    for n, pair in enumerate(pairs):
        rooms.append(RoomRecord(f"dm-{n}", DIRECT, created_at=NEW_YEAR))
        members += [Membership(f"dm-{n}", person, MEMBER, NEW_YEAR) for person in pair]
    await store.accounts.import_rooms(rooms, members)
    ann = (await store.accounts.account_by_name("ann")).id  # type: ignore[union-attr]
    assert await rooms_found(store, Reader(ann, open_rooms=True)) == ["ann-cy", "office", "square"]


def test_sqlite_reads_the_open_rooms_by_their_index(tmp_path: Path) -> None:
    """Among thousands of direct conversations, SQLite finds the open rooms without reading the others."""
    path = tmp_path / "many.db"
    run(SQLiteStore(str(path)), many_conversations)
    for statement in (OPEN_ROOMS_READ.format(mark="?"), OPEN_ROOMS_LISTED):
        plan = sqlite_plan(path, statement, (True,) if "?" in statement else ())
        assert "USING COVERING INDEX rooms_by_kind" in plan, plan


def test_postgres_reads_the_open_rooms_by_their_index(postgres_server: PostgresServer) -> None:
    """Among thousands of direct conversations, PostgreSQL finds the open rooms without reading the others."""
    url = postgres_server.new_schema()
    run(PostgresStore(url), many_conversations)
    for statement in (OPEN_ROOMS_READ.format(mark="true"), OPEN_ROOMS_LISTED):
        plan = postgres_plan(postgres_server, url, statement, table="rooms")
        assert "rooms_by_kind" in plan and "Seq Scan" not in plan, plan
