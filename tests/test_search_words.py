"""PostgreSQL's index of word suffixes asks for every message holding a term (store/search_words.py)."""

from __future__ import annotations

import random

import psycopg
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from chatroom.backend import StoredMessage
from chatroom.events import EDIT
from chatroom.search_text import fold, parse_query
from chatroom.store import pg_search, search_base
from chatroom.store.base import Store
from chatroom.store.change_rules import ChangeRequest
from chatroom.store.migrations.v017_search_pairs import PAIRS_FUNCTION
from chatroom.store.migrations.v019_search_periods import PERIODS_FUNCTION
from chatroom.store.pg_search_rows import KEYS
from chatroom.store.postgres import PostgresStore
from chatroom.store.records import CLOSED, OPEN, PERSON
from chatroom.store.search_base import Reader, SearchCursor, SearchQuery
from chatroom.store.search_words import (
    MOST_KEYS,
    SUFFIX_CHARS,
    WEEK_MS,
    WORD_CHARS,
    in_periods,
    message_keys,
    period,
    term_keys,
    words_tsquery,
)

from .pg_server import PostgresServer
from .stores import StoreFactory, run, write_schema_steps
from .test_search_store import ANN, NEW_YEAR, found, post

TEXTS = [
    "Operations research, anymore!",
    "The numbers.txt file of 2024-12-01",
    "Un café au Crème: naïve STRASSE",
    "x" * 40 + " then " + "ab" * 30,
    "使用 responder 实现多人在线聊天室 ok",
    "a b c... d-e-f gh_ij 100% C++",
]
# Two open rooms and a closed one.
ROOMS = ("lobby", "annex", "vault")


@pytest.fixture(autouse=True)
def _index_for_every_room(monkeypatch: pytest.MonkeyPatch) -> None:
    """A small room is searched by reading its rows: these tests are of the index."""
    monkeypatch.setattr(search_base, "FEW_ROWS", 0)


def test_a_term_asks_for_its_runs_whole_where_it_goes_on_after_them() -> None:
    """A run followed by more of the term is a whole suffix; the last run, or a long one, a prefix."""
    assert term_keys("ations") == [("ations", True)]
    assert term_keys("a our and.") == [("our", False), ("and", False)]
    assert term_keys("numbers.txt") == [("numbers", False), ("txt", True)]
    assert term_keys("y" * 40 + " z") == [("y" * SUFFIX_CHARS, True)]
    assert term_keys("c++") == term_keys("聊天室") == term_keys("of") == []


def test_a_query_asks_for_its_longest_keys_and_nothing_else() -> None:
    """At most MOST_KEYS keys, the longest first; a query of no key is for the trigram index."""
    assert words_tsquery(parse_query('"the ("')) is None
    assert words_tsquery(parse_query('"tomention"')) == "'@tomention':*"
    asked = words_tsquery(parse_query("alpha beta gamma epsilon omega lambda"))
    assert asked is not None and asked.count("&") == MOST_KEYS - 1 and "'@epsilon':*" in asked
    assert words_tsquery(parse_query("C++ 聊天室 of")) is None
    assert words_tsquery(parse_query("'); DROP TABLE x; --")) == "'@table':* & '@drop':*"


def test_every_substring_of_a_text_is_among_the_index_matches(postgres_server: PostgresServer) -> None:
    """Held against PostgreSQL's own tsquery: each key of any piece of a text is in the text's keys."""
    rng = random.Random(14)
    with postgres_server.connect() as conn:
        for text in map(fold, TEXTS):
            for _ in range(60):
                start = rng.randrange(len(text))
                piece = text[start : start + rng.randrange(1, 45)].strip()
                asked = words_tsquery(parse_query(f'"{piece}"')) if piece else None
                if asked is None:
                    continue
                keys, periods = message_keys(text, NEW_YEAR), [period(NEW_YEAR) + n for n in (-1, 0, 1)]
                row = conn.execute(
                    f"SELECT {KEYS} @@ %s::tsquery", (keys, in_periods(asked, periods))
                ).fetchone()
                assert row == (True,), (text, piece, asked)


