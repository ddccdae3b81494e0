"""Folding, query words and snippets (search_text.py): what both stores search by, and what results show."""

from __future__ import annotations

import time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chatroom.search_text import MAX_QUERY_CHARS, QueryError, Terms, fold, fold_char, parse_query, snippet


def test_folding_drops_case_accents_and_compatibility_forms() -> None:
    """Accented, upper-case, full-width and ligature letters fold to plain lower-case ones."""
    assert fold("Crème BRÛLÉE") == "creme brulee"
    assert fold("Ｃａｆé ﬁne") == "cafe fine"
    assert fold("Straße") == "strasse"


def test_plain_ascii_folds_as_each_character_does() -> None:
    """The fast way for ASCII text gives what folding one character at a time gives, for all 128."""
    every_ascii = "".join(map(chr, range(128)))
    assert fold(every_ascii) == "".join(map(fold_char, every_ascii))
    assert fold("Hello, WORLD 42!") == "hello, world 42!"


@given(st.text(max_size=60))
def test_any_text_folds_as_each_of_its_characters_does(text: str) -> None:
    """Whatever the text, ASCII or not, its fold is its characters' folds, one for one."""
    assert fold(text) == "".join(map(fold_char, text))


def test_folding_keeps_cjk_letters_whole() -> None:
    """Hangul syllables stay syllables and kana keep their voicing: が is not か."""
    assert fold("채팅방") == "채팅방"
    assert fold("が") != fold("か")
    assert fold("聊天室") == "聊天室"


def test_a_query_is_words_and_quoted_phrases() -> None:
    """Bare words stand alone, a quoted phrase keeps its words together, repeats count once."""
    assert parse_query('Quick "Brown  Fox" quick').terms == ("quick", "brown fox")


def test_syntax_is_only_text() -> None:
    """OR, NEAR(, C++ and stars are words; a lone quote is left out and what follows it is words."""
    assert parse_query('C++ OR NEAR( a* "open').terms == ("c++", "or", "near(", "a*", "open")


def test_short_terms_are_told_apart() -> None:
    """Terms of one or two characters are the ones a trigram index cannot serve."""
    terms = parse_query("聊 在线 聊天室")
    assert (terms.indexed, terms.short) == (("聊天室",), ("聊", "在线"))


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("x" * (MAX_QUERY_CHARS + 1), "a search is at most 1000 characters"),
        (' "" ', "there is nothing to search for: give a word"),
        (" ".join(f"w{i}" for i in range(21)), "a search has at most 20 different words and phrases"),
    ],
)
def test_unsearchable_queries_say_why(query: str, message: str) -> None:
    """Too long, empty and too many words are refused with the reason."""
    with pytest.raises(QueryError, match=message):
        parse_query(query)


def test_a_long_query_of_quotes_parses_quickly() -> None:
    """1,000 characters of quotes and syntax parse in well under a second."""
    started = time.monotonic()
    parse_query(('"a" NEAR( "' * 100)[:MAX_QUERY_CHARS])
    assert time.monotonic() - started < 0.5


def test_a_snippet_marks_every_hit_in_the_original_text() -> None:
    """Hits are the message's own characters (accents and case kept), around text as it was."""
    assert snippet("Un CAFÉ, un café", Terms(("cafe",))) == [
        ("Un ", False),
        ("CAFÉ", True),
        (", un ", False),
        ("café", True),
    ]


def test_a_snippet_maps_expanding_folds_back() -> None:
    """A letter that folds to two (ß) is marked as the one letter it was."""
    assert snippet("große Straße", Terms(("strasse",))) == [("große ", False), ("Straße", True)]


def test_a_long_message_is_cut_with_ellipses() -> None:
    """Far text on either side of the first hit is left out, an ellipsis in its place."""
    parts = snippet("a" * 500 + "needle" + "b" * 500, Terms(("needle",)))
    assert parts[0] == ("…", False) and parts[-1] == ("…", False)
    assert ("needle", True) in parts
