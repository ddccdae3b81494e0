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
from collections.abc import Sequence

from redis.asyncio.connection import AbstractConnection
from redis.exceptions import NoScriptError, RedisError

from .base import BusError
from .redis_calls import CONNECTION_ERRORS, RedisCalls, cancel_and_wait

log = logging.getLogger("chatroom.redis")

# ARGV: channel, frame, channel, frame... -> how many frames were published.
PUBLISH_ALL_SCRIPT = """
for i = 1, #ARGV, 2 do
  redis.call('PUBLISH', ARGV[i], ARGV[i + 1])
end
return #ARGV / 2
"""
_PUBLISH_ALL_SHA = hashlib.sha1(PUBLISH_ALL_SCRIPT.encode()).hexdigest()

Frame = tuple[bytes, bytes]
HandOver = tuple[Sequence[Frame], "asyncio.Future[None]"]


class RedisPublisher:
    """Publishes frames (channel, data) in hand-over order, many hand-overs a command."""

    def __init__(self, calls: RedisCalls) -> None:
        self._calls = calls
        self._waiting: list[HandOver] = []
        self._sending: list[HandOver] = []
        self._task: asyncio.Task[None] | None = None
        self._connection: AbstractConnection | None = None

    async def open(self) -> None:
        """Connect now, and load the script: the first hand-over is not held up by either."""
        await self._connect()

    async def publish(self, frames: Sequence[Frame]) -> None:
        """Publish the frames; BusError once the bus is closed or Redis cannot be reached."""
        if self._calls.closing:
            raise BusError("the bus is closed")
        published: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiting.append((frames, published))
        if self._task is None:
            self._task = asyncio.create_task(self._send_waiting(), name="chatroom-redis-publisher")
        await published

    async def drain(self) -> None:
        """Wait until every frame handed over so far is published, or failed to be."""
        handed_over = [published for _, published in self._sending + self._waiting]
        if handed_over:
            await asyncio.wait(handed_over)

    async def close(self) -> None:
        """Fail what waits, cut off what is in flight (not sent again), and disconnect."""
        if self._task is not None:
            await cancel_and_wait(self._task)
        # A task cancelled before its first step never ran its own cleanup.
        self._fail_all()
        await self._disconnect()

    async def _send_waiting(self) -> None:
        try:
            while self._waiting:
                self._sending, self._waiting = self._waiting, []
                try:
                    await self._send([frame for frames, _ in self._sending for frame in frames])
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

    async def _send(self, frames: list[Frame]) -> None:
        arguments = [part for frame in frames for part in frame]
        try:
            try:
                await self._command(arguments)
            except CONNECTION_ERRORS as error:
                await self._disconnect()
                if self._calls.closing:
                    raise
                log.info("a Redis publish failed with its connection (%s); once more on a fresh one", error)
                await self._command(arguments)
        except (RedisError, OSError) as error:
            await self._disconnect()
            raise BusError(f"Redis: {error}") from None

    async def _command(self, arguments: list[bytes]) -> None:
        connection = await self._connect()
        await connection.send_command("EVALSHA", _PUBLISH_ALL_SHA, 0, *arguments)
        try:
            await connection.read_response()
        except NoScriptError:
            # Redis restarted, or its scripts were flushed: EVAL sends the body, and caches it again.
            await connection.send_command("EVAL", PUBLISH_ALL_SCRIPT, 0, *arguments)
            await connection.read_response()

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


def _answer(hand_overs: list[HandOver], error: BusError | None) -> None:
    for _, published in hand_overs:
        if published.done():
            continue  # its publisher stopped waiting (cancelled)
        if error is None:
            published.set_result(None)
        else:
            published.set_exception(error)
