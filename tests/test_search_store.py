"""Full-text search in the store, held against SQLite and PostgreSQL alike (store/search_base.py)."""

from __future__ import annotations

import contextlib
import sqlite3
import time
from pathlib import Path

import pytest

from chatroom.backend import StoredMessage
from chatroom.events import DELETE, EDIT
from chatroom.images import Prepared
from chatroom.names import room_key
from chatroom.search_text import parse_query
from chatroom.store import search_base
from chatroom.store.base import Store
from chatroom.store.change_rules import ChangeRequest
from chatroom.store.files_base import ATTACHMENT, NewFile
from chatroom.store.postgres import PostgresStore
from chatroom.store.records import PERSON
from chatroom.store.search_base import SCAN_RECENT, SearchCursor, SearchQuery
from chatroom.store.sqlite import SQLiteStore

from .pg_server import PostgresServer
from .stores import StoreFactory, run, write_schema_steps

ANN = 1
DAY = 86_400_000
# 2026-01-01T00:00:00Z
NEW_YEAR = 1_767_225_600_000


@pytest.fixture(autouse=True)
def _index_for_every_room(monkeypatch: pytest.MonkeyPatch) -> None:
    """A store reads a small room's (or author's) own rows instead of its index: these tests are of
    the index (test_search_readers.py holds the ways against each other)."""
    monkeypatch.setattr(search_base, "FEW_ROWS", 0)


async def found(store: Store, text: str, rooms: tuple[str, ...] = ("lobby",), **filters: object) -> list[str]:
    """The texts of the messages a search finds, in the order it answers them."""
    query = SearchQuery(parse_query(text), rooms, **filters)  # type: ignore[arg-type]
    return [m.text for m in await store.search(query)]


async def post(store: Store, *texts: str, room: str = "lobby", nick: str = "ann") -> list[StoredMessage]:
    """Store the texts one after the other; the stored messages."""
    return [(await store.append(room, nick, text, account_id=ANN)).message for text in texts]


def test_case_and_accents_do_not_matter(store_factory: StoreFactory) -> None:
    """Café, CAFE and café find each other, as do Straße and STRASSE."""

    async def scenario(store: Store) -> None:
        await post(store, "Un café au Crème", "die Straße", "nothing here")
        assert await found(store, "CAFE creme") == ["Un café au Crème"]
        assert await found(store, "café") == ["Un café au Crème"]
        assert await found(store, "STRASSE") == ["die Straße"]

    run(store_factory(), scenario)


def test_phrases_keep_their_words_together(store_factory: StoreFactory) -> None:
    """A quoted phrase finds its words side by side and in order, bare words anywhere."""

    async def scenario(store: Store) -> None:
        await post(store, "the quick brown fox", "brown and quick")
        assert await found(store, '"quick brown"') == ["the quick brown fox"]
        assert await found(store, "quick brown") == ["brown and quick", "the quick brown fox"]

    run(store_factory(), scenario)


def test_a_word_is_found_whole_not_as_its_pieces_scattered(store_factory: StoreFactory) -> None:
    """A message holding every three letters of a word, but apart, is not found by the word."""

    async def scenario(store: Store) -> None:
        scattered = "a river, the givers, some verses, ersatz"
        await post(store, scattered, "rivers bend", "bend, rivers, and ports")
        assert await found(store, "rivers") == ["bend, rivers, and ports", "rivers bend"]
        assert await found(store, '"rivers bend"') == ["rivers bend"]
        assert await found(store, "givers verses") == [scattered]

    run(store_factory(), scenario)


def test_chinese_japanese_and_korean_are_found(store_factory: StoreFactory) -> None:
    """聊天室 finds the sentence holding it; one and two characters still find recent messages."""

    async def scenario(store: Store) -> None:
        await post(store, "使用 responder 实现多人在线聊天室", "日本語のテキスト", "한국어 채팅방입니다")
        assert await found(store, "聊天室") == ["使用 responder 实现多人在线聊天室"]
        assert await found(store, "聊") == ["使用 responder 实现多人在线聊天室"]
        assert await found(store, "在线") == ["使用 responder 实现多人在线聊天室"]
        assert await found(store, "日本") == ["日本語のテキスト"]
        assert await found(store, "채팅") == ["한국어 채팅방입니다"]
        assert await found(store, "테스트") == []

    run(store_factory(), scenario)


