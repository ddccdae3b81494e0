"""/static/ against a real ``python -m chatroom``: our files; a hostile path is 4xx, never a traceback."""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
import re
import secrets
import urllib.error
import urllib.request
from collections.abc import Iterator

import pytest
from tornado.httputil import HTTPHeaders, HTTPServerRequest, RequestStartLine

from chatroom.static_files import StaticCompression, plain_static_path
from tests.support import REPO, ServerProcess, assert_no_traceback, raw_get

JS = REPO / "static" / "js"
MODULES = sorted(path.relative_to(JS).as_posix() for path in JS.rglob("*.js"))
IMPORT_MAP = re.compile(r'<script type="importmap">(.*?)</script>\s*<script type="module"', re.DOTALL)


@pytest.fixture(scope="module")
def server() -> Iterator[ServerProcess]:
    with ServerProcess(":memory:") as running:
        yield running


HOSTILE = [
    "/static/chat.css%00.png",
    "/static/%00",
    "/static/chat.css%00",
    "/static/..%2f..%2fetc%2fpasswd",
    "/static/..%2F..%2Fetc%2Fpasswd",
    "/static/%2e%2e/chatroom/api.py",
    "/static/%2e%2e%2fchatroom%2fapi.py",
    "/static/../chatroom/api.py",
    "/static/./chat.css",
    "/static/.hidden",
    "/static//etc/passwd",
    "/static/chat.css/",
    "/static/chat.css%2f",
    "/static/%5c..%5c..%5cetc%5cpasswd",
    "/static/..%5cchat.css",
    "/static/%c0%ae%c0%ae/chatroom/api.py",
    "/static/%ff",
    "/static/%e2%80",
    "/static/%",
    "/static/%zz",
    "/static/%252e%252e/chatroom/api.py",
    "/static/chat.css%0a",
    "/static/ch%01at.js",
    "/static/chat%20.js",
    "/static/" + "a" * 5000,
    "/static/" + "a/" * 500 + "chat.css",
]


@pytest.mark.parametrize("target", HOSTILE)
def test_a_hostile_static_path_is_4xx_without_a_traceback(server: ServerProcess, target: str) -> None:
    """NUL, dot segments, encoded slashes, overlong names, bad percent-encoding or UTF-8: 400 or 404."""
    logged = len(server.log())
    status, body = raw_get(server, target)
    assert status in (400, 404), (target, status)
    assert b"root" not in body and b"Traceback" not in body
    assert_no_traceback(server, logged)


@pytest.mark.parametrize("target", ["/static/js/app.js", "/static/chat.css", "/static/js/app.js?v=abc%ff"])
def test_the_pages_files_are_served(server: ServerProcess, target: str) -> None:
    """The script and the style sheet are still there, whatever version argument a cache adds."""
    status, body = raw_get(server, target)
    assert status == 200
    assert len(body) > 1000


def headers_of(server: ServerProcess, target: str) -> tuple[int, dict[str, str]]:
    with urllib.request.urlopen(server.url + target, timeout=5) as response:
        return int(response.status), {name.lower(): value for name, value in response.headers.items()}


@pytest.mark.parametrize("module", MODULES)
def test_every_module_is_javascript_and_revalidated(server: ServerProcess, module: str) -> None:
    """A module runs only with a JavaScript type; one imported without ?v= is checked again each time."""
    status, headers = headers_of(server, f"/static/js/{module}")
    assert status == 200
    assert headers["content-type"].split(";")[0] == "text/javascript"
    assert headers["cache-control"] == "no-cache"
    assert headers["x-content-type-options"] == "nosniff"


