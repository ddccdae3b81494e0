"""Sessions: the SessionStore's methods (sessions_base.py), the same SQL for SQLite and PostgreSQL.

SQLAccounts inherits them and gives ``_rows`` and ``_change``.
"""

from __future__ import annotations

import contextlib

from ..clock import now_ms
from . import account_sql as sql
from .base import StoreError
from .records import SESSION_IDLE_MS, SESSION_TOUCH_MS, Account
from .sessions_base import AGENT_LENGTH, Session
from .sql_statements import SQLStatements, whole


def _session(row: tuple[object, ...]) -> Session:
    id_hash, created_at, last_seen_at, agent = row
    assert isinstance(id_hash, bytes | bytearray | memoryview)
    assert agent is None or isinstance(agent, str)
    return Session(bytes(id_hash), whole(created_at), whole(last_seen_at), agent)


class SQLSessions(SQLStatements):
    """Who is signed in where."""

    async def create_session(self, account_id: int, id_hash: bytes, agent: str | None = None) -> None:
        """Record a new session."""
        now = now_ms()
        kept = None if agent is None else agent[:AGENT_LENGTH]
        await self._change(
            "cannot create the session", sql.INSERT_SESSION, id_hash, account_id, now, now, kept
        )

    async def session_account(self, id_hash: bytes, *, now: int | None = None) -> Account | None:
        """The account of an open session, its use noted at most once a minute."""
        now = now_ms() if now is None else now
        rows = await self._rows(sql.SESSION_ACCOUNT, id_hash, now - SESSION_IDLE_MS)
        if not rows:
            return None
        if now - whole(rows[0][0]) >= SESSION_TOUCH_MS:
            stale = now - SESSION_TOUCH_MS
            # Not noted this time (the database refuses writes): the session still opens.
            with contextlib.suppress(StoreError):
                await self._change("cannot note the session's use", sql.TOUCH_SESSION, now, id_hash, stale)
        return sql.account(rows[0][1:])

    async def sessions_of(self, account_id: int, *, now: int | None = None) -> list[Session]:
        """The account's open sessions, the one used last first."""
        now = now_ms() if now is None else now
        return [_session(row) for row in await self._rows(sql.SESSIONS_OF, account_id, now - SESSION_IDLE_MS)]

    async def revoke_session(self, id_hash: bytes) -> bool:
        """End a session."""
        return bool(await self._change("cannot end the session", sql.REVOKE_SESSION, now_ms(), id_hash))

    async def revoke_sessions_of(self, account_id: int) -> int:
        """End every session of the account."""
        return len(
            await self._change("cannot end the sessions", sql.REVOKE_SESSIONS_OF, now_ms(), account_id)
        )
