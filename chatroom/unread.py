"""Unread counts: read marks coalesced into the store, counts told live to every tab of a person.

- A read mark (the socket's ``read`` frame, ``PUT /api/rooms/{room}/read``)
  moves an account's position in a room up (never back, never past the
  room's newest message). Its counts are worked out at once and told to
  every connection of the account, on every node (an UnreadNotice, which
  each node turns into ``unread`` frames). The position itself waits in
  memory, the highest per account and room, and every READ_FLUSH_DELAY
  the waiting marks are stored together, in one transaction: reading costs
  a node at most one write (one disk sync) per READ_FLUSH_DELAY, however
  many frames come in.
- A message stored in a room: within ACTIVITY_DELAY the node that stored
  it tells every node (one ActivityNotice per room, however many messages
  came meanwhile), and each node sends the room's followers (members; an
  open room's readers) connected to it their new counts.
- A message that says ``@here`` (mentions.py): before its room's followers
  hear of it, the node that stored it writes down who is online in the room
  then, on any node (Backend.accounts_in), with the message (schema step
  33). Counts read later, on any node and after a restart, find the same
  people there: presence itself is gone by then, and a count read from it
  would differ from node to node and from minute to minute.
- Every node remembers for RECENT_READ_SECONDS the marks it heard of, so
  that counts it works out do not rest on a position that the node which
  took the mark has not stored yet.

Guests have no stored position: the page keeps none for them and shows no counts.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Protocol

from . import protocol
from .backend import Backend, BackendError, tell_processes
from .desks import Desk, OpenSessions, logged
from .events import DELETE, EDIT, ActivityNotice, StoredChange, StoredMessage, UnreadNotice
from .identity import Identity
from .mentions import mentions_here
from .store.base import StoreError
from .store.reading_base import DEFAULT_NOTIFY_LEVEL, NOTIFY_MUTED, ReadMark, Unread

log = logging.getLogger("chatroom.unread")

READ_FLUSH_DELAY = 0.2
ACTIVITY_DELAY = 0.25
RECENT_READ_SECONDS = 10.0
_FOLLOWERS_FAILED = "cannot tell followers of new messages"

Spawn = Callable[[Awaitable[Any]], None]
Key = tuple[int, str]


class Reader(Protocol):
    """What the desk needs of one chat connection (handlers.ChatSocketHandler)."""

    @property
    def who(self) -> Identity | None:
        """The account it speaks for; None for a guest."""

    def tell(self, frames: Sequence[dict[str, Any]]) -> None:
        """Send frames beside the room's, once the connection is live."""


