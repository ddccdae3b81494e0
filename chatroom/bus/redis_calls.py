"""The Redis bus's pooled connections, its scripts, and commands sent with one retry.

A command that fails because its connection did (Redis restarted and the
pool's connections are stale, a reset socket, a timeout) is sent once more on
a fresh connection. Only a command that is safe to run twice, or a retry that
makes it so, is sent through ``call``: the first try may have run before its
connection failed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import TypeVar

import redis.asyncio as aioredis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.commands.core import AsyncScript
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError
from redis.exceptions import TimeoutError as RedisTimeoutError

from .base import BusError
from .redis_scripts import (
    CLAIM_ROOM_SCRIPT,
    DROP_ROOM_CLAIM_SCRIPT,
    FAILURES_SCRIPT,
    HEALTH_SCRIPT,
    JOIN_SCRIPT,
    REAP_SCRIPT,
    REASSERT_SCRIPT,
    RELEASE_SCRIPT,
    RESERVE_SCRIPT,
    SPEND_SCRIPT,
)

log = logging.getLogger("chatroom.redis")

T = TypeVar("T")

MAX_CONNECTIONS = 32
POOL_TIMEOUT = 5.0

# The connection failed, not the command: worth one more try on a fresh one.
# (redis-py's BusyLoadingError, Redis still loading its data, is one of them.)
CONNECTION_ERRORS = (RedisConnectionError, RedisTimeoutError, OSError)

SCRIPTS = {
    "reserve": RESERVE_SCRIPT,
    "reassert": REASSERT_SCRIPT,
    "release": RELEASE_SCRIPT,
    "join": JOIN_SCRIPT,
    "reap": REAP_SCRIPT,
    "claim_room": CLAIM_ROOM_SCRIPT,
    "drop_room_claim": DROP_ROOM_CLAIM_SCRIPT,
    "health": HEALTH_SCRIPT,
    "failures": FAILURES_SCRIPT,
    "spend": SPEND_SCRIPT,
}


async def cancel_and_wait(task: asyncio.Task[None]) -> None:
    """Cancel a loop of the bus and wait for its end; cancel again should redis-py lose a cancellation."""
    while not task.done():
        task.cancel()
        await asyncio.wait([task], timeout=1.0)
    with contextlib.suppress(asyncio.CancelledError):
        task.result()


class RedisCalls:
    """One node's connection pool to Redis, and the calls every part of its bus makes."""

    def __init__(self, url: str, *, client_name: str) -> None:
        self.url = url
        self.client_name = client_name
        # Set once the bus closes: from then on every call is refused.
        self.closing = False
        self._client: aioredis.Redis | None = None
        self._scripts: dict[str, AsyncScript] = {}

    def open(self) -> None:
        """Make the pool (it connects when first used) and register the scripts."""
        # No retries inside redis-py: it would send every command again the
        # same way, and a publish or a join whose reply was lost may have run.
        # call() retries once, with each write made safe to repeat.
        # A join storm asks for many connections at once: they wait for one of
        # the pool's instead of failing.
        pool = aioredis.BlockingConnectionPool.from_url(
            self.url,
            max_connections=MAX_CONNECTIONS,
            timeout=POOL_TIMEOUT,
            socket_connect_timeout=2.0,
            socket_timeout=5.0,
            retry=Retry(NoBackoff(), 0),
            client_name=self.client_name,
        )
        self._client = aioredis.Redis(connection_pool=pool)
        self._scripts = {name: self._client.register_script(body) for name, body in SCRIPTS.items()}

    @property
    def client(self) -> aioredis.Redis:
        """The pooled client, for commands sent once (their callers handle failure)."""
        assert self._client is not None, "the bus was not started"
        return self._client

    def script(self, name: str) -> AsyncScript:
        """One of redis_scripts.py's scripts, by its name in SCRIPTS."""
        return self._scripts[name]

    def stop(self) -> None:
        """Refuse every call from now on: the bus is closing."""
        self.closing = True

    async def close(self) -> None:
        """Refuse every call, and close every connection, those in use too."""
        self.stop()
        if self._client is not None:
            # The client closes only a pool it made itself: this one is ours.
            await self._client.aclose(close_connection_pool=True)

    async def call(
        self, command: Callable[[], Awaitable[T]], retry: Callable[[], Awaitable[T]] | None = None
    ) -> T:
        """Run a Redis command (``retry`` after a lost connection); trouble becomes BusError."""
        if self._client is None or self.closing:
            raise BusError("the bus is closed")
        try:
            return await self._retrying(command, retry)
        except (RedisError, OSError) as error:
            raise BusError(f"Redis: {error}") from None

    async def _retrying(
        self, command: Callable[[], Awaitable[T]], retry: Callable[[], Awaitable[T]] | None = None
    ) -> T:
        """Run ``command``; if its connection fails, run ``retry`` (or it again) on a fresh one."""
        try:
            return await command()
        except CONNECTION_ERRORS as error:
            if self.closing:
                # Cut off by close(): a fresh connection would outlive the bus.
                raise
            log.info("a Redis connection failed (%s); trying once more on a fresh one", error)
            await self._drop_idle_connections()
            return await (retry or command)()

    async def _drop_idle_connections(self) -> None:
        """Disconnect the pool's idle connections: they reconnect when next used.

        One connection failing usually means all of them did (Redis restarted):
        the others would fail their next command too.
        """
        with contextlib.suppress(RedisError, OSError):
            await self.client.connection_pool.disconnect(inuse_connections=False)
