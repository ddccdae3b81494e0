"""Custom emoji as the API and the ``emoji`` frame give them (pure).

An entry is ``{"name", "url", "by", "ts"}``: the image's address changes
with the image (``?v=`` its digest), so that it is cached for good.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

# Of the image's SHA-256 (hex), in its address: enough that a new image is a new address.
DIGEST_IN_URL = 16


def emoji_url(name: str, digest: str) -> str:
    """Where the emoji's image is, an address of this image alone."""
    return f"/emoji/{quote(name, safe='')}?v={digest[:DIGEST_IN_URL]}"


def emoji_entry(name: str, digest: str, by: str | None, ts: int) -> dict[str, Any]:
    """An emoji as ``GET /api/emoji`` lists it: ``by`` who added it (None: an account no more)."""
    return {"name": name, "url": emoji_url(name, digest), "by": by, "ts": ts}


def emoji_frame(name: str, entry: dict[str, Any] | None) -> dict[str, Any]:
    """The emoji ``name`` was added (its ``entry``) or removed (None): told to every page."""
    return {"type": "emoji", "name": name, "emoji": entry}


@dataclass(frozen=True, slots=True)
class EmojiNotice:
    """The custom emoji ``name`` was added (its image's ``digest``, who added it, when) or removed
    (``digest`` None), stored already: every node tells every connection, guests' too."""

    name: str
    digest: str | None
    by: str | None = None
    ts: int = 0
