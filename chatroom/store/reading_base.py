"""The ReadingStore contract: where each account has read up to in each room, and how it is told.

Part of every AccountStore (``store.accounts``). The rules each
implementation keeps (tests/test_reading_store.py holds SQLite and
PostgreSQL to them):

- A read position never goes backwards: ``mark_read`` keeps the higher of
  what is stored and what is given, whichever node writes first, and never
  passes the room's newest id.
- ``mark_read`` stores a whole batch in one transaction: callers coalesce
  marks (read_marks.py) so that reading costs no disk sync per frame.
- Unread messages are those after the position not sent by the reader
  (``unread_in``); at most UNREAD_CAP are counted, and mentions are looked
  for among them only.
- A room's notification level is ``all`` unless set (direct rooms too).
  A muted room's reader is not mentioned by ``@room`` (as Slack's muted
  channels ignore ``@channel``): callers say so with ``whole_room``.

Failures of the database raise StoreError, as everywhere in the store.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

# Notification levels: every message, mentions only, nothing (the room shows only mentions of the
# reader by name; a mention of the whole room is not one there).
NOTIFY_ALL = "all"
NOTIFY_MENTIONS = "mentions"
NOTIFY_MUTED = "muted"
NOTIFY_LEVELS = (NOTIFY_ALL, NOTIFY_MENTIONS, NOTIFY_MUTED)
DEFAULT_NOTIFY_LEVEL = NOTIFY_ALL

# Unread messages counted at most (the page shows "99+" from 100); mentions are found among them.
UNREAD_CAP = 100


@dataclass(frozen=True, slots=True)
class ReadMark:
    """An account has seen a room's messages up to ``last_read_id``."""

    account_id: int
    room: str
    last_read_id: int


@dataclass(frozen=True, slots=True)
class Follower:
    """An account whose room list counts a room's unread messages: where it read up to, how it is told."""

    account_id: int
    # None: never marked read (a member counts from the room's start).
    read_id: int | None
    notify: str


@dataclass(frozen=True, slots=True)
class Unread:
    """How many messages after a read position are unread (at most UNREAD_CAP), and mention the reader."""

    unread: int
    mentions: int


class ReadingStore(Protocol):
    """Read positions, unread counts and notification levels of accounts in rooms."""

    async def mark_read(self, marks: Sequence[ReadMark]) -> None:
        """Move each account's position in each room up to the mark (never back, never past the room's
        newest id), in one transaction; a mark of a room that does not exist is dropped."""
        ...

    async def set_read_position(self, account_id: int, room: str, read_id: int) -> None:
        """Put the account's position in the room at ``read_id``, back as well as on (the person marked
        it unread from the message after it), never past the room's newest id; a room that does not
        exist is dropped."""
        ...

    async def read_position(self, account_id: int, room: str) -> int | None:
        """Where the account has read the room up to; None when it never marked it read."""
        ...

    async def read_positions(self, account_id: int) -> dict[str, int]:
        """Every room the account has marked read, with its position."""
        ...

    async def forget_read_position(self, account_id: int, room: str) -> None:
        """The account no longer has a position in the room: an open room it left counts nothing for it
        until it marks it read again."""
        ...

    async def unread_in(
        self, room: str, after_id: int, reader: str, *, reader_id: int | None = None, whole_room: bool = True
    ) -> Unread:
        """The messages of the room after ``after_id`` not sent by ``reader`` (an account's name):
        how many (at most UNREAD_CAP), and how many of those mention ``reader``, or with ``whole_room``
        the whole room (``@room``: mentions.py; a muted room's reader does not hear those).

        With ``reader_id`` (the reader's account), nor by anyone it blocked (by their name now).
        """
        ...

    async def record_here(self, room: str, message_id: int, account_ids: Sequence[int]) -> None:
        """Write down the accounts online in the room when its message ``message_id`` said ``@here``: for
        them, and with ``reader_id`` given, ``unread_in`` counts it as a mention. Twice is harmless."""
        ...

    async def here_of(self, account_id: int) -> list[tuple[str, int]]:
        """Every (room, message id) whose ``@here`` the account was online for, by room and id (export)."""
        ...

    async def followers(self, room: str) -> list[Follower]:
        """The accounts whose room lists count the room's unread messages: its members, and for an
        open room those who marked it read; in id order, each with its position and level, read in
        one query however many there are."""
        ...

    async def notify_level(self, account_id: int, room: str) -> str:
        """How the account is told of the room's messages: ``all``, ``mentions`` or ``muted``."""
        ...

    async def notify_levels(self, account_id: int) -> dict[str, str]:
        """The rooms whose level the account set, with their level."""
        ...

    async def set_notify_level(self, account_id: int, room: str, level: str) -> bool:
        """Set the account's level for the room (ValueError for an unknown level); whether the room exists."""
        ...
