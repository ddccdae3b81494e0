"""Threads on the page (static/js/thread.js, thread_summary.js, messages.js) in Chromium.

Two people signed in with tokens on a real ``python -m chatroom``: one replies
in a thread, the other sees the root's summary count up at once and opens the
thread; the keyboard reaches and closes it; screenshots on a desktop and a
phone, light and dark.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Locator, Page, expect

from tests import test_page, test_page_changes, test_page_offline, test_page_search
from tests.support import ServerProcess, call_api
from tests.test_page import SCREENSHOT_PHONE, Pages, expect_online, say

act = test_page_changes.act
message = test_page_changes.message
open_as = test_page_changes.open_as
open_room = test_page_changes.open_room
shoot = test_page_changes.shoot


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """Accounts only, signed in with tokens."""
    yield from test_page_changes.accounts_server(tmp_path_factory, "threads-page")


def panel(page: Page) -> Locator:
    """The thread panel, by its name."""
    return page.get_by_role("complementary", name="Thread")


def reply_in_thread(page: Page, text: str) -> None:
    """Type ``text`` into the thread's box and press Enter; wait until the panel shows it, stored (the
    box empties at once, the reply shows when the server sends it back with its id)."""
    box = panel(page).get_by_role("textbox", name="Reply in the thread")
    replies = panel(page).locator(".msg").filter(has=page.locator(".text", has_text=text))
    shown = replies.count()
    box.fill(text)
    box.press("Enter")
    expect(box).to_have_value("")
    expect(replies).to_have_count(shown + 1)


def test_one_replies_in_a_thread_the_other_sees_the_summary_and_opens_it(
    server: ServerProcess, pages: Pages, tmp_path: Path
) -> None:
    """ann opens bob's message's thread and replies twice: the replies show in her panel, not in either
    timeline; bob's root counts them up live ("2 replies · last reply …"); bob opens the thread from
    the summary on his phone, reads both, replies, and ann's panel shows his reply at once."""
    open_room(server, "kitchen")
    ann = open_as(pages, server, "ann", "kitchen")
    bob = open_as(pages, server, "bob", "kitchen", viewport=SCREENSHOT_PHONE, color_scheme="dark")
    say(bob, "lunch at noon?")
    say(bob, "also: the fridge is empty")
    act(ann, message(ann, "lunch at noon?"), "Start a thread")
    expect(panel(ann)).to_be_visible()
    expect(panel(ann).locator(".thread-root .text")).to_have_text("lunch at noon?")
    reply_in_thread(ann, "count me in")
    reply_in_thread(ann, "noon works")
    expect(panel(ann).locator(".msg .text")).to_have_text(["lunch at noon?", "count me in", "noon works"])
    summary = message(bob, "lunch at noon?").locator(".thread-summary")
    expect(summary).to_contain_text("2 replies · last reply")
    expect(message(ann, "lunch at noon?").locator(".thread-summary")).to_contain_text("2 replies")
    for page in (ann, bob):
        expect(page.locator("#messages .msg .text")).to_have_text(
            ["lunch at noon?", "also: the fridge is empty"]
        )
    shoot(ann, tmp_path, "thread-panel-desktop")
    shoot(bob, tmp_path, "thread-summary-phone")

    summary.click()
    expect(panel(bob)).to_be_visible()
    expect(panel(bob).locator(".msg .text")).to_have_text(["lunch at noon?", "count me in", "noon works"])
    reply_in_thread(bob, "great, see you")
    expect(panel(ann).locator(".msg .text").last).to_have_text("great, see you")
    expect(message(ann, "lunch at noon?").locator(".thread-summary")).to_contain_text("3 replies")
    shoot(bob, tmp_path, "thread-panel-phone")
    panel(bob).get_by_role("button", name="Close the thread").click()
    expect(panel(bob)).to_be_hidden()

    carl = open_as(pages, server, "carl", "kitchen")
    expect(carl.locator("#messages .msg .text")).to_have_text(["lunch at noon?", "also: the fridge is empty"])
    expect(message(carl, "lunch at noon?").locator(".thread-summary")).to_contain_text("3 replies")