def test_filters_by_room_author_and_time(store_factory: StoreFactory) -> None:
    """Only the rooms asked, the author asked and the times asked are searched."""

    async def scenario(store: Store) -> None:
        await store.import_messages(
            [
                StoredMessage(1, "lobby", "ann", "report one", NEW_YEAR),
                StoredMessage(2, "lobby", "bob", "report two", NEW_YEAR + DAY),
                StoredMessage(3, "lobby", "ann", "report three", NEW_YEAR + 2 * DAY),
                StoredMessage(1, "secret", "ann", "report four", NEW_YEAR + DAY),
            ]
        )
        assert await found(store, "report") == ["report three", "report two", "report one"]
        both = ("lobby", "secret")
        assert await found(store, "report", both, author="ann") == [
            "report three",
            "report four",
            "report one",
        ]
        assert await found(store, "report", both, since=NEW_YEAR + DAY, until=NEW_YEAR + 2 * DAY) == [
            "report four",
            "report two",
        ]
        assert await found(store, "report", ()) == []

    run(store_factory(), scenario)


def test_pages_follow_the_cursor(store_factory: StoreFactory) -> None:
    """Pages of the newest first, each after the last of the one before, miss nothing and repeat nothing."""

    async def scenario(store: Store) -> None:
        await post(store, *[f"item {i}" for i in range(7)])
        await post(store, *[f"item {i} elsewhere" for i in range(3)], room="other")
        rooms = ("lobby", "other")
        pages: list[list[str]] = []
        cursor = None
        for short_too in (False, True):
            pages, cursor = [], None
            while True:
                terms = parse_query("item 1" if short_too else "item")
                page = await store.search(SearchQuery(terms, rooms, cursor=cursor, limit=3))
                if not page:
                    break
                pages.append([m.text for m in page])
                cursor = SearchCursor(page[-1].ts, page[-1].room, page[-1].id)
            every = [text for page in pages for text in page]
            assert len(every) == len(set(every))
            assert sorted(every) == sorted(t for t in [*(f"item {i}" for i in range(7)),
                                                        *(f"item {i} elsewhere" for i in range(3))]
                                           if not short_too or "1" in t)  # fmt: skip

    run(store_factory(), scenario)


def test_history_imported_out_of_time_order_is_found_newest_first(store_factory: StoreFactory) -> None:
    """Rooms imported one after the other, their times interleaved, still answer the newest messages
    first, ties in one millisecond by room, and pages of them miss nothing."""

    async def scenario(store: Store) -> None:
        for room, offset in (("alpha", 0), ("beta", 1), ("gamma", 0)):
            await store.import_messages(
                [
                    StoredMessage(i, room, "ann", f"match {room} {i}", NEW_YEAR + 2 * i + offset)
                    for i in range(1, 41)
                ]
            )
        newest = [f"match {room} {i}" for i in range(40, 0, -1) for room in ("beta", "gamma", "alpha")]
        rooms = ("alpha", "beta", "gamma")
        assert await found(store, "match", rooms) == newest[:20]
        pages: list[str] = []
        cursor = None
        while page := await store.search(SearchQuery(parse_query("match"), rooms, cursor=cursor, limit=7)):
            pages += [m.text for m in page]
            cursor = SearchCursor(page[-1].ts, page[-1].room, page[-1].id)
        assert pages == newest

    run(store_factory(), scenario)


def test_edits_and_deletions_update_what_is_found(store_factory: StoreFactory) -> None:
    """An edited message is found by its new text only; a deleted one is found no more."""

    async def scenario(store: Store) -> None:
        first, second = await post(store, "original wording", "doomed message")
        await store.change("lobby", ChangeRequest(EDIT, first.id, "ann", ANN, text="revised phrasing"))
        await store.change("lobby", ChangeRequest(DELETE, second.id, "ann", ANN))
        assert await found(store, "original") == []
        assert await found(store, "revised") == ["revised phrasing"]
        assert await found(store, "doomed") == []
        assert await found(store, "me") == []

    run(store_factory(), scenario)


