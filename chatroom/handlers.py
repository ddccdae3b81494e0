"""The chat socket: a thin Tornado adapter over session.py and hub.py (the pages are pages.py's)."""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Iterable, Sequence
from typing import Any, ClassVar

from . import effects, metrics
from .admission import Admission
from .allowances import Allowance
from .backend import Backend, BackendError
from .clock import now_ms
from .config import Settings
from .effects import Effect, Effects
from .events import Delivered, PresenceEvent
from .fanout import Outbox, encode_frames
from .hub import Hub
from .identity import SESSION_COOKIE
from .limits import JoinLimit
from .notice_target import NoticeTarget
from .peers import PeerDesk
from .pings import PingSweep
from .session import Session, State
from .socket_writes import MemberWrites
from .store.base import StoreError
from .unread import UnreadDesk
from .upgrade import ConnectionCounter, GuardedSocketHandler
from .webhooks import Webhooks

access_log = logging.getLogger("chatroom.access")
log = logging.getLogger("chatroom.ws")

# How long a member's own join may take to come back over the bus before the
# member is greeted with one made here (the bus lost it, say).
JOIN_ECHO_WAIT = 2.0
# Effects carried out on the spot; the others wait for the backend.
_AT_ONCE = (
    effects.Send,
    effects.Publish,
    effects.Change,
    effects.Settle,
    effects.Close,
    effects.AwaitAcks,
    effects.Typing,
    effects.ReadPage,
    effects.MarkRead,
)


