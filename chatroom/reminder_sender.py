"""The reminders' clock: every few seconds, the due ones are claimed and fall due (reminder_sending.py),
each once across processes and nodes (due_claims.py)."""

from __future__ import annotations

import logging

from .due_claims import LOOK_INTERVAL, DueClaimer
from .reminder_sending import ReminderSending
from .store.records import Reminder

log = logging.getLogger("chatroom.reminders")


class ReminderSender(DueClaimer[Reminder]):
    """Makes the due reminders due at start and every ``interval`` seconds, until stopped."""

    task_name = "chatroom-reminder-sender"
    doing = "remind of messages"

    def __init__(self, sending: ReminderSending, *, interval: float = LOOK_INTERVAL) -> None:
        super().__init__(log, interval=interval)
        self.sending = sending

    async def claim(self, now: int, until: int, limit: int) -> list[Reminder]:
        return await self.sending.backend.accounts.claim_due_reminders(now, until, limit)

    async def handle(self, row: Reminder) -> object:
        return await self.sending.fall_due(row)
