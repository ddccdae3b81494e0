"""Uploaded files made ready to store: images decoded, oriented, stripped and thumbnailed.

Runs in a worker thread: pure functions over paths, no event loop. The type
comes from the bytes (chatroom/sniff.py). An image (JPEG, PNG, GIF, WebP) is
decoded in full and written anew by Pillow, so what is stored and served is
only pixels: no EXIF (GPS included), XMP, IPTC, comments or text chunks, and
nothing a polyglot hid after or inside the image data. A file of an image type
that does not decode is refused, never served as that type. Every other file
is kept byte for byte.

Colour profiles: an embedded ICC profile is not kept (it names the device and
its maker, and can be large); the pixels are converted from it to sRGB first,
so a wide-gamut phone photo keeps its colours in every browser.
"""

from __future__ import annotations

import contextlib
import io
import secrets
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageCms, ImageOps

from chatroom.sniff import HEAD_BYTES, is_image, sniff

MAX_PIXELS = 40_000_000
"""The most pixels an image (or one frame of it) may have: 40 megapixels."""

MAX_ANIMATION_PIXELS = 60_000_000
"""The most pixels of all frames of an animation together (every frame is held in memory to write it)."""

THUMB_BOX = (480, 480)
AVATAR_SIDE = 256
JPEG_QUALITY = 90
THUMB_JPEG_QUALITY = 85

# Pillow's own guard, at the project's bound: it warns past it and raises
# past twice it; both become a refusal in _open.
Image.MAX_IMAGE_PIXELS = MAX_PIXELS

_FORMATS = {"image/jpeg": "JPEG", "image/png": "PNG", "image/gif": "GIF", "image/webp": "WEBP"}
_SUFFIXES = {"JPEG": ".jpg", "PNG": ".png", "GIF": ".gif", "WEBP": ".webp"}
# What Pillow raises for data it cannot decode: UnidentifiedImageError and
# "image file is truncated" are OSErrors, a broken PNG chunk a SyntaxError,
# a GIF or WebP that ends early an EOFError, bad fields a ValueError, and a
# GIF block cut short an IndexError (found by fuzzing Pillow 13).
UNREADABLE = (OSError, SyntaxError, EOFError, ValueError, IndexError)


