"""Messages in their current state and changes, from rows: the SQL both dialects share, no I/O.

A message is read with the message it replies to (a self-join), the file it
carries (``files``), its pin (``pins``), the thread it is in and what it
forwards (``forwards``: forwarded.py), and, in a
second query, its reactions (a third, a root's replies: thread_rows.py); a change is one row of ``changes``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace

from ..events import FileInfo, Pin, Reaction, ReplyQuote, StoredChange, StoredMessage
from ..forwarded import forwarded_from_row


def quoted_text(alias: str) -> str:
    """What a reply quotes of message ``alias``: its text, or for a forwarded copy without a comment
    "↪ NICK: TEXT" of what it forwards (the file's name when it had no text), not an empty quote."""
    return (
        f"COALESCE(NULLIF({alias}.message, ''), (SELECT '\u21aa ' || fq.nick || ': '"
        " || COALESCE(NULLIF(fq.message, ''), fq.file_name, '')"
        f" FROM forwards fq WHERE fq.room = {alias}.room AND fq.id = {alias}.id), {alias}.message)"
    )


# Read FROM MESSAGE_SOURCE, WHERE on ``m``: the message, what it replies to, its file, its pin.
MESSAGE_COLUMNS = (
    "m.id, m.nick, m.message, m.ts, m.bot, m.guest, m.account_id, m.edited, m.deleted,"
    f" r.id, r.nick, {quoted_text('r')}, r.deleted,"
    " f.id, f.name, f.size, f.content_type, f.width, f.height, f.thumb_type,"
    " p.nick, p.ts, m.thread_id, m.broadcast, m.preview,"
    " w.from_room, w.from_id, w.from_kind, w.nick, w.ts, w.message, w.file_name"
)
_REPLY_AND_FILE = (
    "LEFT JOIN messages r ON r.room = m.room AND r.id = m.reply_to LEFT JOIN files f ON f.id = m.file_id"
    " LEFT JOIN forwards w ON w.room = m.room AND w.id = m.id"
)
# What a query from ``messages m`` joins to read MESSAGE_COLUMNS.
MESSAGE_JOINS = f"{_REPLY_AND_FILE} LEFT JOIN pins p ON p.room = m.room AND p.target = m.id"
MESSAGE_SOURCE = f"messages m {MESSAGE_JOINS}"
CHANGE_COLUMNS = "id, kind, target, nick, ts, text, emoji, turned_on, account_id"
# A room's pinned messages, most recently pinned first (placeholders: the room).
PINNED_SQL = (
    f"SELECT {MESSAGE_COLUMNS} FROM pins p JOIN messages m ON m.room = p.room AND m.id = p.target"
    f" {_REPLY_AND_FILE} WHERE p.room = {{0}} ORDER BY p.id DESC"
)


def _int(value: object) -> int:
    assert isinstance(value, int)
    return value


def message_from_row(room: str, row: Sequence[object]) -> StoredMessage:
    """A message of ``room`` from a row of MESSAGE_COLUMNS (without reactions)."""
    msg_id, nick, text, ts, bot, guest, account_id, edited, deleted, r_id, r_nick, r_text, r_deleted = row[
        :13
    ]
    reply = None
    if r_id is not None:
        reply = ReplyQuote(_int(r_id), str(r_nick), None if r_deleted else str(r_text))
    return StoredMessage(
        _int(msg_id),
        room,
        str(nick),
        str(text),
        _int(ts),
        bool(bot),
        bool(guest),
        None if account_id is None else _int(account_id),
        reply,
        None if edited is None else _int(edited),
        bool(deleted),
        file=file_info_from_row(row[13:20]),
        pinned=None if row[20] is None else Pin(str(row[20]), _int(row[21])),
        thread=None if row[22] is None else _int(row[22]),
        broadcast=bool(row[23]),
        preview=None if len(row) < 25 or row[24] is None else str(row[24]),
        forward=forwarded_from_row(row[25:32]) if len(row) >= 32 else None,
    )


def file_info_from_row(row: Sequence[object]) -> FileInfo | None:
    """A file from a row of id, name, size, content type, width, height, thumbnail type (None: no file)."""
    file_id, name, size, content_type, width, height, thumb_type = row
    if file_id is None:
        return None
    return FileInfo(
        str(file_id),
        str(name),
        _int(size),
        str(content_type),
        None if width is None else _int(width),
        None if height is None else _int(height),
        thumb_type is not None,
    )


def change_from_row(room: str, row: Sequence[object]) -> StoredChange:
    """A change of ``room`` from a row of CHANGE_COLUMNS."""
    change_id, kind, target, nick, ts, text, emoji, on, account_id = row
    who = None if account_id is None else _int(account_id)
    return StoredChange(
        _int(change_id),
        room,
        str(kind),
        _int(target),
        str(nick),
        _int(ts),
        str(text),
        str(emoji),
        bool(on),
        who,
    )


def reactions_sql(count: int, placeholder: str) -> str:
    """The reactions of ``count`` messages of a room, in the order they were put there."""
    marks = ", ".join([placeholder] * count)
    return (
        f"SELECT target, emoji, nick FROM reactions WHERE room = {placeholder} AND target IN ({marks})"
        " ORDER BY target, id"
    )


def with_reactions(messages: list[StoredMessage], rows: Iterable[Sequence[object]]) -> list[StoredMessage]:
    """The messages, each with its reactions from rows of (target, emoji, nick); emoji by first use."""
    found: dict[int, dict[str, list[str]]] = {}
    for target, emoji, nick in rows:
        found.setdefault(_int(target), {}).setdefault(str(emoji), []).append(str(nick))
    return [
        replace(m, reactions=tuple(Reaction(e, tuple(n)) for e, n in found[m.id].items()))
        if m.id in found
        else m
        for m in messages
    ]


def merge_in_order(
    messages: list[StoredMessage], changes: list[StoredChange], limit: int
) -> list[StoredMessage | StoredChange]:
    """The first ``limit`` of both (each oldest first), in id order: what a gap repair reads."""
    merged: list[StoredMessage | StoredChange] = sorted([*messages, *changes], key=lambda item: item.id)
    return merged[:limit]
