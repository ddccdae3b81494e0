"""A room's members (list, add, remove, leave) and the accounts a name picker offers.

An administrator manages a closed room's members without reading it; adding
oneself is the way in, and it shows in the member list. A direct room's
members are its own: nobody adds to it, each may leave it.
"""

from __future__ import annotations

import urllib.parse
from typing import Any

from . import protocol
from .access import may_list_members, may_manage_members, may_read, may_remove_member
from .api import ApiError, JsonHandler, room_not_found
from .api_manage import BARRED, UNKNOWN_ACCOUNT, ManageHandler
from .api_status import add_marks
from .clock import now_ms
from .events import ROOM_MEMBERS
from .identity import Identity
from .moderation import audit, keep_act
from .store.acts_base import REMOVE_MEMBER, ModerationAct
from .store.records import DIRECT, OPEN, Account, Membership, RoomRecord

DEFAULT_PICKS = 10
MAX_PICKS = 50
# A room of up to a hundred members is seen whole at once (what clients before paging got); a room everyone
# is in, of thousands, is read a page at a time.
DEFAULT_MEMBERS = 100
MAX_MEMBERS = 500


def member_entry(account: Account, membership: Membership) -> dict[str, Any]:
    """A member as the member list shows it: public facts only."""
    return {**account_entry(account), "role": membership.role}


def account_entry(account: Account) -> dict[str, Any]:
    """An account as the picker offers it: its name, whether a bot or an administrator, its colour;
    nothing private. Whether an administrator is asked each time, never kept on messages: a page marks
    the administrators it shows (``Administrator`` beside ``admin`` is someone else) as they are now."""
    return {"name": account.name, "bot": account.is_bot, "admin": account.is_admin, "color": account.color}


class MembersHandler(ManageHandler):
    """``GET /api/rooms/{room}/members?prefix=&after=&limit=`` lists a page of them; ``POST`` ``{"name"}``
    adds one (owner, administrator) and answers the first page."""

    async def get(self, raw_room: str) -> None:
        room = self.room_argument(raw_room)
        record, membership = await self.room_and_membership(room)
        if record is None or not may_list_members(self.who, record, membership):
            raise room_not_found()
        prefix = self.get_argument("prefix", "")
        after = self.get_argument("after", "")
        limit = self.limit_argument(DEFAULT_MEMBERS, MAX_MEMBERS)
        self.send_json(await self.members_page(room, prefix=prefix, after=after, limit=limit))

    async def post(self, raw_room: str) -> None:
        who = self.person()
        room = self.room_argument(raw_room)
        record, membership = await self.room_and_membership(room)
        self.refuse_unless_managing(who, room, record, membership)
        assert record is not None
        name = self.json_object().get("name")
        if not isinstance(name, str):
            raise ApiError(400, protocol.BAD_REQUEST, 'the body must be {"name": an account name}')
        account = (await self.accounts_named([name]))[0]
        if await self.unavailable_if_failing(self.backend.accounts.room_bar(room, account.id)):
            raise ApiError(409, BARRED, f"{account.name!r} is barred from this room: lift the bar first")
        existing = await self.unavailable_if_failing(self.backend.accounts.membership(room, account.id))
        if existing is None:
            await self.unavailable_if_failing(self.backend.accounts.add_member(room, account.id))
            await self.notify(record, ROOM_MEMBERS)
        self.send_json(await self.members_page(room), 200 if existing else 201)

    async def room_and_membership(self, room: str) -> tuple[RoomRecord | None, Membership | None]:
        """The room's record and the asker's membership of it (either may be None); neither for one
        barred from it, to whom the room is as one that does not exist."""
        record = await self.unavailable_if_failing(self.backend.accounts.room_record(room))
        if record is None or await self.unavailable_if_failing(self.access.barred(self.who, room)):
            return None, None
        return record, await self.unavailable_if_failing(self.access.membership_of(self.who, room))

    def refuse_unless_managing(
        self, who: Identity, room: str, record: RoomRecord | None, membership: Membership | None
    ) -> None:
        """404 when ``who`` may neither manage nor see the room; 403 when they see it, not manage it."""
        if record is not None and may_manage_members(who, record, membership):
            return
        if record is not None and may_read(who, record, membership, guests=False):
            what = "a direct conversation's members" if record.kind == DIRECT else "members"
            raise ApiError(
                403, protocol.FORBIDDEN, f"only the room's owner or an administrator may change {what}"
            )
        raise room_not_found()

    async def members_page(
        self, room: str, *, prefix: str = "", after: str = "", limit: int = DEFAULT_MEMBERS
    ) -> dict[str, Any]:
        """A page of the room's members by name (case and look-alikes folded), how many members it has in
        all, and the address of the next page (None after the last)."""
        accounts = self.backend.accounts
        # One more than asked says whether another page follows.
        found = await self.unavailable_if_failing(
            accounts.members_page(room, prefix=prefix, after=after, limit=limit + 1)
        )
        page = [member_entry(account, membership) for account, membership in found[:limit]]
        ids = [account.id for account, _ in found[:limit]]
        await self.unavailable_if_failing(add_marks(accounts, page, ids))
        following = _next_url(room, prefix, page[-1]["name"], limit) if len(found) > limit else None
        count = await self.unavailable_if_failing(accounts.count_members(room))
        return {"room": room, "members": page, "count": count, "next": following}


