"""Direct rooms: whether the other person is online anywhere, told live to the room's own members.

- A connection of an account in a direct room it is a member of gets, once
  its welcome and history are out, a ``peer`` frame for each other member
  (``{"type":"peer","room":…,"name":…,"online":true}``), and a new one
  whenever that person comes or goes: online means a page open in any room,
  on any node (Backend.accounts_online, the bus's presence). Nobody else
  hears of it: a direct room's connections are its members' alone
  (access.py), and the frame goes to no other connection.
- An account that comes to this process (its first connection here joins a
  room) or leaves it (its last is released) is told of as a PresenceNotice
  to every node, once the bus knows it; each node with a connection
  following the account asks the bus again and tells what changed.
- Every RECHECK_SECONDS each process asks again for everyone its
  connections follow: a node that died without a goodbye (its presence
  expired), or a notice lost while the bus was away, shows within that.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import Awaitable, Callable, Collection, Sequence
from typing import Any, Protocol

from . import protocol
from .backend import Backend, tell_processes
from .desks import logged
from .events import PresenceNotice
from .identity import Identity

log = logging.getLogger("chatroom.peers")

RECHECK_SECONDS = 15.0
_FAILED = "cannot tell direct rooms whether their people are online"

Spawn = Callable[[Awaitable[Any]], None]


class Peer(Protocol):
    """What the desk needs of one chat connection (handlers.ChatSocketHandler)."""

    @property
    def who(self) -> Identity | None:
        """The account it speaks for; None for a guest."""

    @property
    def room(self) -> str:
        """The room it is in."""

    @property
    def direct(self) -> bool:
        """Whether its room is a direct one."""

    def tell(self, frames: Sequence[dict[str, Any]]) -> None:
        """Send frames beside the room's, once the connection is live."""


class PeerDesk:
    """Who of the people in this process's direct rooms is online, and telling when that changes."""

    def __init__(self, backend: Backend, *, recheck: float | None = None) -> None:
        self.backend = backend
        self.recheck = RECHECK_SECONDS if recheck is None else recheck
        # Connections of accounts in a room here, by account: a notice goes out on the first and the last.
        self._here: Counter[int] = Counter()
        self._arrived: set[Peer] = set()
        # Per connection in a direct room, the others in it: name, and online as last told (None: not yet).
        self._following: dict[Peer, dict[int, tuple[str, bool | None]]] = {}
        # Per account followed, how many times it was asked of: only the latest answer is told.
        self._asked: Counter[int] = Counter()
        self._rechecking: asyncio.TimerHandle | None = None
        self._spawn: Spawn | None = None

    def start(self, spawn: Spawn) -> None:
        """``spawn`` runs the desk's work in the background from now on."""
        self._spawn = spawn

    # --- connections coming and going ----------------------------------------------

    def arrived(self, connection: Peer) -> None:
        """The connection joined its room (its nick is held on the bus): count it, follow its peers."""
        who = connection.who
        if who is None or self._spawn is None or connection in self._arrived:
            return
        self._arrived.add(connection)
        self._here[who.account_id] += 1
        if self._here[who.account_id] == 1:
            self._spawn(self._tell_nodes(who.account_id))
        if connection.direct:
            self._spawn(logged(self._follow(connection, who.account_id), log, _FAILED))

    def released(self, connection: Peer) -> None:
        """The connection let go of its room on the bus: the account's last one here tells every node."""
        if connection not in self._arrived or connection.who is None or self._spawn is None:
            return
        self._arrived.discard(connection)
        self._following.pop(connection, None)
        account_id = connection.who.account_id
        self._here[account_id] -= 1
        if self._here[account_id] <= 0:
            del self._here[account_id]
            self._spawn(self._tell_nodes(account_id))

    async def _tell_nodes(self, account_id: int) -> None:
        await tell_processes(
            self.backend, PresenceNotice(account_id), about="an account coming or going", log=log
        )

    async def _follow(self, connection: Peer, account_id: int) -> None:
        """Learn the other members of the connection's direct room, then tell whether they are online."""
        accounts = self.backend.accounts
        ids = [m.account_id for m in await accounts.members_of(connection.room)]
        if account_id not in ids:
            return
        others: dict[int, tuple[str, bool | None]] = {}
        for other in ids:
            account = await accounts.account_by_id(other) if other != account_id else None
            if account is not None:
                others[other] = (account.name, None)
        if connection not in self._arrived:
            return  # released meanwhile
        self._following[connection] = others
        self._recheck_soon()
        await self._check(others)

    # --- asking the bus --------------------------------------------------------------

    def take(self, notice: PresenceNotice) -> None:
        """An account came to a process or left one: ask again, if a connection here follows it."""
        if self._spawn is not None and any(notice.account_id in o for o in self._following.values()):
            self._spawn(logged(self._check([notice.account_id]), log, _FAILED))

    async def _check(self, account_ids: Collection[int]) -> None:
        """Ask the bus which of the accounts are online; tell each following connection what changed."""
        asked = {account_id: self._ask(account_id) for account_id in account_ids}
        online = await self.backend.accounts_online(list(asked))
        for connection, others in list(self._following.items()):
            for account_id, (name, told) in others.items():
                now = account_id in online
                # An answer overtaken by a later question of the same account is not told.
                if self._asked[account_id] == asked.get(account_id) and told is not now:
                    others[account_id] = (name, now)
                    connection.tell([protocol.peer_frame(connection.room, name, now)])

    def _ask(self, account_id: int) -> int:
        self._asked[account_id] += 1
        return self._asked[account_id]

    def _recheck_soon(self) -> None:
        if self._rechecking is None and self._spawn is not None:
            spawn = self._spawn
            self._rechecking = asyncio.get_running_loop().call_later(
                self.recheck, lambda: spawn(logged(self._recheck_all(), log, _FAILED))
            )

    async def _recheck_all(self) -> None:
        """Ask again for everyone followed; again later while anyone is."""
        self._rechecking = None
        followed = {account_id for others in self._following.values() for account_id in others}
        self._asked = Counter({a: n for a, n in self._asked.items() if a in followed})
        if followed:
            self._recheck_soon()
            await self._check(followed)
