"""The embedded service on its SQLite store: durable group commit, ids, paging, faults and a clean stop."""

from __future__ import annotations

import asyncio
import logging
import re
import sqlite3
import threading
from collections.abc import Callable, Coroutine, Sequence
from pathlib import Path
from typing import Any, TypeVar

import pytest

from chatroom import metrics
from chatroom.backend import BackendError, Event, StartupError, StoredMessage
from chatroom.service import ChatService, embedded
from chatroom.store import sqlite as sqlite_store
from chatroom.store.sqlite_sql import PROBE_BYTES

T = TypeVar("T")


def run(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run one test's coroutine on a fresh event loop."""
    return asyncio.run(asyncio.wait_for(coroutine, 20))


def stored_rows(path: Path, room: str = "lobby") -> list[tuple[int, str, str]]:
    """What another connection reads from the file: (id, nick, message)."""
    with sqlite3.connect(path) as conn:
        rows = conn.execute("SELECT id, nick, message FROM messages WHERE room = ? ORDER BY id", (room,))
        return [(int(i), str(n), str(m)) for i, n, m in rows]


async def started(path: Path | str, **options: Any) -> ChatService:
    backend = embedded(str(path), **options)
    await backend.start()
    return backend


async def on_writer(backend: ChatService, job: Callable[[sqlite3.Connection], T]) -> T:
    """Run ``job`` on the writer's connection, between two batches, as the store's own work runs."""
    assert backend.store._writer is not None
    return await backend.store._writer.run(job, "the test's work")


async def until(condition: Callable[[], bool], wait: float = 10.0) -> None:
    """Return once ``condition()`` holds; fail the test if it does not within ``wait`` seconds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + wait
    while not condition():
        assert loop.time() < deadline, "the condition did not come true"
        await asyncio.sleep(0.001)


class WriterGate:
    """Holds the writer thread inside a job until opened, so work queues up."""

    def __init__(self, backend: ChatService) -> None:
        self.entered = threading.Event()
        self.opened = threading.Event()
        assert backend.store._writer is not None
        backend.store._writer.put(self._hold)

    def _hold(self, conn: sqlite3.Connection) -> None:
        self.entered.set()
        self.opened.wait(10)

    async def wait_entered(self) -> None:
        await asyncio.get_running_loop().run_in_executor(None, self.entered.wait, 10)

    def open(self) -> None:
        self.opened.set()


def count_commits(backend: ChatService) -> list[str]:
    """Record every COMMIT the writer runs from now on."""
    commits: list[str] = []
    assert backend.store._writer is not None
    backend.store._writer.conn.set_trace_callback(
        lambda sql: commits.append(sql) if sql == "COMMIT" else None
    )
    return commits


def test_a_message_is_readable_from_the_file_before_its_publish_resolves(tmp_path: Path) -> None:
    """When publish resolves and the room hears of a message, another connection already reads it."""
    db = tmp_path / "chat.db"
    seen_at_delivery: list[list[tuple[int, str, str]]] = []

    async def scenario() -> tuple[StoredMessage, list[tuple[int, str, str]]]:
        backend = await started(db)
        await backend.subscribe("lobby", lambda events: seen_at_delivery.append(stored_rows(db)))
        message = await backend.publish("lobby", "ann", "hello")
        rows_at_resolve = stored_rows(db)
        await backend.close()
        return message, rows_at_resolve

    message, rows_at_resolve = run(scenario())
    assert (message.id, message.nick, message.text) == (1, "ann", "hello")
    assert rows_at_resolve == [(1, "ann", "hello")]
    assert seen_at_delivery == [[(1, "ann", "hello")]]


@pytest.mark.parametrize("synchronous", ["full", "normal"])
def test_a_burst_is_stored_in_one_transaction(tmp_path: Path, synchronous: str) -> None:
    """Messages that queue while the writer is busy go to disk in a single commit, ids in order."""

    async def scenario() -> tuple[list[int], int]:
        backend = await started(tmp_path / "chat.db", synchronous=synchronous)
        gate = WriterGate(backend)
        await gate.wait_entered()
        commits = count_commits(backend)
        futures = [backend.publish("lobby", "ann", f"m{n}") for n in range(500)]
        gate.open()
        ids = [message.id for message in await asyncio.gather(*futures)]
        await backend.close()
        return ids, len(commits)

    ids, commits = run(scenario())
    assert ids == list(range(1, 501))
    assert commits == 1
    assert [row[0] for row in stored_rows(tmp_path / "chat.db")] == ids


def test_the_baseline_commits_each_message_on_its_own(tmp_path: Path) -> None:
    """With max_batch=1 (the benchmark's baseline) every message is its own transaction."""

    async def scenario() -> int:
        backend = await started(tmp_path / "chat.db", max_batch=1)
        gate = WriterGate(backend)
        await gate.wait_entered()
        commits = count_commits(backend)
        futures = [backend.publish("lobby", "ann", f"m{n}") for n in range(20)]
        gate.open()
        await asyncio.gather(*futures)
        await backend.close()
        return len(commits)

    assert run(scenario()) == 20


def test_the_event_loop_goes_on_while_the_disk_is_busy(tmp_path: Path) -> None:
    """With the writer stuck, publish still returns at once and history still answers."""

    async def scenario() -> tuple[bool, list[StoredMessage], StoredMessage]:
        backend = await started(tmp_path / "chat.db")
        await backend.publish("lobby", "ann", "before")
        gate = WriterGate(backend)
        await gate.wait_entered()
        pending = backend.publish("lobby", "ann", "while stuck")
        await asyncio.sleep(0.05)
        was_pending = not pending.done()
        history = await backend.history("lobby")
        gate.open()
        message = await pending
        await backend.close()
        return was_pending, history, message

    was_pending, history, message = run(scenario())
    assert was_pending
    assert [m.text for m in history] == ["before"]
    assert (message.id, message.text) == (2, "while stuck")


def test_the_room_receives_messages_in_id_order_after_they_are_stored(tmp_path: Path) -> None:
    """A subscribed room gets every stored message once, in id order, across rooms and batches."""
    received: dict[str, list[int]] = {"a": [], "b": []}

    def sink_for(room: str) -> Callable[[Sequence[Event]], None]:
        return lambda events: received[room].extend(e.id for e in events if isinstance(e, StoredMessage))

    async def scenario() -> None:
        backend = await started(tmp_path / "chat.db")
        await backend.subscribe("a", sink_for("a"))
        await backend.subscribe("b", sink_for("b"))
        futures = [backend.publish("ab"[n % 2], "ann", str(n)) for n in range(300)]
        await asyncio.gather(*futures)
        await backend.close()

    run(scenario())
    assert received == {"a": list(range(1, 151)), "b": list(range(1, 151))}


def test_close_stores_every_queued_message_and_refuses_later_ones(tmp_path: Path) -> None:
    """Messages queued before close are in the file afterwards; a publish after close fails."""
    db = tmp_path / "chat.db"

    async def scenario() -> tuple[list[int], BaseException | None]:
        backend = await started(db)
        gate = WriterGate(backend)
        await gate.wait_entered()
        futures = [backend.publish("lobby", "ann", f"m{n}") for n in range(300)]
        closing = asyncio.ensure_future(backend.close())
        # close() stops the file sweeper before the store: on a loaded machine that takes a while.
        await until(lambda: backend.store._closing)
        late = backend.publish("lobby", "ann", "too late")
        gate.open()
        await closing
        ids = [message.id for message in await asyncio.gather(*futures)]
        return ids, late.exception()

    ids, late_error = run(scenario())
    assert ids == list(range(1, 301))
    assert isinstance(late_error, BackendError)
    assert [row[2] for row in stored_rows(db)] == [f"m{n}" for n in range(300)]


def test_ids_and_epoch_survive_a_reopen_and_a_new_file_starts_over(tmp_path: Path) -> None:
    """Reopening the same file continues the ids and keeps the epoch; a new file gets a new epoch."""

    async def scenario() -> tuple[list[int], list[int], str, str, str, int]:
        first = await started(tmp_path / "chat.db")
        before = [(await first.publish("lobby", "ann", str(n))).id for n in range(3)]
        epoch = await first.epoch("lobby")
        await first.close()
        again = await started(tmp_path / "chat.db")
        after = [(await again.publish("lobby", "bob", str(n))).id for n in range(3)]
        epoch_again, last = await again.epoch("lobby"), await again.last_id("lobby")
        await again.close()
        other = await started(tmp_path / "other.db")
        other_epoch = await other.epoch("lobby")
        await other.close()
        return before, after, epoch, epoch_again, other_epoch, last

    before, after, epoch, epoch_again, other_epoch, last = run(scenario())
    assert before == [1, 2, 3]
    assert after == [4, 5, 6]
    assert last == 6
    assert epoch == epoch_again != other_epoch


def test_a_backup_restored_as_docs_storage_says_keeps_its_messages_under_a_new_epoch(tmp_path: Path) -> None:
    """SQLite's online backup, put back with docs/storage.md's restore steps: the messages it held, the
    ids going on after them, and a new epoch, so that pages reload history."""
    guide = (Path(__file__).resolve().parent.parent / "docs" / "storage.md").read_text()
    statement = re.search(r'sqlite3 chat\.db "(UPDATE meta [^"]+)"', guide)
    assert statement is not None, "docs/storage.md gives no statement for a restored copy's epoch"

    async def scenario() -> tuple[str, str, list[int]]:
        live = await started(tmp_path / "chat.db")
        for n in range(3):
            await live.publish("lobby", "ann", str(n))
        epoch = await live.epoch("lobby")
        with sqlite3.connect(tmp_path / "chat.db") as source, sqlite3.connect(tmp_path / "backup.db") as copy:
            source.backup(copy)
        await live.publish("lobby", "ann", "after the backup")
        await live.close()
        for left in ("chat.db-wal", "chat.db-shm"):
            (tmp_path / left).unlink(missing_ok=True)
        (tmp_path / "backup.db").replace(tmp_path / "chat.db")
        with sqlite3.connect(tmp_path / "chat.db") as restored:
            restored.execute(statement.group(1))
        again = await started(tmp_path / "chat.db")
        ids = [m.id for m in await again.history("lobby")] + [(await again.publish("lobby", "bob", "hi")).id]
        new_epoch = await again.epoch("lobby")
        await again.close()
        return epoch, new_epoch, ids

    epoch, new_epoch, ids = run(scenario())
    assert ids == [1, 2, 3, 4] and new_epoch != epoch and len(new_epoch) == len(epoch)


def test_history_pages_by_after_before_and_limit(tmp_path: Path) -> None:
    """history() returns the newest or oldest ``limit`` ids inside (after, before), oldest first."""

    async def scenario() -> dict[str, list[int]]:
        backend = await started(tmp_path / "chat.db")
        await asyncio.gather(*(backend.publish("lobby", "ann", str(n)) for n in range(30)))
        await backend.publish("other", "ann", "elsewhere")
        pages = {
            "newest": await backend.history("lobby", limit=5),
            "before": await backend.history("lobby", before=10, limit=3),
            "after": await backend.history("lobby", after=25),
            "oldest after": await backend.history("lobby", after=5, limit=3, newest=False),
            "between": await backend.history("lobby", after=10, before=14),
            "none": await backend.history("lobby", after=30),
        }
        await backend.close()
        return {name: [m.id for m in page] for name, page in pages.items()}

    assert run(scenario()) == {
        "newest": [26, 27, 28, 29, 30],
        "before": [7, 8, 9],
        "after": [26, 27, 28, 29, 30],
        "oldest after": [6, 7, 8],
        "between": [11, 12, 13],
        "none": [],
    }


def test_reads_asked_in_one_turn_reach_the_readers_in_one_hand_over(tmp_path: Path) -> None:
    """Twenty reads asked at once are handed to a reader thread together, and each gets its own answer."""

    async def scenario() -> tuple[list[int], list[int]]:
        backend = await started(tmp_path / "chat.db")
        await asyncio.gather(*(backend.publish(f"room{n}", "ann", "hi") for n in range(3)))
        # The file sweep the service starts with reads the store too, and on a slow machine it may
        # still be under way: stopped, so that only this test's reads are counted.
        await backend._sweeper.stop()
        readers = backend.store._readers
        submit, handed = readers.submit, []

        def counting(work: Callable[..., None], *args: Any) -> Any:
            handed.append(len(args[-1]))  # the reads handed over at once
            return submit(work, *args)

        readers.submit = counting  # type: ignore[method-assign]
        ids = await asyncio.gather(*(backend.last_id(f"room{n}") for n in range(20)))
        await backend.close()
        return ids, handed

    ids, handed = run(scenario())
    assert ids == [1, 1, 1] + [0] * 17
    assert handed == [20]


def test_a_failing_or_abandoned_read_leaves_the_others_of_its_turn_alone(tmp_path: Path) -> None:
    """A query that fails raises for its asker only; an asker that gave up does not hold up the rest."""

    async def scenario() -> list[object]:
        backend = await started(tmp_path / "chat.db")
        store = backend.store
        good = asyncio.ensure_future(store._read(lambda conn: conn.execute("SELECT 7").fetchone()[0]))
        bad = asyncio.ensure_future(
            store._read(lambda conn: conn.execute("SELECT * FROM nowhere").fetchall())
        )
        abandoned = asyncio.ensure_future(backend.last_id("lobby"))
        last = asyncio.ensure_future(backend.last_id("lobby"))
        await asyncio.sleep(0)
        abandoned.cancel()
        outcomes = await asyncio.gather(good, bad, abandoned, last, return_exceptions=True)
        await backend.close()
        return outcomes

    good, bad, abandoned, last = run(scenario())
    assert (good, last) == (7, 0)
    assert isinstance(bad, sqlite_store.StoreError) and "nowhere" in str(bad)
    assert isinstance(abandoned, asyncio.CancelledError)


def test_memory_database_is_shared_by_writer_and_readers() -> None:
    """With ":memory:" the reader threads see what the writer stored."""

    async def scenario() -> tuple[list[str], list[tuple[str, int, int]]]:
        backend = await started(":memory:")
        await asyncio.gather(*(backend.publish("lobby", "ann", str(n)) for n in range(5)))
        history = await backend.history("lobby")
        rooms = await backend.rooms()
        await backend.close()
        return [m.text for m in history], [(r.room, r.online, r.last_id) for r in rooms]

    texts, rooms = run(scenario())
    assert texts == ["0", "1", "2", "3", "4"]
    assert rooms == [("lobby", 0, 5)]


def test_a_file_that_is_not_a_database_is_refused_at_start(tmp_path: Path) -> None:
    """Garbage in the --db file gives a StartupError that names the file."""
    db = tmp_path / "garbage.db"
    db.write_bytes(b"this is not a database, just some text " * 200)
    with pytest.raises(StartupError, match=r"garbage\.db.*not a database"):
        run(started(db))


def test_a_database_of_another_program_is_refused_at_start(tmp_path: Path) -> None:
    """A SQLite file whose messages table has other columns is refused before anyone chats."""
    db = tmp_path / "foreign.db"
    with sqlite3.connect(db) as conn:
        conn.execute("CREATE TABLE messages (subject TEXT, body TEXT)")
    with pytest.raises(StartupError, match=r"foreign\.db"):
        run(started(db))


async def fill_the_disk(backend: ChatService) -> None:
    """Let the database grow no more, as a full disk would."""
    await on_writer(backend, lambda conn: conn.execute("PRAGMA max_page_count = 1"))


async def free_the_disk(backend: ChatService) -> None:
    await on_writer(backend, lambda conn: conn.execute("PRAGMA max_page_count = 1073741823"))


def test_a_full_disk_fails_publishes_keeps_what_was_stored_and_recovers(tmp_path: Path) -> None:
    """Once writes fail, publish raises and health is bad; stored messages stay; freeing space heals it."""
    db = tmp_path / "chat.db"

    async def scenario() -> dict[str, Any]:
        backend = await started(db, probe_interval=0.05)
        acked = [(await backend.publish("lobby", "ann", f"kept {n}")).id for n in range(20)]
        await fill_the_disk(backend)
        failures = await attempt_until_failure(backend)
        outcome: dict[str, Any] = {"acked": acked, "failures": failures}
        outcome["healthy while full"] = await backend.healthy()
        outcome["history while full"] = [m.id for m in await backend.history("lobby", limit=500)]
        await free_the_disk(backend)
        outcome["healthy again"] = await health_becomes(backend, True)
        outcome["next id"] = (await backend.publish("lobby", "ann", "after")).id
        await backend.close()
        return outcome

    outcome = run(scenario())
    stored_before_failure = outcome["history while full"]
    assert outcome["failures"] and outcome["healthy while full"] is False
    assert set(outcome["acked"]) <= set(stored_before_failure)
    assert stored_before_failure == list(range(1, len(stored_before_failure) + 1))
    assert outcome["healthy again"] is True
    assert outcome["next id"] == len(stored_before_failure) + 1
    assert [row[0] for row in stored_rows(db)] == [*stored_before_failure, outcome["next id"]]


async def health_becomes(backend: ChatService, wanted: bool, timeout: float = 10) -> bool:
    """Poll healthy() until it answers ``wanted`` (a guard, not a deadline); its last answer."""
    deadline = asyncio.get_running_loop().time() + timeout
    while (healthy := await backend.healthy()) != wanted and asyncio.get_running_loop().time() < deadline:
        await asyncio.sleep(0.02)
    return healthy


async def use_up_the_space(backend: ChatService) -> None:
    """Fill the file's free pages (left by earlier probes) and let it grow no more: no room for a batch."""

    def fill(conn: sqlite3.Connection) -> None:
        conn.execute("INSERT INTO meta (key, value) VALUES ('filler', zeroblob(?))", (PROBE_BYTES,))
        conn.execute("PRAGMA max_page_count = 1")

    await on_writer(backend, fill)


def test_an_idle_store_whose_disk_fills_turns_unhealthy_by_itself_and_heals(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Nobody writes: the background probe still finds the full disk, logs it once, and sees it freed."""

    async def scenario() -> dict[str, Any]:
        backend = await started(tmp_path / "chat.db", probe_interval=0.05)
        outcome: dict[str, Any] = {"at start": await backend.healthy()}
        await use_up_the_space(backend)
        outcome["while full"] = await health_becomes(backend, False)
        await asyncio.sleep(0.3)  # several more probes fail: still one log line
        outcome["still full"] = await backend.healthy()
        outcome["gauge while full"] = metrics.STORE_WRITABLE._value.get()
        await on_writer(backend, lambda conn: conn.execute("DELETE FROM meta WHERE key = 'filler'"))
        await free_the_disk(backend)
        outcome["freed"] = await health_becomes(backend, True)
        outcome["gauge freed"] = metrics.STORE_WRITABLE._value.get()
        outcome["stored"] = (await backend.publish("lobby", "ann", "after")).id
        await backend.close()
        return outcome

    with caplog.at_level(logging.WARNING, "chatroom.store"):
        outcome = run(scenario())
    assert outcome == {
        "at start": True,
        "while full": False,
        "still full": False,
        "gauge while full": 0,
        "freed": True,
        "gauge freed": 1,
        "stored": 1,
    }
    said = [record.getMessage() for record in caplog.records]
    assert len([line for line in said if "cannot be written" in line]) == 1, said
    assert said[-1] == "the store accepts writes again"


async def attempt_until_failure(backend: ChatService) -> list[str]:
    """Publish long messages until the store refuses one; the refusals' text."""
    for attempt in range(200):
        try:
            await backend.publish("lobby", "ann", f"{attempt} " + "x" * 3000)
        except BackendError as error:
            return [str(error)]
    return []


def test_a_failed_commit_gives_no_id_twice(tmp_path: Path) -> None:
    """After a batch fails, the next stored message takes the next free id, never one already used."""

    async def scenario() -> list[int]:
        backend = await started(tmp_path / "chat.db")
        ids = [(await backend.publish("lobby", "ann", "one")).id]
        await on_writer(backend, lambda conn: conn.set_authorizer(refuse_inserts))
        with pytest.raises(BackendError):
            await backend.publish("lobby", "ann", "refused")
        await on_writer(backend, lambda conn: conn.set_authorizer(None))
        ids.append((await backend.publish("lobby", "ann", "two")).id)
        await backend.close()
        return ids

    assert run(scenario()) == [1, 2]
    assert [row[2] for row in stored_rows(tmp_path / "chat.db")] == ["one", "two"]


def refuse_inserts(action: int, *args: object) -> int:
    """An sqlite3 authorizer that makes every INSERT fail, as a broken disk would."""
    return sqlite3.SQLITE_DENY if action == sqlite3.SQLITE_INSERT else sqlite3.SQLITE_OK


def test_history_and_health_after_close_fail_cleanly(tmp_path: Path) -> None:
    """A closed store answers reads with BackendError and reports itself unhealthy."""

    async def scenario() -> tuple[bool, bool]:
        backend = await started(tmp_path / "chat.db")
        await backend.close()
        try:
            await backend.history("lobby")
        except BackendError:
            refused = True
        else:
            refused = False
        return refused, await backend.healthy()

    assert run(scenario()) == (True, False)


def test_text_sqlite_cannot_store_is_refused_without_harming_the_batch(tmp_path: Path) -> None:
    """A lone surrogate fails only its own publish; messages queued beside it are stored."""

    async def scenario() -> tuple[BaseException | None, list[int]]:
        backend = await started(tmp_path / "chat.db")
        gate = WriterGate(backend)
        await gate.wait_entered()
        before = backend.publish("lobby", "ann", "before")
        broken = backend.publish("lobby", "ann", "half a pair \ud800")
        after = backend.publish("lobby", "ann", "after")
        gate.open()
        ids = [(await before).id, (await after).id]
        await backend.close()
        return broken.exception(), ids

    error, ids = run(scenario())
    assert isinstance(error, BackendError)
    assert ids == [1, 2]


def test_a_database_without_the_sent_table_opens_and_deduplicates(tmp_path: Path) -> None:
    """A file written before resends were remembered keeps its messages and gains the table."""
    path = tmp_path / "old.db"
    with sqlite3.connect(path) as conn:
        conn.executescript(
            "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);"
            "CREATE TABLE rooms (room TEXT PRIMARY KEY, last_id INTEGER NOT NULL);"
            "CREATE TABLE messages (room TEXT NOT NULL, id INTEGER NOT NULL, nick TEXT NOT NULL,"
            " message TEXT NOT NULL, ts INTEGER NOT NULL, PRIMARY KEY (room, id)) WITHOUT ROWID;"
            "INSERT INTO meta VALUES ('epoch', 'old');"
            "INSERT INTO rooms VALUES ('lobby', 1);"
            "INSERT INTO messages VALUES ('lobby', 1, 'ann', 'before', 1);"
        )
    conn.close()

    async def scenario() -> list[int]:
        backend = await started(path)
        ids = [(await backend.publish("lobby", "ann", "again", ref="1")).id for _ in range(3)]
        await backend.close()
        return ids

    assert run(scenario()) == [2, 2, 2]
    assert stored_rows(path) == [(1, "ann", "before"), (2, "ann", "again")]


def test_expired_resend_records_are_deleted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Records older than the window go, so the table stays as small as ten minutes of sends."""
    now = [1_700_000_000_000]
    monkeypatch.setattr(sqlite_store, "now_ms", lambda: now[0])

    async def scenario() -> None:
        backend = await started(tmp_path / "chat.db")
        for n in range(5):
            await backend.publish("lobby", "ann", "text", ref=str(n))
        now[0] += 11 * 60 * 1000
        await backend.publish("lobby", "ann", "text", ref="new")
        await backend.close()

    run(scenario())
    with sqlite3.connect(tmp_path / "chat.db") as conn:
        refs = conn.execute("SELECT id FROM sent ORDER BY id").fetchall()
    conn.close()
    assert refs == [(6,)]


def test_a_database_without_the_bot_column_keeps_its_history_and_gains_it(tmp_path: Path) -> None:
    """A file written before bot messages were marked keeps every message (as a person's) and stores bots."""
    path = tmp_path / "old.db"
    with sqlite3.connect(path) as conn:
        conn.executescript(
            "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);"
            "CREATE TABLE rooms (room TEXT PRIMARY KEY, last_id INTEGER NOT NULL);"
            "CREATE TABLE messages (room TEXT NOT NULL, id INTEGER NOT NULL, nick TEXT NOT NULL,"
            " message TEXT NOT NULL, ts INTEGER NOT NULL, PRIMARY KEY (room, id)) WITHOUT ROWID;"
            "CREATE TABLE sent (digest BLOB PRIMARY KEY, room TEXT NOT NULL, id INTEGER NOT NULL,"
            " ts INTEGER NOT NULL) WITHOUT ROWID;"
            "INSERT INTO meta VALUES ('epoch', 'old');"
            "INSERT INTO rooms VALUES ('lobby', 2);"
            "INSERT INTO messages VALUES ('lobby', 1, 'ann', 'before', 1), ('lobby', 2, 'bob', 'me too', 2);"
        )
    conn.close()

    async def first_start() -> tuple[list[StoredMessage], StoredMessage]:
        backend = await started(path)
        before = await backend.history("lobby")
        bot = await backend.publish("lobby", "deploybot", "v2 is live", bot=True)
        await backend.close()
        return before, bot

    async def second_start() -> tuple[list[tuple[int, str, bool]], str]:
        backend = await started(path)
        messages = await backend.history("lobby")
        epoch = await backend.epoch("lobby")
        await backend.close()
        return [(m.id, m.nick, m.bot) for m in messages], epoch

    before, bot = run(first_start())
    assert [(m.id, m.nick, m.text, m.ts, m.bot) for m in before] == [
        (1, "ann", "before", 1, False),
        (2, "bob", "me too", 2, False),
    ]
    assert (bot.id, bot.bot) == (3, True)
    assert run(second_start()) == ([(1, "ann", False), (2, "bob", False), (3, "deploybot", True)], "old")
