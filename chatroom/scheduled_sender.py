"""The sender of scheduled messages: every few seconds, the due ones are claimed and sent.

Every server process claims the due rows as due_claims.py says and sends
each (scheduled_sending.py); the store stores each message once
(store/scheduled_base.py).
"""

from __future__ import annotations

import logging

from .due_claims import LOOK_INTERVAL, DueClaimer
from .scheduled_sending import ScheduledSending
from .store.records import ScheduledMessage

log = logging.getLogger("chatroom.scheduled")


class ScheduledSender(DueClaimer[ScheduledMessage]):
    """Sends the due scheduled messages at start and every ``interval`` seconds, until stopped."""

    task_name = "chatroom-scheduled-sender"
    doing = "send scheduled messages"

    def __init__(self, sending: ScheduledSending, *, interval: float = LOOK_INTERVAL) -> None:
        super().__init__(log, interval=interval)
        self.sending = sending

    async def claim(self, now: int, until: int, limit: int) -> list[ScheduledMessage]:
        return await self.sending.backend.accounts.claim_due(now, until, limit)

    async def handle(self, row: ScheduledMessage) -> object:
        return await self.sending.send(row)
