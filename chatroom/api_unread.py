"""Read marks and notification levels over HTTP: ``PUT /api/rooms/{room}/read``, ``.../unread`` and
``.../notify``, and ``POST /api/me/read`` for every room at once.

Each answers the room's counts for the asker, as the ``unread`` frame carries
them, and every connection of the asker's account, on every node, gets that
frame too. Accounts only (a guest keeps no position: 401); a room one may not
read answers 404 like one that does not exist, and is left alone by the mark
of every room.
"""

from __future__ import annotations

from typing import Any

from . import protocol
from .api import ApiError, room_not_found
from .api_manage import ManageHandler
from .events import UnreadNotice
from .identity import Identity
from .store.reading_base import NOTIFY_LEVELS


def counts_of(notice: UnreadNotice) -> dict[str, Any]:
    """A room's counts, as the ``unread`` frame has them (without its type)."""
    frame: dict[str, Any] = protocol.unread_frame(
        notice.room, notice.unread, notice.mentions, notice.read_id, notice.notify, back=notice.back
    )
    del frame["type"]
    return frame


class UnreadHandler(ManageHandler):
    """The base of them all: the asker's account, the room it may read, the answer."""

    def reader(self) -> Identity:
        """The asker; 401 for a guest."""
        if self.who is None:
            raise ApiError(401, protocol.UNAUTHORIZED, "sign in first: guests keep no read position")
        return self.who

    async def readable_room(self, raw_room: str) -> tuple[Identity, str]:
        """The asker and the room's name; 401 for a guest, 404 for a room the asker may not read."""
        who = self.reader()
        room = self.room_argument(raw_room)
        if await self.unavailable_if_failing(self.access.readable(who, room)) is None:
            raise room_not_found()
        return who, room

    def send_counts(self, notice: UnreadNotice) -> None:
        """The room's counts, as the ``unread`` frame has them (without its type)."""
        self.send_json(counts_of(notice))

    def id_field(self, name: str, lowest: int) -> int:
        """The body's ``name``, an id from ``lowest`` to MAX_CLIENT_INT; else 400 bad_request."""
        value = self.json_object().get(name)
        if (
            not isinstance(value, int)
            or isinstance(value, bool)
            or not lowest <= value <= protocol.MAX_CLIENT_INT
        ):
            raise ApiError(
                400,
                protocol.BAD_REQUEST,
                f'"{name}" must be an id from {lowest} to {protocol.MAX_CLIENT_INT}',
            )
        return value


class ReadHandler(UnreadHandler):
    """``PUT /api/rooms/{room}/read`` ``{"id": N}``: the room is read up to N (never backwards)."""

    async def put(self, raw_room: str) -> None:
        who, room = await self.readable_room(raw_room)
        upto = self.id_field("id", 0)
        assert self.unread is not None
        self.send_counts(await self.unavailable_if_failing(self.unread.mark(who, room, upto)))


class MarkUnreadHandler(UnreadHandler):
    """``PUT /api/rooms/{room}/unread`` ``{"from": M}``: message M and every one after it are unread again
    (the position goes back to M - 1)."""

    async def put(self, raw_room: str) -> None:
        who, room = await self.readable_room(raw_room)
        first = self.id_field("from", 1)
        assert self.unread is not None
        self.send_counts(await self.unavailable_if_failing(self.unread.mark_unread(who, room, first)))


class NotifyHandler(UnreadHandler):
    """``PUT /api/rooms/{room}/notify`` ``{"level": "all"|"mentions"|"muted"}``: how one is told of it."""

    async def put(self, raw_room: str) -> None:
        who, room = await self.readable_room(raw_room)
        level = self.json_object().get("level")
        if level not in NOTIFY_LEVELS:
            raise ApiError(400, protocol.BAD_REQUEST, '"level" must be "all", "mentions" or "muted"')
        assert self.unread is not None and isinstance(level, str)
        self.send_counts(await self.unavailable_if_failing(self.unread.choose_level(who, room, level)))


class ReadEverythingHandler(UnreadHandler):
    """``POST /api/me/read``: every room the asker follows and may read is read up to its newest message
    (Shift+Esc on the page); ``{"rooms": [counts]}``, those of the rooms whose position moved."""

    async def post(self) -> None:
        who = self.reader()

        async def readable(room: str) -> bool:
            return await self.access.readable(who, room) is not None

        assert self.unread is not None
        notices = await self.unavailable_if_failing(self.unread.mark_everything(who, readable))
        self.send_json({"rooms": [counts_of(notice) for notice in notices]})
