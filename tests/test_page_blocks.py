"""Blocking on the page (static/js/blocks.js, message_actions.js, account.js) in Chromium.

Three people signed in with passwords on a real ``python -m chatroom``: one
blocks another from a message's actions, and both her tabs hide his
messages at once behind a line that shows them; he sees nothing change; her
account menu lists him, and "Unblock" brings his messages back.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.support import ServerProcess
from tests.test_page import SCREENSHOT_PHONE, Pages, expect_online, say
from tests.test_page_changes import act, act_more, message, shoot
from tests.test_page_journey import signed_in
from tests.test_page_search import search
from tests.web_client import WebClient, signed_in_people

HIDDEN = "Message from a person you blocked — show"
LONG = "WolfgangAmadeusMozartOfSalzburgX"  # as long as a name may be (32), nowhere to break


@pytest.fixture(scope="module")
def people(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ServerProcess, dict[str, WebClient]]]:
    """A server without guests, and ann (its administrator), bob, cid, dan and a longest name signed in."""
    with signed_in_people(tmp_path_factory.mktemp("blocks-page"), "ann", "bob", "cid", "dan", LONG) as site:
        yield site


def expect_hidden(page: Page, text: str) -> None:
    """The message holding ``text`` is one line saying so, its text out of sight."""
    item = message(page, text)
    expect(item.locator(".blocked-note")).to_have_text(HIDDEN)
    expect(item.locator(".text")).to_be_hidden()


def at_the_rows_edge(row: Locator, button: Locator) -> None:
    """``button`` ends where its row does, as "Lift" does in a room's bars, whatever the name before it."""
    row_box, button_box = row.bounding_box(), button.bounding_box()
    assert row_box is not None and button_box is not None
    assert abs((row_box["x"] + row_box["width"]) - (button_box["x"] + button_box["width"])) <= 1


def test_a_block_hides_his_messages_in_every_tab_of_hers_and_unblocking_shows_them(
    people: tuple[ServerProcess, dict[str, WebClient]], pages: Pages, tmp_path: Path
) -> None:
    """ann blocks bob from his message: both her tabs hide it and his next one at once (and his typing),
    cid's stays; bob's page shows his as ever and he cannot start a conversation with her; "show" reveals
    one; her menu lists him, and Unblock brings every message back and empties the list."""
    server, clients = people
    url = f"{server.url}/?room=lobby"
    ann = signed_in(pages, clients["ann"], url)
    ann_phone = signed_in(pages, clients["ann"], url, viewport=SCREENSHOT_PHONE, color_scheme="dark")
    bob = signed_in(pages, clients["bob"], url)
    cid = signed_in(pages, clients["cid"], url)
    say(bob, "@ann buy my course")
    say(cid, "hello everyone")
    act_more(ann, message(ann, "buy my course"), "Block bob")
    for page in (ann, ann_phone):
        expect_hidden(page, "buy my course")
        expect(message(page, "hello everyone").locator(".text")).to_be_visible()
    cid.wait_for_timeout(2600)  # a page says it is typing at most every 2.5 s
    bob.locator("#text").press_sequentially("are you")
    cid.locator("#text").press_sequentially("so")
    expect(ann.locator("#typing")).to_contain_text("cid")
    expect(ann.locator("#typing")).not_to_contain_text("bob")
    say(bob, "why no answer?")
    for page in (ann, ann_phone):
        expect_hidden(page, "why no answer?")
    expect(bob.locator(".blocked-note")).to_have_count(0)
    expect(message(bob, "why no answer?").locator(".text")).to_be_visible()
    refused = clients["bob"].call("POST", "/api/direct", {"members": ["ann"]})
    assert refused.error == (403, "blocked")
    shoot(ann_phone, tmp_path, "blocked-phone")

    message(ann_phone, "buy my course").get_by_role("button", name="show").click()
    expect(message(ann_phone, "buy my course").locator(".text")).to_have_text("@ann buy my course")
    expect_hidden(ann, "buy my course")

    ann.locator("#me").click()
    menu = ann.get_by_role("dialog")
    expect(menu.locator("#blocks-list .nick")).to_have_text(["bob"])
    expect(menu.locator("#blocks-none")).to_be_hidden()
    at_the_rows_edge(menu.locator("#blocks-list li"), menu.get_by_role("button", name="Unblock bob"))
    shoot(ann, tmp_path, "blocks-menu-desktop")
    menu.get_by_role("button", name="Unblock bob").click()
    expect(menu.locator("#blocks-none")).to_be_visible()
    expect(menu.locator("#blocks-list li")).to_have_count(0)
    for page in (ann, ann_phone):
        expect(page.locator("#messages .blocked-note")).to_have_count(0)
        expect(message(page, "why no answer?").locator(".text")).to_be_visible()
    assert clients["bob"].call("POST", "/api/direct", {"members": ["ann"]}).status == 201


