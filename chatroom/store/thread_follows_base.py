"""The followed threads part of the AccountStore contract: who follows which thread, and how far they read.

One row per account, room and root. The store keeps the rows and nothing
more: whether the person may still read the room is asked when the list is
read (api_threads.py asks access.py), and who starts following when is
thread_following.py's rule.

- ``follow_thread`` makes the person follow (or stop following) the thread;
  ``again=False`` leaves a row that exists as it is (a root's author, who
  follows once it has a reply, unless they unfollowed it already).
- A read position only moves up: ``read_thread`` and ``follow_thread``
  with a lower ``read_id`` keep the higher one, and reading a thread one has
  no row of stores nothing (only followed threads are listed).
- ``followed_threads`` gives the followed ones (``following``) with the id
  and time of the newest reply of the thread that is not deleted (None:
  none).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from .records import ThreadFollow


class ThreadFollowStore(Protocol):
    """Which threads each person follows (the rules above)."""

    async def follow_thread(
        self,
        account_id: int,
        room: str,
        root: int,
        *,
        following: bool = True,
        read_id: int = 0,
        again: bool = True,
    ) -> None:
        """Follow the thread (or not, ``following``), reading it up to ``read_id`` at least; with ``again``
        False, a row that exists already is left as it is."""
        ...

    async def read_thread(self, account_id: int, room: str, root: int, read_id: int) -> ThreadFollow | None:
        """Move the person's read position in the thread up to ``read_id``; their row (None: none)."""
        ...

    async def thread_follow(self, account_id: int, room: str, root: int) -> ThreadFollow | None:
        """The person's row of the thread, None when they have none."""
        ...

    async def followed_threads(self, account_id: int) -> list[ThreadFollow]:
        """The threads the person follows, each with its newest reply's id and time, in no order."""
        ...

    async def thread_followers(self, room: str, root: int) -> list[ThreadFollow]:
        """Every row of the thread: its followers, and those who unfollowed it."""
        ...

    async def thread_follows_of(self, account_id: int) -> list[ThreadFollow]:
        """Every row of the person, followed or not (an export)."""
        ...

    async def import_thread_follows(self, follows: Sequence[ThreadFollow]) -> None:
        """Store rows as an export has them, replacing any of the same account, room and root; their
        accounts and rooms exist."""
        ...
