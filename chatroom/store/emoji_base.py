"""The custom emoji part of the AccountStore contract: site-wide emoji, each a name and a small image.

Part of every AccountStore (``store.accounts``). The rules each
implementation keeps (tests/test_emoji_store.py holds SQLite and PostgreSQL
to them):

- A name is held by one emoji at most: adding one whose name is taken
  raises EmojiTakenError and changes nothing.
- ``add_emoji`` counts the emoji in the statement that adds one, and raises
  TooManyEmojiError when there are ``most`` already. (On PostgreSQL two adds
  at the same moment may each see room for one: the bound may be passed by
  the adds under way at once, never more.)
- The image lives in the emoji's row (a few kilobytes), so that every node
  reads it from the database; it goes with its row.
- A reaction put with ``:name:`` is refused by the store, in the transaction
  that would store it, unless an emoji of that name exists then
  (change_rules.decide); removing one leaves messages and reactions as
  they are: they show ``:name:`` as text.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

# Custom emoji on one server: each is listed to every page that loads.
MAX_CUSTOM_EMOJI = 2000


class EmojiRefusedError(Exception):
    """The store will not add this emoji, whenever asked (unlike StoreError, retrying will not help)."""


class EmojiTakenError(EmojiRefusedError):
    """Another emoji has that name."""


class TooManyEmojiError(EmojiRefusedError):
    """The server holds as many custom emoji as it may."""


@dataclass(frozen=True, slots=True)
class CustomEmoji:
    """One custom emoji: its ``name``, who added it (``account_id``; ``adder`` their name now, None when
    the account is unknown), when (``created``, ms), its image's type and SHA-256 ``digest`` (hex)."""

    name: str
    account_id: int | None
    created: int
    content_type: str
    digest: str
    adder: str | None = None


@dataclass(frozen=True, slots=True)
class EmojiImage:
    """A custom emoji with its image's bytes."""

    emoji: CustomEmoji
    image: bytes


class EmojiStore(Protocol):
    """Custom emoji: added, listed, read with their images, removed."""

    async def add_emoji(self, emoji: CustomEmoji, image: bytes, *, most: int = MAX_CUSTOM_EMOJI) -> None:
        """Add the emoji; EmojiTakenError when its name is held, TooManyEmojiError at ``most`` emoji."""
        ...

    async def remove_emoji(self, name: str) -> bool:
        """Remove the emoji and its image; whether there was one."""
        ...

    async def custom_emoji(self) -> list[CustomEmoji]:
        """Every custom emoji, by name (without images)."""
        ...

    async def emoji_named(self, name: str) -> CustomEmoji | None:
        """The emoji of that name, or None."""
        ...

    async def emoji_image(self, name: str) -> EmojiImage | None:
        """The emoji of that name with its image, or None."""
        ...

    async def import_emoji(self, images: Sequence[EmojiImage]) -> None:
        """Store exported emoji as they are (names, adders, times), in one transaction; StoreError when a
        name is held."""
        ...
