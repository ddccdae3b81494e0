"""The SQLite writer takes the write lock with short naps while another process's writer holds it."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time
from pathlib import Path

import pytest

from chatroom.store import sqlite_lock
from chatroom.store.sqlite_lock import (
    BUSY_TIMEOUT_S,
    LONG_NAP_S,
    SHORT_NAP_S,
    SHORT_NAPS_FOR_S,
    SharedFileConnection,
    begin_immediate,
)
from chatroom.store.sqlite_sql import transaction


def connect(path: Path, factory: type[sqlite3.Connection] = SharedFileConnection) -> sqlite3.Connection:
    conn = sqlite3.connect(
        path, isolation_level=None, check_same_thread=False, timeout=BUSY_TIMEOUT_S, factory=factory
    )
    conn.execute("PRAGMA journal_mode=WAL")
    return conn


def busy_timeout(conn: sqlite3.Connection) -> int:
    return int(conn.execute("PRAGMA busy_timeout").fetchone()[0])


@pytest.fixture
def two(tmp_path: Path) -> tuple[sqlite3.Connection, sqlite3.Connection]:
    """Two connections to one file: the other process's writer, and ours."""
    path = tmp_path / "chat.db"
    other, ours = connect(path), connect(path)
    other.execute("CREATE TABLE t (n INTEGER)")
    return other, ours


def test_a_free_lock_is_taken_at_once(two: tuple[sqlite3.Connection, sqlite3.Connection]) -> None:
    _, ours = two
    begin_immediate(ours)
    assert ours.in_transaction
    ours.execute("INSERT INTO t VALUES (1)")
    ours.execute("COMMIT")
    assert busy_timeout(ours) == BUSY_TIMEOUT_S * 1000


def naps_until_released(
    other: sqlite3.Connection, monkeypatch: pytest.MonkeyPatch, release_after: int, nap_takes: float = 0.0
) -> list[float]:
    """The naps our writer takes while ``other`` holds the lock for ``release_after`` of them, each
    taking ``nap_takes`` seconds of the writer's clock."""
    other.execute("BEGIN IMMEDIATE")
    clock = [100.0]
    naps: list[float] = []

    def nap(seconds: float) -> None:
        naps.append(seconds)
        clock[0] += nap_takes
        if len(naps) == release_after:
            other.execute("COMMIT")

    monkeypatch.setattr(sqlite_lock, "sleep", nap)
    monkeypatch.setattr(sqlite_lock, "monotonic", lambda: clock[0])
    return naps


def test_a_held_lock_is_tried_again_after_short_naps(
    two: tuple[sqlite3.Connection, sqlite3.Connection], monkeypatch: pytest.MonkeyPatch
) -> None:
    """No escalating naps of SQLite's busy handler: a quarter of a millisecond each time."""
    other, ours = two
    naps = naps_until_released(other, monkeypatch, release_after=5)
    begin_immediate(ours)
    assert ours.in_transaction
    assert naps == [SHORT_NAP_S] * 5
    ours.execute("ROLLBACK")
    assert busy_timeout(ours) == BUSY_TIMEOUT_S * 1000


