"""Files and profile pictures on the page (static/js/attach.js, file_view.js, avatar_pictures.js) in Chromium.

People sign in with tokens on a real ``python -m chatroom`` that takes files
up to LIMIT bytes; one sends files by the 📎 button, by dropping them on the
conversation and by pasting them, and the others see them as a person would.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import JSHandle, Locator, Page, Route, expect

from tests.page_browser import wait_for
from tests.sample_files import DATA_TRANSFER, PDF, payload, picture, tone, video
from tests.screens import screenshot
from tests.support import ServerProcess
from tests.test_page import JWT_SECRET, SCREENSHOT_PHONE, Pages, expect_online, say, token_for
from tests.test_page_changes import act, open_as, open_room
from tests.test_page_journey import signed_in
from tests.web_client import join, set_up

LIMIT = 4 * 1024 * 1024
# A thumbnail's address on a page signed in with a token: a signed link (chatroom/file_links.py).
SIGNED_THUMB = re.compile(r"^/files/[A-Za-z0-9_-]+/thumb\?account=\d+&exp=\d+&link=[A-Za-z0-9_-]+$")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """Accounts only, signed in with tokens; files up to LIMIT bytes."""
    db = tmp_path_factory.mktemp("files-page") / "chat.db"
    with ServerProcess(
        db,
        "--jwt-secret",
        JWT_SECRET,
        "--max-upload-bytes",
        str(LIMIT),
        "--uploads-per-minute",
        "1000",
        guests=False,
    ) as running:
        yield running


# --- sending ----------------------------------------------------------------------


def transfer(page: Page, files: list[dict[str, str]]) -> JSHandle:
    return page.evaluate_handle(DATA_TRANSFER, files)


def attach_by_button(page: Page, name: str, content_type: str, data: bytes) -> None:
    """Press 📎 and choose the file in the browser's file chooser."""
    with page.expect_file_chooser() as chooser:
        page.get_by_role("button", name="Attach files").click()
    chooser.value.set_files({"name": name, "mimeType": content_type, "buffer": data})


def drop(page: Page, files: list[dict[str, str]]) -> None:
    """Drag files over the conversation (the drop zone shows), then drop them."""
    carried = transfer(page, files)
    page.dispatch_event("#scroller", "dragenter", {"dataTransfer": carried})
    expect(page.locator("#drop-zone")).to_be_visible()
    page.dispatch_event("#scroller", "drop", {"dataTransfer": carried})
    expect(page.locator("#drop-zone")).to_be_hidden()


def paste(page: Page, files: list[dict[str, str]]) -> None:
    """Paste files into the message box, as from the clipboard."""
    carried = transfer(page, files)
    page.locator("#text").focus()
    page.evaluate(
        """(data) => document.querySelector("#text").dispatchEvent(
             new ClipboardEvent("paste", {clipboardData: data, bubbles: true, cancelable: true}))""",
        carried,
    )


def send(page: Page, caption: str = "") -> None:
    """Type the caption (if any) and press Enter: the files in the tray go."""
    page.locator("#text").fill(caption)
    page.locator("#text").press("Enter")


def tray(page: Page) -> Locator:
    return page.locator("#attachments .attachment")


def image_size(page: Page, selector: str) -> Any:
    return page.eval_on_selector(selector, "i => ({w: i.naturalWidth, h: i.naturalHeight, done: i.complete})")


# --- sending and seeing ------------------------------------------------------------


