"""The administrators' API: accounts (list, deactivate, reactivate) and moderation of rooms.

Every endpoint under ``/api/admin/`` answers administrators only: nobody
signed in 401, anyone else (a person, a bot) 403 ``forbidden``. Changes are
stored first, then told to every node (backend.notify), which acts on its
own connections at once:

- ``GET /api/admin/accounts?after=ID&limit=N``: accounts in id order;
- ``POST /api/admin/accounts`` ``{"name", "admin"?}``: a new person's account,
  without a password, and a one-time link (for a day) with which that
  person chooses one: the administrator hands the link over, and never
  knows the password;
- ``POST /api/admin/accounts/{id}/deactivate``: its sessions end, every
  connection of it is closed ``unauthorized``/4401 on every node, it cannot
  sign in, its bots' keys stop working; its messages stay;
- ``POST /api/admin/accounts/{id}/reactivate``: it may sign in again (its
  old sessions stay ended);
- ``POST /api/admin/accounts/{id}/sign-out``: a person's sessions end (a
  lost phone, a password someone else knows): every connection of it is
  closed ``unauthorized``/4401 on every node; it signs in again as before;
- (a member is taken out of a room with ``DELETE /api/rooms/{room}/members/
  {name}``, which administrators may use on any closed or open room:
  api_members.py);
- ``GET /api/admin/rooms?after=NAME&limit=N``: the closed rooms, by name,
  with how many members each has and whether the administrator is one of
  them (names and counts only: an administrator reads a closed room once a
  member; direct rooms are their members' alone and are not listed);
- ``POST /api/admin/guests/removals`` ``{"room", "nick", "minutes"}``: close
  a guest's connection (4403) and bar its address from guest access for
  that many minutes (moderation.py);
- (the moderation history, each of these acts kept once done, is read with
  ``GET /api/admin/moderation``: api_acts.py).
"""

from __future__ import annotations

import urllib.parse
from typing import Any

from . import protocol
from .api import ApiError, JsonHandler, one_page
from .api_groups import tell_groups_of
from .backend import BackendError
from .clock import now_ms
from .events import DEACTIVATED, SIGNED_OUT_BY_ADMIN, AccountNotice, GuestNotice, Notice, RoomNotice
from .identity import Identity
from .links import issue_reset_link
from .moderation import audit, keep_act, sessions_ended, when
from .names import BadNameError
from .protocol import ProtocolError
from .store.accounts_base import NameTakenError
from .store.acts_base import DEACTIVATE, REACTIVATE, REMOVE_GUEST, SIGN_OUT, ModerationAct
from .store.records import CLOSED, MINUTE_MS, PERSON, Account

DEFAULT_PAGE = 100
MAX_PAGE = 500
# A guest may be barred for up to 30 days.
MAX_BAR_MINUTES = 30 * 24 * 60


def account_entry(account: Account) -> dict[str, Any]:
    """An account as administrators see it (never its password hash)."""
    return {
        "id": account.id,
        "name": account.name,
        "kind": account.kind,
        "admin": account.is_admin,
        "active": account.active,
        "external": account.external,
        "created_at": account.created_at,
        "deactivated_at": account.deactivated_at,
    }


