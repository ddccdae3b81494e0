"""Changes to messages on PostgreSQL: stored inside the writer's batch transaction, and read back.

The batch holds its rooms' rows locked (pg_batch.py), so a change reads its
target, takes the room's next id (``last_id + 1`` on the locked row, the
counter messages use) and writes, without another node in between. A
deletion empties the message's text and every edit of it in the same
transaction, and drops its reactions and its pin.
"""

from __future__ import annotations

import asyncio
import dataclasses

import psycopg
from psycopg.rows import TupleRow

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
from .change_rules import Changed, ChangeRefusedError, ChangeRequest, TargetState, decide, moderation_act
from .file_rows import DROP_MESSAGE_FILE
from .forward_rows import DELETE_FORWARD, pg
from .message_rows import (
    CHANGE_COLUMNS,
    MESSAGE_COLUMNS,
    MESSAGE_SOURCE,
    PINNED_SQL,
    change_from_row,
    merge_in_order,
    message_from_row,
    quoted_text,
    with_reactions,
)
from .pg_search_rows import reindex
from .search_base import drop_sql, searchable
from .sql_acts import INSERT_ACT, act_values
from .thread_rows import EVERY, Within, root_refusal, roots_of, with_replies

Connection = psycopg.AsyncConnection[TupleRow]

# A page's reactions and its roots' replies summed up (thread_rows.summary_sql), in one round trip:
# first (0, target, emoji, nick, ...) a reaction, in the order they were put there, then (1, root,
# count, last id, last ts). ? : the room and the page's ids, the room and its roots' ids.
REACTIONS_AND_REPLIES_SQL = """
SELECT 0 AS part, target, emoji, nick, id AS n, NULL::bigint, NULL::bigint
FROM reactions WHERE room = %s AND target = ANY(%s)
UNION ALL
SELECT 1, thread_id, NULL, NULL, COUNT(*), MAX(id), MAX(ts)
FROM messages WHERE room = %s AND thread_id = ANY(%s) AND NOT deleted GROUP BY thread_id
ORDER BY 1, 2, 5
"""
# What the writer checks of roots, by array.
ROOTS_SQL = "SELECT id, deleted, thread_id FROM messages WHERE room = %s AND id = ANY(%s)"

_TARGET = """
SELECT m.account_id, m.deleted, m.message,
  EXISTS (SELECT 1 FROM reactions x WHERE x.room = m.room AND x.target = m.id AND x.emoji = %s
          AND x.account_id = %s), m.nick, m.preview
FROM messages m WHERE m.room = %s AND m.id = %s
"""
# For a reaction: whether anyone's reaction has the emoji, and how many different emoji there are.
_EMOJIS = """
SELECT COALESCE(bool_or(emoji = %s), false), COUNT(DISTINCT emoji),
  %s::text IS NULL OR EXISTS (SELECT 1 FROM custom_emoji WHERE name = %s::text)
FROM reactions WHERE room = %s AND target = %s
"""
# For a pin: whether the message is pinned, and how many messages of its room are.
_PINS = "SELECT COALESCE(bool_or(target = %s), false), COUNT(*) FROM pins WHERE room = %s"
_PIN = """
INSERT INTO pins (room, target, account_id, nick, ts, id) VALUES (%s, %s, %s, %s, %s, %s)
ON CONFLICT (room, target) DO UPDATE SET account_id = excluded.account_id, nick = excluded.nick,
  ts = excluded.ts, id = excluded.id
"""
_UNPIN = "DELETE FROM pins WHERE room = %s AND target = %s"
_CLOSED, _VOTED = poll_rows.CLOSED_SQL.format("%s"), poll_rows.VOTED_SQL.format("%s")
_INSERT_VOTE = poll_rows.INSERT_VOTE.format("%s") + (
    " ON CONFLICT (room, target, option_index, account_id)"
    " DO UPDATE SET nick = excluded.nick, id = excluded.id"
)
_TAKE_BACK_VOTE, _TAKE_BACK_ALL = poll_rows.TAKE_BACK_VOTE.format("%s"), poll_rows.TAKE_BACK_ALL.format("%s")
_DROP_VOTES = poll_rows.DROP_VOTES.format("%s")
_POLL_TEXT = "SELECT message FROM messages WHERE room = %s AND id = %s"
# A message's previews as a preview change leaves them: (cards or "" once removed, room, target).
_SET_PREVIEW = "UPDATE messages SET preview = %s WHERE room = %s AND id = %s"
# An edit's new text: the message's time and its file's name (NULL: none) for its search row.
_EDIT = """
UPDATE messages m SET message = %s, edited = %s WHERE room = %s AND id = %s
RETURNING m.ts, (SELECT f.name FROM files f WHERE f.id = m.file_id),
  (SELECT w.message FROM forwards w WHERE w.room = m.room AND w.id = m.id)
"""
_NEXT_ID = "UPDATE rooms SET last_id = last_id + 1 WHERE room = %s RETURNING last_id"
_INSERT = f"INSERT INTO changes (room, {CHANGE_COLUMNS}) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
_INSERT_ACT = INSERT_ACT.replace("?", "%s")
_REPLIES = f"""
SELECT q.id, r.nick, {quoted_text("r")}, r.deleted
FROM unnest(%s::bigint[]) AS q (id) JOIN messages r ON r.room = %s AND r.id = q.id
"""