def test_a_picture_sent_with_the_button_shows_inline_and_opens_full_size(
    server: ServerProcess, pages: Pages
) -> None:
    """Ann attaches a photo with 📎 and a caption; before sending she sees its name, size and a preview;
    Bob sees the thumbnail at its final size before it loads, the caption, and the full picture in the
    lightbox."""
    open_room(server, "photos")
    ann = open_as(pages, server, "ann", "photos")
    bob = open_as(pages, server, "bob", "photos")
    attach_by_button(ann, "sunset at sea.png", "image/png", picture())
    staged = tray(ann)
    expect(staged).to_have_count(1)
    expect(staged.locator(".attachment-name")).to_have_text("sunset at sea.png")
    expect(staged.locator(".attachment-size")).to_contain_text("KB")
    assert image_size(ann, "#attachments .attachment-preview")["w"] == 1200
    send(ann, "the view from the **boat**")
    expect(tray(ann)).to_have_count(0)
    expect(ann.locator("#text")).to_have_value("")
    item = bob.locator("#messages .msg").last
    expect(item.locator(".text strong")).to_have_text("boat")
    thumbnail = item.locator(".file-picture img")
    expect(thumbnail).to_have_attribute("alt", "sunset at sea.png")
    # Laid out at 360 x 240 from the frame's width and height, whether or not it has loaded.
    assert (thumbnail.get_attribute("width"), thumbnail.get_attribute("height")) == ("360", "240")
    # A signed link, never the page's token: an <img> sends no header.
    expect(thumbnail).to_have_attribute("src", SIGNED_THUMB)
    bob.wait_for_function(
        "() => document.querySelector('#messages .msg:last-child .file-picture img').naturalWidth > 0"
    )
    thumbnail.click()
    full = bob.locator("#lightbox img")
    expect(full).to_be_visible()
    bob.wait_for_function("() => document.querySelector('#lightbox img').naturalWidth === 1200")
    expect(bob.locator("#lightbox-name")).to_have_text("sunset at sea.png")
    bob.keyboard.press("Escape")
    expect(full).to_be_hidden()


def test_dropped_files_go_one_message_each_in_order(server: ServerProcess, pages: Pages) -> None:
    """Ann drops a video and a sound at once: two messages, in the order dropped, in the browser's players."""
    open_room(server, "clips")
    ann = open_as(pages, server, "ann", "clips")
    bob = open_as(pages, server, "bob", "clips")
    drop(ann, [payload("boat.webm", "video/webm", video(ann)), payload("horn.wav", "audio/wav", tone())])
    expect(tray(ann).locator(".attachment-name")).to_have_text(["boat.webm", "horn.wav"])
    send(ann, "both from today")
    expect(bob.locator("#messages .msg .file")).to_have_count(2)
    first, second = bob.locator("#messages .msg").nth(-2), bob.locator("#messages .msg").last
    expect(first.locator(".text")).to_have_text("both from today")
    player = first.locator(".file-video video")
    expect(player).to_have_attribute("controls", "")
    expect(player).to_have_attribute("preload", "metadata")
    expect(first.locator(".file-about .file-name")).to_have_text("boat.webm")
    expect(second.locator(".text")).to_have_text("")
    audio = second.locator(".file-audio audio")
    expect(audio).to_have_attribute("src", re.compile(f"^/files/{file_id(second)}/horn.wav\\?account="))
    bob.wait_for_function("() => document.querySelector('#messages .file-video video').readyState >= 1")


def file_id(item: Locator) -> str:
    """The id of the message's file, once its link is in."""
    name = item.locator(".file a.file-name")
    expect(name).to_have_attribute("href", re.compile("^/files/"))
    href = name.get_attribute("href") or ""
    return href.split("/")[2]


def test_a_pasted_file_shows_as_a_card_with_its_name_and_size(server: ServerProcess, pages: Pages) -> None:
    """Ann pastes a PDF: Bob sees a card with its name, size and download link; a reply quotes "📎 name"."""
    open_room(server, "papers")
    ann = open_as(pages, server, "ann", "papers")
    bob = open_as(pages, server, "bob", "papers")
    paste(ann, [payload("minutes – Q3.pdf", "application/pdf", PDF)])
    expect(tray(ann).locator(".attachment-name")).to_have_text("minutes – Q3.pdf")
    send(ann)
    card = bob.locator("#messages .msg .file-card")
    expect(card.locator(".file-name")).to_have_text("minutes – Q3.pdf")
    expect(card.locator(".file-size")).to_have_text("20 KB · PDF")
    link = card.locator("a.file-download")
    expect(link).to_have_attribute("download", "minutes – Q3.pdf")
    expect(link).to_have_attribute(
        "href", re.compile(r"/minutes%20%E2%80%93%20Q3\.pdf\?account=\d+&exp=\d+&link=")
    )
    href = link.get_attribute("href") or ""
    status = bob.evaluate("async (url) => (await fetch(url)).status", href)
    assert status == 200
    act(bob, bob.locator("#messages .msg").last, "Reply")
    expect(bob.locator("#reply-bar .quote-text")).to_have_text("📎 minutes – Q3.pdf")
    bob.locator("#text").fill("read it, thanks")
    bob.locator("#text").press("Enter")
    expect(ann.locator("#messages .msg").last.locator(".reply-quote .quote-text")).to_have_text(
        "📎 minutes – Q3.pdf"
    )


