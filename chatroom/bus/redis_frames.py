"""What goes on a room's Redis channel: stored messages and changes, joins and leaves, typing.

One byte says what a frame holds: ``m`` messages and ``c`` changes to
messages (each tagged with the node that stored them, which delivered them
itself), ``p`` a join or leave (redis_subscription.py), ``t`` typing, and
``s`` a node's hello (it has just subscribed: redis_subscription.py takes it). A message row is
``[id, nick, text, ts, bot, guest, account_id, reply, file, thread, broadcast, forward]``
(``file``: ``[id, name, size, type, width, height, thumb]`` or null;
``thread`` the root's id or null; ``broadcast`` a thread reply also sent to
the room; ``forward`` the snapshot of the message it forwards, forwarded.py's
as_row, or null); rows of the older five, six, eight and nine fields still decode,
and a node that knows fewer fields reads those it knows of a longer row. A change row is
``[id, kind, target, nick, ts, text, emoji, on]``.

A frame of any other kind is a later version's, sent during a rolling
upgrade: it is dropped. (Versions before changes to messages took any kind
they did not know for typing: docs/deploy.md, "Upgrading nodes one by one".)
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import groupby
from typing import Any

import orjson

from ..events import (
    Event,
    FileInfo,
    PresenceEvent,
    ReplyQuote,
    Sequenced,
    StoredChange,
    StoredMessage,
    TypingEvent,
)
from ..forwarded import forwarded_from_row


def message_frames(node_tag: bytes, stored: Sequence[Sequenced]) -> list[bytes]:
    """Stored messages and changes for the other nodes, in order: one frame per run of a kind."""
    frames = []
    for is_change, run in groupby(stored, key=lambda item: isinstance(item, StoredChange)):
        rows = [_row(item) for item in run]
        frames.append((b"c" if is_change else b"m") + node_tag + b"\n" + orjson.dumps(rows))
    return frames


def _row(item: Sequenced) -> list[Any]:
    return _change_row(item) if isinstance(item, StoredChange) else _message_row(item)


def _message_row(m: StoredMessage) -> list[Any]:
    reply = None if m.reply_to is None else [m.reply_to.id, m.reply_to.nick, m.reply_to.text]
    f = m.file
    file = None if f is None else [f.id, f.name, f.size, f.content_type, f.width, f.height, f.thumb]
    forward = None if m.forward is None else m.forward.as_row()
    return [m.id, m.nick, m.text, m.ts, m.bot, m.guest, m.account_id, reply, file, m.thread, m.broadcast,
            forward]  # fmt: skip


def _change_row(c: StoredChange) -> list[Any]:
    return [c.id, c.kind, c.target, c.nick, c.ts, c.text, c.emoji, c.on]


def typing_frame(nick: str, thread: int | None = None) -> bytes:
    """``nick`` is typing; in a thread, under a kind of its own that a node of the version before drops
    (its pages miss a typing line in a thread, nothing more)."""
    if thread is None:
        return b"t" + nick.encode()
    return b"T" + str(thread).encode() + b"\n" + nick.encode()


def hello_frame(node_tag: bytes) -> bytes:
    """The node has just subscribed to the room."""
    return b"s" + node_tag


def hello_from(data: bytes) -> bytes | None:
    """The node whose hello this frame is; None for any other frame."""
    return data[1:] if data[:1] == b"s" else None


def decode_frame(room: str, data: bytes, own_tag: bytes) -> list[Event]:
    """The events of a frame on the room's channel (none for messages or changes this node stored)."""
    kind, body = data[:1], data[1:]
    if kind in (b"m", b"c"):
        origin, payload = body.split(b"\n", 1)
        if origin == own_tag:
            # Stored here: this node delivered it straight from its store.
            return []
        rows = orjson.loads(payload)
        if kind == b"c":
            return [StoredChange(r[0], room, r[1], r[2], r[3], r[4], r[5], r[6], r[7]) for r in rows]
        return [_message(room, row) for row in rows]
    if kind == b"p":
        event, users, ts, marked = body.split(b"\n", 3)
        nick, _, mark = marked.partition(b"\n")
        return [PresenceEvent(event.decode(), room, nick.decode(), int(users), int(ts), mark == b"g")]
    if kind == b"t":
        return [TypingEvent(room, body.decode())]
    if kind == b"T":
        thread, nick = body.split(b"\n", 1)
        return [TypingEvent(room, nick.decode(), int(thread))]
    return []


def _message(room: str, row: list[Any]) -> StoredMessage:
    account_id = row[6] if len(row) > 6 else None
    reply = ReplyQuote(*row[7]) if len(row) > 7 and row[7] is not None else None
    file = FileInfo(*row[8][:7]) if len(row) > 8 and row[8] is not None else None
    thread = row[9] if len(row) > 9 else None
    broadcast = len(row) > 10 and bool(row[10])
    forward = forwarded_from_row(row[11]) if len(row) > 11 and row[11] is not None else None
    return StoredMessage(
        row[0],
        room,
        row[1],
        row[2],
        row[3],
        row[4],
        len(row) > 5 and row[5],
        account_id,
        reply,
        file=file,
        thread=thread,
        broadcast=broadcast,
        forward=forward,
    )
