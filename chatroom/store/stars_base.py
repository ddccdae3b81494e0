"""The starred rooms part of the AccountStore contract: the rooms each person keeps at the top of their list.

A star is one row per account and room, with when it was starred. The
store keeps the rows and nothing more: whether the person may still see
the room is asked when the list is read (api_stars.py asks access.py); a
star on a room they may no longer see stays, unseen, and shows again if
access comes back.

- A person stars at most ``limit`` rooms (api_stars.MAX_STARRED): past it,
  a new star is refused (None), while starring a room starred already
  answers its row. The count holds across PostgreSQL nodes
  (sql_statements.SQLStatements._change_counted).
- A person's stars are read in code point order of the rooms' names, the
  order of the rooms list.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from .records import RoomStar


class StarStore(Protocol):
    """Which rooms each person starred."""

    async def star_room(
        self, account_id: int, room: str, *, limit: int, starred_at: int | None = None
    ) -> RoomStar | None:
        """Star the room for the account (``starred_at``: now when None); its row, the earlier one when it
        was starred already; None when the account has ``limit`` rooms starred already."""
        ...

    async def unstar_room(self, account_id: int, room: str) -> bool:
        """Forget the account's star on the room; whether it was starred."""
        ...

    async def starred_rooms(self, account_id: int) -> list[RoomStar]:
        """Every room the account starred, by name."""
        ...

    async def import_stars(self, stars: Sequence[RoomStar]) -> None:
        """Store stars as an export has them (their times), replacing any of the same account and room;
        their accounts and rooms exist."""
        ...
