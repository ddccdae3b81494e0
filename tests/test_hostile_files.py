"""Hostile uploads opened in Debian's Chromium through a real ``python -m chatroom``.

A member uploads HTML, SVG with script, polyglots, a decompression bomb and a
phone photo with its GPS position through ``POST /api/rooms/{room}/files``;
another opens ``/files/{id}/{name}`` in the browser, signed in to the chat. No
script may run on the chat's origin (a ``window.__ran`` marker, a console
marker and the no-dialog guard of the ``pages`` fixture say so), the GPS
position is not in what is served, and the bomb is refused. Avatars
(``PUT /api/me/avatar``) take the same road: SVG is refused, a photo is
served bare.
"""

from __future__ import annotations

import contextlib
import io
import time
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from PIL import Image
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Page

from tests.support import ServerProcess, assert_no_traceback
from tests.test_images import SECRET, bomb_png, encode, gps_exif
from tests.test_page import WAIT_MS, Pages
from tests.test_page_journey import signed_in
from tests.web_client import WebClient, guestless_site, join

ROOM = "hostile"
MARKER = "__ran"
SCRIPT = f"window.{MARKER}=1;console.log('{MARKER}');alert('{MARKER}')"
HTML = (
    f'<!doctype html><html><body><script>{SCRIPT}</script><img src="x" onerror="{SCRIPT}"></body></html>'
).encode()
SVG = (
    f'<svg xmlns="http://www.w3.org/2000/svg" onload="{SCRIPT}">'
    f"<script>{SCRIPT}</script><circle r='9'/></svg>"
).encode()
TEXT = "text/plain; charset=utf-8"


@dataclass
class Site:
    """A server without guests, its administrator (who uploads) and Bob (who opens the files)."""

    server: ServerProcess
    admin: WebClient
    bob: WebClient


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """Accounts with session cookies, as browsers have, and an open room to upload into."""
    with guestless_site(str(tmp_path_factory.mktemp("hostile-files") / "chat.db")) as (server, admin, link):
        answer = admin.call("POST", "/api/rooms", {"room": ROOM, "kind": "open"})
        assert answer.status == 201, answer
        yield Site(server, admin, join(server, link, "Bob"))
        assert_no_traceback(server)


def upload(site: Site, name: str, data: bytes) -> tuple[int, Any]:
    """The administrator posts ``data`` as a file called ``name``: the status and the JSON answer."""
    query = urllib.parse.urlencode({"name": name})
    return send(site, "POST", f"/api/rooms/{ROOM}/files?{query}", data)


def send(site: Site, method: str, path: str, data: bytes) -> tuple[int, Any]:
    """A raw body sent as the administrator's browser sends it (session cookie and _xsrf token)."""
    headers = {"Content-Type": "application/octet-stream", "X-XSRFToken": site.admin.xsrf_token()}
    answer = site.admin.request(method, path, data, headers)
    return answer.status, answer.json


def uploaded(site: Site, name: str, data: bytes) -> dict[str, Any]:
    """The file description of an upload that was accepted."""
    status, answer = upload(site, name, data)
    assert status == 200, answer
    file: dict[str, Any] = answer["file"]
    return file


def file_url(site: Site, file: dict[str, Any]) -> str:
    return f"{site.server.url}/files/{file['id']}/{urllib.parse.quote(file['name'])}"


def reader(pages: Pages, site: Site) -> tuple[Page, list[str]]:
    """Bob's browser in the chat, signed in with his session cookie, and the console messages it logs."""
    page = signed_in(pages, site.bob, f"{site.server.url}/?room={ROOM}")
    console: list[str] = []
    page.on("console", lambda message: console.append(message.text))
    return page, console


def assert_no_script_ran(page: Page, console: list[str]) -> None:
    """Neither the page nor any frame in it ran the payload."""
    for frame in page.frames:
        with contextlib.suppress(PlaywrightError):  # a frame that went away ran nothing more
            assert frame.evaluate(f"window.{MARKER}") is None
    assert MARKER not in console


def open_download(page: Page, url: str) -> bytes:
    """Navigate to ``url``, which must come as a download rather than a page: its bytes."""
    with page.expect_download(timeout=WAIT_MS) as download, contextlib.suppress(PlaywrightError):
        page.goto(url)  # "Download is starting": the navigation never commits
    path = download.value.path()
    return path.read_bytes()


def open_in_frame(page: Page, url: str) -> None:
    """Put ``url`` in an iframe of the chat page, as a link preview or an embed would."""
    page.evaluate(
        """url => new Promise(done => {
            const frame = document.createElement("iframe");
            frame.src = url;
            frame.onload = () => done(null);
            document.body.append(frame);
            setTimeout(() => done(null), 3000);
        })""",
        url,
    )


