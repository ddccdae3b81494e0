"""Which trigrams SQLite's index is asked for: the rarest, by counts from a pass over the index."""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chatroom.store import sqlite_grams
from chatroom.store.sqlite_grams import (
    COMMON,
    MOST_TRIGRAMS,
    RESCAN,
    TrigramCounts,
    expression,
    rarest,
    trigrams,
)

COUNT_STATEMENT = "SELECT count(*) FROM (SELECT 1 FROM search_index"


def test_a_key_is_asked_for_as_each_of_its_trigrams() -> None:
    """Every trigram of a short key, in order; a key's quotes are doubled, nothing else is syntax."""
    assert trigrams("rivers") == ["riv", "ive", "ver", "ers"]
    assert trigrams("abc") == ["abc"]
    assert expression(["riv", "ive"]) == '"riv" "ive"'
    assert expression(trigrams('a"b OR c*')) == '"a""b" """b " "b O" " OR" "OR " "R c" " c*"'


@given(st.text(min_size=3, max_size=300))
def test_a_long_key_is_asked_for_by_its_trigrams_spread_from_first_to_last(key: str) -> None:
    """At most MOST_TRIGRAMS, its first and last among them, each one of its own trigrams."""
    asked = trigrams(key)
    assert 1 <= len(asked) <= MOST_TRIGRAMS
    assert asked[0] == key[:3] and asked[-1] == key[-3:]
    assert all(gram in key and len(gram) == 3 for gram in asked)
    assert len(asked) == min(len(key) - 2, MOST_TRIGRAMS)


def test_the_rarest_are_asked_while_their_lists_cost_less_than_the_checks_they_save() -> None:
    """`"word you"`: the rare trigrams and `you`, not `the`, whose list is far longer than the
    checks it would save."""
    counted = [("the", 300_000), ("you", 84_000), ("d y", 9_000), ("ord", 13_000)]
    assert rarest(counted) == ["d y", "ord", "you"]


def test_trigrams_alike_in_count_are_all_asked() -> None:
    """`wither`: every trigram common, each one more still takes away more checks than its list costs."""
    counted = [("wit", 52_000), ("ith", 53_000), ("her", 74_000), ("the", 314_000)]
    assert rarest(counted) == ["wit", "ith", "her", "the"]


def test_a_trigram_in_no_document_is_asked_alone() -> None:
    """Nothing can match: one empty list is all there is to read."""
    assert rarest([("abc", 5), ("zzq", 0), ("the", 300_000)]) == ["zzq"]
    assert rarest([]) == []


@given(
    st.lists(
        st.tuples(st.text(min_size=3, max_size=3), st.integers(0, 10**6)),
        min_size=1,
        unique_by=lambda p: p[0],
    )
)
def test_the_choice_starts_with_the_rarest_and_asks_nothing_else(counted: list[tuple[str, int]]) -> None:
    """Whatever the counts: the rarest first, then others in order of their counts, all of them given."""
    chosen = rarest(counted)
    documents = dict(counted)
    assert documents[chosen[0]] == min(documents.values())
    assert [documents[gram] for gram in chosen] == sorted(documents[gram] for gram in chosen)
    assert set(chosen) <= set(documents)


@pytest.fixture
def index() -> Iterator[sqlite3.Connection]:
    """An FTS5 index like the store's: COMMON + 100 documents hold "the river", three "quinoa"."""
    with contextlib.closing(sqlite3.connect(":memory:", check_same_thread=False)) as conn:
        conn.execute("CREATE VIRTUAL TABLE search_index USING fts5(folded, tokenize='trigram', detail=none)")
        texts = ["the river bends"] * (COMMON + 100) + ["the quinoa bowl", "more quinoa", "eat the quinoa"]
        conn.executemany("INSERT INTO search_index (folded) VALUES (?)", [(text,) for text in texts])
        yield conn


def _statements(conn: sqlite3.Connection) -> list[str]:
    seen: list[str] = []
    conn.set_trace_callback(seen.append)
    return seen