# --- progress, cancel, refusals ----------------------------------------------------


def test_a_large_upload_shows_its_progress_and_can_be_cancelled(server: ServerProcess, pages: Pages) -> None:
    """A large file shows its progress bar; cancelled, the browser drops its request; sent again, the bar
    fills. (That the server keeps nothing of a request dropped on its way: tests/test_uploads.py.)"""
    open_room(server, "big")
    ann = open_as(pages, server, "ann", "big")
    bob = open_as(pages, server, "bob", "big")
    held: list[Route] = []
    upload = re.compile(r"/api/rooms/big/files\?")
    ann.route(upload, lambda route: held.append(route))  # the request waits, as on a slow line
    dropped: list[str | None] = []
    ann.on(
        "requestfailed",
        lambda request: dropped.append(request.failure) if upload.search(request.url) else None,
    )
    big = os.urandom(LIMIT - 4096)
    attach_by_button(ann, "archive.bin", "application/octet-stream", big)
    send(ann)
    bar = tray(ann).locator("progress")
    expect(bar).to_be_visible()
    expect(tray(ann).locator(".attachment-state")).to_contain_text("Sending")
    # The browser hands the request to the route a moment after the bar shows: cancel it once held.
    wait_for(ann, lambda: bool(held))
    ann.get_by_role("button", name="Cancel sending archive.bin").click()
    expect(tray(ann)).to_have_count(0)
    wait_for(ann, lambda: bool(dropped))
    assert dropped == ["net::ERR_ABORTED"]
    # Playwright would carry a held request on once unrouted, though the page dropped it: the line is gone.
    held[0].abort()
    ann.unroute(upload)
    ann.evaluate(
        """() => {
          window.__progress = [];
          new MutationObserver(() => {
            const bar = document.querySelector("#attachments progress");
            if (bar && !bar.hidden && bar.hasAttribute("value")) window.__progress.push(bar.value);
          }).observe(document.querySelector("#attachments"), {subtree: true, attributes: true});
        }"""
    )
    # Chromium reports an upload's progress a few times a second: over loopback a fast machine
    # sends the whole file before the first report, so this upload goes over a slower line.
    slow_uploads(ann, bytes_per_second=2 * 1024 * 1024)
    attach_by_button(ann, "archive.bin", "application/octet-stream", big)
    send(ann)
    expect(bob.locator("#messages .msg .file-card .file-name")).to_have_text("archive.bin")
    progress = ann.evaluate("window.__progress")
    assert len(progress) > 1 and progress == sorted(progress)  # the bar filled, step by step
    assert bob.locator("#messages .msg .file").count() == 1  # the cancelled one never arrived


def slow_uploads(page: Page, bytes_per_second: int) -> None:
    """The page's requests go up at most ``bytes_per_second`` (Chromium's network emulation)."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send(
        "Network.emulateNetworkConditions",
        {"offline": False, "latency": 0, "downloadThroughput": -1, "uploadThroughput": bytes_per_second},
    )


def test_a_file_over_the_limit_is_refused_in_words(server: ServerProcess, pages: Pages) -> None:
    """A file over the server's limit stays in the tray with the limit said; removed, the tray is empty."""
    open_room(server, "limits")
    ann = open_as(pages, server, "ann", "limits")
    attach_by_button(ann, "film.webm", "video/webm", b"\x1a\x45\xdf\xa3" + bytes(LIMIT + 10))
    send(ann, "too big?")
    state = tray(ann).locator(".attachment-state")
    expect(state).to_have_text("Too large: this server takes files up to 4 MB.")
    expect(ann.locator("#text")).to_have_value("too big?")  # the caption waits in the box
    ann.get_by_role("button", name="Remove film.webm").click()
    expect(tray(ann)).to_have_count(0)
    # The page knows the limit from the server and says so at once; the server's own refusal says the same.
    ann.evaluate("delete document.body.dataset.maxUpload")
    attach_by_button(ann, "film.webm", "video/webm", b"\x1a\x45\xdf\xa3" + bytes(LIMIT + 10))
    expect(state).to_have_text("")
    send(ann, "too big?")
    expect(state).to_have_text("Too large: this server takes files up to 4 MB.")
    expect(ann.locator("#messages .msg")).to_have_count(0)


