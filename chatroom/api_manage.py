"""Rooms people create and manage: create a room, rename, archive, set who posts.

Who may do what is access.py's; this module reads the request, asks it,
changes the store, and tells every node (Backend.notify) so members' pages
and sockets follow at once. Members are api_members.py's, direct conversations
api_direct.py's.
"""

from __future__ import annotations

import unicodedata
from typing import Any

from . import protocol
from .access import Access, Readable, may_create_rooms, may_manage, may_put_everyone_in, member_names
from .allowances import Allowance
from .api import ApiError, JsonHandler, room_not_found, spend_allowance
from .api_rooms import RoomsHandler
from .api_topic import asks_topic_alone, topic_asked
from .backend import Backend
from .config import Settings
from .events import (
    ROOM_ARCHIVED,
    ROOM_CREATED,
    ROOM_EVERYONE_IN,
    ROOM_MENTIONS,
    ROOM_POSTING,
    ROOM_RENAMED,
    ROOM_TOPIC,
    ROOM_UNARCHIVED,
    RoomNotice,
)
from .identity import Authenticator, Identity
from .line_text import breaks_line, hides_text
from .links import SetupState
from .names import DIRECT_PREFIX, is_direct_name
from .protocol import room_entry
from .store.accounts_base import RoomTakenError
from .store.records import (
    CLOSED,
    DIRECT,
    EVERYONE,
    OPEN,
    POSTING_RULES,
    Account,
    Membership,
    RoomRecord,
)
from .unread import UnreadDesk

MAX_TITLE_LENGTH = 100
# Named at once in a new room, or in a direct conversation (the caller aside).
MAX_NAMED_MEMBERS = 100
MAX_DIRECT_MEMBERS = 20


def clean_posting(raw: object, kind: str) -> str:
    """Who posts in a room, from a body: "everyone", or "managers" (its owner and administrators);
    400 for anything else, or for a direct room, where everyone posts."""
    if raw not in POSTING_RULES:
        raise ApiError(400, protocol.BAD_REQUEST, '"posting" must be "everyone" or "managers"')
    if kind == DIRECT and raw != EVERYONE:
        raise ApiError(400, protocol.BAD_REQUEST, "everyone posts in a direct conversation")
    return str(raw)


def clean_room_mentions(raw: object) -> str:
    """Who may mention the whole room (``@room``), from a body: "everyone", or "managers"; 400 else."""
    if raw not in POSTING_RULES:
        raise ApiError(400, protocol.BAD_REQUEST, '"room_mentions" must be "everyone" or "managers"')
    return str(raw)


def clean_title(raw: object) -> str | None:
    """A room title from a body: one line of at most MAX_TITLE_LENGTH characters; "" or null clears it."""
    if raw is None:
        return None
    if not isinstance(raw, str):
        raise ApiError(400, protocol.BAD_REQUEST, '"title" must be a string or null')
    title = unicodedata.normalize("NFC", raw).strip()
    if breaks_line(title) or hides_text(title):
        raise ApiError(400, protocol.BAD_REQUEST, "the title may not hold control characters or line breaks")
    if len(title) > MAX_TITLE_LENGTH:
        raise ApiError(400, protocol.TOO_LONG, f"a title has at most {MAX_TITLE_LENGTH} characters")
    return title or None


class ManageHandler(JsonHandler):
    """Base of the handlers that change rooms: JSON bodies, accounts named in them, notices."""

    def initialize(  # type: ignore[override]
        self,
        config: Settings,
        backend: Backend,
        authenticator: Authenticator,
        access: Access,
        creations: Allowance,
        setup: SetupState | None = None,
        unread: UnreadDesk | None = None,
    ) -> None:
        super().initialize(config, backend, authenticator, access, setup)
        # Rooms and direct conversations created, per account (shared by every handler).
        self.creations = creations
        # Read marks and unread counts (the rooms list shows them to an account).
        self.unread = unread

    def account(self) -> Identity:
        """Who asks, when an account (a bot's too): 401 for a guest."""
        if self.who is None:
            raise ApiError(401, protocol.UNAUTHORIZED, "sign in first: guests do not create or manage rooms")
        return self.who

    def person(self) -> Identity:
        """Who asks, when a person's account: 401 for a guest, 403 for a bot."""
        if not may_create_rooms(self.account()):
            raise ApiError(403, protocol.FORBIDDEN, "bots do not create or manage rooms")
        assert self.who is not None
        return self.who

    async def spend_creation(self, who: Identity) -> None:
        """Count one room made by ``who``; 429 rate_limited when they make them too fast."""
        await spend_allowance(self.creations, str(who.account_id), "you are creating rooms too fast")

    async def accounts_named(self, raw: object, *, limit: int = MAX_NAMED_MEMBERS) -> list[Account]:
        """The active accounts a body's list of names names; 400 when one is not a name or not an account."""
        if raw is None:
            return []
        if not isinstance(raw, list) or not all(isinstance(name, str) for name in raw):
            raise ApiError(400, protocol.BAD_REQUEST, '"members" must be a list of account names')
        if len(raw) > limit:
            raise ApiError(400, protocol.BAD_REQUEST, f"name at most {limit} members at once")
        found: dict[int, Account] = {}
        for name in raw:
            account = await self.unavailable_if_failing(self.backend.accounts.account_by_name(name))
            if account is None or not account.active:
                raise ApiError(400, UNKNOWN_ACCOUNT, f"there is no account {name!r}")
            found[account.id] = account
        return list(found.values())

    async def entry(self, record: RoomRecord, *, readable: bool = True) -> dict[str, Any]:
        """The room as GET /api/rooms lists it; without its last id for a manager who may not read it."""
        online = (await self.unavailable_if_failing(self.backend.online_counts([record.room])))[0]
        entry = room_entry(record, online if readable else 0)
        if not readable:
            del entry["last_id"]
        if record.kind == DIRECT:
            entry["members"] = await self.unavailable_if_failing(
                member_names(self.backend.accounts, record.room)
            )
        return entry

    async def notify(
        self, record: RoomRecord, change: str, *, removed: tuple[int, ...] = (), by: str | None = None
    ) -> None:
        """Tell every node's members of the change: who may see the room now, who no longer may."""
        members: tuple[int, ...] = ()
        if record.kind != OPEN:
            members = tuple(m.account_id for m in await self.backend.accounts.members_of(record.room))
        notice = RoomNotice(record.room, change, members=members, removed=removed, by=by)
        await self.unavailable_if_failing(self.backend.notify(notice))


