"""This process's live members per room: delivery to them, their join and leave notices, closing them.

The backend hands the hub each subscribed room's events in order (stored
messages in id order, gaps repaired by sequencer.RoomFeed); the hub passes
them on. A settled member takes the room's broadcasts straight from the hub:
each broadcast is encoded once (fanout.encode_frames) and written to every
member's Outbox through the FlushScheduler, from a per-room list of outboxes
built on the first broadcast after a change. A member still joining or
catching up takes each batch of events through its session instead
(session.py and catch_up.py), which hold or filter them. Join and leave notices are paced
per room (presence.RoomNotices) before they reach anyone.

The hub knows its members only through :class:`Member`: it never touches a
socket, and a session never touches another member.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Awaitable, Sequence
from typing import Any, Generic, Protocol, TypeVar

from . import changes, metrics, protocol
from .backend import Backend, BackendError
from .config import Settings
from .desks import Sessions
from .events import Delivered, Event, PresenceBatch, PresenceEvent, StoredChange, StoredMessage, TypingEvent
from .fanout import FlushScheduler, Outbox, encode_frames
from .join_turns import JoinTurns
from .presence import RoomNotices

log = logging.getLogger("chatroom.hub")


class Member(Protocol):
    """What the hub needs of one member's session."""

    @property
    def room(self) -> str:
        """The room the member is in (or joining)."""

    @property
    def nick(self) -> str:
        """The member's nick in that room."""

    @property
    def nick_key(self) -> str:
        """The nick as nicks are compared (protocol.nick_key)."""

    @property
    def outbox(self) -> Outbox | None:
        """Where frames for the member are queued."""

    def take(self, events: Sequence[Delivered]) -> None:
        """Events of the room for a member that is not settled yet."""

    def greet(self, joined: PresenceEvent) -> None:
        """The member's own join, as soon as it is out."""

    def close_with(self, code: int, reason: str) -> None:
        """Close the member's session (after the acks it is owed)."""


M = TypeVar("M", bound=Member)


