"""How a file is answered (file_responses.py): the Range a request asks, the disposition, the ETag."""

from __future__ import annotations

import pytest

from chatroom.file_responses import (
    ByteRange,
    UnsatisfiableRangeError,
    base_type,
    content_disposition,
    etag_matches,
    etag_of,
    requested_range,
)


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("bytes=0-99", ByteRange(0, 100)),
        ("bytes=100-", ByteRange(100, 1000)),
        ("bytes=-10", ByteRange(990, 1000)),
        ("bytes=-5000", ByteRange(0, 1000)),
        ("bytes=900-5000", ByteRange(900, 1000)),
        (" bytes=1-1 ", ByteRange(1, 2)),
    ],
)
def test_a_single_range_is_clipped_to_the_file(header: str, expected: ByteRange) -> None:
    """Each form of one range answers the bytes it names that the file has."""
    assert requested_range(header, 1000) == expected


@pytest.mark.parametrize(
    "header", [None, "bytes=0-1,5-9", "items=0-5", "bytes=", "bytes=-", "bytes=9-2", "bytes=a-b", "0-5"]
)
def test_what_is_not_one_range_asks_for_the_whole_file(header: str | None) -> None:
    """No header, several ranges, another unit, nonsense: the whole file (RFC 9110 lets servers ignore it)."""
    assert requested_range(header, 1000) is None


@pytest.mark.parametrize(
    ("header", "size"), [("bytes=1000-", 1000), ("bytes=5000-6000", 1000), ("bytes=-0", 1000)]
)
def test_a_range_past_the_end_is_unsatisfiable(header: str, size: int) -> None:
    """A range that names no byte of the file is a 416."""
    with pytest.raises(UnsatisfiableRangeError):
        requested_range(header, size)


def test_an_empty_file_has_no_range() -> None:
    """Any range of an empty file is unsatisfiable."""
    with pytest.raises(UnsatisfiableRangeError):
        requested_range("bytes=0-", 0)


def test_a_range_says_its_content_range() -> None:
    """Content-Range names the first and last byte and the size."""
    assert ByteRange(10, 20).content_range(100) == "bytes 10-19/100"
    assert ByteRange(10, 20).length == 10


def test_the_disposition_names_the_file_both_ways() -> None:
    """filename* carries the exact name; filename an ASCII stand-in without quotes or backslashes."""
    assert content_disposition("report.pdf", inline=False) == (
        "attachment; filename=\"report.pdf\"; filename*=UTF-8''report.pdf"
    )
    assert content_disposition('日本 "a\\b".png', inline=True) == (
        "inline; filename=\"__ _a_b_.png\"; filename*=UTF-8''%E6%97%A5%E6%9C%AC%20%22a%5Cb%22.png"
    )


def test_a_line_break_never_reaches_the_header() -> None:
    """Control characters are encoded, so a name cannot add a header."""
    value = content_disposition("a\r\nSet-Cookie: x=1", inline=False)
    assert "\r" not in value and "\n" not in value


def test_types_and_etags() -> None:
    """A type's parameters are dropped for the inline check; a thumbnail's ETag differs from its file's."""
    assert base_type("text/plain; charset=utf-8") == "text/plain"
    assert etag_of("abc", thumb=False) == '"abc"' and etag_of("abc", thumb=True) == '"abc-thumb"'
    assert etag_matches('"x", "abc"', '"abc"') and etag_matches("*", '"abc"')
    assert etag_matches('W/"abc"', '"abc"') and not etag_matches('"abcd"', '"abc"')
    assert not etag_matches(None, '"abc"')
