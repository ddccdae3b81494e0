"""The room bars part of the AccountStore contract: accounts kept out of one room (access.py asks).

A bar is the room's own moderation: its owner or an administrator keeps one
account out of an open or closed room (access.may_bar), until the bar is
lifted. Barring takes the account out of the room's members too; a room
everyone is in does not take it back in.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from .records import RoomBar


class BarStore(Protocol):
    """Who is barred from which room."""

    async def bar_account(self, room: str, account_id: int, by_id: int | None) -> RoomBar | None:
        """Bar the account from the room, take it out of its members and forget its read position there;
        None when the room or the account does not exist. Barring a barred account keeps its first bar
        (who, when)."""
        ...

    async def lift_bar(self, room: str, account_id: int) -> bool:
        """Let the account back into the room; whether it was barred."""
        ...

    async def room_bar(self, room: str, account_id: int) -> RoomBar | None:
        """The account's bar from the room, if any."""
        ...

    async def bars_of(self, room: str) -> list[RoomBar]:
        """The room's bars, in account id order."""
        ...

    async def barred_rooms(self, account_id: int) -> list[str]:
        """The rooms the account is barred from, in code point order."""
        ...

    async def import_bars(self, bars: Sequence[RoomBar]) -> None:
        """Store bars as an export has them (who, when), replacing any of the same room and account;
        their rooms and accounts exist. Memberships are not touched: the export has them as they were."""
        ...
