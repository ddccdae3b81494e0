"""A link preview's picture: proved an image by its bytes, stripped of metadata, made to fit 480x480.

Pure, in memory (a picture is read up to preview_fetch.MAX_IMAGE_BYTES): run
in a worker thread. The type comes from the bytes (chatroom/sniff.py), not
from what the linked site says. What is kept is only pixels, written anew by
Pillow as images.py does for every upload (no EXIF, XMP, ICC, comments): the
first frame, upright, in sRGB, as a PNG when it has transparency and a JPEG
otherwise. The server keeps it and serves it itself: readers' browsers never
ask the linked site for it.
"""

from __future__ import annotations

import hashlib
import io

from PIL import Image

from .images import ImageRefusedError, bare_frame, guarded_open, upright_turn
from .preview_pages import Picture
from .sniff import HEAD_BYTES, is_image, sniff

BOX = (480, 480)
# A picture is decoded whole before it is shrunk: bounded like an upload's, lower.
MAX_PIXELS = 25_000_000
JPEG_QUALITY = 85
_FORMATS = {"image/jpeg": "JPEG", "image/png": "PNG", "image/gif": "GIF", "image/webp": "WEBP"}


def prepare_picture(data: bytes) -> tuple[Picture, bytes]:
    """The picture as kept, and its bytes; ImageRefusedError (not_an_image, unreadable_image,
    too_many_pixels) for anything else."""
    content_type = sniff(data[:HEAD_BYTES], "preview")
    if not is_image(content_type) or content_type not in _FORMATS:
        raise ImageRefusedError("not_an_image")
    with guarded_open(data, _FORMATS[content_type]) as image:
        if image.width * image.height > MAX_PIXELS:
            raise ImageRefusedError("too_many_pixels")
        image.load()
        frame = bare_frame(image, None, upright_turn(image))
    frame.thumbnail(BOX, Image.Resampling.LANCZOS)
    kept, kind = _encode(frame)
    return Picture(hashlib.sha256(kept).hexdigest(), kind, frame.width, frame.height), kept


def _encode(frame: Image.Image) -> tuple[bytes, str]:
    out = io.BytesIO()
    if frame.mode in ("RGBA", "LA", "PA") or "transparency" in frame.info:
        frame.convert("RGBA").save(out, "PNG", optimize=True)
        return out.getvalue(), "image/png"
    frame.convert("RGB").save(out, "JPEG", quality=JPEG_QUALITY, optimize=True)
    return out.getvalue(), "image/jpeg"
