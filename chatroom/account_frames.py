"""The frames that tell connections of changes to accounts: one's own new name, someone's new picture,
someone blocked or unblocked, someone made an administrator or no longer one, someone's status or paused
notifications, a message saved or no longer, one's scheduled messages changed.

Built here, pure, and exported by protocol.py with the other server frames.
"""

from __future__ import annotations

from typing import Any


def renamed_frame(name: str) -> dict[str, Any]:
    """The account was renamed: the connection closes and comes back under ``name``."""
    return {"type": "renamed", "nick": name}


def avatar_frame(name: str, avatar: str | None) -> dict[str, Any]:
    """``name``'s account shows a new picture, the file ``avatar`` (None: none, its initials again).

    ``avatar`` is what ``GET /api/accounts`` gives as the account's ``avatar``
    (docs/protocol.md, "Live changes"), so that a page asks for the picture
    at the same address.
    """
    return {"type": "avatar", "name": name, "avatar": avatar}


def block_frame(name: str, blocked: bool) -> dict[str, Any]:
    """The account blocked ``name`` (``blocked``), or unblocked them: told to its own connections alone."""
    return {"type": "block", "name": name, "blocked": blocked}


def admin_frame(name: str, admin: bool) -> dict[str, Any]:
    """``name``'s account administers the server now (``admin``), or no longer does."""
    return {"type": "admin", "name": name, "admin": admin}


def status_part(emoji: str, text: str, until: int | None) -> dict[str, Any]:
    """A status as frames and the API give it: its emoji, its text, when it clears (ms; None: never)."""
    return {"emoji": emoji, "text": text, "until": until}


def status_frame(name: str, status: dict[str, Any] | None) -> dict[str, Any]:
    """``name``'s status is now ``status`` (``{"emoji", "text", "until"}``, as ``GET /api/accounts``
    gives it), or none (None): cleared."""
    return {"type": "status", "name": name, "status": status}


def dnd_frame(name: str, until: int | None) -> dict[str, Any]:
    """``name``'s notifications are paused until ``until`` (ms since the epoch), or no longer (None)."""
    return {"type": "dnd", "name": name, "until": until}


def saved_frame(room: str, message_id: int, saved_at: int | None) -> dict[str, Any]:
    """The account saved message ``message_id`` of ``room`` at ``saved_at``, or no longer has it saved
    (None): told to its own connections alone, it carries no byte of the message."""
    if saved_at is None:
        return {"type": "saved", "room": room, "id": message_id, "saved": False}
    return {"type": "saved", "room": room, "id": message_id, "saved": True, "saved_at": saved_at}


def starred_frame(room: str, starred: bool) -> dict[str, Any]:
    """The account starred ``room`` or no longer has it starred: told to its own connections alone."""
    return {"type": "starred", "room": room, "starred": starred}


def thread_frame(room: str, root: int, following: bool, read_id: int) -> dict[str, Any]:
    """The account follows the thread of ``root`` in ``room`` or not, and has read it up to ``read_id``:
    told to its own connections alone, it carries no byte of the thread."""
    return {"type": "thread", "room": room, "root": root, "following": following, "read_id": read_id}


def thread_reply_frame(room: str, root: int, reply_id: int, mention: bool) -> dict[str, Any]:
    """Message ``reply_id`` replied in the thread of ``root`` that the account follows (``mention``: and
    mentions it): the page reads the reply through the API, as the room's reader it is."""
    return {"type": "thread_reply", "room": room, "root": root, "id": reply_id, "mention": mention}


def scheduled_frame(room: str) -> dict[str, Any]:
    """The account's scheduled messages changed, for ``room``: its pages read the list again."""
    return {"type": "scheduled", "room": room}


def reminder_frame(reminder_id: int, state: str) -> dict[str, Any]:
    """The account's reminder is ``waiting`` (set or snoozed), ``due`` or ``removed``: its pages read the
    list again (a due one shows at once); no byte of the message."""
    return {"type": "reminder", "id": reminder_id, "state": state}