def _next_url(room: str, prefix: str, last: str, limit: int) -> str:
    """The address of the page of members after ``last``, starting like ``prefix`` as this one does."""
    query = {"after": last, "limit": str(limit)}
    if prefix:
        query = {"prefix": prefix, **query}
    path = urllib.parse.quote(room, safe="")
    return f"/api/rooms/{path}/members?" + urllib.parse.urlencode(query, quote_via=urllib.parse.quote)


class MemberHandler(MembersHandler):
    """``DELETE /api/rooms/{room}/members/{name}``: remove a member (owner or administrator), or leave."""

    async def delete(self, raw_room: str, name: str) -> None:
        # A bot may leave a room it was put in; removing others is for people who manage it.
        who = self.account()
        room = self.room_argument(raw_room)
        record, membership = await self.room_and_membership(room)
        account = await self.unavailable_if_failing(self.backend.accounts.account_by_name(name))
        oneself = account is not None and account.id == who.account_id
        if (
            oneself
            and record is not None
            and membership is None
            and may_read(who, record, None, guests=False)
        ):
            # Reading an open room is not being in it: there is nothing to leave, and nothing was refused.
            raise ApiError(404, protocol.NOT_FOUND, "you are not a member of this room")
        if record is None or not may_remove_member(who, record, membership, oneself=oneself):
            self.refuse_unless_managing(who, room, record, membership)
        assert record is not None
        if account is None:
            raise ApiError(404, UNKNOWN_ACCOUNT, f"there is no account {name!r}")
        if not await self.unavailable_if_failing(self.backend.accounts.remove_member(room, account.id)):
            raise ApiError(404, protocol.NOT_FOUND, f"{account.name!r} is not a member of this room")
        if record.kind == OPEN:
            # Who marked an open room read follows it: out of it, they follow it no more until they read it
            # again (a room everyone is in gave its members a position they never chose).
            forgetting = self.backend.accounts if self.unread is None else self.unread
            await self.unavailable_if_failing(forgetting.forget_read_position(account.id, room))
        # An open room stays visible to who left it; the others are gone from their list.
        await self.notify(record, ROOM_MEMBERS, removed=() if record.kind == OPEN else (account.id,))
        if not oneself:
            audit.info("%r took %r out of %r", who.name, account.name, room)
            act = ModerationAct(
                REMOVE_MEMBER, now_ms(), who.name, account.name, who.account_id, account.id, room
            )
            await keep_act(self.backend.accounts, act)
        self.set_status(204)
        self.finish()


class AccountsHandler(JsonHandler):
    """``GET /api/accounts?prefix=&limit=``: active accounts whose name starts so, for a name picker.

    Accounts only (a guest gets 401); names, bot and administrator marks, colours,
    which avatar each shows (``/avatars/{name}`` answers anyone), and each one's status
    and paused notifications (api_status.py), nothing else.
    """

    async def get(self) -> None:
        if self.who is None:
            raise ApiError(401, protocol.UNAUTHORIZED, "sign in first: guests cannot look people up")
        prefix = self.get_argument("prefix", "")
        limit = self.limit_argument(DEFAULT_PICKS, MAX_PICKS)
        found = await self.unavailable_if_failing(
            self.backend.accounts.active_accounts_named(prefix, limit=limit)
        )
        # A page asks for the pictures there are, at an address that changes with them (the file's id,
        # new at each change), instead of every name's.
        avatars = await self.unavailable_if_failing(self.backend.files.avatar_ids([a.id for a in found]))
        entries = [_entry(account, avatars.get(account.id)) for account in found]
        await self.unavailable_if_failing(add_marks(self.backend.accounts, entries, [a.id for a in found]))
        self.send_json({"accounts": entries})


def _entry(account: Account, avatar: str | None) -> dict[str, Any]:
    """A picker's entry: ``avatar`` only when the account has one."""
    entry = account_entry(account)
    if avatar is not None:
        entry["avatar"] = avatar
    return entry
