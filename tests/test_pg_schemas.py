"""The tests' lent PostgreSQL schemas: up to date, and as new each time they are lent again."""

from __future__ import annotations

import asyncio

from chatroom.store import migrations
from chatroom.store.postgres import PostgresStore

from .pg_schemas import Lendable, SchemaPool
from .pg_server import PostgresServer


def pool_of(server: PostgresServer) -> SchemaPool:
    """A pool of its own, so that these tests see every schema it makes."""
    return SchemaPool(server.connect, server.new_schema, lock_timeout="200ms")


def meta(server: PostgresServer, schema: Lendable) -> dict[str, str]:
    with server.connect() as conn:
        return {
            str(key): str(value) for key, value in conn.execute(f"SELECT key, value FROM {schema.name}.meta")
        }


def fill(url: str) -> str:
    """A store on the schema: an account, a room, a message; its epoch."""

    async def scenario() -> str:
        store = PostgresStore(url)
        await store.start()
        try:
            await store.accounts.create_account("ann", "person")
            await store.append("lobby", "ann", "hello")
            return await store.epoch()
        finally:
            await store.close()

    return asyncio.run(scenario())


def counts(server: PostgresServer, schema: Lendable) -> dict[str, int]:
    with server.connect() as conn:
        return {
            table: int(conn.execute(f"SELECT count(*) FROM {schema.name}.{table}").fetchone()[0])  # type: ignore[index]
            for table in ("accounts", "rooms", "messages")
        }


def test_a_lent_schema_has_every_step_and_no_epoch(postgres_server: PostgresServer) -> None:
    """Lent, a schema is at the latest step, holds no row but that step's and has no epoch yet."""
    pool = pool_of(postgres_server)
    schema = pool.lend()
    assert meta(postgres_server, schema) == {"schema_version": str(migrations.LATEST)}
    assert counts(postgres_server, schema) == {"accounts": 0, "rooms": 0, "messages": 0}


def test_given_back_it_is_emptied_and_lent_again_with_a_new_epoch(postgres_server: PostgresServer) -> None:
    """What a test stored is gone, the account ids start over, and the next store makes a new epoch."""
    pool = pool_of(postgres_server)
    schema = pool.lend()
    first_epoch = fill(schema.url)
    assert counts(postgres_server, schema) == {"accounts": 1, "rooms": 1, "messages": 1}
    pool.take_back(schema)
    again = pool.lend()
    assert again is schema and pool.made == 1
    assert counts(postgres_server, again) == {"accounts": 0, "rooms": 0, "messages": 0}
    assert meta(postgres_server, again) == {"schema_version": str(migrations.LATEST)}
    assert fill(again.url) != first_epoch
    with postgres_server.connect() as conn:
        assert conn.execute(f"SELECT min(id) FROM {again.name}.accounts").fetchone() == (1,)


def test_a_schema_whose_shape_a_test_changed_is_not_lent_again(postgres_server: PostgresServer) -> None:
    """A column added, an index made: the next lending is another schema."""
    pool = pool_of(postgres_server)
    for change in (
        "ALTER TABLE {}.messages ADD COLUMN extra TEXT",
        "CREATE INDEX extra ON {}.rooms (last_id)",
    ):
        schema = pool.lend()
        with postgres_server.connect() as conn:
            conn.execute(change.format(schema.name))
        pool.take_back(schema)
        other = pool.lend()
        assert other is not schema
        pool.take_back(other)
    assert pool.made == 3


def test_a_schema_whose_rows_a_session_still_holds_is_not_lent_again(postgres_server: PostgresServer) -> None:
    """A forgotten transaction holding a row: the pool gives up on the schema after a short wait."""
    pool = pool_of(postgres_server)
    schema = pool.lend()
    fill(schema.url)
    with postgres_server.connect() as holder, holder.transaction():
        holder.execute(f"SELECT * FROM {schema.name}.accounts FOR UPDATE")
        pool.take_back(schema)
    assert pool.lend() is not schema
    assert pool.made == 2
