"""Long statements run with PostgreSQL's own numbered placeholders, converted once per shape.

psycopg turns a statement's ``%s`` placeholders into ``$1``, ``$2``... on every
execution, and keeps the result only for statements of at most 4,096
characters and 50 parameters. A search of words (pg_search.word_weeks_sql) is
a statement of about 6,200 characters and 79 parameters, whose shape is one of
a few: converting it each time cost 0.15-0.19 ms of a request's 2.3-2.5 ms of CPU.
Here the conversion is kept per statement text, and the statement is run by a
raw cursor, which sends it as it is.
"""

from __future__ import annotations

import functools
import itertools
import re

from psycopg import AsyncRawCursor
from psycopg.rows import TupleRow

from .pg_changes import Connection

_PLACEHOLDER = re.compile(r"%([s%])")
# The shapes a search can take (terms, filters, a cursor) are a few dozen.
_SHAPES = 256
_GENERIC_PLAN = "SELECT set_config('plan_cache_mode', 'force_generic_plan', true)"


@functools.lru_cache(maxsize=_SHAPES)
def numbered(sql: str) -> str:
    """``sql`` with its ``%s`` placeholders numbered ``$1``, ``$2``... in order, and ``%%`` as ``%``."""
    counter = itertools.count(1)
    return _PLACEHOLDER.sub(lambda found: "%" if found[1] == "%" else f"${next(counter)}", sql)


async def fetch_rows(conn: Connection, sql: str, values: list[object]) -> list[TupleRow]:
    """The rows of ``sql`` (``%s`` placeholders) run with ``values``."""
    cursor = AsyncRawCursor(conn)
    await cursor.execute(numbered(sql), values)
    return await cursor.fetchall()


async def fetch_generic_rows(conn: Connection, sql: str, values: list[object]) -> list[TupleRow]:
    """The rows of a statement prepared on the connection and run with its generic plan, made once.

    For pg_search.word_weeks_sql, whose every part's shape MATERIALIZED, OFFSET 0 and the one-time
    filters fix whatever the values: planning it for each search's values (PostgreSQL's custom
    plans, which it kept choosing) cost 1-2 ms a search, a fifth of some. The setting is the
    statement's transaction's own (``set_config(..., true)``, sent with it in one pipeline: one
    round trip, one implicit transaction), so no other statement on the connection is planned so.
    """
    async with conn.pipeline():
        await conn.execute(_GENERIC_PLAN)
        cursor = AsyncRawCursor(conn)
        await cursor.execute(numbered(sql), values, prepare=True)
        return await cursor.fetchall()
