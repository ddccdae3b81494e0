"""RedisBus: delivery and presence across processes and nodes; Redis keeps nothing durable.

Keys (``prefix`` defaults to ``chatroom:``):

- ``room:R:members`` a hash: nick key -> ``<node>\\n<nick>``.
- ``room:R:events`` the pub/sub channel of the room: messages handed over by
  the node that stored them (tagged with that node, which delivered them to
  its own members already), join/leave and typing.
- ``node:N`` expires ``presence_ttl`` seconds after node N last refreshed it;
  ``node:N:members`` lists its members; ``nodes`` lists the nodes.
- ``node:N:done`` a hash, expiring a minute after node N last wrote it: the
  token of each join announced, so that a join retried after a lost reply is
  announced once.
- ``node:N:health`` the last health check's token (it expires).
- ``online-names`` (rooms with members): a sorted set, every score 0, so that
  a page of the rooms list is a ZRANGEBYLEX from where it starts.
- ``room-claims`` a hash: look-alike key -> the room with members holding it.

History is the store's: a Redis that restarts, or loses its data, loses
presence for a moment (nodes hold their members again at their next refresh)
and the messages published while it was away, which every receiver reads
from the store when its subscription is back (``on_resume``).

A command that fails because its connection did (Redis restarted and the
pool's connections are stale, a reset socket, a timeout) is sent once more on
a fresh connection. Reads and most writes may simply run twice; a join
carries a token that its script checks first, and a nick claimed by a call
whose reply was lost is the caller's on its retry.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

import orjson
import redis.asyncio as aioredis
from redis.asyncio.client import PubSub
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.commands.core import AsyncScript
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError
from redis.exceptions import TimeoutError as RedisTimeoutError

from ..backend import Event, EventSink, PresenceEvent, StoredMessage, TypingEvent, now_ms
from ..names import nick_key, room_key
from .base import BusError, BusStartupError
from .redis_scripts import (
    CLAIM_ROOM_SCRIPT,
    DROP_ROOM_CLAIM_SCRIPT,
    HEALTH_SCRIPT,
    JOIN_SCRIPT,
    REAP_SCRIPT,
    REASSERT_SCRIPT,
    RELEASE_SCRIPT,
    RESERVE_SCRIPT,
)

log = logging.getLogger("chatroom.redis")

T = TypeVar("T")

DEFAULT_PRESENCE_TTL = 15.0
MAX_CONNECTIONS = 32
POOL_TIMEOUT = 5.0
SUBSCRIBE_TIMEOUT = 5.0
RECONNECT_MIN, RECONNECT_MAX = 0.1, 5.0
HEALTH_TIMEOUT = 2.0
# How long a join's token is kept for its retry: far longer than a retry takes.
DONE_TTL_MS = 60_000

# The connection failed, not the command: worth one more try on a fresh one.
# (redis-py's BusyLoadingError, Redis still loading its data, is one of them.)
CONNECTION_ERRORS = (RedisConnectionError, RedisTimeoutError, OSError)


class RedisBus:
    """Redis pub/sub and presence keys: any number of processes and nodes."""

    def __init__(
        self,
        url: str,
        *,
        prefix: str = "chatroom:",
        presence_ttl: float = DEFAULT_PRESENCE_TTL,
        presence_refresh: float | None = None,
    ) -> None:
        if presence_ttl <= 0:
            raise ValueError("presence_ttl must be positive")
        self.url = url
        self.prefix = prefix
        self.presence_ttl = presence_ttl
        self.presence_refresh = presence_refresh or presence_ttl / 3
        self.node_id = secrets.token_hex(6)
        self._node_tag = self.node_id.encode()
        self.on_resume: Callable[[], Awaitable[None]] | None = None
        self._client: aioredis.Redis | None = None
        self._scripts: dict[str, AsyncScript] = {}
        self._closing = False
        self._tasks: list[asyncio.Task[None]] = []
        self._pubsub: PubSub | None = None
        self._subscribed = False
        self._sinks: dict[str, EventSink] = {}
        self._confirmations: dict[bytes, list[asyncio.Future[None]]] = defaultdict(list)
        self._members: dict[tuple[str, str], str] = {}
        # Members whose release failed (Redis away): released at the next
        # presence refresh, with or without a leave announcement.
        self._unreleased: dict[tuple[str, str], bool] = {}
        self._presence_failed = False
        # Nicks this node is claiming right now: a retried claim may take
        # over what Redis says is ours only when nobody else here is asking.
        self._claiming: set[tuple[str, str]] = set()
        # Health checks waiting to hear their token on our own channel.
        self._echoes: dict[bytes, asyncio.Future[None]] = {}

    # --- keys --------------------------------------------------------------

    def _room_key(self, room: str, suffix: str = "") -> str:
        return f"{self.prefix}room:{room}{suffix}"

    def _channel(self, room: str) -> bytes:
        return self._room_key(room, ":events").encode()

    def _room_of_channel(self, channel: bytes) -> str:
        return channel.decode()[len(self.prefix) + len("room:") : -len(":events")]

    def _node_key(self, suffix: str = "") -> str:
        return f"{self.prefix}node:{self.node_id}{suffix}"

    # --- lifecycle ---------------------------------------------------------

    async def start(self) -> None:
        """Connect, register this node, and start the subscription and presence loops."""
        # No retries inside redis-py: it would send every command again the
        # same way, and a publish or a join whose reply was lost may have run.
        # _call retries once, with each write made safe to repeat.
        # A join storm asks for many connections at once: they wait for one of
        # the pool's instead of failing.
        pool = aioredis.BlockingConnectionPool.from_url(
            self.url,
            max_connections=MAX_CONNECTIONS,
            timeout=POOL_TIMEOUT,
            socket_connect_timeout=2.0,
            socket_timeout=5.0,
            retry=Retry(NoBackoff(), 0),
            client_name=f"chatroom-{self.node_id}",
        )
        self._client = aioredis.Redis(connection_pool=pool)
        scripts = {
            "reserve": RESERVE_SCRIPT,
            "reassert": REASSERT_SCRIPT,
            "release": RELEASE_SCRIPT,
            "join": JOIN_SCRIPT,
            "reap": REAP_SCRIPT,
            "claim_room": CLAIM_ROOM_SCRIPT,
            "drop_room_claim": DROP_ROOM_CLAIM_SCRIPT,
            "health": HEALTH_SCRIPT,
        }
        self._scripts = {name: self._client.register_script(body) for name, body in scripts.items()}
        try:
            await self._client.ping()
            await self._refresh_presence()
            await self._connect_pubsub()
            self._subscribed = True
        except (RedisError, OSError) as error:
            await self._client.aclose()
            raise BusStartupError(f"cannot use Redis at {self.url}: {error}") from None
        self._tasks = [
            asyncio.create_task(self._read_loop(), name="chatroom-redis-subscribe"),
            asyncio.create_task(self._presence_loop(), name="chatroom-redis-presence"),
        ]

    async def close(self) -> None:
        """Let this node's members leave (announced), then disconnect."""
        if self._closing:
            return
        self._closing = True
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        with contextlib.suppress(RedisError, OSError):
            await self._leave_cluster()
        if self._pubsub is not None:
            with contextlib.suppress(RedisError, OSError):
                await self._pubsub.aclose()  # type: ignore[no-untyped-call]
        if self._client is not None:
            await self._client.aclose()

    async def _leave_cluster(self) -> None:
        leaving = {member: True for member in self._members} | self._unreleased
        for (room, key), announce in leaving.items():
            await self._release(room, key, announce=announce)
        assert self._client is not None
        node = self._node_key()
        await self._client.delete(node, node + ":members", node + ":done", node + ":health")
        await self._client.srem(self.prefix + "nodes", self.node_id)

    # --- handing messages to the other nodes --------------------------------

    async def publish_messages(self, room: str, messages: Sequence[StoredMessage]) -> None:
        """PUBLISH stored messages, tagged with this node (which delivered them itself)."""
        rows = [[m.id, m.nick, m.text, m.ts, m.bot] for m in messages]
        data = b"m" + self._node_tag + b"\n" + orjson.dumps(rows)
        client = self._client
        assert client is not None
        # Twice is harmless: receivers drop ids they have delivered.
        await self._call(lambda: client.publish(self._channel(room), data))

    # --- calls ---------------------------------------------------------------

    async def _call(
        self, command: Callable[[], Awaitable[T]], retry: Callable[[], Awaitable[T]] | None = None
    ) -> T:
        """Run a Redis command (``retry`` after a lost connection); trouble becomes BusError."""
        if self._client is None or self._closing:
            raise BusError("the bus is closed")
        try:
            return await self._retrying(command, retry)
        except (RedisError, OSError) as error:
            raise BusError(f"Redis: {error}") from None

    async def _retrying(
        self, command: Callable[[], Awaitable[T]], retry: Callable[[], Awaitable[T]] | None = None
    ) -> T:
        """Run ``command``; if its connection fails, run ``retry`` (or it again) on a fresh one.

        The command may have run before its connection failed: only a command
        that is safe to run twice, or a ``retry`` that makes it so, belongs here.
        """
        try:
            return await command()
        except CONNECTION_ERRORS as error:
            log.info("a Redis connection failed (%s); trying once more on a fresh one", error)
            await self._drop_idle_connections()
            return await (retry or command)()

    async def _drop_idle_connections(self) -> None:
        """Disconnect the pool's idle connections: they reconnect when next used.

        One connection failing usually means all of them did (Redis restarted):
        the others would fail their next command too.
        """
        assert self._client is not None
        with contextlib.suppress(RedisError, OSError):
            await self._client.connection_pool.disconnect(inuse_connections=False)

    # --- rooms -----------------------------------------------------------------

    async def online_rooms(self, *, prefix: str, after: str, limit: int) -> list[str]:
        """A page of the rooms with members on any node: one ZRANGEBYLEX."""
        client = self._client
        assert client is not None
        if limit <= 0:
            return []
        if after and after >= prefix:
            low = b"(" + after.encode()
        else:
            low = b"[" + prefix.encode() if prefix else b"-"
        # UTF-8 never holds the byte 0xff: every name with the prefix sorts below this.
        high = b"(" + prefix.encode() + b"\xff" if prefix else b"+"
        names: list[bytes] = await self._call(
            lambda: client.zrangebylex(self.prefix + "online-names", low, high, 0, limit)  # type: ignore[arg-type,return-value]
        )
        return [name.decode() for name in names]

    async def online_counts(self, rooms: Sequence[str]) -> list[int]:
        """Members per room across every node: one pipeline of HLEN."""
        client = self._client
        assert client is not None
        if not rooms:
            return []

        def counts() -> Awaitable[list[Any]]:
            pipe = client.pipeline(transaction=False)
            for room in rooms:
                pipe.hlen(self._room_key(room, ":members"))
            return pipe.execute()

        return [int(count) for count in await self._call(counts)]

    async def healthy(self) -> bool:
        """Redis takes a write, and this node's subscription hears what it publishes.

        A PING proves little: a fresh pooled connection answers it while the
        subscription is dead, or while Redis refuses writes.
        """
        if self._client is None or self._closing or not self._subscribed:
            return False
        token = secrets.token_hex(8)
        heard: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._echoes[token.encode()] = heard
        try:
            try:
                async with asyncio.timeout(HEALTH_TIMEOUT):
                    listeners = await self._call(lambda: self._check_health(token))
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
        finally:
            self._echoes.pop(token.encode(), None)
        return True

    def _check_health(self, token: str) -> Awaitable[int]:
        keys = [self._node_key(":health")]
        return self._scripts["health"](
            keys, [token, int(self.presence_ttl * 1000), self._node_key(":events")]
        )

    async def _reconnect_deaf_subscription(self) -> None:
        """The subscription missed our own message, so it is dead: let the read loop reconnect it."""
        pubsub = self._pubsub
        if not self._subscribed or pubsub is None or pubsub.connection is None:
            return
        log.warning("the Redis subscription did not hear this node's health check: reconnecting it")
        with contextlib.suppress(RedisError, OSError):
            await pubsub.connection.disconnect()

    # --- presence ----------------------------------------------------------

    def _presence_args(self, room: str, key: str, last: object) -> list[Any]:
        return [self.prefix, room, key, self.node_id, last, now_ms()]

    async def is_online(self, room: str, nick: str) -> bool:
        """Whether a member on any node holds ``nick`` in the room: one HEXISTS."""
        client = self._client
        assert client is not None
        members = self._room_key(room, ":members")
        return bool(await self._call(lambda: client.hexists(members, nick_key(nick))))

    async def reserve(self, room: str, nick: str) -> list[str] | None:
        """Hold a nick in a room across every node, unless a live member has it."""
        key = nick_key(nick)
        if (room, key) in self._claiming:
            # Another connection to this node is taking it right now.
            return None
        self._claiming.add((room, key))
        try:
            values = await self._call(
                lambda: self._claim(room, key, nick, retried=False),
                lambda: self._claim(room, key, nick, retried=True),
            )
        finally:
            self._claiming.discard((room, key))
        if values is None:
            return None
        self._unreleased.pop((room, key), None)
        self._members[(room, key)] = nick
        return [value.split(b"\n", 1)[1].decode() for value in values]

    def _claim(self, room: str, key: str, nick: str, *, retried: bool) -> Awaitable[list[bytes] | None]:
        # A member of ours whose release failed may be taken over by its nick;
        # so, on the retry, may one that the first try claimed before its reply
        # was lost (no other connection here holds or is claiming it).
        ours_ok = (room, key) in self._unreleased or (retried and (room, key) not in self._members)
        args = [*self._presence_args(room, key, nick), "1" if ours_ok else "0"]
        return self._scripts["reserve"](args=args)

    async def announce_join(self, room: str, nick: str) -> None:
        """Tell every node's members of the room that ``nick`` joined."""
        keys = [self._room_key(room, ":members"), self._node_key(":done")]
        # The token makes a retry after a lost reply announce nothing twice.
        field, token = f"j\n{room}\n{nick_key(nick)}", secrets.token_hex(8)
        args: list[Any] = [self._channel(room), nick, now_ms(), field, token, DONE_TTL_MS]
        await self._call(lambda: self._scripts["join"](keys, args))

    async def release(self, room: str, nick: str, *, announce: bool) -> None:
        """Free the nick; with ``announce`` every node's members see it leave."""
        key = nick_key(nick)
        if self._closing or self._members.pop((room, key), None) is None:
            # Closing releases (and announces) every member still held.
            return
        try:
            # Safe to run twice: a member already removed is not announced again.
            await self._call(lambda: self._release(room, key, announce=announce))
        except BusError:
            self._unreleased[(room, key)] = announce
            raise
        await self._call(lambda: self._drop_unused_claim(room))

    async def _release(self, room: str, key: str, *, announce: bool) -> None:
        await self._scripts["release"](args=self._presence_args(room, key, "1" if announce else "0"))

    async def _release_unreleased(self) -> None:
        for (room, key), announce in list(self._unreleased.items()):
            await self._release(room, key, announce=announce)
            del self._unreleased[(room, key)]

    async def typing(self, room: str, nick: str) -> None:
        """Tell the room's members on every node that ``nick`` is typing."""
        client = self._client
        assert client is not None
        # Twice is harmless: "typing" is a state, not an event.
        await self._call(lambda: client.publish(self._channel(room), b"t" + nick.encode()))

    async def _presence_loop(self) -> None:
        while True:
            await asyncio.sleep(self.presence_refresh)
            try:
                await self._refresh_presence()
            except (RedisError, OSError, BusError) as error:
                if not self._presence_failed:
                    log.warning("cannot refresh presence in Redis: %s", error)
                self._presence_failed = True

    async def _refresh_presence(self) -> None:
        """Keep this node alive in Redis, and let dead nodes' members leave."""
        assert self._client is not None
        node = self._node_key()
        pipe = self._client.pipeline(transaction=False)
        pipe.set(node, now_ms(), px=int(self.presence_ttl * 1000), get=True)
        pipe.sadd(self.prefix + "nodes", self.node_id)
        previous, _added = await pipe.execute()
        if previous is None and self._members:
            await self._reassert_members()
        await self._release_unreleased()
        reaped = await self._scripts["reap"](args=[self.prefix, now_ms()])
        if reaped:
            log.info("%d members of unresponsive nodes left their rooms", reaped)
        if self._presence_failed:
            log.warning("presence refreshes in Redis again")
            self._presence_failed = False

    async def _reassert_members(self) -> None:
        """Redis forgot this node (it lost data, or we stalled): hold our members again."""
        lost = 0
        for (room, key), nick in list(self._members.items()):
            state = await self._scripts["reassert"](args=self._presence_args(room, key, nick))
            if state == 2:
                await self.announce_join(room, nick)
            elif state == 0:
                lost += 1
                log.warning("%r in %r is now held by another node", nick, room)
        log.warning("Redis had no presence for this node: %d members held again", len(self._members) - lost)

    # --- subscriptions -----------------------------------------------------

    async def subscribe(self, room: str, sink: EventSink) -> None:
        """Give the room's events to ``sink`` once Redis confirms the subscription."""
        self._sinks[room] = sink
        if not self._subscribed or self._pubsub is None:
            raise BusError("the Redis subscription is down")
        try:
            await self._subscribe_and_confirm(self._pubsub, [room])
        except (RedisError, OSError) as error:
            raise BusError(f"Redis: {error}") from None

    async def unsubscribe(self, room: str) -> None:
        """Stop giving this node the room's events."""
        if self._sinks.pop(room, None) is None or self._pubsub is None or not self._subscribed:
            return
        with contextlib.suppress(RedisError, OSError):
            await self._pubsub.unsubscribe(self._channel(room))

    async def _subscribe_and_confirm(self, pubsub: PubSub, rooms: Sequence[str]) -> None:
        loop = asyncio.get_running_loop()
        waiting = []
        for room in rooms:
            confirmed: asyncio.Future[None] = loop.create_future()
            self._confirmations[self._channel(room)].append(confirmed)
            waiting.append(confirmed)
        await pubsub.subscribe(*(self._channel(room) for room in rooms))
        done, pending = await asyncio.wait(waiting, timeout=SUBSCRIBE_TIMEOUT)
        for future in pending:
            future.cancel()
        if pending or any(future.exception() for future in done):
            raise BusError("Redis did not confirm the subscription")

    async def _connect_pubsub(self) -> None:
        assert self._client is not None
        self._pubsub = self._client.pubsub()
        # A subscription to a channel of our own makes the connection, so that
        # the reader has something to read before any room is subscribed.
        await self._pubsub.subscribe(self._node_key(":events"))

    async def _read_loop(self) -> None:
        delay = RECONNECT_MIN
        lost_at: float | None = None
        while True:
            try:
                if self._pubsub is None:
                    await self._connect_pubsub()
                    assert lost_at is not None
                    await self._resume_while_reading(lost_at)
                    lost_at, delay = None, RECONNECT_MIN
                else:
                    await self._read_messages()
            except (RedisError, OSError, BusError) as error:
                if lost_at is None:
                    lost_at = time.monotonic()
                    log.error("lost the Redis subscription: %s; delivery paused", error)
                await self._drop_pubsub()
                await asyncio.sleep(delay)
                delay = min(delay * 2, RECONNECT_MAX)

    async def _resume_while_reading(self, lost_at: float) -> None:
        """Resubscribe (the reader must run to see the confirmations), then keep reading."""
        reader = asyncio.create_task(self._read_messages())
        reader.add_done_callback(lambda _: self._fail_confirmations())
        try:
            await self._resume(lost_at)
        except BaseException:
            reader.cancel()
            raise
        self._subscribed = True
        await reader

    def _fail_confirmations(self) -> None:
        waiting = [future for futures in self._confirmations.values() for future in futures]
        for future in [*waiting, *self._echoes.values()]:
            if not future.done():
                future.set_exception(BusError("the Redis subscription was lost"))
        self._confirmations.clear()

    async def _drop_pubsub(self) -> None:
        self._subscribed = False
        self._fail_confirmations()
        pubsub, self._pubsub = self._pubsub, None
        if pubsub is not None:
            with contextlib.suppress(RedisError, OSError):
                await pubsub.aclose()  # type: ignore[no-untyped-call]

    async def _read_messages(self) -> None:
        assert self._pubsub is not None
        pubsub = self._pubsub
        while True:
            message = await pubsub.get_message(timeout=None)
            if message is not None:
                self._on_pubsub(message)

    def _on_pubsub(self, message: dict[str, Any]) -> None:
        channel: bytes = message["channel"]
        if channel == self._node_key(":events").encode():
            self._on_own_channel(message)
            return
        if message["type"] == "subscribe":
            for future in self._confirmations.pop(channel, []):
                if not future.done():
                    future.set_result(None)
            return
        if message["type"] != "message":
            return
        room = self._room_of_channel(channel)
        sink = self._sinks.get(room)
        if sink is None:
            return
        events = self._decode(room, message["data"], self._node_tag)
        if events:
            sink(events)

    def _on_own_channel(self, message: dict[str, Any]) -> None:
        """A health check's token came back: the subscription hears us."""
        data = message["data"]
        if message["type"] == "message" and data[:1] == b"h":
            heard = self._echoes.get(data[1:])
            if heard is not None and not heard.done():
                heard.set_result(None)

    @staticmethod
    @staticmethod
    def _decode(room: str, data: bytes, own_tag: bytes) -> list[Event]:
        kind, body = data[:1], data[1:]
        if kind == b"m":
            origin, payload = body.split(b"\n", 1)
            if origin == own_tag:
                # Stored here: this node delivered it straight from its store.
                return []
            rows = orjson.loads(payload)
            return [StoredMessage(msg_id, room, nick, text, ts, bot) for msg_id, nick, text, ts, bot in rows]
        if kind == b"p":
            event, users, ts, nick = body.split(b"\n", 3)
            return [PresenceEvent(event.decode(), room, nick.decode(), int(users), int(ts))]
        return [TypingEvent(room, body.decode())]

    async def _resume(self, lost_at: float) -> None:
        """Resubscribe every room, then let the caller read what was missed from the store."""
        assert self._pubsub is not None
        rooms = list(self._sinks)
        if rooms:
            await self._subscribe_and_confirm(self._pubsub, rooms)
        log.warning(
            "Redis subscription back after %.1fs: %d rooms resubscribed",
            time.monotonic() - lost_at,
            len(rooms),
        )
        if self.on_resume is not None:
            await self.on_resume()

    # --- look-alike room names -----------------------------------------------

    async def claim_room(self, room: str) -> str | None:
        """Hold ``room``'s look-alike key on every node; the other room holding it, if any."""
        keys = [self.prefix + "room-claims"]
        # Both scripts are safe to run twice (a retry after a lost reply).
        holder: bytes = await self._call(lambda: self._scripts["claim_room"](keys, [room_key(room), room]))
        return None if holder.decode() == room else holder.decode()

    async def _drop_unused_claim(self, room: str) -> None:
        keys = [self.prefix + "room-claims", self._room_key(room, ":members")]
        await self._scripts["drop_room_claim"](keys, [room_key(room), room])
