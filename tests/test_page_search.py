"""Searching messages on the page (static/js/search.js) in Debian's Chromium.

People sign in with tokens on a real ``python -m chatroom`` without guests:
the search dialog finds messages with their words marked, and a result opens
its room at the message, in the same room or another.
"""

from __future__ import annotations

import os
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests import test_page
from tests.support import NO_PROXY, ServerProcess, call_api
from tests.test_page import JWT_SECRET, SCREENSHOT_PHONE, Pages, say, token_for
from tests.test_page_rooms import open_as

browser = test_page.browser
pages = test_page.pages


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """Accounts only, signed in with tokens; a rate that lets a test type its thirty fillers as fast as the
    page sends them (at the default, a fast machine hits it and the box keeps the text, as it should)."""
    db = tmp_path_factory.mktemp("search-page") / "chat.db"
    limits = ("--rate", "100", "--burst", "100")
    with ServerProcess(db, "--jwt-secret", JWT_SECRET, *limits, guests=False) as running:
        yield running


def open_new_room(pages: Pages, server: ServerProcess, name: str, room: str) -> Page:
    """An open room that ``name`` makes over the API, then opens on the page."""
    token = f"Bearer {token_for(name)}"
    status, body = call_api(server, "POST", "/api/rooms", {"room": room, "kind": "open"}, token)
    assert status == 201, body
    return open_as(pages, server, name, room=room)


def upload(
    server: ServerProcess, name: str, room: str, file_name: str, data: bytes, caption: str = ""
) -> None:
    """``name`` sends a file to ``room`` over the API, with ``caption`` if any."""
    query = urllib.parse.urlencode({"name": file_name, **({"text": caption} if caption else {})})
    request = urllib.request.Request(f"{server.url}/api/rooms/{room}/files?{query}", data=data, method="POST")
    request.add_header("Authorization", f"Bearer {token_for(name)}")
    with NO_PROXY.open(request, timeout=10) as response:
        assert response.status == 200


def search(page: Page, words: str, here: bool = False) -> None:
    """Open the search dialog and search for ``words``."""
    page.get_by_role("button", name="Search messages").click()
    dialog = page.get_by_role("dialog", name="Search messages")
    dialog.get_by_label("Words to find").fill(words)
    dialog.get_by_label("Only this room").set_checked(here)
    dialog.get_by_role("button", name="Search", exact=True).click()


def test_a_result_marks_the_words_and_opens_its_message(server: ServerProcess, pages: Pages) -> None:
    """Results show room, author and the words marked (as text); clicking one shows the message."""
    ann = open_new_room(pages, server, "ann", "garden")
    say(ann, "The <b>Café</b> opens at nine")
    for n in range(30):
        say(ann, f"filler {n}")
    search(ann, "cafe")
    result = ann.locator(".search-result")
    expect(result).to_have_count(1)
    expect(result.locator(".search-room")).to_have_text("#garden")
    expect(result.locator("mark")).to_have_text(["Café"])
    expect(result.locator(".search-snippet")).to_have_text("The <b>Café</b> opens at nine")
    expect(ann.locator("#search-note")).to_have_text("1 message found.")  # a live region: heard, too
    dialog = ann.get_by_role("dialog", name="Search messages")
    dialog.get_by_label("Words to find").fill("filler")
    dialog.get_by_role("button", name="Search", exact=True).click()
    more_below = '20 messages shown; "More results" below brings older ones.'
    expect(ann.locator("#search-note")).to_have_text(more_below)
    ann.get_by_role("button", name="More results").click()
    expect(ann.locator("#search-note")).to_have_text("30 messages found.")
    dialog.get_by_label("Words to find").fill("cafe")
    dialog.get_by_role("button", name="Search", exact=True).click()
    expect(result).to_have_count(1)
    result.click()
    expect(ann.get_by_role("dialog", name="Search messages")).to_be_hidden()
    expect(ann.locator(".msg.highlight")).to_contain_text("The <b>Café</b> opens at nine")