def test_a_long_wait_naps_longer(
    two: tuple[sqlite3.Connection, sqlite3.Connection], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Once it has waited SHORT_NAPS_FOR_S, the writer spares the CPU: LONG_NAP_S a try."""
    other, ours = two
    # Each try and nap takes 40 % of SHORT_NAPS_FOR_S here: the third try is past it.
    naps = naps_until_released(other, monkeypatch, release_after=12, nap_takes=SHORT_NAPS_FOR_S * 0.4)
    begin_immediate(ours)
    assert naps == [SHORT_NAP_S] * 3 + [LONG_NAP_S] * 9
    ours.execute("ROLLBACK")


def test_the_wait_ends_with_database_is_locked(two: tuple[sqlite3.Connection, sqlite3.Connection]) -> None:
    other, ours = two
    other.execute("BEGIN IMMEDIATE")
    started = time.monotonic()
    with pytest.raises(sqlite3.OperationalError, match="database is locked") as raised:
        begin_immediate(ours, wait=0.1)
    assert raised.value.sqlite_errorcode == sqlite3.SQLITE_BUSY
    assert 0.1 <= time.monotonic() - started < 5
    assert not ours.in_transaction
    assert busy_timeout(ours) == BUSY_TIMEOUT_S * 1000
    other.execute("COMMIT")


def test_any_other_error_is_raised_at_once(
    two: tuple[sqlite3.Connection, sqlite3.Connection], monkeypatch: pytest.MonkeyPatch
) -> None:
    _, ours = two
    ours.execute("BEGIN")
    monkeypatch.setattr(sqlite_lock, "sleep", lambda seconds: pytest.fail("napped"))
    with pytest.raises(sqlite3.OperationalError, match="within a transaction"):
        begin_immediate(ours)
    assert busy_timeout(ours) == BUSY_TIMEOUT_S * 1000
    ours.execute("ROLLBACK")


def test_a_writer_gets_in_between_another_writers_back_to_back_commits(
    two: tuple[sqlite3.Connection, sqlite3.Connection],
) -> None:
    """The case SQLite's own handler loses: the other writer holds the lock 9 ms at a time and takes
    it again half a millisecond after each commit. Ours gets it in one of the first gaps: after one
    of the other's commits, in twelve tries here; SQLite's handler, napping ever longer, after 1 to
    196 of them, 11 in the middle (it fails this in two tries of three).

    Counted in the other's commits rather than in seconds: on a loaded machine both writers slow
    down alike, and a bound of 0.3 s failed there (0.35 s).
    """
    other, ours = two
    done = threading.Event()

    def commit_back_to_back() -> None:
        for n in range(200):
            other.execute("BEGIN IMMEDIATE")
            other.execute("INSERT INTO t VALUES (?)", (n,))
            time.sleep(0.009)
            other.execute("COMMIT")
            time.sleep(0.0005)
        done.set()

    thread = threading.Thread(target=commit_back_to_back)
    thread.start()
    try:
        time.sleep(0.05)
        before = ours.execute("SELECT count(*) FROM t").fetchone()[0]
        # As every write of the store takes it.
        with transaction(ours):
            assert not done.is_set()
            committed_meanwhile = ours.execute("SELECT count(*) FROM t").fetchone()[0] - before
            ours.execute("INSERT INTO t VALUES (-1)")
    finally:
        thread.join()
    assert committed_meanwhile < 10
    assert ours.execute("SELECT count(*) FROM t").fetchone()[0] == 201


def test_a_file_of_its_own_leaves_the_waiting_to_sqlite(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One process, no Redis: no busy timeout turned off and on for each transaction."""
    path = tmp_path / "chat.db"
    other, ours = connect(path), connect(path, sqlite3.Connection)
    other.execute("CREATE TABLE t (n INTEGER)")
    other.execute("BEGIN IMMEDIATE")
    release = threading.Timer(0.1, other.execute, ("COMMIT",))
    monkeypatch.setattr(sqlite_lock, "sleep", lambda seconds: pytest.fail("napped"))
    release.start()
    try:
        with transaction(ours):
            ours.execute("INSERT INTO t VALUES (1)")
    finally:
        release.join()
    assert ours.execute("SELECT count(*) FROM t").fetchone()[0] == 1


@pytest.mark.parametrize("shared", [False, True])
def test_the_store_naps_for_the_lock_when_other_processes_may_share_its_file(
    tmp_path: Path, shared: bool
) -> None:
    from chatroom.store import open_store
    from chatroom.store.sqlite import SQLiteStore

    store = open_store(f"sqlite:///{tmp_path / 'chat.db'}", shared=shared)
    assert isinstance(store, SQLiteStore)
    writer, reader = store._connect(write=True), store._connect(write=False)
    try:
        assert isinstance(writer, SharedFileConnection) is shared
        assert not isinstance(reader, SharedFileConnection)
    finally:
        writer.close()
        reader.close()


@pytest.mark.parametrize("redis_url", ["", "redis://127.0.0.1:1"])
def test_with_redis_the_server_takes_its_sqlite_file_for_shared(tmp_path: Path, redis_url: str) -> None:
    """SQLite + Redis is how several processes share one file; nothing is connected here."""
    from chatroom.config import Settings
    from chatroom.server import make_service
    from chatroom.store.sqlite import SQLiteStore

    service = make_service(Settings(database=str(tmp_path / "chat.db"), redis_url=redis_url))
    assert isinstance(service.store, SQLiteStore)
    assert service.store.shared is bool(redis_url)


def test_a_shared_files_writer_keeps_the_handler_off_from_batch_to_batch(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No busy timeout turned off and on for each batch: once for a run of batches, and back on for
    other work between them, which may wait outside a transaction (an account's change, the probe)."""
    from chatroom.store import open_store
    from chatroom.store.sqlite import SQLiteStore

    async def scenario() -> None:
        store = open_store(f"sqlite:///{tmp_path / 'chat.db'}", shared=True)
        assert isinstance(store, SQLiteStore)
        await store.start()
        try:
            assert store._writer is not None
            pragmas: list[str] = []
            store._writer.conn.set_trace_callback(
                lambda statement: pragmas.append(statement) if "busy_timeout" in statement else None
            )
            for n in range(3):
                await store.append("lobby", "ann", f"one of a run {n}")
            assert pragmas == ["PRAGMA busy_timeout = 0"]
            assert await store._writer.run(busy_timeout, "cannot read") == BUSY_TIMEOUT_S * 1000
            await store.append("lobby", "ann", "after other work")
            assert pragmas[1:] == [
                "PRAGMA busy_timeout = 10000",
                "PRAGMA busy_timeout",
                "PRAGMA busy_timeout = 0",
            ]
            # Still a short nap when another process holds the lock, with the handler off all along.
            other = connect(tmp_path / "chat.db", sqlite3.Connection)
            naps = naps_until_released(other, monkeypatch, release_after=3)
            stored = await store.append("lobby", "ann", "past the other writer")
            assert naps == [SHORT_NAP_S] * 3 and stored.message.id == 5
            assert len(pragmas) == 4
            other.close()
        finally:
            await store.close()

    asyncio.run(scenario())
