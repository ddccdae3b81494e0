"""What the handlers need: history, presence and delivery, whatever the deployment.

Handlers talk to a :class:`Backend` and nothing else. The one implementation,
service.ChatService, is made of a Store (store/: SQLite or PostgreSQL) and a
Bus (bus/: in-process or Redis); the events and messages they all pass around
are events.py's, and can be imported from here too.
"""

from __future__ import annotations

import hashlib
import heapq
import itertools
import logging
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

from . import protocol
from .events import Event as Event
from .events import Members as Members
from .events import Notice
from .events import PresenceEvent as PresenceEvent
from .events import Sequenced as Sequenced
from .events import StoredChange as StoredChange
from .events import StoredMessage as StoredMessage
from .events import TypingEvent as TypingEvent
from .forwarded import Forwarded
from .store.accounts_base import AccountStore
from .store.change_rules import Changed, ChangeRequest
from .store.files_base import FileStore
from .store.records import ScheduledClaim
from .store.search_base import SearchQuery
from .store.way_in import WayIn


class BackendError(Exception):
    """The store or the broker cannot do what was asked right now."""


class StartupError(BackendError):
    """The backend cannot start (the database cannot be opened, say)."""


# Receives the events of one room, in order; stored messages in id order.
EventSink = Callable[[Sequence[Event]], None]


class NoticeListener(Protocol):
    """Who acts on notices in a process (notices.NoticeDesk)."""

    def take(self, notice: Notice) -> None:
        """Act on a notice, from this process or another."""

    def recheck(self) -> None:
        """Notices may have been missed (the bus was away): check again what they decide."""


@dataclass(frozen=True, slots=True)
class RoomInfo:
    """A room with someone online or some history."""

    room: str
    online: int
    last_id: int


@dataclass(frozen=True, slots=True)
class RoomRead:
    """What a joining member's welcome and history are made of, all read up to ``last_id``."""

    last_id: int
    epoch: str
    messages: list[StoredMessage]
    # With a ``since``: the changes after it (edits, deletions, reactions, pins); else None.
    changes: list[StoredChange] | None


