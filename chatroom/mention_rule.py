"""Whether a message mentions someone: ``@`` and their name, compared case-folded.

A small rule on its own, so that the unread counts can take a richer one
(mentions of several words, of everyone) without changing anything else.
"""

from __future__ import annotations

# Characters that continue a name: "@ann" does not mention "anna", nor "ann_b".
# A full stop does not: "@ann." ends a sentence (a name with a full stop inside still matches whole).
_CONTINUES = frozenset("-_")


def mentions(text: str, name: str) -> bool:
    """Whether ``text`` holds ``@name`` (case-folded), not run on into a longer name."""
    needle = "@" + name.casefold()
    folded = text.casefold()
    start = folded.find(needle)
    while start >= 0:
        end = start + len(needle)
        if end == len(folded) or not (folded[end].isalnum() or folded[end] in _CONTINUES):
            return True
        start = folded.find(needle, start + 1)
    return False