def test_deleting_a_message_removes_its_file_for_everyone(server: ServerProcess, pages: Pages) -> None:
    """Ann deletes her picture's message: for Bob it is "message deleted", and its address finds nothing."""
    open_room(server, "oops")
    ann = open_as(pages, server, "ann", "oops")
    bob = open_as(pages, server, "bob", "oops")
    attach_by_button(ann, "wrong.png", "image/png", picture(400, 300, "#8a2be2"))
    send(ann)
    thumbnail = bob.locator("#messages .msg .file-picture img")
    expect(thumbnail).to_have_attribute("src", re.compile(r"^/files/.+\?account=\d+&exp=\d+&link="))
    src = thumbnail.get_attribute("src") or ""
    act(ann, ann.locator("#messages .msg").last, "Delete")
    ann.get_by_role("button", name="Delete for everyone").click()
    expect(bob.locator("#messages .msg .tombstone")).to_have_text("message deleted")
    expect(bob.locator("#messages .msg .file")).to_have_count(0)
    assert bob.evaluate("async (url) => (await fetch(url, {cache: 'no-store'})).status", src) == 404
    bob.reload()
    expect_online(bob)
    expect(bob.locator("#messages .msg .tombstone")).to_have_text("message deleted")
    expect(bob.locator("#messages .msg .file")).to_have_count(0)


def test_a_token_signed_page_shows_files_through_links_that_never_carry_its_token(
    server: ServerProcess, pages: Pages
) -> None:
    """Bob's page, signed in with a token, shows Ann's picture, its full size and a download, renews
    its links before they lapse, and none of the addresses it asks for carries ``token=``."""
    open_room(server, "signed")
    ann = open_as(pages, server, "ann", "signed")
    bob = pages.open(f"{server.url}/?room=signed&token={token_for('bob')}", fake_clock=True)
    requested: list[str] = []
    bob.on("request", lambda request: requested.append(request.url))
    expect_online(bob)
    attach_by_button(ann, "pier.png", "image/png", picture(800, 600, "#1565c0"))
    paste(ann, [payload("timetable.pdf", "application/pdf", PDF)])
    send(ann, "the pier, and the timetable")
    item = bob.locator("#messages .msg").filter(has=bob.locator(".file-picture")).last
    expect(item.locator(".file-picture img")).to_have_attribute("src", SIGNED_THUMB)
    bob.wait_for_function("() => document.querySelector('.file-picture img').naturalWidth > 0")
    item.locator(".file-picture img").click()
    bob.wait_for_function("() => document.querySelector('#lightbox img').naturalWidth === 800")
    bob.keyboard.press("Escape")
    download = bob.locator("#messages .file-card a.file-download")
    expect(download).to_have_attribute("href", re.compile(r"/timetable\.pdf\?account=\d+&exp=\d+&link="))
    with bob.expect_request(lambda request: "/api/file-links" in request.url):
        bob.clock.run_for("01:09:00")  # the links lapse within 70 minutes: the page asks for fresh ones first
    href = download.get_attribute("href") or ""
    assert bob.evaluate("async (url) => (await fetch(url)).status", href) == 200
    files = [url for url in requested if "/files/" in url]
    assert any("/thumb?" in url for url in files) and any("/pier.png?" in url for url in files)
    assert not [url for url in requested if "/files/" in url and "token=" in url]


