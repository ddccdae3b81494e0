"""The Redis bus's publishes: one connection of their own, one command for all that queued.

Every commit hands the bus its rooms' frames, a PUBLISH each. Through
redis-py's pooled pipeline that cost the loop about 175 µs a commit and 20 µs
more a room, as much as storing the commit (docs/benchmarks/deployments.md,
"Publishing in one command, and the columns written in one pass"). Here the
frames go as one EVALSHA of PUBLISH_ALL_SCRIPT on a connection of the
publisher's own, made with the bus's pool's settings (so the URL's TLS,
socket, password and client name apply), and everything handed over while a
command is in flight goes together in the next: one reply to read, however
many rooms and commits.

The connection is made, and the script loaded, when the bus starts, so no
hand-over waits for either. A leave this node announces waits until what it
handed over before is published (``drain``; the leave's script goes on a
pooled connection): a member's messages reach every node before its leave.

A node delivers what it stores to its own members itself, and drops its own
frames when they come back; a frame of its own that only its subscription
would hear is not published at all. A room's members mostly sit on one node
(docs/deploy.md: each room is served by one worker, or room affinity at the
proxy), and then a commit costs neither Redis a delivery nor the node a
wake-up to read and drop its own frames. Redis decides, in the script: the
hand-over says which frames are the other nodes' only and which of their
channels this node's subscription hears (``RedisSubscription.hearing``); the
script publishes such a frame only when the channel has another subscriber,
and takes the node's subscription for granted only while the channel of its
current connection is still subscribed (a connection Redis dropped, which the
node has not yet noticed, hears nothing). What the node believes it hears
is short of the truth while a subscribe or unsubscribe is unanswered, so the
error is always to publish; and the subscription sends an UNSUBSCRIBE only
once the command in flight is answered (``settled``), so that Redis never
runs a command told that a channel is heard after the node stopped hearing
it. The script answers with the channels it found so, and for a moment
after, their frames are not even sent: they wait for the next command
(redis_alone.py says what bounds the wait).

Frames are published in the order they were handed over. A connection that
fails is replaced and the command sent once more (a receiver drops an id it
has delivered, and a typing or a notice twice is harmless); a second failure
fails every hand-over of the command with BusError, and the receivers repair
the gap from the store once the bus is back.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
from collections.abc import Callable, Sequence, Set

from redis.asyncio.connection import AbstractConnection
from redis.exceptions import NoScriptError, RedisError

from .base import BusError
from .redis_alone import ALONE_FOR, AloneRooms
from .redis_calls import CONNECTION_ERRORS, RedisCalls, cancel_and_wait

log = logging.getLogger("chatroom.redis")

# ARGV: the own channel of this node's subscription, then channel, frame, mine... ("1": a frame for
# the other nodes only, on a channel this node's subscription hears) -> the channels left out, alone.
PUBLISH_ALL_SCRIPT = """
local here = redis.call('PUBSUB', 'NUMSUB', ARGV[1])[2] > 0
local alone, seen = {}, {}
for i = 2, #ARGV, 3 do
  local channel = ARGV[i]
  if here and ARGV[i + 2] == '1' and redis.call('PUBSUB', 'NUMSUB', channel)[2] <= 1 then
    if not seen[channel] then
      seen[channel] = true
      alone[#alone + 1] = channel
    end
  else
    redis.call('PUBLISH', channel, ARGV[i + 1])
  end
end
return alone
"""
_PUBLISH_ALL_SHA = hashlib.sha1(PUBLISH_ALL_SCRIPT.encode()).hexdigest()

Frame = tuple[bytes, bytes]
# The frames, whether they are for the other nodes only, and who waits for them.
HandOver = tuple[Sequence[Frame], bool, "asyncio.Future[None]"]
# This node's subscription: the own channel of its connection, the channels it hears.
Hearing = Callable[[], tuple[bytes, Set[bytes]]]


def _deaf() -> tuple[bytes, Set[bytes]]:
    return b"", frozenset()


class RedisPublisher:
    """Publishes frames (channel, data) in hand-over order, many hand-overs a command."""

    def __init__(self, calls: RedisCalls, hearing: Hearing = _deaf, *, alone_for: float = ALONE_FOR) -> None:
        self._calls = calls
        self._hearing = hearing
        self._waiting: list[HandOver] = []
        self._sending: list[HandOver] = []
        self._task: asyncio.Task[None] | None = None
        self._connection: AbstractConnection | None = None
        self._alone = AloneRooms(alone_for)
        self._flush_held: asyncio.TimerHandle | None = None

    async def open(self) -> None:
        """Connect now, and load the script: the first hand-over is not held up by either."""
        await self._connect()

    async def publish(self, frames: Sequence[Frame], *, for_others: bool = False) -> None:
        """Publish the frames; BusError once the bus is closed or Redis cannot be reached.

        ``for_others``: this node has no use for them (it delivered them
        itself), so a frame only its own subscription would hear is skipped,
        and one for a room found alone a moment ago is held (redis_alone.py).
        """
        if self._calls.closing:
            raise BusError("the bus is closed")
        if for_others and not self._waiting:
            # Nothing queued: a frame held now goes out after everything before it, and before
            # anything after it (the next command sends what is held first).
            frames = self._hold_alone(frames)
            if not frames:
                return
        await self._queue(frames, for_others)

    def publish_soon(self, frames: Sequence[Frame]) -> None:
        """Queue the frames without waiting for them; nobody hears of a failure (none once closed)."""
        if not self._calls.closing:
            self._queue(frames, False).add_done_callback(_unheeded)

    def hello(self, channel: bytes) -> None:
        """Another node subscribed to the channel: send what is held, and hold no more of it."""
        if self._alone.hello(channel):
            self._send_held()

    async def drain(self) -> None:
        """Wait until every frame handed over so far is published, or failed to be."""
        if self._alone.holding:
            self._send_held()
        handed_over = [published for _, _, published in self._sending + self._waiting]
        if handed_over:
            await asyncio.wait(handed_over)

    async def settled(self) -> None:
        """Wait until the command in flight, if any, is answered (or failed)."""
        in_flight = [published for _, _, published in self._sending]
        if in_flight:
            await asyncio.wait(in_flight)

    async def close(self) -> None:
        """Fail what waits, cut off what is in flight (not sent again), and disconnect."""
        if self._flush_held is not None:
            self._flush_held.cancel()
        if self._task is not None:
            await cancel_and_wait(self._task)
        # A task cancelled before its first step never ran its own cleanup.
        self._fail_all()
        await self._disconnect()

    def _hold_alone(self, frames: Sequence[Frame]) -> list[Frame]:
        """Hold the frames of rooms found alone; the others, to be sent."""
        own_channel, heard = self._hearing()
        now = asyncio.get_running_loop().time()
        to_send = []
        for frame in frames:
            if frame[0] in heard and self._alone.may_hold(frame[0], own_channel, now):
                if not self._alone.holding:
                    self._flush_held = asyncio.get_running_loop().call_later(
                        self._alone.alone_for, self._send_held
                    )
                self._alone.hold(frame)
            else:
                to_send.append(frame)
        return to_send

    def _send_held(self) -> None:
        """Send what is held, in a command of its own unless one is queued (nobody waits for it)."""
        if self._flush_held is not None:
            self._flush_held.cancel()
            self._flush_held = None
        if self._alone.holding and not self._waiting:
            self.publish_soon([])

    def _queue(self, frames: Sequence[Frame], for_others: bool) -> asyncio.Future[None]:
        published: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiting.append((frames, for_others, published))
        if self._task is None:
            self._task = asyncio.create_task(self._send_waiting(), name="chatroom-redis-publisher")
        return published

    async def _send_waiting(self) -> None:
        try:
            while self._waiting:
                self._sending, self._waiting = self._waiting, []
                try:
                    await self._send(self._sending)
                except BusError as error:
                    _answer(self._sending, error)
                else:
                    _answer(self._sending, None)
                self._sending = []
        finally:
            self._fail_all()

    def _fail_all(self) -> None:
        """Fail every hand-over not yet answered: the sending task is gone (the bus closed)."""
        self._task = None
        _answer(self._sending + self._waiting, BusError("the bus is closed"))
        self._sending, self._waiting = [], []

    async def _send(self, hand_overs: list[HandOver]) -> None:
        # What was held goes first: it is older than anything queued (publish holds nothing then).
        held = self._alone.take_held()
        if self._flush_held is not None:
            self._flush_held.cancel()
            self._flush_held = None
        frames = [(frame, True) for frame in held]
        frames += [(frame, for_others) for queued, for_others, _ in hand_overs for frame in queued]
        try:
            try:
                await self._command(frames)
            except CONNECTION_ERRORS as error:
                await self._disconnect()
                if self._calls.closing:
                    raise
                log.info("a Redis publish failed with its connection (%s); once more on a fresh one", error)
                await self._command(frames)
        except (RedisError, OSError) as error:
            await self._disconnect()
            raise BusError(f"Redis: {error}") from None

    async def _command(self, frames: list[tuple[Frame, bool]]) -> None:
        connection = await self._connect()
        # What the subscription hears, as late as can be: an UNSUBSCRIBE waits until this command
        # is answered (settled), and a connection lost meanwhile is seen by the script itself.
        own_channel, heard = self._hearing()
        arguments, asked = [own_channel], set()
        for (channel, data), for_others in frames:
            mine = for_others and channel in heard
            arguments += (channel, data, b"1" if mine else b"0")
            if mine:
                asked.add(channel)
        sent_at, hellos = asyncio.get_running_loop().time(), self._alone.hellos
        await connection.send_command("EVALSHA", _PUBLISH_ALL_SHA, 0, *arguments)
        try:
            alone = await connection.read_response()
        except NoScriptError:
            # Redis restarted, or its scripts were flushed: EVAL sends the body, and caches it again.
            await connection.send_command("EVAL", PUBLISH_ALL_SCRIPT, 0, *arguments)
            alone = await connection.read_response()
        self._alone.learned(own_channel, sent_at, hellos, asked, set(alone))

    async def _connect(self) -> AbstractConnection:
        if self._connection is None:
            pool = self._calls.client.connection_pool
            connection = pool.connection_class(**pool.connection_kwargs)
            try:
                await connection.connect()  # type: ignore[no-untyped-call]
                await connection.send_command("SCRIPT", "LOAD", PUBLISH_ALL_SCRIPT)
                await connection.read_response()
            except BaseException:
                await connection.disconnect()
                raise
            self._connection = connection
        return self._connection

    async def _disconnect(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            with contextlib.suppress(RedisError, OSError):
                await connection.disconnect()


def _unheeded(published: asyncio.Future[None]) -> None:
    if not published.cancelled() and published.exception() is not None:
        log.debug("a publish nobody waits for failed: %s", published.exception())


def _answer(hand_overs: list[HandOver], error: BusError | None) -> None:
    for _, _, published in hand_overs:
        if published.done():
            continue  # its publisher stopped waiting (cancelled)
        if error is None:
            published.set_result(None)
        else:
            published.set_exception(error)
