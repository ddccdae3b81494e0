"""PostgresStore beyond the contract: several nodes on one database, outages, schemas and URLs."""

from __future__ import annotations

import asyncio
import logging
import random
import secrets
import time

import psycopg
import pytest

from chatroom.backend import DEDUPE_WINDOW_MS, StoredMessage
from chatroom.clock import now_ms
from chatroom.names import room_key
from chatroom.store import migrations, pg_writer, postgres
from chatroom.store.base import SchemaTooNewError, StoreError, StoreStartupError
from chatroom.store.postgres import PostgresStore

from .pg_server import SUPERUSER, PostgresServer, running_postgres
from .support import free_port


def test_nodes_share_one_gapless_sequence_per_room(postgres_server: PostgresServer) -> None:
    """Four stores (four pools, as four nodes) storing into the same rooms at once: one id sequence per room.

    Bursts in random room order make batches of many rooms at once, the
    case where two transactions that lock rooms in different orders deadlock.
    """
    url = postgres_server.new_schema()
    rooms = [f"room-{i}" for i in range(40)]
    rng = random.Random(7)

    async def send(store: PostgresStore, node: str) -> list[StoredMessage]:
        stored: list[StoredMessage] = []
        for wave in range(4):
            burst = [rng.choice(rooms) for _ in range(150)]
            results = await asyncio.gather(
                *[store.append(r, node, f"{node} {wave} {i}") for i, r in enumerate(burst)]
            )
            stored += [result.message for result in results]
        return stored

    async def main() -> None:
        nodes = [PostgresStore(url, max_batch=rng.randint(5, 80)) for _ in range(4)]
        # Nodes starting together on an empty database migrate it once.
        await asyncio.gather(*[node.start() for node in nodes])
        try:
            sent = [
                m
                for messages in await asyncio.gather(*[send(n, str(i)) for i, n in enumerate(nodes)])
                for m in messages
            ]
            for room in rooms:
                mine = sorted((m for m in sent if m.room == room), key=lambda m: m.id)
                assert [m.id for m in mine] == list(range(1, len(mine) + 1)), room
                assert await nodes[0].last_id(room) == len(mine)
                assert [m.text for m in await nodes[1].history(room, limit=500)] == [m.text for m in mine]
            assert len({await node.epoch() for node in nodes}) == 1
        finally:
            await asyncio.gather(*[node.close() for node in nodes])

    asyncio.run(main())


def test_a_resend_to_another_node_is_stored_once(postgres_server: PostgresServer) -> None:
    """The same message sent through two nodes at once is stored once; both get its id."""
    url = postgres_server.new_schema()

    async def main() -> None:
        a, b = PostgresStore(url), PostgresStore(url)
        await a.start()
        await b.start()
        try:
            for i in range(20):
                results = await asyncio.gather(
                    a.append("lobby", "Ann", f"hi {i}", ref=str(i)),
                    b.append("lobby", "ann", f"hi {i}", ref=str(i)),
                )
                assert results[0].message == results[1].message
                assert sorted(r.new for r in results) == [False, True]
            assert await a.last_id("lobby") == 20
        finally:
            await a.close()
            await b.close()

    asyncio.run(main())


def test_a_failing_batch_fails_every_message_and_gives_its_ids_back(postgres_server: PostgresServer) -> None:
    """A batch the database refuses fails all its messages, other rooms' too, and takes no id."""
    url = postgres_server.new_schema()

    async def main() -> None:
        store = PostgresStore(url, probe_interval=60)
        await store.start()
        try:
            await asyncio.gather(*[store.append("lobby", "ann", f"m{i}") for i in range(3)])
            with psycopg.connect(url, autocommit=True) as conn:
                # The next id the batch takes for lobby is one already stored.
                conn.execute("UPDATE rooms SET last_id = 1 WHERE room = 'lobby'")
            outcomes = await asyncio.gather(
                store.append("lobby", "ann", "clash"),
                store.append("elsewhere", "bob", "x"),
                return_exceptions=True,
            )
            assert all(isinstance(outcome, StoreError) for outcome in outcomes), outcomes
            assert not await store.healthy()
            assert await store.last_id("elsewhere") == 0
            assert [row.room for row in await store.rooms()] == ["lobby"]
            with psycopg.connect(url, autocommit=True) as conn:
                conn.execute("UPDATE rooms SET last_id = 3 WHERE room = 'lobby'")
            assert (await store.append("elsewhere", "bob", "y")).message.id == 1
            assert (await store.append("lobby", "ann", "m3")).message.id == 4
        finally:
            await store.close()

    asyncio.run(main())


