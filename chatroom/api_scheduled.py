"""Scheduled messages: ``GET``/``POST /api/me/scheduled``, ``PATCH``/``DELETE /api/me/scheduled/{id}``,
``POST /api/me/scheduled/{id}/send``.

A person writes a message now to be sent at ``at`` (seconds since the
epoch, at least a moment ahead and at most a year), in a room they may
write in now: a room they may not see answers 404 ``not_found``, one they
read but may not post in the refusal a message gets (403 ``read_only``,
``blocked``). The text obeys a message's rules (protocol.clean_text); a
reply or a thread reply keeps what it answers. At its time (or at once,
with ``/send``) it is sent as scheduled_sending.py says. The list is the
person's alone: someone else's scheduled message answers 404, as one that
does not exist. Every change tells the person's other pages (a
``scheduled`` frame).
"""

from __future__ import annotations

from typing import Any

from . import changes, polls, protocol
from .api import ApiError, JsonHandler
from .backend import Backend, StoredMessage
from .clock import now_ms
from .identity import Identity
from .mentions import mentions_many
from .protocol import ProtocolError
from .scheduled_sending import ScheduledSending, WriteRefusal, write_refusal
from .store.records import ScheduledMessage

# How many scheduled messages one person keeps (those not sent included): a few plans, not a queue.
MAX_SCHEDULED = 100
# How far ahead a message may be scheduled.
MAX_AHEAD_SECONDS = 365 * 24 * 3600


def entry(row: ScheduledMessage) -> dict[str, Any]:
    """How the API shows a scheduled message; ``not_sent`` is why it was not sent (null: it waits)."""
    return {
        "id": row.id,
        "room": row.room,
        "message": row.text,
        "at": row.at // 1000,
        "created_at": row.created_at // 1000,
        "reply_to": row.reply_to,
        "thread": row.thread,
        "broadcast": row.broadcast,
        "not_sent": row.failure,
    }


def future_at(body: dict[str, Any]) -> int:
    """The body's ``at`` as ms: whole seconds since the epoch, ahead of now and within a year (for
    scheduled messages and reminders alike); else 400 ``bad_time``."""
    at = body.get("at")
    if not isinstance(at, int) or isinstance(at, bool):
        raise ApiError(400, protocol.BAD_TIME, '"at" must be a whole number of seconds since the epoch')
    now = now_ms()
    if at * 1000 <= now:
        raise ApiError(400, protocol.BAD_TIME, '"at" must be in the future')
    if at * 1000 > now + MAX_AHEAD_SECONDS * 1000:
        raise ApiError(400, protocol.BAD_TIME, '"at" is at most a year ahead')
    return at * 1000


def no_such_scheduled() -> ApiError:
    """The answer for a scheduled message that is not the asker's, or that does not exist (any more)."""
    return ApiError(404, protocol.NOT_FOUND, "there is no such scheduled message")


def refused(refusal: WriteRefusal) -> ApiError:
    return ApiError(refusal.status, refusal.code, refusal.message)


class ScheduledBaseHandler(JsonHandler):
    """What every scheduled messages handler asks first: a person (no guest, no bot)."""

    def initialize(self, sending: ScheduledSending, **api: Any) -> None:  # type: ignore[override]
        super().initialize(**api)
        self.sending = sending

    def person(self) -> Identity:
        """Who asks, a person; 401 for nobody or a guest, 403 for a bot."""
        return self.person_asking("only people schedule messages", "guests schedule nothing")

    def at_argument(self, body: dict[str, Any]) -> int:
        return future_at(body)

    def text_argument(self, body: dict[str, Any]) -> str:
        """The body's ``message``, as a message's text is checked."""
        raw = body.get("message")
        if not isinstance(raw, str):
            raise ApiError(400, protocol.BAD_REQUEST, '"message" must be a string')
        try:
            text = protocol.clean_text(raw, self.config.max_message_length)
            polls.check_poll_text(text)
            return text
        except ProtocolError as error:
            raise ApiError(400, error.code, error.message) from None

    async def may_write(self, who: Identity, room: str, text: str) -> None:
        """Refuse as a message of ``text`` to the room would be refused now."""
        refusal = await self.unavailable_if_failing(write_refusal(self.access, who.account, room, text))
        if refusal is not None:
            raise refused(refusal)

    async def tell(self, row: ScheduledMessage) -> None:
        await self.sending.tell(row)

    def own_id(self, raw: str) -> int:
        if not (raw.isascii() and raw.isdigit() and len(raw) < 19) or int(raw) < 1:
            raise no_such_scheduled()
        return int(raw)

    async def own(self, who: Identity, raw_id: str) -> ScheduledMessage:
        """The asker's scheduled message of that id; 404 for anyone else's, or none."""
        accounts = self.backend.accounts
        row = await self.unavailable_if_failing(
            accounts.scheduled_message(who.account_id, self.own_id(raw_id))
        )
        if row is None:
            raise no_such_scheduled()
        return row


