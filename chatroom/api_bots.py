"""The administrators' API for bot accounts: create, list, keys, webhook, rooms.

- ``GET /api/admin/bots``: every bot with its keys (by ``key_id``, never the
  key), webhook address and rooms;
- ``POST /api/admin/bots`` ``{"name", "rooms": [...], "webhook": url}``:
  ``201`` with the bot and its first key, shown this once;
- ``POST /api/admin/bots/{id}/keys``: ``201`` with a new key, shown once
  (the others keep working: rotate, then revoke the old one);
- ``DELETE /api/admin/bots/{id}/keys/{key_id}``: revoke a key; at once,
  posts with it answer 401;
- ``PUT /api/admin/bots/{id}/webhook`` ``{"url": url or null}``;
- ``PUT`` / ``DELETE /api/admin/bots/{id}/rooms/{room}``: make the bot a
  member of a room (an open room is made if there is none), or take it out;
  never of a direct conversation (403), which is its people's alone, nor of
  a room it is barred from (409 barred: the bar is lifted first).
"""

from __future__ import annotations

from typing import Any

from . import bots, protocol
from .api import ApiError
from .api_admin import AdminHandler, account_entry
from .api_manage import BARRED
from .bots import BarredBotError, BotError, DirectRoomError
from .events import ROOM_CREATED, ROOM_MEMBERS
from .names import BadNameError
from .store.accounts_base import NameTakenError, RoomTakenError
from .store.records import BOT, DIRECT, Account
from .webhooks import WebhookAddressError, check_url

LIST_PAGE = 500


class BotAdminHandler(AdminHandler):
    """What the bot endpoints share: the bot the path names, and how a bot is shown."""

    async def bot(self, raw_id: str) -> Account:
        """The bot the path names; 404 for no account, or a person's."""
        account = await self.account(raw_id)
        if not account.is_bot:
            raise ApiError(404, protocol.NOT_FOUND, f"account {raw_id} is not a bot")
        return account

    async def bot_entry(self, bot: Account) -> dict[str, Any]:
        """A bot with its keys (named by key_id), webhook address, rooms, and how many people write to it.

        Direct conversations are counted, not named: who writes to a bot is theirs and the bot's.
        """
        accounts = self.backend.accounts
        keys = await self.unavailable_if_failing(accounts.bot_keys_of(bot.id))
        rooms = await self.unavailable_if_failing(accounts.rooms_of(bot.id))
        return {
            **account_entry(bot),
            "keys": [
                {"key_id": bots.key_id(key), "created_at": key.created_at, "revoked_at": key.revoked_at}
                for key in keys
            ],
            "webhook": await self.unavailable_if_failing(accounts.webhook_of(bot.id)),
            "rooms": [room.room for room in rooms if room.kind != DIRECT],
            "direct": sum(room.kind == DIRECT for room in rooms),
        }

    def webhook_url(self, value: object) -> str | None:
        """A webhook address from a body: a URL webhooks may reach, or None; else 400."""
        if value is None:
            return None
        if not isinstance(value, str):
            raise ApiError(400, protocol.BAD_REQUEST, '"url" must be a string or null')
        try:
            return check_url(value, allow_private=self.config.webhook_allow_private)
        except WebhookAddressError as error:
            raise ApiError(400, protocol.BAD_REQUEST, str(error)) from None

    def bot_room_argument(self, raw: str) -> str:
        """A room a bot may be put in: 400 for a bad name, 403 for a direct conversation's."""
        room = self.room_argument(raw)
        try:
            return bots.bot_room(room)
        except DirectRoomError as error:
            raise ApiError(403, protocol.FORBIDDEN, str(error)) from None

    async def put_in_room(self, bot: Account, room: str) -> None:
        """Make the bot a member of the room (made open if missing): 400 for a bad or look-alike name, 403 for
        a direct conversation, 409 for a room it is barred from."""
        existed = await self.unavailable_if_failing(self.backend.accounts.room_record(room)) is not None
        try:
            await self.unavailable_if_failing(
                bots.put_in_room(self.backend.accounts, bot, room, creator_id=self.admin.account_id)
            )
        except DirectRoomError as error:
            raise ApiError(403, protocol.FORBIDDEN, str(error)) from None
        except BarredBotError as error:
            raise ApiError(409, BARRED, str(error)) from None
        except (BadNameError, RoomTakenError, BotError) as error:
            raise ApiError(400, protocol.BAD_NAME, str(error)) from None
        await self.tell_about_room(room, ROOM_MEMBERS if existed else ROOM_CREATED)


