"""The rooms and memberships part of the AccountStore contract (accounts_base.py has its rules).

Part of every AccountStore (``store.accounts``): a room's record (kind, title,
who posts, its topic), its members and their roles, and the pages of rooms a
list shows. Room names are unique up to look-alikes (RoomTakenError, from
accounts_base.py, whose rules hold here too).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from .records import EVERYONE, MEMBER, Account, Membership, RoomRecord


class RoomStore(Protocol):
    """Rooms, their records and their members."""

    async def create_room(
        self,
        room: str,
        kind: str,
        *,
        title: str | None = None,
        creator_id: int | None = None,
        members: Sequence[int] = (),
        posting: str = EVERYONE,
    ) -> RoomRecord:
        """Create a room (normalised: names.normalize_room, BadNameError), with its members, at once.

        The creator becomes its owner; ``members`` become members; ``posting``
        says who posts (records.POSTING_RULES). Raises RoomTakenError when the
        room or a look-alike exists, with history or without;
        UnknownAccountError when a member does not exist; ValueError for a
        direct room of fewer than two accounts, or one where not everyone posts.
        """
        ...

    async def room_record(self, room: str) -> RoomRecord | None:
        """The room's record; None when it does not exist."""
        ...

    async def rename_room(self, room: str, title: str | None) -> RoomRecord | None:
        """Set (or, with None, clear) the room's title; None when the room does not exist."""
        ...

    async def archive_room(self, room: str, *, archived: bool = True) -> RoomRecord | None:
        """Archive the room (or bring it back); None when it does not exist.

        Archiving an archived room keeps its first archiving time.
        """
        ...

    async def set_posting(self, room: str, posting: str) -> RoomRecord | None:
        """Say who posts in an open or closed room (records.POSTING_RULES); None when there is no such
        room, or it is a direct one. ValueError for an unknown rule."""
        ...

    async def set_room_mentions(self, room: str, rule: str) -> RoomRecord | None:
        """Say who may mention the whole room (``@room``), records.EVERYONE or MANAGERS; None when there
        is no such room. ValueError for an unknown rule."""
        ...

    async def set_topic(self, room: str, topic: str) -> RoomRecord | None:
        """Set the room's topic, of any kind of room ("" clears it); None when there is no such room."""
        ...

    async def add_member(self, room: str, account_id: int, role: str = MEMBER) -> Membership | None:
        """Make the account a member of the room with ``role`` (a member already keeps
        its time of joining and takes the role); None when the room or the account does not exist."""
        ...

    async def remove_member(self, room: str, account_id: int) -> bool:
        """Take the account out of the room; whether it was a member."""
        ...

    async def membership(self, room: str, account_id: int) -> Membership | None:
        """The account's membership of the room, if any."""
        ...

    async def members_of(self, room: str) -> list[Membership]:
        """The room's members, in account id order."""
        ...

    async def members_page(
        self, room: str, *, prefix: str = "", after: str = "", limit: int = 100
    ) -> list[tuple[Account, Membership]]:
        """Up to ``limit`` of the room's members, each with its account, whose names come after ``after``
        and start like ``prefix``, compared as names clash (names.nick_key: case and look-alikes folded),
        in the order of those keys. A prefix or an ``after`` that is no name finds nobody."""
        ...

    async def count_members(self, room: str) -> int:
        """How many members the room has (0 for no such room)."""
        ...

    async def open_rooms(self, *, prefix: str = "", after: str = "", limit: int = 100) -> list[RoomRecord]:
        """Up to ``limit`` open rooms (archived ones too) named after ``after`` and starting
        with ``prefix``, in code point order of their names."""
        ...

    async def rooms_of_kind(
        self, kind: str, *, prefix: str = "", after: str = "", limit: int = 100
    ) -> list[RoomRecord]:
        """Up to ``limit`` rooms of ``kind`` (archived ones too) named after ``after`` and starting
        with ``prefix``, in code point order of their names."""
        ...

    async def rooms_of(self, account_id: int) -> list[RoomRecord]:
        """The rooms the account is a member of, in code point order of their names."""
        ...