def test_a_player_whose_link_fails_gets_a_fresh_one_and_loads_again(
    server: ServerProcess, pages: Pages
) -> None:
    """Bob's player loses its file (as when its link lapses in a long video): the page asks for a fresh
    link and the player loads again, without an error left on it."""
    open_room(server, "reels")
    ann = open_as(pages, server, "ann", "reels")
    bob = pages.open(f"{server.url}/?room=reels&token={token_for('bob')}", fake_clock=True)
    expect_online(bob)
    drop(ann, [payload("boat.webm", "video/webm", video(ann))])
    send(ann)
    player = "document.querySelector('#messages .file-video video')"
    expect(bob.locator("#messages .file-video video")).to_have_attribute(
        "src", re.compile(r"/boat\.webm\?account=")
    )
    bob.wait_for_function(f"() => {player}.readyState >= 1")
    refused: list[str] = []
    renewed: list[str] = []
    bob.on(
        "request", lambda request: renewed.append(request.url) if "/api/file-links" in request.url else None
    )

    def refuse_until_renewed(route: Route) -> None:
        if renewed:
            route.continue_()
        else:
            refused.append(route.request.url)
            route.fulfill(status=404, body="")

    bob.route(re.compile(r"/files/[^/]+/boat\.webm\?"), refuse_until_renewed)
    bob.clock.run_for("00:30")  # the link is not brand new: a failure may ask for another
    bob.evaluate(f"{player}.load()")
    bob.wait_for_function(f"() => {player}.readyState >= 1 && !{player}.error")
    assert refused and renewed


def test_a_guest_is_offered_no_files(tmp_path: Path, pages: Pages) -> None:
    """A guest's page has no 📎 button, and a file pasted there is not taken: it says to sign in."""
    with ServerProcess(tmp_path / "chat.db") as server:
        guest = pages.join(server.url, "lobby", "visitor")
        # The page asks whether it speaks for an account once in (account_actions.js): after that answer.
        with guest.expect_response(lambda response: "/api/accounts" in response.url):
            guest.reload()
        expect_online(guest)
        guest.wait_for_timeout(200)
        assert guest.get_by_role("button", name="Attach files").is_hidden()
        paste(guest, [payload("notes.pdf", "application/pdf", PDF)])
        expect(guest.locator("#send-error")).to_have_text("Sign in with an account to send files.")
        expect(tray(guest)).to_have_count(0)


# --- profile pictures --------------------------------------------------------------


def test_a_profile_picture_shows_for_everyone_and_initials_stay_without_one(
    tmp_path: Path, pages: Pages
) -> None:
    """Signed in with a password (the session cookie), Ann sets a picture in her menu and sends a photo; Bob's
    page shows her picture beside her messages, asks for it once, and keeps Carl's initials (he has none)
    without a broken image nor asking for his; removed, her initials are back."""
    with ServerProcess(tmp_path / "chat.db", guests=False) as server:
        admin, join_link = set_up(server, "ann")
        people = {"ann": admin} | {name: join(server, join_link, name) for name in ("bob", "carl")}
        ann = signed_in(pages, people["ann"], f"{server.url}/?room=lobby")
        ann.locator("#me").click()
        with ann.expect_file_chooser() as chooser:
            ann.get_by_role("button", name="Upload a picture").click()
        chooser.value.set_files({"name": "notes.pdf", "mimeType": "image/png", "buffer": PDF})
        expect(ann.locator("#account-note")).to_have_text(
            "“notes.pdf” is not a picture: use a JPEG, PNG, WebP or GIF."
        )
        expect(ann.locator("#me-avatar .avatar-picture")).to_have_count(0)
        with ann.expect_file_chooser() as chooser:
            ann.get_by_role("button", name="Upload a picture").click()
        chooser.value.set_files(
            {"name": "me.png", "mimeType": "image/png", "buffer": picture(600, 400, "#c2185b")}
        )
        expect(ann.locator("#account-note")).to_have_text("Your new picture is set.")
        expect(ann.locator("#me-avatar .avatar-picture")).to_be_visible()
        ann.locator("#account-close").click()
        carl = signed_in(pages, people["carl"], f"{server.url}/?room=lobby")
        say(ann, "hello from ann")
        attach_by_button(ann, "garden.png", "image/png", picture(640, 480, "#2e7d32"))
        send(ann, "and the garden")
        expect(tray(ann)).to_have_count(0)
        say(carl, "carl here")
        bob = signed_in(pages, people["bob"], f"{server.url}/?room=lobby")
        expect(bob.locator("#users img.avatar-picture")).to_be_visible()  # this first load is done with it
        asked: list[str] = []  # the pictures Bob's page asks for, from its next load on
        bob.on(
            "request",
            lambda request: (
                asked.append(request.url.split("/avatars/")[1]) if "/avatars/" in request.url else None
            ),
        )
        bob.reload()
        expect(bob.locator("#messages .msg")).to_have_count(3)
        bob.wait_for_function("() => document.querySelector('.file-picture img').naturalWidth > 0")
        ann_avatar = bob.locator('#messages .msg[data-nick="ann"] .avatar').first
        expect(ann_avatar.locator("img.avatar-picture")).to_be_visible()
        bob.wait_for_function(
            "() => [...document.querySelectorAll('img.avatar-picture')].every((i) => i.naturalWidth > 0)"
        )
        assert bob.locator("img.avatar-picture").count() == 3  # her two messages, and the list of people
        carl_avatar = bob.locator('#messages .msg[data-nick="carl"] .avatar')
        expect(carl_avatar).to_have_text("C")
        expect(carl_avatar.locator("img")).to_have_count(0)
        # Hers alone, once, however many avatars show her: the page knows who has none.
        assert [address.split("?v=")[0] for address in asked] == ["ann"]
        out = Path(os.environ.get("CHATROOM_SCREENSHOT_DIR", tmp_path))
        screenshot(bob, out / "screenshot-files-avatars-light.png")
        ann.locator("#me").click()
        screenshot(ann, out / "screenshot-files-profile-picture-light.png")
        ann.get_by_role("button", name="Remove").click()
        expect(ann.locator("#account-note")).to_contain_text("Your picture is removed")
        expect(ann.locator("#me-avatar .avatar-picture")).to_have_count(0)
        expect(ann.locator("#me-avatar")).to_have_text("A")


