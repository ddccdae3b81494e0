"""A custom emoji's image: proved an image by its bytes, stripped of metadata, made to fit 64x64.

Pure, in memory (an upload is 256 KB at most): run in a worker thread. The
type comes from the bytes (chatroom/sniff.py): SVG, HTML or anything else
named ``.png`` is not an image here. What is kept is only pixels, written
anew by Pillow as images.py does for every upload: a still image as a PNG,
an animated GIF or WebP as an animated WebP (its frames and their timing
kept, at most MAX_FRAMES, the pixels of them all bounded before they are
held), so that ``:partyparrot:`` still dances.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass

from PIL import Image

from .images import ImageRefusedError, bare_frame, guarded_open, upright_turn
from .sniff import HEAD_BYTES, is_image, sniff

SIDE = 64
MAX_UPLOAD_BYTES = 256 * 1024
# An emoji of one frame may be a large picture shrunk; an animation's frames are held together.
MAX_PIXELS = 16_000_000
MAX_ANIMATION_PIXELS = 32_000_000
MAX_FRAMES = 200
_FORMATS = {"image/jpeg": "JPEG", "image/png": "PNG", "image/gif": "GIF", "image/webp": "WEBP"}
WEBP_QUALITY = 90


@dataclass(frozen=True, slots=True)
class EmojiPicture:
    """The image to keep: its bytes, its type (image/png or image/webp), their SHA-256 (hex)."""

    data: bytes
    content_type: str
    digest: str


def prepare_emoji(data: bytes) -> EmojiPicture:
    """The emoji's image as kept; ImageRefusedError (not_an_image, unreadable_image, too_many_pixels,
    too_many_frames) for anything else."""
    content_type = sniff(data[:HEAD_BYTES], "emoji")
    if not is_image(content_type):
        raise ImageRefusedError("not_an_image")
    with guarded_open(data, _FORMATS[content_type]) as image:
        frames, durations, loop = _small_frames(image)
    kept = _encode(frames, durations, loop)
    kind = "image/webp" if len(frames) > 1 else "image/png"
    return EmojiPicture(kept, kind, hashlib.sha256(kept).hexdigest())


def _small_frames(image: Image.Image) -> tuple[list[Image.Image], list[int], int]:
    """Each frame (the first alone of a still image), upright, in sRGB, shrunk to fit SIDE x SIDE."""
    width, height = image.size
    if width * height > MAX_PIXELS:
        raise ImageRefusedError("too_many_pixels")
    count = int(getattr(image, "n_frames", 1)) if getattr(image, "is_animated", False) else 1
    if count > MAX_FRAMES:
        raise ImageRefusedError("too_many_frames")
    if count * width * height > MAX_ANIMATION_PIXELS:
        raise ImageRefusedError("too_many_pixels")
    transpose = upright_turn(image)
    frames: list[Image.Image] = []
    durations: list[int] = []
    for index in range(count):
        image.seek(index)
        image.load()
        frame = bare_frame(image, "RGBA", transpose)
        frame.thumbnail((SIDE, SIDE), Image.Resampling.LANCZOS)
        frames.append(frame)
        durations.append(max(20, int(image.info.get("duration", 100) or 100)))
    return frames, durations, int(image.info.get("loop", 0) or 0)


def _encode(frames: list[Image.Image], durations: list[int], loop: int) -> bytes:
    out = io.BytesIO()
    if len(frames) == 1:
        frames[0].save(out, "PNG", optimize=True)
    else:
        frames[0].save(
            out,
            "WEBP",
            save_all=True,
            append_images=frames[1:],
            duration=durations,
            loop=loop,
            quality=WEBP_QUALITY,
        )
    return out.getvalue()