class AdminHandler(JsonHandler):
    """Base of the administrators' endpoints: who asks must be an active administrator."""

    async def prepare(self) -> None:
        await super().prepare()
        if self.who is None:
            raise ApiError(
                401,
                protocol.UNAUTHORIZED,
                "sign in as an administrator first",
                {"WWW-Authenticate": 'Bearer realm="chatroom"'},
            )
        if not self.who.is_admin:
            raise ApiError(403, protocol.FORBIDDEN, "only administrators may do this")

    @property
    def admin(self) -> Identity:
        assert self.who is not None
        return self.who

    def account_id(self, raw: str) -> int:
        """An account id from the path, or 404."""
        if not (raw.isascii() and raw.isdigit() and len(raw) < 19):
            raise ApiError(404, protocol.NOT_FOUND, f"there is no account {raw!r}")
        return int(raw)

    async def account(self, raw: str) -> Account:
        """The account the path names, or 404."""
        account = await self.unavailable_if_failing(self.backend.accounts.account_by_id(self.account_id(raw)))
        if account is None:
            raise ApiError(404, protocol.NOT_FOUND, f"there is no account {raw!r}")
        return account

    async def tell_about_room(self, room: str, change: str, removed: tuple[int, ...] = ()) -> None:
        """Tell every node that the room changed, naming who may see it now and who was taken out."""
        members = await self.unavailable_if_failing(self.backend.accounts.members_of(room))
        remaining = tuple(m.account_id for m in members)
        await self.tell_every_node(RoomNotice(room, change, members=remaining, removed=removed))

    async def keep(self, act: str, subject: str, subject_id: int | None = None, **more: Any) -> None:
        """Keep an act of this administrator's, done now, in the moderation history."""
        admin = self.admin
        done = ModerationAct(act, now_ms(), admin.name, subject, admin.account_id, subject_id, **more)
        await keep_act(self.backend.accounts, done)

    async def tell_every_node(self, notice: Notice) -> None:
        """Hand a stored change to every node; 503 when the others cannot be told (it is stored)."""
        try:
            await self.backend.notify(notice)
        except BackendError:
            raise ApiError(
                503,
                protocol.UNAVAILABLE,
                "the change is stored, but the other nodes could not be told yet: they will recheck",
            ) from None


class AdminAccountsHandler(AdminHandler):
    """``GET /api/admin/accounts?after=ID&limit=N``: a page of accounts, ``next`` the following one;
    ``POST`` ``{"name", "admin"?}``: a new person, with the link to choose a password."""

    async def get(self) -> None:
        after = self.int_argument("after") or 0
        limit = self.limit_argument(DEFAULT_PAGE, MAX_PAGE)
        page, more = one_page(
            await self.unavailable_if_failing(
                self.backend.accounts.list_accounts(after_id=after, limit=limit + 1)
            ),
            limit,
        )
        following = f"/api/admin/accounts?after={page[-1].id}&limit={limit}" if more else None
        self.send_json({"accounts": [account_entry(a) for a in page], "next": following})

    async def post(self) -> None:
        body = self.json_object()
        name, admin = body.get("name"), body.get("admin", False)
        if not isinstance(name, str) or not isinstance(admin, bool):
            raise ApiError(400, protocol.BAD_REQUEST, 'the body must be {"name": string, "admin": boolean}')
        try:
            account = await self.unavailable_if_failing(
                self.backend.accounts.create_account(name, PERSON, is_admin=admin)
            )
        except BadNameError as error:
            raise ApiError(400, protocol.BAD_NAME, str(error)) from None
        except NameTakenError as error:
            raise ApiError(409, protocol.NAME_TAKEN, str(error)) from None
        base = f"{self.request.protocol}://{self.request.host}"
        url, expires_at = await self.unavailable_if_failing(
            issue_reset_link(self.backend.accounts, account, base)
        )
        self.send_json({"account": account_entry(account), "url": url, "expires_at": expires_at}, 201)


class AdminRoomsHandler(AdminHandler):
    """``GET /api/admin/rooms?after=NAME&limit=N``: a page of the closed rooms, to manage their members."""

    async def get(self) -> None:
        after = self.get_argument("after", "")
        limit = self.limit_argument(DEFAULT_PAGE, MAX_PAGE)
        page, more = one_page(await self.unavailable_if_failing(self._closed_rooms(after, limit + 1)), limit)
        query = urllib.parse.urlencode({"after": page[-1]["room"], "limit": limit}) if more else ""
        self.send_json({"rooms": page, "next": f"/api/admin/rooms?{query}" if more else None})

    async def _closed_rooms(self, after: str, limit: int) -> list[dict[str, Any]]:
        accounts = self.backend.accounts
        entries = []
        for record in await accounts.rooms_of_kind(CLOSED, after=after, limit=limit):
            # A count and one membership: a room of thousands is not read through to say how many.
            count = await accounts.count_members(record.room)
            own = await accounts.membership(record.room, self.admin.account_id)
            entries.append(
                {
                    "room": record.room,
                    "title": record.display_name,
                    "archived": record.archived_at is not None,
                    "members": count,
                    "member": own is not None,
                }
            )
        return entries


