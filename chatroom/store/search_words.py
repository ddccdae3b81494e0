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

Since schema step 17 it holds each pair of neighbouring runs too (pair_key),
so that a phrase of short, common words (``"to you to"``) asks for its pairs
rather than for each word's long lists of suffixes or for its trigrams. A
pair's lexeme starts with ``P``, which no other lexeme does (a word's are
lower case, a week's ``W``), so no query of a word's suffixes reads one.
"""

from __future__ import annotations

import itertools
import re

from ..search_text import Terms

WORD_CHARS = "0123456789abcdefghijklmnopqrstuvwxyz"
# The longest a suffix is kept: a term's run longer than that is asked for by its start.
SUFFIX_CHARS = 32
# The keys a query asks the index for, the longest first (likely the rarest): each one more narrows
# less and costs a posting list, and a 1,000-character query has hundreds.
MOST_KEYS = 3
# The shortest word of a phrase asked for beside its pairs: shorter English words are often among
# the most common.
KEY_WORD = 6
# A message's week in the index: its time in whole weeks since 1970.
WEEK_MS = 7 * 24 * 3600 * 1000
# A message's word suffixes are behind its period: ``M``, its week divided by PERIOD_WEEKS (rounded
# towards zero, as PostgreSQL's integer division has it), and a dot. Four weeks: the newest weeks of
# a common word are a few thousand matches, and a year is 14 periods to ask for a rare one.
PERIOD = "M"
PERIOD_WEEKS = 4
# Where a query's word keys take their period (by_period, in_periods, pg_search's SQL): no lexeme holds it.
IN_PERIOD = "@"
# A pair of runs as lexemes: ``P``, the start of the second run (its first PAIR_SHORT characters, and
# its first PAIR_LONG when it is longer), a dot, then the first run backwards (its last PAIR_BEFORE
# characters). A phrase's first word may be the end of a longer one and its last the start of one:
# written so, both are the starts of their parts, and a prefix query asks for every pair that fits
# (pair_keys). Two lengths of the second run: three characters tell ``the this`` from ``the that``
# (a tenth of the matches of two), two still serve a phrase ending with ``"want to"``.
PAIR = "P"
PAIR_SHORT = 2
PAIR_LONG = 3
PAIR_BEFORE = 12
_RUN = re.compile(f"[{WORD_CHARS}]+")


def message_keys(folded: str, ts: int) -> str:
    """A message's lexemes in the index, separated by spaces (pg_search_rows.KEYS makes them a
    ``tsvector``): every suffix of three characters or more of each run, its first SUFFIX_CHARS
    characters, behind the message's period (schema step 19), and its week (what schema step 15's
    ``search_keys(folded, ts)`` made), and the pair of each run and the next (pair_key, step 17).
    """
    # One comprehension: a third to a half faster than a set updated run by run (12 µs for 100 characters).
    runs = _RUN.findall(folded)
    suffixes = {run[i : i + SUFFIX_CHARS] for run in runs for i in range(len(run) - 2)}
    keys = {f"W{week(ts)}"}
    for first, second in itertools.pairwise(runs):
        keys.add(pair_key(first, second[:PAIR_SHORT]))
        if len(second) > PAIR_SHORT:
            keys.add(pair_key(first, second[:PAIR_LONG]))
    if suffixes:
        # The period joined in front of every suffix at once: a string made for each cost a third
        # more time a message (13 µs against 10 for a chat line).
        behind = f"{PERIOD}{period(ts)}."
        keys.add(behind + f" {behind}".join(suffixes))
    return " ".join(keys)


def pair_key(first: str, start: str) -> str:
    """The lexeme of a run and the start of the next (schema step 17): see PAIR."""
    return f"{PAIR}{start}.{first[::-1][:PAIR_BEFORE]}"


def week(ts: int) -> int:
    """The week of a time as PostgreSQL's ``ts / WEEK_MS`` has it: rounded towards zero."""
    return ts // WEEK_MS if ts >= 0 else -(-ts // WEEK_MS)


def period(ts: int) -> int:
    """The period of a time, as PostgreSQL's ``ts / WEEK_MS / PERIOD_WEEKS`` has it."""
    weeks = week(ts)
    return weeks // PERIOD_WEEKS if weeks >= 0 else -(-weeks // PERIOD_WEEKS)


