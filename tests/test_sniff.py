"""Content types from a file's first bytes (sniff.py): what the server will say a file is."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chatroom.sniff import BINARY, INLINE_TYPES, TEXT, sniff

PADDING = bytes(range(256)) * 2


def ftyp(major: bytes, *compatible: bytes) -> bytes:
    """An MP4 file's opening ftyp box with the given brands."""
    body = major + b"\x00\x00\x02\x00" + b"".join(compatible)
    return (8 + len(body)).to_bytes(4, "big") + b"ftyp" + body + b"\x00\x00\x00\x08free"


def ebml(doc_type: bytes) -> bytes:
    """A Matroska EBML header naming its DocType."""
    header = b"\x42\x86\x81\x01\x42\xf7\x81\x01\x42\x82" + bytes([0x80 | len(doc_type)]) + doc_type
    return b"\x1a\x45\xdf\xa3" + bytes([0x80 | len(header)]) + header


# An MPEG-1 Layer III frame header: 128 kbit/s, 44.1 kHz, no padding: 417 bytes a frame.
MP3_FRAME = b"\xff\xfb\x90\x00" + b"\x00" * 413


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        (b"\xff\xd8\xff\xe0\x00\x10JFIF\x00", "image/jpeg"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR", "image/png"),
        (b"GIF89a\x01\x00\x01\x00", "image/gif"),
        (b"GIF87a\x01\x00\x01\x00", "image/gif"),
        (b"RIFF\x24\x00\x00\x00WEBPVP8 ", "image/webp"),
        (b"RIFF\x24\x00\x00\x00WAVEfmt ", "audio/wav"),
        (b"RIFF\x24\x00\x00\x00AVI LIST", BINARY),
        (b"fLaC\x00\x00\x00\x22", "audio/flac"),
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", "application/pdf"),
        (b"OggS\x00\x02" + b"\x00" * 22 + b"\x01vorbis", "audio/ogg"),
        (b"OggS\x00\x02" + b"\x00" * 22 + b"OpusHead", "audio/ogg"),
        (b"OggS\x00\x02" + b"\x00" * 22 + b"\x80theora", "audio/ogg"),
        (b"ID3\x04\x00\x00\x00\x00\x10\x00TIT2", "audio/mpeg"),
        (MP3_FRAME * 2, "audio/mpeg"),
        (ftyp(b"isom", b"isom", b"iso2", b"avc1", b"mp41"), "video/mp4"),
        (ftyp(b"mp42", b"mp42", b"isom"), "video/mp4"),
        (ftyp(b"M4A ", b"M4A ", b"mp42", b"isom"), "audio/mp4"),
        (ftyp(b"heic", b"mif1", b"heic"), BINARY),
        (ftyp(b"avif", b"avif", b"mif1", b"miaf"), BINARY),
        (ftyp(b"qt  ", b"qt  "), BINARY),
        (ebml(b"webm"), "video/webm"),
        (ebml(b"matroska"), "video/x-matroska"),
    ],
)
def test_known_formats_are_told_by_their_magic_numbers(head: bytes, expected: str) -> None:
    """Images, audio, video and PDF are recognised from their first bytes whatever the name says."""
    assert sniff(head + PADDING, "upload.bin") == expected


def test_a_generic_mp4_named_as_music_is_audio() -> None:
    """An MP4 with only generic brands is audio when named .m4a, and video otherwise."""
    head = ftyp(b"isom", b"isom", b"iso2") + PADDING
    assert sniff(head, "song.M4A") == "audio/mp4"
    assert sniff(head, "clip.mp4") == "video/mp4"


@pytest.mark.parametrize(
    "document",
    [
        b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>",
        b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
        b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>',
        b"<?xml version='1.0'?><note><to>you</to></note>",
        b"alert(document.cookie);\nfetch('/api/me');",
        b'{"json": true}',
        b"\xef\xbb\xbf<html>with a byte order mark</html>",
    ],
)
def test_documents_a_browser_would_render_are_plain_text(document: bytes) -> None:
    """HTML, SVG, XML, JavaScript and JSON come out as plain text, even when named as an image or a page."""
    for name in ("page.html", "drawing.svg", "photo.jpg", "script.js"):
        assert sniff(document, name) == TEXT


def test_a_document_that_is_not_utf8_is_a_download() -> None:
    """Markup in Latin-1 (invalid UTF-8) is application/octet-stream, never a page."""
    assert sniff("<html><body>café</body></html>".encode("latin-1"), "page.html") == BINARY


def test_utf8_text_is_text_even_when_the_head_cuts_a_character() -> None:
    """A head that ends half-way through a multi-byte character is still text."""
    text = ("Grüße aus Köln, 聊天室 " * 40).encode()
    assert sniff(text[:511], "notes.txt") == TEXT
    assert sniff(text[:510], "notes.txt") == TEXT


def test_nul_bytes_make_a_file_binary() -> None:
    """A NUL byte makes a file binary even when the rest is ASCII."""
    assert sniff(b"hello\x00world" + b"a" * 500, "notes.txt") == BINARY


def test_an_empty_file_is_empty_text() -> None:
    """An empty upload is text/plain: there is nothing in it to run or render."""
    assert sniff(b"", "empty.html") == TEXT


def test_a_lone_frame_sync_followed_by_garbage_is_not_mp3() -> None:
    """Two bytes that look like an MPEG frame header, with no second frame where it should be, are binary."""
    head = b"\xff\xfb\x90\x00" + b"\x01\x02\x03\xfe" * 200
    assert sniff(head, "song.mp3") == BINARY


def test_inline_types_are_only_media() -> None:
    """Only images, audio and video are served inline; text, PDF and downloads are attachments."""
    assert all(kind.split("/")[0] in ("image", "audio", "video") for kind in INLINE_TYPES)
    assert TEXT not in INLINE_TYPES
    assert "application/pdf" not in INLINE_TYPES
    assert "image/svg+xml" not in INLINE_TYPES


ANSWERS = {
    "image/jpeg",
    "image/png",
    "image/gif",
    "image/webp",
    "video/mp4",
    "video/webm",
    "video/x-matroska",
    "audio/mpeg",
    "audio/ogg",
    "audio/wav",
    "audio/flac",
    "audio/mp4",
    "application/pdf",
    TEXT,
    BINARY,
}
MAGICS = [b"", b"RIFF", b"ID3", b"\xff\xfb", b"\x1a\x45\xdf\xa3", b"OggS\x00", b"\x00\x00\x00\x18ftyp"]


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(MAGICS), st.binary(max_size=700), st.text(max_size=40))
def test_any_bytes_get_one_of_the_known_answers(magic: bytes, rest: bytes, name: str) -> None:
    """Whatever the bytes and the name, sniff answers one of its types and never raises."""
    assert sniff(magic + rest, name) in ANSWERS
