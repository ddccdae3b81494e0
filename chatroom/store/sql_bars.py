"""SQLBars: the room bars of an AccountStore (bars_base.py), one statement each in either dialect."""

from __future__ import annotations

from collections.abc import Sequence

from ..clock import now_ms
from . import account_sql as sql
from .records import RoomBar
from .sql_reading import FORGET_READ_POSITION
from .sql_statements import SQLStatements

_BAR = "room, account_id, by_id, barred_at"
# ? : room, account, who, time; then the room and the account, which must exist. A second bar keeps the
# first's who and when (the no-op update is there so that RETURNING gives the row standing).
BAR_ACCOUNT = (
    "INSERT INTO room_bars (room, account_id, by_id, barred_at)"
    " SELECT CAST(? AS TEXT), CAST(? AS BIGINT), CAST(? AS BIGINT), CAST(? AS BIGINT)"
    " WHERE EXISTS (SELECT 1 FROM rooms WHERE room = ?) AND EXISTS (SELECT 1 FROM accounts WHERE id = ?)"
    f" ON CONFLICT (room, account_id) DO UPDATE SET by_id = room_bars.by_id RETURNING {_BAR}"
)
LIFT_BAR = "DELETE FROM room_bars WHERE room = ? AND account_id = ? RETURNING account_id"
ROOM_BAR = f"SELECT {_BAR} FROM room_bars WHERE room = ? AND account_id = ?"
BARS_OF = f"SELECT {_BAR} FROM room_bars WHERE room = ? ORDER BY account_id"
BARRED_ROOMS = "SELECT room FROM room_bars WHERE account_id = ? ORDER BY room"
IMPORT_BAR = (
    f"INSERT INTO room_bars ({_BAR}) VALUES (?, ?, ?, ?)"
    " ON CONFLICT (room, account_id) DO UPDATE SET by_id = excluded.by_id, barred_at = excluded.barred_at"
)


def room_bar(row: Sequence[object]) -> RoomBar:
    """A RoomBar from a row of the bar columns."""
    room, account_id, by_id, barred_at = row
    return RoomBar(
        room=str(room),
        account_id=int(account_id),  # type: ignore[call-overload]
        by_id=None if by_id is None else int(by_id),  # type: ignore[call-overload]
        barred_at=int(barred_at),  # type: ignore[call-overload]
    )


class SQLBars(SQLStatements):
    """Bars from rooms: who may not read or post in which room (access.py)."""

    async def bar_account(self, room: str, account_id: int, by_id: int | None) -> RoomBar | None:
        """Bar the account, then take it out and forget how far it read: between the steps it is a
        member nobody lets in (access.py reads the bar)."""
        params = (room, account_id, by_id, now_ms(), room, account_id)
        rows = await self._change("cannot bar the account", BAR_ACCOUNT, *params)
        if not rows:
            return None
        await self._change("cannot bar the account", sql.REMOVE_MEMBER, room, account_id)
        # No longer following the room: no counts of it (unread.py), as one who never read it.
        await self._change("cannot bar the account", FORGET_READ_POSITION, account_id, room)
        return room_bar(rows[0])

    async def lift_bar(self, room: str, account_id: int) -> bool:
        """Let the account back in."""
        return bool(await self._change("cannot lift the bar", LIFT_BAR, room, account_id))

    async def room_bar(self, room: str, account_id: int) -> RoomBar | None:
        """The account's bar from the room."""
        rows = await self._rows(ROOM_BAR, room, account_id)
        return room_bar(rows[0]) if rows else None

    async def bars_of(self, room: str) -> list[RoomBar]:
        """The room's bars."""
        return [room_bar(row) for row in await self._rows(BARS_OF, room)]

    async def barred_rooms(self, account_id: int) -> list[str]:
        """The rooms the account is barred from."""
        return [str(row[0]) for row in await self._rows(BARRED_ROOMS, account_id)]

    async def import_bars(self, bars: Sequence[RoomBar]) -> None:
        """Store the export's bars, one statement each: a room has few."""
        for bar in bars:
            params = (bar.room, bar.account_id, bar.by_id, bar.barred_at)
            await self._change("cannot import a bar", IMPORT_BAR + " RETURNING account_id", *params)
