"""A room where only its owner and administrators post, on the page (static/js/room_voice.js) in Chromium.

A teacher makes an announcements room in the "New room" dialog; a student
reads it, reacts, and finds a line where the message box was; the teacher
opens it to everyone's messages in Room settings and closes it again, and the
student's open page follows each time at once.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, Route, expect

from tests.support import ServerProcess, call_api
from tests.test_page import JWT_SECRET, Pages, expect_online, say, token_for
from tests.test_page_rooms import open_as

ONLY_MANAGERS = "Only the room's owner and administrators post here"
CHOICE = "Only its owner and administrators post (the others read and react)"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """Accounts only, signed in with tokens."""
    db = tmp_path_factory.mktemp("posting-page") / "chat.db"
    with ServerProcess(db, "--jwt-secret", JWT_SECRET, guests=False) as running:
        yield running


def message_actions(page: Page, count: int) -> list[str]:
    """Hover the last message: the names of its toolbar's ``count`` buttons."""
    page.locator("#messages .msg").last.hover()
    actions = page.locator(".msg-actions .msg-action")
    expect(actions).to_have_count(count)
    return [str(action.get_attribute("aria-label")) for action in actions.all()]


def expect_listening(page: Page) -> None:
    """The message box gave way to the line, and the header marks the room."""
    expect(page.locator("#composer")).to_be_hidden()
    expect(page.locator("#composer-note")).to_have_text(ONLY_MANAGERS)
    expect(page.locator("#room-announce")).to_be_visible()


def test_a_teacher_announces_and_a_student_reads_and_reacts(server: ServerProcess, pages: Pages) -> None:
    """tess makes #announcements for herself alone to post in: sam reads, reacts, deletes his own
    earlier word, writes nothing new until tess lets everyone post, and the rule holds live both ways."""
    tess = open_as(pages, server, "tess")
    tess.get_by_role("button", name="+ New room").click()
    dialog = tess.get_by_role("dialog", name="New room")
    dialog.get_by_label("Name").fill("announcements")
    dialog.get_by_label(CHOICE).check()
    dialog.get_by_role("button", name="Create room").click()
    tess.wait_for_url("**/?room=announcements")
    expect_online(tess)
    expect(tess.locator("#room-announce")).to_be_visible()
    expect(tess.locator("#composer-note")).to_be_hidden()
    say(tess, "Exam on Monday")

    sam = open_as(pages, server, "sam", room="announcements")
    expect(sam.locator("#messages .msg .text")).to_have_text(["Exam on Monday"])
    expect_listening(sam)
    assert message_actions(sam, 2) == ["React", "More actions"]
    sam.get_by_role("button", name="React").click()
    sam.locator(".quick-reaction").first.click()
    expect(tess.locator("#messages .reaction")).to_have_count(1)
    sam.get_by_role("button", name="Room settings").click()
    expect(sam.get_by_role("dialog", name="Room settings").get_by_label(CHOICE)).to_be_hidden()
    sam.get_by_role("dialog", name="Room settings").get_by_role("button", name="Close").click()

    tess.get_by_role("button", name="Room settings").click()
    settings = tess.get_by_role("dialog", name="Room settings")
    expect(settings.get_by_label(CHOICE)).to_be_checked()
    settings.get_by_label(CHOICE).uncheck()
    expect(sam.locator("#composer")).to_be_visible()
    expect(sam.locator("#room-announce")).to_be_hidden()
    say(sam, "Which chapters?")
    expect(tess.locator("#messages .msg .text")).to_have_text(["Exam on Monday", "Which chapters?"])

    settings.get_by_label(CHOICE).check()
    expect_listening(sam)
    assert message_actions(sam, 3) == ["React", "Delete", "More actions"]
    sam.get_by_role("button", name="Delete", exact=True).click()
    sam.get_by_role("button", name="Delete for everyone").click()
    expect(tess.locator("#messages .msg.deleted")).to_have_count(1)
    expect(tess.locator("#composer")).to_be_visible()


def test_the_owners_box_opens_once_the_page_knows_it_speaks_for_an_account(
    server: ServerProcess, pages: Pages
) -> None:
    """The room's entry may come before the page knows it is an account's: the owner's box stays closed
    until then, and opens after (it stayed closed for good when the entry came first)."""
    status, body = call_api(
        server, "POST", "/api/rooms", {"room": "notices", "posting": "managers"}, f"Bearer {token_for('uma')}"
    )
    assert status == 201, body
    uma = pages.open("about:blank")
    held: list[Route] = []
    probe = re.compile(r"/api/accounts\?prefix=uma&limit=1$")  # does the server know this page's person?
    uma.route(probe, lambda route: held.append(route))
    uma.goto(f"{server.url}/?room=notices&token={token_for('uma')}")
    expect_online(uma)
    expect(uma.locator("#room-announce")).to_be_visible()
    while not held:
        uma.wait_for_timeout(20)  # lets Playwright hand the request to the route
    expect(uma.locator("#composer")).to_be_hidden()
    for route in held:
        route.continue_()
    uma.unroute(probe)
    expect(uma.locator("#composer")).to_be_visible()
    expect(uma.locator("#composer-note")).to_be_hidden()


ANNOUNCEMENTS = "Announcements: only its owner and administrators post"


def test_the_rooms_list_marks_an_announcements_room_live(server: ServerProcess, pages: Pages) -> None:
    """In another room's page, #bulletin carries 📢 with its meaning as a tooltip and in the link's name;
    the mark goes when its owner lets everyone post, and comes back (with "archived") as the rules change."""
    owner = f"Bearer {token_for('otto')}"
    status, body = call_api(server, "POST", "/api/rooms", {"room": "bulletin", "posting": "managers"}, owner)
    assert status == 201, body
    vic = open_as(pages, server, "vic")
    link = vic.locator("#rooms .room-link[data-room=bulletin]")
    mark = link.locator(".room-announce-mark")
    expect(mark).to_have_text("📢")
    expect(mark).to_have_attribute("title", ANNOUNCEMENTS)
    expect(link).to_have_attribute("aria-label", re.compile(rf"^#bulletin, {ANNOUNCEMENTS.lower()}, "))
    expect(vic.locator("#rooms .room-link[data-room=lobby] .room-announce-mark")).to_have_count(0)
    assert call_api(server, "PATCH", "/api/rooms/bulletin", {"posting": "everyone"}, owner)[0] == 200
    expect(mark).to_have_count(0)
    expect(link).to_have_attribute("aria-label", re.compile(r"^#bulletin, \d+ online$"))
    changes = {"posting": "managers", "archived": True}
    assert call_api(server, "PATCH", "/api/rooms/bulletin", changes, owner)[0] == 200
    expect(mark).to_have_count(1)
    expect(link.locator(".room-tag")).to_have_text("archived")
    expect(link).to_have_attribute(
        "aria-label", re.compile(rf"^#bulletin, {ANNOUNCEMENTS.lower()}, archived, ")
    )
