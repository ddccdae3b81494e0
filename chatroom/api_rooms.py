"""The rooms API: the rooms one may see, a room's history, and publishing to a room."""

from __future__ import annotations

import urllib.parse
from typing import Any

import orjson

from . import access, changes, metrics, polls, protocol, thread_reads
from .access import Readable, member_names
from .allowances import Allowance
from .api import ApiError, JsonHandler, one_page, room_not_found, spend_allowance
from .backend import BackendError, StoredMessage
from .identity import Identity
from .mentions import mentions_many
from .protocol import ProtocolError
from .store.change_rules import ChangeRefusedError
from .store.records import DIRECT, PERSON, RoomRecord
from .unread import UnreadDesk

MAX_API_LIMIT = 500
DEFAULT_ROOMS_LIMIT = 50
MAX_ROOMS_LIMIT = 200


class RoomsHandler(JsonHandler):
    """``GET /api/rooms?prefix=&after=&limit=``: a page of the rooms the asker may see, by name.

    Open rooms, and the closed and direct rooms the asker is a member of
    (for a guest: open rooms, with those that have someone in them and no
    record yet), in code point order of their names; ``next`` is the URL of
    the following page, null on the last one.
    """

    # Given by the handler that serves the list (api_manage.ManageHandler): an account's counts.
    unread: UnreadDesk | None = None

    async def get(self) -> None:
        prefix = self.name_argument("prefix")
        after = self.name_argument("after")
        limit = self.limit_argument(DEFAULT_ROOMS_LIMIT, MAX_ROOMS_LIMIT)
        # One more than asked says whether another page follows.
        page, more = one_page(
            await self.unavailable_if_failing(self.visible_page(prefix, after, limit + 1)), limit
        )
        self.send_json(
            {"rooms": page, "next": self._next_url(prefix, page[-1]["room"], limit) if more else None}
        )

    async def visible_page(self, prefix: str, after: str, limit: int) -> list[dict[str, Any]]:
        """Up to ``limit`` rooms the asker may see, by name, with how many are online in each."""
        listed = {
            record.room: record
            for record in await self.access.visible_rooms(self.who, prefix=prefix, after=after, limit=limit)
        }
        if self.who is None:
            # A guests' room exists without a record while someone is in it and nothing is written (v1).
            for info in await self.backend.rooms(prefix=prefix, after=after, limit=limit):
                if info.room not in listed and await self.backend.accounts.room_record(info.room) is None:
                    listed[info.room] = RoomRecord(info.room, last_id=info.last_id)
        return await self.room_entries([listed[name] for name in sorted(listed)[:limit]])

    async def room_entries(self, records: list[RoomRecord]) -> list[dict[str, Any]]:
        """The list's entries of these rooms (in their order): how many are online in each, a direct
        room's members, for an account its counts, and for a person whether they starred the room."""
        counts = await self.backend.online_counts([record.room for record in records])
        entries = [protocol.room_entry(record, count) for record, count in zip(records, counts, strict=True)]
        for entry in entries:
            if entry["kind"] == DIRECT:
                entry["members"] = await member_names(self.backend.accounts, entry["room"])
        if self.who is not None and self.unread is not None:
            await self.unread.add_counts(self.who, entries)
        if self.who is not None and self.who.account.kind == PERSON:
            # People star rooms (api_stars.py); a bot's and a guest's entries have no such field.
            starred = {star.room for star in await self.backend.accounts.starred_rooms(self.who.account_id)}
            for entry in entries:
                entry["starred"] = entry["room"] in starred
        return entries

    def name_argument(self, name: str) -> str:
        """A room name (or the start of one) from the query, "" when absent; else 400 bad_request."""
        # Judged on what was sent: get_argument turns control characters into spaces.
        values = self.request.query_arguments.get(name)
        raw = values[-1].decode("utf-8", errors="replace") if values else ""
        if not raw:
            return ""
        try:
            return protocol.normalize_room(raw)
        except ProtocolError as error:
            raise ApiError(400, protocol.BAD_REQUEST, f"{name}: {error.message}") from None

    @staticmethod
    def _next_url(prefix: str, last: str, limit: int) -> str:
        query = {"after": last, "limit": str(limit)}
        if prefix:
            query = {"prefix": prefix, **query}
        return "/api/rooms?" + urllib.parse.urlencode(query, quote_via=urllib.parse.quote)


class RoomReadingHandler(JsonHandler):
    """What reads a room's messages asks first: whether the asker may read them (else 404)."""

    async def readable(self, room: str) -> bool:
        """Whether the asker may read the room: access says so, or it is a guests' room not yet written to."""
        if await self.access.readable(self.who, room) is not None:
            return True
        return (
            self.who is None and self.access.guests and await self.backend.accounts.room_record(room) is None
        )


def why_a_bot_may_not(readable: Readable) -> str:
    """Why a bot may not post (or change messages) in a room it reads: not put in it, or the room's rule."""
    if readable.membership is None and readable.room.archived_at is None:
        return f"this bot is not a member of {readable.room.room!r}: an administrator adds it to rooms"
    return access.posting_refusal(readable.room)


class BotWritingHandler(RoomReadingHandler):
    """A room's handler where bots write: each message or change a bot makes through the API spends one
    of its ``--bot-messages-per-minute``, counted by the whole deployment (allowances.py)."""

    def initialize(self, bot_writes: Allowance, **api: Any) -> None:  # type: ignore[override]
        super().initialize(**api)
        self.bot_writes = bot_writes

    async def spend_bot_write(self, bot: Identity) -> None:
        """Count one write of ``bot``; 429 ``rate_limited`` (with Retry-After) when it writes too fast."""
        most = self.bot_writes.per_minute
        too_fast = f"at most {most} messages and changes a minute from one bot"
        await spend_allowance(self.bot_writes, str(bot.account_id), too_fast)


