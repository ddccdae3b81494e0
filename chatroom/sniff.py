"""The content type of an uploaded file, from its first bytes only.

Pure: no Pillow, no I/O. The uploader's name and claimed type are never trusted
for what a browser will do with the file: a type comes from a magic number this
module knows, and anything else is text/plain (valid UTF-8) or
application/octet-stream. HTML, SVG, XML and JavaScript have no magic number
here, so they can only ever come out as one of those two, and a browser told
`nosniff` never renders them as a page. What is sniffed as an image is not yet
proved to be one: chatroom/images.py decodes and re-encodes it, and refuses it
when it does not decode (see docs/security.md).
"""

from __future__ import annotations

import re

HEAD_BYTES = 4096
"""How many leading bytes the callers read for sniff (at least 512 are needed)."""

TEXT = "text/plain; charset=utf-8"
BINARY = "application/octet-stream"
IMAGE_TYPES = frozenset({"image/jpeg", "image/png", "image/gif", "image/webp"})
INLINE_TYPES = IMAGE_TYPES | frozenset(
    {
        "video/mp4",
        "video/webm",
        "audio/mpeg",
        "audio/ogg",
        "audio/wav",
        "audio/flac",
        "audio/mp4",
    }
)
"""Types served inline (the page shows or plays them); every other is an attachment."""

# ISO base media (MP4) brands, from the ftyp box's major and compatible brands.
_AUDIO_BRANDS = frozenset({b"M4A ", b"M4B "})
_VIDEO_BRANDS = frozenset(
    {b"isom", b"iso2", b"iso4", b"iso5", b"iso6", b"mp41", b"mp42", b"avc1", b"M4V ", b"dash", b"MSNV"}
)
# HEIF/AVIF still images share the box format; they are not video and are
# not decoded here, so they stay a download.
_IMAGE_BRANDS = frozenset({b"heic", b"heix", b"heim", b"heis", b"mif1", b"msf1", b"avif", b"avis"})
# A generic MP4 brand says nothing about audio or video; only then may the
# name choose between the two, both of which are safe to play.
_AUDIO_NAME = re.compile(r"\.(m4a|m4b|aac)$", re.IGNORECASE)

_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
    (b"fLaC", "audio/flac"),
    (b"%PDF-", "application/pdf"),
)

# MPEG audio frame header fields (ISO 11172-3 / 13818-3): kbit/s by version
# and layer, and sample rates by version.
_BITRATES = {
    (1, 1): (0, 32, 64, 96, 128, 160, 192, 224, 256, 288, 320, 352, 384, 416, 448),
    (1, 2): (0, 32, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384),
    (1, 3): (0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320),
    (2, 1): (0, 32, 48, 56, 64, 80, 96, 112, 128, 144, 160, 176, 192, 224, 256),
    (2, 2): (0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160),
    (2, 3): (0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160),
}
_SAMPLE_RATES = {1: (44100, 48000, 32000), 2: (22050, 24000, 16000), 25: (11025, 12000, 8000)}


def sniff(head: bytes, name: str) -> str:
    """The content type of a file from its first bytes (512 or more of them).

    The name never makes a file more than its bytes say: it only tells a
    generic MP4 holding music (.m4a) from one holding video.
    """
    for magic, content_type in _SIGNATURES:
        if head.startswith(magic):
            return content_type
    return (
        _riff(head)
        or _iso_media(head, name)
        or _ebml(head)
        or _ogg(head)
        or _mpeg_audio(head)
        or (TEXT if _is_text(head) else BINARY)
    )


def is_image(content_type: str) -> bool:
    """Whether the type is one of the images that are decoded and re-encoded."""
    return content_type in IMAGE_TYPES


def _riff(head: bytes) -> str | None:
    """WAV and WebP share the RIFF container; other RIFF forms (AVI) are downloads."""
    if not head.startswith(b"RIFF"):
        return None
    return {b"WAVE": "audio/wav", b"WEBP": "image/webp"}.get(head[8:12])


