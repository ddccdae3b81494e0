"""Followed threads: ``GET /api/me/threads``, ``PUT``/``DELETE /api/me/threads/{room}/{root}/follow``,
``PUT /api/me/threads/{room}/{root}/read``.

A person follows a thread by starting, replying in or being mentioned in it
(thread_following.py), or at will here. The list is theirs alone, and
holds no byte of a room they may no longer read (thread_list.py); following
or reading a thread of a room they may not read answers 404 ``not_found``,
the same as for a message that does not exist. Each change is told to the
person's every page on every node (a ``thread`` frame: thread_desk.py).
"""

from __future__ import annotations

import urllib.parse
from typing import Any

from . import protocol, thread_list
from .access import Access
from .api import ApiError
from .api_saved import SavedBaseHandler, no_such_message
from .backend import Backend
from .events import ThreadNotice
from .identity import Identity
from .thread_desk import ThreadDesk

DEFAULT_LIMIT = 20
MAX_LIMIT = 100


class ThreadsBaseHandler(SavedBaseHandler):
    """What every followed threads handler asks first: a person (no guest, no bot); the desk."""

    def initialize(self, *args: Any, threads: ThreadDesk, **kwargs: Any) -> None:  # type: ignore[override]
        super().initialize(*args, **kwargs)
        self.threads = threads

    async def root(self, who: Identity, raw_room: str, raw_root: str) -> tuple[str, int]:
        """The room and root of a thread ``who`` may read: 404 for a room or message they may not see,
        400 ``bad_thread`` for a message that is a reply in a thread itself."""
        room, root = self.room_argument(raw_room), message_id(raw_root)
        if await self.readable(who, room) is None:
            raise no_such_message()
        message = await self.message(room, root)
        if message is None:
            raise no_such_message()
        if message.thread is not None:
            raise ApiError(
                400,
                protocol.BAD_THREAD,
                f"message {root} is a reply in a thread: its thread is message {message.thread}'s",
            )
        return room, root

    def send_state(self, notice: ThreadNotice) -> None:
        """The person's state of the thread, as the ``thread`` frame has it (without its type)."""
        frame = protocol.thread_frame(notice.room, notice.root, notice.following, notice.read_id)
        del frame["type"]
        self.send_json(frame)


class ThreadsHandler(ThreadsBaseHandler):
    """``GET /api/me/threads?offset=&limit=``: ``{"threads": [...], "unread", "mentions", "next"}``, the
    threads the person follows (thread_list.py says what an entry holds and in what order); ``unread``
    how many of them have replies they have not read, ``mentions`` how many of those mention them,
    ``next`` the URL of the following page (null on the last)."""

    async def get(self) -> None:
        who = self.person()
        offset = self.int_argument("offset") or 0
        limit = self.limit_argument(DEFAULT_LIMIT, MAX_LIMIT)
        if offset < 0:
            raise ApiError(400, protocol.BAD_REQUEST, "offset is a whole number from 0")
        answer = await self.unavailable_if_failing(listing(self.backend, self.access, who, offset, limit))
        self.send_json(answer)


async def listing(backend: Backend, access: Access, who: Identity, offset: int, limit: int) -> dict[str, Any]:
    """A page of the person's followed threads, with the counts over all of them."""
    follows = await thread_list.readable_follows(backend, access, who)
    blocked = {block.blocked_id for block in await backend.accounts.blocks_of(who.account_id)}
    unread = {(f.room, f.root_id): await thread_list.unread_in(backend, who, f, blocked) for f in follows}
    ordered = thread_list.in_order(follows, unread)
    page = ordered[offset : offset + limit]
    entries = []
    for follow in page:
        shown = await thread_list.entry(backend, follow, unread[(follow.room, follow.root_id)], blocked)
        if shown is not None:
            entries.append(shown)
    more = len(ordered) > offset + limit
    query = urllib.parse.urlencode({"offset": str(offset + limit), "limit": str(limit)})
    return {
        "threads": entries,
        "unread": sum(1 for counted in unread.values() if counted.count),
        "mentions": sum(1 for counted in unread.values() if counted.mention),
        "next": "/api/me/threads?" + query if more else None,
    }


class FollowHandler(ThreadsBaseHandler):
    """``PUT /api/me/threads/{room}/{root}/follow`` follows the thread, ``DELETE`` unfollows it: both
    answer ``{"room", "root", "following", "read_id"}``."""

    async def put(self, raw_room: str, raw_root: str) -> None:
        await self._follow(raw_room, raw_root, True)

    async def delete(self, raw_room: str, raw_root: str) -> None:
        await self._follow(raw_room, raw_root, False)

    async def _follow(self, raw_room: str, raw_root: str, following: bool) -> None:
        who = self.person()
        room, root = await self.root(who, raw_room, raw_root)
        self.send_state(await self.unavailable_if_failing(self.threads.follow(who, room, root, following)))


class ThreadReadHandler(ThreadsBaseHandler):
    """``PUT /api/me/threads/{room}/{root}/read`` ``{"id": N}``: the thread is read up to reply N (never
    backwards, never past the room's newest message); answers ``{"room", "root", "following",
    "read_id"}``. A thread one has never followed keeps no position: following false, read_id 0."""

    async def put(self, raw_room: str, raw_root: str) -> None:
        who = self.person()
        room, root = await self.root(who, raw_room, raw_root)
        upto = min(self._read_id(), await self.unavailable_if_failing(self.backend.last_id(room)))
        notice = await self.unavailable_if_failing(self.threads.read(who, room, root, upto))
        self.send_state(notice or ThreadNotice(who.account_id, room, root, False, 0))

    def _read_id(self) -> int:
        value = self.json_object().get("id")
        if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= protocol.MAX_CLIENT_INT:
            raise ApiError(
                400, protocol.BAD_REQUEST, f'"id" must be an id from 0 to {protocol.MAX_CLIENT_INT}'
            )
        return value


def message_id(raw: str) -> int:
    """A message id from a path: a whole number from 1; else 400 bad_request."""
    if not (raw.isascii() and raw.isdigit() and len(raw) < 19) or int(raw) < 1:
        raise ApiError(400, protocol.BAD_REQUEST, "a message id is a whole number from 1")
    return int(raw)