class Backend(Protocol):
    """What the handlers need from a store-and-broker."""

    @property
    def accounts(self) -> AccountStore:
        """Accounts, sessions, keys, links, rooms' records and memberships (the store's)."""
        ...

    @property
    def files(self) -> FileStore:
        """Uploaded files and avatars: their rows and bytes (the store's, store/files_base.py)."""
        ...

    async def start(self) -> None:
        """Open the store; raise StartupError when it cannot be used."""

    async def close(self) -> None:
        """Finish pending writes and release everything."""

    def publish(
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
    ) -> Awaitable[StoredMessage]:
        """Store a message and broadcast it to the room's subscribers.

        ``account_id`` is the author's; ``reply_to`` a message of the room it
        answers (ChangeRefusedError when the room has no such message);
        ``thread`` the root of the thread it replies in (ChangeRefusedError
        bad_thread when that is no root: store/thread_rows.py), ``broadcast``
        a thread reply also sent to the room;
        ``file_id`` a file the author saved (store.files) that the message
        carries (ChangeRefusedError when it may not: files_base.py);
        ``scheduled`` the scheduled message it is, stored only while its row
        holds that version (ChangeRefusedError gone: store/scheduled_base.py);
        ``forward`` the snapshot of the message it forwards (forwarded.py).

        Calls made in order are stored in that order. The awaitable resolves
        once the message is durable, or raises BackendError. With ``ref``, a
        message the same sender (by nick key, and bot or not: see
        dedupe_sender) sent to the room with the same ref and text within
        DEDUPE_WINDOW_MS is not stored or broadcast again: the awaitable
        resolves to the message first stored. ``bot`` is stored with the
        message and comes back with it from history and subscriptions; so
        is ``guest`` (sent by a guest, with no account).
        """
        ...

    def change(self, room: str, request: ChangeRequest) -> Awaitable[Changed]:
        """Store a change to a message and broadcast it like a message (it takes the room's next id).

        Resolves once durable, with None for the change when it changed
        nothing (nothing is broadcast); ChangeRefusedError when refused,
        BackendError when it cannot be stored.
        """
        ...

    async def changes(self, room: str, *, after: int, before: int, limit: int) -> list[StoredChange]:
        """The latest ``limit`` changes with after < id < before, oldest first."""
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
        """Up to ``limit`` messages with after < id < before, oldest first, in their current state.

        With ``newest`` the most recent such messages, else the oldest.
        """
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
        """As ``history``, thread replies left out: the main timeline."""
        ...

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
        """As ``history``, of message ``root`` and the replies in its thread only."""
        ...

    async def pinned(self, room: str) -> list[StoredMessage]:
        """The room's pinned messages in their current state, most recently pinned first."""
        ...

    async def search(self, query: SearchQuery) -> list[StoredMessage]:
        """Messages of the query's rooms holding its terms, newest first (store/search_base.py)."""
        ...

    async def messages_of(self, account_id: int, *, limit: int) -> list[tuple[str, int]]:
        """Up to ``limit`` of the account's messages not deleted, in every room, as (room, id)."""
        ...

    async def reactions_of(self, account_id: int, *, limit: int) -> list[tuple[str, int, str, str]]:
        """Up to ``limit`` of the account's reactions, in every room, as (room, target, emoji, nick)."""
        ...

    async def last_id(self, room: str) -> int:
        """The id of the room's latest message, 0 when it has none."""
        ...

    async def read_room(self, room: str, *, after: int | None, limit: int) -> RoomRead:
        """The room's last id and epoch; its latest ``limit + 1`` messages up to that id (after ``after``),
        and with ``after`` the latest ``limit + 1`` changes after it: what a member needs to join."""
        ...

    async def epoch(self, room: str) -> str:
        """A string that changes only when the room's id sequence starts over."""
        ...

    async def is_online(self, room: str, nick: str) -> bool:
        """Whether a member of the room holds ``nick`` (by nick key), on any node."""
        ...

    async def reserve(self, room: str, nick: str, owner: str | None = None) -> Members | None:
        """Hold ``nick`` in ``room`` for ``owner``: the members (each once), it included, or None if taken.

        An owner holding the nick already shares it (bus/base.py: an
        account's connections are one member); None is an owner of its own.
        """
        ...

    async def announce_join(self, room: str, nick: str) -> bool:
        """Broadcast that a reserved nick has joined, once per member: whether it was broadcast now."""
        ...

    async def release(self, room: str, nick: str, *, announce: bool) -> None:
        """Let go of one hold of a nick; the member's last broadcasts that it left, when owed."""

    async def typing(self, room: str, nick: str, thread: int | None = None) -> None:
        """Broadcast that ``nick`` is typing (a reply in the thread of ``thread``, when not None)."""

    async def subscribe(self, room: str, sink: EventSink) -> None:
        """Deliver the room's events to ``sink`` from now on."""

    async def unsubscribe(self, room: str) -> None:
        """Stop delivering the room's events to this process."""

    async def rooms(self, *, prefix: str = "", after: str = "", limit: int = 50) -> list[RoomInfo]:
        """Up to ``limit`` rooms with anyone online or any history, by name.

        Only names that start with ``prefix`` and sort after ``after`` (code
        point order); the cost follows ``limit``, never the number of rooms.
        """
        ...

    def listen_notices(self, listener: NoticeListener) -> None:
        """Give ``listener`` every notice, from this process and the others."""

    async def notify(self, *notices: Notice) -> None:
        """Act on notices (changes already stored) in every process, this one included.

        This process acts at once; BackendError when the others cannot be told.
        """

    async def record_failure(self, key: str, limit: int, window: float) -> None:
        """Count a failure of ``key`` (a sign-in's name or address) across the deployment."""

    async def failure_wait(self, key: str, limit: int, window: float) -> float:
        """Seconds until ``key``, with ``limit`` failures within ``window`` seconds, may try again."""
        ...

    async def forget_failures(self, key: str) -> None:
        """Clear ``key``'s failures across the deployment."""

    async def spend(self, key: str, per_minute: int) -> float:
        """Spend one of ``key``'s allowance of ``per_minute`` a minute across the deployment: 0 when
        spent, else the seconds until there is one."""
        ...

    async def online_counts(self, rooms: list[str]) -> list[int]:
        """How many members each of ``rooms`` has online, on every node."""
        ...

    async def accounts_online(self, account_ids: Sequence[int]) -> set[int]:
        """Those of the accounts with a connection in some room, on any node."""
        ...

    async def accounts_in(self, room: str) -> set[int]:
        """The accounts with a connection in the room, on any node."""
        ...

    def watch_stored(self, watcher: Callable[[StoredMessage], None]) -> None:
        """Give ``watcher`` every message this process stores, once committed: each message to one
        process of the deployment (the one that stored it), and a re-sent one (same ref) not again."""

    def watch_changed(self, watcher: Callable[[StoredChange], None]) -> None:
        """Give ``watcher`` every change to a message (edit, deletion, reaction, pin) this process stores,
        once committed: each change to one process of the deployment."""

    async def room_exists(self, room: str) -> bool:
        """Whether the room has any history or anyone online (anywhere)."""
        ...

    async def healthy(self) -> bool:
        """Whether the store and the broker can be reached and written."""
        ...

    async def claim_room(self, room: str, *, store_checked: bool = False) -> str | None:
        """Hold the room's look-alike key (protocol.room_key) across the deployment.

        Returns None when ``room`` holds it (now or already), else the name of
        the other room that does: the two look alike and cannot both exist.
        An empty room without history lets go of its key when its last member
        leaves. ``store_checked``: the caller read the store's holder of the
        key already (way_in) and found none but ``room``; only the rest is asked.
        """
        ...

    async def way_in(
        self, room: str, *, address: str | None = None, account_id: int | None = None, nick: str | None = None
    ) -> WayIn:
        """What a member's way into ``room`` asks of the store, read at once (store/way_in.py)."""
        ...


