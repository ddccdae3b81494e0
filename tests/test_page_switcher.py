"""The quick room switcher (static/js/room_switcher.js) in Debian's Chromium.

People signed in with tokens on a real ``python -m chatroom`` press Ctrl+K,
filter the rooms they may open, and open one with the keyboard or a click.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Locator, Page, expect

from tests import test_page
from tests.support import ServerProcess
from tests.test_page import JWT_SECRET, Pages, expect_online
from tests.test_page_changes import open_as, open_room
from tests.test_page_phone import too_small


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """Accounts signed in with tokens."""
    db = tmp_path_factory.mktemp("switcher-page") / "chat.db"
    with ServerProcess(db, "--jwt-secret", JWT_SECRET, guests=False) as running:
        yield running


def switcher(page: Page) -> Locator:
    return page.get_by_role("dialog", name="Jump to a room")


def rooms_offered(page: Page) -> Locator:
    return switcher(page).get_by_role("listbox", name="Rooms").get_by_role("option")


def test_ctrl_k_filters_the_rooms_and_enter_opens_one(server: ServerProcess, pages: Pages) -> None:
    """Ctrl+K opens the switcher over the page; typing filters, arrows choose, Enter opens the room."""
    for room in ("sw-alpha", "sw-beta", "sw-bravo"):
        open_room(server, room)
    ann = open_as(pages, server, "ann", "sw-alpha")
    expect(ann.locator('#rooms a[data-room="sw-bravo"]')).to_be_visible()
    ann.locator("#text").focus()
    ann.keyboard.press("Control+k")
    field = switcher(ann).get_by_role("combobox", name="Jump to a room")
    expect(field).to_be_focused()
    expect(rooms_offered(ann)).to_contain_text(["#sw-beta", "#sw-bravo"])
    expect(rooms_offered(ann).filter(has_text="sw-alpha")).to_have_count(0)  # the room one is in
    field.press_sequentially("sw-b")
    expect(rooms_offered(ann)).to_have_text(["#sw-beta", "#sw-bravo"])
    expect(field).to_have_attribute("aria-activedescendant", "switcher-option-0")
    expect(rooms_offered(ann).first).to_have_attribute("aria-selected", "true")
    field.press("ArrowDown")
    expect(field).to_have_attribute("aria-activedescendant", "switcher-option-1")
    field.press("ArrowDown")  # round to the first
    field.press("ArrowUp")
    field.press("Enter")
    expect(ann).to_have_url(re.compile(r"room=sw-bravo$"))
    expect_online(ann)
    expect(switcher(ann)).to_be_hidden()


def test_escape_closes_and_gives_the_focus_back(server: ServerProcess, pages: Pages) -> None:
    """Escape closes the switcher and the focus is where it was; with nothing matching, it says so."""
    open_room(server, "sw-escape")
    ann = open_as(pages, server, "ann", "sw-escape")
    box = ann.locator("#text")
    box.fill("half written")
    ann.keyboard.press("Control+k")
    field = switcher(ann).get_by_role("combobox")
    field.press_sequentially("nothing-like-it")
    expect(switcher(ann)).to_contain_text("No room you may open matches “nothing-like-it”.")
    field.press("Enter")  # nothing to open
    expect(ann).to_have_url(re.compile(r"room=sw-escape$"))
    ann.keyboard.press("Escape")
    expect(switcher(ann)).to_be_hidden()
    expect(box).to_be_focused()
    expect(box).to_have_value("half written")
    ann.keyboard.press("Control+k")
    expect(field).to_have_value("")
    ann.keyboard.press("Control+k")  # the shortcut again closes it
    expect(switcher(ann)).to_be_hidden()
    expect(box).to_be_focused()


def test_rooms_beyond_the_list_are_found_and_a_click_opens_one(server: ServerProcess, pages: Pages) -> None:
    """A room past the list's first 50 comes from the server's search; a click (a tap on a phone) opens it."""
    for n in range(52):
        open_room(server, f"aa-{n:02}")
    open_room(server, "zz-far")
    ann = open_as(pages, server, "ann", "aa-00", viewport=test_page.SCREENSHOT_PHONE, has_touch=True)
    expect(ann.locator("#rooms-note")).to_contain_text("Showing the first 50 rooms")
    assert ann.locator('#rooms a[data-room="zz-far"]').count() == 0
    ann.keyboard.press("Control+k")
    switcher(ann).get_by_role("combobox").press_sequentially("zz")
    expect(rooms_offered(ann)).to_have_text(["#zz-far"])
    width = ann.evaluate("document.getElementById('switcher-dialog').getBoundingClientRect().right")
    assert width <= test_page.SCREENSHOT_PHONE["width"]
    assert too_small(ann, "dialog[open] button, dialog[open] [role=option]") == []  # a fingertip each
    rooms_offered(ann).first.tap()
    expect(ann).to_have_url(re.compile(r"room=zz-far$"))
    expect_online(ann)
