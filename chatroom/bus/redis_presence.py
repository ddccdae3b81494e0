"""Presence on the Redis bus: which node holds which nick, kept right while nodes come and go.

A node keeps its liveness key (``node:N``) fresh; the members of a node whose
key expired are removed, and their leaves announced, by whichever node next
refreshes (redis_scripts.py's REAP_SCRIPT). A nick claimed by a call whose
reply was lost is the caller's on its retry; a join carries a token that its
script checks first, so that it is announced once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from collections.abc import Awaitable
from typing import Any

from redis.exceptions import RedisError

from ..backend import now_ms
from ..names import nick_key
from .base import BusError
from .redis_calls import RedisCalls
from .redis_keys import RedisKeys

log = logging.getLogger("chatroom.redis")

# How long a join's token is kept for its retry: far longer than a retry takes.
DONE_TTL_MS = 60_000


class RedisPresence:
    """This node's members in Redis, its liveness key, and the reaping of dead nodes."""

    def __init__(self, calls: RedisCalls, keys: RedisKeys, *, ttl: float, refresh: float) -> None:
        self._calls = calls
        self._keys = keys
        self._ttl_ms = int(ttl * 1000)
        self._refresh_every = refresh
        self._members: dict[tuple[str, str], str] = {}
        # Members whose release failed (Redis away): released at the next
        # presence refresh, with or without a leave announcement.
        self._unreleased: dict[tuple[str, str], bool] = {}
        self._failing = False
        # Nicks this node is claiming or releasing right now. A retried claim
        # may take over what Redis says is ours only when nothing else here
        # is at it; a claim while the nick is being released is refused, as
        # the nick is still held, lest the release land after it.
        self._busy: set[tuple[str, str]] = set()
        self._loop: asyncio.Task[None] | None = None

    # --- lifecycle ---------------------------------------------------------

    def start(self) -> None:
        """Refresh this node's presence every ``refresh`` seconds from now on."""
        self._loop = asyncio.create_task(self._refresh_loop(), name="chatroom-redis-presence")

    async def stop(self) -> None:
        """Stop refreshing: the node's key expires unless it leaves first."""
        if self._loop is not None:
            self._loop.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._loop

    async def leave(self) -> None:
        """Release every member (announcing its leave), then remove this node's keys."""
        leaving = {member: True for member in self._members} | self._unreleased
        for (room, key), announce in leaving.items():
            await self._release(room, key, announce=announce)
        node = self._keys.node()
        client = self._calls.client
        await client.delete(node, node + ":members", node + ":done", node + ":health")
        await client.srem(self._keys.nodes, self._keys.node_id)

    # --- members -----------------------------------------------------------

    async def is_online(self, room: str, nick: str) -> bool:
        """Whether a member on any node holds ``nick`` in the room: one HEXISTS."""
        client = self._calls.client
        members = self._keys.room(room, ":members")
        return bool(await self._calls.call(lambda: client.hexists(members, nick_key(nick))))

    async def reserve(self, room: str, nick: str) -> list[str] | None:
        """Hold a nick in a room across every node, unless a live member has it."""
        key = nick_key(nick)
        if (room, key) in self._busy:
            return None
        self._busy.add((room, key))
        try:
            values = await self._calls.call(
                lambda: self._claim(room, key, nick, retried=False),
                lambda: self._claim(room, key, nick, retried=True),
            )
        finally:
            self._busy.discard((room, key))
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
        args = [*self._member_args(room, key, nick), "1" if ours_ok else "0"]
        return self._calls.script("reserve")(args=args)

    async def announce_join(self, room: str, nick: str) -> None:
        """Tell every node's members of the room that ``nick`` joined."""
        keys = [self._keys.room(room, ":members"), self._keys.node(":done")]
        # The token makes a retry after a lost reply announce nothing twice.
        field, token = f"j\n{room}\n{nick_key(nick)}", secrets.token_hex(8)
        args: list[Any] = [self._keys.channel(room), nick, now_ms(), field, token, DONE_TTL_MS]
        await self._calls.call(lambda: self._calls.script("join")(keys, args))

    async def release(self, room: str, nick: str, *, announce: bool) -> bool:
        """Free the nick (with ``announce`` every node's members see it leave); False if not held."""
        key = nick_key(nick)
        if self._calls.closing or self._members.pop((room, key), None) is None:
            # Closing releases (and announces) every member still held.
            return False
        self._busy.add((room, key))
        try:
            # Safe to run twice: a member already removed is not announced again.
            await self._calls.call(lambda: self._release(room, key, announce=announce))
        except BusError:
            self._unreleased[(room, key)] = announce
            raise
        finally:
            self._busy.discard((room, key))
        return True

    async def _release(self, room: str, key: str, *, announce: bool) -> None:
        await self._calls.script("release")(args=self._member_args(room, key, "1" if announce else "0"))

    def _member_args(self, room: str, key: str, last: object) -> list[Any]:
        return [self._keys.prefix, room, key, self._keys.node_id, last, now_ms()]

    # --- liveness ----------------------------------------------------------

    async def _refresh_loop(self) -> None:
        while True:
            await asyncio.sleep(self._refresh_every)
            try:
                await self.refresh()
            except (RedisError, OSError, BusError) as error:
                if not self._failing:
                    log.warning("cannot refresh presence in Redis: %s", error)
                self._failing = True

    async def refresh(self) -> None:
        """Keep this node alive in Redis, and let dead nodes' members leave."""
        pipe = self._calls.client.pipeline(transaction=False)
        pipe.set(self._keys.node(), now_ms(), px=self._ttl_ms, get=True)
        pipe.sadd(self._keys.nodes, self._keys.node_id)
        previous, _added = await pipe.execute()
        if previous is None and self._members:
            await self._reassert_members()
        await self._release_unreleased()
        reaped = await self._calls.script("reap")(args=[self._keys.prefix, now_ms()])
        if reaped:
            log.info("%d members of unresponsive nodes left their rooms", reaped)
        if self._failing:
            log.warning("presence refreshes in Redis again")
            self._failing = False

    async def _release_unreleased(self) -> None:
        for member, announce in list(self._unreleased.items()):
            if member in self._busy or member not in self._unreleased:
                # Being claimed again: if that fails, the next refresh frees it.
                continue
            self._busy.add(member)
            try:
                await self._release(*member, announce=announce)
            finally:
                self._busy.discard(member)
            del self._unreleased[member]

    async def _reassert_members(self) -> None:
        """Redis forgot this node (it lost data, or we stalled): hold our members again."""
        held = 0
        for (room, key), nick in list(self._members.items()):
            if self._members.get((room, key)) != nick:
                # It left while the members before it were held again.
                continue
            state = await self._calls.script("reassert")(args=self._member_args(room, key, nick))
            if state == 0:
                log.warning("%r in %r is now held by another node", nick, room)
                continue
            held += 1
            if state == 2 and self._members.get((room, key)) == nick:
                await self.announce_join(room, nick)
        log.warning("Redis had no presence for this node: %d members held again", held)
