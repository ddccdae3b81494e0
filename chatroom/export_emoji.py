"""Custom emoji in an export: ``custom_emoji`` records by name, before the scheduled messages.

``{"type": "custom_emoji", "name", "account", "created", "content_type",
"image"}``: the emoji ``name``, added by ``account`` (null: an account no
more) at ``created``, its image (``image/png`` or ``image/webp``, as the
server keeps them) in base64: a few kilobytes, so on its line rather than in
``file_part`` lines. An import checks that the bytes are of the type named,
computes their digest again, and refers to accounts the file brought before.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Callable, Container
from typing import IO

import orjson

from .emoji_names import BadEmojiNameError, check_name
from .export_fields import MAX_TS
from .export_fields import Fields as _Fields
from .sniff import HEAD_BYTES, sniff
from .store.base import Store
from .store.emoji_base import CustomEmoji, EmojiImage

# What the server writes (emoji_images.py); an import takes nothing else.
KEPT_TYPES = ("image/png", "image/webp")
# A kept emoji is a few kilobytes; an animated one of many frames, some hundreds.
MAX_IMAGE_BYTES = 2 * 1024 * 1024


def emoji_line(emoji: EmojiImage) -> bytes:
    """The line of one emoji, its image in base64."""
    e = emoji.emoji
    line = {"type": "custom_emoji", "name": e.name, "account": e.account_id, "created": e.created}
    image = base64.b64encode(emoji.image).decode("ascii")
    return orjson.dumps({**line, "content_type": e.content_type, "image": image}) + b"\n"


async def export_emoji(store: Store, out: IO[bytes]) -> None:
    """Write every custom emoji with its image, by name."""
    for emoji in await store.accounts.custom_emoji():
        found = await store.accounts.emoji_image(emoji.name)
        if found is not None:  # removed meanwhile
            out.write(emoji_line(found))


def _emoji(fields: _Fields) -> EmojiImage:
    try:
        name = check_name(fields.text("name"), frozenset())
    except BadEmojiNameError as error:
        raise fields.fail(f"'name': {error}") from None
    content_type = fields.choice("content_type", KEPT_TYPES)
    try:
        image = base64.b64decode(fields.text("image"), validate=True)
    except binascii.Error:
        raise fields.fail("'image' must be base64") from None
    if len(image) > MAX_IMAGE_BYTES or sniff(image[:HEAD_BYTES], name) != content_type:
        raise fields.fail(f"'image' must be an {content_type} of at most {MAX_IMAGE_BYTES} bytes")
    digest = hashlib.sha256(image).hexdigest()
    created = fields.whole("created", 0, MAX_TS)
    return EmojiImage(CustomEmoji(name, fields.optional_id("account"), created, content_type, digest), image)


READERS: dict[str, Callable[[_Fields], EmojiImage]] = {"custom_emoji": _emoji}


def emoji_problem(emoji: EmojiImage, accounts: Container[int], seen: set[str]) -> str | None:
    """What is wrong with the emoji given the ``accounts`` brought before it and the names ``seen``."""
    account = emoji.emoji.account_id
    if account is not None and account not in accounts:
        return f"the emoji :{emoji.emoji.name}: of account {account}, which no line before it brings"
    if emoji.emoji.name in seen:
        return f"the emoji :{emoji.emoji.name}: a second time"
    seen.add(emoji.emoji.name)
    return None
