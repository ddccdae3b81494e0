"""A custom emoji's image: only real images, made to fit 64x64 without their metadata (emoji_images.py)."""

from __future__ import annotations

import io

import pytest
from PIL import Image, PngImagePlugin

from chatroom.emoji_images import prepare_emoji
from chatroom.images import ImageRefusedError


def picture(size: tuple[int, int], kind: str = "PNG", mode: str = "RGB") -> bytes:
    """A still picture with a comment that must not survive."""
    out = io.BytesIO()
    image = Image.new(mode, size, (10, 120, 200))
    if kind == "PNG":
        info = PngImagePlugin.PngInfo()
        info.add_text("Comment", "secret-location-47N")
        image.save(out, kind, pnginfo=info)
    else:
        image.save(out, kind)
    return out.getvalue()


def animation(kind: str, frames: int, size: tuple[int, int] = (100, 100)) -> bytes:
    pictures = [Image.new("RGB", size, (i % 256, i * 37 % 256, i * 91 % 256)) for i in range(frames)]
    out = io.BytesIO()
    pictures[0].save(out, kind, save_all=True, append_images=pictures[1:], duration=70, loop=0)
    return out.getvalue()


@pytest.mark.parametrize("kind", ["PNG", "JPEG", "GIF", "WEBP"])
def test_a_still_picture_becomes_a_png_that_fits_64_pixels(kind: str) -> None:
    """Any of the four types, 300x150, becomes a 64x32 PNG with no text chunk."""
    kept = prepare_emoji(picture((300, 150), kind))
    assert kept.content_type == "image/png" and b"secret-location" not in kept.data
    with Image.open(io.BytesIO(kept.data)) as image:
        assert image.format == "PNG" and image.size == (64, 32) and "Comment" not in image.info


def test_a_small_picture_is_not_enlarged_and_keeps_its_transparency() -> None:
    """A 20x20 picture with alpha stays 20x20, with alpha."""
    kept = prepare_emoji(picture((20, 20), mode="RGBA"))
    with Image.open(io.BytesIO(kept.data)) as image:
        assert image.size == (20, 20) and image.mode == "RGBA"


@pytest.mark.parametrize("kind", ["GIF", "WEBP"])
def test_an_animation_keeps_its_frames_as_an_animated_webp(kind: str) -> None:
    """A 4-frame GIF or WebP becomes a 4-frame WebP of 64x64; the digest is of what is kept."""
    kept = prepare_emoji(animation(kind, 4))
    assert kept.content_type == "image/webp" and len(kept.digest) == 64
    with Image.open(io.BytesIO(kept.data)) as image:
        assert image.size == (64, 64) and image.n_frames == 4


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"hello", "not_an_image"),
        (b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', "not_an_image"),
        (b"<!doctype html><script>alert(1)</script>", "not_an_image"),
        (b"\x89PNG\r\n\x1a\n<html><script>alert(1)</script></html>", "unreadable_image"),
        (b"GIF89a<svg onload=alert(1)>", "unreadable_image"),
    ],
)
def test_what_is_not_a_real_image_is_refused(data: bytes, reason: str) -> None:
    """Text, SVG and HTML are no image; HTML behind an image's magic number does not decode."""
    with pytest.raises(ImageRefusedError) as refused:
        prepare_emoji(data)
    assert refused.value.reason == reason


def test_an_animation_of_too_many_frames_or_pixels_is_refused() -> None:
    """201 frames are too many; a picture of 5000x5000 is too many pixels."""
    with pytest.raises(ImageRefusedError) as refused:
        prepare_emoji(animation("GIF", 201, (8, 8)))
    assert refused.value.reason == "too_many_frames"
    with pytest.raises(ImageRefusedError) as refused:
        prepare_emoji(picture((5000, 5000), "GIF"))
    assert refused.value.reason == "too_many_pixels"