class BotsHandler(BotAdminHandler):
    """``GET`` every bot; ``POST`` a new one, its key shown once."""

    async def get(self) -> None:
        accounts = await self.unavailable_if_failing(self.backend.accounts.list_accounts(limit=LIST_PAGE))
        self.send_json({"bots": [await self.bot_entry(a) for a in accounts if a.kind == BOT]})

    async def post(self) -> None:
        body = self.json_object()
        name, rooms = body.get("name"), body.get("rooms", [])
        if (
            not isinstance(name, str)
            or not isinstance(rooms, list)
            or not all(isinstance(r, str) for r in rooms)
        ):
            raise ApiError(400, protocol.BAD_REQUEST, 'the body must be {"name": string, "rooms": [strings]}')
        room_names = [self.bot_room_argument(room) for room in rooms]
        url = self.webhook_url(body.get("webhook"))
        accounts = self.backend.accounts
        try:
            bot = await self.unavailable_if_failing(accounts.create_account(name, BOT))
        except (BadNameError, NameTakenError) as error:
            status = 409 if isinstance(error, NameTakenError) else 400
            raise ApiError(status, "name_taken" if status == 409 else protocol.BAD_NAME, str(error)) from None
        key = await self.unavailable_if_failing(bots.issue_key(accounts, bot))
        if url is not None:
            await self.unavailable_if_failing(accounts.set_webhook(bot.id, url))
        for room in room_names:
            await self.put_in_room(bot, room)
        self.send_json({"bot": await self.bot_entry(bot), "key": key}, 201)


class BotKeysHandler(BotAdminHandler):
    """``POST /api/admin/bots/{id}/keys``: a new key, shown once."""

    async def post(self, raw_id: str) -> None:
        bot = await self.bot(raw_id)
        key = await self.unavailable_if_failing(bots.issue_key(self.backend.accounts, bot))
        self.send_json({"bot": await self.bot_entry(bot), "key": key}, 201)


class BotKeyHandler(BotAdminHandler):
    """``DELETE /api/admin/bots/{id}/keys/{key_id}``: revoke one key."""

    async def delete(self, raw_id: str, wanted: str) -> None:
        bot = await self.bot(raw_id)
        if not await self.unavailable_if_failing(bots.revoke_key(self.backend.accounts, bot, wanted)):
            raise ApiError(404, protocol.NOT_FOUND, f"{bot.name!r} has no key {wanted!r} in force")
        self.send_json({"bot": await self.bot_entry(bot)})


class BotWebhookHandler(BotAdminHandler):
    """``PUT /api/admin/bots/{id}/webhook`` ``{"url": string or null}``."""

    async def put(self, raw_id: str) -> None:
        bot = await self.bot(raw_id)
        body = self.json_object()
        if "url" not in body:
            raise ApiError(400, protocol.BAD_REQUEST, 'the body must be {"url": string or null}')
        url = self.webhook_url(body["url"])
        await self.unavailable_if_failing(self.backend.accounts.set_webhook(bot.id, url))
        self.send_json({"bot": await self.bot_entry(bot)})


class BotRoomHandler(BotAdminHandler):
    """``PUT`` / ``DELETE /api/admin/bots/{id}/rooms/{room}``: the bot's memberships."""

    async def put(self, raw_id: str, raw_room: str) -> None:
        bot = await self.bot(raw_id)
        await self.put_in_room(bot, self.bot_room_argument(raw_room))
        self.send_json({"bot": await self.bot_entry(bot)})

    async def delete(self, raw_id: str, raw_room: str) -> None:
        bot = await self.bot(raw_id)
        room = self.room_argument(raw_room)
        if not await self.unavailable_if_failing(self.backend.accounts.remove_member(room, bot.id)):
            raise ApiError(404, protocol.NOT_FOUND, f"{bot.name!r} is not a member of {room!r}")
        await self.tell_about_room(room, ROOM_MEMBERS, removed=(bot.id,))
        self.send_json({"bot": await self.bot_entry(bot)})
