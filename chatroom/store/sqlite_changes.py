"""Changes to messages on SQLite: stored inside the writer's batch transaction, and read back.

Functions of a connection, like sqlite_sql.py's. A change's id comes from
the same counter as the batch's messages (``next_id``), so both share the
room's one sequence; a deletion empties the message's text and every edit
of it in the same transaction, and drops its reactions and its pin.
"""

from __future__ import annotations

import dataclasses
import sqlite3
from collections.abc import Callable

from ..emoji_names import custom_name
from ..events import (
    CLOSE_POLL,
    DELETE,
    EDIT,
    PIN,
    PREVIEW,
    REACTION,
    VOTE,
    ReplyQuote,
    StoredChange,
    StoredMessage,
)
from ..polls import read_poll
from . import poll_rows
from .change_rules import (
    Changed,
    ChangeRefusedError,
    ChangeRequest,
    TargetState,
    decide,
    moderation_act,
    reply_refusal,
)
from .file_rows import DROP_MESSAGE_FILE
from .forward_rows import DELETE_FORWARD
from .message_rows import (
    CHANGE_COLUMNS,
    MESSAGE_COLUMNS,
    MESSAGE_SOURCE,
    PINNED_SQL,
    change_from_row,
    merge_in_order,
    message_from_row,
    quoted_text,
    reactions_sql,
    with_reactions,
)
from .sql_acts import INSERT_ACT, act_values
from .sqlite_search import reindex, unindex
from .thread_rows import EVERY, ROOT_SQL, Within, root_refusal, roots_of, summary_sql, with_replies

# At most this many ids in one IN (...): SQLite's variable limit is far above.
_CHUNK = 500
# A message's pin and its reactions, gone with it (and a pin with its unpinning): (room, target).
_UNPIN = "DELETE FROM pins WHERE room = ? AND target = ?"
_DROP_REACTIONS = "DELETE FROM reactions WHERE room = ? AND target = ?"
# One person's one reaction taken back: (room, target, emoji, account).
# Whether a custom emoji of the name a reaction gives exists.
CUSTOM_KNOWN = "SELECT EXISTS (SELECT 1 FROM custom_emoji WHERE name = ?)"
# A message's previews as a preview change leaves them: (cards or "" once removed, room, target).
_SET_PREVIEW = "UPDATE messages SET preview = ? WHERE room = ? AND id = ?"
_TAKE_BACK = "DELETE FROM reactions WHERE room = ? AND target = ? AND emoji = ? AND account_id = ?"
_CLOSED, _VOTED = poll_rows.CLOSED_SQL.format("?"), poll_rows.VOTED_SQL.format("?")
_INSERT_VOTE = "INSERT OR REPLACE" + poll_rows.INSERT_VOTE.format("?").removeprefix("INSERT")
_TAKE_BACK_VOTE, _TAKE_BACK_ALL = poll_rows.TAKE_BACK_VOTE.format("?"), poll_rows.TAKE_BACK_ALL.format("?")
_DROP_VOTES = poll_rows.DROP_VOTES.format("?")
# The message a reply answers: (room, id).
_REPLY_QUOTE = f"SELECT r.nick, {quoted_text('r')}, r.deleted FROM messages r WHERE r.room = ? AND r.id = ?"


def reply_quote(conn: sqlite3.Connection, room: str, reply_to: int) -> ReplyQuote:
    """The message a reply answers, as it is now; ChangeRefusedError when the room has none."""
    row = conn.execute(_REPLY_QUOTE, (room, reply_to)).fetchone()
    if row is None:
        raise reply_refusal(reply_to)
    return ReplyQuote(reply_to, str(row[0]), None if row[2] else str(row[1]))


def _target(conn: sqlite3.Connection, room: str, request: ChangeRequest) -> TargetState | None:
    row = conn.execute(
        "SELECT account_id, deleted, message, nick, preview FROM messages WHERE room = ? AND id = ?",
        (room, request.target),
    ).fetchone()
    if row is None:
        return None
    if request.kind == DELETE:
        return TargetState(row[0], bool(row[1]), str(row[2]), author=str(row[3]))
    if request.kind == PIN:
        pinned, pins = conn.execute(
            "SELECT COALESCE(MAX(target = ?), 0), COUNT(*) FROM pins WHERE room = ?", (request.target, room)
        ).fetchone()
        return TargetState(row[0], bool(row[1]), str(row[2]), pinned=bool(pinned), pins=int(pins))
    if request.kind in (VOTE, CLOSE_POLL):
        key = (room, request.target)
        closed = conn.execute(_CLOSED, key).fetchone()[0]
        voted = conn.execute(_VOTED, (*key, request.account_id)).fetchall()
        voted_options = tuple(int(v[0]) for v in voted)
        return TargetState(row[0], bool(row[1]), str(row[2]), poll_closed=bool(closed), voted=voted_options)
    if request.kind == PREVIEW:
        return TargetState(row[0], bool(row[1]), str(row[2]), preview=row[4])
    if request.kind != REACTION:
        return TargetState(row[0], bool(row[1]), str(row[2]))
    reacted, there, emojis = conn.execute(
        "SELECT COALESCE(MAX(emoji = ? AND account_id = ?), 0), COALESCE(MAX(emoji = ?), 0),"
        " COUNT(DISTINCT emoji) FROM reactions WHERE room = ? AND target = ?",
        (request.emoji, request.account_id, request.emoji, room, request.target),
    ).fetchone()
    custom = custom_name(request.emoji)
    known = custom is None or conn.execute(CUSTOM_KNOWN, (custom,)).fetchone()[0]
    state = TargetState(row[0], bool(row[1]), str(row[2]), bool(reacted), bool(there), int(emojis))
    return dataclasses.replace(state, custom_known=bool(known))


