"""The frames that carry a room's events to its members: a message, a join or leave, several at once.

Part of protocol.py, which re-exports every one: frames are built there and here alone.
"""

from __future__ import annotations

from typing import Any

from .events import FileInfo
from .formatting import format_text


def user_frame(
    msg_id: int, room: str, nick: str, message: str, ts: int, *, bot: bool = False, guest: bool = False
) -> dict[str, Any]:
    """A stored chat message; a bot's (HTTP API) carries ``"bot": true``, a guest's ``"guest": true``.

    A person's message has neither field at all, so version 1 clients see
    the frame they always saw. A formatted text carries its tree (``fmt``).
    """
    frame = {"type": "user", "id": msg_id, "room": room, "nick": nick, "message": message, "ts": ts}
    frame.update({mark: True for mark, marked in (("bot", bot), ("guest", guest)) if marked})
    return with_format(frame, message)


def with_format(frame: dict[str, Any], text: str) -> dict[str, Any]:
    """``frame`` with ``text``'s formatting (chatroom/formatting.py) as ``fmt``, when it has any."""
    tree = format_text(text)
    if tree is not None:
        frame["fmt"] = tree
    return frame


def sys_frame(
    event: str, room: str, nick: str, users: int, ts: int, *, guest: bool = False
) -> dict[str, Any]:
    """Someone joined or left; ``users`` is the count online after it; a guest's has ``"guest": true``."""
    verb = "joined" if event == "join" else "left"
    frame: dict[str, Any] = {"type": "sys", "event": event, "room": room, "nick": nick}
    frame.update({"message": f"{nick} has {verb}", "users": users, "ts": ts})
    return {**frame, "guest": True} if guest else frame


def presence_frame(
    room: str, joined: list[str], left: list[str], users: int, ts: int, guests: list[str]
) -> dict[str, Any]:
    """Several joins and leaves at once (version 2): who is in and who is out after them.

    A nick is in at most one list, except one that left and came back spelt
    otherwise (``Bob`` out, ``bob`` in): a client removes ``left``, then adds
    ``joined``. ``users`` is the count online after the last of them;
    ``guests`` those of ``joined`` who are guests.
    """
    frame = {"type": "presence", "room": room, "joined": joined, "left": left, "users": users, "ts": ts}
    return {**frame, "guests": guests}


def file_part(file: FileInfo) -> dict[str, Any]:
    """What a user frame says of the file its message carries (version 2): the client derives its URLs,
    ``/files/{id}/{name}`` and, with ``thumb``, ``/files/{id}/thumb``; width and height for images."""
    part: dict[str, Any] = {"id": file.id, "name": file.name, "size": file.size, "type": file.content_type}
    if file.width is not None and file.height is not None:
        part.update(width=file.width, height=file.height)
    part["thumb"] = file.thumb
    return part
