"""Scheduled messages on the page (static/js/send_later.js, scheduled.js) in Chromium.

People signed in with passwords on a real ``python -m chatroom``: one writes
a message and picks a time from the ⏰ menu beside Send (with the keyboard
alone, too); the box empties and a line above it, in every tab of hers,
says one message is scheduled in the room; the account menu's "Scheduled
messages" lists it with its room, time and text; Edit changes it, Send now
sends it, Delete forgets it; at its time it arrives in the room by itself.
The ⏰, with the account's other tools, shows as the page connects.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, Route, WebSocketRoute, expect

from tests.page_browser import wait_for
from tests.support import ServerProcess
from tests.test_page import SCREENSHOT_PHONE, Pages, expect_online, say
from tests.test_page_changes import act, act_more, message, shoot
from tests.test_page_journey import signed_in
from tests.web_client import WebClient, listed, signed_in_people


@pytest.fixture(scope="module")
def people(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ServerProcess, dict[str, WebClient]]]:
    """A server without guests, and ann (its administrator) and bob signed in."""
    with signed_in_people(tmp_path_factory.mktemp("scheduled-page"), "ann", "bob") as site:
        yield site


def scheduled(client: WebClient) -> list[dict[str, object]]:
    return listed(client, "/api/me/scheduled", "scheduled")


def schedule_from_box(page: Page, text: str, choice: str) -> None:
    """Type ``text``, open ⏰ Send later and pick ``choice``."""
    page.locator("#text").fill(text)
    page.get_by_role("button", name="Send later").click()
    page.get_by_role("menuitem", name=choice).click()


def test_schedule_the_line_the_list_edit_send_now_and_delete(
    people: tuple[ServerProcess, dict[str, WebClient]], pages: Pages, tmp_path: Path
) -> None:
    """ann schedules a reply to bob for in 30 minutes: her box empties, both her tabs say 1 message is
    scheduled, bob sees nothing; her list shows it; Edit changes its text; Send now puts it in the room,
    a reply, for bob too; a second one, at a time she chose, goes with Delete."""
    server, clients = people
    url = f"{server.url}/?room=lobby"
    ann = signed_in(pages, clients["ann"], url)
    ann_phone = signed_in(pages, clients["ann"], url, viewport=SCREENSHOT_PHONE, color_scheme="dark")
    bob = signed_in(pages, clients["bob"], url)
    say(bob, "who brings the cake?")
    act(ann, message(ann, "who brings the cake"), "Reply")
    ann.locator("#text").fill("I will, <b>tomorrow</b>")
    ann.get_by_role("button", name="Send later").click()
    expect(ann.get_by_role("menu", name="Send later")).to_be_visible()
    shoot(ann, tmp_path, "send-later-menu-desktop")
    ann.get_by_role("menuitem", name="In 30 minutes").click()
    expect(ann.locator("#text")).to_have_value("")
    expect(ann.locator("#reply-bar")).to_be_hidden()
    for page in (ann, ann_phone):
        expect(page.locator("#scheduled-line")).to_contain_text("1 message scheduled in this room")
    expect(bob.locator("#scheduled-line")).to_be_hidden()
    (row,) = scheduled(clients["ann"])
    assert row["reply_to"] is not None and row["message"] == "I will, <b>tomorrow</b>"
    assert 29 * 60 <= int(str(row["at"])) - time.time() <= 31 * 60
    shoot(ann_phone, tmp_path, "scheduled-line-phone")

    ann_phone.get_by_role("button", name="See scheduled messages").click()
    panel = ann_phone.get_by_role("dialog", name="Scheduled messages")
    entries = panel.locator("#scheduled-list > li")
    expect(entries).to_have_count(1)
    expect(entries.first.locator(".search-room")).to_have_text("#lobby")
    expect(entries.first.locator(".search-snippet")).to_have_text("I will, <b>tomorrow</b>")
    expect(panel.locator("#scheduled-list b")).to_have_count(0)  # text, never markup
    shoot(ann_phone, tmp_path, "scheduled-panel-phone")
    entries.first.get_by_role("button", name="Edit", exact=False).first.click()
    panel.locator(".scheduled-edit-text").fill("I will bring the cake")
    panel.get_by_role("button", name="Save").click()
    expect(entries.first.locator(".search-snippet")).to_have_text("I will bring the cake")
    entries.first.get_by_role("button", name="Send now", exact=False).click()
    expect(entries).to_have_count(0)
    for page in (ann, bob):
        sent = message(page, "I will bring the cake")
        expect(sent).to_be_visible()
        expect(sent.locator(".reply-quote")).to_contain_text("who brings the cake")
    for page in (ann, ann_phone):
        expect(page.locator("#scheduled-line")).to_be_hidden()
    ann_phone.keyboard.press("Escape")

    ann.locator("#text").fill("a note for next week")
    ann.get_by_role("button", name="Send later").click()
    ann.get_by_role("menuitem", name="At a date and time I choose…").click()
    ann.locator("#schedule-at").fill(time.strftime("%Y-%m-%dT%H:%M", time.localtime(time.time() + 7 * 86400)))
    shoot(ann, tmp_path, "send-later-custom-desktop")
    ann.get_by_role("button", name="Schedule").click()
    expect(ann.locator("#scheduled-line")).to_contain_text("1 message scheduled in this room")
    ann.get_by_role("button", name="See scheduled messages").click()
    panel = ann.get_by_role("dialog", name="Scheduled messages")
    expect(panel.locator("#scheduled-list > li")).to_have_count(1)
    shoot(ann, tmp_path, "scheduled-panel-desktop")
    panel.get_by_role("button", name="Delete", exact=False).click()
    expect(panel.locator("#scheduled-note")).to_contain_text("Nothing scheduled")
    for page in (ann, ann_phone):
        expect(page.locator("#scheduled-line")).to_be_hidden()
    assert scheduled(clients["ann"]) == []
    expect(bob.locator("#messages .msg").filter(has_text="a note for next week")).to_have_count(0)


def test_by_keyboard_and_at_its_time(
    people: tuple[ServerProcess, dict[str, WebClient]], pages: Pages, tmp_path: Path
) -> None:
    """bob reaches ⏰ with Tab, opens it with Enter, moves with the arrows, closes with Escape (the focus
    back on it); a message he scheduled through the API for two seconds ahead arrives by itself, and the
    account menu's "Scheduled messages" is empty after."""
    server, clients = people
    bob = signed_in(pages, clients["bob"], f"{server.url}/?room=lobby")
    bob.locator("#text").fill("by keyboard")
    # A hidden button takes no focus, and Tab would start from the page's top: the tools for accounts
    # show as the page connects (the test below), seen before tabbing from them all the same.
    expect(bob.locator("#poll-open")).to_be_visible()
    bob.locator("#poll-open").focus()  # the button before it
    bob.keyboard.press("Tab")
    opener = bob.get_by_role("button", name="Send later")
    expect(opener).to_be_focused()
    bob.keyboard.press("Enter")
    expect(bob.get_by_role("menuitem", name="In 30 minutes")).to_be_focused()
    bob.keyboard.press("ArrowDown")
    expect(bob.get_by_role("menuitem", name="In 1 hour")).to_be_focused()
    bob.keyboard.press("ArrowUp")
    bob.keyboard.press("ArrowUp")
    expect(bob.get_by_role("menuitem", name="At a date and time I choose…")).to_be_focused()
    bob.keyboard.press("Escape")
    expect(bob.get_by_role("menu", name="Send later")).to_be_hidden()
    expect(opener).to_be_focused()
    expect(bob.locator("#text")).to_have_value("by keyboard")
    at = int(time.time()) + 2
    answer = clients["bob"].call(
        "POST", "/api/me/scheduled", {"room": "lobby", "message": "right on time", "at": at}
    )
    assert answer.status == 201
    expect(bob.locator("#scheduled-line")).to_contain_text("1 message scheduled in this room")
    expect(message(bob, "right on time")).to_be_visible(timeout=15_000)
    expect(bob.locator("#scheduled-line")).to_be_hidden()
    bob.locator("#me").click()
    bob.get_by_role("button", name="⏰ Scheduled messages").click()
    expect(bob.get_by_role("dialog", name="Scheduled messages").locator("#scheduled-note")).to_contain_text(
        "Nothing scheduled"
    )