@dataclasses.dataclass(slots=True)
class PendingChange:
    """A change to a message waiting for the next batch."""

    room: str
    request: ChangeRequest
    ts: int
    future: asyncio.Future[Changed]


async def reply_quotes(conn: Connection, room: str, ids: list[int]) -> dict[int, ReplyQuote]:
    """The messages of ``room`` that replies answer, by id, as they are now."""
    rows = await (await conn.execute(_REPLIES, (ids, room))).fetchall()
    return {
        int(i): ReplyQuote(int(i), str(nick), None if deleted else str(text))
        for i, nick, text, deleted in rows
    }


async def apply_change(conn: Connection, pending: PendingChange) -> Changed:
    """Store one change inside the batch's transaction; ChangeRefusedError when refused."""
    room, request, ts = pending.room, pending.request, pending.ts
    row = await (
        await conn.execute(_TARGET, (request.emoji, request.account_id, room, request.target))
    ).fetchone()
    target = None
    if row is not None:
        target = TargetState(
            row[0], bool(row[1]), str(row[2]), bool(row[3]), author=str(row[4]), preview=row[5]
        )
    if target is not None and request.kind == REACTION:
        custom = custom_name(request.emoji)  # None: a standard emoji, known to all
        counted = await (
            await conn.execute(_EMOJIS, (request.emoji, custom, custom, room, request.target))
        ).fetchone()
        assert counted is not None
        target = dataclasses.replace(
            target, emoji_there=bool(counted[0]), emojis=int(counted[1]), custom_known=bool(counted[2])
        )
    if target is not None and request.kind == PIN:
        counted = await (await conn.execute(_PINS, (request.target, room))).fetchone()
        assert counted is not None
        target = dataclasses.replace(target, pinned=bool(counted[0]), pins=int(counted[1]))
    if target is not None and request.kind in (VOTE, CLOSE_POLL):
        target = await _with_poll_state(conn, room, request, target)
    if not decide(request, target):
        return Changed(request.target, None)
    assert target is not None  # decide() refuses a message that is not there
    # A deletion of another's message and its act in the history: both kept, or neither.
    if (act := moderation_act(request, target, room, ts)) is not None:
        await conn.execute(_INSERT_ACT, act_values(act))
    next_row = await (await conn.execute(_NEXT_ID, (room,))).fetchone()
    assert next_row is not None  # the batch locked (so made) the room's row
    change = StoredChange(
        int(next_row[0]), room, request.kind, request.target, request.nick, ts, request.text,
        request.emoji, request.on, request.account_id,
    )  # fmt: skip
    await conn.execute(
        _INSERT,
        (room, change.id, change.kind, change.target, change.nick, ts, change.text, change.emoji,
         change.on, request.account_id),
    )  # fmt: skip
    return Changed(request.target, change, await _apply_to_target(conn, room, request, change))


async def _with_poll_state(
    conn: Connection, room: str, request: ChangeRequest, target: TargetState
) -> TargetState:
    """The target with what a vote or a close reads of its poll: closed, the asker's options."""
    key = (room, request.target)
    closed = await (await conn.execute(_CLOSED, key)).fetchone()
    voted = await (await conn.execute(_VOTED, (*key, request.account_id))).fetchall()
    assert closed is not None
    return dataclasses.replace(target, poll_closed=bool(closed[0]), voted=tuple(int(v[0]) for v in voted))


