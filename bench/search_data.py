"""The search benchmark's database: a million made-up messages in a thousand rooms, shaped like a chat.

How the text is made (seeded: the same database every time):

- words come from wordfreq's lists (English, Chinese, Japanese: the package
  ships them), each drawn with its measured frequency, so common words are
  as common as in real text and a trigram as selective as in real text;
- rooms: each speaks one language (70 % English, 20 % Chinese, 10 %
  Japanese); their sizes follow Zipf's law (the busiest room has about
  64,000 messages, the quietest about 250), spread over one year;
- a message is a sentence of a lognormal number of words (median 7 English
  words, or 6 Chinese or Japanese words, written without spaces); one in
  twenty CJK messages carries an English word, as chats in those languages do;
- authors: every room has its own people (from 3 to 150, by its size), the
  busiest of whom write most (Zipf again);
- two accounts read the rooms, which are all closed: ``fifty`` is a member
  of 50 of them (every twentieth by size, the busiest among them), ``everyone``
  of all 1,000; a third, ``admin``, is the server's administrator.

The messages go in through the store's own import path (Store.import_messages,
batches of 5,000), which also indexes them for search; on PostgreSQL the
indexes of the text (trigrams, word suffixes) are dropped for the load and
built again at the end (as an operator would for a bulk load), then the
tables are analysed.
"""

from __future__ import annotations

import bisect
import itertools
import math
import random
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from argon2 import PasswordHasher, profiles
from wordfreq import get_frequency_dict

from chatroom.events import StoredMessage
from chatroom.names import nick_key
from chatroom.passwords import prepare
from chatroom.store.base import Store
from chatroom.store.records import CLOSED, MEMBER, Account, Membership, RoomRecord, avatar_color

MESSAGES = 1_000_000
ROOMS = 1_000
SEED = 20261202
PASSWORD = "search-bench-password"
READERS = {"fifty": 50, "everyone": ROOMS}
ADMIN = "admin"
# Words drawn from, per language (the rest of wordfreq's list is too rare to show up).
VOCABULARY = {"en": 30_000, "zh": 20_000, "ja": 20_000}
LANGUAGES = (("en", 0.7), ("zh", 0.2), ("ja", 0.1))
YEAR_MS = 365 * 24 * 3600 * 1000
START_MS = 1_733_011_200_000  # 2024-12-01
BATCH = 5_000
CJK_END = {"zh": "。！？", "ja": "。！？"}
CJK_PAUSE = {"zh": "，", "ja": "、"}


@dataclass
class Language:
    """A language's words with their cumulative frequencies, for weighted draws."""

    code: str
    words: list[str]
    cumulative: list[float] = field(default_factory=list)

    @classmethod
    def load(cls, code: str) -> Language:
        frequencies = get_frequency_dict(code)
        ranked = sorted(frequencies, key=frequencies.__getitem__, reverse=True)
        words = [w for w in ranked if w.isalpha()][: VOCABULARY[code]]
        cumulative = list(itertools.accumulate(frequencies[w] for w in words))
        return cls(code, words, cumulative)

    def draw(self, rng: random.Random, count: int) -> list[str]:
        return rng.choices(self.words, cum_weights=self.cumulative, k=count)

    def rank_band(self, low: int, high: int, min_chars: int) -> list[str]:
        """The words ranked low..high by frequency, of at least ``min_chars`` characters."""
        return [w for w in self.words[low:high] if len(w) >= min_chars]


def load_languages() -> dict[str, Language]:
    return {code: Language.load(code) for code, _ in LANGUAGES}