def test_the_keyboard_opens_a_thread_and_escape_closes_it(server: ServerProcess, pages: Pages) -> None:
    """The summary is a button reached with Tab; Enter opens the thread with the focus in its box;
    Escape closes it and gives the focus back to the summary."""
    open_room(server, "garden")
    dee = open_as(pages, server, "dee", "garden")
    say(dee, "who waters the plants?")
    act(dee, message(dee, "who waters the plants?"), "Start a thread")
    reply_in_thread(dee, "me, on Mondays")
    dee.keyboard.press("Escape")
    expect(panel(dee)).to_be_hidden()
    summary = message(dee, "who waters the plants?").get_by_role(
        "button", name="1 reply, last reply at", exact=False
    )
    summary.focus()
    dee.keyboard.press("Enter")
    box = panel(dee).get_by_role("textbox", name="Reply in the thread")
    expect(box).to_be_focused()
    dee.keyboard.press("Escape")
    expect(panel(dee)).to_be_hidden()
    expect(summary).to_be_focused()


def test_the_reply_box_offers_and_edits_as_the_message_box_does(
    server: ServerProcess, pages: Pages, tmp_path: Path
) -> None:
    """In a thread's box "@b" offers bob, ":tad" 🎉 and "/sh" /shrug, in the panel's own list that
    the box points at; Enter or Tab chooses without sending, Escape closes the list and not the
    thread; the reply goes as chosen. Up in the empty box edits her last reply."""
    open_room(server, "stoop")
    ann = open_as(pages, server, "ann", "stoop")
    open_as(pages, server, "bob", "stoop")
    say(ann, "who brings chairs?")
    act(ann, message(ann, "who brings chairs?"), "Start a thread")
    box = panel(ann).get_by_role("textbox", name="Reply in the thread")
    offers = panel(ann).get_by_role("listbox", name="People to mention")
    expect(box).to_have_attribute("aria-controls", "thread-completion-list")
    box.press_sequentially("@b")
    expect(offers.get_by_role("option")).to_have_text(["bob"])
    expect(box).to_have_attribute("aria-activedescendant", "thread-completion-option-0")
    expect(ann.locator("#completion-list")).to_be_hidden()
    shoot(ann, tmp_path, "thread-suggestions")
    box.press("Enter")
    expect(box).to_have_value("@bob ")
    expect(offers).to_be_hidden()
    box.press_sequentially(":tad")
    expect(panel(ann).get_by_role("listbox", name="Emoji").get_by_role("option").first).to_contain_text(
        ":tada:"
    )
    box.press("Tab")
    expect(box).to_have_value("@bob 🎉 ")
    box.press_sequentially("@")
    expect(offers).to_be_visible()
    box.press("Escape")
    expect(offers).to_be_hidden()
    expect(panel(ann)).to_be_visible()
    box.press("Backspace")
    box.press("Enter")
    expect(panel(ann).locator(".msg .text").last).to_have_text("@bob 🎉")

    box.press_sequentially("/sh")
    commands = panel(ann).get_by_role("listbox", name="Commands")
    expect(commands.locator(".completion-command")).to_have_text(["/shrug"])
    box.press("Enter")
    box.press_sequentially("me too")
    box.press("Enter")
    expect(panel(ann).locator(".msg .text").last).to_have_text("me too ¯\\_(ツ)_/¯")
    expect(message(ann, "who brings chairs?").locator(".thread-summary")).to_contain_text("2 replies")

    # Up in the empty box edits her last reply, as in the message box; Escape ends the edit, not the thread.
    box.press("ArrowUp")
    field = panel(ann).get_by_role("textbox", name="Edit the message")
    expect(field).to_be_focused()
    field.press("Escape")
    expect(field).to_have_count(0)
    expect(panel(ann)).to_be_visible()
    expect(box).to_be_focused()
    box.press("ArrowUp")
    field.fill("me too, twice")
    field.press("Enter")
    expect(panel(ann).locator(".msg .text").last).to_have_text("me too, twice")
    expect(box).to_be_focused()


