"""Due rows claimed and handled, every few seconds, once across processes and nodes.

Scheduled messages (scheduled_sender.py) and reminders (reminder_sender.py)
both keep rows due at a time. Every server process looks every
LOOK_INTERVAL seconds (so a row is handled within about that much after its
time, once the database answers): it claims up to a page of due rows for
CLAIM_MS (the store's conditional update: two processes claim each row
once) and handles each. A process that dies with rows claimed leaves them
to be claimed again once the claim lapses; a server that was down handles
what fell due meanwhile when it is back. What makes the handling itself
happen once is each store's to say (scheduled_base.py, reminders_base.py).
"""

from __future__ import annotations

import abc
import logging
from typing import Generic, TypeVar

from .backend import BackendError
from .clock import now_ms
from .store.base import StoreError
from .tasks import Repeating

# Seconds between two looks for due rows: how late after its time a row may be handled.
LOOK_INTERVAL = 2.0
# How long a claim holds off the other processes (ms): far more than handling a page takes.
CLAIM_MS = 60_000
# Due rows claimed at a time; a fuller page is followed at once by the next.
PAGE = 50

Row = TypeVar("Row")


class DueClaimer(Repeating, Generic[Row]):
    """Claims and handles the due rows at start and every ``interval`` seconds, until stopped."""

    # What is handled, for the log: "cannot <doing>: <error>".
    doing = "handle due rows"

    def __init__(self, log: logging.Logger, *, interval: float = LOOK_INTERVAL) -> None:
        super().__init__(interval)
        self.log = log
        self._failing = False

    @abc.abstractmethod
    async def claim(self, now: int, until: int, limit: int) -> list[Row]:
        """Up to ``limit`` rows due at ``now`` (ms), claimed until ``until``."""

    @abc.abstractmethod
    async def handle(self, row: Row) -> object:
        """Handle one claimed row."""

    async def once(self) -> None:
        """Handle what is due, its failure said once an outage."""
        try:
            while await self.send_due() == PAGE:
                pass
        except (StoreError, BackendError) as error:
            # The database is away: the claims lapse, and a later look handles the rows.
            if not self._failing:
                self.log.warning("cannot %s: %s", self.doing, error)
            self._failing = True
        else:
            self._failing = False

    async def send_due(self) -> int:
        """Claim a page of due rows and handle each; how many were claimed."""
        now = now_ms()
        due = await self.claim(now, now + CLAIM_MS, PAGE)
        for row in due:
            await self.handle(row)
        return len(due)
