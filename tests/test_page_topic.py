"""A room's topic on the page (static/js/room_topic.js) in Chromium.

ann sets the topic of a room under its name in the top bar; bob, whose page
is open in the room, sees it change at once and a line in the message list
saying who set it; a reader of an announcements room sees the topic and is
not offered to change it; a refusal is said in words.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from tests.support import ServerProcess, call_api
from tests.test_page import JWT_SECRET, SCREENSHOT_PHONE, Pages, token_for
from tests.test_page_rooms import open_as

TOPIC = "Release planning — next: Friday's demo https://example.com/demo"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """Accounts only, signed in with tokens."""
    db = tmp_path_factory.mktemp("topic-page") / "chat.db"
    with ServerProcess(db, "--jwt-secret", JWT_SECRET, guests=False) as running:
        yield running


def make_room(server: ServerProcess, owner: str, room: str, **extra: object) -> None:
    status, body = call_api(
        server, "POST", "/api/rooms", {"room": room, **extra}, f"Bearer {token_for(owner)}"
    )
    assert status == 201, body


def said(words: str) -> re.Pattern[str]:
    """A line's text: ``words``, then its time."""
    return re.compile("^" + re.escape(words) + " \\S")


def set_topic(page: Page, text: str) -> None:
    """Click the topic (or "Set a topic"), type ``text`` and press Enter."""
    page.locator("#room-topic button").click()
    box = page.get_by_role("textbox", name="Topic of this room (Enter saves, Escape gives up)")
    expect(box).to_be_focused()
    box.fill(text)
    box.press("Enter")


def test_one_sets_the_topic_and_the_other_sees_it_live_with_a_line(
    server: ServerProcess, pages: Pages
) -> None:
    """ann sets the topic of #planning: her bar and bob's show it at once, plain text, whole in the title;
    bob's message list says "ann set the topic: …"; bob clears it, and ann's says so."""
    make_room(server, "ann", "planning", kind="open")
    ann = open_as(pages, server, "ann", room="planning")
    bob = open_as(pages, server, "bob", room="planning")
    expect(ann.locator("#room-topic")).to_have_text("Set a topic")
    set_topic(ann, TOPIC)
    for page in (ann, bob):
        topic = page.locator("#room-topic")
        expect(topic).to_have_text(TOPIC)
        expect(topic).to_have_attribute("title", TOPIC)
        expect(topic.locator("a")).to_have_count(0)  # an address stays words
    line = bob.locator("#messages .line.topic")
    expect(line).to_have_text(said(f"ann set the topic: {TOPIC}"))
    expect(line.locator(".time")).to_have_count(1)
    set_topic(bob, "   ")
    expect(ann.locator("#messages .line.topic").last).to_have_text(said("bob cleared the topic"))
    for page in (ann, bob):
        expect(page.locator("#room-topic")).to_have_text("Set a topic")


def test_escape_gives_up_and_a_refusal_is_said_in_words(server: ServerProcess, pages: Pages) -> None:
    """Escape leaves the topic as it was; a topic past 250 characters typed in (pasted past the box's
    limit) is refused in words and the box stays open with it."""
    make_room(server, "cleo", "crafts", kind="open")
    cleo = open_as(pages, server, "cleo", room="crafts")
    set_topic(cleo, "Knitting on Tuesdays")
    expect(cleo.locator("#room-topic")).to_have_text("Knitting on Tuesdays")
    cleo.locator("#room-topic button").click()
    box = cleo.locator("#room-topic-input")
    box.fill("something else")
    box.press("Escape")
    expect(cleo.locator("#room-topic")).to_have_text("Knitting on Tuesdays")
    expect(cleo.locator("#room-topic button")).to_be_focused()
    cleo.locator("#room-topic button").click()
    cleo.locator("#room-topic-input").evaluate(
        "(box) => { box.maxLength = 1000; box.value = 'x'.repeat(251); }"
    )
    cleo.locator("#room-topic-input").press("Enter")
    expect(cleo.locator(".room-topic-error")).to_have_text("A topic has at most 250 characters.")
    expect(cleo.locator("#room-topic-input")).to_be_visible()


def test_a_reader_of_an_announcements_room_sees_the_topic_and_cannot_change_it(
    server: ServerProcess, pages: Pages
) -> None:
    """dora posts in #notices alone: eve sees its topic as words, no button, and sees it change live."""
    make_room(server, "dora", "notices", kind="open", posting="managers")
    dora = open_as(pages, server, "dora", room="notices")
    eve = open_as(pages, server, "eve", room="notices")
    expect(eve.locator("#room-topic")).to_be_hidden()
    set_topic(dora, "School news")
    expect(eve.locator("#room-topic")).to_have_text("School news")
    expect(eve.locator("#room-topic button")).to_have_count(0)
    expect(eve.locator("#messages .line.topic")).to_have_text(said("dora set the topic: School news"))


def test_on_a_phone_the_topic_is_words_and_room_settings_sets_it(server: ServerProcess, pages: Pages) -> None:
    """The top bar of a phone has no fingertip's room for it: no button there, the topic one line of words;
    Room settings sets it, and the bar follows."""
    make_room(server, "fay", "garden", kind="open")
    phone = {"viewport": SCREENSHOT_PHONE, "has_touch": True, "is_mobile": True}
    fay = open_as(pages, server, "fay", room="garden", **phone)
    expect(fay.locator("#room-topic")).to_be_hidden()
    fay.locator("#room-settings").tap()
    settings = fay.get_by_role("dialog", name="Room settings")
    settings.get_by_label("Topic").fill(TOPIC)
    settings.get_by_role("button", name="Set topic").tap()
    settings.get_by_role("button", name="Close").tap()
    topic = fay.locator("#room-topic")
    expect(topic).to_have_text(TOPIC)
    expect(topic.locator("button")).to_have_count(0)
    box, title = topic.bounding_box(), fay.locator("#room-title").bounding_box()
    assert box is not None and title is not None and box["height"] < title["height"]  # one line
    assert box["x"] + box["width"] <= SCREENSHOT_PHONE["width"]
    expect(fay.locator("#messages .line.topic")).to_have_text(said(f"fay set the topic: {TOPIC}"))


def test_the_room_switcher_finds_a_room_by_its_topic(server: ServerProcess, pages: Pages) -> None:
    """Ctrl+K and a word of a room's topic offer that room, after those whose name or title match."""
    make_room(server, "gus", "tp-budget", kind="open")
    make_room(server, "gus", "tp-quarterly", kind="open")
    status, body = call_api(
        server, "PATCH", "/api/rooms/tp-quarterly", {"topic": "Budget review"}, f"Bearer {token_for('gus')}"
    )
    assert status == 200, body
    gus = open_as(pages, server, "gus", room="lobby")
    expect(gus.locator('#rooms a[data-room="tp-quarterly"]')).to_be_visible()
    gus.keyboard.press("Control+k")
    field = gus.get_by_role("dialog", name="Jump to a room").get_by_role("combobox", name="Jump to a room")
    field.press_sequentially("budget")
    offered = gus.get_by_role("dialog", name="Jump to a room").get_by_role("option")
    expect(offered).to_have_text(["#tp-budget", "#tp-quarterly"])