def _iso_media(head: bytes, name: str) -> str | None:
    """MP4 and M4A from the ftyp box that opens the file."""
    if head[4:8] != b"ftyp":
        return None
    box_end = min(int.from_bytes(head[0:4], "big"), len(head))
    brands = {head[8:12]} | {head[i : i + 4] for i in range(16, box_end - 3, 4)}
    if head[8:12] in _IMAGE_BRANDS:
        return BINARY
    if head[8:12] in _AUDIO_BRANDS:
        return "audio/mp4"
    if brands & _VIDEO_BRANDS:
        return "audio/mp4" if _AUDIO_NAME.search(name) else "video/mp4"
    if brands & _AUDIO_BRANDS:
        return "audio/mp4"
    return BINARY


def _ebml(head: bytes) -> str | None:
    """WebM plays in browsers; other Matroska files are served as downloads."""
    if not head.startswith(b"\x1a\x45\xdf\xa3"):
        return None
    # The DocType element (0x4282) sits in the EBML header, near the start.
    at = head.find(b"\x42\x82", 4, 64)
    if at < 0 or at + 3 > len(head):
        return BINARY
    size = head[at + 2] & 0x7F  # a one-byte EBML size: 0x80 | length
    return "video/webm" if head[at + 3 : at + 3 + size] == b"webm" else "video/x-matroska"


def _ogg(head: bytes) -> str | None:
    """Every Ogg stream as audio/ogg.

    Vorbis and Opus are what people share; Chromium no longer plays Theora
    video, so an audio player is the best a browser does with any Ogg file.
    """
    return "audio/ogg" if head.startswith(b"OggS\x00") else None


def _mpeg_audio(head: bytes) -> str | None:
    """MP3: an ID3v2 tag, or two MPEG audio frame headers in a row."""
    if head.startswith(b"ID3") and len(head) >= 10:
        version_ok = head[3] in (2, 3, 4) and head[4] != 0xFF
        size_ok = all(byte < 0x80 for byte in head[6:10])  # a "syncsafe" integer
        return "audio/mpeg" if version_ok and size_ok else None
    first = _frame_length(head, 0)
    if first is None:
        return None
    # One header is four bytes of chance; a second one where the first frame
    # ends makes it a stream (or the head ended before it could be seen).
    if first + 4 > len(head) or _frame_length(head, first) is not None:
        return "audio/mpeg"
    return None


def _frame_length(head: bytes, at: int) -> int | None:
    """The length in bytes of the MPEG audio frame whose header starts at `at`, if one does."""
    if at + 4 > len(head) or head[at] != 0xFF or head[at + 1] & 0xE0 != 0xE0:
        return None
    version = {3: 1, 2: 2, 0: 25}.get((head[at + 1] >> 3) & 0x03)
    layer = {3: 1, 2: 2, 1: 3}.get((head[at + 1] >> 1) & 0x03)
    bitrate_index = head[at + 2] >> 4
    rate_index = (head[at + 2] >> 2) & 0x03
    if version is None or layer is None or bitrate_index in (0, 15) or rate_index == 3:
        return None
    bitrate = _BITRATES[(min(version, 2), layer)][bitrate_index] * 1000
    rate = _SAMPLE_RATES[version][rate_index]
    padding = (head[at + 2] >> 1) & 0x01
    if layer == 1:
        return (12 * bitrate // rate + padding) * 4
    samples = 1152 if layer == 2 or version == 1 else 576
    return samples // 8 * bitrate // rate + padding


def _is_text(head: bytes) -> bool:
    """Valid UTF-8 with no NUL byte; a character cut by the end of the head still counts."""
    if b"\x00" in head:
        return False
    for cut in range(4):
        try:
            head[: len(head) - cut].decode("utf-8")
        except UnicodeDecodeError as error:
            if error.reason != "unexpected end of data":
                return False
            continue
        return True
    return False
