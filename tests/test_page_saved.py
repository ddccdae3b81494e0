"""Saved messages on the page (static/js/saved.js, saved_marks.js, message_actions.js) in Chromium.

People signed in with passwords on a real ``python -m chatroom``: one saves
a message from its "⋯ More actions", and both her tabs mark it at once; the
account menu's "Saved messages" lists it with its room, author and text;
its link opens it in its room, and "Remove" takes it away everywhere.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests import test_page
from tests.support import ServerProcess
from tests.test_page import SCREENSHOT_PHONE, Pages, say
from tests.test_page_changes import act_more, message, shoot
from tests.test_page_journey import signed_in
from tests.web_client import WebClient, signed_in_people


@pytest.fixture(scope="module")
def people(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ServerProcess, dict[str, WebClient]]]:
    """A server without guests, and ann (its administrator) and bob signed in."""
    with signed_in_people(tmp_path_factory.mktemp("saved-page"), "ann", "bob") as site:
        yield site


def open_saved(page: Page, shot: Path | None = None) -> None:
    """The account menu (its screenshots in ``shot``'s name, if given), then its "Saved messages": the
    panel, open."""
    page.locator("#me").click()
    opener = page.get_by_role("button", name="🔖 Saved messages")
    if shot is not None:
        opener.scroll_into_view_if_needed()
        shoot(page, shot.parent, shot.name)
    opener.click()
    expect(page.get_by_role("dialog", name="Saved messages")).to_be_visible()


def test_saved_on_one_tab_shows_on_the_other_opens_in_its_room_and_goes(
    people: tuple[ServerProcess, dict[str, WebClient]], pages: Pages, tmp_path: Path
) -> None:
    """ann saves bob's message from its menu: both her tabs mark it, bob's does not; her phone's Saved
    panel lists it and one of another room, newest saved first; the link opens that other room at its
    message; Remove takes the first away, its mark too, and Unsave the other."""
    server, clients = people
    clients["ann"].call("POST", "/api/rooms", {"room": "garden", "kind": "open"})
    garden = signed_in(pages, clients["bob"], f"{server.url}/?room=garden")
    say(garden, "tomatoes need water <b>daily</b>")
    url = f"{server.url}/?room=lobby"
    ann = signed_in(pages, clients["ann"], url)
    ann_phone = signed_in(pages, clients["ann"], url, viewport=SCREENSHOT_PHONE, color_scheme="dark")
    bob = signed_in(pages, clients["bob"], url)
    say(bob, "the meeting moved to Thursday")
    act_more(ann, message(ann, "meeting moved"), "Save for later")
    for page in (ann, ann_phone):
        expect(message(page, "meeting moved").locator(".saved-mark")).to_have_text("🔖 Saved")
    expect(bob.locator("#messages .saved-mark")).to_have_count(0)
    shoot(ann, tmp_path, "saved-mark-desktop")
    garden_id = garden.locator("#messages .msg").last.get_attribute("data-id")
    assert clients["ann"].call("PUT", f"/api/me/saved/garden/{garden_id}").status == 200

    open_saved(ann_phone, tmp_path / "saved-menu-phone")
    panel = ann_phone.get_by_role("dialog", name="Saved messages")
    entries = panel.locator("#saved-list > li")
    expect(entries).to_have_count(2)
    expect(entries.nth(0).locator(".search-room")).to_have_text("#garden")
    expect(entries.nth(0).locator(".search-snippet")).to_have_text("tomatoes need water <b>daily</b>")
    expect(entries.nth(1).locator(".search-where")).to_contain_text("#lobby")
    expect(entries.nth(1).locator(".search-where .nick")).to_have_text("bob")
    expect(panel.locator("#saved-list b")).to_have_count(0)  # text, never markup
    shoot(ann_phone, tmp_path, "saved-panel-phone")
    entries.nth(1).get_by_role("button", name="Remove bob's message from saved messages").click()
    expect(entries).to_have_count(1)
    for page in (ann, ann_phone):
        expect(page.locator("#messages .saved-mark")).to_have_count(0)
    entries.nth(0).get_by_role("link").click()
    ann_phone.wait_for_url(f"{server.url}/?room=garden#m-{garden_id}")
    expect_online(ann_phone)
    expect(message(ann_phone, "tomatoes need water").locator(".saved-mark")).to_be_visible()
    act_more(ann_phone, message(ann_phone, "tomatoes need water"), "Unsave")
    expect(ann_phone.locator("#messages .saved-mark")).to_have_count(0)
    open_saved(ann)
    expect(ann.locator("#saved-note")).to_have_text(
        "Nothing saved. Save a message from its “⋯ More actions”."
    )


def test_the_saved_panel_by_keyboard_and_on_a_desktop(
    people: tuple[ServerProcess, dict[str, WebClient]], pages: Pages, tmp_path: Path
) -> None:
    """bob saves two messages; his Saved panel is reached and worked with the keyboard alone: Tab to an
    entry's link, Tab to its Remove, Enter removes it and the focus stays in the panel; Escape closes it."""
    server, clients = people
    clients["bob"].call("POST", "/api/rooms", {"room": "kitchen", "kind": "open"})
    bob = signed_in(pages, clients["bob"], f"{server.url}/?room=kitchen")
    say(bob, "buy flour")
    say(bob, "a longer note: " + "the oven needs cleaning before the weekend, " * 4)
    for item in bob.locator("#messages .msg").all():
        assert (
            clients["bob"].call("PUT", f"/api/me/saved/kitchen/{item.get_attribute('data-id')}").status == 200
        )
    expect(bob.locator("#messages .saved-mark")).to_have_count(2)
    open_saved(bob, tmp_path / "saved-menu-desktop")
    panel = bob.get_by_role("dialog", name="Saved messages")
    expect(panel.locator("#saved-list > li")).to_have_count(2)
    shoot(bob, tmp_path, "saved-panel-desktop")
    link = panel.locator("#saved-list > li").first.get_by_role("link")
    link.focus()
    bob.keyboard.press("Tab")
    expect(panel.locator("#saved-list > li").first.locator(".saved-remove")).to_be_focused()
    bob.keyboard.press("Enter")
    expect(panel.locator("#saved-list > li")).to_have_count(1)
    assert bob.evaluate("document.getElementById('saved-dialog').contains(document.activeElement)")
    bob.keyboard.press("Escape")
    expect(panel).to_be_hidden()
    expect(bob.locator("#messages .saved-mark")).to_have_count(1)


def expect_online(page: Page) -> None:
    test_page.expect_online(page)


def test_a_saved_poll_shows_as_its_question_and_options(
    people: tuple[ServerProcess, dict[str, WebClient]], pages: Pages
) -> None:
    """bob saves his poll: his Saved messages list it as "📊 Tea or coffee? Tea · Coffee", not as the
    "/poll" text that makes it."""
    server, clients = people
    clients["ann"].call("POST", "/api/rooms", {"room": "kitchen", "kind": "open"})
    bob = signed_in(pages, clients["bob"], f"{server.url}/?room=kitchen")
    box = bob.locator("#text")
    box.fill("/poll Tea or coffee?\nTea\nCoffee")
    box.press("Enter")
    card = bob.locator("#messages .msg.has-poll")
    expect(card).to_have_count(1)
    act_more(bob, card, "Save for later")
    open_saved(bob)
    saved = bob.get_by_role("dialog", name="Saved messages")
    entry = saved.locator("#saved-list > li").filter(has_text="Tea or coffee?")  # bob saved others before
    expect(entry.locator(".search-snippet")).to_have_text("📊 Tea or coffee? Tea · Coffee")
