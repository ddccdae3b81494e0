"""The scheduled messages part of the AccountStore contract: messages people wrote to be sent later.

A scheduled message is a row with its author, room, text, what it replies
to and when it is due. The store keeps the rows; whether the author may
still write in the room is asked when it is sent (scheduled_sender.py asks
access.py).

- Exactly once: a sender claims due rows (``claim_due``: a conditional
  update, so two senders at the same moment claim each row once, for
  ``until``; one that meets another's claim of the same rows at the same
  moment waits for it, then skips them, and so may claim fewer than it
  could: the rest go at its next look), then stores the message with the row's id and version
  (Store.append's ``scheduled``): the message's own transaction deletes the
  row with that version, and a message whose row is gone or was edited
  meanwhile is not stored (change_rules.gone_refusal). A claim that
  lapses (its process died) is claimed again; the delete still lets one
  message through.
- An edit raises the version and drops any claim; one with a new time also
  clears the ``failure`` (a rescheduled message waits again).
- A person holds at most ``limit`` scheduled messages, sent-or-not ones
  included (api_scheduled.MAX_SCHEDULED): past it, a new one is refused
  (None). Two at the same moment on two PostgreSQL nodes may pass it by one.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from .records import ScheduledMessage


class ScheduledStore(Protocol):
    """Which messages each person scheduled."""

    async def schedule_message(self, draft: ScheduledMessage, *, limit: int) -> ScheduledMessage | None:
        """Keep ``draft`` (its id and version are given by the store); the row kept, or None when its
        account holds ``limit`` scheduled messages already."""
        ...

    async def scheduled_messages(self, account_id: int) -> list[ScheduledMessage]:
        """The account's scheduled messages, soonest first."""
        ...

    async def scheduled_message(self, account_id: int, scheduled_id: int) -> ScheduledMessage | None:
        """One of the account's scheduled messages; None when it has no such one."""
        ...

    async def edit_scheduled(
        self, account_id: int, scheduled_id: int, *, text: str | None = None, at: int | None = None
    ) -> ScheduledMessage | None:
        """Change its text and/or time (None: keep); the row as it is now, None when there is none."""
        ...

    async def delete_scheduled(self, account_id: int, scheduled_id: int) -> bool:
        """Forget one of the account's scheduled messages; whether there was one."""
        ...

    async def claim_due(self, now: int, until: int, limit: int) -> list[ScheduledMessage]:
        """Up to ``limit`` rows due at ``now`` (ms), waiting and not claimed, claimed until ``until``."""
        ...

    async def mark_not_sent(self, scheduled_id: int, version: int, failure: str) -> bool:
        """Keep why the message of that version was not sent; whether its row still had that version."""
        ...

    async def all_scheduled(self, *, after_id: int, limit: int) -> list[ScheduledMessage]:
        """Every account's scheduled messages with id above ``after_id``, in id order (for export)."""
        ...

    async def import_scheduled(self, scheduled: Sequence[ScheduledMessage]) -> None:
        """Store scheduled messages as an export has them (new ids); their accounts exist."""
        ...