class ImageRefusedError(Exception):
    """An upload that is not stored: `reason` is too_many_pixels, unreadable_image or not_an_image."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Prepared:
    """The file to store (the spool file itself when kept as it was) and what was learnt of it."""

    path: Path
    content_type: str
    size: int
    width: int | None
    height: int | None
    thumb_path: Path | None
    thumb_type: str | None


@dataclass
class _Picture:
    """A decoded image: its frames (one for a still image), ready to write."""

    format: str
    frames: list[Image.Image]
    durations: list[int]
    loop: int | None
    lossless: bool

    @property
    def animated(self) -> bool:
        return len(self.frames) > 1

    @property
    def size(self) -> tuple[int, int]:
        return self.frames[0].size


def prepare(spool: Path, work_dir: Path, name: str) -> Prepared:
    """Sniff the spool file; an image is re-encoded without metadata, with a thumbnail; others kept.

    Raises ImageRefusedError for an image too large or that does not decode.
    Files written go into work_dir; on a refusal none are left there.
    """
    head = _head(spool)
    content_type = sniff(head, name)
    if not is_image(content_type):
        return Prepared(spool, content_type, spool.stat().st_size, None, None, None, None)
    image_format = _FORMATS[content_type]
    # A JPEG's extra pictures (MPO: depth maps, previews) are not kept.
    picture = _decode(spool, image_format, _is_lossless(head, image_format), image_format == "JPEG")
    written: list[Path] = []
    try:
        path = _write(picture, _new_path(work_dir, picture.format, written), thumbnail=False)
        thumb_path = None
        if picture.size[0] > THUMB_BOX[0] or picture.size[1] > THUMB_BOX[1]:
            thumb_path = _write(_thumbnail(picture), _new_path(work_dir, picture.format, written), True)
    except BaseException:
        _remove(written)
        raise
    width, height = picture.size
    thumb_type = content_type if thumb_path else None
    return Prepared(path, content_type, path.stat().st_size, width, height, thumb_path, thumb_type)


def prepare_avatar(spool: Path, work_dir: Path) -> Prepared:
    """A square, centred, 256x256 crop of an image (its first frame), stripped.

    A picture with transparency becomes a PNG, any other a JPEG (photos are
    most avatars, and a JPEG of one is a fraction of the PNG's size).
    Raises ImageRefusedError, not_an_image for anything but an image.
    """
    content_type = sniff(_head(spool), spool.name)
    if not is_image(content_type):
        raise ImageRefusedError("not_an_image")
    picture = _decode(spool, _FORMATS[content_type], lossless=False, first_frame_only=True)
    square = ImageOps.fit(picture.frames[0], (AVATAR_SIDE, AVATAR_SIDE), Image.Resampling.LANCZOS)
    transparent = _has_alpha(square)
    avatar = _Picture("PNG" if transparent else "JPEG", [square], [0], None, lossless=transparent)
    written: list[Path] = []
    try:
        path = _write(avatar, _new_path(work_dir, avatar.format, written), thumbnail=False)
    except BaseException:
        _remove(written)
        raise
    kind = "image/png" if transparent else "image/jpeg"
    return Prepared(path, kind, path.stat().st_size, AVATAR_SIDE, AVATAR_SIDE, None, None)


def _head(path: Path) -> bytes:
    with path.open("rb") as file:
        return file.read(HEAD_BYTES)


def _is_lossless(head: bytes, image_format: str) -> bool:
    """PNG, and WebP made only of lossless (VP8L) bitstreams, are written losslessly again."""
    if image_format == "WEBP":
        return b"VP8L" in head[12:] and b"VP8 " not in head[12:]
    return image_format == "PNG"


@contextlib.contextmanager
def guarded_open(source: Path | bytes, image_format: str) -> Iterator[Image.Image]:
    """The image opened as ``image_format`` alone; a decompression bomb, or anything unreadable while
    it is open (what the ``with`` body does to it too), is ImageRefusedError (too_many_pixels,
    unreadable_image)."""
    try:
        # catch_warnings is process-wide: threads interleaving here may print
        # the warning rather than raise it, and then the pixel bound refuses the
        # image all the same, since Pillow warns exactly past MAX_PIXELS.
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            # Pillow's complaints about a corrupt EXIF block, which is dropped anyway.
            warnings.simplefilter("ignore", UserWarning)
            opened = source if isinstance(source, Path) else io.BytesIO(source)
            with Image.open(opened, formats=[image_format]) as image:
                yield image
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as bomb:
        raise ImageRefusedError("too_many_pixels") from bomb
    except UNREADABLE as error:
        raise ImageRefusedError("unreadable_image") from error


def _decode(path: Path, image_format: str, lossless: bool, first_frame_only: bool) -> _Picture:
    """Every frame decoded in full (and bounded), oriented, in sRGB, with no metadata attached."""
    with guarded_open(path, image_format) as image:
        _check_pixels(image.size)
        return _read_frames(image, image_format, lossless, first_frame_only)


def _check_pixels(size: tuple[int, int]) -> None:
    """Refuses an image larger than MAX_PIXELS from its header, before any pixel is decoded."""
    if size[0] * size[1] > MAX_PIXELS:
        raise ImageRefusedError("too_many_pixels")


def _read_frames(image: Image.Image, image_format: str, lossless: bool, first_frame_only: bool) -> _Picture:
    transpose = upright_turn(image)
    loop = image.info.get("loop")
    animated = not first_frame_only and bool(getattr(image, "is_animated", False))
    frames: list[Image.Image] = []
    durations: list[int] = []
    for frame in _frames(image, animated):
        frame.load()
        # Frames of one mode: a GIF's first frame is a palette, the next ones RGB.
        frames.append(bare_frame(frame, "RGBA" if animated else None, transpose))
        durations.append(int(frame.info.get("duration", 0)))
    return _Picture(image_format, frames, durations, loop, lossless)


def _frames(image: Image.Image, animated: bool) -> Iterator[Image.Image]:
    """Each frame in turn, refusing as soon as the animation passes MAX_ANIMATION_PIXELS."""
    yield image
    if not animated:
        return
    pixels = image.size[0] * image.size[1]
    index = 1
    while True:
        try:
            image.seek(index)
        except EOFError:
            return
        pixels += image.size[0] * image.size[1]
        if pixels > MAX_ANIMATION_PIXELS:
            raise ImageRefusedError("too_many_pixels")
        yield image
        index += 1


def upright_turn(image: Image.Image) -> Image.Transpose | None:
    """The turn or flip the image's EXIF orientation asks for (the table ImageOps.exif_transpose uses)."""
    try:
        orientation = image.getexif().get(0x0112, 1)
    except UNREADABLE:  # a broken EXIF block is dropped with the rest of the metadata
        return None
    return {
        2: Image.Transpose.FLIP_LEFT_RIGHT,
        3: Image.Transpose.ROTATE_180,
        4: Image.Transpose.FLIP_TOP_BOTTOM,
        5: Image.Transpose.TRANSPOSE,
        6: Image.Transpose.ROTATE_270,
        7: Image.Transpose.TRANSVERSE,
        8: Image.Transpose.ROTATE_90,
    }.get(orientation)


def bare_frame(frame: Image.Image, mode: str | None, transpose: Image.Transpose | None) -> Image.Image:
    """A new image of the frame's pixels in sRGB, upright, with no metadata at all.

    Pillow's writers take comments, EXIF, XMP and ICC profiles from `info`, so
    only a palette's transparent index is left there.
    """
    # CMYK becomes RGB: browsers disagree on how to show a CMYK JPEG.
    image = _to_srgb(frame, mode or {"LA": "RGBA", "PA": "RGBA", "CMYK": "RGB"}.get(frame.mode, frame.mode))
    if transpose is not None:
        image = image.transpose(transpose)
    elif image is frame:
        image = frame.copy()
    transparency = frame.info.get("transparency")
    image.info = {} if transparency is None or image.mode != frame.mode else {"transparency": transparency}
    return image


def _to_srgb(frame: Image.Image, mode: str) -> Image.Image:
    """The frame's pixels converted from its ICC profile to sRGB, in `mode` (the frame itself if no change).

    Not copying what needs no change keeps a 40-megapixel photo at two copies
    in memory, the decoded one and the one written.
    """
    icc = frame.info.get("icc_profile")
    if not icc or frame.mode not in ("RGB", "RGBA", "CMYK"):
        return frame if frame.mode == mode else frame.convert(mode)
    output_mode = "RGBA" if frame.mode == "RGBA" else "RGB"
    try:
        source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        converted = ImageCms.profileToProfile(
            frame, source, ImageCms.createProfile("sRGB"), outputMode=output_mode
        )
    except (ImageCms.PyCMSError, OSError):
        # A profile LittleCMS cannot read: the pixels stay as they are.
        return frame.convert(mode)
    assert converted is not None  # profileToProfile returns an image unless inPlace
    return converted if converted.mode == mode else converted.convert(mode)


def _thumbnail(picture: _Picture) -> _Picture:
    """The picture shrunk to fit THUMB_BOX, every frame of an animation kept.

    An animated thumbnail because the thumbnail is what the chat shows: a
    GIF that stood still there would not be the GIF that was posted.
    """
    width, height = picture.size
    scale = min(THUMB_BOX[0] / width, THUMB_BOX[1] / height)
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    # A palette would be resized by its nearest pixels; colours blend properly.
    frames = [
        (frame.convert("RGBA") if frame.mode in ("1", "P") else frame).resize(
            size, Image.Resampling.LANCZOS, reducing_gap=3.0
        )
        for frame in picture.frames
    ]
    return _Picture(picture.format, frames, picture.durations, picture.loop, picture.lossless)


def _write(picture: _Picture, path: Path, thumbnail: bool) -> Path:
    """Writes the picture in its format, with no metadata, animation timing kept."""
    first = _for_format(picture.frames[0], picture.format)
    options: dict[str, object] = {}
    if picture.format == "JPEG":
        options = {"quality": THUMB_JPEG_QUALITY if thumbnail else JPEG_QUALITY, "optimize": True}
    elif picture.format == "WEBP":
        options = {"lossless": True} if picture.lossless else {"quality": JPEG_QUALITY}
    if picture.animated:
        options["save_all"] = True
        options["append_images"] = [_for_format(frame, picture.format) for frame in picture.frames[1:]]
        options["duration"] = picture.durations
        if picture.loop is not None:
            options["loop"] = picture.loop
    first.save(path, picture.format, **options)
    return path


def _for_format(frame: Image.Image, image_format: str) -> Image.Image:
    """The frame in a mode its format can hold (JPEG has no alpha or palette)."""
    if image_format == "JPEG" and frame.mode not in ("L", "RGB"):
        return bare_frame(frame, "RGB", None)
    if image_format == "PNG" and frame.mode not in ("1", "L", "LA", "P", "RGB", "RGBA", "I;16"):
        return bare_frame(frame, "RGBA", None)
    return frame


def _has_alpha(image: Image.Image) -> bool:
    return image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info


def _new_path(work_dir: Path, image_format: str, written: list[Path]) -> Path:
    """A fresh name in work_dir, noted so that a failure can remove what was written."""
    path = work_dir / f"{secrets.token_hex(12)}{_SUFFIXES[image_format]}"
    written.append(path)
    return path


def _remove(paths: list[Path]) -> None:
    for path in paths:
        path.unlink(missing_ok=True)