class AccountStateHandler(AdminHandler):
    """``POST /api/admin/accounts/{id}/(deactivate|reactivate)``."""

    async def post(self, raw_id: str, action: str) -> None:
        if action not in ("deactivate", "reactivate"):
            raise ApiError(404, protocol.NOT_FOUND, "no such endpoint: deactivate or reactivate")
        account = await self.account(raw_id)
        accounts = self.backend.accounts
        if action == "deactivate":
            if account.id == self.admin.account_id:
                raise ApiError(400, protocol.BAD_REQUEST, "you cannot deactivate your own account")
            await self.unavailable_if_failing(accounts.deactivate_account(account.id))
            await self.tell_every_node(AccountNotice(account.id, DEACTIVATED))
        else:
            await self.unavailable_if_failing(accounts.reactivate_account(account.id))
        await tell_groups_of(self.backend, account.id)
        changed = await self.unavailable_if_failing(accounts.account_by_id(account.id))
        assert changed is not None
        audit.info("%r %sd the account %r (id %d)", self.admin.name, action, account.name, account.id)
        await self.keep(DEACTIVATE if action == "deactivate" else REACTIVATE, account.name, account.id)
        self.send_json({"account": account_entry(changed)})


class AccountSignOutHandler(AdminHandler):
    """``POST /api/admin/accounts/{id}/sign-out``: end every session of a person, wherever they are."""

    async def post(self, raw_id: str) -> None:
        account = await self.account(raw_id)
        if account.is_bot:
            raise ApiError(
                400, protocol.BAD_REQUEST, "a bot signs in with its keys and has no sessions: revoke its keys"
            )
        ended = await self.unavailable_if_failing(self.backend.accounts.revoke_sessions_of(account.id))
        # Told even when no session was open: a token's connections close too, and come back with it.
        await self.tell_every_node(AccountNotice(account.id, SIGNED_OUT_BY_ADMIN))
        detail = sessions_ended(ended)
        audit.info(
            "%r signed the account %r (id %d) out everywhere: %s",
            self.admin.name,
            account.name,
            account.id,
            detail,
        )
        await self.keep(SIGN_OUT, account.name, account.id, detail=detail)
        self.send_json({"account": account_entry(account), "signed_out": ended})


class GuestRemovalsHandler(AdminHandler):
    """``POST /api/admin/guests/removals`` ``{"room", "nick", "minutes"}``: remove and bar a guest."""

    async def post(self) -> None:
        body = self.json_object()
        room, nick = self._names(body)
        minutes = body.get("minutes", 60)
        if not isinstance(minutes, int) or isinstance(minutes, bool) or not 0 <= minutes <= MAX_BAR_MINUTES:
            raise ApiError(
                400, protocol.BAD_REQUEST, f'"minutes" must be a whole number from 0 to {MAX_BAR_MINUTES}'
            )
        if await self.unavailable_if_failing(self.backend.accounts.account_by_name(nick)) is not None:
            raise ApiError(
                400, protocol.BAD_REQUEST, f"{nick!r} is an account: deactivate it, or take it out of rooms"
            )
        if not await self.unavailable_if_failing(self.backend.is_online(room, nick)):
            raise ApiError(404, protocol.NOT_FOUND, f"no guest {nick!r} is in {room!r} now")
        until = now_ms() + minutes * MINUTE_MS
        await self.tell_every_node(GuestNotice(room, protocol.nick_key(nick), until))
        audit.info(
            "%r removed the guest %r from %r, its address barred until %s",
            self.admin.name,
            nick,
            room,
            when(until),
        )
        await self.keep(
            REMOVE_GUEST, nick, room=room, detail=f"barred until {when(until)}" if minutes else ""
        )
        self.send_json({"room": room, "nick": nick, "barred_until": until, "barred_until_text": when(until)})

    def _names(self, body: dict[str, Any]) -> tuple[str, str]:
        room, nick = body.get("room"), body.get("nick")
        if not isinstance(room, str) or not isinstance(nick, str):
            raise ApiError(400, protocol.BAD_REQUEST, 'the body must be {"room": string, "nick": string}')
        try:
            return protocol.normalize_room(room), protocol.normalize_nick(nick)
        except ProtocolError as error:
            raise ApiError(400, error.code, error.message) from None
