"""The sender of scheduled messages: every few seconds, the due ones are claimed and sent.

Every server process looks every SEND_INTERVAL seconds (so a message goes
out within about that much after its time, once the database answers): it
claims up to a page of due rows for CLAIM_MS (a conditional update, so two
processes claim each row once) and sends each (scheduled_sending.py). A
process that dies with rows claimed leaves them to be claimed again once
the claim lapses; a server that was down sends what fell due meanwhile
when it is back. Either way the store stores each message once
(store/scheduled_base.py).
"""

from __future__ import annotations

import logging

from .backend import BackendError
from .clock import now_ms
from .scheduled_sending import ScheduledSending
from .store.base import StoreError
from .tasks import Repeating

log = logging.getLogger("chatroom.scheduled")

# Seconds between two looks for due messages: how late after its time a message may go out.
SEND_INTERVAL = 2.0
# How long a claim holds off the other senders (ms): far more than sending a page takes.
CLAIM_MS = 60_000
# Due rows claimed at a time; a fuller page is followed at once by the next.
PAGE = 50


class ScheduledSender(Repeating):
    """Sends the due scheduled messages at start and every ``interval`` seconds, until stopped."""

    task_name = "chatroom-scheduled-sender"

    def __init__(self, sending: ScheduledSending, *, interval: float = SEND_INTERVAL) -> None:
        super().__init__(interval)
        self.sending = sending
        self._failing = False

    async def once(self) -> None:
        """Send what is due, its failure said once an outage."""
        try:
            while await self.send_due() == PAGE:
                pass
        except (StoreError, BackendError) as error:
            # The database is away: the claims lapse, and a later look sends the messages.
            if not self._failing:
                log.warning("cannot send scheduled messages: %s", error)
            self._failing = True
        else:
            self._failing = False

    async def send_due(self) -> int:
        """Claim a page of due messages and send each; how many were claimed."""
        now = now_ms()
        accounts = self.sending.backend.accounts
        due = await accounts.claim_due(now, now + CLAIM_MS, PAGE)
        for row in due:
            await self.sending.send(row)
        return len(due)