def test_a_result_in_another_room_opens_that_room_at_it(server: ServerProcess, pages: Pages) -> None:
    """A result of another room loads that room, scrolled to the message and highlighted."""
    bob = open_new_room(pages, server, "bob", "orchard")
    say(bob, "apples are ripe 聊天室")
    bob = open_as(pages, server, "bob", room="lobby")
    search(bob, "聊天室")
    expect(bob.locator(".search-result .search-room")).to_have_text(["#orchard"])
    bob.locator(".search-result").click()
    expect(bob).to_have_url(f"{server.url}/?room=orchard#m-1")
    expect(bob.locator(".msg.highlight")).to_contain_text("apples are ripe")


def test_only_this_room_and_nothing_found(server: ServerProcess, pages: Pages) -> None:
    """'Only this room' keeps other rooms out; a search with no result says so."""
    cy = open_new_room(pages, server, "cy", "shed")
    say(cy, "spade and rake")
    cy = open_new_room(pages, server, "cy", "porch")
    search(cy, "spade", here=True)
    expect(cy.locator("#search-note")).to_have_text("No message holds those words.")
    expect(cy.locator(".search-result")).to_have_count(0)
    cy.get_by_label("Only this room").uncheck()
    cy.get_by_role("button", name="Search", exact=True).click()
    expect(cy.locator(".search-result")).to_have_count(1)


def test_a_file_found_by_its_name_shows_the_file(server: ServerProcess, pages: Pages) -> None:
    """A file sent without a caption is found by its name, which the result shows; a caption shows too."""
    eli = open_new_room(pages, server, "eli", "attic")
    upload(server, "eli", "attic", "budget-2026.txt", b"numbers\n")
    upload(server, "eli", "attic", "budget-plan.pdf", b"%PDF-1.4\n", caption="the plan for next year")
    search(eli, "budget")
    results = eli.locator(".search-result")
    expect(results).to_have_count(2)
    expect(results.locator(".search-file-name")).to_have_text(["📎 budget-plan.pdf", "📎 budget-2026.txt"])
    expect(results.first.locator(".search-snippet")).to_have_text("the plan for next year")
    expect(results.nth(1).locator(".search-snippet")).to_have_count(0)
    results.nth(1).click()
    expect(eli.locator(".msg.highlight .file")).to_contain_text("budget-2026.txt")


def test_a_direct_room_is_named_by_the_people_in_it(server: ServerProcess, pages: Pages) -> None:
    """A result in a direct conversation shows who it is with, as the rooms list does, never its id."""
    gil = open_as(pages, server, "gil")
    fern_token = f"Bearer {token_for('fern')}"
    status, entry = call_api(server, "POST", "/api/direct", {"members": ["gil"]}, fern_token)
    assert status == 201, entry
    fern = open_as(pages, server, "fern", room=entry["room"])
    say(fern, "the secret recipe is saffron")
    # gil's list shows only what starts with "lobby": the result's room is asked for on its own.
    gil.locator("#room-search").fill("lobby")
    expect(gil.locator("#rooms .room-link bdi")).to_have_text(["#lobby"])
    search(gil, "saffron")
    expect(gil.locator(".search-result .search-room")).to_have_text(["fern"])
    gil.get_by_role("dialog", name="Search messages").get_by_role("button", name="Close").click()
    gil.locator("#room-search").fill("")
    for page, other in ((fern, "gil"), (gil, "fern")):
        search(page, "saffron")
        expect(page.locator(".search-result .search-room")).to_have_text([other])
        expect(page.locator("#rooms .room-group[data-kind=direct] .room-link bdi")).to_have_text([other])


def test_screenshots(server: ServerProcess, pages: Pages, tmp_path: Path) -> None:
    """The search dialog with results, desktop and phone, light and dark."""
    out = Path(os.environ.get("CHATROOM_SCREENSHOT_DIR", tmp_path))
    out.mkdir(parents=True, exist_ok=True)
    dee = open_new_room(pages, server, "dee", "kitchen")
    for text in (
        "Recipe: crème brûlée for Friday",
        "Who brings the crème fraîche?",
        "使用 responder 实现多人在线聊天室",
    ):
        say(dee, text)
    for scheme in ("light", "dark"):
        for name, viewport in (("desktop", None), ("phone", SCREENSHOT_PHONE)):
            options = {"color_scheme": scheme, **({"viewport": viewport} if viewport else {})}
            page = open_as(pages, server, "dee", room="kitchen", **options)
            search(page, "creme")
            expect(page.locator(".search-result")).to_have_count(2)
            page.screenshot(path=str(out / f"screenshot-search-{name}-{scheme}.png"))