# The error code for a body that names someone without an account.
UNKNOWN_ACCOUNT = protocol.UNKNOWN_ACCOUNT
# The error code for adding to a room an account barred from it (api_bars.py).
BARRED = "barred"


class CreateRoomsHandler(RoomsHandler, ManageHandler):
    """``GET /api/rooms`` (api_rooms.py) and ``POST /api/rooms``: create an open or closed room.

    Body ``{"room", "kind": "open"|"closed", "title"?, "members"?: [names],
    "posting"?: "everyone"|"managers"}``; the creator becomes its owner.
    201 with the room's entry.
    """

    async def post(self) -> None:
        who = self.person()
        body = self.json_object()
        kind = body.get("kind", OPEN)
        if kind not in (OPEN, CLOSED):
            raise ApiError(400, protocol.BAD_REQUEST, '"kind" must be "open" or "closed"')
        room = self.new_room_name(body.get("room"))
        title = clean_title(body.get("title"))
        posting = clean_posting(body.get("posting", EVERYONE), kind)
        members = [account.id for account in await self.accounts_named(body.get("members"))]
        await self.spend_creation(who)
        await self.refuse_guests_room(room)
        try:
            record = await self.unavailable_if_failing(
                self.backend.accounts.create_room(
                    room, kind, title=title, creator_id=who.account_id, members=members, posting=posting
                )
            )
        except RoomTakenError as error:
            raise ApiError(409, ROOM_TAKEN, str(error)) from None
        await self.notify(record, ROOM_CREATED)
        self.send_json(await self.entry(record), 201)

    async def refuse_guests_room(self, room: str) -> None:
        """409 when guests are in a room of that name (or a look-alike) that has no record yet.

        Such a room exists only on the bus (version 1's rooms): making it
        closed would leave its guests connected to a closed room.
        """
        if not self.access.guests:
            return
        if await self.unavailable_if_failing(self.backend.room_exists(room)):
            raise ApiError(409, ROOM_TAKEN, f"the room {room!r} exists")
        holder = await self.unavailable_if_failing(self.backend.claim_room(room))
        if holder is not None:
            raise ApiError(409, ROOM_TAKEN, f"the room {room!r} is too like an existing room's name")

    def new_room_name(self, raw: object) -> str:
        """The room name a body asks for, normalised; 400 bad_name, or for a name kept for direct rooms."""
        if not isinstance(raw, str):
            raise ApiError(400, protocol.BAD_REQUEST, '"room" must be a string: the new room\'s name')
        room = self.room_argument(raw)
        if is_direct_name(room):
            raise ApiError(
                400, protocol.BAD_NAME, f"names starting {DIRECT_PREFIX!r} are kept for direct messages"
            )
        return room


# The error code for a room name that is taken, or too like one that is.
ROOM_TAKEN = "room_taken"


