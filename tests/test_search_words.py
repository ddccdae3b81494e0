"""PostgreSQL's index of word suffixes asks for every message holding a term (store/search_words.py)."""

from __future__ import annotations

import random

import pytest

from chatroom.search_text import fold, parse_query
from chatroom.store import search_base
from chatroom.store.base import Store
from chatroom.store.postgres import PostgresStore
from chatroom.store.search_words import MOST_KEYS, SUFFIX_CHARS, term_keys, words_tsquery

from .pg_server import PostgresServer
from .stores import StoreFactory
from .test_search_store import found, post, run

TEXTS = [
    "Operations research, anymore!",
    "The numbers.txt file of 2024-12-01",
    "Un café au Crème: naïve STRASSE",
    "x" * 40 + " then " + "ab" * 30,
    "使用 responder 实现多人在线聊天室 ok",
    "a b c... d-e-f gh_ij 100% C++",
]


async def _made(store: Store) -> None:
    """Nothing: starting the store made its schema."""


@pytest.fixture(autouse=True)
def _index_for_every_room(monkeypatch: pytest.MonkeyPatch) -> None:
    """A small room is searched by reading its rows: these tests are of the index."""
    monkeypatch.setattr(search_base, "FEW_ROWS", 0)


def test_a_term_asks_for_its_runs_whole_where_it_goes_on_after_them() -> None:
    """A run followed by more of the term is a whole suffix; the last run, or a long one, a prefix."""
    assert term_keys("ations") == [("ations", True)]
    assert term_keys("a our and.") == [("our", False), ("and", False)]
    assert term_keys("numbers.txt") == [("numbers", False), ("txt", True)]
    assert term_keys("y" * 40 + " z") == [("y" * SUFFIX_CHARS, True)]
    assert term_keys("c++") == term_keys("聊天室") == term_keys("of") == []


def test_a_query_asks_for_its_longest_keys_and_nothing_else() -> None:
    """At most MOST_KEYS keys, the longest first; a query of no key is for the trigram index."""
    assert words_tsquery(parse_query('"to this"')) is None
    assert words_tsquery(parse_query('"to mention"')) == "'mention':*"
    asked = words_tsquery(parse_query("alpha beta gamma epsilon omega lambda"))
    assert asked is not None and asked.count("&") == MOST_KEYS - 1 and "'epsilon':*" in asked
    assert words_tsquery(parse_query("C++ 聊天室 of")) is None
    assert words_tsquery(parse_query("'); DROP TABLE x; --")) == "'table':* & 'drop':*"


def test_every_substring_of_a_text_is_among_the_index_matches(postgres_server: PostgresServer) -> None:
    """Held against search_lexemes itself: each key of any piece of a text is in the text's lexemes."""
    rng = random.Random(14)
    url = postgres_server.new_schema()
    run(PostgresStore(url), _made)
    schema = url.rsplit("%3D", 1)[1]
    with postgres_server.connect() as conn:
        conn.execute(f"SET search_path TO {schema}")
        for text in map(fold, TEXTS):
            for _ in range(60):
                start = rng.randrange(len(text))
                piece = text[start : start + rng.randrange(1, 45)].strip()
                asked = words_tsquery(parse_query(f'"{piece}"')) if piece else None
                if asked is None:
                    continue
                row = conn.execute("SELECT search_lexemes(%s) @@ %s::tsquery", (text, asked)).fetchone()
                assert row == (True,), (text, piece, asked)


def test_words_are_found_inside_other_words(store_factory: StoreFactory) -> None:
    """A word is found as part of a longer one, a phrase across punctuation, digits among dashes."""

    async def scenario(store: Store) -> None:
        await post(store, *TEXTS)
        assert await found(store, "ations") == ["Operations research, anymore!"]
        assert await found(store, "more research") == ["Operations research, anymore!"]
        assert await found(store, '"ions research, any"') == ["Operations research, anymore!"]
        assert await found(store, '"research operations"') == []
        assert await found(store, "ers.tx") == ["The numbers.txt file of 2024-12-01"]
        assert await found(store, "24-12-0") == ["The numbers.txt file of 2024-12-01"]
        assert await found(store, "naive creme") == ["Un café au Crème: naïve STRASSE"]
        assert await found(store, "x" * 35) == ["x" * 40 + " then " + "ab" * 30]
        assert await found(store, "x" * 35 + "y") == []
        assert await found(store, '"x then ab"') == ["x" * 40 + " then " + "ab" * 30]
        assert await found(store, "babab responder") == []
        assert await found(store, "聊天室 responder") == ["使用 responder 实现多人在线聊天室 ok"]
        assert await found(store, '"d-e-f gh_ij 100% C++"') == ["a b c... d-e-f gh_ij 100% C++"]

    run(store_factory(), scenario)


def test_a_message_of_one_long_word_is_stored_and_found(store_factory: StoreFactory) -> None:
    """4,000 letters without a space (a suffix each in PostgreSQL's index) store and are found."""

    async def scenario(store: Store) -> None:
        await post(store, "q" * 3999 + "z")
        assert len(await found(store, "qqqqz")) == 1
        assert await found(store, "zq") == []

    run(store_factory(), scenario)
