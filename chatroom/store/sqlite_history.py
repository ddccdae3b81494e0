"""SQLiteHistory: the SQLite store's reads of messages and rooms, each one query on a reader's connection.

The store (sqlite.py) gives ``_read``, which runs a query with the reads of
the same turn of the loop (sqlite_reads.py) and turns SQLite's errors into
StoreError; everything here is one such query.
"""

from __future__ import annotations

import abc
import sqlite3
from collections.abc import Callable
from typing import TypeVar

from ..backend import StoredMessage, prefix_end
from ..clock import now_ms
from ..events import StoredChange
from .account_sql import ROOM_HOLDING_KEY
from .base import ExportReads, RoomRow
from .sqlite_changes import read_changes, read_messages, read_pinned, read_sequence
from .thread_rows import TOP, Within
from .way_in import WAY_IN, WayIn, way_in_answer, way_in_params

T = TypeVar("T")


class SQLiteHistory(ExportReads):
    """History, threads, pins, changes, rooms and who wrote what, read from the SQLite file."""

    @abc.abstractmethod
    async def _read(self, query: Callable[[sqlite3.Connection], T], *, alone: bool = False) -> T:
        """The query's outcome on a reader's connection; StoreError when it fails."""

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
        low = after if after is not None else 0
        high = before if before is not None else 2**62
        return await self._read(lambda conn: read_messages(conn, room, low, high, limit, newest))

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
        return await self._read(lambda conn: read_messages(conn, room, low, high, limit, newest, TOP))

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
        return await self._read(lambda conn: read_messages(conn, room, low, high, limit, newest, within))

    async def pinned(self, room: str) -> list[StoredMessage]:
        """The room's pinned messages in their current state, most recently pinned first."""
        return await self._read(lambda conn: read_pinned(conn, room))

    async def changes(
        self, room: str, *, after: int = 0, before: int | None = None, limit: int = 50, newest: bool = True
    ) -> list[StoredChange]:
        """Up to ``limit`` changes with after < id < before, oldest first (newest: the latest)."""
        return await self._read(
            lambda conn: read_changes(conn, room, after, 2**62 if before is None else before, limit, newest)
        )

    async def sequence_after(self, room: str, after: int, limit: int) -> list[StoredMessage | StoredChange]:
        """The first ``limit`` messages and changes with id > ``after``, in id order."""
        return await self._read(lambda conn: read_sequence(conn, room, after, limit))

    async def last_id(self, room: str) -> int:
        """The id of the room's latest stored message."""
        row = await self._read(
            lambda conn: conn.execute("SELECT last_id FROM rooms WHERE room = ?", (room,)).fetchone()
        )
        return int(row[0]) if row else 0

    async def messages_of(self, account_id: int, *, limit: int) -> list[tuple[str, int]]:
        """As Store.messages_of."""
        rows = await self._read(
            lambda conn: conn.execute(
                "SELECT room, id FROM messages WHERE account_id = ? AND deleted = 0"
                " ORDER BY room, id LIMIT ?",
                (account_id, limit),
            ).fetchall()
        )
        return [(str(room), int(id_)) for room, id_ in rows]

    async def reactions_of(self, account_id: int, *, limit: int) -> list[tuple[str, int, str, str]]:
        """As Store.reactions_of."""
        rows = await self._read(
            lambda conn: conn.execute(
                "SELECT room, target, emoji, nick FROM reactions WHERE account_id = ?"
                " ORDER BY room, target, emoji LIMIT ?",
                (account_id, limit),
            ).fetchall()
        )
        return [(str(room), int(target), str(emoji), str(nick)) for room, target, emoji, nick in rows]

    async def rooms(self, *, prefix: str = "", after: str = "", limit: int = 50) -> list[RoomRow]:
        """A page of the rooms with history, read through the primary key index."""
        end = prefix_end(prefix)
        query = "SELECT room, last_id FROM rooms WHERE room > ? AND room >= ?"
        params: list[object] = [after, prefix]
        if end is not None:
            query += " AND room < ?"
            params.append(end)
        query += " ORDER BY room LIMIT ?"
        params.append(limit)
        rows = await self._read(lambda conn: conn.execute(query, params).fetchall())
        return [RoomRow(str(room), int(last_id)) for room, last_id in rows]

    async def room_holding(self, key: str) -> str | None:
        """The room with history whose look-alike key is ``key``."""
        row = await self._read(lambda conn: conn.execute(ROOM_HOLDING_KEY, (key,)).fetchone())
        return None if row is None else str(row[0])

    async def way_in(
        self, room: str, *, address: str | None = None, account_id: int | None = None, nick: str | None = None
    ) -> WayIn:
        """What a member's way into the room asks, in one statement (way_in.py)."""
        params = way_in_params(room, address, account_id, nick, now_ms())
        return way_in_answer(await self._read(lambda conn: conn.execute(WAY_IN, params).fetchone()))