async def _vote(conn: Connection, change: StoredChange) -> None:
    """Put a vote there (on a poll of one choice, in place of the voter's earlier one), or take it back."""
    key, option = (change.room, change.target), int(change.emoji)
    if not change.on:
        await conn.execute(_TAKE_BACK_VOTE, (*key, option, change.account_id))
        return
    row = await (await conn.execute(_POLL_TEXT, key)).fetchone()
    poll = read_poll("" if row is None else str(row[0]))
    if poll is None or not poll.several:
        await conn.execute(_TAKE_BACK_ALL, (*key, change.account_id))
    await conn.execute(_INSERT_VOTE, (*key, option, change.account_id, change.nick, change.id))


async def _apply_to_target(
    conn: Connection, room: str, request: ChangeRequest, change: StoredChange
) -> str | None:
    """Change the target as asked: the id of the file a deletion removed with it."""
    key, dropped = (room, request.target), None
    if request.kind == EDIT:
        edited = await (await conn.execute(_EDIT, (request.text, change.ts, *key))).fetchone()
        assert edited is not None  # decide() found the message
        # The new text replaces the old in the search index; the file's name and a forwarded text stay.
        ts, name, forwarded = edited
        text = request.text if forwarded is None else f"{request.text}\n{forwarded}"
        await reindex(conn, *key, int(ts), searchable(text, None if name is None else str(name)))
    elif request.kind == DELETE:
        dropped = await (await conn.execute(DROP_MESSAGE_FILE.replace("?", "%s"), key)).fetchone()
        await conn.execute(
            "UPDATE messages SET message = '', deleted = TRUE, file_id = NULL, preview = NULL"
            " WHERE room = %s AND id = %s",
            key,
        )
        await conn.execute("UPDATE changes SET text = '' WHERE room = %s AND target = %s", key)
        await conn.execute("DELETE FROM reactions WHERE room = %s AND target = %s", key)
        await conn.execute(_UNPIN, key)
        await conn.execute(_DROP_VOTES, key)
        await conn.execute(pg(DELETE_FORWARD), key)
        await conn.execute(drop_sql("%s"), key)
    elif request.kind == PIN:
        await _pin(conn, change)
    elif request.kind == VOTE:
        await _vote(conn, change)
    elif request.kind == CLOSE_POLL:
        pass  # the change itself closes the poll: poll_rows.CLOSED_SQL reads it
    elif request.kind == PREVIEW:
        await conn.execute(_SET_PREVIEW, (change.text if change.on else "", *key))
    elif request.on:
        await conn.execute(
            "INSERT INTO reactions (room, target, emoji, account_id, nick, id)"
            " VALUES (%s, %s, %s, %s, %s, %s)",
            (*key, request.emoji, request.account_id, request.nick, change.id),
        )
    else:
        await conn.execute(
            "DELETE FROM reactions WHERE room = %s AND target = %s AND emoji = %s AND account_id = %s",
            (*key, request.emoji, request.account_id),
        )
    return None if dropped is None else str(dropped[0])


async def _pin(conn: Connection, change: StoredChange) -> None:
    """Pin or unpin the change's target as the change says."""
    key = (change.room, change.target)
    if change.on:
        await conn.execute(_PIN, (*key, change.account_id, change.nick, change.ts, change.id))
    else:
        await conn.execute(_UNPIN, key)


async def import_changes(conn: Connection, changes: list[StoredChange]) -> None:
    """Store changes as exported (COPY, in the caller's transaction); reactions and pins as they stand
    after them."""
    async with (
        conn.cursor() as cursor,
        cursor.copy(f"COPY changes (room, {CHANGE_COLUMNS}) FROM STDIN") as copy,
    ):
        for c in changes:
            await copy.write_row(
                (c.room, c.id, c.kind, c.target, c.nick, c.ts, c.text, c.emoji, c.on, c.account_id)
            )
    for c in changes:
        key = (c.room, c.target)
        if c.kind == DELETE:
            await conn.execute("DELETE FROM reactions WHERE room = %s AND target = %s", key)
            await conn.execute(_UNPIN, key)
            await conn.execute(_DROP_VOTES, key)
        elif c.kind == PIN:
            await _pin(conn, c)
        elif c.kind == VOTE and c.account_id is not None:
            await _vote(conn, c)
        elif c.kind == PREVIEW:
            await conn.execute(_SET_PREVIEW, (c.text if c.on else "", *key))
        elif c.kind == REACTION and c.account_id is not None and c.on:
            await conn.execute(
                "INSERT INTO reactions (room, target, emoji, account_id, nick, id)"
                " VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT (room, target, emoji, account_id)"
                " DO UPDATE SET nick = excluded.nick, id = excluded.id",
                (*key, c.emoji, c.account_id, c.nick, c.id),
            )
        elif c.kind == REACTION and c.account_id is not None:
            await conn.execute(
                "DELETE FROM reactions WHERE room = %s AND target = %s AND emoji = %s AND account_id = %s",
                (*key, c.emoji, c.account_id),
            )


