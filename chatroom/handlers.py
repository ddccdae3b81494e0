"""HTTP and WebSocket handlers: the page, the chat socket, the JSON API."""

from __future__ import annotations

import asyncio
import functools
import logging
import secrets
import time
from collections.abc import Sequence
from typing import Any, ClassVar

import tornado.httputil
import tornado.web

from . import auth, metrics, protocol
from .backend import Backend, BackendError
from .config import Settings
from .events import Delivered, PresenceEvent, RoomReset, StoredMessage, TypingEvent
from .fanout import Outbox, encode_frames
from .hub import Hub
from .limits import JoinLimit, KeyedTokenBuckets, RefusalWindow, TokenBucket
from .protocol import ProtocolError
from .upgrade import ConnectionCounter, GuardedSocketHandler

access_log = logging.getLogger("chatroom.access")
log = logging.getLogger("chatroom.ws")

# Read-only stand-ins for what a live member no longer needs (see
# ChatSocketHandler._forget_handshake); never written to.
_NO_HEADERS = tornado.httputil.HTTPHeaders()
_NO_ARGUMENTS: dict[str, list[bytes]] = {}
MAX_REPLAY = 1000
TYPING_INTERVAL = 1.0
GUEST_ATTEMPTS = 20
# How long a server-initiated close waits for the member's messages in the
# store to resolve, so that their acks go out before the close frame. Within
# the shutdown grace: a stop still takes under five seconds.
ACK_WAIT_SECONDS = 1.0
CLOSE_CODE_FOR = {
    protocol.BAD_NAME: protocol.CLOSE_BAD_NAME,
    protocol.UNAUTHORIZED: protocol.CLOSE_UNAUTHORIZED,
    protocol.NICK_TAKEN: protocol.CLOSE_NICK_TAKEN,
}


def _last(messages: list[StoredMessage]) -> int:
    """The id of the last message, 0 for none."""
    return messages[-1].id if messages else 0


def fit_newest(messages: list[StoredMessage], budget: int) -> list[StoredMessage]:
    """The newest of ``messages`` whose user frames fit in ``budget`` bytes."""
    total = 0
    for index in range(len(messages) - 1, -1, -1):
        total += len(protocol.encode(protocol.frame_of(messages[index]))) + 1
        if total > budget:
            return messages[index + 1 :]
    return messages


class IndexHandler(tornado.web.RequestHandler):
    """Renders the chat page for ``?room=`` (default ``lobby``)."""

    def initialize(self, config: Settings) -> None:
        self.config = config

    def set_default_headers(self) -> None:
        self.set_header(
            "Content-Security-Policy",
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:;"
            " connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'",
        )
        self.set_header("X-Content-Type-Options", "nosniff")
        self.set_header("Referrer-Policy", "no-referrer")

    def get(self) -> None:
        room = self.get_argument("room", "lobby")
        self.render("index.html", room=room, jwt_required=self.config.jwt_secret is not None)


