"""Search text without I/O: the folded copy both stores index, the words of a query, snippets.

Folding makes search case- and accent-insensitive the same way in both
stores: each character is decomposed (NFKD: accents come apart, full-width
and ligature forms become plain letters), its combining marks dropped (but
not kana's voicing marks: か and が stay apart), recomposed (a Hangul
syllable stays one character) and case-folded. A text is folded one
character at a time, so a snippet can map every folded character back to
the character of the message it came from.

A query is plain words and "quoted phrases"; nothing else in it has any
meaning (C++, OR, NEAR(, a lone quote are searched as written). Both stores
match each word and phrase as a substring of the folded text: their indexes
(trigrams; PostgreSQL's of word suffixes and of word pairs too) serve words
of three characters or more; a query of only shorter words looks through the
most recent messages instead (store/search_base.py).
"""

from __future__ import annotations

import functools
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

MAX_QUERY_CHARS = 1000
MAX_TERMS = 20
# Characters of a snippet before its first hit, and at most in all.
SNIPPET_LEAD = 40
SNIPPET_CHARS = 200
ELLIPSIS = "…"
# Kana voicing marks: combining, yet they make another letter, not an accent.
_KEPT_MARKS = frozenset("\u3099\u309a")


class QueryError(ValueError):
    """A query that cannot be searched: too long, too many words, or nothing to search for."""


@functools.lru_cache(maxsize=8192)
def fold_char(char: str) -> str:
    """One character as the index holds it: no accents, no case, compatibility forms made plain."""
    parts = unicodedata.normalize("NFKD", char)
    kept = "".join(c for c in parts if c in _KEPT_MARKS or not unicodedata.combining(c))
    return unicodedata.normalize("NFC", kept).casefold()


def fold(text: str) -> str:
    """The text as the index holds it (one character at a time: see fold_char)."""
    if text.isascii():
        # What fold_char makes of every ASCII character (NFKD leaves it alone, it has no
        # marks, casefold lowers it), for a thirtieth of the cost: most chat is ASCII.
        return text.lower()
    return "".join(map(fold_char, text))


@dataclass(frozen=True, slots=True)
class Terms:
    """What a query searches for: folded words and phrases, every one of which a message holds."""

    terms: tuple[str, ...]

    @property
    def indexed(self) -> tuple[str, ...]:
        """The terms a trigram index can serve: three characters or more."""
        return tuple(term for term in self.terms if len(term) >= 3)

    @property
    def short(self) -> tuple[str, ...]:
        """The terms too short for a trigram index (one or two characters)."""
        return tuple(term for term in self.terms if len(term) < 3)


def parse_query(query: str) -> Terms:
    """The words and "phrases" of a query, folded; QueryError when it cannot be searched.

    Linear in the query's length. An unbalanced quote is dropped and what
    follows it searched as words.
    """
    if len(query) > MAX_QUERY_CHARS:
        raise QueryError(f"a search is at most {MAX_QUERY_CHARS} characters")
    found: list[str] = []
    position = 0
    while position < len(query):
        quote = query.find('"', position)
        if quote < 0:
            found += query[position:].split()
            break
        found += query[position:quote].split()
        closing = query.find('"', quote + 1)
        if closing < 0:
            found += query[quote + 1 :].split()
            break
        found.append(" ".join(query[quote + 1 : closing].split()))
        position = closing + 1
    terms = tuple(dict.fromkeys(term for term in map(fold, found) if term))
    if not terms:
        raise QueryError("there is nothing to search for: give a word")
    if len(terms) > MAX_TERMS:
        raise QueryError(f"a search has at most {MAX_TERMS} different words and phrases")
    return Terms(terms)


def _folded_with_origin(text: str) -> tuple[str, Sequence[int]]:
    """The folded text, and for each of its characters the index of the one it comes from."""
    if text.isascii():
        # ASCII folds to its lower case, one character for one (and most text of a page is ASCII).
        return text.lower(), range(len(text))
    folded_chars: list[str] = []
    origin: list[int] = []
    for index, char in enumerate(text):
        folded = fold_char(char)
        folded_chars.append(folded)
        origin += [index] * len(folded)
    return "".join(folded_chars), origin


def _hits(text: str, terms: tuple[str, ...]) -> list[tuple[int, int]]:
    """Where the terms are in the text: merged (start, end) spans of its characters, in order."""
    folded_text, origin = _folded_with_origin(text)
    spans = []
    for term in terms:
        start = folded_text.find(term)
        while start >= 0:
            spans.append((origin[start], origin[start + len(term) - 1] + 1))
            start = folded_text.find(term, start + len(term))
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def snippet(text: str, terms: Terms) -> list[tuple[str, bool]]:
    """A part of the text around its first hit, as (text, is a hit) parts: never markup.

    An ellipsis part (not a hit) stands for text left out at either end.
    """
    spans = _hits(text, terms.terms)
    first = spans[0][0] if spans else 0
    start = max(0, first - SNIPPET_LEAD)
    end = min(len(text), start + SNIPPET_CHARS)
    parts: list[tuple[str, bool]] = [(ELLIPSIS, False)] if start > 0 else []
    position = start
    for hit_start, hit_end in spans:
        hit_start, hit_end = max(hit_start, position), min(hit_end, end)
        if hit_start >= hit_end:
            continue
        if hit_start > position:
            parts.append((text[position:hit_start], False))
        parts.append((text[hit_start:hit_end], True))
        position = hit_end
    if position < end:
        parts.append((text[position:end], False))
    if end < len(text):
        parts.append((ELLIPSIS, False))
    return parts