class ScheduledHandler(ScheduledBaseHandler):
    """``GET /api/me/scheduled``: ``{"scheduled": [entries]}``, soonest first; ``POST`` schedules one:
    ``{"room", "message", "at", "reply_to"?, "thread"?, "broadcast"?}`` → 201 with its entry."""

    async def get(self) -> None:
        who = self.person()
        rows = await self.unavailable_if_failing(self.backend.accounts.scheduled_messages(who.account_id))
        self.send_json({"scheduled": [entry(row) for row in rows]})

    async def post(self) -> None:
        who = self.person()
        body = self.json_object()
        raw_room = body.get("room")
        if not isinstance(raw_room, str):
            raise ApiError(400, protocol.BAD_REQUEST, '"room" must be a room\'s name')
        room = self.room_argument(raw_room)
        text, at = self.text_argument(body), self.at_argument(body)
        try:
            reply_to, thread = changes.optional_id(body, "reply_to"), changes.optional_id(body, "thread")
            broadcast = changes.broadcast(body, thread)
        except ProtocolError as error:
            raise ApiError(400, error.code, error.message) from None
        await self.may_write(who, room, text)
        await self.unavailable_if_failing(answered(self.backend, room, reply_to, thread))
        draft = ScheduledMessage(0, who.account_id, room, text, at, now_ms(), reply_to, thread, broadcast)
        row = await self.unavailable_if_failing(
            self.backend.accounts.schedule_message(draft, limit=MAX_SCHEDULED)
        )
        if row is None:
            raise ApiError(
                409,
                protocol.TOO_MANY_SCHEDULED,
                f"you have {MAX_SCHEDULED} scheduled messages, the most there is: send or delete some first",
            )
        await self.tell(row)
        self.send_json(entry(row), 201)


async def answered(backend: Backend, room: str, reply_to: int | None, thread: int | None) -> None:
    """Refuse a reply to no message of the room, or a thread reply to no root (a deleted message, or a
    reply in a thread itself), as the same message sent now would be."""
    if reply_to is not None and await _message(backend, room, reply_to) is None:
        raise ApiError(400, protocol.NO_MESSAGE, f"there is no message {reply_to} in this room to reply to")
    if thread is not None:
        root = await _message(backend, room, thread)
        if root is None or root.deleted or root.thread is not None:
            raise ApiError(400, protocol.BAD_THREAD, f"message {thread} cannot take thread replies")


async def _message(backend: Backend, room: str, message_id: int) -> StoredMessage | None:
    found = await backend.history(room, after=message_id - 1, before=message_id + 1, limit=1)
    return found[0] if found else None


class ScheduledMessageHandler(ScheduledBaseHandler):
    """``PATCH /api/me/scheduled/{id}`` changes its ``message`` and/or ``at`` (a new time asks for write
    access again and makes one not sent wait again) → its entry; ``DELETE`` forgets it (204)."""

    async def patch(self, raw_id: str) -> None:
        who = self.person()
        row = await self.own(who, raw_id)
        body = self.json_object()
        if "message" not in body and "at" not in body:
            raise ApiError(400, protocol.BAD_REQUEST, 'change "message", "at" or both')
        text = self.text_argument(body) if "message" in body else None
        at = self.at_argument(body) if "at" in body else None
        # A new time asks for write access again; a new text that mentions the whole room, for that.
        if at is not None or (text is not None and mentions_many(text)):
            await self.may_write(who, row.room, row.text if text is None else text)
        edited = await self.unavailable_if_failing(
            self.backend.accounts.edit_scheduled(who.account_id, row.id, text=text, at=at)
        )
        if edited is None:
            raise no_such_scheduled()  # sent or deleted meanwhile
        await self.tell(edited)
        self.send_json(entry(edited))

    async def delete(self, raw_id: str) -> None:
        who = self.person()
        scheduled_id = self.own_id(raw_id)
        accounts = self.backend.accounts
        row = await self.unavailable_if_failing(accounts.scheduled_message(who.account_id, scheduled_id))
        if row is None or not await self.unavailable_if_failing(
            accounts.delete_scheduled(who.account_id, scheduled_id)
        ):
            raise no_such_scheduled()
        await self.tell(row)
        self.set_status(204)
        self.finish()


class SendScheduledHandler(ScheduledBaseHandler):
    """``POST /api/me/scheduled/{id}/send``: send it now → ``{"message": its user frame}``; refused as
    at its time (it stays, not sent), 404 when it was sent or deleted meanwhile."""

    async def post(self, raw_id: str) -> None:
        who = self.person()
        row = await self.own(who, raw_id)
        outcome = await self.unavailable_if_failing(self.sending.send(row))
        if outcome is None:
            raise no_such_scheduled()
        if isinstance(outcome, WriteRefusal):
            raise refused(outcome)
        self.send_json({"message": changes.message_frame(outcome)})
