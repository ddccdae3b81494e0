"""A forwarded copy as frames show it (pure): the ``forward`` part, and the text a plain client reads.

A copy's ``message`` is what a client that knows nothing of forwards reads
(a version 1 guest, a bot, a notification): the comment, then a line that
says where the message comes from and who wrote it, then its text. The
``forward`` part holds the same apart, for a page that shows a card:
``comment`` (and its ``comment_fmt``), the original's ``nick``, ``ts``,
``message`` (and its ``fmt``), ``from`` (the original room's kind: open,
closed or direct), ``room`` only where that name may be shown, and ``file``,
the name of a file that was not carried. A closed room's name and a direct
conversation's are not shown (docs/security.md, "Forwarding"), unless the
copy is in that very room.
"""

from __future__ import annotations

from typing import Any

from .event_frames import with_format
from .events import StoredMessage
from .forwarded import Forwarded
from .store.records import CLOSED, DIRECT, OPEN

# What a copy says of a room whose name it does not show.
_UNNAMED = {CLOSED: "a closed room", DIRECT: "a direct conversation"}


def shows_room(forwarded: Forwarded, target: str) -> bool:
    """Whether a copy in ``target`` names the original's room: an open one, or the target itself."""
    return forwarded.kind == OPEN or forwarded.room == target


def origin(forwarded: Forwarded, target: str) -> str:
    """Where the original comes from, as the copy's readers may know it: ``#room`` or what it is."""
    if shows_room(forwarded, target):
        return f"#{forwarded.room}"
    return _UNNAMED.get(forwarded.kind, "another room")


def plain_copy(comment: str, forwarded: Forwarded, target: str) -> str:
    """The copy as plain text: the comment, where the original comes from and who wrote it, its text."""
    lines = [f"\u21aa Forwarded from {origin(forwarded, target)} \u2014 {forwarded.nick}:"]
    if forwarded.text:
        lines.append(forwarded.text)
    if forwarded.file_name is not None:
        lines.append(f"({forwarded.file_name}: the file was not forwarded)")
    body = "\n".join(lines)
    return f"{comment}\n\n{body}" if comment else body


def readable_text(message: StoredMessage) -> str:
    """What a plain reader (a notification, a bot) reads of a message: a copy's plain text, else its own."""
    if message.forward is None:
        return message.text
    return plain_copy(message.text, message.forward, message.room)


def forward_part(comment: str, forwarded: Forwarded, target: str) -> dict[str, Any]:
    """The ``forward`` part of a copy's user frame in ``target`` (the module's docstring)."""
    part: dict[str, Any] = {"comment": comment}
    comment_tree = with_format({}, comment).get("fmt")
    if comment_tree is not None:
        part["comment_fmt"] = comment_tree
    part.update(nick=forwarded.nick, ts=forwarded.ts, message=forwarded.text, **{"from": forwarded.kind})
    with_format(part, forwarded.text)
    if shows_room(forwarded, target):
        part["room"] = forwarded.room
    if forwarded.file_name is not None:
        part["file"] = forwarded.file_name
    return part


def with_forward(frame: dict[str, Any], message: StoredMessage) -> dict[str, Any]:
    """A user frame of a copy: its plain text as ``message`` (and that text's ``fmt``), its ``forward``."""
    forwarded = message.forward
    if forwarded is None:
        return frame
    frame.pop("fmt", None)
    frame["message"] = plain_copy(message.text, forwarded, message.room)
    with_format(frame, frame["message"])
    frame["forward"] = forward_part(message.text, forwarded, message.room)
    return frame
