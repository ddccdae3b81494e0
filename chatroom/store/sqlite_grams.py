"""Which trigrams of a search SQLite's FTS5 index is asked for: the rarest, by counts it keeps.

Without positions (schema step 18) FTS5 answers a query of several
trigrams by reading each one's list of documents, and a common trigram's
list is long: ``the`` is in a third of the search benchmark's million
messages, 13 ms to read. Every match is then checked on its text
(sqlite_search.search), which costs about CHECK_COST times an entry of a
list (2.5 µs against 0.04, docs/benchmarks/search.md). So one more trigram
is worth asking for only while reading its list costs less than checking
the matches it would take away: the rarest are asked first, and each one
more is assumed to take away half of the matches left (a word's trigrams
overlap, so they are far from independent).

What the choice needs to know comes from two places. The common trigrams
(held by COMMON documents or more: a few thousand in a million messages)
and their counts are read in one pass over the index (FTS5's vocabulary
table, about a second a million messages, on a reader thread) when the
first search comes, and again once the counts are RESCAN seconds old.
Any other trigram is rare: when a search's are all rare, their lists are
short and all are asked for; beside a common one, a rare one is counted
when first asked for, reading at most COMMON entries. Until the first pass
is done every trigram is asked for, as before. A count steers what is
read, never what is found.
"""

from __future__ import annotations

import sqlite3
import threading
from collections import OrderedDict
from collections.abc import Iterable, Sequence

# Checking a match on its text, in entries of a trigram's list read (measured: docs/benchmarks/search.md).
CHECK_COST = 60
# The trigrams a long key is asked for: more narrow the matches less and less, and each is a list read.
MOST_TRIGRAMS = 12
# A trigram held by this many documents or more is common: known from the pass over the index.
COMMON = 1000
# Seconds after which the common trigrams are read again.
RESCAN = 3600.0
# Rare trigrams' counts kept (their lists are short, so a count forgotten costs little).
KEPT_RARE = 4096
_VOCABULARY = (
    "CREATE VIRTUAL TABLE IF NOT EXISTS temp.search_vocabulary USING fts5vocab(main, search_index, row)"
)
_COMMON = "SELECT term, doc FROM temp.search_vocabulary WHERE doc >= ?"
_COUNT = "SELECT count(*) FROM (SELECT 1 FROM search_index WHERE search_index MATCH ? LIMIT ?)"


def trigrams(key: str) -> list[str]:
    """A key's trigrams FTS5 may be asked for: all of them, or MOST_TRIGRAMS spread over a long key
    from its first to its last (the text holds every one of them when it holds the key)."""
    last = len(key) - 3
    if last + 1 <= MOST_TRIGRAMS:
        starts: Iterable[int] = range(last + 1)
    else:
        starts = dict.fromkeys(round(i * last / (MOST_TRIGRAMS - 1)) for i in range(MOST_TRIGRAMS))
    return [key[start : start + 3] for start in starts]


def quoted(gram: str) -> str:
    """A trigram as an FTS5 string: nothing in it is syntax."""
    return '"' + gram.replace('"', '""') + '"'


def expression(grams: Iterable[str]) -> str:
    """An FTS5 query for the documents holding every one of the trigrams."""
    return " ".join(map(quoted, grams))


def rarest(counted: Sequence[tuple[str, int]]) -> list[str]:
    """The trigrams worth asking for, rarest first, of (trigram, documents holding it).

    The rarest always; then each next one while its list is shorter than
    CHECK_COST times the matches it is assumed to take away (half of those
    left). The lists grow and the matches shrink, so the first one not worth
    it ends the choice.
    """
    ordered = sorted(counted, key=lambda pair: pair[1])
    if not ordered:
        return []
    chosen, matches = [ordered[0][0]], float(ordered[0][1])
    for gram, documents in ordered[1:]:
        taken_away = matches / 2
        if documents >= taken_away * CHECK_COST:
            break
        chosen.append(gram)
        matches -= taken_away
    return chosen


class TrigramCounts:
    """How many documents of the index hold each trigram: the common ones from the last pass over
    the index, the rare ones as counted when asked. The store's reader threads share one."""

    def __init__(self) -> None:
        self._common: dict[str, int] | None = None
        self._rare: OrderedDict[str, int] = OrderedDict()
        self._pass_started: float | None = None
        self._passing: sqlite3.Connection | None = None
        self._stopped = False
        self._lock = threading.Lock()

    @property
    def ready(self) -> bool:
        """Whether a pass over the index has been done: until then every trigram is asked for."""
        return self._common is not None

    def match_expression(self, conn: sqlite3.Connection, keys: Iterable[str]) -> str:
        """An FTS5 query for the documents holding the rarest of the keys' trigrams: every one of
        them before the first pass over the index, and when none is common (their lists are short:
        nothing is counted)."""
        grams = list(dict.fromkeys(gram for key in keys for gram in trigrams(key)))
        common = self._common
        if common is None or not any(gram in common for gram in grams):
            return expression(grams)
        return expression(rarest([(gram, self._count(conn, common, gram)) for gram in grams]))

    def claim_pass(self, now: float) -> bool:
        """Whether the caller should now run read_common: no pass started yet, or the last RESCAN
        seconds ago (one that failed is not tried again sooner)."""
        with self._lock:
            if self._stopped or (self._pass_started is not None and now - self._pass_started < RESCAN):
                return False
            self._pass_started = now
            return True

    def read_common(self, conn: sqlite3.Connection) -> None:
        """Read the common trigrams' counts from the index, on a reader's connection; stop()
        interrupts it (sqlite3.OperationalError)."""
        with self._lock:
            if self._stopped:
                return
            self._passing = conn
        try:
            conn.execute(_VOCABULARY)
            common = dict(conn.execute(_COMMON, (COMMON,)).fetchall())
        finally:
            with self._lock:
                self._passing = None
        with self._lock:
            self._common = common
            self._rare.clear()

    def stop(self) -> None:
        """No pass starts from now on, and one under way is interrupted (the store is closing)."""
        with self._lock:
            self._stopped = True
            if self._passing is not None:
                self._passing.interrupt()

    def _count(self, conn: sqlite3.Connection, common: dict[str, int], gram: str) -> int:
        """A trigram's documents: as the last pass found, as counted before, or counted now (at most
        COMMON: one that has become common since the pass counts as COMMON)."""
        known = common.get(gram)
        if known is not None:
            return known
        with self._lock:
            known = self._rare.get(gram)
            if known is not None:
                self._rare.move_to_end(gram)
                return known
        documents = int(conn.execute(_COUNT, (quoted(gram), COMMON)).fetchone()[0])
        with self._lock:
            self._rare[gram] = documents
            while len(self._rare) > KEPT_RARE:
                self._rare.popitem(last=False)
        return documents
