"""Full-text search's contract and the SQL both dialects share (no I/O).

Each store keeps a folded copy (search_text.fold) of every message that is
not deleted, a row of ``search_rows``: its text and, for a message with a
file, the file's name on a line of its own (searchable: a photo sent without
a caption is found by its name, and no phrase spans the two), in a trigram index of its own engine:
an FTS5 table with the trigram tokenizer on SQLite (kept in step by
triggers), a pg_trgm GIN index on PostgreSQL, and there a full-text index of
the suffixes and the pairs of its words too (search_words.py). Storing,
editing, deleting and importing a message update that copy in the same
transaction. A search
answers messages, in their current state, that hold every term as a
substring of their folded text, newest first: by time, then room, then id
(descending), which is also the order of the cursor.

The caller says which rooms may be searched: a list of rooms, or a
``Reader`` (access.py's rule of who reads which room, as data), or both. A
reader's rooms are read in the search's own statement, so the room of a
membership ended just before the search is not searched (and the API carries
no list of a thousand rooms). A query of only one- and two-character terms
(which a trigram index cannot serve) looks through the SCAN_RECENT most
recent messages matching the filters, and finds nothing older.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from ..events import FileInfo, StoredMessage
from ..forwarded import searchable_text
from ..search_text import Terms, fold
from .records import OPEN

SCAN_RECENT = 5000
MAX_RESULTS = 100
# A search of one room of at most so many ids, or of an author of at most so many messages, reads
# all their rows rather than the index's matches of every room (few_rows_sql).
FEW_ROWS = 5000
# SQLite numbers a search document -(ts << DOC_SHIFT) + n, n telling apart the
# messages of one millisecond: its index then yields matches newest first, in
# its fast (ascending) direction (schema step 11). 2**63 >> 20 milliseconds
# reach the year 2248.
DOC_SHIFT = 20


@dataclass(frozen=True, slots=True)
class SearchCursor:
    """Where a page ended: the next page holds messages before this one in search order."""

    ts: int
    room: str
    id: int


@dataclass(frozen=True, slots=True)
class Reader:
    """Who a search is for, as access.may_read asks it: the open rooms (``open_rooms``) and the
    rooms the account is a member of (``account_id``; None for a guest)."""

    account_id: int | None
    open_rooms: bool


@dataclass(frozen=True, slots=True)
class SearchQuery:
    """A search: its terms, the rooms it may look in, its filters, and the page wanted.

    Without a reader, the rooms listed; with one, the rooms it reads now (only those of
    ``rooms`` among them when ``rooms`` is not empty).
    """

    terms: Terms
    rooms: tuple[str, ...]
    # The author's name exactly as the message shows it.
    author: str | None = None
    # Times in milliseconds: since is inclusive, until exclusive.
    since: int | None = None
    until: int | None = None
    cursor: SearchCursor | None = None
    limit: int = 20
    reader: Reader | None = None

    @property
    def nowhere(self) -> bool:
        """Whether no room can answer: no rooms listed and no reader, or a reader who reads none."""
        if self.reader is None:
            return not self.rooms
        return self.reader.account_id is None and not self.reader.open_rooms


def few_rows_sql(query: SearchQuery, mark: str) -> tuple[str, list[object]] | None:
    """A statement answering, in one row and column, whether the search's own rows are few enough
    to read them all: those of one room of at most FEW_ROWS ids (messages and their changes), or
    of an author of at most FEW_ROWS messages. The index's matches of every room are read until a
    page of them are the room's (or the author's): for a quiet one, all of them. None when the
    search names neither."""
    checks: list[str] = []
    params: list[object] = []
    if len(query.rooms) == 1:
        checks.append(f"coalesce((SELECT last_id FROM rooms WHERE room = {mark}), 0) <= {FEW_ROWS}")
        params.append(query.rooms[0])
    if query.author is not None:
        written = f"SELECT 1 FROM search_rows WHERE nick = {mark} LIMIT {FEW_ROWS + 1}"
        checks.append(f"(SELECT count(*) FROM ({written}) AS written) <= {FEW_ROWS}")
        params.append(query.author)
    return (f"SELECT {' OR '.join(checks)}", params) if checks else None


def add_sql(mark: str) -> str:
    """Index a message: parameters (room, id, folded text) from index_rows."""
    return f"INSERT INTO search_rows (room, id, folded) VALUES ({mark}, {mark}, {mark})"


def edit_sql(mark: str) -> str:
    """A message's new text on SQLite: parameters (folded text, room, id). PostgreSQL's writes the
    text's keys with it (pg_search_rows.reindex)."""
    return f"UPDATE search_rows SET folded = {mark} WHERE room = {mark} AND id = {mark}"


