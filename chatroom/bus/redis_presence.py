"""Presence on the Redis bus: which nodes hold which member, kept right while nodes come and go.

A member (a nick in a room, of one owner) is held by every node with a
connection of its owner in the room. A node counts its own connections and
tells Redis when the first one comes and the last one goes
(redis_scripts.py); the member leaves when no node holds it any more. A node
keeps its liveness key (``node:N``) fresh; the holds of a node whose key
expired are dropped, and the members it was the last to hold leave,
announced, by whichever node next refreshes (REAP_SCRIPT). A claim whose
reply was lost is the caller's on its retry (the script finds the hold
already there), and a join is published once per member, whoever asks.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from redis.exceptions import RedisError

from ..clock import now_ms
from ..events import Members
from ..names import nick_key
from .base import BusError, account_owner, connection_owner, is_guest_owner, owner_account
from .redis_calls import RedisCalls, cancel_and_wait
from .redis_keys import RedisKeys

log = logging.getLogger("chatroom.redis")

Member = tuple[str, str]  # room, nick key


@dataclass(slots=True)
class _Hold:
    """This node's hold of a member: whose, under which nick, for how many connections here."""

    owner: str
    nick: str
    connections: int = 1
    # A connection here whose join was out has gone: the member's leave is owed.
    told: bool = False


@dataclass(slots=True)
class _Turn:
    """Something this node is doing with a member's hold in Redis, for ``owner``."""

    owner: str | None
    done: asyncio.Event = field(default_factory=asyncio.Event)


def members_of(values: list[bytes]) -> Members:
    """The members in the room's hash values (``<owner>\\n<nick>``), guests marked."""
    owned = [value.decode().split("\n", 1) for value in values]
    return Members((nick for _, nick in owned), (nick for owner, nick in owned if is_guest_owner(owner)))


