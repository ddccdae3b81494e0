"""A room's bars: who its owner or an administrator keeps out of it, listed, barred and let back in.

``GET /api/rooms/{room}/bars`` lists them, ``POST`` ``{"name"}`` bars an
account, ``DELETE /api/rooms/{room}/bars/{name}`` lifts a bar. Only those who
manage an open or closed room's members do this (access.may_bar); a direct
room has nobody to. A barred account is taken out of the room at once, on
every node (its connections to it closed with 4403, the room gone from its
lists), and reads and posts nothing there on any path until the bar is lifted
(access.py).
"""

from __future__ import annotations

from typing import Any

from . import protocol
from .access import bar_refusal, may_bar
from .api import ApiError
from .api_manage import UNKNOWN_ACCOUNT
from .api_members import MembersHandler
from .clock import now_ms
from .events import ROOM_BARRED, ROOM_MEMBERS
from .identity import Identity
from .moderation import audit, keep_act
from .store.acts_base import BAR, LIFT_BAR, ModerationAct
from .store.records import DIRECT, Account, RoomBar, RoomRecord


def bar_entry(account: Account, bar: RoomBar, by: Account | None) -> dict[str, Any]:
    """A bar as the list shows it: whom, since when, by whom (None once unknown)."""
    return {"name": account.name, "color": account.color, "barred_at": bar.barred_at, "by": by and by.name}


class BarsHandler(MembersHandler):
    """``GET /api/rooms/{room}/bars`` lists the room's bars; ``POST`` ``{"name"}`` bars an account."""

    async def get(self, raw_room: str) -> None:
        who = self.person()
        room = self.room_argument(raw_room)
        await self.barring_room(who, room)
        self.send_json({"room": room, "bars": await self.bars(room)})

    async def post(self, raw_room: str) -> None:
        who = self.person()
        room = self.room_argument(raw_room)
        record = await self.barring_room(who, room)
        name = self.json_object().get("name")
        if not isinstance(name, str):
            raise ApiError(400, protocol.BAD_REQUEST, 'the body must be {"name": an account name}')
        accounts = self.backend.accounts
        account = await self.unavailable_if_failing(accounts.account_by_name(name))
        if account is None:
            raise ApiError(400, UNKNOWN_ACCOUNT, f"there is no account {name!r}")
        if account.id == who.account_id:
            raise ApiError(400, protocol.BAD_REQUEST, "you cannot bar yourself: leave the room instead")
        held = await self.unavailable_if_failing(accounts.membership(room, account.id))
        refusal = bar_refusal(account, record, held)
        if refusal is not None:
            raise ApiError(403, protocol.FORBIDDEN, refusal)
        existing = await self.unavailable_if_failing(accounts.room_bar(room, account.id))
        if existing is None:
            await self.unavailable_if_failing(accounts.bar_account(room, account.id, who.account_id))
            # Its connections to the room close and its lists lose it, on every node.
            await self.notify(record, ROOM_BARRED, removed=(account.id,))
            audit.info("%r barred %r from %r", who.name, account.name, room)
            act = ModerationAct(BAR, now_ms(), who.name, account.name, who.account_id, account.id, room)
            await keep_act(accounts, act)
        self.send_json({"room": room, "bars": await self.bars(room)}, 200 if existing else 201)

    async def barring_room(self, who: Identity, room: str) -> RoomRecord:
        """The room, when ``who`` may bar from it: 404 when they may not see it, 400 for a direct room
        (nobody bars from one), 403 when they read it and do not manage it."""
        record, membership = await self.room_and_membership(room)
        if record is not None and record.kind == DIRECT and membership is not None:
            raise ApiError(400, protocol.BAD_REQUEST, "nobody is barred from a direct conversation")
        if record is None or not may_bar(who, record, membership):
            self.refuse_unless_managing(who, room, record, membership)
        assert record is not None
        return record

    async def bars(self, room: str) -> list[dict[str, Any]]:
        """The room's bars, by name (case folded)."""
        accounts = self.backend.accounts
        listed = []
        for bar in await self.unavailable_if_failing(accounts.bars_of(room)):
            account = await self.unavailable_if_failing(accounts.account_by_id(bar.account_id))
            by = None
            if bar.by_id is not None:
                by = await self.unavailable_if_failing(accounts.account_by_id(bar.by_id))
            if account is not None:
                listed.append(bar_entry(account, bar, by))
        return sorted(listed, key=lambda entry: (entry["name"].casefold(), entry["name"]))


class BarHandler(BarsHandler):
    """``DELETE /api/rooms/{room}/bars/{name}``: lift a bar (the room's owner, an administrator)."""

    async def delete(self, raw_room: str, name: str) -> None:
        who = self.person()
        room = self.room_argument(raw_room)
        record = await self.barring_room(who, room)
        accounts = self.backend.accounts
        account = await self.unavailable_if_failing(accounts.account_by_name(name))
        if account is None:
            raise ApiError(404, UNKNOWN_ACCOUNT, f"there is no account {name!r}")
        if not await self.unavailable_if_failing(accounts.lift_bar(room, account.id)):
            raise ApiError(404, protocol.NOT_FOUND, f"{account.name!r} is not barred from this room")
        # An open room shows in its lists again (a closed one once it is added back).
        await self.notify(record, ROOM_MEMBERS)
        audit.info("%r lifted the bar on %r from %r", who.name, account.name, room)
        act = ModerationAct(LIFT_BAR, now_ms(), who.name, account.name, who.account_id, account.id, room)
        await keep_act(accounts, act)
        self.set_status(204)
        self.finish()
