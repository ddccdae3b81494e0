"""Direct conversations: ``POST /api/direct``, the one room of a set of people, made or found.

Its id is an HMAC of the people's account ids under a key the store keeps,
so the same set always has the same room and nobody can guess it.
"""

from __future__ import annotations

import hashlib
import hmac

from . import protocol
from .api import ApiError
from .api_blocks import refuse_if_blocked
from .api_manage import MAX_DIRECT_MEMBERS, ROOM_TAKEN, UNKNOWN_ACCOUNT, ManageHandler
from .events import ROOM_CREATED, ROOM_MEMBERS
from .names import DIRECT_PREFIX
from .store.accounts_base import RoomTakenError, UnknownAccountError
from .store.records import DIRECT, DIRECT_ROOM_SECRET, PERSON, RoomRecord, new_direct_room_key


class DirectHandler(ManageHandler):
    """``POST /api/direct`` ``{"members": [names]}``: the direct room of those accounts and the caller.

    The same set of people always has the same room: 201 when it is made, 200
    when it exists (the caller, if they had left, is back in it; anyone else
    who left stays out: leaving is how one stops hearing from someone, and
    writing again must not undo it). A bot is
    written to alone: a person and one bot, never a bot among people, whose
    words would then reach its webhook without each of them choosing it.
    """

    async def post(self) -> None:
        who = self.person()
        people = await self.accounts_named(self.json_object().get("members"), limit=MAX_DIRECT_MEMBERS)
        if len(people) > 1 and any(account.kind != PERSON for account in people):
            raise ApiError(
                400, protocol.BAD_REQUEST, "a bot is written to alone: name the bot and nobody else"
            )
        await self.unavailable_if_failing(refuse_if_blocked(self.backend.accounts, who, people))
        ids = sorted({who.account_id, *(account.id for account in people)})
        if len(ids) < 2:
            raise ApiError(400, protocol.BAD_REQUEST, "name at least one other person")
        room = await self.direct_room_id(ids)
        record = await self.unavailable_if_failing(self.backend.accounts.room_record(room))
        if record is None:
            await self.spend_creation(who)
            record = await self.create(room, ids)
            if record is not None:
                await self.notify(record, ROOM_CREATED)
                self.send_json(await self.entry(record), 201)
                return
            record = await self.unavailable_if_failing(self.backend.accounts.room_record(room))
        if record is None or record.kind != DIRECT:
            raise ApiError(409, ROOM_TAKEN, "that conversation's name is taken by another room")
        await self.bring_back(record, who.account_id)
        self.send_json(await self.entry(record))

    async def create(self, room: str, ids: list[int]) -> RoomRecord | None:
        """The new direct room; None when another request made it a moment ago."""
        try:
            return await self.unavailable_if_failing(
                self.backend.accounts.create_room(room, DIRECT, members=ids)
            )
        except RoomTakenError:
            return None
        except UnknownAccountError:
            raise ApiError(400, UNKNOWN_ACCOUNT, "one of those accounts no longer exists") from None

    async def bring_back(self, record: RoomRecord, account_id: int) -> None:
        """Make the caller a member again if they had left (nobody else: they left on purpose)."""
        accounts = self.backend.accounts
        if await self.unavailable_if_failing(accounts.membership(record.room, account_id)) is None:
            await self.unavailable_if_failing(accounts.add_member(record.room, account_id))
            await self.notify(record, ROOM_MEMBERS)

    async def direct_room_id(self, ids: list[int]) -> str:
        """The stable, unguessable id of the direct room of these accounts: ``dm-`` and 24 hex digits."""
        key = await self.unavailable_if_failing(
            self.backend.accounts.get_or_create_secret(DIRECT_ROOM_SECRET, new_direct_room_key)
        )
        digest = hmac.new(key.encode(), ",".join(map(str, ids)).encode(), hashlib.sha256).hexdigest()
        return DIRECT_PREFIX + digest[:24]
