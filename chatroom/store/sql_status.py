"""Statuses and paused notifications: AccountStore methods of one statement each.

The same SQL for SQLite and PostgreSQL (``?`` placeholders, ON CONFLICT);
SQLAccounts inherits them and gives ``_rows`` and ``_change``. A row whose
time passed is left where it is and read as absent (status_base.py).
"""

from __future__ import annotations

from collections.abc import Sequence

from .sql_statements import Rows, SQLStatements, whole
from .status_base import Pause, Status

SET_STATUS = (
    "INSERT INTO statuses (account_id, emoji, text, until, set_at) VALUES (?, ?, ?, ?, ?)"
    " ON CONFLICT (account_id) DO UPDATE SET emoji = excluded.emoji, text = excluded.text,"
    " until = excluded.until, set_at = excluded.set_at RETURNING account_id"
)
CLEAR_STATUS = "DELETE FROM statuses WHERE account_id = ? RETURNING until"
# {ids}: one placeholder per account.
STATUSES_OF = (
    "SELECT account_id, emoji, text, until, set_at FROM statuses"
    " WHERE account_id IN ({ids}) AND (until IS NULL OR until > ?)"
)
PAUSE = (
    "INSERT INTO notification_pauses (account_id, until) VALUES (?, ?)"
    " ON CONFLICT (account_id) DO UPDATE SET until = excluded.until RETURNING account_id"
)
RESUME = "DELETE FROM notification_pauses WHERE account_id = ? RETURNING until"
PAUSES_OF = "SELECT account_id, until FROM notification_pauses WHERE account_id IN ({ids}) AND until > ?"
# Accounts asked about in one statement at most; more are asked in turns.
IDS_AT_ONCE = 500


def _text(value: object) -> str:
    assert isinstance(value, str)
    return value


def _still_on(rows: Rows, now: int) -> bool:
    """Whether a deleted row (its ``until``) was still in force at ``now``."""
    return any(until is None or whole(until) > now for (until,) in rows)


class SQLStatus(SQLStatements):
    """What each person says of themselves, and whose notifications are paused."""

    async def set_status(self, status: Status) -> None:
        """Set the account's status, replacing the one it had."""
        values = (status.account_id, status.emoji, status.text, status.until, status.set_at)
        await self._change("cannot store the status", SET_STATUS, *values)

    async def clear_status(self, account_id: int, now: int) -> bool:
        """Clear the account's status; whether one was shown at ``now``."""
        return _still_on(await self._change("cannot clear the status", CLEAR_STATUS, account_id), now)

    async def statuses_of(self, account_ids: Sequence[int], now: int) -> dict[int, Status]:
        """The status of each of these accounts that has one shown at ``now``."""
        rows = await self._rows_for(STATUSES_OF, account_ids, now)
        return {
            whole(account): Status(
                whole(account),
                _text(emoji),
                _text(text),
                None if until is None else whole(until),
                whole(at),
            )
            for account, emoji, text, until, at in rows
        }

    async def pause_notifications(self, pause: Pause) -> None:
        """Pause the person's notifications until the pause's time, replacing an earlier pause."""
        await self._change("cannot pause notifications", PAUSE, pause.account_id, pause.until)

    async def resume_notifications(self, account_id: int, now: int) -> bool:
        """End the person's pause; whether one was under way at ``now``."""
        return _still_on(await self._change("cannot resume notifications", RESUME, account_id), now)

    async def pauses_of(self, account_ids: Sequence[int], now: int) -> dict[int, int]:
        """Until when each of these people's notifications are paused, for those paused at ``now``."""
        rows = await self._rows_for(PAUSES_OF, account_ids, now)
        return {whole(account): whole(until) for account, until in rows}

    async def _rows_for(self, statement: str, account_ids: Sequence[int], now: int) -> Rows:
        """The rows of ``statement`` for the accounts, IDS_AT_ONCE at a time."""
        ids = list(dict.fromkeys(account_ids))
        rows: Rows = []
        for start in range(0, len(ids), IDS_AT_ONCE):
            chunk = ids[start : start + IDS_AT_ONCE]
            rows += await self._rows(statement.format(ids=", ".join("?" * len(chunk))), *chunk, now)
        return rows
