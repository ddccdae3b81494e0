"""Link previews' pictures in an export: ``preview_image`` records by digest, after the custom emoji.

``{"type": "preview_image", "digest", "content_type", "width", "height",
"created", "image"}``: a picture a card of a message's link previews shows
(the cards themselves travel as ``change`` records of kind ``preview``),
kept by the SHA-256 of its bytes (hex), as the server wrote it (a PNG or a
JPEG fitting 480x480), in base64 on its line. An import checks that the
bytes are of the type named and that their digest is the one given: the
cards name their pictures by it.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Callable
from typing import IO

import orjson

from .export_fields import MAX_TS
from .export_fields import Fields as _Fields
from .preview_images import BOX
from .sniff import HEAD_BYTES, sniff
from .store.base import Store
from .store.previews_base import PreviewImage

# What the server writes (preview_images.py); an import takes nothing else.
KEPT_TYPES = ("image/png", "image/jpeg")
MAX_IMAGE_BYTES = 2 * 1024 * 1024
IMAGES_PAGE = 100


def preview_image_line(image: PreviewImage) -> bytes:
    """The line of one picture, its bytes in base64."""
    line: dict[str, object] = {"type": "preview_image", "digest": image.digest}
    line.update(
        content_type=image.content_type, width=image.width, height=image.height, created=image.created
    )
    return orjson.dumps({**line, "image": base64.b64encode(image.image).decode("ascii")}) + b"\n"


async def export_preview_images(store: Store, out: IO[bytes]) -> None:
    """Write every picture of link previews, by digest."""
    after = ""
    while page := await store.accounts.preview_images(after, IMAGES_PAGE):
        out.write(b"".join(preview_image_line(image) for image in page))
        after = page[-1].digest


def _preview_image(fields: _Fields) -> PreviewImage:
    content_type = fields.choice("content_type", KEPT_TYPES)
    try:
        image = base64.b64decode(fields.text("image"), validate=True)
    except binascii.Error:
        raise fields.fail("'image' must be base64") from None
    if len(image) > MAX_IMAGE_BYTES or sniff(image[:HEAD_BYTES], "preview") != content_type:
        raise fields.fail(f"'image' must be an {content_type} of at most {MAX_IMAGE_BYTES} bytes")
    digest = fields.text("digest")
    if hashlib.sha256(image).hexdigest() != digest:
        raise fields.fail("'digest' must be the SHA-256 of the image's bytes, in hex")
    return PreviewImage(
        digest,
        content_type,
        fields.whole("width", 1, BOX[0]),
        fields.whole("height", 1, BOX[1]),
        fields.whole("created", 0, MAX_TS),
        image,
    )


READERS: dict[str, Callable[[_Fields], PreviewImage]] = {"preview_image": _preview_image}
