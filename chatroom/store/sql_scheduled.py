"""SQLScheduled: the scheduled messages of an AccountStore (scheduled_base.py), one SQL text for either
dialect."""

from __future__ import annotations

from collections.abc import Sequence

from .records import ScheduledMessage
from .sql_statements import SQLStatements, whole

_COLUMNS = "id, account_id, room, message, at, created_at, reply_to, thread_id, broadcast, version, failure"
# ? : account, room, text, reply_to, thread, broadcast, at, created; the account and the limit.
SCHEDULE = (
    "INSERT INTO scheduled_messages (account_id, room, message, reply_to, thread_id, broadcast, at,"
    " created_at) SELECT CAST(? AS BIGINT), CAST(? AS TEXT), CAST(? AS TEXT), CAST(? AS BIGINT),"
    " CAST(? AS BIGINT), CAST(? AS BOOLEAN), CAST(? AS BIGINT), CAST(? AS BIGINT)"
    " WHERE (SELECT count(*) FROM scheduled_messages WHERE account_id = ?) < ?"
    f" RETURNING {_COLUMNS}"
)
LIST = f"SELECT {_COLUMNS} FROM scheduled_messages WHERE account_id = ? ORDER BY at, id"
ONE = f"SELECT {_COLUMNS} FROM scheduled_messages WHERE account_id = ? AND id = ?"
# ? : the text (None: kept), the time (None: kept) and the time again (a new one clears the failure),
# the account and the id. Any claim is dropped: the edited message is claimed again when due.
EDIT = (
    "UPDATE scheduled_messages SET message = COALESCE(CAST(? AS TEXT), message),"
    " at = COALESCE(CAST(? AS BIGINT), at),"
    " failure = CASE WHEN CAST(? AS BIGINT) IS NULL THEN failure END,"
    " version = version + 1, claimed_until = 0"
    f" WHERE account_id = ? AND id = ? RETURNING {_COLUMNS}"
)
DELETE = "DELETE FROM scheduled_messages WHERE account_id = ? AND id = ? RETURNING id"
# ? : until, now, now, the limit, now. The outer condition is checked again on a row another claimer
# changed meanwhile (PostgreSQL waits for its commit), so each row is claimed once.
CLAIM_DUE = (
    "UPDATE scheduled_messages SET claimed_until = ? WHERE id IN (SELECT id FROM scheduled_messages"
    " WHERE at <= ? AND failure IS NULL AND claimed_until <= ? ORDER BY at, id LIMIT ?)"
    f" AND failure IS NULL AND claimed_until <= ? RETURNING {_COLUMNS}"
)
MARK_NOT_SENT = (
    "UPDATE scheduled_messages SET failure = ?, claimed_until = 0 WHERE id = ? AND version = ? RETURNING id"
)
ALL_AFTER = f"SELECT {_COLUMNS} FROM scheduled_messages WHERE id > ? ORDER BY id LIMIT ?"
IMPORT = (
    "INSERT INTO scheduled_messages (account_id, room, message, reply_to, thread_id, broadcast, at,"
    " created_at, failure) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
# The storing transaction's claim (sqlite_sql.py, pg_batch.py): the row of the version read, deleted.
TAKE = "DELETE FROM scheduled_messages WHERE id = ? AND version = ?"
# PostgreSQL's, for a batch's: %s the ids, %s their versions; the ids of the rows taken.
TAKE_MANY = (
    "DELETE FROM scheduled_messages s USING unnest(%s::bigint[], %s::bigint[]) AS t (id, version)"
    " WHERE s.id = t.id AND s.version = t.version RETURNING s.id"
)


def _maybe(value: object) -> int | None:
    return None if value is None else whole(value)


def scheduled_message(row: Sequence[object]) -> ScheduledMessage:
    """A ScheduledMessage from a row of the columns above."""
    sid, account_id, room, text, at, created_at, reply_to, thread, broadcast, version, failure = row
    return ScheduledMessage(
        id=whole(sid),
        account_id=whole(account_id),
        room=str(room),
        text=str(text),
        at=whole(at),
        created_at=whole(created_at),
        reply_to=_maybe(reply_to),
        thread=_maybe(thread),
        broadcast=bool(broadcast),
        version=whole(version),
        failure=None if failure is None else str(failure),
    )


class SQLScheduled(SQLStatements):
    """The messages each person scheduled."""

    async def schedule_message(self, draft: ScheduledMessage, *, limit: int) -> ScheduledMessage | None:
        """Keep it, unless its account holds ``limit`` already."""
        d = draft
        params = (d.account_id, d.room, d.text, d.reply_to, d.thread, d.broadcast, d.at, d.created_at)
        counted, failing = f"scheduled:{d.account_id}", "cannot schedule the message"
        rows = await self._change_counted(failing, counted, SCHEDULE, *params, d.account_id, limit)
        return scheduled_message(rows[0]) if rows else None

    async def scheduled_messages(self, account_id: int) -> list[ScheduledMessage]:
        """Soonest first."""
        return [scheduled_message(row) for row in await self._rows(LIST, account_id)]

    async def scheduled_message(self, account_id: int, scheduled_id: int) -> ScheduledMessage | None:
        """One, or None."""
        rows = await self._rows(ONE, account_id, scheduled_id)
        return scheduled_message(rows[0]) if rows else None

    async def edit_scheduled(
        self, account_id: int, scheduled_id: int, *, text: str | None = None, at: int | None = None
    ) -> ScheduledMessage | None:
        """Its new text or time, a new version."""
        params = (text, at, at, account_id, scheduled_id)
        rows = await self._change("cannot change the scheduled message", EDIT, *params)
        return scheduled_message(rows[0]) if rows else None

    async def delete_scheduled(self, account_id: int, scheduled_id: int) -> bool:
        """Whether there was one."""
        return bool(
            await self._change("cannot delete the scheduled message", DELETE, account_id, scheduled_id)
        )

    async def claim_due(self, now: int, until: int, limit: int) -> list[ScheduledMessage]:
        """Claimed for this sender until ``until``."""
        rows = await self._change("cannot claim scheduled messages", CLAIM_DUE, until, now, now, limit, now)
        return sorted(map(scheduled_message, rows), key=lambda s: (s.at, s.id))

    async def mark_not_sent(self, scheduled_id: int, version: int, failure: str) -> bool:
        """Whether it still had that version."""
        marked = await self._change(
            "cannot mark the scheduled message", MARK_NOT_SENT, failure, scheduled_id, version
        )
        return bool(marked)

    async def all_scheduled(self, *, after_id: int, limit: int) -> list[ScheduledMessage]:
        """In id order."""
        return [scheduled_message(row) for row in await self._rows(ALL_AFTER, after_id, limit)]

    async def import_scheduled(self, scheduled: Sequence[ScheduledMessage]) -> None:
        """In one transaction."""
        rows = [
            (s.account_id, s.room, s.text, s.reply_to, s.thread, s.broadcast, s.at, s.created_at, s.failure)
            for s in scheduled
        ]
        await self._change_many("cannot import scheduled messages", IMPORT, rows)
