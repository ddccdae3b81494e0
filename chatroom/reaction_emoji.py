"""What a reaction's (or a status's) emoji may be: a symbol of 1 to 64 code points, or a custom emoji."""

from __future__ import annotations

import unicodedata

from .emoji_names import custom_name
from .protocol import BAD_REQUEST, ProtocolError

# An emoji is 1 to 64 code points (a family with skin tones and joiners fits).
MAX_EMOJI_LENGTH = 64
# Enclosing keycap: 1️⃣ has no symbol code point of its own.
_KEYCAP = "\u20e3"


def reaction_emoji(raw: object, ref: str | None = None) -> str:
    """A reaction's emoji: one clean_emoji takes, or a custom emoji's ``:name:`` (whether the server has
    one of that name is the store's to say, when it stores the reaction: change_rules.decide)."""
    if isinstance(raw, str) and custom_name(raw) is not None:
        return raw
    return clean_emoji(raw, ref)


def clean_emoji(raw: object, ref: str | None = None) -> str:
    """An emoji as sent (1-64 code points, at least one symbol, no control character), or ProtocolError."""
    if not isinstance(raw, str) or not 1 <= len(raw) <= MAX_EMOJI_LENGTH:
        raise ProtocolError(
            BAD_REQUEST, f'"emoji" must be a string of 1 to {MAX_EMOJI_LENGTH} characters', ref
        )
    categories = [unicodedata.category(c) for c in raw]
    if "Cc" in categories or any(c.isspace() for c in raw):
        raise ProtocolError(BAD_REQUEST, '"emoji" may not hold control characters or spaces', ref)
    if not any(category.startswith("S") for category in categories) and _KEYCAP not in raw:
        raise ProtocolError(BAD_REQUEST, '"emoji" must hold an emoji or another symbol', ref)
    return raw
