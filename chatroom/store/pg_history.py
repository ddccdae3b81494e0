"""PostgresHistory: the PostgreSQL store's reads of messages and rooms, each on a pooled connection.

The store (postgres.py) gives ``_run``, which runs work on a pooled
connection within its deadline, and ``_fetch``, which runs one statement so;
both turn the server's errors and silences into StoreError.
"""

from __future__ import annotations

import abc
from collections.abc import Awaitable, Callable, Sequence
from typing import LiteralString, TypeVar

from psycopg.rows import TupleRow

from ..backend import StoredMessage, prefix_end
from ..clock import now_ms
from ..events import StoredChange
from .account_sql import ROOM_HOLDING_KEY
from .base import ExportReads, RoomRow
from .pg_batch import Connection
from .pg_changes import read_changes, read_messages, read_pinned, read_sequence
from .thread_rows import TOP, Within
from .way_in import WAY_IN, WayIn, way_in_answer, way_in_params

T = TypeVar("T")

READING = "cannot read the store"
_WAY_IN: LiteralString = WAY_IN.replace("?", "%s")
_ROOM_HOLDING_KEY: LiteralString = ROOM_HOLDING_KEY.replace("?", "%s")


class PostgresHistory(ExportReads):
    """History, threads, pins, changes, rooms and who wrote what, read from the shared database."""

    @abc.abstractmethod
    async def _run(self, work: Callable[[Connection], Awaitable[T]], failing: str, *, scale: int = 1) -> T:
        """The outcome of ``work`` on a pooled connection; StoreError when it fails."""

    @abc.abstractmethod
    async def _fetch(self, sql: LiteralString, params: Sequence[object] = ()) -> list[TupleRow]:
        """The rows of one statement on a pooled connection; StoreError when it fails."""

    async def history(
        self,
        room: str,
        *,
        after: int | None = None,
        before: int | None = None,
        limit: int = 50,
        newest: bool = True,
    ) -> list[StoredMessage]:
        """Up to ``limit`` messages with after < id < before, in their current state, oldest first."""
        low, high = after or 0, 2**62 if before is None else before
        return await self._run(lambda conn: read_messages(conn, room, low, high, limit, newest), READING)

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
        low, high = after or 0, 2**62 if before is None else before
        return await self._run(lambda conn: read_messages(conn, room, low, high, limit, newest, TOP), READING)

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
        """Up to ``limit`` of message ``root`` and its thread's replies with after < id < before."""
        low, high, within = after or 0, 2**62 if before is None else before, Within(thread=root)
        return await self._run(
            lambda conn: read_messages(conn, room, low, high, limit, newest, within), READING
        )

    async def pinned(self, room: str) -> list[StoredMessage]:
        """The room's pinned messages in their current state, most recently pinned first."""
        return await self._run(lambda conn: read_pinned(conn, room), READING)

    async def changes(
        self, room: str, *, after: int = 0, before: int | None = None, limit: int = 50, newest: bool = True
    ) -> list[StoredChange]:
        """Up to ``limit`` changes with after < id < before, oldest first (newest: the latest)."""
        high = 2**62 if before is None else before
        return await self._run(lambda conn: read_changes(conn, room, after, high, limit, newest), READING)

    async def sequence_after(self, room: str, after: int, limit: int) -> list[StoredMessage | StoredChange]:
        """The first ``limit`` messages and changes with id > ``after``, in id order."""
        return await self._run(lambda conn: read_sequence(conn, room, after, limit), READING)

    async def last_id(self, room: str) -> int:
        """The id of the room's latest stored message."""
        rows = await self._fetch("SELECT last_id FROM rooms WHERE room = %s", (room,))
        return int(rows[0][0]) if rows else 0

    async def messages_of(self, account_id: int, *, limit: int) -> list[tuple[str, int]]:
        """As Store.messages_of."""
        rows = await self._fetch(
            "SELECT room, id FROM messages WHERE account_id = %s AND NOT deleted ORDER BY room, id LIMIT %s",
            (account_id, limit),
        )
        return [(str(room), int(id_)) for room, id_ in rows]

    async def reactions_of(self, account_id: int, *, limit: int) -> list[tuple[str, int, str, str]]:
        """As Store.reactions_of."""
        rows = await self._fetch(
            "SELECT room, target, emoji, nick FROM reactions WHERE account_id = %s"
            " ORDER BY room, target, emoji LIMIT %s",
            (account_id, limit),
        )
        return [(str(room), int(target), str(emoji), str(nick)) for room, target, emoji, nick in rows]

    async def rooms(self, *, prefix: str = "", after: str = "", limit: int = 50) -> list[RoomRow]:
        """A page of the rooms with history, read through the primary key ("C": code point order)."""
        end = prefix_end(prefix)
        params: list[object] = [after, prefix]
        sql: LiteralString = "SELECT room, last_id FROM rooms WHERE room > %s AND room >= %s"
        if end is not None:
            sql += " AND room < %s"
            params.append(end)
        sql += " ORDER BY room LIMIT %s"
        params.append(limit)
        return [RoomRow(str(room), int(last_id)) for room, last_id in await self._fetch(sql, params)]

    async def room_holding(self, key: str) -> str | None:
        """The room with history whose look-alike key is ``key``."""
        rows = await self._fetch(_ROOM_HOLDING_KEY, (key,))
        return str(rows[0][0]) if rows else None

    async def way_in(
        self, room: str, *, address: str | None = None, account_id: int | None = None, nick: str | None = None
    ) -> WayIn:
        """What a member's way into the room asks, in one statement: one round trip (way_in.py)."""
        (row,) = await self._fetch(_WAY_IN, way_in_params(room, address, account_id, nick, now_ms()))
        return way_in_answer(row)
