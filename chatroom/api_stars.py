"""Starred rooms: ``GET /api/me/starred``, ``PUT``/``DELETE /api/me/starred/{room}``.

A person stars the rooms they keep coming back to; the page lists them
first, in a group of their own, whichever page of the rooms list it holds.
The stars are theirs alone. A room is starred only where its person may
see it (access.py): a room they may not see answers 404 ``not_found``, the
same answer as one that does not exist. The list leaves out, with no byte
of them, the rooms they may no longer see: the stars stay, and show again
if access comes back (docs/security.md, "Starred rooms"). Starring and
unstarring tell the person's other pages (a ``starred`` frame).
"""

from __future__ import annotations

import logging
from typing import Any

from . import protocol
from .api import ApiError, JsonHandler, room_not_found
from .api_manage import ManageHandler
from .api_rooms import RoomsHandler
from .backend import tell_processes
from .events import StarNotice
from .identity import Identity
from .store.records import RoomRecord

log = logging.getLogger("chatroom.notices")

# How many rooms one person keeps starred: the top of a list, not a second list of every room.
MAX_STARRED = 100


def person(handler: JsonHandler) -> Identity:
    """Who asks, a person: 401 for nobody or a guest, 403 for a bot."""
    return handler.person_asking("only people star rooms", "guests star nothing")


class StarredHandler(RoomsHandler, ManageHandler):
    """``GET /api/me/starred``: ``{"rooms": [...]}``, the starred rooms the person may see now, by name,
    each as ``GET /api/rooms`` gives it (its counts too)."""

    async def get(self) -> None:
        who = person(self)
        self.send_json({"rooms": await self.unavailable_if_failing(self._starred_entries(who))})

    async def _starred_entries(self, who: Identity) -> list[dict[str, Any]]:
        records: list[RoomRecord] = []
        for star in await self.backend.accounts.starred_rooms(who.account_id):
            readable = await self.access.readable(who, star.room)
            if readable is not None:
                records.append(readable.room)
        return await self.room_entries(records)


class StarHandler(JsonHandler):
    """``PUT /api/me/starred/{room}`` stars the room (again: no change), answering ``{"room", "starred",
    "starred_at"}``; ``DELETE`` unstars it (204, starred or not)."""

    async def put(self, raw_room: str) -> None:
        who = person(self)
        room = self.room_argument(raw_room)
        if await self.unavailable_if_failing(self.access.readable(who, room)) is None:
            raise room_not_found()
        accounts = self.backend.accounts
        star = await self.unavailable_if_failing(accounts.star_room(who.account_id, room, limit=MAX_STARRED))
        if star is None:
            raise ApiError(
                409,
                protocol.TOO_MANY_STARRED,
                f"you keep {MAX_STARRED} rooms starred, the most there is: unstar some to star more",
            )
        await self._tell_pages(StarNotice(who.account_id, room, True))
        self.send_json({"room": room, "starred": True, "starred_at": star.starred_at})

    async def delete(self, raw_room: str) -> None:
        """Unstar it, asking no access: it tells nothing but what the person starred."""
        who = person(self)
        room = self.room_argument(raw_room)
        if await self.unavailable_if_failing(self.backend.accounts.unstar_room(who.account_id, room)):
            await self._tell_pages(StarNotice(who.account_id, room, False))
        self.set_status(204)
        self.finish()

    async def _tell_pages(self, notice: StarNotice) -> None:
        """Tell the person's pages on every node. Stored already: a page not told sees it when it next
        loads the list."""
        await tell_processes(self.backend, notice, about="a starred room", log=log)
