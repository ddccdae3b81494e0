"""PostgreSQL's index of word suffixes: what it holds, and how a query asks it (no I/O).

A message's folded text is cut into runs of WORD_CHARS (ASCII letters and
digits: the folded text has no capitals); the index holds every suffix of
three characters or more of each run, the first SUFFIX_CHARS characters of it
(schema step 14, ``search_lexemes``). A query's term is a substring of a text
only if each run of three characters or more of the term is in the text: as
the start of a suffix there (a prefix query, ``'ations':*``), and, when the
term goes on after the run (a space, a dot), as a whole suffix (``'our'``).
So the index's matches of a term's keys hold every message holding the term,
and a few more, which the search checks on the text (``strpos``). A term
without such a run (CJK, ``C++``, ``of``) has no keys: the trigram index serves
it, and so it does a phrase of short words only.

The index holds one more lexeme a message (schema step 15, ``search_keys``):
its week, ``W`` and ``ts / WEEK_MS`` (whole weeks since 1970), so that a
word's matches of a few weeks are asked for without reading the others
(pg_search.word_weeks_sql).

Since schema step 16 each search row stores its lexemes (``keys``), made here
(message_keys) when it is written, and the index is of that column: PostgreSQL
no longer cuts every message's text into suffixes itself, which cost it more
than the rest of storing the message.
"""

from __future__ import annotations

import re

from ..search_text import Terms
from .search_base import KEY_WORD

WORD_CHARS = "0123456789abcdefghijklmnopqrstuvwxyz"
# The longest a suffix is kept: a term's run longer than that is asked for by its start.
SUFFIX_CHARS = 32
# The keys a query asks the index for, the longest first (likely the rarest): each one more narrows
# less and costs a posting list, and a 1,000-character query has hundreds.
MOST_KEYS = 3
# A message's week in the index: its time in whole weeks since 1970.
WEEK_MS = 7 * 24 * 3600 * 1000
_RUN = re.compile(f"[{WORD_CHARS}]+")


def message_keys(folded: str, ts: int) -> str:
    """A message's lexemes in the index, separated by spaces (pg_search_rows.KEYS makes them a
    ``tsvector``): every suffix of three characters or more of each run, its first SUFFIX_CHARS
    characters, and its week. What schema step 15's ``search_keys(folded, ts)`` made.
    """
    # One comprehension: a third to a half faster than a set updated run by run (12 µs for 100 characters).
    keys = {run[i : i + SUFFIX_CHARS] for run in _RUN.findall(folded) for i in range(len(run) - 2)}
    keys.add(f"W{week(ts)}")
    return " ".join(keys)


def week(ts: int) -> int:
    """The week of a time as PostgreSQL's ``ts / WEEK_MS`` has it: rounded towards zero."""
    return ts // WEEK_MS if ts >= 0 else -(-ts // WEEK_MS)


def term_keys(term: str) -> list[tuple[str, bool]]:
    """The keys of one folded term: (lexeme, whether a prefix of a suffix rather than a whole one)."""
    keys = []
    for run in _RUN.finditer(term):
        word = run.group()
        if len(word) < 3:
            continue
        whole = run.end() < len(term) and len(word) <= SUFFIX_CHARS
        keys.append((word[:SUFFIX_CHARS], not whole))
    return keys


def words_tsquery(terms: Terms) -> str | None:
    """The tsquery (text) every message holding all the terms matches; None when no term has keys.

    Lexemes are of WORD_CHARS only, so quoting them is all the escaping they need: no user text
    reaches the tsquery syntax otherwise.
    """
    keys = {key for term in terms.terms for key in term_keys(term)}
    if not keys:
        return None
    # A whole suffix narrows more than a prefix of one as long.
    chosen = sorted(keys, key=lambda key: (-len(key[0]), key[1], key[0]))[:MOST_KEYS]
    if len(chosen[0][0]) < KEY_WORD and any(" " in term for term in terms.terms):
        # A phrase of short words only (``"to you to"``): each is common, and the trigrams of the
        # phrase together narrow more than any one of them (the search falls back to them).
        return None
    return " & ".join(f"'{lexeme}'{':*' if prefix else ''}" for lexeme, prefix in chosen)
