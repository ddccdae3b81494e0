"""SQLSaved: the saved messages of an AccountStore (saved_base.py), one SQL text for either dialect."""

from __future__ import annotations

from collections.abc import Sequence

from ..clock import now_ms
from .base import StoreError
from .records import SavedMessage
from .sql_statements import SQLStatements, whole

_SAVED = "account_id, room, message_id, saved_at"
# ? : account, room, message; the time, the account and the time again (the person's latest saving
# time at or past it is followed by the next millisecond); the account and the limit. Any conflict
# (the message saved already; on PostgreSQL, a saving time just taken by another node) inserts nothing.
SAVE = (
    f"INSERT INTO saved_messages ({_SAVED})"
    " SELECT CAST(? AS BIGINT), CAST(? AS TEXT), CAST(? AS BIGINT), COALESCE("
    "(SELECT CASE WHEN max(saved_at) >= ? THEN max(saved_at) + 1 END FROM saved_messages"
    " WHERE account_id = ?), CAST(? AS BIGINT))"
    " WHERE (SELECT count(*) FROM saved_messages WHERE account_id = ?) < ?"
    f" ON CONFLICT DO NOTHING RETURNING {_SAVED}"
)
SAVED_ONE = f"SELECT {_SAVED} FROM saved_messages WHERE account_id = ? AND room = ? AND message_id = ?"
COUNT_SAVED = "SELECT count(*) FROM saved_messages WHERE account_id = ?"
UNSAVE = (
    "DELETE FROM saved_messages WHERE account_id = ? AND room = ? AND message_id = ? RETURNING account_id"
)
# ? : account, the time before which, the limit. By the index saved_by_time.
SAVED_PAGE = (
    f"SELECT {_SAVED} FROM saved_messages WHERE account_id = ? AND saved_at < ?"
    " ORDER BY saved_at DESC LIMIT ?"
)
SAVED_IN = "SELECT message_id FROM saved_messages WHERE account_id = ? AND room = ? ORDER BY message_id"
IMPORT_SAVED = (
    f"INSERT INTO saved_messages ({_SAVED}) VALUES (?, ?, ?, ?)"
    " ON CONFLICT (account_id, room, message_id) DO UPDATE SET saved_at = excluded.saved_at"
)
# Past every time a saving is given (a millisecond count of the year 146,000,000).
_NEVER = 2**62


def saved_message(row: Sequence[object]) -> SavedMessage:
    """A SavedMessage from a row of the saved columns."""
    account_id, room, message_id, saved_at = row
    return SavedMessage(
        account_id=whole(account_id),
        room=str(room),
        message_id=whole(message_id),
        saved_at=whole(saved_at),
    )


class SQLSaved(SQLStatements):
    """The messages each person saved."""

    async def save_message(
        self, account_id: int, room: str, message_id: int, *, limit: int, saved_at: int | None = None
    ) -> SavedMessage | None:
        """Save it, or find it saved already; None when the account holds ``limit`` already.

        A second try covers the one conflict that is not the message's own:
        another node took the same saving time a moment before.
        """
        for _ in range(2):
            at = now_ms() if saved_at is None else saved_at
            params = (account_id, room, message_id, at, account_id, at, account_id, limit)
            counted = f"saved:{account_id}"
            rows = await self._change_counted("cannot save the message", counted, SAVE, *params)
            if rows:
                return saved_message(rows[0])
            standing = await self._rows(SAVED_ONE, account_id, room, message_id)
            if standing:
                return saved_message(standing[0])
            if await self._count_saved(account_id) >= limit:
                return None
        raise StoreError("cannot save the message: its saving time was taken twice")

    async def _count_saved(self, account_id: int) -> int:
        rows = await self._rows(COUNT_SAVED, account_id)
        return whole(rows[0][0])

    async def unsave_message(self, account_id: int, room: str, message_id: int) -> bool:
        """Forget it; whether it was saved."""
        return bool(
            await self._change("cannot forget the saved message", UNSAVE, account_id, room, message_id)
        )

    async def saved_messages(
        self, account_id: int, *, before: int | None = None, limit: int = 50
    ) -> list[SavedMessage]:
        """A page of them, newest saved first."""
        rows = await self._rows(SAVED_PAGE, account_id, _NEVER if before is None else before, limit)
        return [saved_message(row) for row in rows]

    async def saved_in(self, account_id: int, room: str) -> list[int]:
        """The ids saved in one room."""
        return [whole(row[0]) for row in await self._rows(SAVED_IN, account_id, room)]

    async def import_saved(self, saved: Sequence[SavedMessage]) -> None:
        """Store the export's saved messages in one transaction."""
        rows = [(s.account_id, s.room, s.message_id, s.saved_at) for s in saved]
        await self._change_many("cannot import saved messages", IMPORT_SAVED, rows)
