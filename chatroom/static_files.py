"""StaticHandler: the page's scripts and styles under /static/, and nothing else.

Tornado's StaticFileHandler resolves whatever path it is given on the file
system, so a hostile one reaches the operating system: a NUL byte made
``os.path.realpath`` raise (500 and a traceback in the log), ``..`` was
answered 403 after a look outside the directory. Here a path must look like
a file name of ours before anything touches the disk; anything else is 404.

The page's scripts are ES modules, which a browser runs only when served
with a JavaScript type: the types of our files are fixed here rather than
left to the host's MIME table. A module imports its siblings by plain path,
which the pages' import map (chatroom/import_map.py) sends to the versioned
URL that is cached for good; a request without ``?v=`` (an older page, a
person) or with another version than the file's is revalidated every time
(a 304 when unchanged), so a new release never runs beside a stale module.

StaticCompression gzips them for a browser that takes it: a first visit
fetches some ninety modules and fifteen style sheets, 600 KB, as 230 KB.
Nothing else is compressed: a page or an API answer may hold a secret
beside text a request put there, which compression would let an
eavesdropper guess (BREACH); files are served in ranges (206), which count
plain bytes; and their types (pictures, video) are compressed already.
"""

from __future__ import annotations

import datetime
import re
import zlib
from pathlib import PurePath
from typing import ClassVar

import tornado.httputil
import tornado.web

# One path segment: what our files are called (chat.css, js/app.js, icons/x.png).
# No dot first (so no "..", no hidden files), no empty segment, nothing that
# a file system or a URL parser treats specially.
_SEGMENT = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,99}")
MAX_SEGMENTS = 4

# Of the file's SHA-512 that Tornado makes its version: 128 bits tell one
# release's file from another's, and the full 128 characters would be in
# every static URL, ninety-odd times in each page's import map.
VERSION_CHARS = 32

# What our files are, whatever the host's MIME table says (some map .js to text/plain).
CONTENT_TYPES = {
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
}


# What StaticCompression compresses, by type without its charset: our text files (SVG is text too).
COMPRESSED_TYPES = frozenset({"text/javascript", "text/css", "image/svg+xml"})
GZIP_LEVEL = 6  # gzip's own default: most of level 9's gain for a fraction of its time
GZIP_WINDOW = 16 + zlib.MAX_WBITS  # zlib's largest window, inside a gzip header and trailer
# The page's service worker is served beside the root, as its scope requires.
STATIC_PATHS = ("/static/", "/sw.js")


def plain_static_path(path: str) -> bool:
    """Whether ``path`` (already percent-decoded) names a file the way ours are named."""
    segments = path.split("/")
    return len(segments) <= MAX_SEGMENTS and all(_SEGMENT.fullmatch(s) for s in segments)


class StaticHandler(tornado.web.StaticFileHandler):
    """Serves static/; a path that is not a plain file name is 404 before the disk is asked."""

    def parse_url_path(self, url_path: str) -> str:
        # Percent-encoded slashes and backslashes arrive here decoded: "a%2Fb"
        # is "a/b" and judged as such; "%5C" is a backslash and refused.
        if not plain_static_path(url_path):
            raise tornado.web.HTTPError(404)
        return super().parse_url_path(url_path)

    @classmethod
    def get_content_version(cls, abspath: str) -> str:
        return super().get_content_version(abspath)[:VERSION_CHARS]

    def get_content_type(self) -> str:
        assert self.absolute_path is not None
        suffix = PurePath(self.absolute_path).suffix.lower()
        return CONTENT_TYPES.get(suffix) or super().get_content_type()

    def get_cache_time(self, path: str, modified: datetime.datetime | None, mime_type: str) -> int:
        # Only the file's own version is kept for good. While nodes of two
        # releases serve side by side, a page from one may ask another for
        # its version of a file: what that node has must not be kept under it.
        return self.CACHE_MAX_AGE if self.own_version_asked(path) else 0

    def own_version_asked(self, path: str) -> bool:
        """Whether ``?v=`` names this file's version (compared as sent: any bytes may arrive)."""
        version = self.get_version({"static_path": self.root}, path)
        return version is not None and self.request.arguments.get("v") == [version.encode("ascii")]

    def set_extra_headers(self, path: str) -> None:
        # The type above is the one meant: a browser does not guess another.
        self.set_header("X-Content-Type-Options", "nosniff")
        if not self.own_version_asked(path):
            self.set_header("Cache-Control", "no-cache")


class StaticCompression(tornado.web.OutputTransform):
    """gzip for a whole file of ours (200) under STATIC_PATHS, of a text type, to a browser that takes it.

    The file's own ETag becomes weak: the compressed bytes are another representation of it. Each
    file is compressed once: its gzip is kept by path, ETag and modification time (a file changed on
    disk is compressed again), and sent whole with its length from then on.
    """

    # At most this many kept: ours are about a hundred and twenty, 230 KB compressed in all.
    MAX_KEPT = 1024
    _kept: ClassVar[dict[tuple[str, str, str], bytes]] = {}

    def __init__(self, request: tornado.httputil.HTTPServerRequest) -> None:
        self._static = request.path.startswith(STATIC_PATHS)
        taken = request.headers.get("Accept-Encoding", "")
        self._wanted = self._static and request.method == "GET" and "gzip" in taken
        self._path = request.path
        self._gzip: zlib._Compress | None = None
        self._made: list[bytes] = []
        self._key: tuple[str, str, str] | None = None
        self._sent_whole = False

    def transform_first_chunk(
        self, status_code: int, headers: tornado.httputil.HTTPHeaders, chunk: bytes, finishing: bool
    ) -> tuple[int, tornado.httputil.HTTPHeaders, bytes]:
        if not self._static:
            return status_code, headers, chunk
        headers["Vary"] = "Accept-Encoding"
        content_type = headers.get("Content-Type", "").split(";")[0]
        if not (self._wanted and status_code == 200 and content_type in COMPRESSED_TYPES):
            return status_code, headers, chunk
        headers["Content-Encoding"] = "gzip"
        self._key = (self._path, headers.get("Etag", ""), headers.get("Last-Modified", ""))
        if "Etag" in headers and not headers["Etag"].startswith("W/"):
            headers["Etag"] = "W/" + headers["Etag"]
        kept = self._kept.get(self._key)
        if kept is not None:
            self._sent_whole = True
            headers["Content-Length"] = str(len(kept))
            return status_code, headers, kept
        self._gzip = zlib.compressobj(GZIP_LEVEL, zlib.DEFLATED, GZIP_WINDOW)
        chunk = self.transform_chunk(chunk, finishing)
        if finishing:
            headers["Content-Length"] = str(len(chunk))
        else:  # the length is known only at the end: the body goes in chunks
            headers.pop("Content-Length", None)
        return status_code, headers, chunk

    def transform_chunk(self, chunk: bytes, finishing: bool) -> bytes:
        if self._sent_whole:  # the kept gzip went with the first chunk
            return b""
        if self._gzip is None:
            return chunk
        made = self._gzip.compress(chunk) + self._gzip.flush(
            zlib.Z_FINISH if finishing else zlib.Z_SYNC_FLUSH
        )
        self._made.append(made)
        if finishing:
            self._keep(b"".join(self._made))
        return made

    def _keep(self, whole: bytes) -> None:
        assert self._key is not None
        if len(self._kept) >= self.MAX_KEPT:
            self._kept.clear()
        self._kept[self._key] = whole
