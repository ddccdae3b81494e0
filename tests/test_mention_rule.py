"""The mention rule: ``@`` and a name, case-folded, not run on into a longer name."""

from __future__ import annotations

import pytest

from chatroom.mention_rule import mentions


@pytest.mark.parametrize(
    "text",
    [
        "@ann",
        "hi @Ann!",
        "@ANN, look",
        "thanks @ann.",
        "(@ann)",
        "@bob @ann",
        "@ann\nnext line",
        "@ÀNN"[0:1] + "ann",
    ],
)
def test_these_mention_ann(text: str) -> None:
    """``@ann`` anywhere, in any case, followed by punctuation, space or the end."""
    assert mentions(text, "Ann")


@pytest.mark.parametrize("text", ["ann", "@anna", "@ann_b", "@ann-b", "mail ann@example.org", "@ an", "@an"])
def test_these_do_not(text: str) -> None:
    """Without ``@``, or with a longer name after it."""
    assert not mentions(text, "ann")


def test_names_of_several_words_and_other_scripts() -> None:
    """A name with a space, or in Greek with a final sigma, is found case-folded."""
    assert mentions("ping @ann lee about it", "Ann Lee")
    assert mentions("@ΟΔΥΣΣΕΥΣ hello", "Οδυσσευς")
    assert not mentions("@ann leeds", "Ann Lee")
