"""Who a message mentions: ``@`` and a known name (docs/protocol.md, "Message text").

The same rule as the page's static/js/mentions.js, so the server counts the
mentions (for unread badges and notifications) that the page highlights.
The ``@`` starts the text or follows a character that is not a letter,
digit, mark or one of ``_ . - @ /``; the name is the longest known one the
text continues with, compared without case, followed by the end of the text
or a character that is not a letter, digit, mark or ``_``.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

_NOT_BEFORE_AT = frozenset("_.-@/")


@dataclass(frozen=True)
class Mention:
    """One mention: ``text[start:end]`` is ``@`` and ``name`` as the text spells it."""

    start: int
    end: int
    name: str


def _is_word(char: str) -> bool:
    """A letter, digit, mark or underscore: a name cannot stop before one."""
    return char == "_" or unicodedata.category(char)[0] in "LNM"


def _blocks_at(char: str) -> bool:
    """A character after which ``@`` is part of a word, an address or a path."""
    return _is_word(char) or char in _NOT_BEFORE_AT


def _index(names: Iterable[str]) -> list[tuple[int, dict[str, str]]]:
    """The names by length, longest first, each length's by its folded form."""
    by_length: dict[int, dict[str, str]] = {}
    for name in names:
        if name:
            by_length.setdefault(len(name), {}).setdefault(name.lower(), name)
    return sorted(by_length.items(), reverse=True)


def _name_at(text: str, at: int, by_length: list[tuple[int, dict[str, str]]]) -> str | None:
    """The longest known name ``text`` continues with at ``at``, ending where a name may end."""
    for length, names in by_length:
        end = at + length
        if end > len(text) or (end < len(text) and _is_word(text[end])):
            continue
        name = names.get(text[at:end].lower())
        if name is not None:
            return name
    return None


def mentions(text: str, names: Iterable[str]) -> list[Mention]:
    """Every mention in ``text`` of one of ``names``, in order (indices in code points)."""
    by_length = _index(names)
    found: list[Mention] = []
    at = text.find("@")
    while at != -1:
        blocked = at > 0 and _blocks_at(text[at - 1])
        name = None if blocked else _name_at(text, at + 1, by_length)
        if name is not None:
            found.append(Mention(at, at + 1 + len(name), name))
            at = text.find("@", at + 1 + len(name))
        else:
            at = text.find("@", at + 1)
    return found


def mentioned(text: str, names: Iterable[str]) -> set[str]:
    """The names ``text`` mentions, folded (as nicks compare), each once."""
    return {mention.name.lower() for mention in mentions(text, names)}
