"""The starred rooms in an export: ``starred_room`` records, after the saved messages.

``{"type": "starred_room", "account", "room", "starred_at"}``: the account
starred the room (store/stars_base.py) at ``starred_at``. Each refers to its
account and its room's record, which the file brings before it
(export_check.py checks it). An import keeps the times.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import IO

import orjson

from .export_fields import MAX_ID, MAX_TS
from .export_fields import Fields as _Fields
from .store.base import Store
from .store.records import RoomStar

ACCOUNTS_PAGE = 500


def star_line(star: RoomStar) -> bytes:
    """The line of one starred room."""
    line = {"type": "starred_room", "account": star.account_id, "room": star.room}
    return orjson.dumps({**line, "starred_at": star.starred_at}) + b"\n"


async def export_stars(store: Store, out: IO[bytes]) -> None:
    """Write every account's starred rooms, account by account, each's by room name."""
    accounts, after = store.accounts, 0
    while page := await accounts.list_accounts(after_id=after, limit=ACCOUNTS_PAGE):
        for account in page:
            out.write(b"".join(star_line(star) for star in await accounts.starred_rooms(account.id)))
        after = page[-1].id


def _star(fields: _Fields) -> RoomStar:
    return RoomStar(
        account_id=fields.whole("account", 1, MAX_ID),
        room=fields.text("room"),
        starred_at=fields.whole("starred_at", 0, MAX_TS),
    )


READERS: dict[str, Callable[[_Fields], RoomStar]] = {"starred_room": _star}


def star_problem(
    star: RoomStar, rooms: set[str], accounts: set[int], seen: set[tuple[int, str]]
) -> str | None:
    """What is wrong with a starred room given the ``rooms`` and ``accounts`` brought before it and the
    stars ``seen`` (noting it when nothing is)."""
    if star.account_id not in accounts:
        return f"a starred room of account {star.account_id}, which no line before it brings"
    if star.room not in rooms:
        return f"a star of room {star.room!r}, which no line before it brings"
    key = (star.account_id, star.room)
    if key in seen:
        return f"room {star.room!r} starred by account {star.account_id} twice"
    seen.add(key)
    return None
