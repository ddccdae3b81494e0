"""Uploads made ready to store (images.py): images re-encoded bare and thumbnailed, bombs refused."""

from __future__ import annotations

import io
import time
import zlib
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image, ImageCms, PngImagePlugin

from chatroom import images
from chatroom.images import MAX_PIXELS, ImageRefusedError, prepare, prepare_avatar

RED, GREEN, BLUE = (255, 0, 0), (0, 255, 0), (0, 0, 255)
SECRET = b"secret-marker-47.3769N"


@pytest.fixture
def work(tmp_path: Path) -> Path:
    """The directory prepare writes into, apart from the spool files."""
    path = tmp_path / "work"
    path.mkdir()
    return path


def spool(tmp_path: Path, data: bytes, name: str = "upload") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def halves(size: tuple[int, int], left: tuple[int, int, int], right: tuple[int, int, int]) -> Image.Image:
    """An image whose left half is one colour and right half another."""
    image = Image.new("RGB", size, right)
    image.paste(left, (0, 0, size[0] // 2, size[1]))
    return image


def encode(image: Image.Image, image_format: str, **options: object) -> bytes:
    out = io.BytesIO()
    image.save(out, image_format, **options)
    return out.getvalue()


def gps_exif(orientation: int) -> Image.Exif:
    """EXIF with an orientation, a camera description and a GPS position."""
    exif = Image.Exif()
    exif[0x0112] = orientation
    exif[0x010E] = SECRET.decode()  # ImageDescription
    gps = exif.get_ifd(0x8825)
    gps[1] = "N"
    gps[2] = (47.0, 22.0, 36.84)
    gps[3] = "E"
    gps[4] = (8.0, 32.0, 31.0)
    return exif


def near(pixel: object, colour: tuple[int, int, int]) -> bool:
    assert isinstance(pixel, tuple)
    return all(abs(a - b) < 40 for a, b in zip(pixel[:3], colour, strict=True))


def test_a_phone_photo_is_turned_upright_and_loses_gps_and_every_other_tag(
    tmp_path: Path, work: Path
) -> None:
    """A JPEG with GPS EXIF and orientation 6 is stored upright with no EXIF, XMP, comment or profile."""
    photo = halves((600, 400), RED, BLUE)
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    xmp = b'<x:xmpmeta xmlns:x="adobe:ns:meta/">' + SECRET + b"</x:xmpmeta>"
    data = encode(photo, "JPEG", exif=gps_exif(6), comment=SECRET, xmp=xmp, icc_profile=icc, quality=95)
    assert SECRET in data

    prepared = prepare(spool(tmp_path, data, "photo.jpg"), work, "photo.jpg")

    stored = prepared.path.read_bytes()
    assert prepared.content_type == "image/jpeg"
    assert (prepared.width, prepared.height) == (400, 600)
    assert prepared.size == len(stored)
    assert SECRET not in stored and b"Exif" not in stored and b"ICC_PROFILE" not in stored
    with Image.open(prepared.path) as result:
        assert result.size == (400, 600)
        assert len(result.getexif()) == 0 and not result.getexif().get_ifd(0x8825)
        assert not {"exif", "xmp", "comment", "icc_profile"} & set(result.info)
        # Turned 90 degrees clockwise: the photo's left (red) half is now on top.
        assert near(result.getpixel((200, 100)), RED) and near(result.getpixel((200, 500)), BLUE)


@pytest.mark.parametrize(("image_format", "orientation"), [("PNG", 8), ("WEBP", 6), ("JPEG", 3)])
def test_exif_orientation_is_applied_in_every_format(
    tmp_path: Path, work: Path, image_format: str, orientation: int
) -> None:
    """PNG and WebP carry EXIF too: their orientation is applied and the EXIF dropped."""
    data = encode(halves((60, 40), RED, BLUE), image_format, exif=gps_exif(orientation), quality=95)

    prepared = prepare(spool(tmp_path, data), work, "turned")

    with Image.open(prepared.path) as result:
        assert len(result.getexif()) == 0 and SECRET not in prepared.path.read_bytes()
        # 8 turns the left (red) half to the bottom, 6 to the top; 3 turns it to the right.
        expected = {8: ((40, 60), (20, 55)), 6: ((40, 60), (20, 5)), 3: ((60, 40), (55, 20))}[orientation]
        assert result.size == expected[0] and near(result.getpixel(expected[1]), RED)


def test_png_text_chunks_are_dropped_and_pixels_kept_exactly(tmp_path: Path, work: Path) -> None:
    """tEXt, zTXt and iTXt chunks are gone; the PNG stays lossless, pixel for pixel."""
    picture = Image.effect_mandelbrot((120, 90), (-2, -1.2, 1, 1.2), 50).convert("RGB")
    text = PngImagePlugin.PngInfo()
    text.add_text("Comment", SECRET.decode())
    text.add_text("Author", SECRET.decode() + "-z", zip=True)
    text.add_itxt("Description", SECRET.decode() + "-i", lang="en", tkey="Description")
    data = encode(picture, "PNG", pnginfo=text)

    prepared = prepare(spool(tmp_path, data), work, "drawing.png")

    stored = prepared.path.read_bytes()
    assert b"tEXt" not in stored and b"zTXt" not in stored and b"iTXt" not in stored
    assert SECRET not in stored
    with Image.open(prepared.path) as result:
        assert result.format == "PNG" and result.text == {}
        assert result.convert("RGB").tobytes() == picture.tobytes()


def animated_gif(size: tuple[int, int], colours: list[tuple[int, int, int]], durations: list[int]) -> bytes:
    frames = [Image.new("RGB", size, colour) for colour in colours]
    return encode(
        frames[0], "GIF", save_all=True, append_images=frames[1:], duration=durations, loop=0, comment=SECRET
    )


def test_an_animated_gif_keeps_its_frames_and_timing_but_not_its_comment(tmp_path: Path, work: Path) -> None:
    """Every frame, each frame's duration and the loop count survive; the comment does not."""
    data = animated_gif((64, 48), [RED, GREEN, BLUE], [100, 250, 400])
    assert SECRET in data

    prepared = prepare(spool(tmp_path, data), work, "dance.gif")

    assert prepared.content_type == "image/gif"
    assert SECRET not in prepared.path.read_bytes()
    assert prepared.thumb_path is None  # it already fits in a thumbnail
    with Image.open(prepared.path) as result:
        assert result.n_frames == 3 and result.info["loop"] == 0 and "comment" not in result.info
        durations, colours = [], []
        for index in range(3):
            result.seek(index)
            durations.append(result.info["duration"])
            colours.append(result.convert("RGB").getpixel((10, 10)))
    assert durations == [100, 250, 400]
    assert colours == [RED, GREEN, BLUE]


def test_a_large_animated_gif_gets_an_animated_thumbnail(tmp_path: Path, work: Path) -> None:
    """The thumbnail of a big GIF fits 480x480 and still animates, so the chat shows it moving."""
    data = animated_gif((960, 600), [RED, GREEN, BLUE, GREEN], [80, 80, 80, 80])

    prepared = prepare(spool(tmp_path, data), work, "big.gif")

    assert (prepared.width, prepared.height) == (960, 600)
    assert prepared.thumb_path is not None and prepared.thumb_type == "image/gif"
    with Image.open(prepared.thumb_path) as thumb:
        assert thumb.size == (480, 300) and thumb.n_frames == 4


def test_an_animated_webp_keeps_its_frames_and_timing(tmp_path: Path, work: Path) -> None:
    """An animated WebP stays animated with its durations and loop count."""
    frames = [Image.new("RGB", (50, 50), colour) for colour in (RED, GREEN, BLUE)]
    data = encode(frames[0], "WEBP", save_all=True, append_images=frames[1:], duration=[120, 60, 300], loop=2)

    prepared = prepare(spool(tmp_path, data), work, "loop.webp")

    assert prepared.content_type == "image/webp"
    with Image.open(prepared.path) as result:
        assert result.n_frames == 3 and result.info["loop"] == 2
        durations = []
        for index in range(3):
            result.seek(index)
            result.load()  # WebP reads a frame's duration with its pixels
            durations.append(result.info["duration"])
    assert durations == [120, 60, 300]


def test_a_big_photo_gets_a_jpeg_thumbnail_no_larger_than_480(tmp_path: Path, work: Path) -> None:
    """A 1200x800 JPEG is stored whole, with a 480x320 JPEG thumbnail."""
    data = encode(halves((1200, 800), RED, BLUE), "JPEG")

    prepared = prepare(spool(tmp_path, data), work, "wide.jpg")

    assert (prepared.width, prepared.height) == (1200, 800)
    assert prepared.thumb_path is not None and prepared.thumb_type == "image/jpeg"
    with Image.open(prepared.thumb_path) as thumb:
        assert thumb.format == "JPEG" and thumb.size == (480, 320)


def test_a_small_image_has_no_thumbnail(tmp_path: Path, work: Path) -> None:
    """An image that already fits in a thumbnail is shown as it is: no thumbnail is made."""
    prepared = prepare(spool(tmp_path, encode(halves((300, 200), RED, BLUE), "PNG")), work, "small.png")
    assert (prepared.thumb_path, prepared.thumb_type) == (None, None)
    assert (prepared.width, prepared.height) == (300, 200)


def test_a_colour_profile_is_applied_and_dropped(tmp_path: Path, work: Path) -> None:
    """A JPEG tagged with an ICC profile is stored without it, its colours unchanged in sRGB."""
    profile = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    data = encode(Image.new("RGB", (40, 40), (200, 120, 40)), "JPEG", icc_profile=profile)

    prepared = prepare(spool(tmp_path, data), work, "tagged.jpg")

    with Image.open(prepared.path) as result:
        assert "icc_profile" not in result.info
        assert near(result.getpixel((20, 20)), (200, 120, 40))


def test_an_unreadable_colour_profile_does_not_refuse_the_image(tmp_path: Path, work: Path) -> None:
    """A PNG whose ICC profile is garbage is stored with its pixels as they are, without the profile."""
    data = encode(Image.new("RGB", (40, 40), (10, 200, 90)), "PNG", icc_profile=b"not a profile" * 20)

    prepared = prepare(spool(tmp_path, data), work, "odd.png")

    with Image.open(prepared.path) as result:
        assert "icc_profile" not in result.info and result.getpixel((5, 5)) == (10, 200, 90)


def test_a_cmyk_jpeg_is_stored_as_rgb(tmp_path: Path, work: Path) -> None:
    """A print-ready CMYK JPEG is stored in RGB, which every browser shows alike."""
    data = encode(Image.new("RGB", (40, 40), RED).convert("CMYK"), "JPEG")
    prepared = prepare(spool(tmp_path, data), work, "print.jpg")
    with Image.open(prepared.path) as result:
        assert result.mode == "RGB" and near(result.getpixel((20, 20)), RED)


def test_a_transparent_gif_keeps_its_transparency(tmp_path: Path, work: Path) -> None:
    """A still GIF with a transparent colour is still transparent where it was."""
    picture = Image.new("P", (30, 30), 0)
    picture.putpalette([255, 255, 255, *RED] + [0] * 762)
    picture.paste(1, (10, 10, 20, 20))
    data = encode(picture, "GIF", transparency=0)

    prepared = prepare(spool(tmp_path, data), work, "dot.gif")

    with Image.open(prepared.path) as result:
        rgba = result.convert("RGBA")
        assert rgba.getpixel((2, 2))[3] == 0 and rgba.getpixel((15, 15)) == (*RED, 255)  # type: ignore[index]


def test_a_jpeg_with_extra_pictures_keeps_only_the_photo(tmp_path: Path, work: Path) -> None:
    """A multi-picture JPEG (MPO: a phone's depth map or preview) is stored as its first picture alone."""
    photo, extra = Image.new("RGB", (60, 40), RED), Image.new("RGB", (60, 40), BLUE)
    data = encode(photo, "MPO", save_all=True, append_images=[extra])

    prepared = prepare(spool(tmp_path, data), work, "portrait.jpg")

    with Image.open(prepared.path) as result:
        assert result.format == "JPEG" and getattr(result, "n_frames", 1) == 1
        assert near(result.getpixel((30, 20)), RED)


def bomb_png(width: int, height: int) -> bytes:
    """A tiny PNG whose header declares width x height pixels of greyscale."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = zlib.crc32(kind + body).to_bytes(4, "big")
        return len(body).to_bytes(4, "big") + kind + body + crc

    header = width.to_bytes(4, "big") + height.to_bytes(4, "big") + b"\x08\x00\x00\x00\x00"
    rows = zlib.compress(b"\x00" * 1000, 9)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", rows) + chunk(b"IEND", b"")


@pytest.mark.parametrize("side", [30000, 7000])
def test_a_decompression_bomb_is_refused_at_once(tmp_path: Path, work: Path, side: int) -> None:
    """A tiny PNG declaring 30000x30000 (or 7000x7000, past 40 megapixels) is refused before decoding."""
    assert side * side > MAX_PIXELS
    data = bomb_png(side, side)
    assert len(data) < 200
    started = time.monotonic()
    with pytest.raises(ImageRefusedError) as refused:
        prepare(spool(tmp_path, data), work, "tiny.png")
    assert refused.value.reason == "too_many_pixels"
    assert time.monotonic() - started < 1
    assert list(work.iterdir()) == []


def test_an_animation_with_too_many_pixels_in_all_is_refused(
    tmp_path: Path, work: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Frames add up: an animation whose frames together pass the bound is refused."""
    monkeypatch.setattr(images, "MAX_ANIMATION_PIXELS", 64 * 48 * 2)
    data = animated_gif((64, 48), [RED, GREEN, BLUE], [100, 100, 100])
    with pytest.raises(ImageRefusedError) as refused:
        prepare(spool(tmp_path, data), work, "long.gif")
    assert refused.value.reason == "too_many_pixels"


def noise_jpeg() -> bytes:
    return encode(Image.effect_noise((400, 300), 80).convert("RGB"), "JPEG")


def test_a_truncated_jpeg_is_refused_and_leaves_nothing(tmp_path: Path, work: Path) -> None:
    """A JPEG cut in half is unreadable_image, and nothing is left in the work directory."""
    data = noise_jpeg()
    with pytest.raises(ImageRefusedError) as refused:
        prepare(spool(tmp_path, data[: len(data) // 2]), work, "cut.jpg")
    assert refused.value.reason == "unreadable_image"
    assert list(work.iterdir()) == []


@pytest.mark.parametrize(
    "header", [b"GIF89a", b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff\xe0", b"RIFF\x00\x00\x00\x00WEBP"]
)
def test_an_image_header_followed_by_html_is_refused(tmp_path: Path, work: Path, header: bytes) -> None:
    """A polyglot that is an image only in its first bytes is never served as that image."""
    data = header + b"<html><script>window.__ran=1</script></html>" + b" " * 600
    with pytest.raises(ImageRefusedError) as refused:
        prepare(spool(tmp_path, data), work, "polyglot.gif")
    assert refused.value.reason == "unreadable_image"


PAYLOAD = b"<html><body><script>window.__ran = 1; alert(1)</script></body></html>"


@pytest.mark.parametrize(
    ("image_format", "name"),
    [("JPEG", "photo.jpg"), ("GIF", "anim.gif"), ("PNG", "shot.png"), ("WEBP", "a.webp")],
)
def test_script_hidden_after_a_real_image_is_not_stored(
    tmp_path: Path, work: Path, image_format: str, name: str
) -> None:
    """A real image with HTML appended is stored as the re-encoded image alone."""
    data = encode(halves((40, 30), RED, BLUE), image_format) + PAYLOAD

    prepared = prepare(spool(tmp_path, data), work, name)

    assert prepared.content_type == f"image/{image_format.lower()}"
    assert b"<script" not in prepared.path.read_bytes()
    assert prepared.path.parent == work


def test_script_in_a_jpeg_comment_is_not_stored(tmp_path: Path, work: Path) -> None:
    """HTML inside a JPEG's comment segment is gone from what is stored."""
    data = encode(halves((40, 30), RED, BLUE), "JPEG", comment=PAYLOAD)
    prepared = prepare(spool(tmp_path, data), work, "photo.jpg")
    assert b"<script" not in prepared.path.read_bytes()


def test_html_named_like_a_photo_is_kept_as_plain_text(tmp_path: Path, work: Path) -> None:
    """photo.jpg holding HTML is text/plain, kept byte for byte, with no thumbnail."""
    source = spool(tmp_path, PAYLOAD, "photo.jpg")

    prepared = prepare(source, work, "photo.jpg")

    assert prepared == images.Prepared(
        source, "text/plain; charset=utf-8", len(PAYLOAD), None, None, None, None
    )
    assert list(work.iterdir()) == []


def test_other_files_are_kept_byte_for_byte(tmp_path: Path, work: Path) -> None:
    """A PDF is not touched: the spool file itself is what is stored."""
    data = b"%PDF-1.4\n" + bytes(range(256)) * 10
    source = spool(tmp_path, data, "report.pdf")

    prepared = prepare(source, work, "report.pdf")

    assert (prepared.path, prepared.content_type, prepared.size) == (source, "application/pdf", len(data))
    assert source.read_bytes() == data


def test_an_avatar_is_the_centre_square_of_a_photo(tmp_path: Path, work: Path) -> None:
    """A wide photo becomes a 256x256 JPEG of its middle, without its EXIF."""
    photo = Image.new("RGB", (900, 300), GREEN)
    photo.paste(RED, (0, 0, 300, 300))
    photo.paste(BLUE, (600, 0, 900, 300))
    data = encode(photo, "JPEG", exif=gps_exif(1))

    prepared = prepare_avatar(spool(tmp_path, data), work)

    assert (prepared.content_type, prepared.width, prepared.height) == ("image/jpeg", 256, 256)
    assert SECRET not in prepared.path.read_bytes()
    with Image.open(prepared.path) as avatar:
        assert avatar.size == (256, 256) and len(avatar.getexif()) == 0
        assert near(avatar.getpixel((5, 128)), GREEN) and near(avatar.getpixel((250, 128)), GREEN)


def test_an_avatar_with_transparency_stays_a_png(tmp_path: Path, work: Path) -> None:
    """A transparent picture makes a PNG avatar that keeps its transparency."""
    picture = Image.new("RGBA", (100, 100), (0, 0, 0, 0))
    picture.paste((255, 0, 0, 255), (25, 25, 75, 75))
    prepared = prepare_avatar(spool(tmp_path, encode(picture, "PNG")), work)
    assert prepared.content_type == "image/png"
    with Image.open(prepared.path) as avatar:
        assert avatar.size == (256, 256) and avatar.getpixel((2, 2))[3] == 0  # type: ignore[index]


def test_an_avatar_must_be_an_image(tmp_path: Path, work: Path) -> None:
    """Text is refused as an avatar with not_an_image."""
    with pytest.raises(ImageRefusedError) as refused:
        prepare_avatar(spool(tmp_path, PAYLOAD, "me.png"), work)
    assert refused.value.reason == "not_an_image"


def fuzz_seeds() -> list[bytes]:
    """One small image of each kind, metadata and animation included, to damage."""
    base = Image.effect_mandelbrot((48, 32), (-2, -1.2, 1, 1.2), 30).convert("RGB")
    frames = {"save_all": True, "append_images": [base.rotate(180)], "duration": [50, 70]}
    return [
        encode(base, "JPEG", exif=gps_exif(6), comment=SECRET),
        encode(base, "PNG", exif=gps_exif(3)),
        encode(base, "GIF", loop=0, comment=SECRET, **frames),
        encode(base, "WEBP", **frames),
        encode(base, "WEBP", lossless=True, exif=gps_exif(8)),
        encode(base, "PNG", **frames),
    ]


SEEDS = fuzz_seeds()
damage = st.lists(
    st.tuples(st.integers(min_value=0), st.integers(min_value=0, max_value=255), st.booleans()),
    min_size=1,
    max_size=8,
)


@settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(st.sampled_from(SEEDS), damage, st.integers(min_value=0))
def test_damaged_images_are_stored_bare_or_refused(
    tmp_path: Path, work: Path, seed: bytes, changes: list[tuple[int, int, bool]], cut: int
) -> None:
    """However an image is damaged, it is stored without its metadata or refused; nothing else."""
    data = bytearray(seed)
    for position, value, remove in changes:
        if remove:
            del data[position % len(data)]
        else:
            data[position % len(data)] = value
    data = data[: len(data) - cut % 64]
    try:
        prepared = prepare(spool(tmp_path, bytes(data)), work, "damaged")
    except ImageRefusedError as refused:
        assert refused.reason in ("unreadable_image", "too_many_pixels")
        assert list(work.iterdir()) == []
        return
    if prepared.path.parent == work:
        assert SECRET not in prepared.path.read_bytes()
    for written in work.iterdir():
        written.unlink()
