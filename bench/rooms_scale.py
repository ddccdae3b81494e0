"""Search as direct conversations accumulate: the store's search call, with and without rooms_by_kind.

Every search asks which rooms its reader may read: the open rooms and the
reader's own (chatroom/store/search_base.py, readable_sql). A group's rooms
are mostly direct conversations, one for each pair of people who ever wrote
to each other, so the table of rooms grows long while the open rooms stay
few. This builds a store of OPEN_ROOMS open rooms of MESSAGES_PER_ROOM
messages and a reader who is a member of every one, then adds direct
conversations between other people (two members each) in steps
(``--direct``). At each step it times the store's search call
(Store.search, in this process: no HTTP) for a common word and a rare one,
``--requests`` calls each after a warm-up, with schema step 20's index of
rooms by kind and with the index dropped, alternating ``--rounds`` times in
the same run (each round in the other order), and prints the medians of the
rounds' p50s.

    python bench/rooms_scale.py --store sqlite postgres --direct 0 10000 100000
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import closing
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BENCH = REPO / "bench"
sys.path[:0] = [str(REPO), str(BENCH)]

from services import Postgres  # noqa: E402

from chatroom.events import StoredMessage  # noqa: E402
from chatroom.names import nick_key  # noqa: E402
from chatroom.search_text import parse_query  # noqa: E402
from chatroom.store import Store, open_store  # noqa: E402
from chatroom.store.records import CLOSED, DIRECT, MEMBER, OPEN, Account, Membership, RoomRecord  # noqa: E402
from chatroom.store.search_base import Reader, SearchQuery  # noqa: E402

OPEN_ROOMS = 20
MESSAGES_PER_ROOM = 5_000
PEOPLE = 2_000
START_MS = 1_767_225_600_000
READER_ID = 1
# Words of the messages: one in about every tenth message, one in a few hundred, and filler.
COMMON, RARE = "harbour", "quinoa"
FILLER = [
    "the",
    "chat",
    "message",
    "of",
    "about",
    "the",
    "usual",
    "length",
    "goes",
    "on",
    "with",
    "some",
    "words",
]
INDEX = "CREATE INDEX IF NOT EXISTS rooms_by_kind ON rooms (kind, room)"


def people() -> list[Account]:
    names = [f"person{n}" for n in range(1, PEOPLE + 1)]
    return [
        Account(n, name, nick_key(name), "person", n == READER_ID, False, None, "#888888", START_MS)
        for n, name in enumerate(names, start=1)
    ]


def message_text(rng: random.Random) -> str:
    words = rng.choices(FILLER, k=12)
    if rng.random() < 0.1:
        words[rng.randrange(12)] = COMMON
    if rng.random() < 0.004:
        words[rng.randrange(12)] = RARE
    return " ".join(words)


async def fill(store: Store) -> None:
    """The open rooms, their messages, and the reader in every one of them."""
    rng = random.Random(20)
    await store.accounts.import_accounts(people(), [])
    rooms = [RoomRecord(f"open-{n}", OPEN, created_at=START_MS) for n in range(OPEN_ROOMS)]
    members = [Membership(room.room, READER_ID, MEMBER, START_MS) for room in rooms]
    await store.accounts.import_rooms(rooms, members)
    closed = RoomRecord("closed-0", CLOSED, created_at=START_MS)
    await store.accounts.import_rooms([closed], [Membership("closed-0", READER_ID, MEMBER, START_MS)])
    messages = [
        StoredMessage(msg_id, room.room, "person2", message_text(rng), START_MS + msg_id * 60_000)
        for room in rooms
        for msg_id in range(1, MESSAGES_PER_ROOM + 1)
    ]
    await store.import_messages(messages)


async def add_direct(store: Store, first: int, count: int) -> None:
    """``count`` more direct conversations between two people other than the reader."""
    rng = random.Random(first)
    rooms, members = [], []
    for n in range(first, first + count):
        room = f"dm-{n}"
        rooms.append(RoomRecord(room, DIRECT, created_at=START_MS))
        for person in rng.sample(range(READER_ID + 1, PEOPLE + 1), 2):
            members.append(Membership(room, person, MEMBER, START_MS))
    for at in range(0, count, 5_000):
        await store.accounts.import_rooms(rooms[at : at + 5_000], members[at * 2 : (at + 5_000) * 2])


async def p50_ms(store: Store, word: str, requests: int) -> float:
    query = SearchQuery(parse_query(word), (), reader=Reader(READER_ID, True))
    for _ in range(10):
        await store.search(query)
    times = []
    for _ in range(requests):
        started = time.perf_counter()
        await store.search(query)
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def index_switch(store_name: str, url: str, cluster: Postgres | None) -> Callable[[bool], None]:
    """A function that makes the index of rooms by kind (True) or drops it (False)."""

    def switch(on: bool) -> None:
        statement = INDEX if on else "DROP INDEX IF EXISTS rooms_by_kind"
        if cluster is not None:
            # The statistics a server's tables have once autovacuum has run (SQLite keeps none).
            cluster.sql(f"{statement}; ANALYZE")
        else:
            with closing(sqlite3.connect(url)) as conn, conn:
                conn.execute(statement)

    return switch


async def measure(store_name: str, args: argparse.Namespace) -> None:
    cluster = Postgres().start() if store_name == "postgres" else None
    directory = tempfile.mkdtemp(prefix="chatroom-rooms-scale-")
    url = cluster.url() if cluster is not None else f"{directory}/chat.db"
    try:
        store = open_store(url, sqlite_synchronous="normal")
        await store.start()
        switch = index_switch(store_name, url, cluster)
        try:
            await fill(store)
            added = 0
            for direct in args.direct:
                await add_direct(store, added, direct - added)
                added = direct
                if cluster is not None:
                    # What autovacuum would do after the load, done before the clock starts.
                    cluster.sql("VACUUM ANALYZE")
                await run_step(store, switch, store_name, direct, args)
        finally:
            await store.close()
    finally:
        if cluster is not None:
            cluster.stop()


async def run_step(
    store: Store, switch: Callable[[bool], None], store_name: str, direct: int, args: argparse.Namespace
) -> None:
    """Both words, with the index and without, alternating over the rounds; one line each."""
    figures: dict[tuple[str, bool], list[float]] = {}
    for round_number in range(args.rounds):
        for on in (True, False) if round_number % 2 == 0 else (False, True):
            switch(on)
            # A store's own connections see the change at their next statement; a new plan is made.
            for word in (COMMON, RARE):
                figures.setdefault((word, on), []).append(await p50_ms(store, word, args.requests))
        switch(True)
    for word in (COMMON, RARE):
        with_index = statistics.median(figures[(word, True)])
        without = statistics.median(figures[(word, False)])
        print(
            f"| {store_name} | {direct:,} | {word} | {with_index:.2f} | {without:.2f}"
            f" | ×{without / with_index:.2f} |",
            flush=True,
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", nargs="+", choices=("sqlite", "postgres"), default=["sqlite", "postgres"])
    parser.add_argument("--direct", nargs="+", type=int, default=[0, 10_000, 100_000])
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    print("| store | direct conversations | word | p50 ms, indexed | p50 ms, not indexed | ratio |")
    print("|---|---:|---|---:|---:|---:|")
    for store_name in args.store:
        asyncio.run(measure(store_name, args))


if __name__ == "__main__":
    main()
