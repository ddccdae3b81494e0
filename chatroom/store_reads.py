"""The store's reads as the handlers ask for them: history, changes, search, and what a join needs.

ChatService (service.py) is made of these and of delivery; a failing store
raises BackendError here, as everywhere behind the Backend.
"""

from __future__ import annotations

from collections.abc import Awaitable
from typing import TypeVar

from .backend import BackendError, RoomRead, StoredChange, StoredMessage
from .store.base import Store, StoreError
from .store.search_base import SearchQuery
from .store.way_in import WayIn

T = TypeVar("T")


class StoreReads:
    """Reads of ``store``, each failure a BackendError."""

    store: Store

    async def changes(self, room: str, *, after: int, before: int, limit: int) -> list[StoredChange]:
        """The latest ``limit`` changes with after < id < before, oldest first."""
        return await self._store_call(self.store.changes(room, after=after, before=before, limit=limit))

    async def history(
        self,
        room: str,
        *,
        after: int | None = None,
        before: int | None = None,
        limit: int = 50,
        newest: bool = True,
    ) -> list[StoredMessage]:
        """Up to ``limit`` stored messages with after < id < before, oldest first."""
        return await self._store_call(
            self.store.history(room, after=after, before=before, limit=limit, newest=newest)
        )

    async def top_history(
        self,
        room: str,
        *,
        after: int | None = None,
        before: int | None = None,
        limit: int = 50,
        newest: bool = True,
    ) -> list[StoredMessage]:
        """Up to ``limit`` messages of the main timeline with after < id < before, oldest first."""
        return await self._store_call(
            self.store.top_history(room, after=after, before=before, limit=limit, newest=newest)
        )

    async def thread(
        self,
        room: str,
        root: int,
        *,
        after: int | None = None,
        before: int | None = None,
        limit: int = 50,
        newest: bool = True,
    ) -> list[StoredMessage]:
        """Message ``root`` and the replies in its thread with after < id < before, oldest first."""
        return await self._store_call(
            self.store.thread(room, root, after=after, before=before, limit=limit, newest=newest)
        )

    async def pinned(self, room: str) -> list[StoredMessage]:
        """The room's pinned messages, most recently pinned first."""
        return await self._store_call(self.store.pinned(room))

    async def search(self, query: SearchQuery) -> list[StoredMessage]:
        """Messages of the query's rooms holding its terms, newest first."""
        return await self._store_call(self.store.search(query))

    async def last_id(self, room: str) -> int:
        """The id of the room's latest message."""
        return await self._store_call(self.store.last_id(room))

    async def messages_of(self, account_id: int, *, limit: int) -> list[tuple[str, int]]:
        """Up to ``limit`` of the account's messages not deleted, as (room, id)."""
        return await self._store_call(self.store.messages_of(account_id, limit=limit))

    async def reactions_of(self, account_id: int, *, limit: int) -> list[tuple[str, int, str, str]]:
        """Up to ``limit`` of the account's reactions, as (room, target, emoji, nick)."""
        return await self._store_call(self.store.reactions_of(account_id, limit=limit))

    async def epoch(self, room: str) -> str:
        """The database's epoch: every room starts over only with a new database."""
        return await self._store_call(self.store.epoch())

    async def read_room(self, room: str, *, after: int | None, limit: int) -> RoomRead:
        """What a member needs to join, read up to the room's last id: anything committed later
        reaches the member live. A room with no message after ``after`` needs no more reads."""
        last_id = await self.last_id(room)
        epoch = await self.epoch(room)
        if last_id == 0 or (after is not None and after >= last_id):
            return RoomRead(last_id, epoch, [], None if after is None else [])
        before, page = last_id + 1, limit + 1
        messages = await self.history(room, after=after, before=before, limit=page)
        found = None if after is None else await self.changes(room, after=after, before=before, limit=page)
        return RoomRead(last_id, epoch, messages, found)

    async def way_in(
        self, room: str, *, address: str | None = None, account_id: int | None = None, nick: str | None = None
    ) -> WayIn:
        """What a member's way into the room asks of the store, in one read (store/way_in.py)."""
        return await self._store_call(
            self.store.way_in(room, address=address, account_id=account_id, nick=nick)
        )

    @staticmethod
    async def _store_call(call: Awaitable[T]) -> T:
        try:
            return await call
        except StoreError as error:
            raise BackendError(str(error)) from None
