"""Who a message mentions: ``@`` and a known name (docs/protocol.md, "Message text").

The same rule as the page's static/js/mentions.js, so the server counts the
mentions (for unread badges and notifications) that the page highlights.
The ``@`` starts the text or follows a character that is not a letter,
digit, mark or one of ``_ . - @ /``; the name is the longest known one the
text continues with, compared without case, followed by the end of the text
or a character that is not a letter, digit, mark or ``_``.

``@room`` and its aliases ``@channel``, ``@everyone`` and ``@all`` mention
the whole room by the same rule (so ``x@all.com`` mentions nobody); they are
read before any person's name, so a person called "all" is not mentioned by
``@all`` alone, the room is. ``@here`` mentions those of the room who are
online in it when it is sent (unread.py writes down who they were). A group
(``@designers``, group_names.py) is a name like a person's: a mention of it
is a mention of each of its members.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

_NOT_BEFORE_AT = frozenset("_.-@/")

# What a mention of the whole room is called (Mention.name): no person's name starts with "@".
ROOM = "@room"
# What a mention of those online in the room is called.
HERE = "@here"
# The words that mention the whole room, the aliases people bring from other chats.
ROOM_WORDS = ("room", "channel", "everyone", "all")


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
    """The names by length, longest first, each length's by its folded form; the room's words first,
    so that they win over a person of the same name."""
    by_length: dict[int, dict[str, str]] = {}
    for word in ROOM_WORDS:
        by_length.setdefault(len(word), {})[word] = ROOM
    by_length.setdefault(len("here"), {})["here"] = HERE
    for name in names:
        if name:
            by_length.setdefault(len(name), {}).setdefault(name.lower(), name)
    return sorted(by_length.items(), reverse=True)


def _name_at(text: str, at: int, by_length: list[tuple[int, dict[str, str]]]) -> tuple[str, int] | None:
    """The longest known name ``text`` continues with at ``at``, ending where a name may end, and its
    length as typed (the room's word is as long as typed, not as ROOM)."""
    for length, names in by_length:
        end = at + length
        if end > len(text) or (end < len(text) and _is_word(text[end])):
            continue
        name = names.get(text[at:end].lower())
        if name is not None:
            return name, length
    return None


def mentions(text: str, names: Iterable[str]) -> list[Mention]:
    """Every mention in ``text`` of one of ``names``, in order (indices in code points)."""
    by_length = _index(names)
    found: list[Mention] = []
    at = text.find("@")
    while at != -1:
        blocked = at > 0 and _blocks_at(text[at - 1])
        known = None if blocked else _name_at(text, at + 1, by_length)
        if known is not None:
            name, length = known
            found.append(Mention(at, at + 1 + length, name))
            at = text.find("@", at + 1 + length)
        else:
            at = text.find("@", at + 1)
    return found


def mentioned(text: str, names: Iterable[str]) -> set[str]:
    """The names ``text`` mentions, folded (as nicks compare), each once (the whole room is not a name)."""
    return {mention.name.lower() for mention in mentions(text, names) if mention.name not in GROUPS}


# The mentions of many at once, which a room may keep to its managers (access.may_mention_room).
GROUPS = (ROOM, HERE)


def mentions_room(text: str) -> bool:
    """Whether ``text`` mentions the whole room (``@room`` or an alias), by the same rule as a name."""
    return "@" in text and any(mention.name == ROOM for mention in mentions(text, ()))


def mentions_here(text: str) -> bool:
    """Whether ``text`` mentions those online in the room (``@here``)."""
    return "@" in text and any(mention.name == HERE for mention in mentions(text, ()))


def mentions_many(text: str) -> bool:
    """Whether ``text`` mentions the whole room or those online in it."""
    return "@" in text and any(mention.name in GROUPS for mention in mentions(text, ()))


def mentions_reader(
    text: str, reader: str, *, whole_room: bool = True, was_here: bool = False, groups: Iterable[str] = ()
) -> bool:
    """Whether ``text`` mentions ``reader`` by name or by a group of theirs (``groups``, its names), or
    (``whole_room``) the whole room they read, or (``whole_room`` and ``was_here``: they were online in it
    when it was sent) those online in it."""
    if "@" not in text:
        return False
    for mention in mentions(text, [reader, *groups]):
        if mention.name not in GROUPS or (whole_room and (mention.name == ROOM or was_here)):
            return True
    return False
