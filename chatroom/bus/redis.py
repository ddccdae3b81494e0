"""RedisBus: delivery and presence across processes and nodes; Redis keeps nothing durable.

Keys (``prefix`` defaults to ``chatroom:``):

- ``room:R:members`` a hash: nick key -> ``<owner>\\n<nick>`` (the owner: an
  account, ``a:<id>``, or one connection, ``c:<token>``).
- ``room:R:holds\\n<nick key>`` a hash per member: ``n:<node>`` for each node
  holding it (an account's connections on several nodes), ``joined`` once its
  join was published, ``told`` once a release asked that its leave be.
- ``room:R:events`` the pub/sub channel of the room: messages handed over by
  the node that stored them (tagged with that node, which delivered them to
  its own members already; not published while no other node subscribes to
  the room), join/leave and typing.
- ``node:N`` expires ``presence_ttl`` seconds after node N last refreshed it;
  ``node:N:members`` lists its members; ``nodes`` lists the nodes.
- ``node:N:accounts`` a set: the account owners (``a:<id>``) node N holds a
  member of, in any room; it expires with ``node:N``.
- ``node:N:health`` the last health check's token (it expires).
- ``node:N:events:<connection>`` the own pub/sub channel of node N's
  subscription on its current connection: its health checks, which the
  subscription must hear. Still subscribed, it also tells the publisher's
  script that the connection is the one the node reads.
- ``notices`` the deployment's pub/sub channel of changes to rooms and
  accounts (events.Notice), which every node hears.
- ``online-names`` (rooms with members): a sorted set, every score 0, so that
  a page of the rooms list is a ZRANGEBYLEX from where it starts.
- ``room-claims`` a hash: look-alike key -> the room with members holding it.
- ``failures:K`` a sorted set of the recent failures of K (a sign-in's
  account name or address), by Redis's own clock; it expires with its window.
- ``allowance:K`` when K's allowance a minute (an account's forwards, say)
  would be spent in full, in ms on Redis's clock; it expires once it is full
  again (allowances.py).

History is the store's: a Redis that restarts, or loses its data, loses
presence for a moment (nodes hold their members again at their next refresh)
and the messages published while it was away, which every receiver reads
from the store when its subscription is back (``on_resume``).

A command that fails because its connection did (Redis restarted and the
pool's connections are stale, a reset socket, a timeout) is sent once more on
a fresh connection. Reads and most writes may simply run twice; a join is
published once per member (its ``joined`` mark), and a nick claimed by a
call whose reply was lost is the caller's on its retry.

The parts: redis_calls.py (the pool, the scripts, calls with one retry),
redis_presence.py (members, liveness, reaping), redis_subscription.py (the
pub/sub connection and the frames on it), redis_keys.py (the names above),
redis_scripts.py (the Lua). This module composes them, with the rooms list
and the look-alike room claims.
"""

from __future__ import annotations

import contextlib
import math
import secrets
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from redis.exceptions import RedisError

from ..backend import EventSink, Sequenced
from ..events import Members, Notice
from ..names import room_key
from .base import BusStartupError
from .redis_calls import RedisCalls
from .redis_frames import hello_frame, message_frames, typing_frame
from .redis_keys import RedisKeys
from .redis_notices import notice_frames
from .redis_presence import RedisPresence
from .redis_publisher import RedisPublisher
from .redis_subscription import RedisSubscription

DEFAULT_PRESENCE_TTL = 15.0