def test_a_new_profile_picture_shows_at_once_on_the_others_open_pages(tmp_path: Path, pages: Pages) -> None:
    """Maya's page shows Ben's initials; Ben sets a picture, then another, then removes it: each time, without
    a reload, Maya's page shows it beside his message and in the list of who is online, as does the chip on
    Ben's other device; removed, his initials are back. No page asked for a picture that was not there."""
    with ServerProcess(tmp_path / "chat.db", guests=False) as server:
        admin, join_link = set_up(server, "maya")
        people = {"maya": admin, "ben": join(server, join_link, "ben")}
        ben = signed_in(pages, people["ben"], f"{server.url}/?room=lobby")
        say(ben, "morning")
        maya = signed_in(pages, people["maya"], f"{server.url}/?room=lobby")
        phone = signed_in(pages, people["ben"], f"{server.url}/?room=lobby", viewport=SCREENSHOT_PHONE)
        missing: list[str] = []
        for page in (maya, phone):
            page.evaluate("window.stillThisPage = true")
            page.on(
                "response", lambda response: missing.append(response.url) if response.status == 404 else None
            )
        beside = maya.locator('#messages .msg[data-nick="ben"] .avatar')
        listed = maya.locator("#users li").filter(has_text="ben").locator(".avatar")
        chip = phone.locator("#me-avatar")
        for avatar in (beside, listed, chip):
            expect(avatar).to_have_text("B")
        out = Path(os.environ.get("CHATROOM_SCREENSHOT_DIR", tmp_path))
        for colour in ("#c2185b", "#1565c0"):
            set_picture(ben, colour)
            for avatar in (beside, listed, chip):
                expect_picture(avatar, colour)
            screenshot(maya, out / f"screenshot-files-avatar-live-{colour[1:]}-light.png")
        ben.locator("#me").click()
        ben.get_by_role("button", name="Remove").click()
        expect(ben.locator("#account-note")).to_contain_text("Your picture is removed")
        for avatar in (beside, listed, chip):
            expect(avatar.locator("img")).to_have_count(0)
            expect(avatar).to_have_text("B")
        screenshot(maya, out / "screenshot-files-avatar-live-removed-light.png")
        assert (
            maya.evaluate("window.stillThisPage") is True and phone.evaluate("window.stillThisPage") is True
        )
        assert missing == []