class ChatSocketHandler(GuardedSocketHandler):
    """One member's WebSocket session in one room.

    ``clients`` is the class-level registry of this process's members, per
    room: the hub's own, which it fills and empties. ``send_to_all`` writes
    frames to every live member of a room, through the hub.
    """

    clients: ClassVar[dict[str, set[ChatSocketHandler]]] = {}

    def initialize(
        self,
        config: Settings,
        backend: Backend,
        hub: Hub[ChatSocketHandler],
        connections: ConnectionCounter,
        new_rooms: KeyedTokenBuckets,
        joins: JoinLimit,
    ) -> None:
        self.config = config
        self.backend = backend
        self.hub = hub
        self.connections = connections
        self.new_rooms = new_rooms
        self.joins = joins
        self.room = ""
        self.nick = ""
        self.nick_key = ""
        self.outbox: Outbox | None = None
        self._members: list[str] | None = None
        self._held: list[Delivered] = []
        self._joining = True
        self._skip_through = 0
        self._reserved = False
        self._announced = False
        self._in_registry = False
        self._closed = False
        self._server_close_code: int | None = None
        self._opened_at = time.monotonic()
        self._frames_in = 0
        self._bucket = TokenBucket(config.rate, config.burst)
        self._refusals = RefusalWindow(config.max_refusals, config.refusal_window)
        self._last_typing = 0.0
        # Accepted messages whose store outcome (ack or error) is still owed.
        self._owed: set[asyncio.Future[StoredMessage]] = set()

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

    # --- opening ----------------------------------------------------------

    async def open(self) -> None:
        """Identify the member, send welcome and history, announce the join."""
        assert self.ws_connection is not None and self.ws_connection.stream is not None
        self.set_nodelay(True)
        self.outbox = Outbox(
            self.ws_connection.stream,
            self.hub.scheduler,
            self.config.max_backlog_bytes,
            self._on_backlog_overflow,
        )
        self.hub.opened(self)
        try:
            self.room, nick = self._requested_identity()
            await self._claim_room()
            await self._reserve_nick(nick)
            if not self._closed:
                await self._join()
        except ProtocolError as error:
            self._refuse_session(error)
        except BackendError as error:
            log.warning("cannot admit a member to %r: %s", self.room, error)
            self.send_frames(
                [protocol.error_frame(protocol.UNAVAILABLE, "the chat store is unavailable, try again")]
            )
            self.close_with(protocol.CLOSE_TRY_AGAIN_LATER, "unavailable")
        if self._closed:
            await self._leave()

    def _requested_identity(self) -> tuple[str, str | None]:
        room = protocol.normalize_room(self.query("room", "lobby"))
        if self.config.jwt_secret is None:
            nick = self.query("nick")
            return room, protocol.normalize_nick(nick) if nick.strip() else None
        try:
            subject = auth.verify_token(self.query("token"), self.config.jwt_secret)
        except auth.AuthError as error:
            raise ProtocolError(protocol.UNAUTHORIZED, f"a valid token is required: {error}") from None
        return room, protocol.normalize_nick(subject)

    async def _claim_room(self) -> None:
        holder = await self.backend.claim_room(self.room)
        if holder is not None:
            raise ProtocolError(protocol.BAD_NAME, protocol.look_alike_room_message(self.room, holder))

    async def _reserve_nick(self, nick: str | None) -> None:
        candidates = (
            [nick] if nick else [f"guest-{secrets.randbelow(10000):04d}" for _ in range(GUEST_ATTEMPTS)]
        )
        for candidate in candidates:
            self._members = await self.backend.reserve(self.room, candidate)
            if self._members is not None:
                self.nick = candidate
                self.nick_key = protocol.nick_key(candidate)
                self._reserved = True
                return
        raise ProtocolError(protocol.NICK_TAKEN, f"the nick {nick or 'guest'!r} is in use in this room")

    async def _join(self) -> None:
        await self._enter_registry()
        since = self._since()
        last_id = await self.backend.last_id(self.room)
        epoch = await self.backend.epoch(self.room)
        if since is None:
            messages, truncated = await self._newest(before=None, limit=self.config.history)
        else:
            messages, truncated = await self._newest(before=None, limit=MAX_REPLAY, after=since)
        if self._closed:
            return
        # The member list is only needed for the welcome frame; kept, it would
        # cost every member memory in proportion to the room's size.
        members, self._members = self._members or [self.nick], None
        self.send_frames(
            [
                protocol.welcome_frame(self.room, self.nick, members, max(last_id, _last(messages)), epoch),
                protocol.history_frame(self.room, [protocol.frame_of(m) for m in messages], truncated),
            ]
        )
        # Our own join comes to us as soon as it is out, whether or not the
        # others get it coalesced; what arrived meanwhile follows it.
        self.hub.await_join(self)
        await self.backend.announce_join(self.room, self.nick)
        self._announced = True
        # A since beyond the room's last id (from another epoch, say) must not
        # make the live stream skip the room's next messages.
        self._go_live(_last(messages) or min(last_id, since if since is not None else last_id))
        self._forget_handshake()

    def greet(self, joined: PresenceEvent) -> None:
        """This member's own join is out."""
        self.send_frames([protocol.frame_of(joined)])

    def _forget_handshake(self) -> None:
        """Drop the upgrade request's headers and arguments, needed no more.

        A member may stay connected for days; these are about an eighth of
        what an idle member costs. Shared empty stand-ins keep every
        attribute valid for Tornado, which only reads them during the upgrade.
        """
        self.request.headers = _NO_HEADERS
        self.request.arguments = self.request.query_arguments = self.request.body_arguments = _NO_ARGUMENTS
        self.request.body = b""
        self._headers = _NO_HEADERS

    def _since(self) -> int | None:
        raw = self.query("since")
        return int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 19 else None

    async def _newest(
        self, before: int | None, limit: int, after: int | None = None
    ) -> tuple[list[StoredMessage], bool]:
        """The newest ``limit`` messages in range, and whether older ones were left out.

        A page never takes more than half the member's backlog bound, or a
        member coming back after a long absence would be cut off (1013) by
        its own replay, again on every reconnect; it pages back for the rest.
        """
        messages = await self.backend.history(self.room, after=after, before=before, limit=limit + 1)
        fitting = fit_newest(messages[-limit:] if limit else [], self.config.max_backlog_bytes // 2)
        return fitting, len(fitting) < len(messages)

    async def _enter_registry(self) -> None:
        self._in_registry = True
        await self.hub.enter(self)

    def _go_live(self, last_sent_id: int) -> None:
        """Pass on what arrived while history was read, without repeats.

        History can show a message that is stored but not yet delivered to
        this process (the store commits, then hands the batch to the loop).
        Until such a message arrives, this member takes its events one by one,
        skipping what history already showed; then it takes plain broadcasts.
        """
        held, self._held = self._held, []
        self._joining = False
        self._skip_through = last_sent_id
        self.take(held)
        delivered = max((e.id for e in held if isinstance(e, StoredMessage)), default=0)
        if delivered >= last_sent_id:
            self._settle()

    def take(self, events: Sequence[Delivered]) -> None:
        """Events for an unsettled member: held while joining, filtered while catching up."""
        if self._joining:
            self._held.extend(events)
            return
        news = [e for e in events if not isinstance(e, RoomReset) and self._still_news(e, self._skip_through)]
        self.send_frames([protocol.frame_of(e) for e in news])
        if any(isinstance(e, StoredMessage) and e.id >= self._skip_through for e in events):
            self._settle()

    def _settle(self) -> None:
        """From now on this member takes the room's plain broadcasts."""
        self.hub.settle(self)

    def _still_news(self, event: Delivered, last_sent_id: int) -> bool:
        """Whether a held event should still reach this member (its own join came apart)."""
        if isinstance(event, StoredMessage):
            return event.id > last_sent_id
        if isinstance(event, TypingEvent) or (isinstance(event, PresenceEvent) and event.event == "join"):
            return protocol.nick_key(event.nick) != self.nick_key
        return True

    # --- frames from the client ----------------------------------------

    def on_message(self, message: str | bytes) -> None:
        """Parse one frame and act on it; refusals become error frames."""
        self._frames_in += 1
        if self._server_close_code is not None:
            return  # frames already buffered behind a close are not acted on
        try:
            if isinstance(message, bytes):
                raise ProtocolError(protocol.BINARY, "binary frames are not accepted")
            frame = protocol.parse_frame(message, self.config.max_message_length)
            if isinstance(frame, protocol.MessageFrame):
                self._send_chat(frame)
            elif isinstance(frame, protocol.TypingFrame):
                self._send_typing()
            else:
                # A history page costs the store a read: it spends a token too.
                if not self._bucket.take():
                    raise ProtocolError(protocol.RATE_LIMITED, "slow down: too many history requests")
                self.hub.spawn(self._answer_history(frame))
        except ProtocolError as error:
            self._refuse_frame(error)

    def _send_chat(self, frame: protocol.MessageFrame) -> None:
        metrics.MESSAGES_RECEIVED.inc()
        if not self._bucket.take():
            raise ProtocolError(protocol.RATE_LIMITED, "slow down: too many messages", frame.ref)
        started = time.perf_counter()
        stored = asyncio.ensure_future(self.backend.publish(self.room, self.nick, frame.text, ref=frame.ref))
        if not stored.done():
            self._owed.add(stored)
        stored.add_done_callback(functools.partial(self._on_stored, frame.ref, started))

    def _on_stored(self, ref: str | None, started: float, stored: asyncio.Future[StoredMessage]) -> None:
        self._owed.discard(stored)
        if stored.cancelled():
            return
        error = stored.exception()
        if error is not None:
            metrics.REFUSALS.labels(protocol.UNAVAILABLE).inc()
            message = "the message could not be stored; try again"
            self.send_frames([protocol.error_frame(protocol.UNAVAILABLE, message, ref)])
            return
        metrics.MESSAGES_STORED.inc()
        metrics.STORE_SECONDS.observe(time.perf_counter() - started)
        if ref is not None:
            self.send_frames([protocol.ack_frame(ref, stored.result().id)])

    def _send_typing(self) -> None:
        # Typing is a hint: extra frames are dropped quietly, never refused.
        now = time.monotonic()
        if now - self._last_typing >= TYPING_INTERVAL:
            self._last_typing = now
            self.hub.spawn(self.backend.typing(self.room, self.nick))

    async def _answer_history(self, request: protocol.HistoryRequest) -> None:
        try:
            messages, truncated = await self._newest(request.before, request.limit)
        except BackendError:
            self._refuse_frame(ProtocolError(protocol.UNAVAILABLE, "history is unavailable, try again"))
            return
        self.send_frames(
            [protocol.history_frame(self.room, [protocol.frame_of(m) for m in messages], truncated)]
        )

    def _refuse_frame(self, error: ProtocolError) -> None:
        metrics.REFUSALS.labels(error.code).inc()
        self.send_frames([protocol.error_frame(error.code, error.message, error.ref)])
        if error.code != protocol.UNAVAILABLE and self._refusals.record():
            self.close_with(protocol.CLOSE_POLICY_VIOLATION, "too many refused frames")

    def _refuse_session(self, error: ProtocolError) -> None:
        metrics.REFUSALS.labels(error.code).inc()
        self.send_frames([protocol.error_frame(error.code, error.message)])
        self.close_with(CLOSE_CODE_FOR.get(error.code, protocol.CLOSE_POLICY_VIOLATION), error.code)

    # --- frames to the client --------------------------------------------

    def send_frames(self, frames: Sequence[dict[str, Any]]) -> None:
        """Queue frames for this member only, behind whatever is queued already."""
        if self.outbox is not None and frames:
            self.outbox.send(encode_frames(frames))

    def close_with(self, code: int, reason: str) -> None:
        """Send what is queued and the acks still owed, then close with ``code``.

        From the first call on, frames from the client are not acted on. A
        client that resends after the close must learn which messages were
        stored; a resend with the same ref is deduplicated anyway, but one
        without a ref would be stored twice.
        """
        if self._server_close_code is not None:
            return
        self._server_close_code = code
        if self._owed:
            self.hub.spawn(self._close_after_acks(code, reason))
        else:
            self._close_now(code, reason)

    async def _close_after_acks(self, code: int, reason: str) -> None:
        """Wait (bounded) for the owed acks to be queued, then close."""
        await asyncio.wait(tuple(self._owed), timeout=ACK_WAIT_SECONDS)
        # The acks are queued by the futures' own callbacks, which ran first.
        self._close_now(code, reason)

    def _close_now(self, code: int, reason: str) -> None:
        if self._closed:
            return
        if self.outbox is not None:
            self.outbox.finish()
            self.outbox.cut_off()
        self.close(code, reason)

    def _on_backlog_overflow(self) -> None:
        metrics.SLOW_CLIENTS_DISCONNECTED.inc()
        log.info(
            "cut off %r in %r: backlog over %d bytes", self.nick, self.room, self.config.max_backlog_bytes
        )
        self._server_close_code = protocol.CLOSE_TRY_AGAIN_LATER
        self.close(protocol.CLOSE_TRY_AGAIN_LATER, "too slow: backlog bound passed")

    # --- closing ----------------------------------------------------------

    def on_close(self) -> None:
        """Leave the room once, whatever ended the session."""
        self._closed = True
        if self.outbox is not None:
            self.outbox.cut_off()
        self.hub.closed(self)
        code = self._server_close_code or self.close_code or 1006
        metrics.CLOSES.labels(metrics.close_label(code)).inc()
        access_log.info(
            "ws %s room=%s nick=%s close=%d frames_in=%d %.1fs",
            self.request.remote_ip,
            self.room or "-",
            self.nick or "-",
            code,
            self._frames_in,
            time.monotonic() - self._opened_at,
        )
        self.hub.spawn(self._leave())

    async def _leave(self) -> None:
        if self._in_registry:
            self._in_registry = False
            await self.hub.leave(self)
        if self._reserved:
            self._reserved = False
            announced, self._announced = self._announced, False
            try:
                await self.backend.release(self.room, self.nick, announce=announced)
            except BackendError as error:
                log.warning("cannot release %r in %r: %s", self.nick, self.room, error)
