"""A phrase asks PostgreSQL's index for its pairs of words and still finds every message holding it
(store/search_words.py, schema step 17)."""

from __future__ import annotations

import functools

from hypothesis import example, given
from hypothesis import strategies as st

from chatroom.search_text import Terms, fold, parse_query
from chatroom.store.base import Store
from chatroom.store.search_words import (
    PAIR_BEFORE,
    in_periods,
    message_keys,
    pair_keys,
    period,
    words_tsquery,
)

from .stores import StoreFactory, run
from .test_search_store import NEW_YEAR, found, post

# Short words that share their ends and starts, and every kind of gap between them.
_WORD = st.text(alphabet="aotuy9", min_size=1, max_size=5) | st.sampled_from(["x" * 15, "thyroxine"])
_GAP = st.text(alphabet=" .,-\n'é聊Z", min_size=1, max_size=2)
_TEXT = st.lists(st.tuples(_GAP, _WORD), min_size=1, max_size=10).map(
    lambda parts: "".join(gap + word for gap, word in parts)
)
TEXTS = (
    "thank you to all of you",
    "you took it to you too",
    "a and. b",
    "I want to go, want toast",
    "Banana and, a And. of all",
    "使用you to实现",
    "x" * 20 + " and " + "y" * 20,
)


def holds(keys: set[str], tsquery: str) -> bool:
    """Whether a text of these lexemes matches a tsquery words_tsquery made, in one period: a
    conjunction of lexemes, prefixes of them, and disjunctions of those in parentheses."""
    keys_hold = functools.partial(holds_one, keys)
    return all(any(map(keys_hold, part.strip("()").split(" | "))) for part in tsquery.split(" & "))


def holds_one(keys: set[str], asked: str) -> bool:
    """Whether the lexemes hold one lexeme, 'lexeme' or 'lexeme':* (a prefix of one)."""
    lexeme = asked.split("'")[1]
    return any(key.startswith(lexeme) for key in keys) if asked.endswith(":*") else lexeme in keys


def test_a_phrase_of_short_words_asks_for_its_pairs() -> None:
    """The first word's end and the last word's start are asked for by a prefix; the rest whole."""
    assert pair_keys("to you to") == [("'Pyou.ot':*", 5), ("'Pto.uoy'", 5)]
    assert pair_keys("ou to") == [("'Pto.uo':*", 4)]
    assert pair_keys(" a and.") == [("'Pand.a'", 4)]
    (of_a,) = pair_keys("of a")
    assert of_a[0].startswith("('Pa.fo':* | 'Pa0.fo':* |") and of_a[0].count("|") == 36
    assert pair_keys("x" * 20 + " to") == [("'Pto." + "x" * PAIR_BEFORE + "'", PAIR_BEFORE + 2)]
    assert words_tsquery(parse_query('"to you to"')) == "'Pto.uoy' & 'Pyou.ot':*"
    assert words_tsquery(parse_query('"the this"')) == "'Pthi.eht':*"
    # A long word is rare enough to narrow beside a pair; a short one is not asked for.
    assert words_tsquery(parse_query('"to mention"')) == "'Pmen.ot':* & '@mention':*"
    assert words_tsquery(parse_query('"to you" the')) == "'Pyou.ot':*"


@given(text=_TEXT, data=st.data())
@example(text="you to", data=None)
def test_every_piece_of_a_text_is_among_its_pairs_matches(text: str, data: st.DataObject | None) -> None:
    """Any piece of a folded text, at word boundaries or not, asks only for keys the text holds."""
    folded = fold(text)
    keys = set(message_keys(folded, NEW_YEAR).split(" "))
    keys_hold = functools.partial(holds_one, keys)
    if data is None:
        pieces = ["ou to", "you t", "u to"]
    else:
        start = data.draw(st.integers(0, len(folded) - 1))
        pieces = [folded[start : data.draw(st.integers(start + 1, len(folded)))]]
    for piece in pieces:
        for asked, _ in pair_keys(piece):
            assert any(map(keys_hold, asked.strip("()").split(" | "))), (piece, asked)
        asked_all = words_tsquery(Terms((piece,)))
        assert asked_all is None or holds(keys, in_periods(asked_all, [period(NEW_YEAR)])), (piece, asked_all)


def test_a_long_first_word_is_asked_for_by_its_last_letters() -> None:
    """A first word longer than PAIR_BEFORE, whole or the end of a longer one, is one lexeme."""
    word = "q" * (PAIR_BEFORE + 3)
    keys = set(message_keys(f"r{word} to", NEW_YEAR).split(" "))
    assert words_tsquery(Terms((f"{word} to",))) == f"'Pto.{'q' * PAIR_BEFORE}' & '@{word}'"
    assert f"Pto.{'q' * PAIR_BEFORE}" in keys


def test_phrases_of_short_words_find_what_the_text_holds(store_factory: StoreFactory) -> None:
    """Phrases of short words, whole or cut at either end, find exactly the messages holding them."""

    async def scenario(store: Store) -> None:
        await post(store, *TEXTS)
        phrases = ("ou to", "you to", "to you to", "to you", "a and.", "want to", "nt to", "you t", "and y")
        for phrase in (*phrases, "of a", "and a", "and, a"):
            expected = [text for text in reversed(TEXTS) if phrase in fold(text)]
            assert await found(store, f'"{phrase}"') == expected, phrase
        assert await found(store, '"you to" thank') == ["thank you to all of you"]
        assert await found(store, '"you to" banana') == []

    run(store_factory(), scenario)
