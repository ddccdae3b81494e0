"""The Store seam: everything durable, behind one contract.

Rules every implementation keeps (tests/test_store_contract.py holds each
of them to it, on SQLite and on PostgreSQL):

- Ids are assigned inside the storing transaction: per room they start at 1
  and increase by one with no gap, across every process and node that share
  the database. A transaction that fails gives its ids back.
- ``append`` resolves only once the message is committed (durable), and
  calls made in order are stored in that order.
- A resend (same room, same sender's nick key, same ``ref``, same text, within
  DEDUPE_WINDOW_MS) is not stored again: it resolves to the first message,
  marked as not new, so that nobody broadcasts it twice.
- The epoch changes only when the database is new: it is created with the
  schema and never changes after, except that a database without messages may
  adopt another (an import keeping its export's epoch).
- A change to a message (``change``: edit, deletion, reaction, pin) goes through
  the same writer and transaction as messages and takes the room's next id;
  one that would change nothing takes none. A deletion empties the text of
  the message and of every edit of it, in the same transaction. ``history``
  answers messages in their current state; ``changes`` the changes in id
  order; a reply to no message of the room is refused (change_rules.py).
- ``search`` finds messages by their text through the database's own trigram
  index, which every store, edit, deletion and import keeps in step in the
  same transaction (search_base.py).
- ``append`` with a ``file_id`` attaches the file store.files saved to the new
  message in the same commit, and a deletion removes the message's file
  (files_base.py has the rules of files).
- ``way_in`` answers a member's way into a room in one statement, each of its
  answers what its own read answers (way_in.py).
- A store never imports the web layer and never delivers anything: the caller
  publishes what was stored.
"""

from __future__ import annotations

import abc
import asyncio
from collections.abc import Awaitable, Iterable
from dataclasses import dataclass
from typing import Any, Protocol

from ..backend import StoredMessage
from ..events import StoredChange
from ..forwarded import Forwarded
from .accounts_base import AccountStore
from .change_rules import Changed, ChangeRefusedError, ChangeRequest
from .files_base import FileStore
from .records import ScheduledClaim
from .search_base import SearchQuery
from .thread_futures import fail_unless_done, resolve_unless_done
from .threads_base import ThreadReads
from .way_in import WayIn


class StoreError(Exception):
    """The store cannot do what was asked right now (the caller may retry)."""


class StoreStartupError(StoreError):
    """The store cannot be opened or used at all: the server must not start."""


class SchemaTooNewError(StoreStartupError):
    """The database was written by a newer chatroom than this one."""


def encodable(*texts: str) -> bool:
    """Whether every text is valid UTF-8 (a lone surrogate is not), as both databases need.

    Checked before queueing: in the writer, such a value would fail the whole
    batch, other members' messages with it.
    """
    try:
        for text in texts:
            text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def refuse_unqueueable(future: asyncio.Future[Any], *, closed: bool, storable: bool, what: str) -> bool:
    """Fail ``future`` if the store is closed, or if ``what`` (a message, a change) holds characters
    the database cannot store; whether it did. Else the caller queues it for the writer."""
    if closed:
        future.set_exception(StoreError("the store is closed"))
    elif not storable:
        future.set_exception(StoreError(f"{what} has characters that cannot be stored"))
    else:
        return False
    return True


class ExportReads(abc.ABC):
    """The export's reads, which are the rooms list and history read in order."""

    @abc.abstractmethod
    async def rooms(self, *, prefix: str = "", after: str = "", limit: int = 50) -> list[RoomRow]:
        """As Store.rooms."""

    @abc.abstractmethod
    async def history(
        self,
        room: str,
        *,
        after: int | None = None,
        before: int | None = None,
        limit: int = 50,
        newest: bool = True,
    ) -> list[StoredMessage]:
        """As Store.history."""

    async def room_names(self, after: str, limit: int) -> list[str]:
        """Names of rooms with history after ``after``, in order (for export)."""
        return [row.room for row in await self.rooms(after=after, limit=limit)]

    @abc.abstractmethod
    async def sequence_after(self, room: str, after: int, limit: int) -> list[StoredMessage | StoredChange]:
        """As Store.sequence_after."""

    async def export_messages(self, room: str, after: int, limit: int) -> list[StoredMessage | StoredChange]:
        """Messages (in their current state) and changes of ``room`` with id > ``after``, in id order."""
        return await self.sequence_after(room, after, limit)