# Texts like a chat's, and the edges of the rules: runs of every length around 3 and SUFFIX_CHARS,
# capitals and accents (folded or not), CJK, punctuation, digits, line breaks (a file's name).
_RUN_TEXT = st.text(alphabet=WORD_CHARS, min_size=1, max_size=SUFFIX_CHARS + 6)
_GAP = st.text(alphabet=" .-_\n'%:éÉß聊天AZ", min_size=1, max_size=3)
_TEXT = st.one_of(
    st.lists(st.tuples(_RUN_TEXT, _GAP), max_size=12).map(lambda parts: "".join(a + b for a, b in parts)),
    st.text(max_size=80).map(lambda text: text.replace("\x00", "")),
)
_TIME = st.one_of(st.integers(NEW_YEAR - 60 * WEEK_MS, NEW_YEAR + 60 * WEEK_MS), st.integers(-(2**62), 2**62))


def test_the_keys_chatroom_makes_are_those_steps_15_17_and_19_made(postgres_server: PostgresServer) -> None:
    """message_keys against step 15's search_keys, step 17's search_pairs and step 19's
    search_periods themselves (what a migrated row's keys are), for any text, folded or not, and
    any time."""
    url = postgres_server.new_schema()
    schema = url.rsplit("%3D", 1)[1]
    with postgres_server.connect() as conn:
        conn.execute(f"SET search_path TO {schema}")
        write_schema_steps(conn.execute, "postgres", 15)
        conn.execute(PAIRS_FUNCTION)
        conn.execute(PERIODS_FUNCTION)

        @settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
        @given(text=_TEXT, ts=_TIME, folded=st.booleans())
        @example(text="q" * 3999 + "z", ts=NEW_YEAR, folded=True)
        @example(text="", ts=-1, folded=True)
        @example(text=TEXTS[0], ts=-WEEK_MS - 1, folded=True)
        @example(text=". a b ", ts=NEW_YEAR, folded=True)
        def same_keys(text: str, ts: int, folded: bool) -> None:
            text = fold(text) if folded else text
            keys = message_keys(text, ts)
            made = "search_periods(search_keys(%s, %s) || search_pairs(%s), %s)"
            row = conn.execute(
                f"SELECT tsvector_to_array({made}), {KEYS} = {made}",
                (text, ts, text, ts, keys, text, ts, text, ts),
            ).fetchone()
            assert row is not None
            assert sorted(keys.split(" ")) == row[0] and row[1], (text, ts)

        same_keys()


def test_words_are_found_inside_other_words(store_factory: StoreFactory) -> None:
    """A word is found as part of a longer one, a phrase across punctuation, digits among dashes."""

    async def scenario(store: Store) -> None:
        await post(store, *TEXTS)
        await words_inside_other_words(store)

    run(store_factory(), scenario)


async def words_inside_other_words(store: Store) -> None:
    """What a search of TEXTS finds (stored in lobby, in their order)."""
    assert await found(store, "ations") == ["Operations research, anymore!"]
    assert await found(store, "more research") == ["Operations research, anymore!"]
    assert await found(store, '"ions research, any"') == ["Operations research, anymore!"]
    assert await found(store, '"research operations"') == []
    assert await found(store, "ers.tx") == ["The numbers.txt file of 2024-12-01"]
    assert await found(store, "24-12-0") == ["The numbers.txt file of 2024-12-01"]
    assert await found(store, "naive creme") == ["Un café au Crème: naïve STRASSE"]
    assert await found(store, "x" * 35) == ["x" * 40 + " then " + "ab" * 30]
    assert await found(store, "x" * 35 + "y") == []
    assert await found(store, '"x then ab"') == ["x" * 40 + " then " + "ab" * 30]
    assert await found(store, "babab responder") == []
    assert await found(store, "聊天室 responder") == ["使用 responder 实现多人在线聊天室 ok"]
    assert await found(store, '"d-e-f gh_ij 100% C++"') == ["a b c... d-e-f gh_ij 100% C++"]


def test_a_message_of_one_long_word_is_stored_and_found(store_factory: StoreFactory) -> None:
    """4,000 letters without a space (a suffix each in PostgreSQL's index) store and are found."""

    async def scenario(store: Store) -> None:
        await post(store, "q" * 3999 + "z")
        assert len(await found(store, "qqqqz")) == 1
        assert await found(store, "zq") == []

    run(store_factory(), scenario)


