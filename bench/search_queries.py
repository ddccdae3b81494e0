"""The search benchmark's queries, by class, each drawn for one reader from what its rooms hold.

Words come from the same frequency lists as the text (search_data.py), by
rank: the most common words, mid-frequency words (ranks 300 to 3,000) and
rare ones (ranks 20,000 to 30,000). Phrases, CJK substrings and authors come
from a sample of the messages actually stored in the reader's rooms (the
seeded stream replayed), so each has at least one hit.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

import search_data

CLASSES = {
    "common word": "one of the 60 most common English words (3+ letters): the, and, you...",
    "English word": "an English word of mid frequency (rank 300-3,000, 4+ letters)",
    "rare word": "an English word of rank 20,000-30,000 (5+ letters)",
    "two words": "two mid-frequency English words",
    "English phrase": 'two or three consecutive words of a stored message, quoted: "as the river"',
    "CJK 3+ chars": "three or four consecutive characters of a stored Chinese or Japanese message",
    "CJK 1-2 chars": "a common Chinese or Japanese word of one or two characters (the bounded scan)",
    "word + room": "a mid-frequency English word in one English room of the reader's",
    "word + author": "a mid-frequency English word from one author of the reader's rooms",
}
SAMPLE_EVERY = 97
POOL = 200


@dataclass
class ReaderSample:
    """Messages of one reader's rooms, and the rooms by language."""

    english: list[str]
    cjk: list[str]
    authors: list[str]
    english_rooms: list[str]


@dataclass
class QueryPools:
    """Every class's queries for every reader, as request parameters."""

    pools: dict[tuple[str, str], list[dict[str, str]]]

    def queries(self, name: str, reader: str) -> list[dict[str, str]]:
        return self.pools[(name, reader)]

    @classmethod
    def make(cls) -> QueryPools:
        languages = search_data.load_languages()
        samples = sample_readers()
        pools = {}
        for reader, sample in samples.items():
            rng = random.Random(f"queries {reader}")
            for name in CLASSES:
                pools[(name, reader)] = [draw(name, rng, languages, sample) for _ in range(POOL)]
        return cls(pools)


def sample_readers() -> dict[str, ReaderSample]:
    """Every SAMPLE_EVERY-th stored message of each reader's rooms (the stream replayed)."""
    rooms = {reader: set(search_data.readable_rooms(reader)) for reader in search_data.READERS}
    samples = {reader: ReaderSample([], [], [], []) for reader in rooms}
    plans, stream = search_data.all_messages()
    for reader, sample in samples.items():
        sample.english_rooms = [p.name for p in plans if p.name in rooms[reader] and p.language == "en"]
    for n, (plan, message) in enumerate(stream):
        if n % SAMPLE_EVERY:
            continue
        for reader, sample in samples.items():
            if plan.name in rooms[reader]:
                (sample.english if plan.language == "en" else sample.cjk).append(message.text)
                sample.authors.append(message.nick)
    return samples


def draw(
    name: str, rng: random.Random, languages: dict[str, search_data.Language], sample: ReaderSample
) -> dict[str, str]:
    """One query of the class, as request parameters."""
    english = languages["en"]
    middle = english.rank_band(300, 3000, 4)
    if name == "common word":
        return {"q": rng.choice(english.rank_band(0, 60, 3))}
    if name == "English word":
        return {"q": rng.choice(middle)}
    if name == "rare word":
        return {"q": rng.choice(english.rank_band(20_000, 30_000, 5))}
    if name == "two words":
        return {"q": f"{rng.choice(middle)} {rng.choice(middle)}"}
    if name == "English phrase":
        while True:
            words = rng.choice(sample.english).split()
            if len(words) >= 3:
                break
        size = rng.choice((2, 3))
        start = rng.randrange(len(words) - size + 1)
        return {"q": '"' + " ".join(words[start : start + size]) + '"'}
    if name == "CJK 3+ chars":
        return {"q": cjk_piece(rng, sample.cjk, rng.choice((3, 4)))}
    if name == "CJK 1-2 chars":
        code = rng.choice(("zh", "ja"))
        return {"q": rng.choice([w for w in languages[code].words[:3000] if len(w) <= 2])}
    if name == "word + room":
        return {"q": rng.choice(middle), "room": rng.choice(sample.english_rooms)}
    if name == "word + author":
        return {"q": rng.choice(middle), "from": rng.choice(sample.authors)}
    raise ValueError(name)


def cjk_piece(rng: random.Random, texts: list[str], size: int) -> str:
    """``size`` consecutive letters (no punctuation) of one of the texts."""
    while True:
        text = rng.choice(texts)
        if len(text) <= size:
            continue
        start = rng.randrange(len(text) - size)
        piece = text[start : start + size]
        if all(char.isalpha() for char in piece):
            return piece
