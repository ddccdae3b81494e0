"""A room's bars in an export: ``room_bar`` lines, after the room's memberships.

``{"type": "room_bar", "room", "account", "by", "barred_at"}``: the account is
barred from the room (store/bars_base.py), by ``by`` (an account, or
``null`` once unknown) since ``barred_at``. Each refers to its room and
accounts, which the file brings before it (export_check.py checks it).
"""

from __future__ import annotations

from collections.abc import Callable

import orjson

from .export_fields import MAX_ID, MAX_TS
from .export_fields import Fields as _Fields
from .store.records import RoomBar


def room_bar_line(bar: RoomBar) -> bytes:
    """The line of one account's bar from a room."""
    line = {"type": "room_bar", "room": bar.room, "account": bar.account_id, "by": bar.by_id}
    return orjson.dumps({**line, "barred_at": bar.barred_at}) + b"\n"


def _room_bar(fields: _Fields) -> RoomBar:
    return RoomBar(
        room=fields.text("room"),
        account_id=fields.whole("account", 1, MAX_ID),
        by_id=fields.optional_id("by"),
        barred_at=fields.whole("barred_at", 0, MAX_TS),
    )


READERS: dict[str, Callable[[_Fields], RoomBar]] = {"room_bar": _room_bar}


def bar_problem(bar: RoomBar, rooms: set[str], accounts: set[int], seen: set[tuple[str, int]]) -> str | None:
    """What is wrong with a bar given the ``rooms`` and ``accounts`` brought before it and the bars
    ``seen`` (noting it when nothing is)."""
    if bar.room not in rooms:
        return f"a bar from room {bar.room!r}, which no line before it brings"
    for account_id in (bar.account_id, bar.by_id):
        if account_id is not None and account_id not in accounts:
            return f"a bar naming account {account_id}, which no line before it brings"
    if (bar.room, bar.account_id) in seen:
        return f"account {bar.account_id}'s bar from room {bar.room!r} a second time"
    seen.add((bar.room, bar.account_id))
    return None