def sentence(rng: random.Random, languages: dict[str, Language], code: str) -> str:
    """One chat message in ``code``."""
    language = languages[code]
    if code == "en":
        count = min(60, max(1, round(rng.lognormvariate(math.log(7), 0.7))))
        words = language.draw(rng, count)
        text = " ".join(words)
        text = text[0].upper() + text[1:]
        return text + rng.choice(("", "", ".", "?", "!", " :)"))
    count = min(50, max(1, round(rng.lognormvariate(math.log(6), 0.7))))
    words = language.draw(rng, count)
    if rng.random() < 0.05:
        words.insert(rng.randrange(len(words) + 1), languages["en"].draw(rng, 1)[0])
    if count > 6:
        words.insert(count // 2, CJK_PAUSE[code])
    return "".join(words) + rng.choice(("", *CJK_END[code]))


@dataclass(frozen=True)
class RoomPlan:
    """One room of the database: its name, language, size and people."""

    name: str
    language: str
    messages: int
    people: tuple[str, ...]


def room_name(rank: int) -> str:
    return f"room-{rank:04d}"


def plan_rooms(rng: random.Random) -> list[RoomPlan]:
    """ROOMS rooms holding MESSAGES messages in all, sized by Zipf's law (exponent 0.8) by rank."""
    weights = [1 / (rank + 1) ** 0.8 for rank in range(ROOMS)]
    total = sum(weights)
    sizes = [int(MESSAGES * w / total) for w in weights]
    for rank in range(MESSAGES - sum(sizes)):
        sizes[rank] += 1
    codes, shares = zip(*LANGUAGES, strict=True)
    plans = []
    for rank, size in enumerate(sizes):
        language = rng.choices(codes, weights=shares)[0]
        crowd = min(150, max(3, size // 200))
        people = tuple(sorted({f"user{rng.randrange(5000):04d}" for _ in range(crowd)}))
        plans.append(RoomPlan(room_name(rank), language, size, people))
    return plans


def readable_rooms(reader: str) -> list[str]:
    """The rooms a reader account is a member of: every (ROOMS / count)-th by size."""
    step = ROOMS // READERS[reader]
    return [room_name(rank) for rank in range(0, ROOMS, step)]


def room_messages(
    rng: random.Random, languages: dict[str, Language], plan: RoomPlan
) -> Iterator[StoredMessage]:
    """The room's messages, ids from 1 and times rising over the year."""
    times = sorted(START_MS + rng.randrange(YEAR_MS) for _ in range(plan.messages))
    authors = plan.people
    author_weights = list(itertools.accumulate(1 / (n + 1) for n in range(len(authors))))
    for msg_id, ts in enumerate(times, start=1):
        nick = authors[bisect.bisect(author_weights, rng.random() * author_weights[-1])]
        yield StoredMessage(msg_id, plan.name, nick, sentence(rng, languages, plan.language), ts)


def accounts() -> list[Account]:
    """The readers, and an administrator (a server without one answers only its setup)."""
    hashed = PasswordHasher.from_parameters(profiles.RFC_9106_LOW_MEMORY).hash(prepare(PASSWORD))
    names = [*READERS, ADMIN]
    return [
        Account(
            n,
            name,
            nick_key(name),
            "person",
            name == ADMIN,
            False,
            hashed,
            avatar_color(nick_key(name)),
            START_MS,
        )
        for n, name in enumerate(names, start=1)
    ]


def all_messages() -> tuple[list[RoomPlan], Iterator[tuple[RoomPlan, StoredMessage]]]:
    """The rooms, and every message of the database with its room, the same every time (seeded)."""
    rng = random.Random(SEED)
    languages = load_languages()
    plans = plan_rooms(rng)
    stream = ((plan, message) for plan in plans for message in room_messages(rng, languages, plan))
    return plans, stream


async def fill(store: Store, log: bool = True) -> None:
    """Put the whole database into a started, empty store."""
    started = time.perf_counter()
    plans, stream = all_messages()
    people = accounts()
    await store.accounts.import_accounts(people, [])
    records = [RoomRecord(plan.name, CLOSED, created_at=START_MS) for plan in plans]
    memberships = [
        Membership(room, account.id, MEMBER, START_MS)
        for account in people
        if account.name in READERS
        for room in readable_rooms(account.name)
    ]
    await store.accounts.import_rooms(records, memberships)
    batch: list[StoredMessage] = []
    stored = 0
    for _, message in stream:
        batch.append(message)
        if len(batch) == BATCH:
            stored += await store.import_messages(batch)
            batch = []
            if log and stored % 100_000 == 0:
                print(f"  {stored:,} messages, {time.perf_counter() - started:.0f} s", flush=True)
    stored += await store.import_messages(batch)
    assert stored == MESSAGES


def member_share(plans: Sequence[RoomPlan], reader: str) -> int:
    """How many messages the reader's rooms hold."""
    rooms = set(readable_rooms(reader))
    return sum(plan.messages for plan in plans if plan.name in rooms)