def set_picture(page: Page, colour: str) -> None:
    """In the account menu, upload a picture of ``colour`` as one's profile picture."""
    page.locator("#me").click()
    with page.expect_file_chooser() as chooser:
        page.get_by_role("button", name="Upload a picture").click()
    chooser.value.set_files({"name": "me.png", "mimeType": "image/png", "buffer": picture(300, 300, colour)})
    expect(page.locator("#account-note")).to_have_text("Your new picture is set.")
    page.locator("#account-close").click()


def expect_picture(avatar: Locator, colour: str, wait: float = 10.0) -> None:
    """Wait until ``avatar`` shows a picture of ``colour`` (its sky, near enough: JPEG moves it a little)."""
    wanted = [int(colour[i : i + 2], 16) for i in (1, 3, 5)]
    deadline = time.monotonic() + wait
    shown: list[int] = []
    while time.monotonic() < deadline:
        image = avatar.locator("img.avatar-picture")
        if image.count() == 1:
            try:
                shown = image.evaluate(PIXEL)
            except PlaywrightError as error:
                # The page put a newer picture in while this one was being decoded: look again.
                if "cannot be decoded" not in error.message:
                    raise
                shown = []
            if shown and all(abs(got - want) < 16 for got, want in zip(shown, wanted, strict=True)):
                return
        avatar.page.wait_for_timeout(100)
    raise AssertionError(f"the avatar shows {shown or 'its initials'}, not {colour}")


# The colour near the top left corner of a picture (its sky), once decoded: [red, green, blue].
PIXEL = """
async (image) => {
  await image.decode();
  const canvas = document.createElement("canvas");
  canvas.width = canvas.height = 1;
  const context = canvas.getContext("2d");
  context.drawImage(image, image.naturalWidth / 10, image.naturalHeight / 10, 1, 1, 0, 0, 1, 1);
  return [...context.getImageData(0, 0, 1, 1).data.slice(0, 3)];
}
"""


# --- how it looks ---------------------------------------------------------------------


def test_screenshots(server: ServerProcess, pages: Pages, tmp_path: Path) -> None:
    """A conversation with a picture, a video, a sound and a file card, desktop and phone, light and dark."""
    out = Path(os.environ.get("CHATROOM_SCREENSHOT_DIR", tmp_path))
    out.mkdir(parents=True, exist_ok=True)
    open_room(server, "trip")
    ann = open_as(pages, server, "ann", "trip")
    drop(
        ann,
        [
            payload("harbour.png", "image/png", picture()),
            payload("ferry.webm", "video/webm", video(ann)),
            payload("route plan.pdf", "application/pdf", PDF),
        ],
    )
    send(ann, "Photos from the trip, and the plan for next time")
    expect(ann.locator("#messages .msg .file")).to_have_count(3)
    attach_by_button(ann, "foghorn.wav", "audio/wav", tone())
    for scheme in ("light", "dark"):
        desktop = open_as(pages, server, "bob", "trip", color_scheme=scheme)
        expect(desktop.locator("#messages .msg .file")).to_have_count(3)
        desktop.wait_for_function("() => document.querySelector('.file-picture img').naturalWidth > 0")
        desktop.wait_for_function("() => document.querySelector('.file-video video').readyState === 4")
        desktop.wait_for_timeout(1000)  # the player's loading circle fades out
        screenshot(desktop, out / f"screenshot-files-desktop-{scheme}.png")
        phone = open_as(pages, server, "bob", "trip", viewport=SCREENSHOT_PHONE, color_scheme=scheme)
        expect(phone.locator("#messages .msg .file")).to_have_count(3)
        phone.wait_for_function("() => document.querySelector('.file-picture img').naturalWidth > 0")
        phone.wait_for_function("() => document.querySelector('.file-video video').readyState === 4")
        phone.wait_for_timeout(1000)  # the player's loading circle fades out
        screenshot(phone, out / f"screenshot-files-phone-{scheme}.png")
        assert phone.evaluate("document.documentElement.scrollWidth") <= SCREENSHOT_PHONE["width"]
    screenshot(ann, out / "screenshot-files-tray-light.png")