def test_query_syntax_is_searched_as_words(store_factory: StoreFactory) -> None:
    """C++, OR, NEAR(, stars and percent signs mean nothing but themselves; a lone quote is left out."""

    async def scenario(store: Store) -> None:
        await post(store, "I write C++ daily", "cats OR dogs", "a NEAR( b", "100% sure_thing", "plain text")
        assert await found(store, "C++") == ["I write C++ daily"]
        assert await found(store, "cats OR") == ["cats OR dogs"]
        assert await found(store, "NEAR(") == ["a NEAR( b"]
        assert await found(store, "100%") == ["100% sure_thing"]
        assert await found(store, "s_re") == []
        assert await found(store, 'text"') == ["plain text"]
        assert await found(store, '"plain') == ["plain text"]
        assert await found(store, "tex*") == []
        assert await found(store, "^plain") == []

    run(store_factory(), scenario)


def test_long_hostile_query_answers_quickly(store_factory: StoreFactory) -> None:
    """A 1,000-character query of repeated syntax answers, with nothing, well within a second."""

    async def scenario(store: Store) -> None:
        await post(store, *[f"message number {i} about things" for i in range(200)])
        hostile = ('NEAR(a OR "b* ^c) ' * 60)[:1000]
        started = time.monotonic()
        assert await found(store, hostile) == []
        assert time.monotonic() - started < 2.0

    run(store_factory(), scenario)


def test_short_queries_look_through_recent_messages_only() -> None:
    """A one-character query finds a match among the latest messages, not one older than the scan."""

    async def scenario(store: Store) -> None:
        await store.import_messages(
            [StoredMessage(1, "lobby", "ann", "ancient 鳥", NEW_YEAR)]
            + [StoredMessage(i, "lobby", "ann", "filler", NEW_YEAR + i) for i in range(2, SCAN_RECENT + 2)]
            + [StoredMessage(SCAN_RECENT + 2, "lobby", "ann", "recent 鳥", NEW_YEAR + DAY)]
        )
        assert await found(store, "鳥") == ["recent 鳥"]
        assert await found(store, "ancient") == ["ancient 鳥"]

    run(SQLiteStore(":memory:"), scenario)


VERSION_8_MESSAGES = [
    (
        "INSERT INTO messages (room, id, nick, message, ts, bot, guest, deleted)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        row,
    )
    for row in [
        ("lobby", 1, "ann", "Ancienne Réunion", NEW_YEAR, 0, 0, 0),
        ("lobby", 2, "ann", "", NEW_YEAR + 1, 0, 0, 1),
        ("lobby", 3, "bob", "旧的聊天室", NEW_YEAR + 2, 0, 0, 0),
    ]
] + [("INSERT INTO rooms (room, last_id, key) VALUES (?, ?, ?)", ("lobby", 3, room_key("lobby")))]


async def check_version_8_indexed(store: Store) -> None:
    """The messages stored before search came are found; the deleted one is not."""
    assert await found(store, "reunion") == ["Ancienne Réunion"]
    assert await found(store, "聊天室") == ["旧的聊天室"]
    await post(store, "nouvelle réunion")
    assert await found(store, "REUNION") == ["nouvelle réunion", "Ancienne Réunion"]


def test_a_version_8_sqlite_file_is_indexed_at_migration(tmp_path: Path) -> None:
    """A SQLite file of schema step 8 opens with its messages searchable."""
    path = tmp_path / "v8.db"
    with contextlib.closing(sqlite3.connect(path)) as conn, conn:
        write_schema_steps(conn.execute, "sqlite", 8)
        for statement, row in VERSION_8_MESSAGES:
            conn.execute(statement, row)
    run(SQLiteStore(str(path)), check_version_8_indexed)


