"""A room's line of text (title, topic) keeps the invisible characters of emoji, and no others."""

from __future__ import annotations

import pytest

from chatroom.line_text import breaks_line, hides_text

TAGS = "".join(chr(0xE0000 + ord(letter)) for letter in "gbeng")
CANCEL_TAG = "\U000e007f"
ENGLAND = f"\U0001f3f4{TAGS}{CANCEL_TAG}"


@pytest.mark.parametrize(
    "line",
    [
        f"{ENGLAND} fans",
        f"{ENGLAND}{ENGLAND}",
        f"\U0001f3f4\ufe0f{TAGS}{CANCEL_TAG}",
        "👩\u200d💻 at work",
        "🏳️\u200d🌈",
        "plain words, é, 日本",
    ],
)
def test_emoji_keep_their_joiners_and_tags(line: str) -> None:
    """A subdivision flag's tags, after its base and ended by the cancel tag, and the joiners pass."""
    assert not hides_text(line)


@pytest.mark.parametrize(
    "line",
    [
        f"hidden{TAGS}{CANCEL_TAG}",
        f"{TAGS}{CANCEL_TAG}",
        f"{TAGS} words",
        f"\U0001f3f4{TAGS} no cancel tag",
        f"{ENGLAND}{TAGS}{CANCEL_TAG}",
        f"a {CANCEL_TAG}",
        "\u202eevil",
        "zero\u200bwidth",
        "soft\u00adhyphen",
    ],
)
def test_free_standing_tags_and_other_format_characters_hide_text(line: str) -> None:
    """Tags after a letter, or with no base, or unended; bidi overrides, zero-width spaces: refused."""
    assert hides_text(line)


def test_line_breaks_and_controls_break_the_line() -> None:
    """A newline, a tab, a bell or a line separator breaks a line; a flag does not."""
    assert all(breaks_line(text) for text in ("a\nb", "a\tb", "bell\x07", "a\u2028b", "a\u2029b"))
    assert not breaks_line(f"{ENGLAND} fans")
