"""Threads as both stores read and check them: the SQL both dialects share, and the rule of a root. No I/O.

A thread reply is a message of its room with ``thread_id`` naming its root
(schema step 32). A root is a message of the same room, not deleted, not
itself in a thread: the writer checks it inside the storing transaction
(``root_refusal``). A read takes every message, the main timeline only
(``TOP``: thread replies left out, but those also sent to the room) or one thread (``Within(thread=root)``:
the root and its replies); a root's replies are summed up at read time
(``SUMMARY_SQL``), never stored.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

from ..events import StoredMessage, ThreadSummary
from ..protocol import BAD_THREAD
from .change_rules import ChangeRefusedError


@dataclass(frozen=True, slots=True)
class Within:
    """Which of a room's messages a read takes: all, the main timeline (``top``), or thread ``thread``."""

    thread: int | None = None
    top: bool = False

    def where(self, mark: str) -> tuple[str, tuple[int, ...]]:
        """The condition on ``m`` (AND-ed to a read's) and its parameters, ``mark`` the placeholder."""
        if self.thread is not None:
            return f" AND (m.id = {mark} OR m.thread_id = {mark})", (self.thread, self.thread)
        if self.top:
            return " AND (m.thread_id IS NULL OR m.broadcast)", ()
        return "", ()


EVERY = Within()
TOP = Within(top=True)


def summary_sql(count: int, mark: str) -> str:
    """The replies (not deleted) of ``count`` roots of a room: root, how many, the last's id and ts."""
    marks = ", ".join([mark] * count)
    return (
        "SELECT thread_id, COUNT(*), MAX(id), MAX(ts) FROM messages"
        f" WHERE room = {mark} AND thread_id IN ({marks}) AND NOT deleted GROUP BY thread_id"
    )


def roots_of(messages: Iterable[StoredMessage]) -> list[int]:
    """The ids of those of ``messages`` that may have replies: those not in a thread themselves."""
    return [m.id for m in messages if m.thread is None]


def with_replies(messages: list[StoredMessage], rows: Iterable[Sequence[object]]) -> list[StoredMessage]:
    """The messages, each root with its replies' summary from rows of summary_sql."""
    found = {_int(root): ThreadSummary(_int(n), _int(last), _int(ts)) for root, n, last, ts in rows}
    return [replace(m, replies=found[m.id]) if m.id in found else m for m in messages]


def _int(value: object) -> int:
    assert isinstance(value, int)
    return value


def root_refusal(root: int, row: Sequence[object] | None) -> ChangeRefusedError | None:
    """Why message ``root`` (its row of deleted, thread_id; None: the room has none) cannot take thread
    replies, None when it can."""
    if row is None or row[0]:
        return ChangeRefusedError(
            BAD_THREAD, f"there is no message {root} in this room to reply in a thread to"
        )
    if row[1] is not None:
        return ChangeRefusedError(
            BAD_THREAD, f"message {root} is a reply in a thread: reply in its thread, to message {row[1]}"
        )
    return None


ROOT_SQL = "SELECT deleted, thread_id FROM messages WHERE room = {0} AND id = {0}"
