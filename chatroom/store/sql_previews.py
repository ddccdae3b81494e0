"""Link previews: AccountStore methods of one statement each (previews_base.py), the same SQL for SQLite
and PostgreSQL; SQLAccounts inherits them and gives ``_rows``, ``_change`` and ``_change_many``."""

from __future__ import annotations

from collections.abc import Sequence

from ..preview_pages import picture_digests
from .previews_base import CARDS_KEPT_MS, KeptCard, PreviewImage
from .sql_statements import SQLStatements

KEEP_CARD = (
    "INSERT INTO link_previews (url, fetched, card) VALUES (?, ?, ?)"
    " ON CONFLICT (url) DO UPDATE SET fetched = excluded.fetched, card = excluded.card RETURNING url"
)
DROP_OLD_CARDS = "DELETE FROM link_previews WHERE fetched < ? RETURNING url"
KEPT_CARD = "SELECT url, fetched, card FROM link_previews WHERE url = ?"
_IMAGE_COLUMNS = "digest, content_type, width, height, created, image"
# Kept again (another page with the same picture), a picture keeps its bytes and takes the new time:
# the sweep leaves a picture kept within PICTURE_GRACE_MS whatever names it.
KEEP_IMAGE = (
    f"INSERT INTO preview_images ({_IMAGE_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?)"
    " ON CONFLICT (digest) DO UPDATE SET created = excluded.created RETURNING digest"
)
IMPORT_IMAGE = (
    f"INSERT INTO preview_images ({_IMAGE_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (digest) DO NOTHING"
)
OLD_IMAGES = "SELECT digest FROM preview_images WHERE created < ?"
# The messages showing cards, a page at a time, by their key.
SHOWN_AFTER = (
    "SELECT room, id, preview FROM messages WHERE preview IS NOT NULL AND preview NOT IN ('', '[]')"
    " AND (room, id) > (?, ?) ORDER BY room, id LIMIT ?"
)
KEPT_CARDS = "SELECT card FROM link_previews WHERE card <> ''"
# Rows a page reads, and pictures one statement deletes (its placeholders within any SQLite's bound).
SWEEP_PAGE = 500
IMAGE = f"SELECT {_IMAGE_COLUMNS} FROM preview_images WHERE digest = ?"
IMAGES = f"SELECT {_IMAGE_COLUMNS} FROM preview_images WHERE digest > ? ORDER BY digest LIMIT ?"


def _image(row: Sequence[object]) -> PreviewImage:
    digest, content_type, width, height, created, image = row
    assert isinstance(image, bytes | bytearray | memoryview)
    return PreviewImage(
        str(digest), str(content_type), int(str(width)), int(str(height)), int(str(created)), bytes(image)
    )


class SQLPreviews(SQLStatements):
    """Cards read recently, and the pictures cards show."""

    async def kept_card(self, url: str) -> KeptCard | None:
        """The card last read from ``url``, if it is still kept."""
        rows = await self._rows(KEPT_CARD, url)
        return KeptCard(str(rows[0][0]), int(str(rows[0][1])), str(rows[0][2])) if rows else None

    async def keep_card(self, card: KeptCard) -> None:
        """Keep the card read from its address (replacing an older one), dropping old ones."""
        await self._change("cannot keep the link's card", KEEP_CARD, card.url, card.fetched, card.card)
        await self._change("cannot drop old cards", DROP_OLD_CARDS, card.fetched - CARDS_KEPT_MS)

    async def keep_preview_image(self, image: PreviewImage) -> None:
        """Keep a picture, unless one of its digest is kept already."""
        values = (image.digest, image.content_type, image.width, image.height, image.created, image.image)
        await self._change("cannot keep the preview's picture", KEEP_IMAGE, *values)

    async def preview_image(self, digest: str) -> PreviewImage | None:
        """The picture of that digest, or None."""
        rows = await self._rows(IMAGE, digest)
        return _image(rows[0]) if rows else None

    async def preview_images(self, after: str, limit: int) -> list[PreviewImage]:
        """Up to ``limit`` pictures with a digest after ``after``, by digest (for an export)."""
        return [_image(row) for row in await self._rows(IMAGES, after, limit)]

    async def import_preview_images(self, images: Sequence[PreviewImage]) -> None:
        """Keep exported pictures, in one transaction (those kept already stay as they are)."""
        rows = [(i.digest, i.content_type, i.width, i.height, i.created, i.image) for i in images]
        await self._change_many("cannot import the previews' pictures", IMPORT_IMAGE, rows)

    async def sweep_preview_images(self, older_than: int) -> int:
        """Delete the pictures kept before ``older_than`` (ms) that no message's cards and no kept card
        name; how many went. Reads every message showing cards, a page at a time."""
        old = {str(row[0]) for row in await self._rows(OLD_IMAGES, older_than)}
        if not old:
            return 0
        named = await self._named_pictures()
        unnamed = sorted(old - named)
        swept = 0
        for start in range(0, len(unnamed), SWEEP_PAGE):
            chunk = unnamed[start : start + SWEEP_PAGE]
            marks = ", ".join("?" * len(chunk))
            statement = (
                f"DELETE FROM preview_images WHERE created < ? AND digest IN ({marks}) RETURNING digest"
            )
            swept += len(
                await self._change("cannot sweep the previews' pictures", statement, older_than, *chunk)
            )
        return swept

    async def _named_pictures(self) -> set[str]:
        named = {digest for row in await self._rows(KEPT_CARDS) for digest in picture_digests(f"[{row[0]}]")}
        after: tuple[object, object] = ("", 0)
        while rows := await self._rows(SHOWN_AFTER, *after, SWEEP_PAGE):
            for _, _, preview in rows:
                named.update(picture_digests(str(preview)))
            after = (rows[-1][0], rows[-1][1])
        return named