@pytest.mark.parametrize("most_periods", [pg_search.MOST_PERIODS, 2])
def test_matches_of_every_week_come_in_order_whichever_weeks_answer(
    store_factory: StoreFactory, monkeypatch: pytest.MonkeyPatch, most_periods: int
) -> None:
    """Pages of a word whose matches spread over 30 weeks are exact for a reader: matches of the
    newest weeks, of the weeks before and of the older ones (on PostgreSQL, also when the periods
    asked for stop short of the oldest), across a page and around the time filters, none of a room
    it may not read."""
    monkeypatch.setattr(pg_search, "PROBE", 1)
    monkeypatch.setattr(pg_search, "MOST_PERIODS", most_periods)
    monkeypatch.setattr(pg_search, "RECENT_WEEKS", 2)
    monkeypatch.setattr(pg_search, "PERIOD_WINDOWS", (1, 1))
    rng = random.Random(15)
    times = sorted({NEW_YEAR + rng.randrange(30 * WEEK_MS) for _ in range(120)})
    messages = [
        StoredMessage(n, rng.choice(ROOMS), "ann", f"{rng.choice(('report', 'note'))} to you {n}", ts)
        for n, ts in enumerate(times, start=1)
    ]
    # A quiet week at the end: the newest rows hold no match.
    messages += [
        StoredMessage(len(times) + n, "lobby", "ann", "quiet", times[-1] + n * WEEK_MS) for n in (1,)
    ]

    async def pages(store: Store, word: str, limit: int, **filters: object) -> list[str]:
        cursor, texts, guest = None, [], Reader(None, open_rooms=True)
        while page := await store.search(
            SearchQuery(parse_query(word), (), cursor=cursor, limit=limit, reader=guest, **filters)  # type: ignore[arg-type]
        ):
            texts += [m.text for m in page]
            cursor = SearchCursor(page[-1].ts, page[-1].room, page[-1].id)
        return texts

    def order(message: StoredMessage) -> tuple[int, str, int]:
        return message.ts, message.room, message.id

    async def scenario(store: Store) -> None:
        ann = (await store.accounts.create_account("ann", PERSON)).id
        for room, kind in zip(ROOMS, (OPEN, OPEN, CLOSED), strict=True):
            await store.accounts.create_room(room, kind, creator_id=ann)
        await store.import_messages(messages)
        readable = (m for m in messages if "report" in m.text and m.room != "vault")
        newest = sorted(readable, key=order, reverse=True)
        for limit in (4, 7, 50):
            assert await pages(store, "report", limit) == [m.text for m in newest]
        assert await pages(store, "eport", 100) == [m.text for m in newest]
        # A phrase of short words asks for a pair, whose lexemes have no period.
        every = sorted(
            (m for m in messages if m.room != "vault" and "to you" in m.text), key=order, reverse=True
        )
        for limit in (4, 50):
            assert await pages(store, '"to you"', limit) == [m.text for m in every]
        since, until = times[20], times[90]
        between = [m.text for m in newest if since <= m.ts < until]
        assert await pages(store, "report", 3, since=since, until=until) == between
        assert await pages(store, "report", 3, until=times[5]) == [m.text for m in newest if m.ts < times[5]]
        assert await pages(store, "report", 3, since=times[-1] + WEEK_MS) == []

    run(store_factory(), scenario)


