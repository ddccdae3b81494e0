"""Reminders on the page (static/js/reminders.js, reminders_due.js, time_menu.js) in Chromium.

People signed in with passwords on a real ``python -m chatroom``: one picks "⏰ Remind me about this" in
a message's More actions and a time (with the keyboard alone, too); the page says when it will remind
her; the account menu's "Reminders" lists it in both her tabs; when it falls due a line above the box of
every tab of hers says so, with Open (to the message), In 20 minutes (later again) and Done (gone
everywhere). A guest is not offered it.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests import test_page
from tests.clients import send_message
from tests.support import ServerProcess
from tests.test_page import SCREENSHOT_PHONE, Pages, choose_nick, expect_online, say
from tests.test_page_changes import act, message, shoot
from tests.test_page_journey import signed_in
from tests.test_page_unread import CATCH
from tests.web_client import WebClient, listed, session_socket, signed_in_people

server = test_page.server


@pytest.fixture(scope="module")
def people(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ServerProcess, dict[str, WebClient]]]:
    """A server without guests, and ann (its administrator) and bob signed in."""
    with signed_in_people(tmp_path_factory.mktemp("reminders-page"), "ann", "bob") as site:
        yield site


def reminders(client: WebClient) -> list[dict[str, object]]:
    return listed(client, "/api/me/reminders", "reminders")


def open_list(page: Page) -> Page:
    """The account menu's "Reminders" panel, open."""
    page.locator("#me").click()
    page.get_by_role("button", name="⏰ Reminders").click()
    return page


def test_set_listed_due_open_later_and_done(
    people: tuple[ServerProcess, dict[str, WebClient]], pages: Pages, tmp_path: Path
) -> None:
    """bob asks to be reminded of ann's message in an hour: the page says when; both his tabs list it,
    its text as text; moved to a few seconds ahead, it falls due and a line shows in both tabs; Open
    shows the message, In 20 minutes takes the line away and moves it, Done removes it everywhere."""
    server, clients = people
    url = f"{server.url}/?room=lobby"
    ann = signed_in(pages, clients["ann"], url)
    bob = signed_in(pages, clients["bob"], url)
    bob_phone = signed_in(pages, clients["bob"], url, viewport=SCREENSHOT_PHONE, color_scheme="dark")
    say(ann, "the <b>budget</b> is due on Friday")
    # Faster than her page typing them; two sockets, each within a connection's burst of 20.
    for first in (0, 15):
        with session_socket(server, clients["ann"]) as talker:
            for n in range(first, first + 15):
                assert send_message(talker, f"filler {n}", str(n))["type"] == "ack"
    expect(message(bob, "filler 29")).to_be_visible()
    item = message(bob, "budget")
    item.scroll_into_view_if_needed()
    act(bob, item, "More actions")
    item.get_by_role("button", name="Remind me about this", exact=True).click()
    expect(bob.get_by_role("menu", name="Remind me")).to_be_visible()
    shoot(bob, tmp_path, "remind-menu-desktop")
    bob.get_by_role("menuitem", name="In 1 hour").click()
    expect(bob.locator("#reminder-note")).to_contain_text("I'll remind you at")
    expect(bob.locator("#reminder-note")).to_have_attribute("role", "status")
    (row,) = reminders(clients["bob"])
    assert 59 * 60 <= int(str(row["at"])) - time.time() <= 61 * 60
    assert reminders(clients["ann"]) == []

    for page in (bob, bob_phone):
        open_list(page)
        entries = page.get_by_role("dialog", name="Reminders").locator("#reminders-list > li")
        expect(entries).to_have_count(1)
        expect(entries.first.locator(".search-room")).to_have_text("#lobby")
        expect(entries.first.locator(".nick")).to_have_text("ann")
        expect(entries.first.locator(".search-snippet")).to_have_text("the <b>budget</b> is due on Friday")
        expect(page.locator("#reminders-list b")).to_have_count(0)  # text, never markup
    shoot(bob_phone, tmp_path, "reminders-panel-phone")
    bob_phone.keyboard.press("Escape")

    answer = clients["bob"].call("PATCH", f"/api/me/reminders/{row['id']}", {"at": int(time.time()) + 2})
    assert answer.status == 200
    for page in (bob, bob_phone):
        line = page.locator("#reminders-due > li")
        expect(line).to_have_count(1, timeout=15_000)
        said = "⏰ Reminder: ann's message in #lobby — the <b>budget</b> is due on Friday"
        expect(line).to_contain_text(said)
    expect(bob.locator("#reminders-list .reminder-due-mark")).to_have_text("Due")
    shoot(bob, tmp_path, "reminders-panel-due-desktop")
    bob.keyboard.press("Escape")
    expect(bob.locator("#announcer")).to_contain_text("Reminder: ann's message in #lobby")
    expect(ann.locator("#reminders-due")).to_be_hidden()
    shoot(bob, tmp_path, "reminder-due-desktop")
    shoot(bob_phone, tmp_path, "reminder-due-phone")

    message(bob, "filler 29").scroll_into_view_if_needed()
    bob.locator("#reminders-due").get_by_role("button", name="Open", exact=False).click()
    expect(message(bob, "budget")).to_be_focused()
    expect(message(bob, "budget")).to_be_in_viewport()

    bob_phone.locator("#reminders-due").get_by_role("button", name="In 20 minutes", exact=False).click()
    for page in (bob, bob_phone):
        expect(page.locator("#reminders-due")).to_be_hidden()
    (moved,) = reminders(clients["bob"])
    assert not moved["due"] and 19 * 60 <= int(str(moved["at"])) - time.time() <= 21 * 60

    clients["bob"].call("PATCH", f"/api/me/reminders/{row['id']}", {"at": int(time.time()) + 2})
    expect(bob.locator("#reminders-due > li")).to_have_count(1, timeout=15_000)
    bob.locator("#reminders-due").get_by_role("button", name="Done", exact=False).click()
    for page in (bob, bob_phone):
        expect(page.locator("#reminders-due")).to_be_hidden()
    assert reminders(clients["bob"]) == []
    open_list(bob_phone)
    expect(bob_phone.locator("#reminders-note")).to_contain_text("No reminders")


