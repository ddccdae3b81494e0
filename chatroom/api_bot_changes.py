"""A bot changes messages over HTTP: its edits and deletions, its reactions, pins and votes.

``PATCH`` and ``DELETE /api/rooms/{room}/messages/{id}``; ``PUT`` and
``DELETE`` on ``…/messages/{id}/reactions/{emoji}``, ``…/pin`` and
``…/votes/{option}``; ``POST …/close`` (a poll) and ``DELETE …/previews``:
what a bot does on a socket it opens with its key, a request does too, under
the same rules (an edit or a pin where it may post, any other change where
it may react; its own messages only for an edit, a deletion, closing a poll
or removing previews), as a change that takes the room's next id and
reaches every member on every node. A bot that posted "build running" edits
it to "build passed" without keeping a socket open (docs/protocol.md, "Bots").
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from . import access, changes, polls, protocol
from .access import Readable
from .api import ApiError, room_not_found
from .api_rooms import BotWritingHandler, why_a_bot_may_not
from .backend import BackendError
from .identity import Identity
from .mentions import mentions_many
from .protocol import ProtocolError
from .reaction_emoji import reaction_emoji
from .store.change_rules import ChangeRefusedError

T = TypeVar("T")

# How each refusal of the store is answered: no such message is 404, another's message 403.
REFUSAL_STATUS = {protocol.NO_MESSAGE: 404, protocol.FORBIDDEN: 403}


class BotChangeHandler(BotWritingHandler):
    """What a bot's change asks first: a bot, the room, the message's id; then the change, answered."""

    async def asked(self, raw_room: str, raw_id: str) -> tuple[Identity, str, int]:
        """The bot asking (401 for nobody, 403 for a person: people change messages on the socket), the
        room and the message's id from the path (400 for a bad one), once the bot has spent one of its
        writes a minute (429 when it has none left)."""
        bot = self.bot_asking(
            "only bot accounts change messages through the API; people change them on the socket"
        )
        room, target = self.room_argument(raw_room), target_id(raw_id)
        await self.spend_bot_write(bot)
        return bot, room, target

    async def room_for(self, bot: Identity, room: str, *, words: bool) -> Readable:
        """The room as the bot reads it: 404 where it may not see it; 403 where it may not change
        messages: ``words`` (an edit) where it may not post, else (a deletion, a reaction) react."""
        readable = await self.unavailable_if_failing(self.access.readable(bot, room))
        if readable is None:
            raise room_not_found()
        allowed = access.may_post if words else access.may_react
        if not allowed(bot, readable.room, readable.membership, guests=self.access.guests):
            raise ApiError(403, protocol.FORBIDDEN, why_a_bot_may_not(readable))
        return readable

    async def store(self, bot: Identity, room: str, frame: changes.ChangeFrame) -> None:
        """Store the change as the bot's; answer its frame, or ``unchanged`` when it changed nothing."""
        request = changes.request_for(frame, bot.name, bot.account_id, any_author=False)
        try:
            changed = await self.backend.change(room, request)
        except ChangeRefusedError as refused:
            raise ApiError(REFUSAL_STATUS.get(refused.code, 400), refused.code, refused.message) from None
        except BackendError:
            raise ApiError(503, protocol.UNAVAILABLE, "the change could not be stored; try again") from None
        if changed.change is None:
            self.send_json({"room": room, "target": changed.target, "unchanged": True})
        else:
            self.send_json(changes.change_frame(changed.change))


def target_id(raw: str) -> int:
    """The message id in the path; 400 bad_request unless one from 1 to 2^63-1."""
    if raw.isascii() and raw.isdigit() and len(raw) <= 19 and 1 <= int(raw) <= protocol.MAX_CLIENT_INT:
        return int(raw)
    raise ApiError(
        400, protocol.BAD_REQUEST, f"the message id must be a number from 1 to {protocol.MAX_CLIENT_INT}"
    )


def refused_unless(parse: Callable[[], T]) -> T:
    """What ``parse()`` gives; 400 with its code when the protocol refuses it."""
    try:
        return parse()
    except ProtocolError as error:
        raise ApiError(400, error.code, error.message) from None


