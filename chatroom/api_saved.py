"""Saved messages: ``GET /api/me/saved``, ``GET /api/me/saved/{room}``, ``PUT``/``DELETE
/api/me/saved/{room}/{id}``.

A person saves a message to come back to it; the list is theirs alone. A
message is saved only where its person may read it (access.py): a room or
a message they may not see answers 404 ``not_found``, the same answer for
both and for one that does not exist. The list gives each message as it
stands now (its edits, its deletion, its reactions), and leaves out, with no
byte of them, the messages of rooms the person may no longer read: they
stay saved, and show again if access comes back (docs/security.md, "Saved
messages"). Saving and unsaving tell the person's other pages (a ``saved``
frame, no byte of the message).
"""

from __future__ import annotations

import logging
import urllib.parse
from typing import Any

from . import changes, protocol
from .access import Readable
from .api import ApiError, JsonHandler, one_page
from .backend import StoredMessage, tell_processes
from .events import SavedNotice
from .identity import Identity
from .store.records import SavedMessage

log = logging.getLogger("chatroom.notices")

# How many messages one person keeps saved: a list to come back to, not an archive.
MAX_SAVED = 1000
DEFAULT_LIMIT = 50
MAX_LIMIT = 200


def no_such_message() -> ApiError:
    """The answer for a message one may not see, or that does not exist, or whose room is either."""
    return ApiError(404, protocol.NOT_FOUND, "there is no such message, or you may not see it")


class SavedBaseHandler(JsonHandler):
    """What every saved messages handler asks first: a person (no guest, no bot)."""

    def person(self) -> Identity:
        """Who asks, a person; 401 for nobody or a guest, 403 for a bot."""
        return self.person_asking("only people save messages", "guests save nothing")

    async def readable(self, who: Identity, room: str) -> Readable | None:
        """The room when ``who`` may read it, else None."""
        return await self.unavailable_if_failing(self.access.readable(who, room))

    async def message(self, room: str, message_id: int) -> StoredMessage | None:
        """The message of the room with that id, as it stands now; None when there is none."""
        found = await self.unavailable_if_failing(
            self.backend.history(room, after=message_id - 1, before=message_id + 1, limit=1)
        )
        return found[0] if found else None

    async def tell_pages(self, notice: SavedNotice) -> None:
        """Tell the person's pages on every node. Saved already: a page not told sees it when it next
        loads the list."""
        await tell_processes(self.backend, notice, about="a saved message", log=log)


class SavedHandler(SavedBaseHandler):
    """``GET /api/me/saved?before=&limit=``: ``{"saved": [{"room", "id", "saved_at", "message"}], "next"}``,
    newest saved first; ``message`` is the message's user frame as it stands, ``next`` the URL of the
    following page (null on the last). ``before`` is a ``saved_at``."""

    async def get(self) -> None:
        who = self.person()
        before = self.int_argument("before")
        limit = self.limit_argument(DEFAULT_LIMIT, MAX_LIMIT)
        page, more = one_page(await self._shown(who, before, limit + 1), limit)
        self.send_json({"saved": page, "next": self._next_url(page[-1]["saved_at"], limit) if more else None})

    async def _shown(self, who: Identity, before: int | None, wanted: int) -> list[dict[str, Any]]:
        """Up to ``wanted`` entries the person may read, reading past those they may not."""
        accounts, rooms = self.backend.accounts, {}
        entries: list[dict[str, Any]] = []
        while len(entries) < wanted:
            rows = await self.unavailable_if_failing(
                accounts.saved_messages(who.account_id, before=before, limit=wanted)
            )
            for row in rows:
                if row.room not in rooms:
                    rooms[row.room] = await self.readable(who, row.room) is not None
                entry = await self._entry(row) if rooms[row.room] else None
                if entry is not None:
                    entries.append(entry)
            if len(rows) < wanted:
                break
            before = rows[-1].saved_at
        return entries[:wanted]

    async def _entry(self, saved: SavedMessage) -> dict[str, Any] | None:
        message = await self.message(saved.room, saved.message_id)
        if message is None:
            return None
        return {
            "room": saved.room,
            "id": saved.message_id,
            "saved_at": saved.saved_at,
            "message": changes.message_frame(message),
        }

    @staticmethod
    def _next_url(before: int, limit: int) -> str:
        return "/api/me/saved?" + urllib.parse.urlencode({"before": str(before), "limit": str(limit)})


class SavedInRoomHandler(SavedBaseHandler):
    """``GET /api/me/saved/{room}``: ``{"room", "ids"}``, the ids of the person's saved messages of a
    room they may read (the page marks them); 404 for a room they may not."""

    async def get(self, raw_room: str) -> None:
        who = self.person()
        room = self.room_argument(raw_room)
        if await self.readable(who, room) is None:
            raise no_such_message()
        ids = await self.unavailable_if_failing(self.backend.accounts.saved_in(who.account_id, room))
        self.send_json({"room": room, "ids": ids})


class SavedMessageHandler(SavedBaseHandler):
    """``PUT /api/me/saved/{room}/{id}`` saves the message (again: no change), answering ``{"room", "id",
    "saved_at"}``; ``DELETE`` unsaves it (204, saved or not)."""

    async def put(self, raw_room: str, raw_id: str) -> None:
        who = self.person()
        room, message_id = self.room_argument(raw_room), self._message_id(raw_id)
        if await self.readable(who, room) is None:
            raise no_such_message()
        message = await self.message(room, message_id)
        if message is None or message.deleted:
            raise no_such_message()
        saved = await self.unavailable_if_failing(
            self.backend.accounts.save_message(who.account_id, room, message_id, limit=MAX_SAVED)
        )
        if saved is None:
            raise ApiError(
                409,
                protocol.TOO_MANY_SAVED,
                f"you keep {MAX_SAVED} messages saved, the most there is: remove some to save more",
            )
        await self.tell_pages(SavedNotice(who.account_id, room, message_id, saved.saved_at))
        self.send_json({"room": room, "id": message_id, "saved_at": saved.saved_at})

    async def delete(self, raw_room: str, raw_id: str) -> None:
        """Unsave it, asking no access: it tells nothing but what the person saved."""
        who = self.person()
        room, message_id = self.room_argument(raw_room), self._message_id(raw_id)
        accounts = self.backend.accounts
        if await self.unavailable_if_failing(accounts.unsave_message(who.account_id, room, message_id)):
            await self.tell_pages(SavedNotice(who.account_id, room, message_id, None))
        self.set_status(204)
        self.finish()

    @staticmethod
    def _message_id(raw: str) -> int:
        if not (raw.isascii() and raw.isdigit() and len(raw) < 19) or int(raw) < 1:
            raise ApiError(400, protocol.BAD_REQUEST, "a message id is a whole number from 1")
        return int(raw)
