"""Pinned messages on the page (static/js/pins.js, message_state.js, message_actions.js) in Chromium.

Two people signed in with tokens on a real ``python -m chatroom``: one pins,
the other sees the mark and the top bar's count at once, opens the room's
pins and goes to the message; screenshots on a desktop and a phone, light and
dark.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests import test_page_changes
from tests.support import ServerProcess
from tests.test_page import SCREENSHOT_PHONE, Pages, say

act = test_page_changes.act
fillers = test_page_changes.fillers
message = test_page_changes.message
open_as = test_page_changes.open_as
open_room = test_page_changes.open_room
shoot = test_page_changes.shoot


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """Accounts only, signed in with tokens."""
    yield from test_page_changes.accounts_server(tmp_path_factory, "pins-page")


def expect_pins(page: Page, count: int) -> None:
    """The top bar's 📌 shows the room's count of pins (hidden with none)."""
    opener = page.locator("#pins-open")
    if count == 0:
        expect(opener).to_be_hidden()
    else:
        expect(opener).to_be_visible()
        expect(page.locator("#pins-count")).to_have_text(str(count))


def test_one_pins_the_other_sees_it_live_opens_the_pins_and_goes_to_the_message(
    server: ServerProcess, pages: Pages, tmp_path: Path
) -> None:
    """ann pins bob's old message: both pages mark it "Pinned by ann" and count it in the top bar at
    once; bob opens the pins, newest pin first, and goes to the old message, loaded into view; ann
    unpins and the mark and the 📌 go from both pages."""
    open_room(server, "noticeboard")
    ann = open_as(pages, server, "ann", "noticeboard")
    bob = open_as(pages, server, "bob", "noticeboard", viewport=SCREENSHOT_PHONE, color_scheme="dark")
    say(bob, "the meeting link: https://example.com/meet")
    expect_pins(ann, 0)
    act(ann, message(ann, "the meeting link"), "Pin to this room")
    for page in (ann, bob):
        expect(message(page, "the meeting link").locator(".pinned-mark")).to_have_text("📌 Pinned by ann")
        expect_pins(page, 1)
    first = message(ann, "the meeting link").get_attribute("data-id")
    fillers(server, "noticeboard", 60)
    say(ann, "the rules: be kind")
    act(bob, message(bob, "the rules"), "Pin to this room")
    expect_pins(ann, 2)
    expect(message(ann, "the rules").locator(".pinned-mark")).to_have_text("📌 Pinned by bob")
    message(ann, "the rules").hover()
    expect(ann.get_by_role("button", name="Unpin", exact=True)).to_be_visible()
    shoot(ann, tmp_path, "pins-mark-desktop")

    carl = open_as(pages, server, "carl", "noticeboard", viewport=SCREENSHOT_PHONE)
    expect(carl.locator(f'#messages .msg[data-id="{first}"]')).to_have_count(0)
    expect_pins(carl, 2)
    carl.locator("#pins-open").click()
    panel = carl.get_by_role("dialog", name="Pinned messages")
    entries = panel.locator(".pin-entry")
    expect(entries).to_have_count(2)
    expect(entries.locator(".search-snippet")).to_have_text(
        ["the rules: be kind", "the meeting link: https://example.com/meet"]
    )
    expect(entries.locator(".pin-by")).to_have_text(["📌 Pinned by bob", "📌 Pinned by ann"])
    shoot(carl, tmp_path, "pins-panel-phone")
    entries.last.click()
    expect(panel).to_be_hidden()
    shown = carl.locator(f'#messages .msg[data-id="{first}"]')
    expect(shown).to_be_in_viewport()
    expect(shown).to_have_class("msg pinned highlight")

    act(ann, message(ann, "the meeting link"), "Unpin")
    for page in (ann, bob, carl):
        expect(page.locator(f'#messages .msg[data-id="{first}"] .pinned-mark')).to_have_count(0)
        expect_pins(page, 1)
    act(bob, message(bob, "the rules"), "Unpin")
    for page in (ann, bob, carl):
        expect_pins(page, 0)
        expect(page.locator("#messages .pinned-mark")).to_have_count(0)


def test_the_pins_are_reached_with_the_keyboard_and_follow_a_deletion(
    server: ServerProcess, pages: Pages, tmp_path: Path
) -> None:
    """Pinning from the keyboard, the 📌 in the top bar, the panel and its entry with Tab and Enter:
    the message takes the focus; deleting the pinned message takes its pin away at once."""
    open_room(server, "homework")
    dee = open_as(pages, server, "dee", "homework")
    eve = open_as(pages, server, "eve", "homework", viewport=SCREENSHOT_PHONE, color_scheme="dark")
    say(dee, "homework: page 12")
    say(dee, "see you tomorrow")
    item = message(dee, "homework: page 12")
    item.hover()
    button = dee.get_by_role("button", name="Pin to this room", exact=True)
    button.focus()
    dee.keyboard.press("Enter")
    # The button turns with the pin, keeping the focus.
    expect(dee.get_by_role("button", name="Unpin", exact=True)).to_be_focused()
    expect_pins(eve, 1)
    shoot(eve, tmp_path, "pins-mark-phone")
    dee.locator("#pins-open").focus()
    dee.keyboard.press("Enter")
    panel = dee.get_by_role("dialog", name="Pinned messages")
    expect(panel.locator(".pin-entry")).to_have_count(1)
    shoot(dee, tmp_path, "pins-panel-desktop")
    dee.keyboard.press("Tab")
    expect(panel.locator(".pin-entry")).to_be_focused()
    dee.keyboard.press("Enter")
    expect(panel).to_be_hidden()
    expect(item).to_be_focused()

    act(dee, item, "Delete")
    dee.get_by_role("button", name="Delete for everyone").click()
    for page in (dee, eve):
        expect(message(page, "see you tomorrow")).to_be_visible()
        expect(page.locator("#messages .msg.deleted .pinned-mark")).to_have_count(0)
        expect_pins(page, 0)