def apply_change(
    conn: sqlite3.Connection, room: str, request: ChangeRequest, ts: int, next_id: Callable[[], int]
) -> Changed:
    """Store one change (inside the caller's transaction); ChangeRefusedError when refused."""
    target = _target(conn, room, request)
    if not decide(request, target):
        return Changed(request.target, None)
    assert target is not None  # decide() refuses a message that is not there
    # A deletion of another's message and its act in the history: both kept, or neither.
    if (act := moderation_act(request, target, room, ts)) is not None:
        conn.execute(INSERT_ACT, act_values(act))
    change = StoredChange(
        next_id(),
        room,
        request.kind,
        request.target,
        request.nick,
        ts,
        request.text,
        request.emoji,
        request.on,
        request.account_id,
    )
    conn.execute(
        f"INSERT INTO changes (room, {CHANGE_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (room, change.id, change.kind, change.target, change.nick, ts, change.text, change.emoji,
         int(change.on), request.account_id),
    )  # fmt: skip
    key, dropped = (room, request.target), None
    if request.kind == EDIT:
        conn.execute(
            "UPDATE messages SET message = ?, edited = ? WHERE room = ? AND id = ?", (request.text, ts, *key)
        )
        reindex(conn, room, request.target, request.text)
    elif request.kind == DELETE:
        dropped = conn.execute(DROP_MESSAGE_FILE, key).fetchone()
        conn.execute(
            "UPDATE messages SET message = '', deleted = 1, file_id = NULL, preview = NULL"
            " WHERE room = ? AND id = ?",
            key,
        )
        conn.execute("UPDATE changes SET text = '' WHERE room = ? AND target = ?", key)
        conn.execute(_DROP_REACTIONS, key)
        conn.execute(_UNPIN, key)
        conn.execute(_DROP_VOTES, key)
        conn.execute(DELETE_FORWARD, key)
        unindex(conn, room, request.target)
    elif request.kind == PIN:
        _pin(conn, change)
    elif request.kind == VOTE:
        _vote(conn, change, _several(conn, change))
    elif request.kind == CLOSE_POLL:
        pass  # the change itself closes the poll: poll_rows.CLOSED_SQL reads it
    elif request.kind == PREVIEW:
        conn.execute(_SET_PREVIEW, (change.text if change.on else "", *key))
    elif request.on:
        conn.execute(
            "INSERT INTO reactions (room, target, emoji, account_id, nick, id) VALUES (?, ?, ?, ?, ?, ?)",
            (*key, request.emoji, request.account_id, request.nick, change.id),
        )
    else:
        conn.execute(
            _TAKE_BACK,
            (*key, request.emoji, request.account_id),
        )
    return Changed(request.target, change, None if dropped is None else str(dropped[0]))


def _pin(conn: sqlite3.Connection, change: StoredChange) -> None:
    """Pin or unpin the change's target as the change says."""
    key = (change.room, change.target)
    if change.on:
        conn.execute(
            "INSERT OR REPLACE INTO pins (room, target, account_id, nick, ts, id) VALUES (?, ?, ?, ?, ?, ?)",
            (*key, change.account_id, change.nick, change.ts, change.id),
        )
    else:
        conn.execute(_UNPIN, key)


def _several(conn: sqlite3.Connection, change: StoredChange) -> bool:
    """Whether the poll a vote is for lets one choose several options."""
    row = conn.execute("SELECT message FROM messages WHERE room = ? AND id = ?", (change.room, change.target))
    poll = read_poll(str((row.fetchone() or ("",))[0]))
    return poll is not None and poll.several


def _vote(conn: sqlite3.Connection, change: StoredChange, several: bool) -> None:
    """Put a vote there (on a poll of one choice, in place of the voter's earlier one), or take it back."""
    key, option = (change.room, change.target), int(change.emoji)
    if not change.on:
        conn.execute(_TAKE_BACK_VOTE, (*key, option, change.account_id))
        return
    if not several:
        conn.execute(_TAKE_BACK_ALL, (*key, change.account_id))
    conn.execute(_INSERT_VOTE, (*key, option, change.account_id, change.nick, change.id))


