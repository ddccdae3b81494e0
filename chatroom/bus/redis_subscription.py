"""The Redis bus's subscription: one pub/sub connection per node, its rooms' channels, its frames.

Frames on a room's channel (``room:R:events``), one PUBLISH each:

- ``m<node>\\n<json rows>`` stored messages and ``c<node>\\n<json rows>``
  changes to messages, tagged with the node that stored them (which
  delivered them to its own members already); their rows, and how older
  nodes' rows still decode, are redis_frames.py's.
- ``p<join|leave>\\n<members>\\n<ts>\\n<nick>[\\ng]`` presence, published by
  redis_scripts.py's scripts with the room's count of members (``g``: a guest).
- ``t<nick>`` typing.
- ``s<node>`` a hello: that node has just subscribed to the room. A node
  holding frames of the room, found alone a moment ago, sends them at once
  (redis_alone.py).

On the node's own channel (``node:N:events:<connection>``, a name for each
connection) only ``h<token>``: a health check that the subscription still
hears what this node publishes. That it is subscribed also tells the
publisher which rooms' channels this connection hears (``hearing``), so that
frames no other node listens to are not published (redis_publisher.py).

On the deployment's channel of notices (``notices``), ``n<node>\n<json>``: a
change to a room, an account, the server's settings or someone's unread
counts (events.Notice), tagged with the node that published it (which acted
on it itself): redis_notices.py encodes them.

A lost connection is reconnected with backoff; every room is subscribed again
and confirmed, then ``on_resume`` reads from the store what was missed.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import logging
import secrets
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from redis.asyncio.client import PubSub
from redis.exceptions import RedisError

from ..backend import EventSink
from ..events import Notice
from .base import BusError
from .redis_calls import RedisCalls, cancel_and_wait
from .redis_channels import ChannelLedger
from .redis_frames import decode_frame, hello_from
from .redis_keys import RedisKeys
from .redis_notices import decode_notices

log = logging.getLogger("chatroom.redis")

SUBSCRIBE_TIMEOUT = 5.0
RECONNECT_MIN, RECONNECT_MAX = 0.1, 5.0
HEALTH_TIMEOUT = 2.0
# What a lost connection comes out as. Besides Redis and socket errors,
# redis-py's own reconnect inside a subscribe, racing this node's reader on
# the same connection as Redis restarts, raises AttributeError ("'NoneType'
# object has no attribute 'writelines'") or RuntimeError ("read() called while
# another coroutine is already waiting for incoming data").
LOST = (RedisError, OSError, AttributeError, RuntimeError)


class Link(enum.Enum):
    """Where the subscription stands, and so what may be asked of it."""

    DOWN = "down"  # not connected: before start, or lost (the read loop reconnects)
    RESUBSCRIBING = "resubscribing"  # connected again: every room is being subscribed again
    CATCHING_UP = "catching up"  # every room is back: on_resume reads from the store what was missed
    LIVE = "live"
    STOPPED = "stopped"


# Rooms may come and go: a subscribe is confirmed on the connection that is read.
TAKING_ROOMS = (Link.CATCHING_UP, Link.LIVE)


class RedisSubscription:
    """This node's pub/sub connection: its rooms' sinks, kept subscribed across reconnects."""

    def __init__(
        self,
        calls: RedisCalls,
        keys: RedisKeys,
        *,
        health_ttl_ms: int,
        on_resume: Callable[[], Awaitable[None]],
        on_notice: Callable[[Notice], None],
        before_unsubscribe: Callable[[], Awaitable[None]],
        greet: Callable[[list[bytes]], None],
        on_hello: Callable[[bytes], None],
    ) -> None:
        self._calls = calls
        self._before_unsubscribe = before_unsubscribe
        self._greet = greet
        self._on_hello = on_hello
        self._on_notice = on_notice
        self._keys = keys
        self._node_tag = keys.node_id.encode()
        self._health_ttl_ms = health_ttl_ms
        self._on_resume = on_resume
        self._pubsub: PubSub | None = None
        self._own_channel = b""
        self._link = Link.DOWN
        self._sinks: dict[str, EventSink] = {}
        # Rooms' channels Redis confirmed on this connection and not unsubscribed since.
        self._channels = ChannelLedger()
        # Health checks waiting to hear their token on our own channel.
        self._echoes: dict[bytes, asyncio.Future[None]] = {}
        self._reader: asyncio.Task[None] | None = None

    # --- lifecycle ---------------------------------------------------------

    async def start(self) -> None:
        """Connect, then keep reading (and reconnecting) until stopped."""
        await self._connect()
        self._link = Link.LIVE
        self._reader = asyncio.create_task(self._read_loop(), name="chatroom-redis-subscribe")

    async def stop(self) -> None:
        """Stop reading: nothing more reaches the sinks, no room is subscribed or unsubscribed."""
        self._link = Link.STOPPED
        if self._reader is not None:
            await cancel_and_wait(self._reader)

    async def close(self) -> None:
        """Disconnect (once stopped)."""
        if self._pubsub is not None:
            with contextlib.suppress(RedisError, OSError):
                await self._pubsub.aclose()  # type: ignore[no-untyped-call, unused-ignore]  # typed from redis 8 on

    # --- rooms -------------------------------------------------------------

    async def subscribe(self, room: str, sink: EventSink) -> None:
        """Give the room's events to ``sink`` once Redis confirms the subscription."""
        if self._link not in TAKING_ROOMS:
            raise BusError("the Redis subscription is down")
        assert self._pubsub is not None
        self._sinks[room] = sink
        try:
            await self._subscribe_and_confirm(self._pubsub, [room])
        except (RedisError, OSError, BusError) as error:
            # Not in effect, so not to be subscribed again after a reconnect
            # either (nor to land later, if only its confirmation was late).
            if self._sinks.get(room) is sink:
                await self.unsubscribe(room)
            raise error if isinstance(error, BusError) else BusError(f"Redis: {error}") from None
        self._greet([self._keys.channel(room)])

    async def unsubscribe(self, room: str) -> None:
        """Stop giving this node the room's events."""
        self._channels.left([self._keys.channel(room)])
        # While resubscribing, the rooms left meanwhile are unsubscribed once
        # every room is back; while down, they are not subscribed again.
        if self._sinks.pop(room, None) is None or self._link not in TAKING_ROOMS:
            return
        await self._unsubscribe([room])

    async def _unsubscribe(self, rooms: Sequence[str]) -> None:
        named = {room: self._keys.channel(room) for room in rooms}
        self._channels.left(named.values())
        # A publish in flight may have been told these channels are heard: it runs first.
        await self._before_unsubscribe()
        # A room subscribed again meanwhile stays subscribed.
        channels = [channel for room, channel in named.items() if room not in self._sinks]
        if self._pubsub is None or not channels:
            return
        self._channels.asked(channels)
        with contextlib.suppress(RedisError, OSError):
            await self._pubsub.unsubscribe(*channels)

    def hearing(self) -> tuple[bytes, set[bytes]]:
        """This connection's own channel, and the rooms' channels Redis has it subscribed to.

        Exact, or short of the truth (while a subscription is unconfirmed, or
        unanswered): the publisher takes a channel in it to be heard by this
        node, so long as Redis still has the own channel subscribed.
        """
        return self._own_channel, self._channels.heard

    async def _subscribe_and_confirm(self, pubsub: PubSub, rooms: Sequence[str]) -> None:
        channels = [self._keys.channel(room) for room in rooms]
        waiting = [self._channels.confirmation(channel) for channel in channels]
        self._channels.asked(channels)
        await pubsub.subscribe(*channels)
        done, pending = await asyncio.wait(waiting, timeout=SUBSCRIBE_TIMEOUT)
        for future in pending:
            future.cancel()
        if pending or any(future.exception() for future in done):
            raise BusError("Redis did not confirm the subscription")

    # --- health ------------------------------------------------------------

    async def healthy(self) -> bool:
        """Redis takes a write, and this subscription hears what this node publishes.

        A PING proves little: a fresh pooled connection answers it while the
        subscription is dead, or while Redis refuses writes.
        """
        if self._calls.closing or self._link is not Link.LIVE:
            return False
        token = secrets.token_hex(8)
        heard: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._echoes[token.encode()] = heard
        try:
            return await self._echo(token, heard)
        finally:
            self._echoes.pop(token.encode(), None)

    async def _echo(self, token: str, heard: asyncio.Future[None]) -> bool:
        """Publish ``token`` on our own channel; whether the subscription heard it in time."""
        try:
            async with asyncio.timeout(HEALTH_TIMEOUT):
                listeners = await self._calls.call(lambda: self._check_health(token))
        except (BusError, TimeoutError):
            return False
        try:
            if listeners == 0:
                raise BusError("Redis has no subscription of this node")
            async with asyncio.timeout(HEALTH_TIMEOUT):
                await heard
        except (BusError, TimeoutError):
            await self._reconnect_deaf_subscription()
            return False
        return True

    def _check_health(self, token: str) -> Awaitable[int]:
        keys = [self._keys.node(":health")]
        return self._calls.script("health")(keys, [token, self._health_ttl_ms, self._own_channel])

    async def _reconnect_deaf_subscription(self) -> None:
        """The subscription missed our own message, so it is dead: let the read loop reconnect it."""
        pubsub = self._pubsub
        if self._link is not Link.LIVE or pubsub is None or pubsub.connection is None:
            return
        log.warning("the Redis subscription did not hear this node's health check: reconnecting it")
        with contextlib.suppress(RedisError, OSError):
            await pubsub.connection.disconnect()

    # --- the connection ----------------------------------------------------

    async def _connect(self) -> None:
        self._pubsub = self._calls.client.pubsub()
        self._own_channel = self._keys.own_channel(secrets.token_hex(6))
        # A subscription to a channel of our own makes the connection, so that
        # the reader has something to read before any room is subscribed.
        await self._pubsub.subscribe(self._own_channel, self._keys.notices_channel)

    async def _read_loop(self) -> None:
        delay = RECONNECT_MIN
        lost_at: float | None = None
        # Stopping is checked as well as cancelled: a cancellation that lands
        # inside redis-py may come out as one of the errors caught below.
        while self._link is not Link.STOPPED:
            try:
                if self._link is Link.DOWN:
                    await self._connect()
                    assert lost_at is not None
                    await self._resume_while_reading(lost_at)
                    lost_at, delay = None, RECONNECT_MIN
                else:
                    await self._read_messages()
            except (*LOST, BusError) as error:
                if lost_at is None:
                    lost_at = time.monotonic()
                    log.error("lost the Redis subscription: %s; delivery paused", error)
                await self._drop_pubsub()
                await asyncio.sleep(delay)
                delay = min(delay * 2, RECONNECT_MAX)

    async def _resume_while_reading(self, lost_at: float) -> None:
        """Resubscribe (the reader must run to see the confirmations), catch up, keep reading."""
        reader = asyncio.create_task(self._read_messages())
        reader.add_done_callback(lambda _: self._lose())
        try:
            await self._resubscribe(lost_at)
            await self._on_resume()
        except BaseException:
            reader.cancel()
            raise
        if self._link is Link.CATCHING_UP:
            self._link = Link.LIVE
        await reader

    async def _resubscribe(self, lost_at: float) -> None:
        """Subscribe every room again; from then on rooms come and go while the store is read."""
        self._link = Link.RESUBSCRIBING
        assert self._pubsub is not None
        rooms = list(self._sinks)
        if rooms:
            await self._subscribe_and_confirm(self._pubsub, rooms)
        if self._link is not Link.RESUBSCRIBING:
            raise BusError("the Redis subscription was lost")
        if rooms:
            self._greet([self._keys.channel(room) for room in rooms])
        self._link = Link.CATCHING_UP
        left = [room for room in rooms if room not in self._sinks]
        if left:
            await self._unsubscribe(left)
        log.warning(
            "Redis subscription back after %.1fs: %d rooms resubscribed",
            time.monotonic() - lost_at,
            len(rooms) - len(left),
        )

    def _lose(self) -> None:
        """The reader stopped: nothing more will be confirmed or heard."""
        if self._link is not Link.STOPPED:
            self._link = Link.DOWN
        self._channels.lost()
        for echo in self._echoes.values():
            if not echo.done():
                echo.set_exception(BusError("the Redis subscription was lost"))

    async def _drop_pubsub(self) -> None:
        self._lose()
        pubsub, self._pubsub = self._pubsub, None
        if pubsub is not None:
            with contextlib.suppress(*LOST):
                await pubsub.aclose()  # type: ignore[no-untyped-call, unused-ignore]  # typed from redis 8 on

    # --- what arrives ------------------------------------------------------

    async def _read_messages(self) -> None:
        assert self._pubsub is not None
        pubsub = self._pubsub
        while True:
            message = await pubsub.get_message(timeout=None)
            if message is not None:
                self._on_pubsub(message)

    def _on_pubsub(self, message: dict[str, Any]) -> None:
        channel: bytes = message["channel"]
        if channel == self._own_channel:
            self._on_own_channel(message)
            return
        if channel == self._keys.notices_channel:
            if message["type"] == "message":
                for notice in decode_notices(message["data"], self._node_tag):
                    self._on_notice(notice)
            return
        if message["type"] in ("subscribe", "unsubscribe"):
            wanted = self._keys.room_of_channel(channel) in self._sinks
            self._channels.answered(channel, message["type"] == "subscribe", wanted=wanted)
            return
        if message["type"] != "message":
            return
        greeter = hello_from(message["data"])
        if greeter is not None:
            if greeter != self._node_tag:
                self._on_hello(channel)
            return
        room = self._keys.room_of_channel(channel)
        sink = self._sinks.get(room)
        if sink is None:
            return
        events = decode_frame(room, message["data"], self._node_tag)
        if events:
            sink(events)

    def _on_own_channel(self, message: dict[str, Any]) -> None:
        """A health check's token came back: the subscription hears us."""
        data = message["data"]
        if message["type"] == "message" and data[:1] == b"h":
            heard = self._echoes.get(data[1:])
            if heard is not None and not heard.done():
                heard.set_result(None)
