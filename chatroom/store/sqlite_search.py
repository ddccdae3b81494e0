"""Full-text search on SQLite: an FTS5 trigram index of every message's folded text (search_base.py).

``search_rows`` holds each message's folded text and author under a ``doc``
number in time order (search_base.DOC_SHIFT); ``search_index`` is an FTS5
table (trigram tokenizer) with it as external content, which triggers keep
in step (schema steps 9, 11 and 13). The index knows which documents hold a
trigram, not where (schema step 18): its matches are checked on the text.
Functions of a connection, like sqlite_sql.py's: the writer calls the
upkeep inside its batch transaction.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable

from ..events import StoredMessage
from .forward_rows import FORWARD_TEXT
from .message_rows import MESSAGE_COLUMNS, MESSAGE_JOINS, message_from_row
from .search_base import (
    DOC_SHIFT,
    SCAN_RECENT,
    SearchQuery,
    cursor_sql,
    drop_sql,
    edit_sql,
    few_rows_sql,
    file_name_sql,
    filter_sql,
    message_index_rows,
    rows_sql,
    searchable,
)
from .sqlite_grams import TrigramCounts

# A new document's number: the first of its millisecond's (search_base.DOC_SHIFT), or the next free one.
_ADD = (
    "INSERT INTO search_rows (doc, room, id, nick, folded) VALUES ("
    f"(SELECT coalesce(max(doc) + 1, -(?1 << {DOC_SHIFT})) FROM search_rows"
    f" WHERE doc >= -(?1 << {DOC_SHIFT}) AND doc < -(?1 << {DOC_SHIFT}) + {1 << DOC_SHIFT}), ?2, ?3, ?4, ?5)"
)
# Schema step 21: the writer adds a batch's rows to the index itself, after them.
_INDEX = "INSERT INTO search_index (rowid, folded) VALUES (?, ?)"
_FIRST_DOC, _LAST_DOC = -(2**63), 2**63 - 1
_COLUMNS = f"m.room, {MESSAGE_COLUMNS}"


def index_messages(conn: sqlite3.Connection, messages: Iterable[StoredMessage]) -> None:
    """Index new messages, but the deleted, numbered by their times (inside the caller's transaction).

    Their rows first, one by one, then their trigrams all at once, in the order of their numbers:
    FTS5 writes what it holds to a new segment at every savepoint (each row's insert opens one),
    and whenever a document comes with a lower number than the one before it (a newer message's
    is lower: search_base.DOC_SHIFT). So a batch's trigrams make one segment (schema step 21).
    """
    indexed: list[tuple[int, str]] = []
    for room, msg_id, ts, nick, folded in message_index_rows(messages):
        doc = conn.execute(_ADD, (ts, room, msg_id, nick, folded)).lastrowid
        assert doc is not None, "an insert has a row id"
        indexed.append((doc, folded))
    conn.executemany(_INDEX, sorted(indexed))


def reindex(conn: sqlite3.Connection, room: str, msg_id: int, text: str) -> None:
    """A message's new text replaces its old in the index (an edit); its file's name and a forwarded
    text (forward_rows.py) stay."""
    row = conn.execute(file_name_sql("?"), (room, msg_id)).fetchone()
    forwarded = conn.execute(FORWARD_TEXT, (room, msg_id)).fetchone()
    text = text if forwarded is None else f"{text}\n{forwarded[0]}"
    conn.execute(edit_sql("?"), (searchable(text, None if row is None else str(row[0])), room, msg_id))


def unindex(conn: sqlite3.Connection, room: str, msg_id: int) -> None:
    """A message leaves the index (a deletion)."""
    conn.execute(drop_sql("?"), (room, msg_id))


def search(conn: sqlite3.Connection, query: SearchQuery, counts: TrigramCounts) -> list[StoredMessage]:
    """Up to ``query.limit`` messages matching the query, newest first.

    Documents are read newest first (their numbers grow as times go back):
    from the index when a term is long enough, by the rarest of its
    trigrams (sqlite_grams.py; but of one small room, or author, all its
    rows), else from search_rows itself, as far as the SCAN_RECENT most
    recent messages, until a page of matches is found. Their order is the
    search's but within a millisecond: the matches of the page's last
    millisecond are read again, and the page sorted, so that it is exact.
    Documents from ``low`` (included) to ``high`` (excluded) are read.
    """
    if query.nowhere:
        return []
    low, high = _FIRST_DOC, _LAST_DOC
    if query.since is not None:
        high = _doc(query.since - 1)
    if query.until is not None:
        low = _doc(query.until - 1)
    # The index's matches hold a term's trigrams, not always the term: every term is checked.
    checked = query.terms.terms
    match, match_params = "1 = 1", list[object]()
    if query.terms.indexed and _few_rows(conn, query):
        source, doc = "search_rows d", "d.doc"
    elif query.terms.indexed:
        source, doc = "search_index s CROSS JOIN search_rows d ON d.doc = s.rowid", "s.rowid"
        match, match_params = "search_index MATCH ?", [counts.match_expression(conn, query.terms.indexed)]
    else:
        source, doc = "search_rows d NOT INDEXED", "d.doc"
        high = min(high, _window_end(conn, query, low, high))
    if query.cursor is not None:
        low = max(low, _doc(query.cursor.ts))
    rows, rows_params = rows_sql(query, "?")
    checks = " AND ".join(["instr(d.folded, ?) > 0"] * len(checked)) or "1 = 1"
    filters, params = filter_sql(query, "?", "m.deleted = 0")
    after, after_params = cursor_sql(query, "?")
    joined = f"FROM {source} CROSS JOIN messages m ON m.room = d.room AND m.id = d.id"
    where = f"{match} AND {rows} AND {checks} AND {doc} < ? AND {filters} AND {after} AND {doc} >= ?"

    def values(low: int, high: int) -> list[object]:
        return [*match_params, *rows_params, *checked, high, *params, *after_params, low]

    newest = f"SELECT {_COLUMNS} {joined} {MESSAGE_JOINS} WHERE {where} ORDER BY {doc} LIMIT ?"
    found = _messages(conn.execute(newest, [*values(low, high), query.limit]))
    if len(found) == query.limit:
        # Every match after the page's last millisecond is in it already; of that millisecond, maybe not.
        last = found[-1].ts
        tied = f"SELECT {_COLUMNS} {joined} {MESSAGE_JOINS} WHERE {where}"
        found += _messages(conn.execute(tied, values(max(low, _doc(last)), min(high, _doc(last - 1)))))
    unique = {(m.room, m.id): m for m in found}.values()
    return sorted(unique, key=lambda m: (m.ts, m.room, m.id), reverse=True)[: query.limit]


def _few_rows(conn: sqlite3.Connection, query: SearchQuery) -> bool:
    """Whether the search's own rows (a room's, an author's) are few: search_base.few_rows_sql."""
    asked = few_rows_sql(query, "?")
    return asked is not None and bool(conn.execute(*asked).fetchone()[0])


def _messages(cursor: sqlite3.Cursor) -> list[StoredMessage]:
    return [message_from_row(str(row[0]), row[1:]) for row in cursor.fetchall()]


def _doc(ts: int) -> int:
    """The first (lowest) document number of a time (ms), within the numbers SQLite can hold."""
    return max(_FIRST_DOC, min(_LAST_DOC, -(ts << DOC_SHIFT)))


def _window_end(conn: sqlite3.Connection, query: SearchQuery, low: int, high: int) -> int:
    """Where the SCAN_RECENT most recent messages the filters allow end: the document after the
    oldest of them (``high`` if there are fewer)."""
    rows, rows_params = rows_sql(query, "?")
    sql = (
        f"SELECT d.doc FROM search_rows d NOT INDEXED WHERE {rows}"
        " AND d.doc >= ? AND d.doc < ? ORDER BY d.doc LIMIT 1 OFFSET ?"
    )
    edge = conn.execute(sql, [*rows_params, low, high, SCAN_RECENT - 1])
    row = edge.fetchone()
    return high if row is None else int(row[0]) + 1