@pytest.mark.parametrize(("answer", "kept"), [(200, True), (503, True), (401, False)])
def test_an_accounts_tools_show_as_its_page_connects_without_waiting_for_the_account_check(
    people: tuple[ServerProcess, dict[str, WebClient]], pages: Pages, answer: int, kept: bool
) -> None:
    """bob's page, made for his account, shows ⏰, 📊 and New room as it says Connected, while the page's
    check of which account it speaks for (static/js/account_actions.js) is held unanswered; they stay when
    it answers, and when it fails (503), and go when it refuses the account (401)."""
    server, clients = people
    held: list[Route] = []

    def hold(route: Route) -> None:
        held.append(route)

    def hold_the_check(page: Page) -> None:
        page.route(re.compile(r"/api/accounts\?"), hold)

    bob = signed_in(pages, clients["bob"], f"{server.url}/?room=lobby", before=hold_the_check)
    tools = [
        bob.get_by_role("button", name="Send later"),
        bob.locator("#poll-open"),
        bob.get_by_role("button", name="+ New room"),
    ]
    for tool in tools:
        expect(tool).to_be_visible()
    for _ in range(100):  # the check goes out just after the tools show
        if held:
            break
        bob.wait_for_timeout(20)
    assert held, "the page never asked which account it speaks for"
    check, *later = held
    assert "prefix=bob" in check.request.url
    if answer == 200:
        check.continue_()
    else:
        check.fulfill(status=answer, json={"error": "unavailable" if answer == 503 else "unauthorized"})
    for route in later:
        route.continue_()
    bob.unroute(re.compile(r"/api/accounts\?"), hold)  # and any held since, the authors' look-ups
    # The answer is in, and the page has had time to heed it.
    bob.wait_for_function(
        "() => performance.getEntriesByType('resource').some((e) => e.name.includes('prefix=bob'))"
    )
    bob.wait_for_timeout(200)
    for tool in tools:
        if kept:
            expect(tool).to_be_visible()
        else:
            expect(tool).to_be_hidden()


