"""The reminders part of the AccountStore contract: messages people asked to be reminded of, each at a time.

A reminder is a row with its person, the message's room and id, and when
it is due. The store keeps the rows; whether the person may still read the
message is asked when it falls due (reminder_sending.py asks access.py).

- Exactly once, as scheduled messages (scheduled_base.py): a sender claims
  due rows that are waiting (``claim_due_reminders``: a conditional update,
  so two senders at the same moment claim each row once, for ``until``),
  then marks each due (``mark_reminder_due``) or drops it
  (``drop_reminder``), either only if the row still has the version it
  read: a snooze meanwhile makes it another reminder, which waits. A claim
  that lapses (its process died) is claimed again.
- A snooze gives a new time, raises the version, drops any claim and makes
  a due reminder wait again.
- A person holds at most ``limit`` reminders, due ones included
  (api_reminders.MAX_REMINDERS): past it, a new one is refused (None). Two
  at the same moment on two PostgreSQL nodes may pass it by one.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from .records import Reminder


class ReminderStore(Protocol):
    """Which messages each person asked to be reminded of."""

    async def set_reminder(self, draft: Reminder, *, limit: int) -> Reminder | None:
        """Keep ``draft`` (its id and version are given by the store); the row kept, or None when its
        account holds ``limit`` reminders already."""
        ...

    async def reminders(self, account_id: int) -> list[Reminder]:
        """The account's reminders, waiting and due, soonest first."""
        ...

    async def reminder(self, account_id: int, reminder_id: int) -> Reminder | None:
        """One of the account's reminders; None when it has no such one."""
        ...

    async def snooze_reminder(self, account_id: int, reminder_id: int, at: int) -> Reminder | None:
        """Make it wait until ``at`` (ms), due or not; the row as it is now, None when there is none."""
        ...

    async def delete_reminder(self, account_id: int, reminder_id: int) -> bool:
        """Forget one of the account's reminders; whether there was one."""
        ...

    async def claim_due_reminders(self, now: int, until: int, limit: int) -> list[Reminder]:
        """Up to ``limit`` rows due at ``now`` (ms), waiting and not claimed, claimed until ``until``."""
        ...

    async def mark_reminder_due(self, reminder_id: int, version: int) -> bool:
        """Mark the reminder of that version due; whether it did (its row still had that version and was
        not due yet: of two senders marking it, one does)."""
        ...

    async def drop_reminder(self, reminder_id: int, version: int) -> bool:
        """Forget the reminder of that version (its message may no longer be read); whether it did."""
        ...

    async def all_reminders(self, *, after_id: int, limit: int) -> list[Reminder]:
        """Every account's reminders with id above ``after_id``, in id order (for export)."""
        ...

    async def import_reminders(self, reminders: Sequence[Reminder]) -> None:
        """Store reminders as an export has them (new ids); their accounts exist."""
        ...