class RedisBus:
    """Redis pub/sub and presence keys: any number of processes and nodes."""

    shared = True

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
        self.on_resume: Callable[[], Awaitable[None]] | None = None
        self.on_notice: Callable[[Notice], None] | None = None
        self._keys = RedisKeys(prefix, self.node_id)
        self._calls = RedisCalls(url, client_name=f"chatroom-{self.node_id}")
        self._presence = RedisPresence(
            self._calls, self._keys, ttl=presence_ttl, refresh=self.presence_refresh
        )
        self._subscription = RedisSubscription(
            self._calls,
            self._keys,
            health_ttl_ms=int(presence_ttl * 1000),
            on_resume=self._resumed,
            on_notice=self._noticed,
            before_unsubscribe=self._publishes_settled,
            greet=self._greet,
            on_hello=self._heard_hello,
        )
        self._publisher = RedisPublisher(self._calls, self._subscription.hearing)

    # --- lifecycle ---------------------------------------------------------

    async def start(self) -> None:
        """Connect, register this node, and start the subscription and presence loops."""
        self._calls.open()
        try:
            await self._calls.client.ping()
            await self._publisher.open()
            await self._presence.refresh()
            await self._subscription.start()
        except (RedisError, OSError) as error:
            await self._publisher.close()
            await self._calls.close()
            raise BusStartupError(f"cannot use Redis at {self.url}: {error}") from None
        self._presence.start()

    async def close(self) -> None:
        """Let this node's members leave (announced), then disconnect."""
        if self._calls.closing:
            return
        await self._halt()
        with contextlib.suppress(RedisError, OSError):
            await self._presence.leave()
        await self._disconnect()

    async def abandon(self) -> None:
        """Stop as a killed process would: nothing released or announced; this node's key expires."""
        if self._calls.closing:
            return
        await self._halt()
        await self._disconnect()

    async def _halt(self) -> None:
        self._calls.stop()
        await self._subscription.stop()
        await self._presence.stop()

    async def _disconnect(self) -> None:
        await self._subscription.close()
        await self._publisher.close()
        await self._calls.close()

    async def _resumed(self) -> None:
        if self.on_resume is not None:
            await self.on_resume()

    async def _publishes_settled(self) -> None:
        await self._publisher.settled()

    def _greet(self, channels: list[bytes]) -> None:
        """Say hello on rooms' channels just subscribed: a node holding their frames sends them.

        Not waited for: a hello lost leaves the holder sending within ALONE_FOR anyway (redis_alone.py).
        """
        hello = hello_frame(self.node_id.encode())
        self._publisher.publish_soon([(channel, hello) for channel in channels])

    def _heard_hello(self, channel: bytes) -> None:
        self._publisher.hello(channel)

    def _noticed(self, notice: Notice) -> None:
        if self.on_notice is not None:
            self.on_notice(notice)

    # --- delivery ----------------------------------------------------------

    async def subscribe(self, room: str, sink: EventSink) -> None:
        """Give the room's events to ``sink`` once Redis confirms the subscription."""
        await self._subscription.subscribe(room, sink)

    async def unsubscribe(self, room: str) -> None:
        """Stop giving this node the room's events."""
        await self._subscription.unsubscribe(room)

    async def publish_stored(self, stored: Sequence[tuple[str, Sequence[Sequenced]]]) -> None:
        """PUBLISH stored messages and changes, tagged with this node (which delivered them itself).

        Every room's frames go in one command (redis_publisher.py): one round trip, not one a room.
        A room no other node subscribes to gets none. Twice is harmless: receivers drop ids they
        have delivered.
        """
        tag = self.node_id.encode()
        channel = self._keys.channel
        await self._publisher.publish(
            [(channel(room), data) for room, items in stored for data in message_frames(tag, items)],
            for_others=True,
        )

    async def publish_notices(self, notices: Sequence[Notice]) -> None:
        """PUBLISH notices on the deployment's channel (one command), tagged with this node (which acted).

        Twice is harmless: every notice says what is so, not what to add.
        """
        tag, channel = self.node_id.encode(), self._keys.notices_channel
        await self._publisher.publish([(channel, frame) for frame in notice_frames(tag, notices)])

    async def typing(self, room: str, nick: str, thread: int | None = None) -> None:
        """Tell the room's members on every node that ``nick`` is typing (twice is harmless: a state)."""
        await self._publisher.publish([(self._keys.channel(room), typing_frame(nick, thread))])

    async def healthy(self) -> bool:
        """Redis takes a write, and this node's subscription hears what it publishes."""
        return await self._subscription.healthy()

    # --- presence ----------------------------------------------------------

    async def is_online(self, room: str, nick: str) -> bool:
        """Whether a member on any node holds ``nick`` in the room."""
        return await self._presence.is_online(room, nick)

    async def reserve(self, room: str, nick: str, owner: str | None = None) -> Members | None:
        """Hold a nick in a room for ``owner`` on every node, unless another owner's live member has it."""
        return await self._presence.reserve(room, nick, owner)

    async def announce_join(self, room: str, nick: str) -> bool:
        """Tell every node's members of the room that ``nick`` joined, once per member."""
        return await self._presence.announce_join(room, nick)

    async def release(self, room: str, nick: str, *, announce: bool) -> None:
        """Let go of one hold; the member's last, on any node, tells the room it left (when owed).

        The leave goes after every frame this node handed over before it: the
        member's messages come before its leave, for every node.
        """
        if announce:
            await self._publisher.drain()
        if await self._presence.release(room, nick, announce=announce):
            await self._calls.call(lambda: self._drop_unused_claim(room))

    async def accounts_online(self, account_ids: Sequence[int]) -> set[int]:
        """Those of the accounts a live node holds a member of."""
        return await self._presence.accounts_online(account_ids)

    async def accounts_in(self, room: str) -> set[int]:
        """The accounts holding a member in the room, on any node."""
        return await self._presence.accounts_in(room)

    # --- failure counts ------------------------------------------------------

    async def record_failure(self, key: str, limit: int, window: float) -> None:
        """Count a failure of ``key`` for every node (twice, after a lost reply, only counts it early)."""
        await self._failures(key, limit, window, add=True)

    async def failure_wait(self, key: str, limit: int, window: float) -> float:
        """Seconds until ``key`` may try again, by every node's count."""
        return await self._failures(key, limit, window, add=False) / 1000

    async def forget_failures(self, key: str) -> None:
        """Clear ``key``'s failures."""
        client = self._calls.client
        await self._calls.call(lambda: client.delete(self._keys.failures(key)))

    async def _failures(self, key: str, limit: int, window: float, *, add: bool) -> int:
        keys = [self._keys.failures(key)]
        args = [limit, int(window * 1000), 1 if add else 0]
        waited: int = await self._calls.call(lambda: self._calls.script("failures")(keys, args))
        return int(waited)

    async def spend(self, key: str, per_minute: int) -> float:
        """Spend one of ``key``'s allowance, by every node's count (on Redis's clock; twice, after a
        lost reply, only spends it early)."""
        keys = [self._keys.allowance(key)]
        args = [math.ceil(60_000 / per_minute), per_minute]
        waited: int = await self._calls.call(lambda: self._calls.script("spend")(keys, args))
        return int(waited) / 1000

    # --- rooms -------------------------------------------------------------

    async def online_rooms(self, *, prefix: str, after: str, limit: int) -> list[str]:
        """A page of the rooms with members on any node: one ZRANGEBYLEX."""
        client = self._calls.client
        if limit <= 0:
            return []
        if after and after >= prefix:
            low = b"(" + after.encode()
        else:
            low = b"[" + prefix.encode() if prefix else b"-"
        # UTF-8 never holds the byte 0xff: every name with the prefix sorts below this.
        high = b"(" + prefix.encode() + b"\xff" if prefix else b"+"
        names: list[bytes] = await self._calls.call(
            lambda: client.zrangebylex(self._keys.online_names, low, high, 0, limit)  # type: ignore[arg-type,return-value]
        )
        return [name.decode() for name in names]

    async def online_counts(self, rooms: Sequence[str]) -> list[int]:
        """Members per room across every node: one pipeline of HLEN."""
        client = self._calls.client
        if not rooms:
            return []

        def counts() -> Awaitable[list[Any]]:
            pipe = client.pipeline(transaction=False)
            for room in rooms:
                pipe.hlen(self._keys.room(room, ":members"))
            return pipe.execute()

        return [int(count) for count in await self._calls.call(counts)]

    async def claim_room(self, room: str) -> str | None:
        """Hold ``room``'s look-alike key on every node; the other room holding it, if any."""
        keys = [self._keys.room_claims]
        # Both scripts are safe to run twice (a retry after a lost reply).
        holder: bytes = await self._calls.call(
            lambda: self._calls.script("claim_room")(keys, [room_key(room), room])
        )
        return None if holder.decode() == room else holder.decode()

    async def _drop_unused_claim(self, room: str) -> None:
        keys = [self._keys.room_claims, self._keys.room(room, ":members")]
        await self._calls.script("drop_room_claim")(keys, [room_key(room), room])