class RoomHandler(ManageHandler):
    """``PATCH /api/rooms/{room}`` ``{"title"?, "archived"?, "posting"?, "everyone_in"?, "room_mentions"?,
    "topic"?}``: rename, archive or bring back a room, say who posts in it, make it one everyone is in,
    say who may mention all of it, set its topic.

    The owner or an administrator; never a direct room. 404 for a room one
    may not see nor manage, 403 for one one sees and may not manage.
    "everyone_in" is an administrator's alone (403 for the owner), and an
    open room's (400 for a closed one). "topic" alone is anyone's who may
    post in the room, a direct one's members too (api_topic.py).
    """

    async def patch(self, raw_room: str) -> None:
        who = self.account()
        room = self.room_argument(raw_room)
        body = self.json_object()
        if asks_topic_alone(body):
            await self.set_topic_alone(who, room, body)
            return
        who = self.person()
        record, membership = await self.managed(who, room)
        # Checked before anything changes: a body half of which is refused changes nothing.
        posting = clean_posting(body["posting"], record.kind) if "posting" in body else record.posting
        everyone_in = self.everyone_in_asked(who, record, body)
        mentions = clean_room_mentions(body.get("room_mentions", record.room_mentions))
        topic = topic_asked(who, Readable(record, membership), body, guests=self.access.guests)
        title = clean_title(body["title"]) if "title" in body else record.title
        archived = body.get("archived")
        if archived is not None and not isinstance(archived, bool):
            raise ApiError(400, protocol.BAD_REQUEST, '"archived" must be true or false')
        if topic is not None:  # before an archiving in the same body, which would leave it read-only
            record = await self.put_topic(who, record, topic)
        if title != record.title:
            record = await self.changed(self.backend.accounts.rename_room(room, title))
            await self.notify(record, ROOM_RENAMED)
        if archived is not None and archived != (record.archived_at is not None):
            record = await self.changed(self.backend.accounts.archive_room(room, archived=archived))
            await self.notify(record, ROOM_ARCHIVED if archived else ROOM_UNARCHIVED)
        if posting != record.posting:
            record = await self.changed(self.backend.accounts.set_posting(room, posting))
            await self.notify(record, ROOM_POSTING)
        if everyone_in != record.everyone_in:
            # Every person a member, in the store; one notice, and each node's pages see the entry change.
            record = await self.changed(self.backend.accounts.set_everyone_in(room, everyone_in))
            await self.notify(record, ROOM_EVERYONE_IN)
        if mentions != record.room_mentions:
            record = await self.changed(self.backend.accounts.set_room_mentions(room, mentions))
            await self.notify(record, ROOM_MENTIONS)
        readable = record.kind == OPEN or membership is not None
        self.send_json(await self.entry(record, readable=readable))

    async def set_topic_alone(self, who: Identity, room: str, body: dict[str, Any]) -> None:
        """A body that sets the topic and nothing else: anyone who may post in the room; 404 for a room
        one may not see, 403 for one one may not post in."""
        readable = await self.unavailable_if_failing(self.access.readable(who, room))
        if readable is None:
            raise room_not_found()
        topic = topic_asked(who, readable, body, guests=self.access.guests)
        assert topic is not None
        self.send_json(await self.entry(await self.put_topic(who, readable.room, topic)))

    async def put_topic(self, who: Identity, record: RoomRecord, topic: str) -> RoomRecord:
        """Store a new topic and tell every node who set it; the same topic again changes nothing."""
        if topic == record.topic:
            return record
        record = await self.changed(self.backend.accounts.set_topic(record.room, topic))
        await self.notify(record, ROOM_TOPIC, by=who.name)
        return record

    @staticmethod
    def everyone_in_asked(who: Identity, record: RoomRecord, body: dict[str, Any]) -> bool:
        """Whether the body makes the room one everyone is in (as it is, when it does not say);
        400 for a closed or direct room, 403 for someone who is not an administrator."""
        raw = body.get("everyone_in")
        if raw is None:
            return record.everyone_in
        if not isinstance(raw, bool):
            raise ApiError(400, protocol.BAD_REQUEST, '"everyone_in" must be true or false')
        if raw == record.everyone_in:
            return raw  # nothing to change, nothing to refuse (a settings form sends what it shows)
        if record.kind != OPEN:
            raise ApiError(400, protocol.BAD_REQUEST, "only an open room can be one everyone is in")
        if not may_put_everyone_in(who):
            raise ApiError(
                403, protocol.FORBIDDEN, "only an administrator decides which rooms everyone is in"
            )
        return raw

    async def managed(self, who: Identity, room: str) -> tuple[RoomRecord, Membership | None]:
        """The room and ``who``'s membership, when ``who`` may manage it; else 404 or 403."""
        record = await self.unavailable_if_failing(self.backend.accounts.room_record(room))
        membership = await self.unavailable_if_failing(self.access.membership_of(who, room))
        if record is None:
            raise room_not_found()
        if may_manage(who, record, membership):
            return record, membership
        barred = await self.unavailable_if_failing(self.access.barred(who, room))
        if (record.kind == OPEN or membership is not None) and not barred:
            raise ApiError(403, protocol.FORBIDDEN, "only the room's owner or an administrator may change it")
        raise room_not_found()

    async def changed(self, change: Any) -> RoomRecord:
        """The record a store change returns; 404 when the room vanished meanwhile."""
        record = await self.unavailable_if_failing(change)
        if not isinstance(record, RoomRecord):
            raise ApiError(404, protocol.NOT_FOUND, "the room is gone")
        return record
