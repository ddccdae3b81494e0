"""A linked site for link preview tests: a local HTTP server in a thread, counting what it is asked."""

from __future__ import annotations

import http.server
import io
import threading
from collections import Counter
from collections.abc import Iterator

import pytest
from PIL import Image, PngImagePlugin

PAGE = b"""<!doctype html><html><head><meta charset="utf-8">
<title>Fallback title</title>
<meta property="og:site_name" content="Example Site">
<meta property="og:title" content="The Example &amp; its \xc3\xa9t\xc3\xa9">
<meta property="og:description" content="A page that describes itself at some length, for a card.">
<meta property="og:image" content="/picture.png">
</head><body><p>Not read.</p></body></html>"""


def picture(size: tuple[int, int] = (900, 600)) -> bytes:
    """A PNG of ``size`` carrying a text chunk (metadata a preview must not keep)."""
    out = io.BytesIO()
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "secret-metadata")
    Image.new("RGB", size, (30, 120, 200)).save(out, "PNG", pnginfo=info)
    return out.getvalue()


class Site:
    """What the site serves, by path: (status, headers, body); and how often each path was asked."""

    def __init__(self) -> None:
        self.asked: Counter[str] = Counter()
        self.routes: dict[str, tuple[int, dict[str, str], bytes]] = {
            "/page": (200, {"Content-Type": "text/html; charset=utf-8"}, PAGE),
            "/picture.png": (200, {"Content-Type": "image/png"}, picture()),
            "/photo.png": (200, {"Content-Type": "image/png"}, picture((300, 900))),
            "/file.zip": (200, {"Content-Type": "application/zip"}, b"PK\x03\x04"),
            "/to-private": (302, {"Location": "http://10.9.8.7/inside"}, b""),
            "/bare": (200, {"Content-Type": "text/html"}, b"<html><body>nothing</body></html>"),
            "/long": (200, {"Content-Type": "text/html"}, PAGE + b"<p>words</p>" * 100_000),
            "/huge.png": (200, {"Content-Type": "image/png"}, b"\x89PNG" + bytes(6 * 1024 * 1024)),
        }
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def url(self, path: str, host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}{path}"

    def _handler(self) -> type[http.server.BaseHTTPRequestHandler]:
        site = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                path = self.path.split("?", 1)[0]
                site.asked[path] += 1
                status, headers, body = site.routes.get(path, (404, {"Content-Type": "text/plain"}, b"no"))
                self.send_response(status)
                for name, value in {**headers, "Content-Length": str(len(body))}.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        return Handler


@pytest.fixture(scope="module")
def site() -> Iterator[Site]:
    """The linked site, for the module's tests."""
    served = Site()
    served.thread.start()
    yield served
    served.server.shutdown()
    served.server.server_close()
