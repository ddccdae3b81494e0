"""Who a message mentions (chatroom/mentions.py), the rule the page's mentions.js shares."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from chatroom.mentions import ROOM, Mention, mentioned, mentions, mentions_room

CASES = json.loads((Path(__file__).parent / "data" / "mention_cases.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize(("text", "expected"), CASES["cases"])
def test_shared_cases(text: str, expected: list[str]) -> None:
    """Each shared case mentions exactly the names listed, in order (the page is held to the same list)."""
    assert [found.name for found in mentions(text, CASES["names"])] == expected


def test_positions_cover_the_at_and_the_name() -> None:
    """A mention's span is the ``@`` and the name as typed, in code points."""
    text = "hi 👋 @ADA LOVELACE!"
    assert mentions(text, ["Ada", "Ada Lovelace"]) == [Mention(5, 18, "Ada Lovelace")]
    assert text[5:18] == "@ADA LOVELACE"


def test_longest_known_name_wins() -> None:
    """With both Ada and Ada Lovelace known, "@Ada Lovelace" is her, whatever order the names come in."""
    for names in (["Ada", "Ada Lovelace"], ["Ada Lovelace", "Ada"]):
        assert [m.name for m in mentions("@Ada Lovelace", names)] == ["Ada Lovelace"]


def test_unknown_names_mention_nobody() -> None:
    """Without names, or with names the text does not hold, nothing is mentioned."""
    assert mentions("@Ada hello", []) == []
    assert mentions("@Ada hello", ["", "bob"]) == []


def test_mentioned_folds_case_and_counts_once() -> None:
    """Several mentions of one person, in any case, are one mentioned name."""
    assert mentioned("@bob @BOB @Bob and @Ada", ["bob", "Ada"]) == {"bob", "ada"}


def test_long_text_full_of_at_signs_is_fast() -> None:
    """4000 characters of ``@`` and names are read in well under a second."""
    names = [f"user{i}" for i in range(500)]
    started = time.perf_counter()
    assert len(mentions("@user1 " * 570, names)) == 570
    mentions("@" * 4000, names)
    mentions("@u" * 2000, names)
    assert time.perf_counter() - started < 1.0


def test_the_whole_room_is_no_persons_name() -> None:
    """``@all`` mentions the room even beside a person called "all"; "@all hands" is "all hands"."""
    assert [m.name for m in mentions("@all", ["all"])] == [ROOM]
    assert [m.name for m in mentions("@all hands", ["all hands"])] == ["all hands"]
    assert mentioned("@everyone and @bob", ["bob"]) == {"bob"}


def test_mentions_room_reads_each_alias() -> None:
    """Each of ``@room``, ``@channel``, ``@everyone`` and ``@all`` mentions the room; an address does not."""
    for word in ("room", "channel", "everyone", "all"):
        assert mentions_room(f"hey @{word}")
        assert mentions("ok @" + word.upper(), [])[0] == Mention(3, 4 + len(word), ROOM)
    assert not mentions_room("mail x@all.com")
    assert not mentions_room("no at sign")