def test_a_blocked_persons_message_to_her_conversation_is_refused_on_his_page(
    people: tuple[ServerProcess, dict[str, WebClient]], pages: Pages, tmp_path: Path
) -> None:
    """In the direct conversation of cid and bob, which cid then blocks: bob's message is not sent and his
    page says why; cid's page shows nothing of it."""
    server, clients = people
    dm = clients["cid"].call("POST", "/api/direct", {"members": ["bob"]}).json["room"]
    bob = signed_in(pages, clients["bob"], f"{server.url}/?room={dm}")
    cid = signed_in(pages, clients["cid"], f"{server.url}/?room={dm}")
    say(bob, "hi cid")
    expect(message(cid, "hi cid")).to_be_visible()
    assert clients["cid"].call("PUT", "/api/me/blocks/bob").status == 200
    box = bob.locator("#text")
    box.fill("are you there?")
    box.press("Enter")
    expect(bob.locator("#send-error")).to_have_text(
        "cid does not take messages from you. Your message was not sent."
    )
    shoot(bob, tmp_path, "blocked-refusal-desktop")
    cid.wait_for_timeout(300)
    expect(cid.locator("#messages .msg")).to_have_count(1)


def test_a_long_name_in_the_blocked_list_stays_inside_the_menu_on_a_phone(
    people: tuple[ServerProcess, dict[str, WebClient]], pages: Pages, tmp_path: Path
) -> None:
    """bob blocks someone with a 32-letter name: on his phone, the account menu lists the name, cut short
    rather than pushing "Unblock" out of the menu (which scrolls only up and down), at the row's edge."""
    server, clients = people
    assert clients["bob"].call("PUT", f"/api/me/blocks/{LONG}").status == 200
    bob = signed_in(pages, clients["bob"], f"{server.url}/?room=lobby", viewport=SCREENSHOT_PHONE)
    bob.locator("#me").click()
    menu = bob.get_by_role("dialog")
    unblock = menu.get_by_role("button", name=f"Unblock {LONG}")
    unblock.scroll_into_view_if_needed()
    expect(unblock).to_be_visible()
    button, box = unblock.bounding_box(), menu.bounding_box()
    assert button is not None and box is not None
    assert box["x"] <= button["x"] and button["x"] + button["width"] <= box["x"] + box["width"]
    assert menu.evaluate("menu => menu.scrollWidth <= menu.clientWidth")
    at_the_rows_edge(menu.locator("#blocks-list li").filter(has_text=LONG[:8]), unblock)
    shoot(bob, tmp_path, "blocks-menu-phone")
    unblock.click()
    expect(menu.locator("#blocks-none")).to_be_visible()