def test_digests_past_the_resend_window_are_forgotten(
    postgres_server: PostgresServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A batch a minute or more after the last cleanup deletes the digests past the resend window."""
    url = postgres_server.new_schema()

    def digests() -> list[tuple[str, int]]:
        with psycopg.connect(url, autocommit=True) as conn:
            return [
                (str(room), int(msg_id))
                for room, msg_id in conn.execute("SELECT room, id FROM sent ORDER BY id")
            ]

    def set_clock(ms: int) -> None:
        # The messages' times (the store's) and the cleanup's (its writer's).
        for module in (postgres, pg_writer):
            monkeypatch.setattr(module, "now_ms", lambda: ms)

    async def main() -> None:
        store = PostgresStore(url, probe_interval=60)
        await store.start()
        try:
            start = now_ms()
            first = await store.append("lobby", "ann", "hi", ref="a")
            assert (await store.append("lobby", "ann", "hi", ref="a")).message == first.message
            # Within the minute after a cleanup nothing is deleted.
            set_clock(start + 30_000)
            assert (await store.append("lobby", "ann", "hi", ref="b")).message.id == 2
            assert digests() == [("lobby", 1), ("lobby", 2)]
            # Later, what is past the window goes: the first digest, not the second.
            set_clock(start + DEDUPE_WINDOW_MS + 1_000)
            assert (await store.append("lobby", "ann", "hi", ref="c")).message.id == 3
            assert digests() == [("lobby", 2), ("lobby", 3)]
            again = await store.append("lobby", "ann", "hi", ref="a")
            assert (again.new, again.message.id) == (True, 4)
        finally:
            await store.close()

    asyncio.run(main())


def test_text_postgresql_cannot_hold_fails_alone(postgres_server: PostgresServer) -> None:
    """A NUL or a lone surrogate fails its own message, not the batch it would have joined."""

    async def main() -> None:
        store = PostgresStore(postgres_server.new_schema())
        await store.start()
        try:
            outcomes = await asyncio.gather(
                store.append("lobby", "ann", "one"),
                store.append("lobby", "ann", "nul \x00 inside"),
                store.append("lobby", "ann\ud800", "surrogate"),
                store.append("lobby", "ann", "two"),
                return_exceptions=True,
            )
            assert [type(o).__name__ for o in outcomes] == [
                "Appended",
                "StoreError",
                "StoreError",
                "Appended",
            ]
            assert [m.text for m in await store.history("lobby")] == ["one", "two"]
            assert await store.healthy()
        finally:
            await store.close()

    asyncio.run(main())


def test_a_newer_schema_refuses_to_start(postgres_server: PostgresServer) -> None:
    """A database migrated by a newer chatroom is refused with a one-line reason."""
    url = postgres_server.new_schema()

    async def main() -> None:
        store = PostgresStore(url)
        await store.start()
        await store.close()
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(
                "UPDATE meta SET value = %s WHERE key = 'schema_version'", (str(migrations.LATEST + 1),)
            )
        with pytest.raises(SchemaTooNewError, match="newer than this chatroom") as refused:
            await PostgresStore(url).start()
        assert "\n" not in str(refused.value)

    asyncio.run(main())


def test_a_new_database_logs_each_step_and_those_for_sqlite_alone_as_nothing_to_change(
    postgres_server: PostgresServer, caplog: pytest.LogCaptureFixture
) -> None:
    """Each step is one log line; a step with nothing for PostgreSQL does not claim to be applied."""
    caplog.set_level(logging.INFO, logger="chatroom.store")

    async def main() -> None:
        store = PostgresStore(postgres_server.new_schema())
        await store.start()
        await store.close()

    asyncio.run(main())
    lines = [r.getMessage() for r in caplog.records if "PostgreSQL schema step" in r.getMessage()]
    assert len(lines) == len(migrations.STEPS)
    for step, line in zip(migrations.STEPS, lines, strict=True):
        if step.postgres or step.fix is not None:
            assert line == f"PostgreSQL schema step {step.version} applied: {step.summary}"
        else:
            assert line == f"PostgreSQL schema step {step.version}: nothing to change on PostgreSQL"
    assert any(line.endswith("nothing to change on PostgreSQL") for line in lines)  # step 18, at least


def test_migration_from_version_1_fills_room_keys(postgres_server: PostgresServer) -> None:
    """A database at schema version 1 keeps its history and epoch, and its rooms get look-alike keys."""
    url = postgres_server.new_schema()
    with psycopg.connect(url, autocommit=True) as conn:
        for sql in migrations.STEPS[0].postgres:
            conn.execute(sql)  # type: ignore[arg-type]
        conn.execute("INSERT INTO meta VALUES ('schema_version', '1'), ('epoch', 'epoch-of-1')")
        conn.execute("INSERT INTO rooms VALUES ('lobby', 2), ('Straße', 1)")
        conn.execute(
            "INSERT INTO messages VALUES ('lobby', 1, 'ann', 'first', 1000),"
            " ('lobby', 2, 'bob', 'second', 2000), ('Straße', 1, 'ann', 'hallo', 3000)"
        )

    async def main() -> None:
        store = PostgresStore(url)
        await store.start()
        try:
            assert await store.epoch() == "epoch-of-1"
            assert [(m.id, m.text, m.bot) for m in await store.history("lobby")] == [
                (1, "first", False),
                (2, "second", False),
            ]
            assert await store.room_holding(room_key("Iobby")) == "lobby"
            assert await store.room_holding(room_key("Straße")) == "Straße"
            assert (await store.append("lobby", "ann", "third")).message.id == 3
        finally:
            await store.close()

    asyncio.run(main())
    with psycopg.connect(url, autocommit=True) as conn:
        row = conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    assert row == (str(migrations.LATEST),)


def test_a_role_without_temporary_refuses_to_start(postgres_server: PostgresServer) -> None:
    """The writer makes its store function in its own session: a role that may not says so at start."""
    database, role = "no_temp_" + secrets.token_hex(4), "r_" + secrets.token_hex(4)
    with postgres_server.connect() as conn:
        conn.execute(f"CREATE DATABASE {database}")
        conn.execute(f"CREATE ROLE {role} LOGIN")
        conn.execute(f"GRANT CONNECT ON DATABASE {database} TO {role}")
        conn.execute(f"REVOKE TEMPORARY ON DATABASE {database} FROM PUBLIC")
    with postgres_server.connect(database) as conn:
        conn.execute("CREATE EXTENSION pg_trgm SCHEMA public")
        conn.execute(f"CREATE SCHEMA chat AUTHORIZATION {role}")
    url = postgres_server.url(database, "chat").replace(f"{SUPERUSER}@", f"{role}@")

    async def main() -> None:
        store = PostgresStore(url)
        with pytest.raises(StoreStartupError) as refused:
            await store.start()
        assert str(refused.value).startswith("cannot prepare the writer on the PostgreSQL database")
        assert "permission denied" in str(refused.value)

    asyncio.run(main())


def test_a_password_never_reaches_an_error_message(postgres_server: PostgresServer) -> None:
    """Bad URLs, unreachable servers and unknown users are one-line errors without the password."""
    secret = "s3cr3t-Pw"
    port = free_port()
    urls = [
        f"postgresql://ann:{secret}@127.0.0.1:{port}/chat",
        f"postgresql://nobody:{secret}@127.0.0.1:{postgres_server.port}/postgres",
        f"postgresql://ann:{secret}@127.0.0.1:{port}/chat?bogus",
        f"postgresql://ann:{secret}@127.0.0.1:{port}/chat?bogus=1",
        f"host=127.0.0.1 port={port} password={secret} junk",
        f"host=127.0.0.1 port={port} password {secret}",
        f"postgresql://ann:{secret}@[::1",
    ]

    async def main() -> None:
        for url in urls:
            started = time.monotonic()
            with pytest.raises(StoreStartupError) as refused:
                await PostgresStore(url, timeout=2).start()
            message = str(refused.value)
            assert secret not in message and "\n" not in message, message
            assert time.monotonic() - started < 5, url
        assert "127.0.0.1:" in message or "not valid" in message

    asyncio.run(main())


def test_an_outage_fails_appends_then_the_store_follows_the_server_back(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Server stopped under traffic: StoreError, unhealthy within seconds; back: nothing acked is lost."""
    secret = "outage-Pw"
    caplog.set_level(logging.INFO)

    async def main(server: PostgresServer) -> None:
        url = f"postgresql://postgres:{secret}@127.0.0.1:{server.port}/postgres"
        store = PostgresStore(url, timeout=1.0, probe_interval=0.2)
        await store.start()
        acked: list[StoredMessage] = []
        errors: list[str] = []
        running = True

        async def traffic() -> None:
            i = 0
            while running:
                i += 1
                try:
                    acked.append((await store.append(f"r{i % 3}", "ann", f"m{i}")).message)
                except StoreError as error:
                    errors.append(str(error))
                await asyncio.sleep(0.01)

        sender = asyncio.create_task(traffic())
        try:
            await wait_for(lambda: len(acked) >= 20)
            await asyncio.to_thread(server.stop, "immediate")
            stopped = time.monotonic()
            await wait_for(lambda: bool(errors))
            assert not await store.healthy()
            assert time.monotonic() - stopped < 5
            await asyncio.to_thread(server.start)
            failed_by_then = len(errors)
            acked_by_then = len(acked)
            await wait_for(lambda: len(acked) >= acked_by_then + 20, timeout=10)
            await wait_for_healthy(store)
            assert len(errors) >= failed_by_then
        finally:
            running = False
            await sender
        try:
            for room in {m.room for m in acked}:
                stored = await store.history(room, limit=1000)
                # Every acked message is there; failed batches gave their ids back.
                assert [m.id for m in stored] == list(range(1, len(stored) + 1))
                assert {(m.id, m.text) for m in acked if m.room == room} <= {(m.id, m.text) for m in stored}
        finally:
            await store.close()
        assert all(secret not in error for error in errors)

    with running_postgres() as server:
        asyncio.run(main(server))
    assert secret not in caplog.text


def test_a_server_that_stops_answering_fails_appends_within_the_timeout() -> None:
    """A paused server (connections open, no answer): appends fail after the timeout, not later; then work."""

    async def main(server: PostgresServer) -> None:
        store = PostgresStore(server.url(), timeout=1.0, probe_interval=0.2)
        await store.start()
        try:
            assert (await store.append("lobby", "ann", "before")).message.id == 1
            server.pause()
            try:
                started = time.monotonic()
                with pytest.raises(StoreError, match="no answer"):
                    await store.append("lobby", "ann", "lost")
                assert time.monotonic() - started < 2.0
                started = time.monotonic()
                assert not await store.healthy()
                assert time.monotonic() - started < 1.5
            finally:
                server.resume()
            assert (await store.append("lobby", "ann", "after")).message.text == "after"
            await wait_for_healthy(store)
        finally:
            await store.close()

    with running_postgres() as server:
        asyncio.run(main(server))


def test_a_restart_between_messages_fails_none() -> None:
    """PostgreSQL restarted (fast or crash) while the writer was idle: the next message is stored."""

    async def main(server: PostgresServer) -> None:
        store = PostgresStore(server.url(), probe_interval=60)
        await store.start()
        try:
            assert (await store.append("lobby", "ann", "first")).message.id == 1
            for n, mode in enumerate(["fast", "immediate"], 2):
                await asyncio.to_thread(server.stop, mode)
                await asyncio.to_thread(server.start)
                assert (await store.append("lobby", "ann", mode)).message.id == n
        finally:
            await store.close()

    with running_postgres() as server:
        asyncio.run(main(server))


def test_a_restart_between_reads_fails_none() -> None:
    """PostgreSQL restarted (fast or crash) while six of the pool's connections were idle: the next
    reads answer at once (the first ended session found sweeps the others; one by one, the pool
    waited 1, 2 and 4 s between them and the read timed out)."""

    async def main(server: PostgresServer) -> None:
        store = PostgresStore(server.url(), probe_interval=60, pool_size=6)
        await store.start()
        try:
            await store.append("lobby", "ann", "first")
            for mode in ["fast", "immediate"]:
                await fill_the_pool(store, 6)
                await asyncio.to_thread(server.stop, mode)
                await asyncio.to_thread(server.start)
                started = time.monotonic()
                assert [m.text for m in await store.history("lobby")] == ["first"]
                # One by one, three ended connections alone cost the pool's waits of 1 s and 2 s.
                assert time.monotonic() - started < 2.5
                for _ in range(6):
                    assert [m.text for m in await store.history("lobby")] == ["first"]
                    assert await store.last_id("lobby") == 1
        finally:
            await store.close()

    with running_postgres() as server:
        asyncio.run(main(server))


async def fill_the_pool(store: PostgresStore, size: int) -> None:
    """Reads at once that hold ``size`` connections together, then leave them idle in the pool."""
    await asyncio.gather(*(store._fetch("SELECT pg_sleep(0.3)") for _ in range(size)))
    assert store._pool is not None and store._pool.get_stats()["pool_size"] == size


async def wait_for(condition: object, timeout: float = 5.0) -> None:
    """Poll ``condition()`` on the loop until it is true, or fail the test."""
    assert callable(condition)
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"condition not met within {timeout}s")
        await asyncio.sleep(0.02)


async def wait_for_healthy(store: PostgresStore, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not await store.healthy():
        if time.monotonic() > deadline:
            pytest.fail(f"the store is not healthy within {timeout}s")
        await asyncio.sleep(0.05)
