"""Custom emoji: AccountStore methods of one statement each (emoji_base.py), the same SQL for SQLite and
PostgreSQL; SQLAccounts inherits them and gives ``_rows``, ``_change`` and ``_change_many``."""

from __future__ import annotations

from collections.abc import Sequence

from .emoji_base import CustomEmoji, EmojiImage, EmojiTakenError, TooManyEmojiError
from .sql_statements import SQLStatements

# Counted in the statement that adds (under a lock on PostgreSQL: _change_counted): no row comes
# back when there are ``most`` already, or the name is held.
ADD = (
    "INSERT INTO custom_emoji (name, account_id, created, content_type, digest, image)"
    " SELECT ?, ?, ?, ?, ?, ? WHERE (SELECT COUNT(*) FROM custom_emoji) < ?"
    " ON CONFLICT (name) DO NOTHING RETURNING name"
)
IMPORT = (
    "INSERT INTO custom_emoji (name, account_id, created, content_type, digest, image)"
    " VALUES (?, ?, ?, ?, ?, ?)"
)
REMOVE = "DELETE FROM custom_emoji WHERE name = ? RETURNING name"
_COLUMNS = "e.name, e.account_id, e.created, e.content_type, e.digest, a.name"
_FROM = "FROM custom_emoji e LEFT JOIN accounts a ON a.id = e.account_id"
LIST = f"SELECT {_COLUMNS} {_FROM} ORDER BY e.name"
NAMED = f"SELECT {_COLUMNS} {_FROM} WHERE e.name = ?"
IMAGE = f"SELECT {_COLUMNS}, e.image {_FROM} WHERE e.name = ?"


def _emoji(row: Sequence[object]) -> CustomEmoji:
    name, account_id, created, content_type, digest, adder = row[:6]
    assert isinstance(created, int)
    return CustomEmoji(
        str(name),
        None if account_id is None else int(str(account_id)),
        created,
        str(content_type),
        str(digest),
        None if adder is None else str(adder),
    )


class SQLEmoji(SQLStatements):
    """Site-wide custom emoji and their images."""

    async def add_emoji(self, emoji: CustomEmoji, image: bytes, *, most: int = 2000) -> None:
        """Add the emoji; EmojiTakenError when its name is held, TooManyEmojiError at ``most`` emoji."""
        values = (emoji.name, emoji.account_id, emoji.created, emoji.content_type, emoji.digest, image)
        if await self._change_counted("cannot add the emoji", "emoji", ADD, *values, most):
            return
        if await self.emoji_named(emoji.name) is not None:
            raise EmojiTakenError(f"there is an emoji :{emoji.name}: already")
        raise TooManyEmojiError(f"this server holds {most} custom emoji, as many as it may")

    async def remove_emoji(self, name: str) -> bool:
        """Remove the emoji and its image; whether there was one."""
        return bool(await self._change("cannot remove the emoji", REMOVE, name))

    async def custom_emoji(self) -> list[CustomEmoji]:
        """Every custom emoji, by name (without images)."""
        return [_emoji(row) for row in await self._rows(LIST)]

    async def emoji_named(self, name: str) -> CustomEmoji | None:
        """The emoji of that name, or None."""
        rows = await self._rows(NAMED, name)
        return _emoji(rows[0]) if rows else None

    async def emoji_image(self, name: str) -> EmojiImage | None:
        """The emoji of that name with its image, or None."""
        rows = await self._rows(IMAGE, name)
        if not rows:
            return None
        image = rows[0][6]
        assert isinstance(image, bytes | bytearray | memoryview)
        return EmojiImage(_emoji(rows[0]), bytes(image))

    async def import_emoji(self, images: Sequence[EmojiImage]) -> None:
        """Store exported emoji as they are, in one transaction; StoreError when a name is held."""
        rows = [
            (e.name, e.account_id, e.created, e.content_type, e.digest, image)
            for e, image in ((item.emoji, item.image) for item in images)
        ]
        await self._change_many("cannot import the custom emoji", IMPORT, rows)
