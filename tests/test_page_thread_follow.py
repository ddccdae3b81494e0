"""Followed threads on the page (static/js/threads_view.js, thread_follow.js, thread_tools.js) in Chromium.

People signed in with tokens on a real ``python -m chatroom``: a reply makes
the root's author follow its thread, the "Threads" entry's badge counts it,
its list opens the thread, which reads it on every page; Follow and Unfollow
in the panel; who is typing a reply; 📎 in the thread. Screenshots on a
desktop and a phone, light and dark.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests import test_page_changes, test_page_saved, test_page_threads, test_page_unread
from tests.support import ServerProcess
from tests.test_page import SCREENSHOT_PHONE, Pages, expect_online, say, token_for
from tests.test_page_journey import signed_in
from tests.web_client import WebClient

act = test_page_changes.act
message = test_page_changes.message
open_as = test_page_changes.open_as
open_room = test_page_changes.open_room
shoot = test_page_changes.shoot
panel = test_page_threads.panel
open_saved = test_page_saved.open_saved
people = test_page_saved.people
reply_in_thread = test_page_threads.reply_in_thread


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """Accounts only, signed in with tokens."""
    yield from test_page_changes.accounts_server(tmp_path_factory, "thread-follow-page")


def entry(page: Page):  # type: ignore[no-untyped-def]
    """The side panel's "Threads" entry."""
    return page.locator("#threads-open")


def open_the_drawer(page: Page) -> None:
    """On a phone, the side panel is a drawer: open it."""
    toggle = page.locator("#drawer-toggle")
    if toggle.is_visible():
        toggle.click()


def test_a_reply_counts_in_the_threads_badge_and_the_list_opens_the_thread_read(
    server: ServerProcess, pages: Pages, tmp_path: Path
) -> None:
    """bob's message gets ann's reply: bob's Threads badge says 1, his list shows the room, his root, ann
    as who replied and "1 new reply"; pressing it opens the thread, which reads it: the badge goes, on
    his second page too. Unfollow takes it off his list; Follow brings it back."""
    open_room(server, "garden")
    ann = open_as(pages, server, "ann", "garden")
    bob = open_as(pages, server, "bob", "garden")
    bob_again = open_as(pages, server, "bob", "garden", viewport=SCREENSHOT_PHONE, color_scheme="dark")
    say(bob, "who waters the tomatoes?")
    act(ann, message(ann, "who waters the tomatoes?"), "Start a thread")
    reply_in_thread(ann, "I will, on Monday")
    for page in (bob, bob_again):
        open_the_drawer(page)
        expect(entry(page)).to_be_visible()
        expect(entry(page).locator(".badge")).to_have_text("1")
    shoot(bob, tmp_path, "threads-badge-desktop")
    shoot(bob_again, tmp_path, "threads-badge-phone")
    entry(bob).click()
    listed = bob.get_by_role("list", name="Threads you follow, those with new replies first")
    expect(listed.locator("li")).to_have_count(1)
    expect(listed.locator("li")).to_contain_text("garden")
    expect(listed.locator("li")).to_contain_text("who waters the tomatoes?")
    expect(listed.locator("li")).to_contain_text("1 new reply")
    expect(listed.locator(".thread-authors")).to_have_text("ann replied")
    shoot(bob, tmp_path, "threads-list-desktop")
    listed.get_by_role("link").click()
    expect(panel(bob)).to_be_visible()
    expect(panel(bob).locator(".msg .text")).to_have_text(["who waters the tomatoes?", "I will, on Monday"])
    for page in (bob, bob_again):
        expect(entry(page).locator(".badge")).to_be_hidden()
    follow = panel(bob).get_by_role("button", name="Unfollow")
    expect(follow).to_be_visible()
    follow.click()
    expect(panel(bob).get_by_role("button", name="Follow", exact=True)).to_be_visible()
    entry(bob).click()
    expect(bob.locator("#threads-note")).to_contain_text("No threads yet")
    bob.locator("#threads-close").click()
    panel(bob).get_by_role("button", name="Follow", exact=True).click()
    expect(panel(bob).get_by_role("button", name="Unfollow")).to_be_visible()
    shoot(bob, tmp_path, "thread-following-desktop")


def test_a_mention_in_a_reply_stands_out_and_opens_from_another_room(
    server: ServerProcess, pages: Pages, tmp_path: Path
) -> None:
    """cid, mentioned in a reply in "orchard" while he reads "lobby" on his phone, follows the thread:
    his badge stands out (a mention); pressing the entry in his list opens "orchard" with the thread."""
    open_room(server, "orchard")
    open_room(server, "meadow")
    ann = open_as(pages, server, "ann", "orchard")
    cid = open_as(pages, server, "cid", "meadow", viewport=SCREENSHOT_PHONE, color_scheme="dark")
    say(ann, "apples are ripe")
    act(ann, message(ann, "apples are ripe"), "Start a thread")
    reply_in_thread(ann, "@cid can you pick them?")
    open_the_drawer(cid)
    expect(entry(cid).locator(".badge.mention")).to_have_text("1")
    shoot(cid, tmp_path, "threads-mention-phone")
    entry(cid).click()
    cid.get_by_role("list", name="Threads you follow, those with new replies first").get_by_role(
        "link"
    ).click()
    expect(cid).to_have_url(f"{server.url}/?room=orchard#t-1")
    expect(panel(cid)).to_be_visible()
    expect(panel(cid).locator(".msg .text").last).to_have_text("@cid can you pick them?")
    shoot(cid, tmp_path, "threads-opened-phone")


