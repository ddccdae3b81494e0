"""Custom emoji's names (pure): what a name may be, and how a text or a reaction names one.

A name is 1 to 32 of ``a-z 0-9 _ + -``; it is written ``:name:`` in a
message and as a reaction's emoji. It may not be one of the short names the
page already turns into a standard emoji (static/js/emoji_shortcodes.js:
``:tada:`` is 🎉 for everyone), so a custom one never hides a standard one.
"""

from __future__ import annotations

import re

MAX_NAME_LENGTH = 32
_NAME = re.compile(rf"[a-z0-9_+-]{{1,{MAX_NAME_LENGTH}}}")
_CODE = re.compile(rf":([a-z0-9_+-]{{1,{MAX_NAME_LENGTH}}}):")
# A key of the page's SHORTCODES object: "tada": "🎉".
_SHORTCODE_KEY = re.compile(r'"([^"\\]+)"\s*:')


class BadEmojiNameError(ValueError):
    """A name the rules refuse: the message says why, for the person who typed it."""


def custom_name(emoji: str) -> str | None:
    """The name a reaction's emoji ``:name:`` gives, or None when it is not one of that form."""
    match = _CODE.fullmatch(emoji)
    return None if match is None else match.group(1)


def check_name(raw: object, standard: frozenset[str]) -> str:
    """The name as given when the rules take it; BadEmojiNameError otherwise."""
    if not isinstance(raw, str) or not raw:
        raise BadEmojiNameError("the emoji needs a name: 1 to 32 of a-z, 0-9, _, + and -")
    if len(raw) > MAX_NAME_LENGTH:
        raise BadEmojiNameError(f"an emoji's name is at most {MAX_NAME_LENGTH} characters")
    if not _NAME.fullmatch(raw):
        raise BadEmojiNameError("an emoji's name is lower-case letters a-z, digits and _ + - only")
    if raw in standard:
        raise BadEmojiNameError(f":{raw}: is a standard emoji's short name already")
    return raw


def shortcodes_in(script: str) -> frozenset[str]:
    """The short names of the page's SHORTCODES object, from the text of emoji_shortcodes.js."""
    start = script.find("SHORTCODES")
    body = script[start : script.find("}", start)] if start >= 0 else ""
    return frozenset(_SHORTCODE_KEY.findall(body))
