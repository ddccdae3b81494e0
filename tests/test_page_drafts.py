"""Drafts of the message box kept per room and per person (static/js/drafts.js) in Debian's Chromium.

People signed in with tokens, and a guest, type in one room, open another
(a page load) and come back to find what they typed, on a real
``python -m chatroom``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.support import ServerProcess
from tests.test_page import JWT_SECRET, Pages, expect_online, say, token_for
from tests.test_page_changes import message, open_as, open_room


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """Accounts signed in with tokens."""
    db = tmp_path_factory.mktemp("drafts-page") / "chat.db"
    with ServerProcess(db, "--jwt-secret", JWT_SECRET, guests=False) as running:
        yield running


def room_link(page: Page, room: str) -> Locator:
    return page.locator(f'#rooms a[data-room="{room}"]')


def go_to(page: Page, room: str) -> None:
    """Open ``room`` from the rooms list, as a click does: a new page."""
    room_link(page, room).click()
    expect(page).to_have_url(re.compile(rf"room={room}$"))
    expect_online(page)


def test_a_draft_and_its_reply_wait_in_their_room(server: ServerProcess, pages: Pages) -> None:
    """Typed, not sent: the text and what it answers are back when the room is opened again; sent, gone."""
    for room in ("draft-a", "draft-b"):
        open_room(server, room)
    bob = open_as(pages, server, "bob", "draft-a")
    say(bob, "lunch at noon?")
    ann = open_as(pages, server, "ann", "draft-a")
    item = message(ann, "lunch at noon?")
    item.hover()
    item.get_by_role("button", name="Reply").click()
    box = ann.locator("#text")
    box.press_sequentially("yes, if we")
    go_to(ann, "draft-b")
    expect(ann.locator("#text")).to_have_value("")
    expect(ann.locator("#reply-bar")).to_have_count(0)
    link = room_link(ann, "draft-a")
    expect(link.locator(".room-draft")).to_be_visible()
    expect(link).to_have_attribute("aria-label", re.compile(r"^#draft-a, draft, "))
    expect(room_link(ann, "draft-b").locator(".room-draft")).to_have_count(0)  # its draft would be in the box

    go_to(ann, "draft-a")
    expect(box).to_have_value("yes, if we")
    expect(ann.locator("#reply-bar")).to_contain_text("Replying to bob: lunch at noon?")
    expect(room_link(ann, "draft-a").locator(".room-draft")).to_have_count(0)
    box.press("End")
    box.press_sequentially(" go early")
    box.press("Enter")
    expect(box).to_have_value("")
    sent = message(ann, "yes, if we go early")
    expect(sent.locator(".reply-quote")).to_contain_text("lunch at noon?")
    go_to(ann, "draft-b")
    expect(room_link(ann, "draft-a").locator(".room-draft")).to_have_count(0)
    go_to(ann, "draft-a")
    expect(box).to_have_value("")
    expect(ann.locator("#reply-bar")).to_be_hidden()


def test_two_people_on_one_browser_never_see_each_others_drafts(server: ServerProcess, pages: Pages) -> None:
    """ann's draft is not in bob's box nor marked in his list on the same browser; it is ann's again after."""
    for room in ("shared-a", "shared-b"):
        open_room(server, room)
    page = open_as(pages, server, "ann", "shared-a")
    page.locator("#text").fill("ann's secret plan")
    page.goto(f"{server.url}/?room=shared-b&token={token_for('ann')}")
    expect_online(page)
    expect(room_link(page, "shared-a").locator(".room-draft")).to_be_visible()

    page.goto(f"{server.url}/?room=shared-b&token={token_for('bob')}")
    expect_online(page)
    expect(page.locator("#me-nick")).to_have_text("bob")
    expect(room_link(page, "shared-a")).to_be_visible()
    expect(room_link(page, "shared-a").locator(".room-draft")).to_have_count(0)
    go_to(page, "shared-a")
    expect(page.locator("#text")).to_have_value("")

    page.goto(f"{server.url}/?room=shared-a&token={token_for('ann')}")
    expect_online(page)
    expect(page.locator("#text")).to_have_value("ann's secret plan")


def test_drafts_are_bounded_to_the_newest_rooms(server: ServerProcess, pages: Pages) -> None:
    """Past 30 rooms with drafts the oldest are forgotten first; a text is kept up to twice the limit."""
    open_room(server, "bounded")
    page = open_as(pages, server, "ann", "bounded")
    old = {f"old-{n}": {"text": f"draft {n}", "reply": None, "at": n} for n in range(40)}
    page.evaluate("kept => localStorage.setItem('chatroom.drafts.account:ann', JSON.stringify(kept))", old)
    page.locator("#text").fill("x" * 9000)
    kept = json.loads(page.evaluate("localStorage.getItem('chatroom.drafts.account:ann')"))
    assert len(kept) == 30
    assert len(kept["bounded"]["text"]) == 8000
    assert "old-39" in kept and "old-10" not in kept


@pytest.fixture(scope="module")
def guest_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """Guests let in with just a nick."""
    with ServerProcess(tmp_path_factory.mktemp("drafts-guests") / "chat.db") as running:
        yield running


def test_a_guests_draft_comes_back_after_a_reload(guest_server: ServerProcess, pages: Pages) -> None:
    """A guest's text waits for them under their nick: back after a reload, never in an account's box."""
    page = pages.join(guest_server.url, "guest-draft", "gus")
    page.locator("#text").press_sequentially("brb, then")
    page.reload()
    expect_online(page)
    expect(page.locator("#text")).to_have_value("brb, then")
    page.locator("#text").fill("")
    page.reload()
    expect_online(page)
    expect(page.locator("#text")).to_have_value("")
