"""One line of text a room shows, its title or its topic: the invisible characters it may hold.

Format characters (Unicode category Cf) are not seen: a bidi override among them makes one line read
as another, and tag characters (U+E0020-U+E007F) carry a text nobody reading the line sees. Emoji are
built of some of them, and keep those: the joiners (👩‍💻), and the tags of an emoji tag sequence, a
subdivision flag such as Scotland's (Unicode TS #51: a base emoji, U+1F3F4 there, its tags spelling
"gbsct", then the cancel tag U+E007F).
"""

from __future__ import annotations

import re
import unicodedata

# Zero-width non-joiner and joiner: inside emoji sequences, and in the words of several scripts.
_JOINERS = frozenset({"\u200c", "\u200d"})
# A tag base (one character, perhaps shown as emoji by U+FE0F), then its tags and the cancel tag.
_TAG_SEQUENCE = re.compile("(.\ufe0f?)[\U000e0020-\U000e007e]+\U000e007f", re.DOTALL)


def breaks_line(text: str) -> bool:
    """Whether ``text`` holds a control character (a tab, a line break among them) or a line separator."""
    return any(unicodedata.category(char) in ("Cc", "Zl", "Zp") for char in text)


def hides_text(text: str) -> bool:
    """Whether ``text`` holds a format character that is not part of an emoji."""
    shown = _TAG_SEQUENCE.sub(_base_of_emoji_tags, text)
    return any(unicodedata.category(char) == "Cf" and char not in _JOINERS for char in shown)


def _base_of_emoji_tags(match: re.Match[str]) -> str:
    """The base alone when the tags follow an emoji (a symbol); else the whole run, to be refused."""
    base = match.group(1)
    return base if unicodedata.category(base[0]) == "So" else match.group(0)