def test_archiving_the_room_ends_an_edit_in_the_thread_panel(server: ServerProcess, pages: Pages) -> None:
    """ann edits her reply in the open thread when the room is archived: the edit ends there as in the
    timeline, the reply shows its text again, and the panel stays open."""
    open_room(server, "greenhouse")
    ann = open_as(pages, server, "ann", "greenhouse")
    say(ann, "who waters the plants?")
    act(ann, message(ann, "who waters the plants?"), "Start a thread")
    reply_in_thread(ann, "I can on Monday")
    say(ann, "and the ferns too")
    box = panel(ann).get_by_role("textbox", name="Reply in the thread")
    box.press("ArrowUp")
    expect(panel(ann).get_by_role("textbox", name="Edit the message")).to_be_focused()
    ann.locator("#text").press("ArrowUp")
    expect(ann.locator("#messages .edit-form")).to_have_count(1)
    status, _ = call_api(
        server, "PATCH", "/api/rooms/greenhouse", {"archived": True}, f"Bearer {test_page.token_for('ann')}"
    )
    assert status == 200
    expect(ann.locator("#room-archived")).to_be_visible()
    expect(ann.locator(".edit-form")).to_have_count(0)
    expect(panel(ann).locator(".msg .text").last).to_have_text("I can on Monday")
    expect(panel(ann).locator(".msg .text").last).to_be_visible()
    expect(panel(ann)).to_be_visible()


def test_a_refused_reply_is_said_in_the_panel_and_keeps_its_text(server: ServerProcess, pages: Pages) -> None:
    """The root deleted while the thread is open: a reply is refused, said in the panel, its text kept."""
    open_room(server, "attic")
    eve = open_as(pages, server, "eve", "attic")
    say(eve, "boxes to sort")
    act(eve, message(eve, "boxes to sort"), "Start a thread")
    expect(panel(eve)).to_be_visible()
    act(eve, message(eve, "boxes to sort"), "Delete")
    eve.get_by_role("button", name="Delete for everyone").click()
    expect(eve.locator("#messages .msg.deleted")).to_have_count(1)
    box = panel(eve).get_by_role("textbox", name="Reply in the thread")
    box.fill("too late?")
    box.press("Enter")
    expect(panel(eve).get_by_role("alert")).to_have_text(
        "This thread takes no more replies: its message was deleted."
    )
    expect(box).to_have_value("too late?")


def test_a_thread_reply_found_by_search_opens_its_thread(server: ServerProcess, pages: Pages) -> None:
    """A search result that is a thread reply opens the thread, in this room and from another."""
    open_room(server, "cellar")
    open_room(server, "porch")
    fay = open_as(pages, server, "fay", "cellar")
    say(fay, "the wine list")
    act(fay, message(fay, "the wine list"), "Start a thread")
    reply_in_thread(fay, "a riesling from 2019")
    fay.keyboard.press("Escape")
    test_page_search.search(fay, "riesling")
    fay.locator(".search-result").click()
    expect(panel(fay)).to_be_visible()
    expect(panel(fay).locator(".msg .text")).to_have_text(["the wine list", "a riesling from 2019"])

    elsewhere = open_as(pages, server, "fay", "porch")
    test_page_search.search(elsewhere, "riesling")
    elsewhere.locator(".search-result").click()
    expect_online(elsewhere)
    expect(panel(elsewhere)).to_be_visible()
    expect(panel(elsewhere).locator(".msg .text").last).to_have_text("a riesling from 2019")


def test_a_reply_also_sent_to_the_room_shows_in_the_timeline_too(
    server: ServerProcess, pages: Pages, tmp_path: Path
) -> None:
    """ "Also send to #room" once: that reply shows in both timelines, marked as replied in a thread (which
    opens it), and stays in the thread; the next reply stays in the thread alone, the box unticked."""
    open_room(server, "hall")
    gil = open_as(pages, server, "gil", "hall")
    hal = open_as(pages, server, "hal", "hall", viewport=SCREENSHOT_PHONE, color_scheme="dark")
    say(gil, "party on friday?")
    act(gil, message(gil, "party on friday?"), "Start a thread")
    also = panel(gil).get_by_role("checkbox", name="Also send to #hall")
    also.check()
    reply_in_thread(gil, "yes, at eight: everyone welcome")
    expect(also).not_to_be_checked()
    reply_in_thread(gil, "I bring the cake")
    for page in (gil, hal):
        expect(page.locator("#messages .msg .text")).to_have_text(
            ["party on friday?", "yes, at eight: everyone welcome"]
        )
        expect(message(page, "yes, at eight").locator(".thread-from")).to_have_text("🧵replied in a thread")
        expect(message(page, "party on friday?").locator(".thread-summary")).to_contain_text("2 replies")
    expect(panel(gil).locator(".msg .text")).to_have_text(
        ["party on friday?", "yes, at eight: everyone welcome", "I bring the cake"]
    )
    shoot(gil, tmp_path, "thread-broadcast-desktop")
    shoot(hal, tmp_path, "thread-broadcast-phone")
    hal.get_by_role("button", name="Replied in a thread: open the thread").click()
    expect(panel(hal).locator(".msg .text").last).to_have_text("I bring the cake")


