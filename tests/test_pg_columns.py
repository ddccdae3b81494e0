"""A batch's columns, written in PostgreSQL's binary array form, reach the server as the same values."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chatroom.store.pg_columns import (
    Column,
    bigint_column,
    boolean_column,
    bytea_column,
    register_columns,
    text_column,
)

from .pg_server import PostgresServer

# What PostgreSQL's text accepts: no NUL, no lone surrogate (store.pg_batch.storable).
TEXT = st.text(alphabet=st.characters(blacklist_categories=["Cs"], blacklist_characters="\x00"), max_size=40)
BIGINT = st.integers(min_value=-(2**63), max_value=2**63 - 1)

CASES: list[tuple[str, Callable[[Any], Column], st.SearchStrategy[list[Any]]]] = [
    ("text[]", text_column, st.lists(st.none() | TEXT, max_size=12)),
    ("bigint[]", bigint_column, st.lists(st.none() | BIGINT, max_size=12)),
    ("boolean[]", boolean_column, st.lists(st.booleans(), max_size=12)),
    ("bytea[]", bytea_column, st.lists(st.none() | st.binary(max_size=40), max_size=12)),
]


async def _round_trip(url: str, kind: str, column: Column, placeholder: str) -> tuple[Any, Any]:
    """The array as the server received it, and its type's name there."""
    async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
        register_columns(conn)
        cursor = await conn.execute(
            f"SELECT {placeholder}::{kind}, pg_typeof({placeholder})::text", [column, column]
        )
        row = await cursor.fetchone()
        assert row is not None
        return row[0], row[1]


def round_trip(url: str, kind: str, column: Column, placeholder: str = "%b") -> tuple[Any, Any]:
    return asyncio.run(_round_trip(url, kind, column, placeholder))


@pytest.mark.parametrize(("kind", "make", "values"), CASES, ids=[c[0] for c in CASES])
def test_every_column_type_reaches_the_server_as_its_values(
    postgres_server: PostgresServer,
    kind: str,
    make: Callable[[Any], Column],
    values: st.SearchStrategy[list[Any]],
) -> None:
    """Any values of the column's type, NULLs and the empty column included, come back unchanged."""
    url = postgres_server.url()

    @settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(values)
    def check(sample: list[Any]) -> None:
        received, typed = round_trip(url, kind, make(sample))
        assert received == sample
        assert typed == kind

    check()


def test_a_column_with_plain_placeholders_is_the_same_array(postgres_server: PostgresServer) -> None:
    """A %s placeholder (the batch's statements with replies and files) sends the column as %b does."""
    values = ["ann", None, "聊天室", ""]
    received, typed = round_trip(postgres_server.url(), "text[]", text_column(values), placeholder="%s")
    assert (received, typed) == (values, "text[]")


def test_a_connection_not_taught_the_columns_refuses_them(postgres_server: PostgresServer) -> None:
    """Only a connection that registered the column types can send them: psycopg refuses them elsewhere."""

    async def main() -> None:
        async with await psycopg.AsyncConnection.connect(postgres_server.url(), autocommit=True) as conn:
            with pytest.raises(psycopg.ProgrammingError, match="cannot adapt"):
                await conn.execute("SELECT %b::text[]", [text_column(["ann"])])

    asyncio.run(main())


def test_lists_on_a_taught_connection_go_as_before(postgres_server: PostgresServer) -> None:
    """Registering the columns changes no other type's dumping: lists of ints or strings still round-trip."""

    async def main() -> None:
        async with await psycopg.AsyncConnection.connect(postgres_server.url(), autocommit=True) as conn:
            register_columns(conn)
            cursor = await conn.execute("SELECT %s::bigint[], %b::text[]", [[1, None, 3], ["a", "b"]])
            assert await cursor.fetchone() == ([1, None, 3], ["a", "b"])

    asyncio.run(main())