def test_a_thread_reply_is_sent_later_in_its_thread(
    people: tuple[ServerProcess, dict[str, WebClient]], pages: Pages, tmp_path: Path
) -> None:
    """In a thread's panel on her phone, ann writes a reply and picks ⏰ In 1 hour, also to the room: the
    box empties and her list holds it with its thread; sent now, it shows in the thread and the room."""
    server, clients = people
    clients["ann"].call("POST", "/api/rooms", {"room": "porch", "kind": "open"})
    ann = signed_in(pages, clients["ann"], f"{server.url}/?room=porch", viewport=SCREENSHOT_PHONE)
    say(ann, "paint the porch?")
    act_more(ann, message(ann, "paint the porch?"), "Start a thread")
    thread = ann.locator("#thread-panel")
    expect(thread).to_be_visible()
    thread.locator("#thread-text").fill("green, this weekend")
    thread.get_by_label("Also send to").check()
    thread.get_by_role("button", name="Send later").click()
    expect(ann.get_by_role("menu", name="Send later")).to_be_visible()
    shoot(ann, tmp_path, "send-later-thread-phone")
    ann.get_by_role("menuitem", name="In 1 hour").click()
    expect(thread.locator("#thread-text")).to_have_value("")
    expect(thread.get_by_label("Also send to")).not_to_be_checked()
    (row,) = scheduled(clients["ann"])
    root = int(str(message(ann, "paint the porch?").get_attribute("data-id")))
    assert (row["room"], row["thread"], row["broadcast"]) == ("porch", root, True)
    answer = clients["ann"].call("POST", f"/api/me/scheduled/{row['id']}/send")
    assert answer.status == 200
    expect(thread.locator(".msg .text")).to_have_text(["paint the porch?", "green, this weekend"])


def test_an_edit_shows_in_the_list_when_its_own_frame_overtakes_it(
    people: tuple[ServerProcess, dict[str, WebClient]], pages: Pages
) -> None:
    """bob saves an edit; its scheduled frame reaches his page after the list was asked for, and the list
    that frame asks for is answered first: the list shows the new text, not the form any more."""
    server, clients = people
    assert clients["bob"].call("POST", "/api/rooms", {"room": "races", "kind": "open"}).status == 201
    bob = signed_in(pages, clients["bob"], f"{server.url}/?room=races")
    held_frames: list[tuple[WebSocketRoute, str | bytes]] = []
    held_lists: list[Route] = []
    holding = {"on": False}

    def relay(socket: WebSocketRoute) -> None:
        def to_page(data: str | bytes) -> None:
            if holding["on"] and isinstance(data, str) and '"type":"scheduled"' in data.replace(" ", ""):
                held_frames.append((socket, data))
            else:
                socket.send(data)

        socket.connect_to_server().on_message(to_page)

    def hold_list(route: Route) -> None:
        if holding["on"] and route.request.method == "GET" and not held_lists:
            held_lists.append(route)
        else:
            route.continue_()

    bob.route_web_socket(re.compile(r"/ws\?"), relay)
    bob.route("**/api/me/scheduled", hold_list)
    bob.reload()
    expect_online(bob)
    schedule_from_box(bob, "first words", "In 1 hour")
    bob.locator("#me").click()
    bob.get_by_role("button", name="⏰ Scheduled messages").click()
    panel = bob.get_by_role("dialog", name="Scheduled messages")
    entry = panel.locator("#scheduled-list > li")
    expect(entry.locator(".search-snippet")).to_have_text("first words")
    entry.get_by_role("button", name="Edit", exact=False).first.click()
    panel.locator(".scheduled-edit-text").fill("second thoughts")
    holding["on"] = True
    panel.get_by_role("button", name="Save").click()
    wait_for(
        bob,
        lambda: bool(held_lists and held_frames),
        why=lambda: "the edit's own look at the list, and its frame",
    )
    holding["on"] = False
    for socket, data in held_frames:  # the frame's look at the list goes through at once
        socket.send(data)
    expect(entry.locator(".search-snippet")).to_have_text("second thoughts")
    expect(panel.locator(".scheduled-edit")).to_have_count(0)
    held_lists[0].continue_()
