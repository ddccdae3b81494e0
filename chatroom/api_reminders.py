"""Reminders: ``GET``/``POST /api/me/reminders``, ``PATCH``/``DELETE /api/me/reminders/{id}``.

A person asks to be reminded of a message at ``at`` (seconds since the
epoch, ahead of now and at most a year, as a scheduled message's time). A
reminder is set only on a message its person may read now (access.py): a
room or a message they may not see answers 404 ``not_found``, the same
bytes for both and for one that does not exist (api_saved.py). The list
reads each message at read time under the same rule and leaves out, with
no byte of them, those the person may no longer read; at its time such a
reminder is dropped (reminder_sending.py). The list is the person's alone:
someone else's reminder answers 404, as one that does not exist. Every
change tells the person's pages (a ``reminder`` frame, no byte of the
message).
"""

from __future__ import annotations

from typing import Any

from . import changes, protocol
from .api import ApiError, JsonHandler
from .api_saved import no_such_message
from .api_scheduled import future_at
from .backend import StoredMessage
from .clock import now_ms
from .events import ReminderNotice
from .identity import Identity
from .person_events import REMINDER_REMOVED, REMINDER_WAITING
from .reminder_sending import ReminderSending, live_message, readable_message
from .store.records import Reminder

# How many reminders one person keeps (due ones included): a few things to come back to, not a queue.
MAX_REMINDERS = 100


def entry(row: Reminder, message: StoredMessage) -> dict[str, Any]:
    """How the API shows a reminder: ``message`` is the message's user frame as it stands now."""
    return {
        "id": row.id,
        "room": row.room,
        "message_id": row.message_id,
        "at": row.at // 1000,
        "created_at": row.created_at // 1000,
        "due": row.due,
        "message": changes.message_frame(message),
    }


def no_such_reminder() -> ApiError:
    """The answer for a reminder that is not the asker's, or that does not exist (any more)."""
    return ApiError(404, protocol.NOT_FOUND, "there is no such reminder")


class RemindersBaseHandler(JsonHandler):
    """What every reminders handler asks first: a person (no guest, no bot)."""

    def initialize(self, reminding: ReminderSending, **api: Any) -> None:  # type: ignore[override]
        super().initialize(**api)
        self.reminding = reminding

    def person(self) -> Identity:
        """Who asks, a person; 401 for nobody or a guest, 403 for a bot."""
        return self.person_asking("only people set reminders", "guests set no reminders")

    async def readable(self, who: Identity, room: str, message_id: int) -> StoredMessage | None:
        """The message when the person may read it now and it is not deleted, else None."""
        return await self.unavailable_if_failing(
            readable_message(self.backend, self.access, who.account, room, message_id)
        )

    async def tell(self, who: Identity, reminder_id: int, state: str) -> None:
        await self.reminding.tell(ReminderNotice(who.account_id, reminder_id, state))


class RemindersHandler(RemindersBaseHandler):
    """``GET /api/me/reminders``: ``{"reminders": [entries]}``, waiting and due, soonest first; ``POST``
    sets one: ``{"room", "id", "at"}`` → 201 with its entry."""

    async def get(self) -> None:
        who = self.person()
        rows = await self.unavailable_if_failing(self.backend.accounts.reminders(who.account_id))
        shown, readable_rooms = [], set()
        for row in rows:
            # A room asked about once; a message read only in a room the person may read now.
            if row.room not in readable_rooms:
                message = await self.readable(who, row.room, row.message_id)
                if message is None:
                    continue
                readable_rooms.add(row.room)
            else:
                message = await self.unavailable_if_failing(
                    live_message(self.backend, row.room, row.message_id)
                )
            if message is not None:
                shown.append(entry(row, message))
        self.send_json({"reminders": shown})

    async def post(self) -> None:
        who = self.person()
        body = self.json_object()
        raw_room, message_id = body.get("room"), body.get("id")
        if not isinstance(raw_room, str):
            raise ApiError(400, protocol.BAD_REQUEST, '"room" must be a room\'s name')
        if not isinstance(message_id, int) or isinstance(message_id, bool) or not 0 < message_id < 2**62:
            raise ApiError(400, protocol.BAD_REQUEST, '"id" must be a message id, a whole number from 1')
        room = self.room_argument(raw_room)
        at = future_at(body)
        message = await self.readable(who, room, message_id)
        if message is None:
            raise no_such_message()
        draft = Reminder(0, who.account_id, room, message_id, at, now_ms())
        row = await self.unavailable_if_failing(
            self.backend.accounts.set_reminder(draft, limit=MAX_REMINDERS)
        )
        if row is None:
            raise ApiError(
                409,
                protocol.TOO_MANY_REMINDERS,
                f"you have {MAX_REMINDERS} reminders, the most there is: be done with some first",
            )
        await self.tell(who, row.id, REMINDER_WAITING)
        self.send_json(entry(row, message), 201)


class ReminderHandler(RemindersBaseHandler):
    """``PATCH /api/me/reminders/{id}`` ``{"at"}`` snoozes it (a due one waits again) → its entry; one whose
    message may no longer be read is dropped (404). ``DELETE`` is done with it, or cancels it (204)."""

    async def patch(self, raw_id: str) -> None:
        who = self.person()
        reminder_id = self.own_id(raw_id)
        at = future_at(self.json_object())
        accounts = self.backend.accounts
        row = await self.unavailable_if_failing(accounts.reminder(who.account_id, reminder_id))
        if row is None:
            raise no_such_reminder()
        message = await self.readable(who, row.room, row.message_id)
        if message is None:
            await self.forget(who, reminder_id)
            raise no_such_reminder()
        snoozed = await self.unavailable_if_failing(accounts.snooze_reminder(who.account_id, reminder_id, at))
        if snoozed is None:
            raise no_such_reminder()  # done meanwhile
        await self.tell(who, reminder_id, REMINDER_WAITING)
        self.send_json(entry(snoozed, message))

    async def delete(self, raw_id: str) -> None:
        """Asking no access: it tells nothing but what the person set."""
        who = self.person()
        if not await self.forget(who, self.own_id(raw_id)):
            raise no_such_reminder()
        self.set_status(204)
        self.finish()

    async def forget(self, who: Identity, reminder_id: int) -> bool:
        accounts = self.backend.accounts
        if not await self.unavailable_if_failing(accounts.delete_reminder(who.account_id, reminder_id)):
            return False
        await self.tell(who, reminder_id, REMINDER_REMOVED)
        return True

    @staticmethod
    def own_id(raw: str) -> int:
        if not (raw.isascii() and raw.isdigit() and len(raw) < 19) or int(raw) < 1:
            raise no_such_reminder()
        return int(raw)
