"""The real server on a PostgreSQL of the test's own: outages under traffic, SIGKILL, restarts."""

from __future__ import annotations

import asyncio
import json
import re
import time
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from .clients import ajoin, asend_message
from .pg_server import PostgresServer, running_postgres
from .support import ServerProcess, http_status, wait_until

# How long a message's ack or error may take, PostgreSQL restarting included.
ANSWER = 20.0


@pytest.fixture
def postgres() -> Iterator[PostgresServer]:
    """A cluster of this test's own: the test stops and starts it."""
    with running_postgres() as server:
        yield server


def history(server: ServerProcess) -> list[tuple[int, str]]:
    with urllib.request.urlopen(f"{server.url}/api/rooms/lobby/messages?limit=500", timeout=10) as response:
        return [(m["id"], m["message"]) for m in json.loads(response.read())["messages"]]


def test_an_outage_refuses_then_recovers_by_itself(postgres: PostgresServer) -> None:
    """PostgreSQL stopped under traffic: `unavailable` and 503, the member stays; back: acks resume,
    ids go on without a gap, and no acked message is lost."""
    with ServerProcess(postgres.url()) as server:

        async def scenario() -> None:
            ann, _ = await ajoin(server, "lobby", "ann")
            acked = {}
            for n in range(5):
                acked[f"a{n}"] = (await asend_message(ann, f"before {n}", f"a{n}", ANSWER))["id"]
            await asyncio.to_thread(postgres.stop)
            await asyncio.to_thread(wait_until, lambda: http_status(server.url + "/healthz") == 503, 20)
            refusal = await asend_message(ann, "while away", "b", ANSWER)
            assert (refusal["type"], refusal["code"]) == ("error", "unavailable")
            await asyncio.to_thread(postgres.start)
            await asyncio.to_thread(wait_until, lambda: http_status(server.url + "/healthz") == 200, 30)
            for n in range(5):
                reply = await asend_message(ann, f"after {n}", f"c{n}", ANSWER)
                assert reply["type"] == "ack", reply
                acked[f"c{n}"] = reply["id"]
            assert sorted(acked.values()) == list(range(1, 11))
            stored = await asyncio.to_thread(history, server)
            assert [i for i, _ in stored] == list(range(1, 11))
            assert "while away" not in [text for _, text in stored]
            await ann.close()

        asyncio.run(scenario())


def test_an_outage_is_logged_once_one_line_an_event(postgres: PostgresServer) -> None:
    """PostgreSQL away for several seconds: chatroom.store says so once and once more when it is back;
    the pool's own retries, whose lines span two, stay out of the log."""
    with ServerProcess(postgres.url()) as server:
        postgres.stop()
        wait_until(lambda: http_status(server.url + "/healthz") == 503, 20)
        time.sleep(6)  # the pool's reconnection attempts give up after 5 s
        postgres.start()
        wait_until(lambda: http_status(server.url + "/healthz") == 200, 30)
        log = server.log()
    assert log.count("the store cannot be written") == 1 and "the store accepts writes again" in log
    assert "psycopg" not in log
    assert all(re.match(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} [A-Z]+ ", line) for line in log.splitlines())


def test_a_process_opens_no_more_connections_than_the_deployment_guide_budgets(
    postgres: PostgresServer,
) -> None:
    """Reads from many clients at once grow the pool to its most, the writer's beside it: as many
    connections as docs/deploy.md tells an operator to make room for, and no more."""
    guide = (Path(__file__).resolve().parent.parent / "docs" / "deploy.md").read_text()
    budget = re.search(r"each chatroom\s+process keeps up to (\d+)", guide)
    assert budget is not None

    def open_connections() -> int:
        with postgres.connect() as conn:
            row = conn.execute("SELECT count(*) FROM pg_stat_activity WHERE application_name = 'chatroom'")
            return int(row.fetchone()[0])  # type: ignore[index]

    seen = 0
    with ServerProcess(postgres.url()) as server, ThreadPoolExecutor(32) as readers:
        for _ in range(20):
            list(readers.map(lambda _: history(server), range(64)))
            seen = max(seen, open_connections())
    assert seen == int(budget.group(1))


def test_sigkill_after_acks_loses_nothing(postgres: PostgresServer) -> None:
    """Every acked message is in PostgreSQL when the server is killed; a new server goes on after it."""
    url = postgres.url()
    first = ServerProcess(url, "--rate", "1000", "--burst", "1000").start()

    async def send_some() -> list[int]:
        ann, _ = await ajoin(first, "lobby", "ann")
        ids = [(await asend_message(ann, f"m{n}", str(n), ANSWER))["id"] for n in range(50)]
        return ids

    ids = asyncio.run(send_some())
    first.kill()
    with ServerProcess(url) as second:
        assert [i for i, _ in history(second)] == ids == list(range(1, 51))

        async def more() -> int:
            bob, _ = await ajoin(second, "lobby", "bob")
            return int((await asend_message(bob, "after the crash", "x", ANSWER))["id"])

        assert asyncio.run(more()) == 51


def test_a_newer_database_refuses_to_start(postgres: PostgresServer) -> None:
    """A database written by a newer chatroom: one line on stderr and exit 1."""
    url = postgres.url()
    with ServerProcess(url):
        pass
    with postgres.connect() as conn:
        conn.execute("UPDATE meta SET value = '999' WHERE key = 'schema_version'")
    server = ServerProcess(url)
    with pytest.raises(RuntimeError, match="exited 1") as failure:
        server.start()
    assert "newer than this chatroom" in str(failure.value)
    assert "Traceback" not in str(failure.value)
