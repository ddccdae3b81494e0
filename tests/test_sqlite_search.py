"""SQLite's trigram index: without positions, written a batch at a time, searched by the rarest trigrams."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from pathlib import Path

from chatroom.events import StoredMessage
from chatroom.search_text import parse_query
from chatroom.store.base import Store
from chatroom.store.search_base import DOC_SHIFT, SearchQuery, searchable
from chatroom.store.sqlite import SQLiteStore
from chatroom.store.sqlite_grams import COMMON

from .stores import run, write_schema_steps

NEW_YEAR = 1_767_225_600_000


def _step_17_file(path: Path, texts: list[str]) -> None:
    """A SQLite file of schema step 17 holding these messages in lobby, indexed as that step did."""
    with contextlib.closing(sqlite3.connect(path)) as conn, conn:
        write_schema_steps(conn.execute, "sqlite", 17)
        for msg_id, text in enumerate(texts, start=1):
            ts = NEW_YEAR + msg_id
            conn.execute(
                "INSERT INTO messages (room, id, nick, message, ts, bot, guest, deleted)"
                " VALUES ('lobby', ?, 'ann', ?, ?, 0, 0, 0)",
                (msg_id, text, ts),
            )
            conn.execute(
                "INSERT INTO search_rows (doc, room, id, nick, folded) VALUES (?, 'lobby', ?, 'ann', ?)",
                (-(ts << DOC_SHIFT), msg_id, searchable(text, None)),
            )
        conn.execute("INSERT INTO rooms (room, last_id, key) VALUES ('lobby', ?, 'lobby')", (len(texts),))


def test_a_version_17_file_finds_the_same_messages_after_migration(tmp_path: Path) -> None:
    """Messages indexed with positions are found as before once the index is made without them,
    and new ones are indexed too."""
    path = tmp_path / "v17.db"
    _step_17_file(path, ["the rivers bend", "a river, the givers, some verses", "旧的聊天室"])

    async def scenario(store: Store) -> None:
        async def found(text: str) -> list[str]:
            return [m.text for m in await store.search(SearchQuery(parse_query(text), ("lobby",)))]

        assert await found("rivers") == ["the rivers bend"]
        assert await found('"rivers bend"') == ["the rivers bend"]
        assert await found("聊天室") == ["旧的聊天室"]
        await store.append("lobby", "ann", "more rivers")
        assert await found("rivers") == ["more rivers", "the rivers bend"]

    run(SQLiteStore(str(path)), scenario)
    with contextlib.closing(sqlite3.connect(path)) as conn:
        (definition,) = conn.execute("SELECT sql FROM sqlite_master WHERE name = 'search_index'").fetchone()
    assert "detail=none" in definition and "columnsize=0" in definition
    with contextlib.closing(sqlite3.connect(path)) as conn:
        triggers = {name for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")}
    # Step 21: new rows are indexed by the writer; edits and deletions still by their triggers.
    assert triggers == {"search_rows_dropped", "search_rows_edited"}


def _segments(path: Path) -> int:
    """How many segments the file's FTS5 index is made of (each leaf page's row names its segment)."""
    with contextlib.closing(sqlite3.connect(path)) as conn:
        return int(conn.execute("SELECT count(DISTINCT segid) FROM search_index_idx").fetchone()[0])


def test_a_batch_of_messages_is_one_segment_of_the_index(tmp_path: Path) -> None:
    """Messages stored in one transaction are written to the index as one segment, however many they
    are (with a trigger, each message was a segment of its own, merged again and again later),
    and every one of them is found."""
    path = tmp_path / "chat.db"
    messages = [
        StoredMessage(n, "lobby", "ann", f"river number {n} bends", NEW_YEAR + n) for n in range(1, 41)
    ]

    async def scenario(store: Store) -> None:
        await store.import_messages(messages)
        query = SearchQuery(parse_query("river"), ("lobby", "elsewhere"), limit=50)
        assert [m.id for m in await store.search(query)] == list(range(40, 0, -1))
        assert _segments(path) == 1
        await store.import_messages([StoredMessage(41, "lobby", "ann", "one river more", NEW_YEAR + 41)])
        assert _segments(path) == 2
        assert [m.id for m in await store.search(query)][:2] == [41, 40]

    run(SQLiteStore(str(path)), scenario)


def test_a_phrase_of_common_words_is_found_exactly_by_its_rare_trigrams(tmp_path: Path) -> None:
    """Once the index's common trigrams are known a phrase is asked by its rare ones (`bends` is in
    every message), and what the index answers is checked on the text: exactly the messages that
    hold the phrase, not `bends of quinoa`, which holds every one of its trigrams."""
    texts = ["the river bends"] * (COMMON + 50) + ["quinoa bends", "bends of quinoa", "quinoa bends again"]

    async def scenario(store: Store) -> None:
        for text in texts:
            store.append("lobby", "ann", text)
        await store.append("lobby", "ann", "the end")
        # Two rooms: a search of one room this small reads all its rows, not the index.
        query = SearchQuery(parse_query('"quinoa bends"'), ("lobby", "elsewhere"))
        await store.search(query)
        counts = store._trigram_counts  # type: ignore[attr-defined]
        for _ in range(500):
            if counts.ready:
                break
            await asyncio.sleep(0.01)
        assert counts.ready
        assert [m.text for m in await store.search(query)] == ["quinoa bends again", "quinoa bends"]

    run(SQLiteStore(str(tmp_path / "chat.db")), scenario)
