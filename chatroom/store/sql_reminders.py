"""SQLReminders: the reminders of an AccountStore (reminders_base.py), one SQL text for either dialect."""

from __future__ import annotations

from collections.abc import Sequence

from .records import Reminder
from .sql_statements import SQLStatements, whole

_COLUMNS = "id, account_id, room, message_id, at, created_at, version, due"
# ? : account, room, message, at, created; the account and the limit.
SET = (
    "INSERT INTO reminders (account_id, room, message_id, at, created_at) SELECT CAST(? AS BIGINT),"
    " CAST(? AS TEXT), CAST(? AS BIGINT), CAST(? AS BIGINT), CAST(? AS BIGINT)"
    " WHERE (SELECT count(*) FROM reminders WHERE account_id = ?) < ?"
    f" RETURNING {_COLUMNS}"
)
LIST = f"SELECT {_COLUMNS} FROM reminders WHERE account_id = ? ORDER BY at, id"
ONE = f"SELECT {_COLUMNS} FROM reminders WHERE account_id = ? AND id = ?"
# A snooze is another reminder: it waits again, and a sender's claim of the old one counts no more.
SNOOZE = (
    "UPDATE reminders SET at = ?, due = (1 = 0), version = version + 1, claimed_until = 0"
    f" WHERE account_id = ? AND id = ? RETURNING {_COLUMNS}"
)
DELETE = "DELETE FROM reminders WHERE account_id = ? AND id = ? RETURNING id"
# ? : until, now, now, the limit, now. The outer condition is checked again on a row another claimer
# changed meanwhile (PostgreSQL waits for its commit), so each row is claimed once (as CLAIM_DUE in
# sql_scheduled.py).
CLAIM_DUE = (
    "UPDATE reminders SET claimed_until = ? WHERE id IN (SELECT id FROM reminders"
    " WHERE at <= ? AND NOT due AND claimed_until <= ? ORDER BY at, id LIMIT ?)"
    f" AND NOT due AND claimed_until <= ? RETURNING {_COLUMNS}"
)
# Once: a sender whose claim lapsed meanwhile, marking the same version again, marks (and tells) nothing.
MARK_DUE = (
    "UPDATE reminders SET due = (1 = 1), claimed_until = 0 WHERE id = ? AND version = ? AND NOT due"
    " RETURNING id"
)
DROP = "DELETE FROM reminders WHERE id = ? AND version = ? RETURNING id"
ALL_AFTER = f"SELECT {_COLUMNS} FROM reminders WHERE id > ? ORDER BY id LIMIT ?"
IMPORT = "INSERT INTO reminders (account_id, room, message_id, at, created_at, due) VALUES (?, ?, ?, ?, ?, ?)"


def reminder(row: Sequence[object]) -> Reminder:
    """A Reminder from a row of the columns above."""
    rid, account_id, room, message_id, at, created_at, version, due = row
    return Reminder(
        id=whole(rid),
        account_id=whole(account_id),
        room=str(room),
        message_id=whole(message_id),
        at=whole(at),
        created_at=whole(created_at),
        version=whole(version),
        due=bool(due),
    )


class SQLReminders(SQLStatements):
    """The messages each person asked to be reminded of."""

    async def set_reminder(self, draft: Reminder, *, limit: int) -> Reminder | None:
        """Keep it, unless its account holds ``limit`` already."""
        d = draft
        params = (d.account_id, d.room, d.message_id, d.at, d.created_at, d.account_id, limit)
        rows = await self._change_counted(
            "cannot set the reminder", f"reminders:{d.account_id}", SET, *params
        )
        return reminder(rows[0]) if rows else None

    async def reminders(self, account_id: int) -> list[Reminder]:
        """Soonest first."""
        return [reminder(row) for row in await self._rows(LIST, account_id)]

    async def reminder(self, account_id: int, reminder_id: int) -> Reminder | None:
        """One, or None."""
        rows = await self._rows(ONE, account_id, reminder_id)
        return reminder(rows[0]) if rows else None

    async def snooze_reminder(self, account_id: int, reminder_id: int, at: int) -> Reminder | None:
        """Its new time, a new version, waiting."""
        rows = await self._change("cannot snooze the reminder", SNOOZE, at, account_id, reminder_id)
        return reminder(rows[0]) if rows else None

    async def delete_reminder(self, account_id: int, reminder_id: int) -> bool:
        """Whether there was one."""
        return bool(await self._change("cannot delete the reminder", DELETE, account_id, reminder_id))

    async def claim_due_reminders(self, now: int, until: int, limit: int) -> list[Reminder]:
        """Claimed for this sender until ``until``."""
        rows = await self._change("cannot claim reminders", CLAIM_DUE, until, now, now, limit, now)
        return sorted(map(reminder, rows), key=lambda r: (r.at, r.id))

    async def mark_reminder_due(self, reminder_id: int, version: int) -> bool:
        """Whether it still had that version."""
        return bool(await self._change("cannot mark the reminder due", MARK_DUE, reminder_id, version))

    async def drop_reminder(self, reminder_id: int, version: int) -> bool:
        """Whether it still had that version."""
        return bool(await self._change("cannot drop the reminder", DROP, reminder_id, version))

    async def all_reminders(self, *, after_id: int, limit: int) -> list[Reminder]:
        """In id order."""
        return [reminder(row) for row in await self._rows(ALL_AFTER, after_id, limit)]

    async def import_reminders(self, reminders: Sequence[Reminder]) -> None:
        """In one transaction."""
        rows = [(r.account_id, r.room, r.message_id, r.at, r.created_at, r.due) for r in reminders]
        await self._change_many("cannot import reminders", IMPORT, rows)