def test_typing_and_a_file_in_the_thread(server: ServerProcess, pages: Pages, tmp_path: Path) -> None:
    """bob types in the thread's box: ann's panel says "bob is typing…", her room's line says nothing;
    ann attaches a file with 📎 in the panel: it comes as a reply in the thread, in both panels."""
    open_room(server, "shed")
    ann = open_as(pages, server, "ann", "shed")
    bob = open_as(pages, server, "bob", "shed")
    say(ann, "tools inventory")
    for page in (ann, bob):
        act(page, message(page, "tools inventory"), "Start a thread")
        expect(panel(page)).to_be_visible()
    panel(bob).get_by_role("textbox", name="Reply in the thread").press_sequentially("a rake and")
    expect(ann.locator("#thread-typing")).to_have_text("bob is typing…")
    expect(ann.locator("#typing")).to_have_text("")
    shoot(ann, tmp_path, "thread-typing-desktop")
    attach = panel(ann).get_by_role("button", name="Attach files to the thread")
    expect(attach).to_be_visible()
    ann.locator("#thread-file-input").set_input_files(
        files=[{"name": "tools.txt", "mimeType": "text/plain", "buffer": b"rake\nspade\n"}]
    )
    for page in (ann, bob):
        expect(panel(page).locator(".msg").last).to_contain_text("tools.txt")
        expect(page.locator("#messages .msg")).to_have_count(1)
    shoot(bob, tmp_path, "thread-file-desktop")


def test_a_saved_thread_reply_opens_its_thread_and_the_arrow_keys_move_in_it(
    people: tuple[ServerProcess, dict[str, WebClient]], pages: Pages
) -> None:
    """bob saved ann's reply in a thread: his Saved messages' entry opens the thread at it, not just the
    room; in the panel, ArrowUp and ArrowDown move from message to message, as in the timeline."""
    server, clients = people
    clients["ann"].call("POST", "/api/rooms", {"room": "porch", "kind": "open"})
    url = f"{server.url}/?room=porch"
    ann, bob = signed_in(pages, clients["ann"], url), signed_in(pages, clients["bob"], url)
    say(bob, "where are the keys?")
    act(ann, message(ann, "where are the keys?"), "Start a thread")
    reply_in_thread(ann, "under the mat")
    reply_id = panel(ann).locator(".msg").last.get_attribute("data-id")
    assert clients["bob"].call("PUT", f"/api/me/saved/porch/{reply_id}").status == 200
    open_saved(bob)
    bob.get_by_role("dialog", name="Saved messages").get_by_role("link").click()
    expect(panel(bob)).to_be_visible()
    reply = panel(bob).locator(f'.msg[data-id="{reply_id}"]')
    expect(reply).to_be_focused()
    reply.press("ArrowUp")
    expect(panel(bob).locator(".thread-root")).to_be_focused()
    bob.keyboard.press("ArrowDown")
    expect(reply).to_be_focused()


def test_a_reply_in_a_followed_thread_pops_up_a_notification_in_a_background_tab(
    server: ServerProcess, pages: Pages
) -> None:
    """bob's tab is in the background: ann's reply in his thread pops up one notification naming her and
    the room, with the reply's text; ann's own tab, which she replies from, pops up nothing; clicking
    bob's opens the thread."""
    open_room(server, "yard")
    bob = pages.open("about:blank")
    bob.context.grant_permissions(["notifications"], origin=server.url)
    bob.context.add_init_script(test_page_unread.CATCH)
    bob.goto(f"{server.url}/?room=yard&token={token_for('bob')}")
    expect_online(bob)
    ann = open_as(pages, server, "ann", "yard")
    say(bob, "the fence is down")
    bob.evaluate("window.__background(true)")
    act(ann, message(ann, "the fence is down"), "Start a thread")
    reply_in_thread(ann, "I'll fix it on Saturday")
    for _ in range(100):
        if bob.evaluate("window.__notes.length"):
            break
        bob.wait_for_timeout(50)
    bob.wait_for_timeout(500)
    root = message(bob, "the fence is down").get_attribute("data-id")
    assert test_page_unread.caught(bob) == [
        {
            "title": "ann replied in a thread in #yard",
            "body": "I'll fix it on Saturday",
            "tag": f"chatroom:thread:yard:{root}",
        }
    ]
    bob.evaluate("window.__background(false)")
    bob.evaluate("window.__notes[0].note.listeners.forEach((listener) => listener())")
    expect(panel(bob)).to_be_visible()
    expect(panel(bob).locator(".msg .text").last).to_have_text("I'll fix it on Saturday")