def by_period(asked: str) -> tuple[str, str]:
    """A tsquery that words_tsquery made, in two: its keys with no period (pairs), which a search
    asks for once, and those behind IN_PERIOD, which it asks for in each period (in_periods, and
    pg_search's SQL); either may be empty. GIN reads a prefix key once for each time a query holds
    it: a pair repeated in each period was read again in each."""
    conjuncts = asked.split(" & ")
    fixed = " & ".join(conjunct for conjunct in conjuncts if IN_PERIOD not in conjunct)
    moving = " & ".join(conjunct for conjunct in conjuncts if IN_PERIOD in conjunct)
    return fixed, moving


def in_periods(asked: str, periods: list[int]) -> str:
    """A tsquery that words_tsquery made (``asked``) for the matches of these periods, as
    pg_search's SQL asks it: its keys with no period once, and its words behind each period,
    or'ed (by_period)."""
    fixed, moving = by_period(asked)
    if not moving:
        return fixed
    each = " | ".join(f"({moving.replace(IN_PERIOD, f'{PERIOD}{p}.')})" for p in periods)
    return f"{fixed} & ({each})" if fixed else each


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


def pair_keys(term: str) -> list[tuple[str, int]]:
    """The pairs of one folded term that a text holding it holds: tsquery terms, each with how many
    of the term's characters it asks for (the more, the fewer its matches, likely).

    The term's first run may be the end of a longer run of the text (``"ou to"`` in ``you to``):
    it is asked for by the start of its part of the lexeme (written backwards), a prefix query. Its
    last run may be the start of one: asked for by PAIR_LONG characters, or by PAIR_SHORT, or, one
    character long, as the whole second run or the start of one of PAIR_SHORT characters.
    """
    runs = list(_RUN.finditer(term))
    keys = []
    for first, second in itertools.pairwise(runs):
        word, start = first.group(), second.group()[:PAIR_LONG]
        tail = ":*" if first.start() == 0 and len(word) < PAIR_BEFORE else ""
        known = min(len(word), PAIR_BEFORE) + len(start)
        if second.end() < len(term) or len(start) >= PAIR_SHORT:
            keys.append((f"'{pair_key(word, start)}'{tail}", known))
        else:
            starts = [start, *(start + char for char in WORD_CHARS)]
            keys.append(("(" + " | ".join(f"'{pair_key(word, s)}'{tail}" for s in starts) + ")", known))
    return keys


def words_tsquery(terms: Terms) -> str | None:
    """The tsquery (text) every message holding all the terms matches, its words' keys written behind
    IN_PERIOD (in_periods gives it periods); None when no term has keys.

    Lexemes are of WORD_CHARS (and a pair's ``P`` and dot) only, so quoting them is all the
    escaping they need: no user text reaches the tsquery syntax otherwise.
    """
    pairs = {key for term in terms.terms for key in pair_keys(term)}
    words = {key for term in terms.terms for key in term_keys(term)}
    if pairs:
        # A pair narrows more than its words, which are short and common where pairs matter: a word
        # joins it only if long enough to be rare (its posting lists cost as much as they narrow).
        chosen = [query for query, _ in sorted(pairs, key=lambda pair: (-pair[1], pair[0]))]
        chosen += [_word_query(key) for key in sorted(words, key=_narrowest) if len(key[0]) >= KEY_WORD]
        return " & ".join(chosen[:MOST_KEYS])
    if not words:
        return None
    chosen_words = sorted(words, key=_narrowest)
    if len(chosen_words[0][0]) < KEY_WORD and any(" " in term for term in terms.terms):
        # A phrase of short words only and no pair: each is common, and the trigrams of the phrase
        # together narrow more than any one of them (the search falls back to them).
        return None
    return " & ".join(map(_word_query, chosen_words[:MOST_KEYS]))


def _word_query(key: tuple[str, bool]) -> str:
    lexeme, prefix = key
    return f"'{IN_PERIOD}{lexeme}'{':*' if prefix else ''}"


def _narrowest(key: tuple[str, bool]) -> tuple[int, bool, str]:
    """The longest key first (likely the rarest); a whole lexeme narrows more than a prefix as long."""
    lexeme, prefix = key
    return -len(lexeme), prefix, lexeme
