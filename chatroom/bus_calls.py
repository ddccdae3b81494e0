"""The bus's presence and counters as the handlers ask for them: who holds which nick, who is
online, typing, the deployment's counts of failures.

ChatService (service.py) is made of these, of the store's reads (store_reads.py) and of
delivery; a failing bus raises BackendError here, as everywhere behind the Backend.
"""

from __future__ import annotations

from collections.abc import Awaitable, Sequence
from typing import TypeVar

from .backend import BackendError
from .bus.base import Bus, BusError
from .events import Members

T = TypeVar("T")


class BusCalls:
    """Calls to ``bus``, each failure a BackendError."""

    bus: Bus

    async def is_online(self, room: str, nick: str) -> bool:
        """Whether a member of the room holds ``nick``, on any process."""
        return await self._bus_call(self.bus.is_online(room, nick))

    async def reserve(self, room: str, nick: str, owner: str | None = None) -> Members | None:
        """Hold ``nick`` in ``room`` for ``owner`` across the deployment."""
        return await self._bus_call(self.bus.reserve(room, nick, owner))

    async def announce_join(self, room: str, nick: str) -> bool:
        """Tell the room that ``nick`` joined, unless it was told already."""
        return await self._bus_call(self.bus.announce_join(room, nick))

    async def release(self, room: str, nick: str, *, announce: bool) -> None:
        """Let go of one hold of the nick; the member's last tells the room it left (when owed)."""
        await self._bus_call(self.bus.release(room, nick, announce=announce))

    async def typing(self, room: str, nick: str, thread: int | None = None) -> None:
        """Tell the room that ``nick`` is typing (in the thread of ``thread``, when not None)."""
        await self._bus_call(self.bus.typing(room, nick, thread))

    async def record_failure(self, key: str, limit: int, window: float) -> None:
        """Count a failure of ``key`` across the deployment."""
        await self._bus_call(self.bus.record_failure(key, limit, window))

    async def failure_wait(self, key: str, limit: int, window: float) -> float:
        """Seconds until ``key`` may try again, by the deployment's count."""
        return await self._bus_call(self.bus.failure_wait(key, limit, window))

    async def forget_failures(self, key: str) -> None:
        """Clear ``key``'s failures across the deployment."""
        await self._bus_call(self.bus.forget_failures(key))

    async def spend(self, key: str, per_minute: int) -> float:
        """Spend one of ``key``'s allowance, by the deployment's count."""
        return await self._bus_call(self.bus.spend(key, per_minute))

    async def online_counts(self, rooms: list[str]) -> list[int]:
        """How many members each room has online, on every node."""
        return await self._bus_call(self.bus.online_counts(rooms)) if rooms else []

    async def accounts_online(self, account_ids: Sequence[int]) -> set[int]:
        """Those of the accounts with a connection in some room, on any node."""
        return await self._bus_call(self.bus.accounts_online(account_ids)) if account_ids else set()

    async def accounts_in(self, room: str) -> set[int]:
        """The accounts with a connection in the room, on any node."""
        return await self._bus_call(self.bus.accounts_in(room))

    @staticmethod
    async def _bus_call(call: Awaitable[T]) -> T:
        try:
            return await call
        except BusError as error:
            raise BackendError(str(error)) from None