class ChatSocketHandler(NoticeTarget, MemberWrites, GuardedSocketHandler):
    """One member's WebSocket session in one room: carries out what its Session decides.

    ``clients`` is the class-level registry of this process's members, per
    room: the hub's own, which it fills and empties. ``send_to_all`` writes
    frames to every live member of a room, through the hub.
    """

    clients: ClassVar[dict[str, set[ChatSocketHandler]]] = {}

    def initialize(
        self,
        config: Settings,
        backend: Backend,
        admission: Admission,
        hub: Hub[ChatSocketHandler],
        connections: ConnectionCounter,
        new_rooms: Allowance,
        joins: JoinLimit,
        peers: PeerDesk,
        pings: PingSweep[ChatSocketHandler],
        webhooks: Webhooks | None = None,
        unread: UnreadDesk | None = None,
    ) -> None:
        self.config = config
        self.pings = pings
        self.unread = unread
        self.peers = peers
        self.webhooks = webhooks
        self.direct = False  # in a direct room, messages may call its bots' webhooks
        self.backend = backend
        self.admission = admission
        self.hub = hub
        self.connections = connections
        self.new_rooms = new_rooms
        self.joins = joins
        self.session = Session(config)
        self.outbox: Outbox | None = None
        self._opened_at = time.monotonic()

    @property
    def room(self) -> str:
        """The member's room, once its name is checked."""
        return self.session.room

    @property
    def nick(self) -> str:
        """The member's nick, once reserved."""
        return self.session.nick

    @property
    def nick_key(self) -> str:
        """The nick as nicks are compared."""
        return self.session.nick_key

    # --- the registry (class-level, shared by every session) ------------

    @classmethod
    def reset_registry(cls) -> None:
        """Forget every member: tests call this between cases."""
        cls.clients.clear()

    @classmethod
    def send_to_all(
        cls, room: str, frames: Sequence[dict[str, Any]], exclude_nick: str | None = None
    ) -> None:
        """Encode ``frames`` once and write them to every settled member of ``room``."""
        members = cls.clients.get(room)
        if members:
            # Every member of this process was opened by one application, with one hub.
            next(iter(members)).hub.send_to_all(room, frames, exclude_nick)

    # --- the socket ---------------------------------------------------------

    async def open(self) -> None:
        """Identify the member, send welcome and history, announce the join: in its turn (hub.joining)."""
        assert self.ws_connection is not None and self.ws_connection.stream is not None
        self.set_nodelay(True)
        self.outbox = Outbox(
            self.ws_connection.stream,
            self.hub.scheduler,
            self.config.max_backlog_bytes,
            self._on_backlog_overflow,
        )
        self.hub.opened(self)
        self.pings.add(self)
        async with self.hub.joining:
            if self.session.state is not State.CLOSED:  # closed while it waited (the server stopping)
                await self._join()

    async def _join(self) -> None:
        """Who the credentials prove, then the session's way in, up to its announcement."""
        query = self.query
        try:
            who, refused = await self.admission.identify(
                self.request.headers.get("Authorization"),
                query("token") or None,
                self.get_cookie(SESSION_COOKIE),
            )
        except StoreError as error:
            log.warning("cannot tell who is connecting: %s", error)
            self._apply(self.session.failed(effects.Admit("")))
            return
        opening = self.session.open(
            query("room", "lobby"),
            query("nick"),
            query("since"),
            who=who,
            refused=refused,
            guests=self.admission.access.guests,
            guest_key=query("guest_key"),
        )
        if self.session.who is not None:
            self.hub.identified(self, self.session.who.account_id)
        await self._run(opening)
        if self.session.state in (State.CATCHING_UP, State.LIVE):
            self.forget_handshake()

    def on_message(self, message: str | bytes) -> None:
        """Hand one frame to the session and do what it says."""
        self._apply(self.session.received(message))

    def on_close(self) -> None:
        """Leave the room once, whatever ended the session."""
        if self.outbox is not None:
            self.outbox.cut_off()
        self.pings.discard(self)
        self.hub.closed(self)
        leaving = self.session.transport_closed()
        code = self.session.close_code or self.close_code or 1006
        metrics.CLOSES.labels(metrics.close_label(code)).inc()
        access_log.info(
            "ws %s room=%s nick=%s close=%d frames_in=%d %.1fs",
            self.request.remote_ip,
            self.room or "-",
            self.nick or "-",
            code,
            self.session.frames_in,
            time.monotonic() - self._opened_at,
        )
        self.hub.spawn(self._run(leaving))

    def send_frames(self, frames: Sequence[dict[str, Any]]) -> None:
        """Queue frames for this member only, behind whatever is queued already."""
        if self.outbox is not None and frames:
            self.outbox.send(encode_frames(frames))

    # --- what the hub asks of a member ---------------------------------------

    def take(self, events: Sequence[Delivered]) -> None:
        """Events of the room while this member is not settled."""
        self._apply(self.session.take(events))

    def greet(self, joined: PresenceEvent) -> None:
        """This member's own join is out."""
        self._apply(self.session.greeted(joined))

    def _join_overdue(self) -> None:
        self._apply(self.session.join_overdue(now_ms()))

    def close_with(self, code: int, reason: str) -> None:
        """Send what is queued and the acks still owed, then close with ``code``."""
        self._apply(self.session.close(code, reason))

    # --- carrying out effects ----------------------------------------------------

    def _apply(self, todo: Effects) -> None:
        """Carry out effects in order: at once, until one must wait for the backend."""
        for index, effect in enumerate(todo):
            if isinstance(effect, effects.Send):
                self.send_frames(effect.frames)
            elif isinstance(effect, effects.Publish):
                self._publish(effect)
            elif isinstance(effect, effects.Change):
                self._change(effect)
            elif isinstance(effect, effects.Settle):
                self.hub.settle(self)
            elif isinstance(effect, effects.Close):
                self._close(effect)
            elif isinstance(effect, effects.AwaitAcks):
                asyncio.get_running_loop().call_later(effect.seconds, self._acks_overdue)
            elif isinstance(effect, effects.Typing):
                self.hub.spawn(self.backend.typing(self.room, self.nick, effect.thread))
            elif isinstance(effect, effects.ReadPage):
                self.hub.spawn(self._read_page(effect))
            elif isinstance(effect, effects.MarkRead):
                self._mark_read(effect)
            else:
                self.hub.spawn(self._run(todo[index:]))
                return

    async def _run(self, todo: Iterable[Effect]) -> None:
        """Carry out effects in order, waiting for the backend's answers and handing them to the session."""
        pending = deque(todo)
        while pending:
            effect = pending.popleft()
            if isinstance(effect, _AT_ONCE):
                self._apply([effect])
                continue
            try:
                pending.extend(await self._ask(effect))
            except (BackendError, StoreError) as error:
                log.warning("cannot admit a member to %r: %s", self.room, error)
                pending = deque(self.session.failed(effect))

    async def _ask(self, effect: Effect) -> Effects:
        """Carry out an effect that waits for the backend; the session's answer to the outcome."""
        backend, session, room = self.backend, self.session, self.room
        if isinstance(effect, effects.Admit):
            self.admission_begins()
            answer, self.direct = await self.admission.admit(session, effect.room, self.address)
            return answer
        if isinstance(effect, effects.ClaimRoom):
            return await self.admission.claim(session, effect)
        if isinstance(effect, effects.Reserve):
            return await self.admission.reserve(session, effect)
        if isinstance(effect, effects.EnterHub):
            await self.hub.enter(self)
            return session.entered()
        if isinstance(effect, effects.ReadRoom):
            # All read up to the room's last id (committed): what comes later is live, none falls between.
            read = await backend.read_room(room, after=effect.after, limit=effect.limit)
            return session.room_read(effect, read.last_id, read.epoch, read.messages, read.changes)
        if isinstance(effect, effects.AnnounceJoin):
            self.hub.await_join(self)
            announced = await backend.announce_join(room, self.nick)
            self.peers.arrived(self)  # its work runs once the session below is past the announcement
            if not announced:
                # Another connection of the account is in the room: nobody else hears of this one.
                self.hub.stop_awaiting_join(self)
                return session.join_known(now_ms())
            asyncio.get_running_loop().call_later(JOIN_ECHO_WAIT, self._join_overdue)
            return session.join_announced()
        if isinstance(effect, effects.LeaveHub):
            await self.hub.leave(self)
        elif isinstance(effect, effects.Release):
            try:
                await backend.release(room, self.nick, announce=effect.announce)
            except BackendError as error:
                log.warning("cannot release %r in %r: %s", self.nick, room, error)
            self.peers.released(self)
        return []

    def _close(self, close: effects.Close) -> None:
        """Close the connection; unless at once, what is queued goes out first."""
        if self.session.state is State.CLOSED:
            return
        if close.at_once:
            metrics.SLOW_CLIENTS_DISCONNECTED.inc()
            log.info(
                "cut off %r in %r: backlog over %d bytes", self.nick, self.room, self.config.max_backlog_bytes
            )
        elif self.outbox is not None:
            self.outbox.finish()
            self.outbox.cut_off()
        self.close(close.code, close.reason)

    def _acks_overdue(self) -> None:
        self._apply(self.session.acks_overdue())

    def _on_backlog_overflow(self) -> None:
        self._apply(self.session.overflowed())
