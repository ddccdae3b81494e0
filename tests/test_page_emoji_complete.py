"""Emoji by shortcode in the message box (static/js/emoji_complete.js, completion.js) in Debian's Chromium.

A guest on a real ``python -m chatroom`` types ":" and the start of a
shortcode, picks with the keyboard and the mouse, and types whole
shortcodes; times, addresses and code are left alone.
"""

from __future__ import annotations

import re

from playwright.sync_api import Locator, Page, expect

from tests import test_page
from tests.support import ServerProcess
from tests.test_page import Pages, texts
from tests.test_page_phone import too_small

# The page tests' server with guests.
server = test_page.server


def options(page: Page) -> Locator:
    return page.get_by_role("listbox", name="Emoji").get_by_role("option")


def test_a_shortcode_is_offered_and_picked_with_the_keyboard(server: ServerProcess, pages: Pages) -> None:
    """ ":sm" offers the smiles; arrows move, Enter and Tab put one in, Escape closes; nothing is sent."""
    page = pages.join(server.url, "emoji-keys", "ann")
    box = page.locator("#text")
    box.press_sequentially("nice :s")
    expect(page.locator("#completion-list")).to_be_hidden()  # one character is not enough
    box.press_sequentially("m")
    expect(options(page)).to_have_text(["😄:smile:", "😅:sweat_smile:", "🙂:slightly_smiling_face:"])
    expect(box).to_have_attribute("aria-activedescendant", "completion-option-0")
    box.press("ArrowDown")
    expect(options(page).nth(1)).to_have_attribute("aria-selected", "true")
    expect(box).to_have_attribute("aria-activedescendant", "completion-option-1")
    box.press("Enter")
    expect(box).to_have_value("nice 😅 ")
    expect(page.locator("#completion-list")).to_be_hidden()
    box.press_sequentially("(:ta")
    expect(options(page)).to_have_text(["🎉:tada:"])
    box.press("Tab")
    expect(box).to_have_value("nice 😅 (🎉 ")
    box.press_sequentially(":up")
    expect(options(page)).to_have_text(["🙃:upside_down_face:", "👍:thumbsup:"])
    box.press("Escape")
    expect(page.locator("#completion-list")).to_be_hidden()
    box.press("ArrowUp")  # Up in a box with text: no edit, no list
    expect(page.locator(".edit-form")).to_have_count(0)
    assert page.locator("#messages .msg").count() == 0  # Enter chose; it did not send
    box.press("End")
    box.press("Enter")
    expect(page.locator("#messages .msg .text").last).to_have_text("nice 😅 (🎉 :up")


def test_a_whole_shortcode_becomes_its_emoji(server: ServerProcess, pages: Pages) -> None:
    """ ":tada:" with its closing colon becomes 🎉; an unknown one stays as typed."""
    page = pages.join(server.url, "emoji-whole", "ann")
    box = page.locator("#text")
    box.press_sequentially("we shipped :tada: :+1: :nosuch:")
    expect(box).to_have_value("we shipped 🎉 👍 :nosuch:")
    box.press("Enter")
    expect(page.locator("#messages .msg .text").last).to_have_text("we shipped 🎉 👍 :nosuch:")


def test_times_addresses_and_code_are_left_alone(server: ServerProcess, pages: Pages) -> None:
    """No list and no emoji in 10:30, an address, a code span or a code block; after them, shortcodes work."""
    page = pages.join(server.url, "emoji-alone", "ann")
    box = page.locator("#text")
    listbox = page.locator("#completion-list")
    for typed in ("at 10:30", " see https://example.com/:tada", " `x :smile:`", " a:b:smile:"):
        box.press_sequentially(typed)
        expect(listbox).to_be_hidden()
    box.press("Shift+Enter")
    box.press_sequentially("```")
    box.press("Shift+Enter")
    box.press_sequentially(":smile: :sm")
    expect(listbox).to_be_hidden()
    box.press("Shift+Enter")
    box.press_sequentially("```")
    box.press("Shift+Enter")
    box.press_sequentially(":smile:")
    expect(box).to_have_value(
        "at 10:30 see https://example.com/:tada `x :smile:` a:b:smile:\n```\n:smile: :sm\n```\n😄"
    )
    assert texts(page) == []


def test_a_shortcode_is_picked_with_the_mouse_or_a_finger(server: ServerProcess, pages: Pages) -> None:
    """A tap on an emoji (a phone) puts it in where the caret is and keeps the focus in the box."""
    page = pages.join(server.url, "emoji-mouse", "ann", viewport=test_page.SCREENSHOT_PHONE, has_touch=True)
    box = page.locator("#text")
    box.fill("good  job")
    box.evaluate("b => b.setSelectionRange(5, 5)")
    box.press_sequentially(":fi")
    assert too_small(page, "#completion-list [role=option]") == []
    options(page).filter(has_text=re.compile("fire")).tap()
    expect(box).to_have_value("good 🔥 job")
    assert box.evaluate("b => [document.activeElement === b, b.selectionStart]") == [True, 8]