def test_only_a_files_own_version_is_cached_for_long(server: ServerProcess) -> None:
    """What the page links with the file's ?v= may be kept for good; another version (a page of another
    release asking this node) is served, but checked again each time."""
    page, _ = page_of(server, "/")
    for name in ("js/app.js", "chat.css"):
        own = re.search(rf'"(/static/{re.escape(name)}\?v=[0-9a-f]+)"', page)
        assert own is not None, name
        _, kept = headers_of(server, own.group(1))
        assert kept["cache-control"] == "max-age=315360000" and "expires" in kept
        status, other = headers_of(server, f"/static/{name}?v=0123")
        assert status == 200 and other["cache-control"] == "no-cache" and "expires" not in other


def page_of(server: ServerProcess, target: str) -> tuple[str, str]:
    """The page at ``target`` (whatever its status) and its Content-Security-Policy."""
    try:
        response = urllib.request.urlopen(server.url + target, timeout=5)
    except urllib.error.HTTPError as refused:  # the sign-in page waits for setup: 503, still a page
        response = refused
    with response:
        return response.read().decode(), response.headers["Content-Security-Policy"]


@pytest.mark.parametrize("target", ["/", "/signin"])
def test_the_pages_map_every_module_to_its_versioned_url(server: ServerProcess, target: str) -> None:
    """Before its first module a page maps each module's plain URL to a ?v= one that is kept for good,
    and its policy allows that inline script alone."""
    page, policy = page_of(server, target)
    found = IMPORT_MAP.search(page)
    assert found is not None
    imports = json.loads(found.group(1))["imports"]
    assert sorted(imports) == [f"/static/js/{module}" for module in MODULES]
    for plain, versioned in imports.items():
        assert re.fullmatch(re.escape(plain) + r"\?v=[0-9a-f]{32}", versioned), versioned
        status, headers = headers_of(server, versioned)
        assert status == 200 and headers["content-type"].startswith("text/javascript")
        assert headers["cache-control"] == "max-age=315360000"
    digest = base64.b64encode(hashlib.sha256(found.group(1).encode()).digest()).decode()
    assert f"script-src 'self' 'sha256-{digest}';" in policy
    assert "unsafe-inline" not in policy and page.count("<script") == 2


BROWSER = {"Accept-Encoding": "gzip, deflate, br, zstd"}


def fetched(server: ServerProcess, target: str, **headers: str) -> tuple[int, dict[str, str], bytes]:
    """GET ``target`` with those headers, nothing decoded: the status, the headers (lower-case names)
    and the body as sent."""
    request = urllib.request.Request(server.url + target, headers=headers)
    try:
        response = urllib.request.urlopen(request, timeout=5)
    except urllib.error.HTTPError as answered:  # a 304, say
        response = answered
    with response:
        found = {name.lower(): value for name, value in response.headers.items()}
        return int(response.status), found, response.read()


def versioned_url(server: ServerProcess, name: str) -> str:
    page, _ = page_of(server, "/")
    found = re.search(rf'"(/static/{re.escape(name)}\?v=[0-9a-f]+)"', page)
    assert found is not None, name
    return found.group(1)


@pytest.mark.parametrize("name", ["js/app.js", "chat.css"])
def test_a_browser_that_takes_gzip_gets_the_files_gzipped(server: ServerProcess, name: str) -> None:
    """Gzipped (a weak ETag, under half the bytes) to a browser that says it takes gzip, the same bytes
    again with their length once made, plain to a client that does not; both vary by what was asked, and
    unpack to the file byte for byte."""
    plain = (REPO / "static" / name).read_bytes()
    url = versioned_url(server, name)
    status, headers, body = fetched(server, url, **BROWSER)
    assert status == 200 and headers["content-encoding"] == "gzip" and headers["vary"] == "Accept-Encoding"
    assert gzip.decompress(body) == plain and len(body) < len(plain) / 2
    assert headers["etag"].startswith('W/"')
    status, again, body_again = fetched(server, url, **BROWSER)
    assert (status, body_again, again["etag"]) == (200, body, headers["etag"])
    assert again["content-length"] == str(len(body)) and "transfer-encoding" not in again
    status, headers, body = fetched(server, url)
    assert status == 200 and "content-encoding" not in headers and headers["vary"] == "Accept-Encoding"
    assert body == plain and headers["etag"].startswith('"')