def drop_sql(mark: str) -> str:
    """A deleted message leaves the index: parameters (room, id)."""
    return f"DELETE FROM search_rows WHERE room = {mark} AND id = {mark}"


def index_rows(messages: Iterable[tuple[str, int, str]]) -> list[tuple[str, int, str]]:
    """Rows of search_rows for messages given as (room, id, text), none of which has a file (step 9)."""
    return [(room, msg_id, fold(text)) for room, msg_id, text in messages]


def searchable(text: str, file: FileInfo | str | None) -> str:
    """The folded copy of a message: its text, then its file's name (or this name) on a line of its own."""
    name = file.name if isinstance(file, FileInfo) else file
    folded = fold(text)
    return folded if name is None else f"{folded}\n{fold(name)}"


def message_index_rows(messages: Iterable[StoredMessage]) -> list[tuple[str, int, int, str, str]]:
    """Rows (room, id, ts, nick, folded) of search_rows for messages not deleted, with their files' names."""
    return [
        (m.room, m.id, m.ts, m.nick, searchable(searchable_text(m.text, m.forward), m.file))
        for m in messages
        if not m.deleted
    ]


def file_name_sql(mark: str) -> str:
    """The name of a message's file (no row when it has none): parameters (room, id)."""
    return (
        "SELECT f.name FROM messages m JOIN files f ON f.id = m.file_id"
        f" WHERE m.room = {mark} AND m.id = {mark}"
    )


def filter_sql(query: SearchQuery, mark: str, not_deleted: str) -> tuple[str, list[object]]:
    """The WHERE conditions on ``m`` (messages) of a search but its terms, rooms and author: times."""
    clauses = [not_deleted]
    params: list[object] = []
    if query.since is not None:
        clauses.append(f"m.ts >= {mark}")
        params.append(query.since)
    if query.until is not None:
        clauses.append(f"m.ts < {mark}")
        params.append(query.until)
    return " AND ".join(clauses), params


def rows_sql(query: SearchQuery, mark: str, *, array: bool = False) -> tuple[str, list[object]]:
    """The conditions on ``d`` (search_rows) of the rooms the query may look in, and its author.

    With ``array`` the rooms listed are one parameter, a list (PostgreSQL's ``= ANY``).
    """
    clauses: list[str] = []
    params: list[object] = []
    if query.rooms or query.reader is None:
        if array:
            clauses.append(f"d.room = ANY ({mark})")
            params.append(list(query.rooms))
        else:
            clauses.append(f"d.room IN ({', '.join([mark] * len(query.rooms))})")
            params += query.rooms
    if query.reader is not None:
        clauses.append(readable_sql(mark))
        params += [query.reader.open_rooms, query.reader.account_id, query.reader.account_id]
    if query.author is not None:
        clauses.append(f"d.nick = {mark}")
        params.append(query.author)
    return " AND ".join(clauses), params


def readable_sql(mark: str) -> str:
    """The condition that ``d.room`` is a room the reader may read now (parameters: Reader.open_rooms,
    Reader.account_id twice), the rule of access.may_read: an open room when it may read those, or a
    room it is a member of (none for a guest, whose account_id is NULL), and not one it is barred from.

    Two IN lists joined by OR: each is read once into a hash table (PostgreSQL's hashed SubPlan,
    SQLite's ephemeral index) that every search row is held against, and the planner cannot turn
    them into a join of another order.
    """
    return (
        f"(d.room IN (SELECT room FROM rooms WHERE kind = '{OPEN}' AND {mark})"
        f" OR d.room IN (SELECT room FROM memberships WHERE account_id = {mark}))"
        f" AND d.room NOT IN (SELECT room FROM room_bars WHERE account_id = {mark})"
    )


def cursor_sql(query: SearchQuery, mark: str) -> tuple[str, list[object]]:
    """The condition that keeps messages after the cursor in search order (TRUE without one)."""
    if query.cursor is None:
        return "1 = 1", []
    cursor = query.cursor
    # The bare time bound lets an index of messages by time start at the cursor.
    condition = f"m.ts <= {mark} AND (m.ts, m.room, m.id) < ({mark}, {mark}, {mark})"
    return condition, [cursor.ts, cursor.ts, cursor.room, cursor.id]


ORDER = "ORDER BY m.ts DESC, m.room DESC, m.id DESC"
