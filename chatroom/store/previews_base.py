"""The link previews part of the AccountStore contract: cards read recently, and the pictures they show.

Part of every AccountStore (``store.accounts``); a message's previews
themselves are its ``preview`` changes (store/change_rules.py). The rules
each implementation keeps (tests/test_previews.py holds SQLite and
PostgreSQL to them):

- ``keep_card`` keeps one card per address, the latest read, and drops
  those read more than CARDS_KEPT_MS ago: the cache is of recent reads.
- A picture is kept once per SHA-256 of its bytes, whoever keeps it again
  (its time then the latest keep's): it is small (shrunk to fit 480x480),
  and the cards of messages, of any node and of an export, name it by its
  digest. ``sweep_preview_images`` deletes those kept before a time that no
  message's cards and no kept card name (a message edited or deleted, its
  previews removed): once PICTURE_GRACE_MS old, a picture kept for a card
  being read is named by then.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

# A card read longer ago than this is dropped when another is kept.
CARDS_KEPT_MS = 24 * 3600 * 1000
# A picture nothing names is swept once kept this long ago (see sweep_preview_images).
PICTURE_GRACE_MS = 3600 * 1000


@dataclass(frozen=True, slots=True)
class KeptCard:
    """A card read from ``url`` at ``fetched`` (ms): its stored form (preview_pages.py), "" for none."""

    url: str
    fetched: int
    card: str


@dataclass(frozen=True, slots=True)
class PreviewImage:
    """A picture a card shows, as kept: its SHA-256 ``digest`` (hex), type, size and bytes."""

    digest: str
    content_type: str
    width: int
    height: int
    created: int
    image: bytes


class PreviewStore(Protocol):
    """Cards read recently by address, and the pictures of cards."""

    async def kept_card(self, url: str) -> KeptCard | None:
        """The card last read from ``url``, if it is still kept."""
        ...

    async def keep_card(self, card: KeptCard) -> None:
        """Keep the card read from its address (replacing an older one), dropping old ones."""
        ...

    async def keep_preview_image(self, image: PreviewImage) -> None:
        """Keep a picture, unless one of its digest is kept already."""
        ...

    async def preview_image(self, digest: str) -> PreviewImage | None:
        """The picture of that digest, or None."""
        ...

    async def preview_images(self, after: str, limit: int) -> list[PreviewImage]:
        """Up to ``limit`` pictures with a digest after ``after``, by digest (for an export)."""
        ...

    async def import_preview_images(self, images: Sequence[PreviewImage]) -> None:
        """Keep exported pictures, in one transaction (those kept already stay as they are)."""
        ...

    async def sweep_preview_images(self, older_than: int) -> int:
        """Delete the pictures kept before ``older_than`` (ms) that nothing names; how many went."""
        ...