def test_a_word_of_1970_is_found_beside_one_of_today(
    store_factory: StoreFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An imported message of any time is found: on PostgreSQL the periods before MOST_PERIODS
    (ten years) are read by the trigram index, and a time before 1970 has a period too."""
    monkeypatch.setattr(pg_search, "PROBE", 1)
    texts = {
        -3 * WEEK_MS: "tides of old",
        0: "tides of 1970",
        NEW_YEAR: "tides of now",
        NEW_YEAR + 1: "nothing",
    }
    messages = [StoredMessage(n, "lobby", "ann", text, ts) for n, (ts, text) in enumerate(texts.items(), 1)]

    async def scenario(store: Store) -> None:
        await store.import_messages(messages)
        assert await found(store, "tides") == ["tides of now", "tides of 1970", "tides of old"]
        assert await found(store, "tides 1970") == ["tides of 1970"]
        assert await found(store, "ides of") == ["tides of now", "tides of 1970", "tides of old"]

    run(store_factory(), scenario)


def test_a_version_14_postgres_schema_finds_words_by_week_after_migration(
    postgres_server: PostgresServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Messages stored at schema step 14, weeks apart, are found newest first by their week lexemes."""
    monkeypatch.setattr(pg_search, "PROBE", 1)
    url = postgres_server.new_schema()
    schema = url.rsplit("%3D", 1)[1]
    stored = [(n, f"tides {n}", NEW_YEAR + n * 5 * WEEK_MS) for n in range(1, 5)]
    with postgres_server.connect() as conn:
        conn.execute(f"SET search_path TO {schema}")
        write_schema_steps(conn.execute, "postgres", 14)
        conn.execute("INSERT INTO rooms (room, last_id, key) VALUES ('lobby', 4, 'lobby')")
        for msg_id, text, ts in stored:
            conn.execute(
                "INSERT INTO messages (room, id, nick, message, ts, bot, guest, deleted)"
                " VALUES ('lobby', %s, 'ann', %s, %s, false, false, false)",
                (msg_id, text, ts),
            )
            conn.execute(
                "INSERT INTO search_rows (room, id, ts, nick, folded) VALUES ('lobby', %s, %s, 'ann', %s)",
                (msg_id, ts, text),
            )

    async def scenario(store: Store) -> None:
        assert await found(store, "tides") == ["tides 4", "tides 3", "tides 2", "tides 1"]
        (fresh,) = await post(store, "fresh tides")
        assert await found(store, "ides") == ["fresh tides", "tides 4", "tides 3", "tides 2", "tides 1"]
        with postgres_server.connect() as conn:
            conn.execute(f"SET search_path TO {schema}")
            weeks = conn.execute(
                "SELECT keys @@ %s::tsquery FROM search_rows WHERE id = %s",
                (f"'W{fresh.ts // WEEK_MS}'", fresh.id),
            ).fetchone()
        assert weeks == (True,)

    run(PostgresStore(url), scenario)


def test_a_version_15_postgres_schema_finds_the_same_messages_after_migration(
    postgres_server: PostgresServer,
) -> None:
    """Messages stored at schema step 15 are found as before once their keys are stored (step 16),
    which are those chatroom makes; an edit of one of them changes its keys."""
    url = postgres_server.new_schema()
    schema = url.rsplit("%3D", 1)[1]
    with postgres_server.connect() as conn:
        conn.execute(f"SET search_path TO {schema}")
        write_schema_steps(conn.execute, "postgres", 15)
        conn.execute("INSERT INTO rooms (room, last_id, key) VALUES ('lobby', %s, 'lobby')", (len(TEXTS),))
        for msg_id, text in enumerate(TEXTS, start=1):
            ts = NEW_YEAR + msg_id * 3 * WEEK_MS
            conn.execute(
                "INSERT INTO messages (room, id, nick, message, ts, bot, guest, deleted, account_id)"
                " VALUES ('lobby', %s, 'ann', %s, %s, false, false, false, %s)",
                (msg_id, text, ts, ANN),
            )
            conn.execute(
                "INSERT INTO search_rows (room, id, ts, nick, folded) VALUES ('lobby', %s, %s, 'ann', %s)",
                (msg_id, ts, fold(text)),
            )

    async def scenario(store: Store) -> None:
        await words_inside_other_words(store)
        with postgres_server.connect() as conn:
            conn.execute(f"SET search_path TO {schema}")
            rows = conn.execute("SELECT folded, ts, tsvector_to_array(keys) FROM search_rows").fetchall()
        assert len(rows) == len(TEXTS)
        for folded, ts, keys in rows:
            assert sorted(message_keys(str(folded), int(str(ts))).split(" ")) == keys
        await store.change("lobby", ChangeRequest(EDIT, 1, "ann", ANN, text="Cooperation, anyhow"))
        assert await found(store, "ations") == []
        assert await found(store, "operation") == ["Cooperation, anyhow"]
        assert await found(store, "yhow") == ["Cooperation, anyhow"]

    run(PostgresStore(url), scenario)


def test_a_search_of_words_is_planned_once_a_connection(postgres_server: PostgresServer) -> None:
    """The statement of words is prepared and runs with its generic plan from the first search on a
    connection, whatever the words; the connection's other statements keep their custom plans."""
    url = postgres_server.new_schema()

    async def scenario(store: Store) -> None:
        texts = ("tides of march", "the tide turns")
        await post(store, *texts)
        async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
            for word in ("tides", "march", "turns"):
                answered = await pg_search.search(conn, SearchQuery(parse_query(word), ("lobby",)))
                assert [m.text for m in answered] == [text for text in texts[::-1] if word in text]
            plans = await (
                await conn.execute("SELECT generic_plans, custom_plans FROM pg_prepared_statements")
            ).fetchall()
            assert plans == [(3, 0)]
            setting = await (await conn.execute("SELECT current_setting('plan_cache_mode')")).fetchone()
            assert setting == ("auto",)

    run(PostgresStore(url), scenario)
