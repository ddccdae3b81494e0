"""How the store's SQL mixins run a statement: the three methods each dialect gives them.

SQLAccounts is made of mixins by concern (sql_rooms.py, sql_bars.py,
sql_reading.py...), each with one SQL text for SQLite and PostgreSQL; the
dialect's subclass (sqlite_accounts.py, pg_accounts.py) says how a statement
runs, once, for all of them.
"""

from __future__ import annotations

import abc
from collections.abc import Sequence

Rows = list[tuple[object, ...]]


def whole(value: object) -> int:
    """A column's integer, as both drivers give it (for the type checker: a row's cells are objects)."""
    assert isinstance(value, int)
    return value


class SQLStatements(abc.ABC):
    """Reading, writing, and writing many rows: what every SQL mixin of the AccountStore runs on."""

    @abc.abstractmethod
    async def _rows(self, statement: str, *params: object) -> Rows:
        """The rows a query returns."""

    @abc.abstractmethod
    async def _change(self, failing: str, statement: str, *params: object) -> Rows:
        """The rows a write returns (RETURNING), run in a transaction; StoreError saying ``failing``."""

    @abc.abstractmethod
    async def _change_many(self, failing: str, statement: str, rows: Sequence[Sequence[object]]) -> None:
        """One statement run for every row, in one transaction; StoreError saying ``failing``."""

    async def _change_counted(self, failing: str, counted: str, statement: str, *params: object) -> Rows:
        """A write that counts rows before adding one, under a cap (``counted`` names what it counts:
        ``emoji``, ``saved:<account>``...). SQLite's one writer needs nothing more; PostgreSQL holds a
        lock on ``counted`` through it, so that its count holds what another node added a moment before."""
        return await self._change(failing, statement, *params)