class Hub(Generic[M]):
    """Every member of this process, per room, and the delivery of their rooms' events.

    ``members`` may be a registry its owner keeps (ChatSocketHandler.clients,
    the card's class-level registry): the hub fills and empties it. One hub
    serves a process's chat sockets.
    """

    def __init__(
        self, settings: Settings, backend: Backend, members: dict[str, set[M]] | None = None
    ) -> None:
        self.settings = settings
        self.backend = backend
        # Per room, its members here: joining, catching up or settled.
        self.members: dict[str, set[M]] = {} if members is None else members
        # Every open session, whether or not it got into a room.
        self.sessions: Sessions[M] = Sessions()
        self.scheduler = FlushScheduler(on_broadcast=metrics.BROADCAST_SECONDS.observe)
        self.notices = RoomNotices()
        self._settled: dict[str, set[M]] = {}
        # Members that do not take plain broadcasts yet: their events are
        # held while history is read, then filtered while they catch up.
        self._unsettled: dict[str, set[M]] = {}
        # Per room, the outboxes of its settled members (and with their nick
        # keys, for broadcasts that skip one nick), built on the first
        # broadcast after a change: a broadcast then touches no member, which
        # in a room of 1000 saves more than half a millisecond of cache misses.
        self._outboxes: dict[str, list[Outbox]] = {}
        self._keyed_outboxes: dict[str, list[tuple[str, Outbox]]] = {}
        self._subscriptions: dict[str, asyncio.Future[None]] = {}
        self._background: set[asyncio.Future[Any]] = set()
        # Held by a joining member from its identification to its announcement.
        self.joining = JoinTurns()

    @property
    def connections(self) -> int:
        """Open sessions, in a room or not yet."""
        return len(self.sessions)

    # --- a member's way through ----------------------------------------------

    def opened(self, member: M) -> None:
        """A session's socket is open."""
        self.sessions.add(member)
        metrics.CONNECTIONS_OPEN.inc()

    def identified(self, member: M, account_id: int) -> None:
        """An open session speaks for ``account_id``."""
        self.sessions.identified(member, account_id)

    async def enter(self, member: M) -> None:
        """Add ``member`` to its room, not settled; this process subscribes to the room first."""
        room = member.room
        self.members.setdefault(room, set()).add(member)
        self._unsettled.setdefault(room, set()).add(member)
        metrics.ROOMS_ACTIVE.set(len(self.members))
        if room not in self._subscriptions:
            sink = functools.partial(self.deliver, room)
            self._subscriptions[room] = asyncio.ensure_future(self.backend.subscribe(room, sink))
        await asyncio.shield(self._subscriptions[room])

    def await_join(self, member: M) -> None:
        """Greet ``member`` with its own join as soon as it is out, however the others get it."""
        self.notices.await_join(member.room, member.nick, member.greet)

    def stop_awaiting_join(self, member: M) -> None:
        """``member`` is greeted otherwise (its room knew of it already)."""
        self.notices.stop_awaiting(member.room, member.nick, member.greet)

    def settle(self, member: M) -> None:
        """From now on ``member`` takes its room's plain broadcasts."""
        room = member.room
        self._unsettled.get(room, set()).discard(member)
        if member in self.members.get(room, ()):
            self._settled.setdefault(room, set()).add(member)
        self._forget_outboxes(room)

    def closed(self, member: M) -> None:
        """A session's socket is gone: it takes nothing more."""
        self.sessions.discard(member)
        metrics.CONNECTIONS_OPEN.dec()
        self._settled.get(member.room, set()).discard(member)
        self._forget_outboxes(member.room)

    async def leave(self, member: M) -> None:
        """Take ``member`` out of its room; the last one out unsubscribes this process."""
        room = member.room
        self.stop_awaiting_join(member)
        members = self.members.get(room)
        if members is None or member not in members:
            return
        members.discard(member)
        self._unsettled.get(room, set()).discard(member)
        self._settled.get(room, set()).discard(member)
        if not members:
            del self.members[room]
            self._unsettled.pop(room, None)
            self._settled.pop(room, None)
            self._forget_outboxes(room)
            self._subscriptions.pop(room, None)
            self.notices.forget(room)
            try:
                await self.backend.unsubscribe(room)
            except BackendError as error:
                log.warning("cannot unsubscribe from %r: %s", room, error)
        metrics.ROOMS_ACTIVE.set(len(self.members))

    def _forget_outboxes(self, room: str) -> None:
        self._outboxes.pop(room, None)
        self._keyed_outboxes.pop(room, None)

    # --- delivery ----------------------------------------------------------------

    def deliver(self, room: str, events: Sequence[Event]) -> None:
        """Take a room's events from the backend to this process's members."""
        if not self.members.get(room):
            return
        rate, burst = self.settings.presence_rate, self.settings.presence_burst
        storm = self.joining.crowded()
        self._broadcast(room, self.notices.admit(room, events, rate, burst, self._broadcast, storm))

    def _broadcast(self, room: str, events: Sequence[Delivered]) -> None:
        """Send a room's events to its members here; a join or typing goes to all but its nick."""
        chat = [
            changes.frame_of(e)
            for e in events
            if isinstance(e, StoredMessage | StoredChange | PresenceBatch)
            or (isinstance(e, PresenceEvent) and e.event != "join")
        ]
        self.send_to_all(room, chat)
        for event in events:
            if isinstance(event, TypingEvent) or (isinstance(event, PresenceEvent) and event.event == "join"):
                self.send_to_all(room, [protocol.frame_of(event)], exclude_nick=event.nick)
        # After the broadcasts: a member that settles here must not get them twice.
        unsettled = self._unsettled.get(room)
        if unsettled:
            for member in tuple(unsettled):
                member.take(events)

    def send_to_all(
        self, room: str, frames: Sequence[dict[str, Any]], exclude_nick: str | None = None
    ) -> None:
        """Encode ``frames`` once and write them to every settled member of ``room``."""
        if not frames:
            return
        if exclude_nick is None:
            outboxes = self._outboxes.get(room)
            if outboxes is None:
                outboxes = self._outboxes[room] = [
                    m.outbox for m in self._settled.get(room, ()) if m.outbox is not None
                ]
        else:
            skip = protocol.nick_key(exclude_nick)
            outboxes = [outbox for key, outbox in self._keyed_of(room) if key != skip]
        if not outboxes:
            return
        self.scheduler.broadcast(outboxes, encode_frames(frames))
        metrics.MESSAGES_DELIVERED.inc(len(outboxes) * len(frames))

    def _keyed_of(self, room: str) -> list[tuple[str, Outbox]]:
        keyed = self._keyed_outboxes.get(room)
        if keyed is None:
            members = self._settled.get(room, ())
            keyed = self._keyed_outboxes[room] = [
                (m.nick_key, m.outbox) for m in members if m.outbox is not None
            ]
        return keyed

    # --- everyone ------------------------------------------------------------------

    def close_all(self, code: int, reason: str) -> None:
        """Close every session of this process (on shutdown)."""
        for member in tuple(self.sessions):
            member.close_with(code, reason)

    async def finish_background(self, timeout: float) -> None:
        """Wait, at most ``timeout`` seconds, for the work spawned for members (their leaves)."""
        if self._background and timeout > 0:
            await asyncio.wait(set(self._background), timeout=timeout)

    def spawn(self, work: Awaitable[Any]) -> None:
        """Run ``work`` in the background, keeping hold of it until it ends."""
        task = asyncio.ensure_future(work)
        self._background.add(task)
        task.add_done_callback(self._background.discard)
