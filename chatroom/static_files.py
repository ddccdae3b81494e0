"""StaticHandler: the page's scripts and styles under /static/, and nothing else.

Tornado's StaticFileHandler resolves whatever path it is given on the file
system, so a hostile one reaches the operating system: a NUL byte made
``os.path.realpath`` raise (500 and a traceback in the log), ``..`` was
answered 403 after a look outside the directory. Here a path must look like
a file name of ours before anything touches the disk; anything else is 404.
"""

from __future__ import annotations

import re

import tornado.web

# One path segment: what our files are called (chat.js, chat.css, icons/x.png).
# No dot first (so no "..", no hidden files), no empty segment, nothing that
# a file system or a URL parser treats specially.
_SEGMENT = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,99}")
MAX_SEGMENTS = 4


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