def test_a_blocked_persons_words_are_hidden_in_search_results_pins_and_quotes(
    people: tuple[ServerProcess, dict[str, WebClient]], pages: Pages, tmp_path: Path
) -> None:
    """In the open room "pier", bob's message is pinned and ann answers it; cid, who blocked bob, finds it
    by search: the result, the pins panel's entry and ann's reply's quote each say "Message from a person
    you blocked — show" without bob's name or words, and "show" (the quote's first press) shows them; ann
    sees everything as ever; unblocked, cid's page shows them all again."""
    server, clients = people
    assert clients["ann"].call("POST", "/api/rooms", {"room": "pier", "kind": "open"}).status == 201
    url = f"{server.url}/?room=pier"
    bob, ann = signed_in(pages, clients["bob"], url), signed_in(pages, clients["ann"], url)
    say(bob, "selling cheap kayaks today")
    act(bob, message(bob, "cheap kayaks"), "Pin to this room")
    act(ann, message(ann, "cheap kayaks"), "Reply")
    say(ann, "no thanks")
    assert clients["cid"].call("PUT", "/api/me/blocks/bob").status == 200
    cid = signed_in(pages, clients["cid"], url)
    phone = signed_in(pages, clients["cid"], url, viewport=SCREENSHOT_PHONE, color_scheme="dark")
    for page in (cid, phone):
        expect_hidden(page, "cheap kayaks")
        quote = message(page, "no thanks").locator(".reply-quote")
        expect(quote).to_have_accessible_name(HIDDEN)
        expect(quote.locator(".quote-text")).to_be_hidden()
    expect(message(ann, "no thanks").locator(".reply-quote")).to_contain_text("bob selling cheap kayaks")
    shoot(phone, tmp_path, "blocked-quote-phone")
    quote = message(cid, "no thanks").locator(".reply-quote")
    quote.click()  # the first press shows it, and stays here
    expect(quote.locator(".quote-text")).to_have_text("selling cheap kayaks today")
    expect(quote.locator(".nick")).to_have_text("bob")
    expect(message(cid, "cheap kayaks").locator(".text")).to_be_hidden()
    expect(message(phone, "no thanks").locator(".reply-quote .quote-text")).to_be_hidden()

    for page in (cid, phone):
        search(page, "kayaks")
        results = page.locator("#search-results > li")
        expect(results).to_have_count(1)
        expect(results.locator(".blocked-note")).to_have_text(HIDDEN)
        expect(results.locator(".search-snippet")).to_be_hidden()
        expect(results.locator(".nick")).to_be_hidden()
    shoot(cid, tmp_path, "blocked-search-desktop")
    shoot(phone, tmp_path, "blocked-search-phone")
    results = cid.locator("#search-results > li")
    results.get_by_role("button", name="show").click()
    expect(results.locator(".search-snippet")).to_have_text("selling cheap kayaks today")
    expect(results.locator(".blocked-note")).to_be_hidden()
    cid.get_by_role("dialog", name="Search messages").get_by_role("button", name="Close").click()

    cid.locator("#pins-open").click()
    panel = cid.get_by_role("dialog", name="Pinned messages")
    pinned = panel.locator("#pins-list > li")
    expect(pinned.locator(".blocked-note")).to_have_text(HIDDEN)
    expect(pinned.locator(".search-snippet")).to_be_hidden()
    shoot(cid, tmp_path, "blocked-pins-desktop")
    pinned.get_by_role("button", name="show").click()
    expect(pinned.locator(".search-snippet")).to_have_text("selling cheap kayaks today")
    expect(pinned.locator(".pin-by")).to_contain_text("Pinned by bob")

    assert clients["cid"].call("DELETE", "/api/me/blocks/bob").status == 200
    phone.reload()
    expect_online(phone)
    expect(message(phone, "cheap kayaks").locator(".text")).to_be_visible()
    expect(message(phone, "no thanks").locator(".reply-quote .quote-text")).to_be_visible()
    expect(message(phone, "no thanks").locator(".reply-quote .blocked-note")).to_be_hidden()


def test_what_a_blocked_person_wrote_before_a_rename_is_hidden_too(
    people: tuple[ServerProcess, dict[str, WebClient]], pages: Pages
) -> None:
    """dan writes, renames himself daniel and writes again; ann blocks daniel: her page hides both
    messages, the older bearing his former name; shown, "Unblock dan" on it unblocks daniel."""
    server, clients = people
    room = f"{server.url}/?room=lobby"
    dan = signed_in(pages, clients["dan"], room)
    say(dan, "old words from dan")
    assert clients["dan"].call("PATCH", "/api/me", {"name": "daniel"}).status == 200
    dan.reload()
    say(dan, "new words from daniel")
    assert clients["ann"].call("PUT", "/api/me/blocks/daniel").status == 200
    ann = signed_in(pages, clients["ann"], room)
    expect_hidden(ann, "old words from dan")
    expect_hidden(ann, "new words from daniel")
    message(ann, "old words from dan").get_by_role("button", name="show").click()
    act_more(ann, message(ann, "old words from dan"), "Unblock dan")
    expect(message(ann, "old words from dan").locator(".text")).to_be_visible()
    expect(message(ann, "new words from daniel").locator(".text")).to_be_visible()
    assert clients["ann"].get("/api/me/blocks").json == {"blocks": []}
