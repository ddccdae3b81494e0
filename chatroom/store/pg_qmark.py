"""The statements both dialects share (``?`` placeholders: account_sql.py, file_rows.py) run on PostgreSQL."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

from psycopg.rows import TupleRow

from .pg_batch import Connection


@functools.cache
def pg(statement: str) -> str:
    """The statement with PostgreSQL's placeholders (it holds no ``%`` of its own to escape)."""
    assert "%" not in statement
    return statement.replace("?", "%s")


async def all_rows(conn: Connection, statement: str, params: Sequence[Any]) -> list[TupleRow]:
    """The rows a shared statement answers; none when it returns no rows (an UPDATE, say)."""
    cursor = await conn.execute(pg(statement), params)
    # rownumber is None when the statement returned no rows to fetch; ``description`` says the same
    # but builds a Column for every column first (a sixth of a session's read).
    return await cursor.fetchall() if cursor.rownumber is not None else []
