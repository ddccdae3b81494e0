"""Notices told to one person's pages: what they saved and starred, the threads they follow and read,
what they scheduled, their reminders.

Each is stored already when told; every node tells that person's connections
(account_notices.py, thread_desk.py), so that their other tabs and devices
show it. None carries a byte of a message.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class SavedNotice:
    """A person (``account_id``) saved message ``message_id`` of ``room`` at ``saved_at``, or no longer
    has it saved (None) (stored already): every node tells that person's connections (a ``saved``
    frame), so that their other tabs show it."""

    account_id: int
    room: str
    message_id: int
    saved_at: int | None


@dataclass(frozen=True, slots=True)
class StarNotice:
    """A person (``account_id``) starred ``room`` or no longer has it starred (``starred``) (stored
    already): every node tells that person's connections (a ``starred`` frame), so that every tab and
    device lists the room where the person put it."""

    account_id: int
    room: str
    starred: bool


@dataclass(frozen=True, slots=True)
class ThreadNotice:
    """A person (``account_id``) follows the thread of ``root`` in ``room`` or not (``following``) and
    has read it up to ``read_id`` (stored already): every node tells that person's connections (a
    ``thread`` frame), so that the thread reads as read in every tab and device."""

    account_id: int
    room: str
    root: int
    following: bool
    read_id: int


@dataclass(frozen=True, slots=True)
class ThreadReplyNotice:
    """Message ``reply_id`` of ``room``, by ``author_id`` (None: a guest's or a bot's), replied in the
    thread of ``root`` (its follows stored already): every node tells the thread's followers connected
    to it who may read the room (a ``thread_reply`` frame), but the author and those who blocked them.

    ``deleted``: the reply was deleted instead, so the followers' unread replies may be fewer; each is
    told their follow as it is (a ``thread`` frame), to count the thread again."""

    room: str
    root: int
    reply_id: int
    author_id: int | None
    mentioned: tuple[int, ...] = ()
    deleted: bool = False


@dataclass(frozen=True, slots=True)
class ScheduledNotice:
    """A person's (``account_id``) scheduled messages changed, for ``room`` (stored already: one written,
    edited, deleted, sent or not sent): every node tells that person's connections (a ``scheduled``
    frame, no byte of the text), so that every tab shows the list as it is."""

    account_id: int
    room: str


# A reminder's states, as its frame says them (docs/protocol.md, "Reminders").
REMINDER_WAITING = "waiting"
REMINDER_DUE = "due"
REMINDER_REMOVED = "removed"


@dataclass(frozen=True, slots=True)
class ReminderNotice:
    """A person's (``account_id``) reminder ``reminder_id`` was set or snoozed (``waiting``), fell due
    (``due``), or was removed (done, cancelled, or dropped: its message may no longer be read) (stored
    already): every node tells that person's connections (a ``reminder`` frame, no byte of the message),
    so that every tab lists it as it is and shows a due one at once."""

    account_id: int
    reminder_id: int
    state: str