async def read_messages(
    conn: Connection, room: str, low: int, high: int, limit: int, newest: bool, within: Within = EVERY
) -> list[StoredMessage]:
    """Up to ``limit`` messages ``within`` (thread_rows.py) with low < id < high in their current state,
    oldest first."""
    where, params = within.where("%s")
    query = (
        f"SELECT {MESSAGE_COLUMNS} FROM {MESSAGE_SOURCE} WHERE m.room = %s AND m.id > %s AND m.id < %s{where}"
        f" ORDER BY m.id {'DESC' if newest else 'ASC'} LIMIT %s"
    )
    rows = await (await conn.execute(query, (room, low, high, *params, limit))).fetchall()
    return await _with_reactions(
        conn, room, [message_from_row(room, row) for row in (rows[::-1] if newest else rows)]
    )


async def read_pinned(conn: Connection, room: str) -> list[StoredMessage]:
    """The room's pinned messages in their current state, most recently pinned first."""
    rows = await (await conn.execute(PINNED_SQL.format("%s"), (room,))).fetchall()
    return await _with_reactions(conn, room, [message_from_row(room, row) for row in rows])


async def _with_reactions(conn: Connection, room: str, messages: list[StoredMessage]) -> list[StoredMessage]:
    """The messages with their reactions, and the roots among them with their replies' summary."""
    if not messages:
        return messages
    params = (room, [m.id for m in messages], room, roots_of(messages))
    rows = await (await conn.execute(REACTIONS_AND_REPLIES_SQL, params)).fetchall()
    reactions = [row[1:4] for row in rows if row[0] == 0]
    summed = [(row[1], row[4], row[5], row[6]) for row in rows if row[0] == 1]
    voted: list[TupleRow] = []
    if polls := poll_rows.poll_ids(messages):
        query = poll_rows.votes_sql(len(polls), "%s")
        voted = await (await conn.execute(query, (room, *polls, room, *polls))).fetchall()
    return with_replies(poll_rows.with_votes(with_reactions(messages, reactions), voted), summed)


async def thread_root_refusals(
    conn: Connection, room: str, roots: list[int]
) -> dict[int, ChangeRefusedError]:
    """Why each of ``roots`` of the room cannot take thread replies now (those that can are left out)."""
    rows = await (await conn.execute(ROOTS_SQL, (room, roots))).fetchall()
    found = {int(row[0]): row[1:] for row in rows}
    refusals = {root: root_refusal(root, found.get(root)) for root in set(roots)}
    return {root: refusal for root, refusal in refusals.items() if refusal is not None}


async def read_changes(
    conn: Connection, room: str, after: int, before: int, limit: int, newest: bool
) -> list[StoredChange]:
    """Up to ``limit`` changes with after < id < before, oldest first (with ``newest``, the latest such)."""
    query = (
        f"SELECT {CHANGE_COLUMNS} FROM changes WHERE room = %s AND id > %s AND id < %s"
        f" ORDER BY id {'DESC' if newest else 'ASC'} LIMIT %s"
    )
    rows = await (await conn.execute(query, (room, after, before, limit))).fetchall()
    return [change_from_row(room, row) for row in (rows[::-1] if newest else rows)]


async def read_sequence(
    conn: Connection, room: str, after: int, limit: int
) -> list[StoredMessage | StoredChange]:
    """The first ``limit`` messages and changes with id > ``after``, in id order."""
    messages = await read_messages(conn, room, after, 2**62, limit, False)
    return merge_in_order(messages, await read_changes(conn, room, after, 2**62, limit, False), limit)
