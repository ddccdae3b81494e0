"""Groups' names and descriptions (chatroom/group_names.py), and how a group's mention reads
(chatroom/mentions.py): an account's rule, none of the words that mention many."""

from __future__ import annotations

import pytest

from chatroom.group_names import BadDescriptionError, BadGroupError, check_description, check_group_name
from chatroom.mentions import mentioned, mentions_reader


@pytest.mark.parametrize(
    ("raw", "name"),
    [
        ("designers", "designers"),
        ("  Design team ", "Design team"),
        ("Ω-team", "Ω-team"),
        ("ｄｅｓｉｇｎ", "design"),
    ],
)
def test_a_name_follows_an_accounts_rule(raw: str, name: str) -> None:
    """Trimmed, width-folded (NFKC), letters of any script, single spaces and - _ ."""
    assert check_group_name(raw) == name


@pytest.mark.parametrize(
    "raw", ["", "   ", None, 7, "x!y", "-x", "a" * 33, "room", "HERE", "Channel", "everyone", "all", "ａｌｌ"]
)
def test_a_bad_name_or_a_word_that_mentions_many_is_refused(raw: object) -> None:
    """Nothing, a bad character, too long, or what ``@room``, ``@here`` and their aliases already mean."""
    with pytest.raises(BadGroupError):
        check_group_name(raw)


def test_a_description_is_trimmed_text_of_at_most_200_characters() -> None:
    """Runs of white space become one; none is ""; longer or not text is refused as a description."""
    assert check_description("  who \n draws ") == "who draws"
    assert check_description(None) == ""
    for raw in ("x" * 201, 5, ["x"]):
        with pytest.raises(BadDescriptionError):
            check_description(raw)


def test_a_group_mention_is_a_mention_of_its_members_by_the_rule_of_a_name() -> None:
    """``@designers`` mentions a reader in the group, not one outside it; an address or a longer word never;
    the group is a name like a person's ("mentioned" reads it so)."""
    assert mentions_reader("@designers look", "bob", groups=["designers"])
    assert mentions_reader("(@DESIGNERS)", "bob", groups=["designers"], whole_room=False)
    assert not mentions_reader("@designers look", "bob", groups=["ops"])
    assert not mentions_reader("x@designers.com @designersx", "bob", groups=["designers"])
    assert mentioned("@designers and @bob", ["designers", "bob"]) == {"designers", "bob"}