def test_a_reply_is_reacted_to_edited_and_deleted_in_the_panel(server: ServerProcess, pages: Pages) -> None:
    """The panel's messages offer the toolbar (no Reply, no thread: the panel's box is the reply): ivy
    reacts to jon's reply and edits and deletes her own; jon's panel shows each change at once."""
    open_room(server, "studio")
    ivy = open_as(pages, server, "ivy", "studio")
    jon = open_as(pages, server, "jon", "studio")
    say(ivy, "paint the door?")
    act(ivy, message(ivy, "paint the door?"), "Start a thread")
    act(jon, message(jon, "paint the door?"), "Start a thread")
    reply_in_thread(jon, "blue, please")
    reply_in_thread(ivy, "blue it is")
    theirs = panel(ivy).locator(".msg").filter(has_text="blue, please")
    theirs.hover()
    names = theirs.get_by_role("toolbar", name="Message actions").get_by_role("button")
    expect(names.first).to_have_accessible_name("React")
    theirs.get_by_role("button", name="React", exact=True).click()
    theirs.get_by_role("button", name="React with 👍").click()
    expect(panel(jon).locator(".msg").filter(has_text="blue, please").locator(".reaction")).to_have_text(
        "👍1"
    )
    mine = panel(ivy).locator(".msg").filter(has_text="blue it is")
    mine.hover()
    mine.get_by_role("button", name="Edit", exact=True).click()
    field = mine.get_by_role("textbox", name="Edit the message")
    field.fill("navy blue it is")
    field.press("Enter")
    expect(panel(jon).locator(".msg .text").last).to_have_text("navy blue it is")
    mine.hover()
    mine.get_by_role("button", name="Delete", exact=True).click()
    mine.get_by_role("button", name="Delete for everyone").click()
    expect(panel(jon).locator(".msg.deleted")).to_have_count(1)
    for page in (ivy, jon):  # both panels hold the thread: the root's count goes down at once
        expect(message(page, "paint the door?").locator(".thread-summary")).to_contain_text("1 reply ·")


def test_a_replys_link_opens_the_page_with_its_thread_open_at_it(server: ServerProcess, pages: Pages) -> None:
    """ "Copy link" on a reply in the panel gives ``?room=R#t-ROOT-ID``; opened, the page shows the thread
    with that reply focused; closing the thread leaves the address, so coming back does not reopen it."""
    open_room(server, "workshop")
    kay = open_as(pages, server, "kay", "workshop", permissions=test_page_changes.CLIPBOARD)
    say(kay, "the saw is blunt")
    act(kay, message(kay, "the saw is blunt"), "Start a thread")
    reply_in_thread(kay, "new blade ordered")
    reply = panel(kay).locator(".msg").filter(has_text="new blade ordered")
    root_id, reply_id = (
        message(kay, "the saw is blunt").get_attribute("data-id"),
        reply.get_attribute("data-id"),
    )
    test_page_changes.act_more(kay, reply, "Copy link")
    link = kay.evaluate("navigator.clipboard.readText()")
    assert link.endswith(f"/?room=workshop#t-{root_id}-{reply_id}")

    lou = pages.open(f"{server.url}/?room=workshop&token={test_page.token_for('lou')}#t-{root_id}-{reply_id}")
    expect_online(lou)
    expect(panel(lou)).to_be_visible()
    expect(panel(lou).locator(".msg").filter(has_text="new blade ordered")).to_be_focused()
    lou.keyboard.press("Escape")
    expect(panel(lou)).to_be_hidden()
    assert "#t-" not in lou.url