class MessagesHandler(BotWritingHandler):
    """``GET`` a room's history page (404 for a room the asker may not see); ``POST`` a message as a bot.

    A bot posts to the rooms it is a member of (access.may_post): a room it
    may not see answers 404 as if it did not exist, a room it may read but
    not post in (an open room it was not put in, an archived one, one where
    only its owner and administrators post) 403.
    """

    async def get(self, raw_room: str) -> None:
        room = self.room_argument(raw_room)
        after, before = self.int_argument("after"), self.int_argument("before")
        limit = self.limit_argument(50, MAX_API_LIMIT)
        around = self.int_argument("around")
        if around is not None and (after is not None or before is not None):
            raise ApiError(400, protocol.BAD_REQUEST, "around cannot be combined with after or before")
        read = thread_reads.page_reader(self.backend, room, self.int_argument("thread"), self._top_argument())
        if not await self.unavailable_if_failing(self.readable(room)):
            raise room_not_found()
        if around is not None:
            messages = await self.unavailable_if_failing(self._around(read, around, limit))
        else:
            # With only "after", page forwards from it; otherwise show the newest.
            newest = after is None or before is not None
            messages = await self.unavailable_if_failing(read(after, before, limit, newest))
        self.send_json({"room": room, "messages": [changes.message_frame(m) for m in messages]})

    def _top_argument(self) -> bool:
        """``top=1``: the main timeline only; 400 for anything but 0 or 1."""
        top = self.get_argument("top", "0")
        if top not in ("0", "1"):
            raise ApiError(400, protocol.BAD_REQUEST, "top must be 0 or 1")
        return top == "1"

    @staticmethod
    async def _around(read: thread_reads.PageReader, around: int, limit: int) -> list[StoredMessage]:
        """Up to ``limit`` messages around id ``around``: it and older ones, then newer (a permalink)."""
        older = await read(None, around + 1, (limit + 1) // 2, True)
        newer = await read(around, None, limit - len(older), False)
        return older + newer

    async def post(self, raw_room: str) -> None:
        """Publish as the bot whose key the request carries, under the bot's own name."""
        bot = self.bot_asking("only bot accounts post through the API; people post on the socket")
        room = self.room_argument(raw_room)
        text, ref, reply_to, thread, broadcast = self._read_post_body()
        await self.spend_bot_write(bot)
        readable = await self.unavailable_if_failing(self.access.readable(bot, room))
        if readable is None:
            raise room_not_found()
        if not access.may_post(bot, readable.room, readable.membership, guests=self.access.guests):
            raise ApiError(403, protocol.FORBIDDEN, why_a_bot_may_not(readable))
        if mentions_many(text) and not access.may_mention_room(bot, readable.room, readable.membership):
            raise ApiError(403, protocol.ROOM_MENTION_FORBIDDEN, access.room_mention_refusal(readable.room))
        metrics.MESSAGES_RECEIVED.inc()
        try:
            # A retry after a lost response, with the same ref, is stored once.
            stored = await self.backend.publish(
                room, bot.name, text, ref=ref, bot=True, account_id=bot.account_id, reply_to=reply_to,
                thread=thread, broadcast=broadcast,
            )  # fmt: skip
        except ChangeRefusedError as refused:
            raise ApiError(400, refused.code, refused.message) from None
        except BackendError:
            raise ApiError(503, protocol.UNAVAILABLE, "the message could not be stored; try again") from None
        metrics.MESSAGES_STORED.inc()
        self.send_json(changes.message_frame(stored), 201)

    def _read_post_body(self) -> tuple[str, str | None, int | None, int | None, bool]:
        """The message, its optional ref, the message it answers, the thread it replies in and whether it
        is also sent to the room; a "nick" is ignored: a bot posts under its own name."""
        try:
            body = orjson.loads(self.request.body)
        except orjson.JSONDecodeError:
            raise ApiError(400, protocol.BAD_JSON, "the body is not valid JSON") from None
        if not isinstance(body, dict) or not isinstance(body.get("message"), str):
            raise ApiError(400, protocol.BAD_REQUEST, 'the body must be {"message": string}')
        try:
            text = protocol.clean_text(body["message"], self.config.max_message_length)
            polls.check_poll_text(text)
            reply_to = changes.optional_id(body, "reply_to")
            thread = changes.optional_id(body, "thread")
            broadcast = changes.broadcast(body, thread)
        except ProtocolError as error:
            raise ApiError(400, error.code, error.message) from None
        return text, self._post_ref(body), reply_to, thread, broadcast

    @staticmethod
    def _post_ref(body: dict[str, Any]) -> str | None:
        """The body's optional "ref", as a message frame's."""
        ref = body.get("ref")
        if ref is not None and (not isinstance(ref, str) or len(ref) > protocol.MAX_REF_LENGTH):
            raise ApiError(
                400,
                protocol.BAD_REQUEST,
                f'"ref" must be a string of at most {protocol.MAX_REF_LENGTH} characters',
            )
        return ref


class PinsHandler(RoomReadingHandler):
    """``GET`` a room's pinned messages, most recently pinned first (404 for a room the asker may not see)."""

    async def get(self, raw_room: str) -> None:
        room = self.room_argument(raw_room)
        if not await self.unavailable_if_failing(self.readable(room)):
            raise room_not_found()
        pinned = await self.unavailable_if_failing(self.backend.pinned(room))
        self.send_json({"room": room, "messages": [changes.message_frame(m) for m in pinned]})
