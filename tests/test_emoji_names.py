"""Custom emoji's names: what a person may call one, and how a reaction names one (emoji_names.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from chatroom.emoji_names import BadEmojiNameError, check_name, custom_name, shortcodes_in

STANDARD = shortcodes_in((Path(__file__).parent.parent / "static/js/emoji_shortcodes.js").read_text("utf-8"))


def test_the_page_short_names_are_read_from_its_list() -> None:
    """The server knows the short names the page turns into standard emoji (tada, +1, -1, 100)."""
    assert {"tada", "+1", "-1", "100", "thumbsup", "broken_heart"} <= STANDARD
    assert "👍" not in STANDARD and len(STANDARD) > 40


@pytest.mark.parametrize(
    "name", ["shipit", "partyparrot", "a", "x" * 32, "team-logo", "c++", "under_score", "42"]
)
def test_names_of_lower_case_letters_digits_and_marks_are_taken(name: str) -> None:
    """A name of 1 to 32 of a-z 0-9 _ + - is taken as it is."""
    assert check_name(name, STANDARD) == name


@pytest.mark.parametrize(
    ("name", "why"),
    [
        ("", "needs a name"),
        (None, "needs a name"),
        ("x" * 33, "at most 32"),
        ("ShipIt", "lower-case"),
        ("ship it", "lower-case"),
        ("café", "lower-case"),
        (":shipit:", "lower-case"),
        ("tada", "standard"),
        ("+1", "standard"),
    ],
)
def test_other_names_are_refused_with_the_reason(name: object, why: str) -> None:
    """Empty, too long, capitals, spaces, accents, colons or a standard short name: refused, saying why."""
    with pytest.raises(BadEmojiNameError, match=why):
        check_name(name, STANDARD)


def test_a_reaction_names_a_custom_emoji_with_colons() -> None:
    """``:shipit:`` names shipit; an emoji, a bare name or a bad one names none."""
    assert custom_name(":shipit:") == "shipit"
    assert custom_name(":c++:") == "c++"
    for other in ("👍", "shipit", ":shipit", "::", ":Ship:", f":{'x' * 33}:"):
        assert custom_name(other) is None