@pytest.mark.parametrize(("name", "data"), [("page.html", HTML), ("drawing.svg", SVG), ("photo.jpg", HTML)])
def test_markup_is_a_plain_text_download_that_runs_nothing(
    site: Site, pages: Pages, name: str, data: bytes
) -> None:
    """HTML and SVG, even named as a photo, are served as a text download; no script runs."""
    file = uploaded(site, name, data)
    assert file["type"] == TEXT and file["size"] == len(data)
    page, console = reader(pages, site)
    chat_url = page.url

    open_in_frame(page, file_url(site, file))
    assert_no_script_ran(page, console)
    assert open_download(page, file_url(site, file)) == data
    assert page.url == chat_url

    assert_no_script_ran(page, console)
    response = page.request.get(file_url(site, file))
    assert response.headers["content-type"] == TEXT
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["content-disposition"].startswith("attachment")
    assert "sandbox" in response.headers["content-security-policy"]


def test_an_image_header_over_html_is_refused(site: Site) -> None:
    """A GIF header followed by HTML is not an image: refused, never served as image/gif."""
    status, answer = upload(site, "cat.gif", b"GIF89a" + HTML + b" " * 600)
    assert (status, answer["error"]) == (422, "refused_image")
    assert "unreadable_image" in answer["message"]


def test_a_real_image_with_html_appended_is_served_without_it(site: Site, pages: Pages) -> None:
    """A JPEG with HTML after its end is served as the re-encoded picture alone, shown as an image."""
    picture = Image.new("RGB", (64, 48), (0, 120, 255))
    file = uploaded(site, "cat.jpg", encode(picture, "JPEG") + HTML)
    assert file["type"] == "image/jpeg" and (file["width"], file["height"]) == (64, 48)
    page, console = reader(pages, site)

    response = page.goto(file_url(site, file))

    assert response is not None and response.status == 200
    served = response.body()
    assert b"<script" not in served and MARKER.encode() not in served
    assert response.headers["content-type"] == "image/jpeg"
    assert page.evaluate("document.contentType") == "image/jpeg"
    assert_no_script_ran(page, console)


def test_a_decompression_bomb_is_refused(site: Site) -> None:
    """A 150-byte PNG that declares 30000x30000 pixels is refused with 422."""
    started = time.monotonic()
    status, answer = upload(site, "tiny.png", bomb_png(30000, 30000))
    assert (status, answer["error"]) == (422, "refused_image")
    assert "too_many_pixels" in answer["message"]
    assert time.monotonic() - started < 5


def test_the_gps_position_of_a_photo_is_not_served(site: Site, pages: Pages) -> None:
    """A phone photo with GPS EXIF is served upright and without any EXIF, GPS included."""
    photo = Image.new("RGB", (600, 400), (200, 30, 30))
    data = encode(photo, "JPEG", exif=gps_exif(6), comment=SECRET)
    file = uploaded(site, "holiday.jpg", data)
    assert (file["width"], file["height"]) == (400, 600)
    page, console = reader(pages, site)

    response = page.goto(file_url(site, file))

    assert response is not None and response.status == 200
    served = response.body()
    assert SECRET not in served and b"Exif" not in served
    with Image.open(io.BytesIO(served)) as image:
        assert image.size == (400, 600) and len(image.getexif()) == 0
    assert page.evaluate("[document.images[0].naturalWidth, document.images[0].naturalHeight]") == [400, 600]
    assert file["thumb"] is True
    thumb = page.goto(f"{site.server.url}/files/{file['id']}/thumb")
    assert thumb is not None and thumb.status == 200
    assert SECRET not in thumb.body() and b"Exif" not in thumb.body()
    assert_no_script_ran(page, console)


def test_an_svg_with_script_is_refused_as_an_avatar(site: Site) -> None:
    """An avatar must be a picture: SVG (with script) is 422, whatever it is named."""
    status, answer = send(site, "PUT", "/api/me/avatar", SVG)
    assert (status, answer["error"]) == (422, "refused_image")
    assert "not_an_image" in answer["message"]


def test_an_avatar_is_served_without_the_photos_gps_position(site: Site, pages: Pages) -> None:
    """A GPS-tagged photo as an avatar is shown to others as a bare 256x256 square."""
    data = encode(Image.new("RGB", (800, 600), (30, 160, 90)), "JPEG", exif=gps_exif(6), comment=SECRET)
    status, answer = send(site, "PUT", "/api/me/avatar", data)
    assert status == 200, answer
    page, console = reader(pages, site)

    response = page.goto(f"{site.server.url}/avatars/Admin")

    assert response is not None and response.status == 200
    served = response.body()
    assert SECRET not in served and b"Exif" not in served
    with Image.open(io.BytesIO(served)) as image:
        assert image.size == (256, 256) and len(image.getexif()) == 0
    assert_no_script_ran(page, console)