def test_before_the_first_pass_every_trigram_is_asked(index: sqlite3.Connection) -> None:
    """No counts yet: the query is what it was before counts, and nothing is counted."""
    counts = TrigramCounts()
    seen = _statements(index)
    assert counts.match_expression(index, ["the quinoa"]) == expression(trigrams("the quinoa"))
    assert seen == []


def test_after_the_pass_the_common_trigrams_are_left_out(index: sqlite3.Connection) -> None:
    """`the` is common, `qui` rare: a phrase of both is asked by its rare trigrams, which every
    document holding it holds."""
    counts = TrigramCounts()
    counts.read_common(index)
    assert counts.ready
    asked = counts.match_expression(index, ["the quinoa"])
    assert '"qui"' in asked and '"the"' not in asked and '"he "' not in asked
    found = {
        row[0] for row in index.execute("SELECT rowid FROM search_index WHERE search_index MATCH ?", (asked,))
    }
    holding = {
        row[0] for row in index.execute("SELECT rowid FROM search_index WHERE instr(folded, 'the quinoa')")
    }
    assert len(holding) == 2 and holding <= found and len(found) <= 3


def test_a_rare_trigram_is_counted_once(index: sqlite3.Connection) -> None:
    """The count of a rare trigram is kept; a common one's comes from the pass, never counted alone."""
    counts = TrigramCounts()
    counts.read_common(index)
    seen = _statements(index)
    counts.match_expression(index, ["quinoa", "the"])
    counts.match_expression(index, ["quinoa", "river"])
    counted = [statement for statement in seen if statement.startswith(COUNT_STATEMENT)]
    assert len(counted) == len(trigrams("quinoa"))
    assert all('"riv"' not in statement for statement in counted)


def test_rare_trigrams_alone_are_all_asked_without_counting(index: sqlite3.Connection) -> None:
    """No common trigram to leave out: `quinoa`'s are all asked, and none is counted."""
    counts = TrigramCounts()
    counts.read_common(index)
    seen = _statements(index)
    assert counts.match_expression(index, ["quinoa"]) == expression(trigrams("quinoa"))
    assert counts.match_expression(index, ["the"]) == '"the"'
    assert seen == []


def test_a_pass_is_claimed_once_until_it_is_old() -> None:
    """One pass at the first search, the next one RESCAN seconds later; none once stopped."""
    counts = TrigramCounts()
    assert counts.claim_pass(100.0)
    assert not counts.claim_pass(100.0 + RESCAN - 1)
    assert counts.claim_pass(100.0 + RESCAN)
    counts.stop()
    assert not counts.claim_pass(100.0 + 3 * RESCAN)


def test_stopping_interrupts_a_pass_under_way(index: sqlite3.Connection) -> None:
    """The store closing stops a long pass at once; the searches go on asking every trigram."""
    counts = TrigramCounts()
    index.set_progress_handler(lambda: counts.stop() or 0, 100)
    with pytest.raises(sqlite3.OperationalError, match="interrupted"):
        counts.read_common(index)
    assert counts.match_expression(index, ["the quinoa"]) == expression(trigrams("the quinoa"))


def test_a_stopped_pass_reads_nothing(index: sqlite3.Connection) -> None:
    """A pass queued behind the store's close does not start."""
    counts = TrigramCounts()
    counts.stop()
    seen = _statements(index)
    counts.read_common(index)
    assert seen == []


def test_the_rare_counts_kept_are_bounded(index: sqlite3.Connection, monkeypatch: pytest.MonkeyPatch) -> None:
    """Past KEPT_RARE the least recently asked rare count is forgotten and counted again when asked."""
    monkeypatch.setattr(sqlite_grams, "KEPT_RARE", 2)
    counts = TrigramCounts()
    counts.read_common(index)
    for key in ["qui", "uin", "ino", "qui"]:
        counts.match_expression(index, [key, "the"])
    seen = _statements(index)
    counts.match_expression(index, ["qui", "the"])
    counts.match_expression(index, ["uin", "the"])
    (counted,) = [statement for statement in seen if statement.startswith(COUNT_STATEMENT)]
    assert '"uin"' in counted