def test_by_keyboard_a_date_of_ones_choosing_and_delete(
    people: tuple[ServerProcess, dict[str, WebClient]], pages: Pages, tmp_path: Path
) -> None:
    """ann reaches "Remind me about this" with the keyboard, moves through the times with the arrows,
    Escape closes the menu (the focus back on the message); then picks a date of her own; Delete in the
    list forgets it, in her other tab too."""
    server, clients = people
    url = f"{server.url}/?room=lobby"
    ann = signed_in(pages, clients["ann"], url)
    ann_phone = signed_in(pages, clients["ann"], url, viewport=SCREENSHOT_PHONE)
    say(ann, "keyboard people welcome")
    item = message(ann, "keyboard people welcome")
    item.focus()
    act(ann, item, "More actions")
    remind = item.get_by_role("button", name="Remind me about this", exact=True)
    remind.focus()
    ann.keyboard.press("Enter")
    expect(ann.get_by_role("menuitem", name="In 20 minutes")).to_be_focused()
    ann.keyboard.press("ArrowDown")
    ann.keyboard.press("ArrowDown")
    expect(ann.get_by_role("menuitem", name="In 3 hours")).to_be_focused()
    ann.keyboard.press("End")
    expect(ann.get_by_role("menuitem", name="At a date and time I choose…")).to_be_focused()
    ann.keyboard.press("Escape")
    expect(ann.get_by_role("menu", name="Remind me")).to_be_hidden()
    expect(item).to_be_focused()
    assert reminders(clients["ann"]) == []

    act(ann, item, "More actions")
    item.get_by_role("button", name="Remind me about this", exact=True).click()
    ann.keyboard.press("End")
    ann.keyboard.press("Enter")
    expect(ann.locator("#schedule-at")).to_be_focused()
    ann.locator("#schedule-at").fill(time.strftime("%Y-%m-%dT%H:%M", time.localtime(time.time() + 3 * 86400)))
    shoot(ann, tmp_path, "remind-custom-desktop")
    ann.keyboard.press("Enter")
    expect(ann.locator("#reminder-note")).to_contain_text("I'll remind you at")
    (row,) = reminders(clients["ann"])
    assert 3 * 86400 - 120 <= int(str(row["at"])) - time.time() <= 3 * 86400 + 60
    open_list(ann_phone)
    entries = ann_phone.locator("#reminders-list > li")
    expect(entries).to_have_count(1)
    open_list(ann)
    ann.locator("#reminders-list").get_by_role("button", name="Delete", exact=False).click()
    for page in (ann, ann_phone):
        expect(page.locator("#reminders-note")).to_contain_text("No reminders")
    assert reminders(clients["ann"]) == []