def test_a_version_8_postgres_schema_is_indexed_at_migration(postgres_server: PostgresServer) -> None:
    """A PostgreSQL schema of step 8 opens with its messages searchable (pg_trgm created as needed)."""
    url = postgres_server.new_schema()
    schema = url.rsplit("%3D", 1)[1]
    with postgres_server.connect() as conn:
        conn.execute(f"SET search_path TO {schema}")
        write_schema_steps(conn.execute, "postgres", 8)
        for statement, row in VERSION_8_MESSAGES:
            values = row if len(row) == 3 else (*row[:5], *(bool(flag) for flag in row[5:]))
            conn.execute(statement.replace("?", "%s"), values)
    run(PostgresStore(url), check_version_8_indexed)


async def attach(store: Store, tmp: Path, name: str, caption: str) -> StoredMessage:
    """Store a message carrying a file of this name, with this caption."""
    path = tmp / f"upload-{name}"
    path.write_bytes(b"%PDF-1.4 the numbers")
    prepared = Prepared(path, "application/pdf", 20, None, None, None, None)
    info = await store.files.save(NewFile("lobby", ANN, name, ATTACHMENT), prepared)
    return (await store.append("lobby", "ann", caption, account_id=ANN, file_id=info.id)).message


def test_a_file_is_found_by_its_name_and_carried_in_the_result(
    store_factory: StoreFactory, tmp_path: Path
) -> None:
    """A file sent without a caption is found by its name; an edit keeps the name, a deletion drops it."""

    async def scenario(store: Store) -> None:
        await store.accounts.create_account("ann", PERSON)
        report = await attach(store, tmp_path, "Quarterly Résumé.pdf", "")
        photo = await attach(store, tmp_path, "beach.png", "the sea at noon")
        await post(store, "a resume of the meeting, no file")

        async def hits(text: str) -> list[tuple[str, str | None]]:
            query = SearchQuery(parse_query(text), ("lobby",))
            return [(m.text, m.file and m.file.name) for m in await store.search(query)]

        assert await hits("quarterly RESUME") == [("", "Quarterly Résumé.pdf")]
        assert await hits("noon") == [("the sea at noon", "beach.png")]
        assert await hits("beach") == [("the sea at noon", "beach.png")]
        assert await hits('"noon beach"') == []
        await store.change("lobby", ChangeRequest(EDIT, photo.id, "ann", ANN, text="the sky"))
        assert await hits("beach") == [("the sky", "beach.png")]
        assert await hits("noon") == []
        await store.change("lobby", ChangeRequest(DELETE, report.id, "ann", ANN))
        assert await hits("quarterly") == []
        assert await hits("resume") == [("a resume of the meeting, no file", None)]

    run(store_factory(), scenario)


def test_a_version_9_sqlite_file_answers_newest_first_after_migration(tmp_path: Path) -> None:
    """A SQLite file of schema step 9, indexed out of time order, answers newest first once opened."""
    path = tmp_path / "v9.db"
    with contextlib.closing(sqlite3.connect(path)) as conn, conn:
        write_schema_steps(conn.execute, "sqlite", 9)
        for room, ts in (("later", NEW_YEAR + DAY), ("sooner", NEW_YEAR)):
            for i in range(1, 4):
                row = (room, i, "ann", f"old news {i}", ts + i, 0, 0, 0)
                conn.execute(VERSION_8_MESSAGES[0][0], row)
                conn.execute(
                    "INSERT INTO search_rows (room, id, folded) VALUES (?, ?, ?)", (room, i, f"old news {i}")
                )
            conn.execute(VERSION_8_MESSAGES[-1][0], (room, 3, room_key(room)))

    async def scenario(store: Store) -> None:
        page = await store.search(SearchQuery(parse_query("news"), ("later", "sooner"), limit=4))
        assert [(m.room, m.id) for m in page] == [("later", 3), ("later", 2), ("later", 1), ("sooner", 3)]
        await post(store, "fresh news", room="sooner")
        assert (await found(store, "news", ("later", "sooner")))[:2] == ["fresh news", "old news 3"]

    run(SQLiteStore(str(path)), scenario)