def test_an_open_thread_catches_up_after_a_lost_connection(server: ServerProcess, pages: Pages) -> None:
    """mo's thread stays open through a lost connection: the reply and the edit made meanwhile show once
    the page is back, and the root's count with them."""
    open_room(server, "shed")
    ned = open_as(pages, server, "ned", "shed")
    say(ned, "tools inventory")
    act(ned, message(ned, "tools inventory"), "Start a thread")
    reply_in_thread(ned, "two hammers")
    mo, line = test_page_offline.on_line(pages, server, "mo", "shed")
    message(mo, "tools inventory").locator(".thread-summary").click()
    expect(panel(mo).locator(".msg .text")).to_have_text(["tools inventory", "two hammers"])
    line.go_down()
    expect(mo.locator("#status")).to_have_attribute("data-state", "offline")
    reply_in_thread(ned, "one saw")
    hammers_id = panel(ned).locator(".msg").filter(has_text="two hammers").get_attribute("data-id")
    hammers = panel(ned).locator(f'.msg[data-id="{hammers_id}"]')
    hammers.hover()
    hammers.get_by_role("button", name="Edit", exact=True).click()
    field = hammers.get_by_role("textbox", name="Edit the message")
    field.fill("three hammers")
    field.press("Enter")
    expect(hammers.locator(".text")).to_have_text("three hammers")
    line.come_back(mo)
    expect(panel(mo).locator(".msg .text")).to_have_text(["tools inventory", "three hammers", "one saw"])
    expect(message(mo, "tools inventory").locator(".thread-summary")).to_contain_text("2 replies")


def test_a_pinned_thread_reply_opens_its_thread_from_the_pins(server: ServerProcess, pages: Pages) -> None:
    """A reply pinned from the panel is in the room's pins; its entry opens the thread, at the reply."""
    open_room(server, "office")
    max_ = open_as(pages, server, "max", "office")
    say(max_, "wifi password?")
    act(max_, message(max_, "wifi password?"), "Start a thread")
    reply_in_thread(max_, "it is on the fridge")
    reply = panel(max_).locator(".msg").filter(has_text="it is on the fridge")
    reply.hover()
    reply.get_by_role("button", name="Pin to this room").click()
    expect(reply.locator(".pinned-mark")).to_have_text("📌 Pinned by max")
    panel(max_).get_by_role("button", name="Close the thread").click()
    expect(panel(max_)).to_be_hidden()
    max_.locator("#pins-open").click()
    max_.get_by_role("dialog", name="Pinned messages").locator(".pin-entry").click()
    expect(panel(max_)).to_be_visible()
    expect(reply).to_be_focused()


def test_a_blocked_persons_reply_in_the_open_thread_is_hidden_at_once(
    server: ServerProcess, pages: Pages
) -> None:
    """pia reads rex's reply in the thread she has open; she blocks him (another tab of hers, say): the
    reply turns into the blocked-person line in her panel at once, the root she wrote stays as it was."""
    open_room(server, "veranda")
    pia, rex = open_as(pages, server, "pia", "veranda"), open_as(pages, server, "rex", "veranda")
    say(pia, "who is coming?")
    act(rex, message(rex, "who is coming?"), "Start a thread")
    reply_in_thread(rex, "me, with cake")
    expect(message(pia, "who is coming?").locator(".thread-summary")).to_contain_text("1 reply")
    act(pia, message(pia, "who is coming?"), "Open thread")
    replies = panel(pia).locator(".msg").filter(has=pia.locator(".text", has_text="me, with cake"))
    expect(replies.locator(".text")).to_be_visible()
    as_pia = f"Bearer {test_page.token_for('pia')}"
    assert call_api(server, "PUT", "/api/me/blocks/rex", None, as_pia)[0] == 200
    expect(replies.locator(".blocked-note")).to_have_text("Message from a person you blocked — show")
    expect(replies.locator(".text")).to_be_hidden()
    expect(panel(pia).locator(".thread-root .text")).to_have_text("who is coming?")
    assert call_api(server, "DELETE", "/api/me/blocks/rex", None, as_pia)[0] == 200
    expect(replies.locator(".text")).to_be_visible()