class RedisPresence:
    """This node's holds in Redis, its liveness key, and the reaping of dead nodes."""

    def __init__(self, calls: RedisCalls, keys: RedisKeys, *, ttl: float, refresh: float) -> None:
        self._calls = calls
        self._keys = keys
        self._ttl_ms = int(ttl * 1000)
        self._refresh_every = refresh
        self._holds: dict[Member, _Hold] = {}
        # Holds whose release failed (Redis away): released at the next
        # presence refresh, with a leave announcement if owed.
        self._unreleased: dict[Member, _Hold] = {}
        self._failing = False
        # What this node is claiming or releasing right now, one at a time per
        # member. Another owner's claim meanwhile is refused, as the nick is
        # held, lest a release land after it; the same owner's waits its turn.
        self._turns: dict[Member, _Turn] = {}
        self._loop: asyncio.Task[None] | None = None
        self._stopping = False
        # Members held here per account owner, and the owners whose being
        # here or not Redis is yet to hear (node:N:accounts): one task tells it,
        # in order, so a late write never undoes a newer one.
        self._owners: Counter[str] = Counter()
        self._owners_unsent: set[str] = set()
        self._owners_rewrite = False
        self._owners_task: asyncio.Task[None] | None = None

    # --- lifecycle ---------------------------------------------------------

    def start(self) -> None:
        """Refresh this node's presence every ``refresh`` seconds from now on."""
        self._loop = asyncio.create_task(self._refresh_loop(), name="chatroom-redis-presence")

    async def stop(self) -> None:
        """Stop refreshing: the node's key expires unless it leaves first."""
        self._stopping = True
        for task in (self._loop, self._owners_task):
            if task is not None:
                await cancel_and_wait(task)

    async def leave(self) -> None:
        """Drop every hold (announcing the leaves), then remove this node's keys."""
        leaving = {member: replace(hold, told=True) for member, hold in self._holds.items()}
        for (room, key), hold in (leaving | self._unreleased).items():
            await self._release(room, key, hold)
        node = self._keys.node()
        client = self._calls.client
        await client.delete(node, node + ":members", node + ":health", node + ":accounts")
        await client.srem(self._keys.nodes, self._keys.node_id)

    # --- members -----------------------------------------------------------

    async def is_online(self, room: str, nick: str) -> bool:
        """Whether a member on any node holds ``nick`` in the room: one HEXISTS."""
        client = self._calls.client
        members = self._keys.room(room, ":members")
        return bool(await self._calls.call(lambda: client.hexists(members, nick_key(nick))))

    async def reserve(self, room: str, nick: str, owner: str | None) -> Members | None:
        """Hold a nick in a room for ``owner`` on every node, unless another owner's live member has it."""
        owner = owner or connection_owner()
        member = (room, nick_key(nick))
        if not await self._take_turn(member, owner):
            return None
        try:
            return await self._reserve(member, nick, owner)
        finally:
            self._end_turn(member)

    async def _reserve(self, member: Member, nick: str, owner: str) -> Members | None:
        hold = self._holds.get(member)
        if hold is not None and hold.owner != owner:
            return None
        late = self._unreleased.get(member)
        if late is not None and late.owner != owner:
            # Another owner's member whose release failed: it goes first.
            failed = late
            await self._calls.call(lambda: self._release(*member, failed))
            del self._unreleased[member]
        args = self._member_args(*member, owner, nick)
        # Twice is harmless: a retry finds the hold its first try made.
        values = await self._calls.call(lambda: self._calls.script("reserve")(args=args))
        if values is None:
            return None
        if hold is not None:
            hold.connections += 1
        else:
            late = self._unreleased.pop(member, None)
            self._holds[member] = _Hold(owner, nick, told=late is not None and late.told)
            await self._count_owner(owner, 1)
        return members_of(values)

    async def announce_join(self, room: str, nick: str) -> bool:
        """Tell every node's members of the room that ``nick`` joined, once per member."""
        key = nick_key(nick)
        keys = [self._keys.room(room, ":members"), self._keys.holds(room, key)]
        args: list[Any] = [self._keys.channel(room), key, now_ms()]
        # Twice is harmless: the member's join is published once, whoever asks.
        return bool(await self._calls.call(lambda: self._calls.script("join")(keys, args)))

    async def release(self, room: str, nick: str, *, announce: bool) -> bool:
        """Let go of one connection's hold; True when the member left the room (its last hold, anywhere)."""
        member = (room, nick_key(nick))
        if self._calls.closing:
            # Closing releases (and announces) every member still held.
            return False
        # The hold's owner (the releasing connection's) takes the turn: that
        # owner's claim meanwhile waits for it, another owner's is refused.
        hold = self._holds.get(member)
        await self._take_turn(member, hold.owner if hold is not None else None, waits=True)
        try:
            return await self._release_one(member, announce)
        finally:
            self._end_turn(member)

    async def _release_one(self, member: Member, announce: bool) -> bool:
        hold = self._holds.get(member)
        if hold is None:
            return False
        hold.told = hold.told or announce
        hold.connections -= 1
        if hold.connections > 0:
            return False
        del self._holds[member]
        await self._count_owner(hold.owner, -1)
        try:
            # Safe to run twice: a hold already dropped is not dropped again.
            return await self._calls.call(lambda: self._release(*member, hold))
        except BusError:
            self._unreleased[member] = hold
            raise

    async def _release(self, room: str, key: str, hold: _Hold) -> bool:
        args = self._member_args(room, key, hold.owner, "1" if hold.told else "0")
        return bool(await self._calls.script("release")(args=args))

    def _member_args(self, room: str, key: str, owner: str, last: object) -> list[Any]:
        return [self._keys.prefix, room, key, owner, self._keys.node_id, last, now_ms()]

    async def _take_turn(self, member: Member, owner: str | None, *, waits: bool = False) -> bool:
        """Wait for what is under way with ``member`` here; False if it is another owner's.

        A release ``waits`` whatever is under way, whoever's it is.
        """
        while (turn := self._turns.get(member)) is not None:
            if not waits and turn.owner != owner:
                return False
            await turn.done.wait()
        self._turns[member] = _Turn(owner)
        return True

    def _end_turn(self, member: Member) -> None:
        self._turns.pop(member).done.set()

    # --- accounts online ---------------------------------------------------

    async def accounts_online(self, account_ids: Sequence[int]) -> set[int]:
        """Those of the accounts held by a live node: each node's set of account owners, read at once."""
        client = self._calls.client
        nodes = sorted(await self._calls.call(lambda: client.smembers(self._keys.nodes)))
        if not nodes or not account_ids:
            return set()
        owners = [account_owner(account_id) for account_id in account_ids]

        def read() -> Any:
            pipe = client.pipeline(transaction=False)
            for node in nodes:
                name = self._keys.prefix + "node:" + (node.decode() if isinstance(node, bytes) else node)
                pipe.exists(name)
                pipe.smismember(name + ":accounts", owners)
            return pipe.execute()

        replies = await self._calls.call(read)
        online: set[int] = set()
        for alive, held in zip(replies[::2], replies[1::2], strict=True):
            if alive:
                online.update(account_id for account_id, here in zip(account_ids, held, strict=True) if here)
        return online

    async def accounts_in(self, room: str) -> set[int]:
        """The accounts holding a member in the room: the room's members hash, read at once (HVALS)."""
        client = self._calls.client
        members = self._keys.room(room, ":members")
        values = await self._calls.call(lambda: client.hvals(members))
        texts = (value.decode() if isinstance(value, bytes) else value for value in values)
        owners = (owner_account(text.split("\n", 1)[0]) for text in texts)
        return {account_id for account_id in owners if account_id is not None}

    async def _count_owner(self, owner: str, change: int) -> None:
        """Note one member more or fewer of ``owner`` here; tell Redis when the owner comes or goes.

        Returns once Redis was told (or could not be: the next refresh tells it then).
        """
        if not owner.startswith("a:"):
            return
        before = self._owners[owner]
        self._owners[owner] = after = before + change
        if after <= 0:
            del self._owners[owner]
        if (before > 0) != (after > 0):
            self._owners_unsent.add(owner)
            self._send_owners()
            assert self._owners_task is not None
            # Shared by every caller: one caller cancelled does not stop it for the others.
            await asyncio.shield(self._owners_task)

    def _send_owners(self) -> None:
        if self._owners_task is None or self._owners_task.done():
            self._owners_task = asyncio.create_task(self._owners_to_redis(), name="chatroom-redis-accounts")

    async def _owners_to_redis(self) -> None:
        """Tell Redis which accounts this node holds, changes in order; a failure leaves it to the refresh."""
        key = self._keys.node(":accounts")
        while self._owners_unsent or self._owners_rewrite:
            rewrite, self._owners_rewrite = self._owners_rewrite, False
            unsent, self._owners_unsent = self._owners_unsent, set()
            pipe = self._calls.client.pipeline(transaction=rewrite)
            if rewrite:
                pipe.delete(key)
                unsent = set(self._owners)
            for owner in unsent:
                if owner in self._owners:
                    pipe.sadd(key, owner)
                else:
                    pipe.srem(key, owner)
            pipe.pexpire(key, self._ttl_ms)
            try:
                await pipe.execute()
            except (RedisError, OSError) as error:
                log.debug("cannot tell Redis which accounts this node holds: %s", error)
                self._owners_rewrite = True
                return

    # --- liveness ----------------------------------------------------------

    async def _refresh_loop(self) -> None:
        # Stopping is checked as well as cancelled: a cancellation that lands
        # inside redis-py may come out as one of the errors caught below.
        while not self._stopping:
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
        pipe.pexpire(self._keys.node(":accounts"), self._ttl_ms)
        previous, _added, _kept = await pipe.execute()
        if previous is None and self._holds:
            await self._reassert_members()
        if previous is None or self._owners_rewrite:
            # Redis forgot this node, or was not told of its accounts: tell it all again.
            self._owners_rewrite = True
            self._send_owners()
        await self._release_unreleased()
        reaped = await self._calls.script("reap")(args=[self._keys.prefix, now_ms()])
        if reaped:
            log.info("%d members of unresponsive nodes left their rooms", reaped)
        if self._failing:
            log.warning("presence refreshes in Redis again")
            self._failing = False

    async def _release_unreleased(self) -> None:
        for member, hold in list(self._unreleased.items()):
            if member in self._turns or self._unreleased.get(member) is not hold:
                # Being claimed again: if that fails, the next refresh frees it.
                continue
            self._turns[member] = _Turn(hold.owner)
            try:
                await self._release(*member, hold)
                if self._unreleased.get(member) is hold:
                    del self._unreleased[member]
            finally:
                self._end_turn(member)

    async def _reassert_members(self) -> None:
        """Redis forgot this node (it lost data, or we stalled): hold our members again."""
        held = 0
        for (room, key), hold in list(self._holds.items()):
            if self._holds.get((room, key)) is not hold:
                # It left while the members before it were held again.
                continue
            args = self._member_args(room, key, hold.owner, hold.nick)
            state = await self._calls.script("reassert")(args=args)
            if state == 0:
                log.warning("%r in %r is now held by another owner", hold.nick, room)
                continue
            held += 1
            if state == 2 and self._holds.get((room, key)) is hold:
                await self.announce_join(room, hold.nick)
        log.warning("Redis had no presence for this node: %d members held again", held)