def import_changes(conn: sqlite3.Connection, changes: list[StoredChange]) -> None:
    """Store changes as exported (inside the caller's transaction); reactions and pins as they stand
    after them."""
    conn.executemany(
        f"INSERT INTO changes (room, {CHANGE_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (c.room, c.id, c.kind, c.target, c.nick, c.ts, c.text, c.emoji, int(c.on), c.account_id)
            for c in changes
        ],
    )
    for c in changes:
        key = (c.room, c.target)
        if c.kind == DELETE:
            conn.execute(_DROP_REACTIONS, key)
            conn.execute(_UNPIN, key)
            conn.execute(_DROP_VOTES, key)
        elif c.kind == PIN:
            _pin(conn, c)
        elif c.kind == VOTE and c.account_id is not None:
            _vote(conn, c, _several(conn, c))
        elif c.kind == PREVIEW:
            conn.execute(_SET_PREVIEW, (c.text if c.on else "", *key))
        elif c.kind == REACTION and c.account_id is not None and c.on:
            conn.execute(
                "INSERT OR REPLACE INTO reactions (room, target, emoji, account_id, nick, id)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (*key, c.emoji, c.account_id, c.nick, c.id),
            )
        elif c.kind == REACTION and c.account_id is not None:
            conn.execute(
                _TAKE_BACK,
                (*key, c.emoji, c.account_id),
            )


def read_messages(
    conn: sqlite3.Connection, room: str, low: int, high: int, limit: int, newest: bool, within: Within = EVERY
) -> list[StoredMessage]:
    """Up to ``limit`` messages ``within`` (thread_rows.py) with low < id < high in their current state,
    oldest first."""
    where, params = within.where("?")
    query = (
        f"SELECT {MESSAGE_COLUMNS} FROM {MESSAGE_SOURCE} WHERE m.room = ? AND m.id > ? AND m.id < ?{where}"
        f" ORDER BY m.id {'DESC' if newest else 'ASC'} LIMIT ?"
    )
    rows = conn.execute(query, (room, low, high, *params, limit)).fetchall()
    return _with_reactions(
        conn, room, [message_from_row(room, row) for row in (rows[::-1] if newest else rows)]
    )


def read_pinned(conn: sqlite3.Connection, room: str) -> list[StoredMessage]:
    """The room's pinned messages in their current state, most recently pinned first."""
    rows = conn.execute(PINNED_SQL.format("?"), (room,)).fetchall()
    return _with_reactions(conn, room, [message_from_row(room, row) for row in rows])


def _with_reactions(
    conn: sqlite3.Connection, room: str, messages: list[StoredMessage]
) -> list[StoredMessage]:
    """The messages with their reactions, and the roots among them with their replies' summary."""
    found: list[tuple[object, ...]] = []
    for start in range(0, len(messages), _CHUNK):
        ids = [m.id for m in messages[start : start + _CHUNK]]
        found += conn.execute(reactions_sql(len(ids), "?"), (room, *ids)).fetchall()
    polls = poll_rows.poll_ids(messages)
    voted: list[tuple[object, ...]] = []
    for start in range(0, len(polls), _CHUNK):
        ids = polls[start : start + _CHUNK]
        voted += conn.execute(poll_rows.votes_sql(len(ids), "?"), (room, *ids, room, *ids)).fetchall()
    summed: list[tuple[object, ...]] = []
    roots = roots_of(messages)
    for start in range(0, len(roots), _CHUNK):
        ids = roots[start : start + _CHUNK]
        summed += conn.execute(summary_sql(len(ids), "?"), (room, *ids)).fetchall()
    return with_replies(poll_rows.with_votes(with_reactions(messages, found), voted), summed)


def thread_root_refusal(conn: sqlite3.Connection, room: str, root: int) -> ChangeRefusedError | None:
    """Why message ``root`` of the room cannot take thread replies now, None when it can."""
    return root_refusal(root, conn.execute(ROOT_SQL.format("?"), (room, root)).fetchone())


def read_changes(
    conn: sqlite3.Connection, room: str, after: int, before: int, limit: int, newest: bool
) -> list[StoredChange]:
    """Up to ``limit`` changes with after < id < before, oldest first (with ``newest``, the latest such)."""
    query = (
        f"SELECT {CHANGE_COLUMNS} FROM changes WHERE room = ? AND id > ? AND id < ?"
        f" ORDER BY id {'DESC' if newest else 'ASC'} LIMIT ?"
    )
    rows = conn.execute(query, (room, after, before, limit)).fetchall()
    return [change_from_row(room, row) for row in (rows[::-1] if newest else rows)]


def read_sequence(
    conn: sqlite3.Connection, room: str, after: int, limit: int
) -> list[StoredMessage | StoredChange]:
    """The first ``limit`` messages and changes with id > ``after``, in id order."""
    messages = read_messages(conn, room, after, 2**62, limit, False)
    return merge_in_order(messages, read_changes(conn, room, after, 2**62, limit, False), limit)
