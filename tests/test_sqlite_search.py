"""SQLite's trigram index without positions: what it is asked for, and the step that made it."""

from __future__ import annotations

import contextlib
import sqlite3
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from chatroom.search_text import parse_query
from chatroom.store.base import Store
from chatroom.store.search_base import DOC_SHIFT, SearchQuery, searchable
from chatroom.store.sqlite import SQLiteStore
from chatroom.store.sqlite_search import MOST_TRIGRAMS, match_expression, trigrams

from .stores import run, write_schema_steps

NEW_YEAR = 1_767_225_600_000


def test_a_key_is_asked_for_as_each_of_its_trigrams() -> None:
    """Every trigram of a short key, in order; a key's quotes are doubled, nothing else is syntax."""
    assert trigrams("rivers") == ["riv", "ive", "ver", "ers"]
    assert trigrams("abc") == ["abc"]
    assert match_expression(["rivers", "ver"]) == '"riv" "ive" "ver" "ers"'
    assert match_expression(['a"b OR c*']) == '"a""b" """b " "b O" " OR" "OR " "R c" " c*"'


@given(st.text(min_size=3, max_size=300))
def test_a_long_key_is_asked_for_by_its_trigrams_spread_from_first_to_last(key: str) -> None:
    """At most MOST_TRIGRAMS, its first and last among them, each one of its own trigrams."""
    asked = trigrams(key)
    assert 1 <= len(asked) <= MOST_TRIGRAMS
    assert asked[0] == key[:3] and asked[-1] == key[-3:]
    assert all(gram in key and len(gram) == 3 for gram in asked)
    assert len(asked) == min(len(key) - 2, MOST_TRIGRAMS)


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