class BotMessageHandler(BotChangeHandler):
    """``PATCH`` a bot's message (``{"message": "new text"}``), or ``DELETE`` it."""

    async def patch(self, raw_room: str, raw_id: str) -> None:
        bot, room, target = await self.asked(raw_room, raw_id)
        text = self.json_object().get("message")
        if not isinstance(text, str):
            raise ApiError(400, protocol.BAD_REQUEST, 'the body must be {"message": string}')
        cleaned = refused_unless(lambda: protocol.clean_text(text, self.config.max_message_length))
        readable = await self.room_for(bot, room, words=True)
        if mentions_many(cleaned) and not access.may_mention_room(bot, readable.room, readable.membership):
            raise ApiError(403, protocol.ROOM_MENTION_FORBIDDEN, access.room_mention_refusal(readable.room))
        await self.store(bot, room, changes.EditFrame(target, cleaned))

    async def delete(self, raw_room: str, raw_id: str) -> None:
        bot, room, target = await self.asked(raw_room, raw_id)
        await self.room_for(bot, room, words=False)
        await self.store(bot, room, changes.DeleteFrame(target))


class BotReactionHandler(BotChangeHandler):
    """``PUT`` a bot's reaction with an emoji on a message, or ``DELETE`` it (the emoji in the path)."""

    async def put(self, raw_room: str, raw_id: str, raw_emoji: str) -> None:
        await self._react(raw_room, raw_id, raw_emoji, on=True)

    async def delete(self, raw_room: str, raw_id: str, raw_emoji: str) -> None:
        await self._react(raw_room, raw_id, raw_emoji, on=False)

    async def _react(self, raw_room: str, raw_id: str, raw_emoji: str, *, on: bool) -> None:
        bot, room, target = await self.asked(raw_room, raw_id)
        emoji = refused_unless(lambda: reaction_emoji(raw_emoji))
        await self.room_for(bot, room, words=False)
        await self.store(bot, room, changes.ReactFrame(target, emoji, on))


class BotPinHandler(BotChangeHandler):
    """``PUT`` pins a message of the room (anyone's) to it, ``DELETE`` unpins it: where the bot may post."""

    async def put(self, raw_room: str, raw_id: str) -> None:
        await self._pin(raw_room, raw_id, on=True)

    async def delete(self, raw_room: str, raw_id: str) -> None:
        await self._pin(raw_room, raw_id, on=False)

    async def _pin(self, raw_room: str, raw_id: str, *, on: bool) -> None:
        bot, room, target = await self.asked(raw_room, raw_id)
        await self.room_for(bot, room, words=True)
        await self.store(bot, room, changes.PinFrame(target, on))


class BotVoteHandler(BotChangeHandler):
    """``PUT`` chooses option ``{option}`` (its index, from 0) of a poll, ``DELETE`` takes the choice back."""

    async def put(self, raw_room: str, raw_id: str, raw_option: str) -> None:
        await self._vote(raw_room, raw_id, raw_option, on=True)

    async def delete(self, raw_room: str, raw_id: str, raw_option: str) -> None:
        await self._vote(raw_room, raw_id, raw_option, on=False)

    async def _vote(self, raw_room: str, raw_id: str, raw_option: str, *, on: bool) -> None:
        bot, room, target = await self.asked(raw_room, raw_id)
        option = (
            int(raw_option) if raw_option.isascii() and raw_option.isdigit() and len(raw_option) < 4 else -1
        )
        vote = {"option": option, "on": on}  # a vote frame's fields
        frame = refused_unless(lambda: polls.parse_poll_frame(vote, target, None))
        await self.room_for(bot, room, words=False)
        await self.store(bot, room, frame)


class BotPollCloseHandler(BotChangeHandler):
    """``POST`` closes a poll for good: no more votes, its result stays (its author's or a manager's)."""

    async def post(self, raw_room: str, raw_id: str) -> None:
        bot, room, target = await self.asked(raw_room, raw_id)
        await self.room_for(bot, room, words=False)
        await self.store(bot, room, polls.ClosePollFrame(target))


class BotPreviewsHandler(BotChangeHandler):
    """``DELETE`` removes the link previews of the bot's message, for good."""

    async def delete(self, raw_room: str, raw_id: str) -> None:
        bot, room, target = await self.asked(raw_room, raw_id)
        await self.room_for(bot, room, words=False)
        await self.store(bot, room, changes.RemovePreviewFrame(target))