class UnreadDesk(Desk[Reader]):
    """Read marks and unread counts for the connections of one process."""

    def __init__(
        self,
        backend: Backend,
        connections: OpenSessions[Reader],
        *,
        flush_delay: float = READ_FLUSH_DELAY,
        activity_delay: float = ACTIVITY_DELAY,
    ) -> None:
        super().__init__(connections)
        self.backend = backend
        self.accounts = backend.accounts
        self.flush_delay = flush_delay
        self.activity_delay = activity_delay
        self._pending: dict[Key, int] = {}
        self._recent: dict[Key, tuple[int, float]] = {}
        self._active: dict[str, int] = {}
        self._flushing: asyncio.TimerHandle | None = None
        self._spawn: Spawn | None = None

    def start(self, spawn: Spawn) -> None:
        """Hear of every message and change this process stores; ``spawn`` runs background work."""
        self._spawn = spawn
        self.backend.watch_stored(self.message_stored)
        self.backend.watch_changed(self.change_stored)

    # --- read marks ------------------------------------------------------------------

    async def mark(self, who: Identity, room: str, upto: int) -> UnreadNotice:
        """Mark the room read up to ``upto`` for ``who`` (who may read it); the counts now.

        A mark at or below the position changes nothing and tells nobody.
        """
        return (await self._mark(who, room, upto))[0]

    async def mark_everything(
        self, who: Identity, readable: Callable[[str], Awaitable[bool]]
    ) -> list[UnreadNotice]:
        """Mark every room ``who`` follows (a member of it, or it has a position there) and may read
        (``readable``) read up to its newest message, room by room in name order; the counts of those
        whose position moved, each told to every tab of theirs as ``mark`` tells it."""
        positions = await self.accounts.read_positions(who.account_id)
        member_of = {record.room for record in await self.accounts.rooms_of(who.account_id)}
        # Marks not stored yet, made here or heard of from another node, follow rooms too.
        waiting = {
            room for account, room in self._pending.keys() | self._recent.keys() if account == who.account_id
        }
        moved = []
        for room in sorted(positions.keys() | member_of | waiting):
            if await readable(room):
                notice, changed = await self._mark(who, room, protocol.MAX_CLIENT_INT)
                if changed:
                    moved.append(notice)
        return moved

    async def _mark(self, who: Identity, room: str, upto: int) -> tuple[UnreadNotice, bool]:
        key = (who.account_id, room)
        known = await self._position(key)
        upto = min(upto, await self.backend.last_id(room))
        # Another mark of the same room may have moved on while this one read the store.
        known = max(known, self._pending.get(key, -1), self._heard(key))
        if upto <= known:
            return await self._counts(who, room, max(known, 0)), False
        self._pending[key] = upto
        self._flush_soon()
        notice = await self._counts(who, room, upto)
        await self._tell(notice)
        return notice, True

    async def mark_unread(self, who: Identity, room: str, first_unread: int) -> UnreadNotice:
        """Put ``who``'s position in the room just before ``first_unread`` (who may read it), back as well
        as on; the counts now, told to every tab of theirs on every node (a notice with ``back``)."""
        key = (who.account_id, room)
        position = max(0, min(first_unread - 1, await self.backend.last_id(room)))
        if key in self._pending:
            # A mark waiting here would be stored after this position and undo it.
            await self.flush()
        await self.accounts.set_read_position(who.account_id, room, position)
        notice = dataclasses.replace(await self._counts(who, room, position), back=True)
        await self._tell(notice)
        return notice

    async def forget_read_position(self, account_id: int, room: str) -> None:
        """The account left the open room: no position of it there, stored, waiting or heard of, so that
        the room counts nothing for it until it marks it read again."""
        key = (account_id, room)
        self._pending.pop(key, None)
        self._recent.pop(key, None)
        await self.accounts.forget_read_position(account_id, room)

    async def choose_level(self, who: Identity, room: str, level: str) -> UnreadNotice:
        """Store how ``who`` is told of the room (ValueError: no such level); every tab hears of it."""
        await self.accounts.set_notify_level(who.account_id, room, level)
        notice = await self._counts(who, room, max(await self._position((who.account_id, room)), 0))
        await self._tell(notice)
        return notice

    async def flush(self) -> None:
        """Store every waiting mark, in one transaction (a failure keeps them for the next try)."""
        self._flushing = None
        marks, self._pending = self._pending, {}
        if not marks:
            return
        try:
            await self.accounts.mark_read([ReadMark(a, room, upto) for (a, room), upto in marks.items()])
        except StoreError as error:
            log.warning("cannot store %d read positions, trying again: %s", len(marks), error)
            for key, upto in marks.items():
                self._pending[key] = max(upto, self._pending.get(key, 0))
            self._flush_soon()

    def _flush_soon(self) -> None:
        if self._flushing is None and self._spawn is not None:
            spawn = self._spawn
            self._flushing = asyncio.get_running_loop().call_later(
                self.flush_delay, lambda: spawn(self.flush())
            )

    # --- the rooms list --------------------------------------------------------------

    async def add_counts(self, who: Identity, entries: list[dict[str, Any]]) -> None:
        """Give each room entry of the list ``unread``, ``mentions``, ``read_id`` and ``notify`` for ``who``.

        A room ``who`` does not follow (an open room never read, not a member of) counts nothing.
        """
        positions = await self.accounts.read_positions(who.account_id)
        levels = await self.accounts.notify_levels(who.account_id)
        member_of = {record.room for record in await self.accounts.rooms_of(who.account_id)}
        for entry in entries:
            room = entry["room"]
            position = max(positions.get(room, -1), self._heard((who.account_id, room)))
            follows = position >= 0 or room in member_of
            unread = mentions = 0
            if follows:
                # A member who never marked the room has read up to 0, as its unread frames say.
                position = max(position, 0)
                level = levels.get(room, DEFAULT_NOTIFY_LEVEL)
                counts = await self._unread(who, room, position, level)
                unread, mentions = counts.unread, counts.mentions
            entry.update(
                unread=unread,
                mentions=mentions,
                read_id=position if follows else None,
                notify=levels.get(room, DEFAULT_NOTIFY_LEVEL),
            )

    # --- new messages ------------------------------------------------------------------

    def message_stored(self, message: StoredMessage) -> None:
        """A message this process stored: its room's followers hear of it within ACTIVITY_DELAY (once who
        its ``@here`` mentions is written down)."""
        if self._spawn is not None and mentions_here(message.text):
            self._spawn(self._record_here(message))
        else:
            self._room_active(message.room, message.id)

    async def _record_here(self, message: StoredMessage) -> None:
        """Write down who is online in the room now (its sender aside), then tell its followers."""
        try:
            online = await self.backend.accounts_in(message.room)
            online.discard(message.account_id or 0)
            await self.accounts.record_here(message.room, message.id, sorted(online))
        except (BackendError, StoreError) as error:
            log.warning("cannot write down who @here in %r mentions: %s", message.room, error)
        self._room_active(message.room, message.id)

    def change_stored(self, change: StoredChange) -> None:
        """An edit or a deletion may change the counts (a mention added or taken out, a message gone):
        the room's followers hear of it as of a message. A reaction changes none."""
        if change.kind in (EDIT, DELETE):
            self._room_active(change.room, change.id)

    def _room_active(self, room: str, last_id: int) -> None:
        """Tell the room's followers their counts soon.

        One timer serves every room active meanwhile: in a process with a
        thousand busy rooms, a timer and a task per room and window would be
        several callbacks for nearly every message.
        """
        if not self._active:
            asyncio.get_running_loop().call_later(self.activity_delay, self._announce)
        self._active[room] = max(self._active.get(room, 0), last_id)

    def _announce(self) -> None:
        active, self._active = self._active, {}
        if self._spawn is not None:
            self._spawn(self._tell(*(ActivityNotice(room, last_id) for room, last_id in active.items())))

    # --- notices, from this process or another ------------------------------------------

    def take(self, notice: UnreadNotice | ActivityNotice) -> None:
        """Tell this process's connections what a notice changes for them."""
        if isinstance(notice, UnreadNotice):
            self._hear(notice)
            frame = _frame(notice)
            for connection in self._of_account(notice.account_id):
                connection.tell([frame])
        elif self._spawn is not None and self.connections.any_account():
            self._spawn(logged(self._tell_followers(notice.room), log, _FOLLOWERS_FAILED))

    async def _tell_followers(self, room: str) -> None:
        """Every follower connected here gets its counts: positions and levels read in one query."""
        for follower in await self.accounts.followers(room):
            connections = self._of_account(follower.account_id)
            who = connections[0].who if connections else None
            if connections and who is not None:
                stored = -1 if follower.read_id is None else follower.read_id
                position = max(self._known((follower.account_id, room), stored), 0)
                counts = await self._unread(who, room, position, follower.notify)
                notice = UnreadNotice(
                    follower.account_id, room, position, counts.unread, counts.mentions, follower.notify
                )
                frame = _frame(notice)
                for connection in connections:
                    connection.tell([frame])

    # --- helpers -------------------------------------------------------------------------

    async def _position(self, key: Key) -> int:
        """The highest position known of: stored, waiting here, or heard of from any node (-1: none)."""
        stored = await self.accounts.read_position(*key)
        return self._known(key, -1 if stored is None else stored)

    def _known(self, key: Key, stored: int) -> int:
        """The higher of a stored position and those waiting here or heard of from any node."""
        return max(stored, self._pending.get(key, -1), self._heard(key))

    def _heard(self, key: Key) -> int:
        heard = self._recent.get(key)
        return heard[0] if heard is not None else -1

    def _hear(self, notice: UnreadNotice) -> None:
        now = time.monotonic()
        for key, (_, at) in list(self._recent.items()):
            if now - at > RECENT_READ_SECONDS:
                del self._recent[key]
        key = (notice.account_id, notice.room)
        if notice.back or notice.read_id > self._heard(key):
            self._recent[key] = (notice.read_id, now)

    async def _counts(self, who: Identity, room: str, position: int) -> UnreadNotice:
        level = await self.accounts.notify_level(who.account_id, room)
        counts = await self._unread(who, room, position, level)
        return UnreadNotice(who.account_id, room, position, counts.unread, counts.mentions, level)

    async def _unread(self, who: Identity, room: str, position: int, level: str) -> Unread:
        """``who``'s counts in the room: a muted room's ``@room`` is no mention of theirs."""
        return await self.accounts.unread_in(
            room, position, who.name, reader_id=who.account_id, whole_room=level != NOTIFY_MUTED
        )

    async def _tell(self, *notices: UnreadNotice | ActivityNotice) -> None:
        """Act here at once, then tell the other processes (their tabs miss it if the bus is away)."""
        await tell_processes(self.backend, *notices, about="unread counts", log=log)


def _frame(notice: UnreadNotice) -> dict[str, Any]:
    return protocol.unread_frame(
        notice.room, notice.unread, notice.mentions, notice.read_id, notice.notify, back=notice.back
    )
