"""SQLStars: the starred rooms of an AccountStore (stars_base.py), one SQL text for either dialect."""

from __future__ import annotations

from collections.abc import Sequence

from ..clock import now_ms
from .records import RoomStar
from .sql_statements import SQLStatements, whole

_STARRED = "account_id, room, starred_at"
# ? : account, room, time; the account and the limit. A room starred already inserts nothing.
STAR = (
    f"INSERT INTO starred_rooms ({_STARRED})"
    " SELECT CAST(? AS BIGINT), CAST(? AS TEXT), CAST(? AS BIGINT)"
    " WHERE (SELECT count(*) FROM starred_rooms WHERE account_id = ?) < ?"
    f" ON CONFLICT DO NOTHING RETURNING {_STARRED}"
)
STARRED_ONE = f"SELECT {_STARRED} FROM starred_rooms WHERE account_id = ? AND room = ?"
UNSTAR = "DELETE FROM starred_rooms WHERE account_id = ? AND room = ? RETURNING account_id"
# By the primary key: a person's stars in name order.
STARRED_OF = f"SELECT {_STARRED} FROM starred_rooms WHERE account_id = ? ORDER BY room"
IMPORT_STARS = (
    f"INSERT INTO starred_rooms ({_STARRED}) VALUES (?, ?, ?)"
    " ON CONFLICT (account_id, room) DO UPDATE SET starred_at = excluded.starred_at"
)


def room_star(row: Sequence[object]) -> RoomStar:
    """A RoomStar from a row of the starred columns."""
    account_id, room, starred_at = row
    return RoomStar(account_id=whole(account_id), room=str(room), starred_at=whole(starred_at))


class SQLStars(SQLStatements):
    """The rooms each person starred."""

    async def star_room(
        self, account_id: int, room: str, *, limit: int, starred_at: int | None = None
    ) -> RoomStar | None:
        """Star it, or find it starred already; None when the account has ``limit`` starred already."""
        at = now_ms() if starred_at is None else starred_at
        counted = f"starred:{account_id}"
        rows = await self._change_counted(
            "cannot star the room", counted, STAR, account_id, room, at, account_id, limit
        )
        if rows:
            return room_star(rows[0])
        standing = await self._rows(STARRED_ONE, account_id, room)
        return room_star(standing[0]) if standing else None

    async def unstar_room(self, account_id: int, room: str) -> bool:
        """Forget the star; whether there was one."""
        return bool(await self._change("cannot unstar the room", UNSTAR, account_id, room))

    async def starred_rooms(self, account_id: int) -> list[RoomStar]:
        """Every star of the account, by room name."""
        return [room_star(row) for row in await self._rows(STARRED_OF, account_id)]

    async def import_stars(self, stars: Sequence[RoomStar]) -> None:
        """Store the export's stars in one transaction."""
        rows = [(star.account_id, star.room, star.starred_at) for star in stars]
        await self._change_many("cannot import starred rooms", IMPORT_STARS, rows)