# How long a sent message's ref is remembered: a resend within this window
# (a page that lost its ack, say) is stored once.
DEDUPE_WINDOW_MS = 10 * 60 * 1000


def dedupe_sender(nick: str, bot: bool) -> str:
    """Who sent a message, for deduplication: a bot and a person of one nick are two senders.

    A nick key holds no control character, so the bot's marker cannot be
    spelled by a person's nick.
    """
    key = protocol.nick_key(nick)
    return "\x01bot\n" + key if bot else key


def dedupe_digest(room: str, sender: str, ref: str, text: str) -> bytes:
    """What identifies one sent message for deduplication: room, sender, ref and text."""
    hashed = hashlib.sha256()
    for part in (room, sender, ref, text):
        # Length-prefixed, so that no two tuples share an encoding.
        data = part.encode("utf-8", errors="surrogatepass")
        hashed.update(len(data).to_bytes(4, "big"))
        hashed.update(data)
    return hashed.digest()


# Above every code point a room name can hold: the exclusive upper end of a
# name prefix's range. UTF-8 keeps code point order, so byte-wise comparisons
# (SQLite's BINARY collation, Redis ZRANGEBYLEX) agree with Python's.
_ABOVE_NAMES = "\U0010ffff"


def prefix_end(prefix: str) -> str | None:
    """The exclusive upper bound of names starting with ``prefix``; None for no bound."""
    return prefix + _ABOVE_NAMES if prefix else None


def first_names(*sorted_names: Iterable[str], limit: int) -> list[str]:
    """The first ``limit`` distinct names of several sorted sequences, in order."""
    merged = (name for name, _ in itertools.groupby(heapq.merge(*sorted_names)))
    return list(itertools.islice(merged, limit))


async def tell_processes(backend: Backend, *notices: Notice, about: str, log: logging.Logger) -> None:
    """Act on notices here and tell the other processes; a bus away is logged with ``about``, not raised.

    The change is stored already, so it holds either way: the other processes'
    pages are not told at once, and see it when they next load what it changed.
    """
    try:
        await backend.notify(*notices)
    except BackendError as error:
        log.warning("cannot tell the other processes of %s: %s", about, error)
