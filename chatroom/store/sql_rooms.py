"""SQLRooms: the room and membership methods of an AccountStore that are one statement in either dialect.

SQLAccounts inherits them and gives ``_rows`` and ``_change``; creating a room,
whose atomicity each dialect keeps its own way, stays with the dialects.
"""

from __future__ import annotations

from ..backend import prefix_end
from ..clock import now_ms
from ..names import BadNameError, nick_key, normalize_nick
from . import account_sql as sql
from .records import MEMBER, OPEN, Account, Membership, RoomRecord
from .sql_statements import SQLStatements


class SQLRooms(SQLStatements):
    """A room's record and its changes, its members, and pages of rooms."""

    async def room_record(self, room: str) -> RoomRecord | None:
        """The room's record."""
        rows = await self._rows(sql.ROOM_RECORD, room)
        return sql.room(rows[0]) if rows else None

    async def rename_room(self, room: str, title: str | None) -> RoomRecord | None:
        """Set or clear the room's title."""
        rows = await self._change("cannot rename the room", sql.RENAME_ROOM, title, room)
        return sql.room(rows[0]) if rows else None

    async def archive_room(self, room: str, *, archived: bool = True) -> RoomRecord | None:
        """Archive the room, or bring it back."""
        if archived:
            rows = await self._change("cannot archive the room", sql.ARCHIVE_ROOM, now_ms(), room)
        else:
            rows = await self._change("cannot bring the room back", sql.UNARCHIVE_ROOM, room)
        return sql.room(rows[0]) if rows else None

    async def set_posting(self, room: str, posting: str) -> RoomRecord | None:
        """Say who posts in the room."""
        checked = sql.check_posting(posting, OPEN)
        rows = await self._change("cannot change who posts in the room", sql.SET_POSTING, checked, room)
        return sql.room(rows[0]) if rows else None

    async def set_room_mentions(self, room: str, rule: str) -> RoomRecord | None:
        """Say who may mention the whole room."""
        checked = sql.check_posting(rule, OPEN)
        rows = await self._change("cannot change who mentions the room", sql.SET_ROOM_MENTIONS, checked, room)
        return sql.room(rows[0]) if rows else None

    async def set_topic(self, room: str, topic: str) -> RoomRecord | None:
        """Set or clear the room's topic."""
        rows = await self._change("cannot set the room's topic", sql.SET_TOPIC, topic, room)
        return sql.room(rows[0]) if rows else None

    async def add_member(self, room: str, account_id: int, role: str = MEMBER) -> Membership | None:
        """Make the account a member of the room."""
        params = (room, account_id, sql.check_role(role), now_ms(), room, account_id)
        rows = await self._change("cannot add the member", sql.ADD_MEMBER, *params)
        return sql.membership(rows[0]) if rows else None

    async def remove_member(self, room: str, account_id: int) -> bool:
        """Take the account out of the room."""
        return bool(await self._change("cannot remove the member", sql.REMOVE_MEMBER, room, account_id))

    async def membership(self, room: str, account_id: int) -> Membership | None:
        """The account's membership of the room."""
        rows = await self._rows(sql.MEMBERSHIP, room, account_id)
        return sql.membership(rows[0]) if rows else None

    async def members_of(self, room: str) -> list[Membership]:
        """The room's members."""
        return [sql.membership(row) for row in await self._rows(sql.MEMBERS_OF, room)]

    async def members_page(
        self, room: str, *, prefix: str = "", after: str = "", limit: int = 100
    ) -> list[tuple[Account, Membership]]:
        """A page of the room's members and their accounts, by the key of their names."""
        try:
            start, after_key = (_key(prefix), _key(after))
        except BadNameError:
            return []
        end = prefix_end(start)
        rows = await self._rows(sql.MEMBERS_PAGE, room, after_key, start, end, end, limit)
        return [(sql.account(row[4:]), sql.membership(row[:4])) for row in rows]

    async def count_members(self, room: str) -> int:
        """How many members the room has."""
        count = (await self._rows(sql.COUNT_MEMBERS, room))[0][0]
        assert isinstance(count, int)
        return count

    async def open_rooms(self, *, prefix: str = "", after: str = "", limit: int = 100) -> list[RoomRecord]:
        """A page of the open rooms."""
        return await self.rooms_of_kind(OPEN, prefix=prefix, after=after, limit=limit)

    async def rooms_of_kind(
        self, kind: str, *, prefix: str = "", after: str = "", limit: int = 100
    ) -> list[RoomRecord]:
        """A page of the rooms of one kind."""
        end = prefix_end(prefix)
        rows = await self._rows(sql.ROOMS_OF_KIND, kind, after, prefix, end, end, limit)
        return [sql.room(row) for row in rows]

    async def rooms_of(self, account_id: int) -> list[RoomRecord]:
        """The rooms the account is a member of."""
        return [sql.room(row) for row in await self._rows(sql.ROOMS_OF, account_id)]


def _key(name: str) -> str:
    """The key a name (or the start of one) is compared by; "" for none. BadNameError when it is no name."""
    return nick_key(normalize_nick(name)) if name.strip() else ""