def compressed(path: str, modified: str, chunks: list[bytes]) -> tuple[HTTPHeaders, bytes]:
    """What StaticCompression sends of a file handed over in ``chunks``: the headers and the body."""
    asked = HTTPHeaders({"Accept-Encoding": "gzip", "Host": "localhost"})
    request = HTTPServerRequest(start_line=RequestStartLine("GET", path, "HTTP/1.1"), headers=asked)
    transform = StaticCompression(request)
    plain = HTTPHeaders({"Content-Type": "text/javascript", "Etag": '"v1"', "Last-Modified": modified})
    _, headers, body = transform.transform_first_chunk(200, plain, chunks[0], False)
    for chunk in chunks[1:]:
        body += transform.transform_chunk(chunk, False)
    return headers, body + transform.transform_chunk(b"", True)


def test_a_file_is_compressed_once_and_again_once_changed_on_disk() -> None:
    """The second request gets the first's gzip whole with its length; a file with another modification
    time (edited under the running server, its ETag unchanged) is compressed anew."""
    path = f"/static/js/kept-{secrets.token_hex(4)}.js"
    first = [b"export const answer = 42;\n" * 3000, b"// and the rest\n" * 50]
    headers, body = compressed(path, "Mon, 07 Dec 2026 00:00:00 GMT", first)
    assert "Content-Length" not in headers and gzip.decompress(body) == b"".join(first)
    headers, again = compressed(path, "Mon, 07 Dec 2026 00:00:00 GMT", first)
    assert again == body and headers["Content-Length"] == str(len(body))
    changed = [b"export const answer = 43;\n"]
    headers, body = compressed(path, "Mon, 07 Dec 2026 00:01:00 GMT", changed)
    assert gzip.decompress(body) == changed[0] and headers["Etag"] == 'W/"v1"'


def test_a_range_a_revalidation_and_a_head_are_answered_plain(server: ServerProcess) -> None:
    """A part of a file counts plain bytes (206); a file unchanged since is a 304 whatever its ETag's
    form; a HEAD tells the plain length."""
    plain = (REPO / "static" / "js" / "app.js").read_bytes()
    url = versioned_url(server, "js/app.js")
    status, headers, body = fetched(server, url, Range="bytes=0-99", **BROWSER)
    assert (status, body, headers["content-range"]) == (206, plain[:100], f"bytes 0-99/{len(plain)}")
    assert "content-encoding" not in headers
    _, sent, _ = fetched(server, url, **BROWSER)
    status, headers, body = fetched(server, url, **{"If-None-Match": sent["etag"]}, **BROWSER)
    assert (status, body) == (304, b"") and "content-encoding" not in headers
    request = urllib.request.Request(server.url + url, headers=BROWSER, method="HEAD")
    with urllib.request.urlopen(request, timeout=5) as response:
        assert response.headers["Content-Length"] == str(len(plain))
        assert response.headers["Content-Encoding"] is None


@pytest.mark.parametrize("target", ["/", "/signin", "/api/rooms", "/healthz"])
def test_pages_and_answers_are_never_compressed(server: ServerProcess, target: str) -> None:
    """A page or an API answer may hold a secret beside what a request put in it: never compressed
    (BREACH), and no Vary for it either."""
    status, headers, body = fetched(server, target, **BROWSER)
    assert status in (200, 503) and body
    assert "content-encoding" not in headers and "vary" not in headers


def test_plain_names_pass_and_others_do_not() -> None:
    """The shape check: file names of ours pass; dots first, empty segments and odd characters do not."""
    for good in ("chat.js", "chat.css", "icons/bot.png", "a_b-c.1.js"):
        assert plain_static_path(good), good
    for bad in ("", ".", "..", "../x", "a//b", "a/", "/a", "a\\b", "a\x00b", "a b", ".env", "a/../b", "é.js"):
        assert not plain_static_path(bad), bad
