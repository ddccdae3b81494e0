"""How a stored file is answered over HTTP: its headers and the byte range asked for. Pure, no I/O.

The headers make the file harmless on the chat's own origin (docs/security.md,
"Files"): the type is the server's detection, never the uploader's; only
images, audio and video (sniff.INLINE_TYPES) are shown in the browser, every
other file is a download; ``nosniff`` keeps the browser from guessing another
type; and the Content-Security-Policy runs no script and sandboxes whatever
is opened, so even a file the browser did render could do nothing as the chat.
"""

from __future__ import annotations

import re
import urllib.parse
from dataclasses import dataclass

# What a file opened on its own may do: show itself (an image, a video's
# frames) and nothing else. ``sandbox`` gives it an opaque origin: no cookies,
# no storage, no scripts, no forms, even if something were rendered.
FILE_CSP = "default-src 'none'; img-src 'self'; media-src 'self'; style-src 'unsafe-inline'; sandbox"
# Kept in the person's own browser only, never a shared cache, and asked
# about again before each use: a file's bytes never change (a new upload is a
# new id), so the answer is a 304 without them, but access is checked each
# time, and a deleted file, or one of a room one has left, stops showing at once.
FILE_CACHE_CONTROL = "private, no-cache"
MAX_NAME_IN_HEADER = 200
_RANGE = re.compile(r"bytes=(\d*)-(\d*)")
_QUOTED_SAFE = re.compile(r"[^A-Za-z0-9 ._()\[\]+,;=@-]")


@dataclass(frozen=True, slots=True)
class ByteRange:
    """The bytes ``start <= i < end`` of a file."""

    start: int
    end: int

    @property
    def length(self) -> int:
        """How many bytes the range holds."""
        return self.end - self.start

    def content_range(self, size: int) -> str:
        """The Content-Range header of a 206 answering this range of a file of ``size`` bytes."""
        return f"bytes {self.start}-{self.end - 1}/{size}"


class UnsatisfiableRangeError(ValueError):
    """A Range that names no byte of the file: answered 416."""


def requested_range(header: str | None, size: int) -> ByteRange | None:
    """The single range a Range header asks of a file of ``size`` bytes; None: send it whole.

    RFC 9110 §14: ``bytes=a-b``, ``bytes=a-`` and the suffix ``bytes=-n``; a
    header this server does not take (several ranges, another unit,
    nonsense) is ignored, which the RFC allows, and the whole file is sent.
    A range that starts past the end raises UnsatisfiableRangeError.
    """
    if header is None:
        return None
    match = _RANGE.fullmatch(header.strip())
    if match is None:
        return None
    first, last = match.groups()
    if not first:
        if not last:
            return None
        suffix = int(last)
        if suffix == 0 or size == 0:
            raise UnsatisfiableRangeError(header)
        return ByteRange(max(0, size - suffix), size)
    start = int(first)
    end = size if not last else min(size, int(last) + 1)
    if last and int(last) < start:
        return None  # invalid: ignored, as the RFC says
    if start >= size:
        raise UnsatisfiableRangeError(header)
    return ByteRange(start, end)


def unsatisfiable_content_range(size: int) -> str:
    """The Content-Range header of a 416: the file's size."""
    return f"bytes */{size}"


def base_type(content_type: str) -> str:
    """The type without its parameters: ``text/plain`` of ``text/plain; charset=utf-8``."""
    return content_type.split(";", 1)[0].strip().lower()


def content_disposition(name: str, inline: bool) -> str:
    """Content-Disposition for a file named ``name`` (RFC 6266): inline or attachment, with its name.

    ``filename*`` carries the name exactly (UTF-8, percent-encoded); the plain
    ``filename`` an ASCII stand-in for old clients, with anything that could
    end the quoted string or the header replaced.
    """
    name = name[:MAX_NAME_IN_HEADER] or "file"
    fallback = _QUOTED_SAFE.sub("_", name.encode("ascii", "replace").decode("ascii"))
    encoded = urllib.parse.quote(name, safe="")
    return f"{'inline' if inline else 'attachment'}; filename=\"{fallback}\"; filename*=UTF-8''{encoded}"


def etag_of(file_id: str, thumb: bool) -> str:
    """The strong ETag of a file or its thumbnail: their bytes never change, so the id says it all."""
    return f'"{file_id}-thumb"' if thumb else f'"{file_id}"'


def etag_matches(header: str | None, etag: str) -> bool:
    """Whether an If-None-Match (or If-Range) header names ``etag``, or is ``*``."""
    if header is None:
        return False
    tags = [tag.strip().removeprefix("W/") for tag in header.split(",")]
    return "*" in tags or etag in tags
