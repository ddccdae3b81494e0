"""Full-text search on PostgreSQL: GIN indexes of every message's folded text (search_base.py).

``search_rows`` holds each message's folded text, time and author. A
full-text index of its words' suffixes (behind their periods of four
weeks), its pairs of words and its week serves a term holding a run of
three ASCII letters or digits, or two runs (search_words.py, schema steps
14, 15, 17 and 19), the newest weeks first (word_weeks_sql); a trigram GIN
index serves the rest to ``LIKE '%term%'`` (CJK, ``C++``); an index by time
the most recent (schema steps 9, 11 and 13); a term shorter than three
characters is a ``strpos`` filter. Functions of a connection; the rows are
written by pg_search_rows.py, inside the writer's batch transaction.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from ..events import StoredMessage
from .message_rows import MESSAGE_COLUMNS, MESSAGE_JOINS, message_from_row
from .pg_changes import Connection
from .pg_numbered import fetch_generic_rows, fetch_rows
from .search_base import (
    ORDER,
    SCAN_RECENT,
    SearchQuery,
    few_rows_sql,
    rows_sql,
)
from .search_words import IN_PERIOD, PERIOD, PERIOD_WEEKS, WEEK_MS, by_period, words_tsquery

# The most recent search rows of all rooms read before the indexes (see search): a first look, and
# the longest second one (before the trigram index). Each row read costs about a microsecond (a
# table page of its own where a bulk load wrote rooms one after the other): a first look of 500
# rows fills a page of a word in 4 % of the messages a reader reads; a rarer word pays 0.5 ms for
# it (2,000 rows cost 2 ms), a more common one a second look.
PROBE = 500
PROBE_MOST = 20_000
# The weeks of a word's matches that the index is asked for first (the newest search row's week),
# then the periods before those, so many at a time (the newest of them the one of the week before
# those weeks), before it is asked for all the others (word_weeks_sql). One week: a common word's
# matches of a week in every room are a thousand rows or more to read for their rooms (2 µs each),
# where an empty window costs about 0.3 ms; windows growing, as a rarer word's matches are fewer.
RECENT_WEEKS = 1
PERIOD_WINDOWS = (2, 4)
# A pair's lexemes have no period: its windows are of weeks (the newest, then those before), by the
# week lexemes.
PAIR_WEEKS = ((0, 1), (2, 9))
# The longest second look at the recent rows before the index of word suffixes (word_weeks_sql): a
# word in fewer than 0.5 % of the messages costs less read from the index, by weeks.
WORD_SECOND_MOST = 6_000
_COLUMNS = f"m.room, {MESSAGE_COLUMNS}"
_ROW_ORDER = "ORDER BY d.ts DESC, d.room DESC, d.id DESC"
# A window of weeks (parameters: its oldest and its newest, as weeks back from the anchor's).
_WEEKS_OF = "anchor, generate_series(anchor.week - %s, anchor.week - %s) AS w"
# A window of periods (parameters: its oldest and its newest, as periods back from the span's top, never
# below its lowest).
_PERIODS_FROM = "greatest(span.lowest, span.top - %s)"
_PERIODS_OF = f"span, generate_series({_PERIODS_FROM}, span.top - %s) AS p"
# The periods the windows of periods ask for (parameters: MOST_PERIODS; their newest week, as weeks
# back from the anchor's): from that week's (``top``) to the oldest search row's the times allow, at
# most MOST_PERIODS of them (``lowest``); ``oldest`` is the oldest row's own.
_SPAN = (
    f"SELECT top, greatest(oldest, top - %s + 1) AS lowest, oldest FROM (SELECT"
    f" (a.week - %s) / {PERIOD_WEEKS} AS top, o.ts / {WEEK_MS} / {PERIOD_WEEKS} AS oldest"
    " FROM anchor a, (SELECT d.ts FROM search_rows d WHERE {times} ORDER BY d.ts, d.room, d.id LIMIT 1) AS o)"
    " AS s"
)
# The most periods a search of every week asks the index for, a prefix query each (about 35 µs): ten
# years. The matches of older periods (an imported archive) are found by the trigram index.
MOST_PERIODS = 130


def like_pattern(term: str) -> str:
    """A LIKE pattern that finds the term anywhere: its own %, _ and backslash stand for themselves."""
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


async def search(conn: Connection, query: SearchQuery) -> list[StoredMessage]:
    """Up to ``query.limit`` messages matching the query, newest first.

    The search rows are read first, and only the page's messages are looked up in ``messages``.
    A query of short terms only looks through the SCAN_RECENT most recent messages; a query of
    one small room, or of an author of few messages, reads all their rows. Otherwise
    the PROBE most recent search rows of all rooms after the cursor come first, read by the index
    of search rows by time, until a page is found: a common word fills its page there, and the
    page is exact (they are the first in search order). A query with a key in the index of word
    suffixes is answered in the same statement (word_weeks_sql): the index's matches of the
    newest weeks, then of older ones. Else, when the first look found some matches but not a page,
    a second, longer one may (as long as those matches say a page needs, up to PROBE_MOST rows);
    then the trigram index, whose matches (few, then) are sorted by time.
    """
    if query.nowhere:
        return []
    rows, rows_params = rows_sql(query, "%s", array=True)
    times, times_params = _times(query)
    after, after_params = _after(query)
    terms = list(query.terms.terms)
    if not query.terms.indexed:
        # The window stays where it is whatever the page: the cursor applies within it.
        recent = _recent_sql(f"{rows} AND {times}", after)
        values = [*rows_params, *times_params, SCAN_RECENT, *after_params, *terms]
        return await _page(conn, query, recent, values)
    if await _few_rows(conn, query):
        # OFFSET 0: found by room or author, then sorted.
        own = f"SELECT d.ts, d.room, d.id FROM (SELECT d.ts, d.room, d.id FROM search_rows d WHERE {rows}"
        own += f" AND {times} AND {after} AND {_matching(query, 'd')} OFFSET 0) AS d"
        return await _page(conn, query, own, [*rows_params, *times_params, *after_params, *terms])
    words = words_tsquery(query.terms)
    if words is not None:
        return await _page(conn, query, *word_weeks_sql(query, words), generic=True)
    probe, head, tail = look_sql(query, "%s")

    async def look(span: int) -> list[StoredMessage]:
        return await _page(conn, query, probe, [*head, span, *tail])

    found = await look(PROBE)
    if len(found) < query.limit and (span := second_span(query.limit, len(found))) is not None:
        found = await look(span)
    if len(found) == query.limit:
        return found
    # pg_trgm does best with every trigram of a phrase.
    keys, checked = query.terms.indexed, query.terms.short
    matching = " AND ".join(["d.folded LIKE %s"] * len(keys) + ["strpos(d.folded, %s) > 0"] * len(checked))
    hits = (
        f"SELECT d.ts, d.room, d.id FROM (SELECT d.ts, d.room, d.id FROM search_rows d WHERE {matching}"
        f" AND {rows} AND {times} AND {after} OFFSET 0) AS d"
    )
    values = [*map(like_pattern, keys), *checked, *rows_params, *times_params, *after_params]
    return await _page(conn, query, hits, values)


def word_weeks_sql(query: SearchQuery, words: str) -> tuple[str, list[object]]:
    """One statement (a SELECT of d.ts, d.room, d.id, and its parameters) answering a query of words.

    The first look comes first (look_sql). When it found many matches but not a page, a second,
    longer look (second_span, up to WORD_SECOND_MOST rows: for a common word, cheaper than the
    index's long lists of it). Then the index of word suffixes is asked for the matches of the
    RECENT_WEEKS newest weeks (the week of the newest search row the cursor and times allow, and
    any before it), in those weeks' periods (schema step 19) and by the week lexemes of schema
    step 15; when those do not fill the page either, for the matches of the PERIOD_WINDOWS
    periods before, by their periods alone (a week's lexeme is a long list to read, where a
    period's matches of a word are few); then for all the older ones (_window_parts). Each part
    runs only when those before it did not fill the page (a one-time filter: its scan is never
    started otherwise), and each window comes after the one before in search order, so the page
    is exact. A word's matches of a few weeks are a few rows read from the table, where all its
    matches were thousands (2-3 µs each).
    """
    limit = query.limit
    times, times_params = _times(query)
    after, after_params = _after(query)
    probe, head, tail = look_sql(query, "%s")
    span = f"(SELECT {PROBE * limit * 3} / (2 * greatest(count(*), 1)) FROM probe)"
    second = look_sql(query, span)[0]
    fewest = -(-PROBE * limit * 3 // (2 * WORD_SECOND_MOST))
    anchor = f"SELECT d.ts / {WEEK_MS} AS week FROM search_rows d WHERE {times} AND {after}"
    anchor += f" {_ROW_ORDER} LIMIT 1"
    sql = f"WITH probe AS MATERIALIZED ({probe} {_ROW_ORDER} LIMIT %s)"
    sql += f", second AS MATERIALIZED (SELECT d.ts, d.room, d.id FROM ({second}) AS d"
    sql += f" WHERE (SELECT count(*) FROM probe) BETWEEN %s AND %s {_ROW_ORDER} LIMIT %s)"
    sql += f", anchor AS MATERIALIZED ({anchor})"
    values = [*head, PROBE, *tail, limit, *head, *tail, fewest, limit - 1, limit]
    values += [*times_params, *after_params]
    windows, windows_values, names = _window_parts(query, words)
    sql += f"{windows} SELECT * FROM probe WHERE (SELECT count(*) FROM probe) = %s"
    sql += " UNION ALL SELECT * FROM second WHERE (SELECT count(*) FROM second) = %s"
    sql += "".join(f" UNION ALL SELECT * FROM {name}" for name in names)
    return f"SELECT d.ts, d.room, d.id FROM ({sql}) AS d", [*values, *windows_values, limit, limit]


def _window_parts(query: SearchQuery, words: str) -> tuple[str, list[object], list[str]]:
    """word_weeks_sql's windows (after its probe, second and anchor): their SQL, its parameters,
    their names. The last window, of every week before the others, asks for the words in each
    period of its span (_SPAN), up to MOST_PERIODS; an older match, the trigram index finds it
    (``ancient``), only when the span was cut short.
    """
    limit = query.limit
    rows, rows_params = rows_sql(query, "%s", array=True)
    times, times_params = _times(query)
    after, after_params = _after(query)
    filters = f"{_matching(query, 'd')} AND {rows} AND {times} AND {after}"
    filter_values = [*query.terms.terms, *rows_params, *times_params, *after_params]
    weeks_back, windows = _windows(query, words)
    sql = f", span AS MATERIALIZED ({_SPAN.replace('{times}', times)})"
    values: list[object] = [MOST_PERIODS, weeks_back, *times_params]
    gate = "(SELECT count(*) FROM probe) < %s AND (SELECT count(*) FROM second) < %s"
    gate_values: list[object] = [limit, limit]
    names: list[str] = []
    for window in windows:
        if names:
            gate += f" AND {' + '.join(f'(SELECT count(*) FROM {n})' for n in names)} < %s"
            gate_values.append(limit)
        if window.kind is WindowKind.WEEKS:
            keys, keys_values = _in_weeks(words, window.oldest, window.newest)
        elif window.kind is WindowKind.PERIODS:
            keys, keys_values = _in_periods(words, window.oldest, window.newest, weeks_back)
        else:
            keys, keys_values = _ancient(query)
            gate += " AND (SELECT lowest > oldest FROM span)"
        # OFFSET 0: the matches come from the index of the text, never from the index by time read
        # backwards (which the planner would take, for a word it thinks common, and read for long).
        # The gate outside it: a parallel plan's workers are not started when it is shut.
        sql += (
            f", {window.name} AS MATERIALIZED (SELECT d.ts, d.room, d.id FROM (SELECT d.ts, d.room, d.id"
            f" FROM search_rows d WHERE {keys} AND {filters}"
            f" OFFSET 0) AS d WHERE {gate} {_ROW_ORDER} LIMIT %s)"
        )
        values += [*keys_values, *filter_values, *gate_values, limit]
        names.append(window.name)
    return sql, values, names


def _in_weeks(words: str, oldest: int, newest: int) -> tuple[str, list[object]]:
    """A window of weeks as a condition on ``d``, and its parameters: the words in those weeks'
    periods (_asked), and in those weeks, by their lexemes."""
    asked, values = _asked(words, _WEEKS_OF, f"(w / {PERIOD_WEEKS})", [oldest, newest])
    weeks = f"(SELECT ('(' || string_agg('''W' || w || '''', ' | ') || ')')::tsquery FROM {_WEEKS_OF})"
    return f"d.keys @@ ({asked} && {weeks})", [*values, oldest, newest]


def _in_periods(words: str, oldest: int, newest: int, weeks_back: int) -> tuple[str, list[object]]:
    """A window of periods as a condition on ``d``, and its parameters: the words in those periods
    (_asked), then the rows of those periods and of the weeks up to the anchor's less ``weeks_back``
    (a query of pairs alone asks for no period, and its windows must not overlap either)."""
    asked, values = _asked(words, _PERIODS_OF, "p", [oldest, newest])
    rows = f"d.ts / {WEEK_MS} / {PERIOD_WEEKS} BETWEEN (SELECT {_PERIODS_FROM} FROM span)"
    rows += f" AND (SELECT span.top - %s FROM span) AND d.ts / {WEEK_MS} <= (SELECT week - %s FROM anchor)"
    return f"d.keys @@ {asked} AND {rows}", [*values, oldest, newest, weeks_back]


def _asked(words: str, periods: str, period: str, bounds: list[object]) -> tuple[str, list[object]]:
    """The tsquery of words_tsquery's ``words`` (SQL, and its parameters) in the periods (SQL:
    ``period``) of the rows of ``periods`` (a FROM list, its parameters ``bounds``), as
    search_words.in_periods writes it: the keys with no period once, and those behind IN_PERIOD
    in each period, or'ed (search_words.by_period)."""
    fixed, moving = by_period(words)
    if not moving:
        return "%s::tsquery", [fixed]
    each = f"replace(%s, '{IN_PERIOD}', '{PERIOD}' || {period} || '.')"
    asked = f"(SELECT ('(' || string_agg(DISTINCT {each}, ') | (') || ')')::tsquery FROM {periods})"
    if not fixed:
        return asked, [moving, *bounds]
    return f"(%s::tsquery && {asked})", [fixed, moving, *bounds]


def _ancient(query: SearchQuery) -> tuple[str, list[object]]:
    """The matches older than the span's periods, by the trigram index: a condition on ``d``, its
    parameters."""
    likes = ["d.folded LIKE %s"] * len(query.terms.indexed)
    older = f"d.ts / {WEEK_MS} / {PERIOD_WEEKS} < (SELECT lowest FROM span)"
    return " AND ".join([*likes, older]), [*map(like_pattern, query.terms.indexed)]


class WindowKind(enum.Enum):
    """How a window of word_weeks_sql asks for its matches."""

    # Weeks back from the anchor's, by their week lexemes (and, for words, their periods).
    WEEKS = "weeks"
    # Periods back from the span's top, by the periods of the words' keys.
    PERIODS = "periods"
    # Older than the span's lowest period, by the trigram index (only when the span was cut short).
    ANCIENT = "ancient"


@dataclass(frozen=True, slots=True)
class Window:
    """One part of word_weeks_sql: its name in the statement, how it asks, the newest and oldest it
    asks for (weeks or periods back, as its kind says)."""

    name: str
    kind: WindowKind
    newest: int = 0
    oldest: int = 0


_ANCIENT = Window("ancient", WindowKind.ANCIENT)


def _windows(query: SearchQuery, words: str) -> tuple[int, list[Window]]:
    """The parts of word_weeks_sql, in search order, and the newest week of its windows of periods,
    as weeks back from the anchor's. A query of one key in every room it may read asks for its
    newest weeks, then PERIOD_WINDOWS (a pair, PAIR_WEEKS), then every older period; one of more
    keys, or of a room or an author, has few matches (of all its keys; of that room, that author)
    in each: it asks for them all at once. The ancient window comes last in every query.
    """
    if " & " in words or query.rooms or query.author is not None:
        return 0, [Window("older", WindowKind.PERIODS, 0, MOST_PERIODS), _ANCIENT]
    if IN_PERIOD not in words:
        weeks = [
            Window(f"weeks{number}", WindowKind.WEEKS, newest, oldest)
            for number, (newest, oldest) in enumerate(PAIR_WEEKS)
        ]
        return PAIR_WEEKS[-1][1] + 1, [*weeks, Window("older", WindowKind.PERIODS, 0, MOST_PERIODS), _ANCIENT]
    windows, newest = [Window("weeks", WindowKind.WEEKS, 0, RECENT_WEEKS - 1)], 0
    for number, size in enumerate(PERIOD_WINDOWS):
        windows.append(Window(f"periods{number}", WindowKind.PERIODS, newest, newest + size - 1))
        newest += size
    older = Window("older", WindowKind.PERIODS, newest, MOST_PERIODS)
    return RECENT_WEEKS, [*windows, older, _ANCIENT]


def look_sql(query: SearchQuery, span: str) -> tuple[str, list[object], list[object]]:
    """A look at the ``span`` (SQL: a parameter, or an expression) most recent search rows that the
    cursor and times allow, read by the index by time: a SELECT of d.ts, d.room, d.id of those in
    the query's rooms holding its terms, and its parameters before the span and after it."""
    rows, rows_params = rows_sql(query, "%s", array=True)
    times, times_params = _times(query)
    after, after_params = _after(query)
    sql = (
        "SELECT d.ts, d.room, d.id FROM (SELECT d.ts, d.room, d.id, d.nick, d.folded FROM search_rows d"
        f" WHERE {times} AND {after} {_ROW_ORDER} LIMIT {span}) AS d WHERE {rows} AND {_matching(query, 'd')}"
    )
    return sql, [*times_params, *after_params], [*rows_params, *query.terms.terms]


async def _few_rows(conn: Connection, query: SearchQuery) -> bool:
    """Whether the search's own rows (a room's, an author's) are few: search_base.few_rows_sql."""
    asked = few_rows_sql(query, "%s")
    if asked is None:
        return False
    row = await (await conn.execute(*asked)).fetchone()
    return row is not None and bool(row[0])


def second_span(limit: int, found: int) -> int | None:
    """How many recent rows a second look reads to find a page, as the first look's ``found``
    matches (in PROBE rows) say, with half again to spare; None when that is more than PROBE_MOST."""
    if not found:
        return None
    span = PROBE * limit * 3 // (2 * found)
    return span if span <= PROBE_MOST else None


def _matching(query: SearchQuery, rows: str) -> str:
    """Every term as a condition on the folded text of ``rows`` (parameters: the terms): for rows
    found otherwise than by the trigram index."""
    return " AND ".join([f"strpos({rows}.folded, %s) > 0"] * len(query.terms.terms))


def _times(query: SearchQuery) -> tuple[str, list[object]]:
    """The times of a search as conditions on ``d`` (search_rows)."""
    clauses, params = ["1 = 1"], list[object]()
    if query.since is not None:
        clauses.append("d.ts >= %s")
        params.append(query.since)
    if query.until is not None:
        clauses.append("d.ts < %s")
        params.append(query.until)
    return " AND ".join(clauses), params


def _after(query: SearchQuery) -> tuple[str, list[object]]:
    """The condition that keeps search rows after the cursor in search order (TRUE without one)."""
    if query.cursor is None:
        return "1 = 1", []
    cursor = query.cursor
    return "(d.ts, d.room, d.id) < (%s, %s, %s)", [cursor.ts, cursor.room, cursor.id]


def _recent_sql(inside: str, last: str) -> str:
    """The SCAN_RECENT most recent search rows that ``inside`` allows, then those of them that ``last``
    allows and hold the terms, newest first (parameters: inside's, how many, last's, the terms).

    The rows come from the index by time alone (search_rows_by_ts); each one's text is looked up in
    turn (LATERAL, OFFSET 0: never a hash join of them all), so the statement stops at the page.
    """
    return (
        f"SELECT d.ts, d.room, d.id FROM (SELECT d.ts, d.room, d.id FROM search_rows d WHERE {inside}"
        f" {_ROW_ORDER} LIMIT %s) AS d CROSS JOIN LATERAL"
        " (SELECT folded FROM search_rows WHERE room = d.room AND id = d.id OFFSET 0) AS t"
        f" WHERE {last} AND {{matching}}"
    )


async def _page(
    conn: Connection, query: SearchQuery, rows: str, values: list[object], *, generic: bool = False
) -> list[StoredMessage]:
    """The messages of the first ``query.limit`` search rows that ``rows`` (a SELECT of d.ts, d.room,
    d.id, with a ``{matching}`` for the terms' conditions on ``t``, if any) answers, in search
    order: only they are looked up in messages. MATERIALIZED and OFFSET 0 keep the planner from
    turning the lookups into a scan of messages. ``generic``: planned once (fetch_generic_rows)."""
    rows = rows.replace("{matching}", _matching(query, "t"))
    sql = (
        f"WITH page AS MATERIALIZED ({rows} {_ROW_ORDER} LIMIT %s)"
        f" SELECT {_COLUMNS} FROM page CROSS JOIN LATERAL (SELECT * FROM messages"
        f" WHERE room = page.room AND id = page.id OFFSET 0) AS m {MESSAGE_JOINS} WHERE NOT m.deleted {ORDER}"
    )
    values = [*values, query.limit]
    found = await (fetch_generic_rows if generic else fetch_rows)(conn, sql, values)
    return [message_from_row(str(row[0]), row[1:]) for row in found]
