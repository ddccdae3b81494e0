"""Blocks, whom each person blocked: AccountStore methods of one statement each.

The same SQL for SQLite and PostgreSQL (``?`` placeholders, ON CONFLICT);
SQLAccounts inherits them and gives ``_rows`` and ``_change``.
"""

from __future__ import annotations

from ..clock import now_ms
from .records import Block
from .sql_statements import SQLStatements, whole

# Blocking again keeps the first time: the list shows since when.
BLOCK = (
    "INSERT INTO blocks (account_id, blocked_id, created_at) VALUES (?, ?, ?)"
    " ON CONFLICT (account_id, blocked_id) DO NOTHING RETURNING account_id"
)
UNBLOCK = "DELETE FROM blocks WHERE account_id = ? AND blocked_id = ? RETURNING account_id"
BLOCKS_OF = (
    "SELECT account_id, blocked_id, created_at FROM blocks WHERE account_id = ?"
    " ORDER BY created_at, blocked_id"
)
BLOCKERS_OF = "SELECT account_id FROM blocks WHERE blocked_id = ?"


class SQLBlocks(SQLStatements):
    """Whom each person blocked, and who blocked each account."""

    async def block(self, account_id: int, blocked_id: int, *, created_at: int | None = None) -> bool:
        """``account_id`` blocks ``blocked_id``; whether it had not already."""
        at = now_ms() if created_at is None else created_at
        return bool(await self._change("cannot store the block", BLOCK, account_id, blocked_id, at))

    async def unblock(self, account_id: int, blocked_id: int) -> bool:
        """``account_id`` no longer blocks ``blocked_id``; whether it did."""
        return bool(await self._change("cannot lift the block", UNBLOCK, account_id, blocked_id))

    async def blocks_of(self, account_id: int) -> list[Block]:
        """Whom the account blocked, the earliest first."""
        return [
            Block(whole(blocker), whole(blocked), whole(at))
            for blocker, blocked, at in await self._rows(BLOCKS_OF, account_id)
        ]

    async def blockers_of(self, account_id: int) -> set[int]:
        """The accounts that blocked this one."""
        return {whole(blocker) for (blocker,) in await self._rows(BLOCKERS_OF, account_id)}