@dataclass(frozen=True, slots=True)
class Appended:
    """The outcome of one append: the stored message, and whether it is new.

    ``new`` is False for a resend that resolved to the message first stored.
    """

    message: StoredMessage
    new: bool


# What one queued message or change of a batch came to: stored, or a change refused.
Outcome = Appended | Changed | ChangeRefusedError


class QueuedWrite(Protocol):
    """A message or change waiting in a store's batch, and whoever awaits its outcome."""

    future: asyncio.Future[Any]


def fail_writes(queued: Iterable[QueuedWrite], reason: str) -> None:
    """Fail each queued write's future: its batch could not be stored, for ``reason``; a future
    whose awaiter gave up already is left alone."""
    for write in queued:
        fail_unless_done(write.future, StoreError(f"cannot store the message: {reason}"))


def deleted_files(outcomes: Iterable[Outcome]) -> list[str]:
    """The files whose messages a committed batch deleted: their bytes go now (files_base.py)."""
    return [o.file for o in outcomes if isinstance(o, Changed) and o.file is not None]


def answer_writes(queued: Iterable[QueuedWrite], outcomes: Iterable[Outcome]) -> None:
    """Resolve each queued write's future with its outcome, a refused change as its exception;
    a future whose awaiter gave up already is left alone."""
    for write, outcome in zip(queued, outcomes, strict=True):
        if isinstance(outcome, ChangeRefusedError):
            fail_unless_done(write.future, outcome)
        else:
            resolve_unless_done(write.future, outcome)


@dataclass(frozen=True, slots=True)
class RoomRow:
    """A room with history, as the rooms list pages it."""

    room: str
    last_id: int


