"""The Store contract's threads: a thread's messages, and the main timeline without them.

Rules every implementation keeps (tests/test_thread_store.py holds each of
them to it, on SQLite and on PostgreSQL):

- ``append`` with ``thread`` stores a thread reply: an ordinary message of
  the room (it takes the room's next id, is changed, searched, exported as
  any) whose ``thread`` names its root. A root is a message of the same room,
  not deleted, not itself in a thread, checked inside the storing
  transaction; otherwise the append raises ChangeRefusedError (BAD_THREAD).
- Every read of messages answers a thread reply with its ``thread``, and a
  root with ``replies``: how many of its replies are not deleted, the last
  one's id and time (None when it has none), summed up at read time.
- ``thread`` reads a root and its replies, ``top_history`` the main timeline
  (thread replies left out), paged as ``history`` pages.
"""

from __future__ import annotations

from typing import Protocol

from ..events import StoredMessage


class ThreadReads(Protocol):
    """A store's reads of threads (the rules above)."""

    async def thread(
        self,
        room: str,
        root: int,
        *,
        after: int | None = None,
        before: int | None = None,
        limit: int = 50,
        newest: bool = True,
    ) -> list[StoredMessage]:
        """Up to ``limit`` of message ``root`` and the replies in its thread with after < id < before,
        oldest first; with ``newest`` the most recent such, else the oldest."""
        ...

    async def top_history(
        self,
        room: str,
        *,
        after: int | None = None,
        before: int | None = None,
        limit: int = 50,
        newest: bool = True,
    ) -> list[StoredMessage]:
        """Up to ``limit`` messages with after < id < before that are in no thread, oldest first; with
        ``newest`` the most recent such, else the oldest."""
        ...
