"""Groups' names (pure): the rule of an account's name, in the one namespace mentions read.

A group is mentioned as a person is (``@designers``, mentions.py), so its
name follows an account's rule (names.normalize_nick) and is compared as
accounts' names are (names.nick_key: without case, look-alikes alike). It
may not be a word that mentions many at once (``room``, ``here`` and the
room's aliases): those would never reach the group. Whether a person, a bot
or another group holds the name is the store's to say (groups_base.py).
"""

from __future__ import annotations

import functools

from .mentions import HERE, ROOM_WORDS
from .names import BadNameError, nick_key, normalize_nick

# The words a group may not be called: what they mention is the room's (mentions.py reads them first).
RESERVED_WORDS = (*ROOM_WORDS, HERE.removeprefix("@"))
MAX_DESCRIPTION_LENGTH = 200


@functools.cache
def _reserved_keys() -> frozenset[str]:
    # Made on first use: a key reads Unicode's look-alike table, which would
    # otherwise be read at every process's start, a twentieth of it.
    return frozenset(nick_key(word) for word in RESERVED_WORDS)


class BadGroupError(ValueError):
    """A group's name the rules refuse; ``str()`` says why, for people."""


class BadDescriptionError(BadGroupError):
    """A group's description the rules refuse."""


def check_group_name(raw: object) -> str:
    """The group's name as members will see it; BadGroupError when the rules refuse it."""
    if not isinstance(raw, str) or not raw.strip():
        raise BadGroupError("a group needs a name, as a person's: letters, digits, single spaces, - _ .")
    try:
        name = normalize_nick(raw)
    except BadNameError as error:
        raise BadGroupError(str(error).replace("a nick", "a group's name")) from None
    if nick_key(name) in _reserved_keys():
        raise BadGroupError(f"@{name} mentions the room already: choose another name for the group")
    return name


def check_description(raw: object) -> str:
    """The description as kept (trimmed; "" for none); BadDescriptionError when too long or not text."""
    if raw is None:
        return ""
    if not isinstance(raw, str):
        raise BadDescriptionError("a group's description is text")
    description = " ".join(raw.split())
    if len(description) > MAX_DESCRIPTION_LENGTH:
        raise BadDescriptionError(f"a group's description is at most {MAX_DESCRIPTION_LENGTH} characters")
    return description