class Store(ThreadReads, Protocol):
    """What the server needs from its database (threads: threads_base.py)."""

    @property
    def accounts(self) -> AccountStore:
        """Accounts, sessions, bot keys, links, rooms with access and secrets (accounts_base.py)."""
        ...

    @property
    def files(self) -> FileStore:
        """Uploaded files and avatars, their rows and their bytes (files_base.py)."""
        ...

    async def start(self) -> None:
        """Open the database and bring its schema up to date.

        Raises StoreStartupError (SchemaTooNewError for a newer schema) when
        the database cannot be used.
        """

    async def close(self) -> None:
        """Commit what is queued, then release every connection."""

    def append(
        self,
        room: str,
        nick: str,
        text: str,
        *,
        ref: str | None = None,
        bot: bool = False,
        guest: bool = False,
        account_id: int | None = None,
        reply_to: int | None = None,
        file_id: str | None = None,
        thread: int | None = None,
        broadcast: bool = False,
        scheduled: ScheduledClaim | None = None,
        forward: Forwarded | None = None,
    ) -> Awaitable[Appended]:
        """Queue a message for the next group commit; resolves once committed.

        ``account_id`` is the author's (kept for who may change it later);
        ``reply_to`` the id of a message of the room it answers; ``file_id``
        a file the author saved (store.files) that the message carries;
        ``thread`` the root of the thread it replies in, ``broadcast`` a thread
        reply also sent to the room (threads_base.py). Raises StoreError when
        it cannot be stored, ChangeRefusedError (NO_MESSAGE) for a reply to no
        message of the room, (BAD_REQUEST) for a file it may not carry
        (files_base.py), (BAD_THREAD) for a thread with no root (threads_base.py).
        ``scheduled``: the scheduled message it is, whose row the same transaction deletes (GONE when
        it was deleted or edited meanwhile: nothing is stored; scheduled_base.py). ``forward``: the
        message it forwards, as it is now, stored with it (forwarded.py).
        """
        ...

    def change(self, room: str, request: ChangeRequest) -> Awaitable[Changed]:
        """Queue a change to a message for the next group commit; resolves once committed.

        Its outcome names the stored change, or None when it changed nothing.
        Raises ChangeRefusedError when refused (change_rules.decide), StoreError
        when it cannot be stored.
        """
        ...

    async def changes(
        self, room: str, *, after: int = 0, before: int | None = None, limit: int = 50, newest: bool = True
    ) -> list[StoredChange]:
        """Up to ``limit`` changes with after < id < before, oldest first (newest: the latest)."""
        ...

    async def sequence_after(self, room: str, after: int, limit: int) -> list[StoredMessage | StoredChange]:
        """The first ``limit`` messages and changes with id > ``after``, in id order (gap repair)."""
        ...

    async def history(
        self,
        room: str,
        *,
        after: int | None = None,
        before: int | None = None,
        limit: int = 50,
        newest: bool = True,
    ) -> list[StoredMessage]:
        """Up to ``limit`` messages with after < id < before, oldest first.

        With ``newest`` the most recent such messages, else the oldest.
        """
        ...

    async def pinned(self, room: str) -> list[StoredMessage]:
        """The room's pinned messages (at most change_rules.MAX_PINS, none deleted) in their current
        state, most recently pinned first."""
        ...

    async def search(self, query: SearchQuery) -> list[StoredMessage]:
        """Up to ``query.limit`` messages of the query's rooms (those listed; those its reader may
        read, read in the same statement), not deleted, in their current state, holding every term
        of the query, newest first (search_base.py: rooms, order, cursor, short terms)."""
        ...

    async def last_id(self, room: str) -> int:
        """The id of the room's latest message, 0 when it has none."""
        ...

    async def epoch(self) -> str:
        """The database's epoch: a new database starts every room over."""
        ...

    async def rooms(self, *, prefix: str = "", after: str = "", limit: int = 50) -> list[RoomRow]:
        """Up to ``limit`` rooms with history whose names start with ``prefix``
        and sort after ``after`` (code point order), in name order."""
        ...

    async def room_holding(self, key: str) -> str | None:
        """The room with history whose look-alike key (protocol.room_key) is ``key``."""
        ...

    async def way_in(
        self, room: str, *, address: str | None = None, account_id: int | None = None, nick: str | None = None
    ) -> WayIn:
        """What a member's way into ``room`` asks, read by one statement (way_in.py): the guest bar on
        ``address`` (accounts.guest_barred_until), the room's record (accounts.room_record), the
        membership of ``account_id`` (accounts.membership), the room holding the room's look-alike key
        (room_holding), whether an account holds or held ``nick`` (accounts.name_is_held). None asks
        nothing."""
        ...

    async def healthy(self) -> bool:
        """Whether the database answers and the last write and write probe worked."""
        ...

    async def room_names(self, after: str, limit: int) -> list[str]:
        """Up to ``limit`` names of rooms with history after ``after``, in code point order (for export)."""
        ...

    async def messages_of(self, account_id: int, *, limit: int) -> list[tuple[str, int]]:
        """Up to ``limit`` of the account's messages that are not deleted, in every room, as (room, id)
        in room and id order: what an administrator removes of someone's all at once. Read through
        the whole messages table (no index by author: it is asked seldom, by an administrator)."""
        ...

    async def reactions_of(self, account_id: int, *, limit: int) -> list[tuple[str, int, str, str]]:
        """Up to ``limit`` of the account's reactions, in every room, as (room, target, emoji, the nick
        it was put under), in that order: what an administrator takes back of someone's at once. Read
        through the whole reactions table, as messages_of reads messages."""
        ...

    async def export_messages(self, room: str, after: int, limit: int) -> list[StoredMessage | StoredChange]:
        """Messages and changes of ``room`` with id > ``after``, in id order (for export)."""
        ...

    async def import_messages(self, messages: Iterable[StoredMessage | StoredChange]) -> int:
        """Store messages and changes with their own ids and times (for import); returns how many.

        Refuses (StoreError) a message whose id is not above its room's last id.
        """
        ...

    async def adopt_epoch(self, epoch: str) -> None:
        """Make ``epoch`` the database's own, for good (an import keeping its export's epoch).

        Refuses (StoreError) once the database holds any message.
        """