def test_a_guest_is_not_offered_a_reminder(server: ServerProcess, pages: Pages) -> None:
    """A guest's More actions has Copy link, not "Remind me about this"."""
    page = pages.open(f"{server.url}/?room=remindguests")
    choose_nick(page, "gus")
    expect_online(page)
    say(page, "guests forget things too")
    item = message(page, "guests forget things too")
    act(page, item, "More actions")
    expect(item.get_by_role("button", name="Copy link")).to_be_visible()
    expect(item.get_by_role("button", name="Remind me about this")).to_have_count(0)
    expect(page.locator("#reminders-due")).to_be_hidden()


def test_a_due_reminder_in_a_background_tab_pops_up_unless_notifications_are_paused(
    people: tuple[ServerProcess, dict[str, WebClient]], pages: Pages
) -> None:
    """bob's tab is in the background: a reminder falling due pops up one notification naming ann's
    message; while he pauses notifications, the next one only shows above the box."""
    server, clients = people
    bob = pages.open("about:blank")
    bob.context.grant_permissions(["notifications"], origin=server.url)
    bob.context.add_init_script(CATCH)
    cookies = [
        {"name": c.name, "value": c.value or "", "domain": "127.0.0.1", "path": "/"}
        for c in clients["bob"].jar
    ]
    bob.context.add_cookies(cookies)
    bob.goto(f"{server.url}/?room=lobby")
    expect_online(bob)
    say(signed_in(pages, clients["ann"], f"{server.url}/?room=lobby"), "lunch at noon?")
    newest = clients["bob"].call("GET", "/api/rooms/lobby/messages?limit=1")
    (said,) = json.loads(newest.body)["messages"]
    bob.evaluate("window.__background(true)")
    remind_in_two_seconds(clients["bob"], int(said["id"]))
    deadline = time.monotonic() + 15
    while not bob.evaluate("window.__notes.length") and time.monotonic() < deadline:
        bob.wait_for_timeout(200)
    notes = bob.evaluate("window.__notes.map(({title, body}) => ({title, body}))")
    assert notes == [{"title": "⏰ Reminder: ann's message in #lobby", "body": "lunch at noon?"}]
    expect(bob.locator("#reminders-due > li")).to_have_count(1)

    until = int(time.time() * 1000) + 3_600_000
    assert clients["bob"].call("PUT", "/api/me/dnd", {"until": until}).status == 200
    expect(bob.locator("#users").get_by_role("img", name="notifications paused")).to_have_count(1)
    remind_in_two_seconds(clients["bob"], int(said["id"]))
    expect(bob.locator("#reminders-due > li")).to_have_count(2, timeout=15_000)
    bob.wait_for_timeout(700)
    assert bob.evaluate("window.__notes.length") == 1
    assert clients["bob"].call("DELETE", "/api/me/dnd").status == 204
    for row in reminders(clients["bob"]):
        assert clients["bob"].call("DELETE", f"/api/me/reminders/{row['id']}").status == 204


def remind_in_two_seconds(client: WebClient, message_id: int) -> None:
    at = int(time.time()) + 2
    answer = client.call("POST", "/api/me/reminders", {"room": "lobby", "id": message_id, "at": at})
    assert answer.status == 201, answer.body
