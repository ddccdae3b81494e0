"""The chat page with the keyboard alone and a screen reader: where the focus goes, what is said, in Chromium.

People signed in with tokens on a real ``python -m chatroom`` without guests
use only ``page.keyboard`` and read the accessibility tree.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, Route, expect

from tests.sample_files import picture
from tests.support import ServerProcess
from tests.test_page import JWT_SECRET, Pages, expect_online, say, token_for
from tests.test_page_changes import message, open_as, open_room
from tests.test_page_journey import signed_in
from tests.web_client import set_up


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """Accounts only, signed in with tokens."""
    db = tmp_path_factory.mktemp("keyboard-page") / "chat.db"
    with ServerProcess(db, "--jwt-secret", JWT_SECRET, guests=False) as running:
        yield running


def press(page: Page, *keys: str) -> None:
    for key in keys:
        page.keyboard.press(key)


def test_editing_and_deleting_leave_the_focus_on_the_message(server: ServerProcess, pages: Pages) -> None:
    """Saved, given up with Escape, deleted or kept: the keyboard is back on the message, never lost."""
    open_room(server, "desk")
    ann = open_as(pages, server, "ann", "desk")
    say(ann, "one")
    say(ann, "two")
    item = ann.locator(f'#messages .msg[data-id="{message(ann, "one").get_attribute("data-id")}"]')
    item.focus()
    toolbar = item.get_by_role("toolbar", name="Message actions")
    toolbar.get_by_role("button", name="Edit").focus()
    press(ann, "Enter")
    expect(ann.get_by_role("textbox", name="Edit the message")).to_be_focused()
    press(ann, "End")
    ann.keyboard.type(" more")
    press(ann, "Enter")
    expect(item.locator(".text")).to_have_text("one more")
    expect(item).to_be_focused()

    toolbar.get_by_role("button", name="Edit").focus()
    press(ann, "Enter", "Escape")
    expect(item).to_be_focused()

    toolbar.get_by_role("button", name="Delete").focus()
    press(ann, "Enter")
    expect(toolbar.get_by_role("button", name="Keep the message")).to_be_focused()
    press(ann, "Enter")
    expect(toolbar.get_by_role("button", name="Delete", exact=True)).to_be_focused()
    press(ann, "Enter", "Shift+Tab", "Enter")  # "Delete for everyone"
    expect(item.locator(".text")).to_have_text("message deleted")
    expect(item).to_be_focused()
    expect(toolbar.get_by_role("button")).to_have_count(1)  # a deleted message offers its link alone
    expect(toolbar.get_by_role("button", name="Copy link")).to_be_visible()


def test_a_reaction_pressed_from_the_keyboard_keeps_the_focus(server: ServerProcess, pages: Pages) -> None:
    """Enter on a reaction takes it back or puts it on, and the focus stays on it (on the message once
    nobody is left on it), however often the row is drawn again."""
    open_room(server, "porch")
    bob = open_as(pages, server, "bob", "porch")
    ann = open_as(pages, server, "ann", "porch")
    say(ann, "sunny")
    item = message(ann, "sunny")
    item.focus()
    item.get_by_role("button", name="React", exact=True).focus()
    press(ann, "Enter", "Enter")  # 👍, the first of the quick row
    chip = item.get_by_role("button", name="👍 1: ann")
    expect(chip).to_have_attribute("aria-pressed", "true")
    chip.focus()
    message(bob, "sunny").hover()
    message(bob, "sunny").get_by_role("button", name="React", exact=True).click()
    bob.get_by_role("button", name="React with 👍").click()
    expect(item.get_by_role("button", name="👍 2: ann, bob")).to_be_focused()
    press(ann, "Enter")
    expect(item.get_by_role("button", name="👍 1: bob")).to_be_focused()
    expect(item.get_by_role("button", name="👍 1: bob")).to_have_attribute("aria-pressed", "false")
    press(ann, "Enter")
    expect(item.get_by_role("button", name="👍 2: bob, ann")).to_be_focused()
    message(bob, "sunny").locator(".reaction").click()
    expect(item.get_by_role("button", name="👍 1: ann")).to_be_focused()
    press(ann, "Enter")
    expect(item.locator(".reaction")).to_have_count(0)
    expect(item).to_be_focused()


def test_a_reaction_reached_with_the_keyboard_says_who(server: ServerProcess, pages: Pages) -> None:
    """Nobody hovers with the keyboard: a reaction reached with Tab shows who put it there until the
    focus moves on (its name says so to a screen reader)."""
    open_room(server, "yard")
    bob = open_as(pages, server, "bob", "yard")
    ann = open_as(pages, server, "ann", "yard")
    say(ann, "picnic?")
    for page in (bob, ann):
        message(page, "picnic?").hover()
        message(page, "picnic?").get_by_role("button", name="React", exact=True).click()
        page.get_by_role("button", name="React with 🎉").click()
    item = message(ann, "picnic?")
    chip = item.get_by_role("button", name="🎉 2: bob, ann")
    item.focus()
    expect(item.locator(".reaction-who")).to_have_count(0)
    press(ann, "Shift+Tab", "Tab", "Tab")
    expect(chip).to_be_focused()
    expect(item.locator(".reaction-who")).to_have_text("🎉 bob, ann")
    press(ann, "Tab")
    expect(item.get_by_role("button", name="Reply")).to_be_focused()
    expect(item.locator(".reaction-who")).to_have_count(0)


def test_a_message_found_or_quoted_takes_the_focus(server: ServerProcess, pages: Pages) -> None:
    """A search result opened with Enter, a reply's quote pressed, and a link to a message opened in
    another room: the message shown has the focus, not the button that asked for it."""
    open_room(server, "study")
    open_room(server, "hall")
    ann = open_as(pages, server, "ann", "study")
    say(ann, "the kettle is broken")
    item = message(ann, "the kettle is broken")
    item.focus()
    item.get_by_role("button", name="Reply").focus()
    press(ann, "Enter")
    ann.keyboard.type("I will fix it")
    press(ann, "Enter")
    for filler in range(3):
        say(ann, f"filler {filler}")

    ann.get_by_role("button", name="Search messages").focus()
    press(ann, "Enter")
    ann.keyboard.type("kettle")
    press(ann, "Enter")
    result = ann.get_by_role("dialog", name="Search messages").get_by_role("link").first
    expect(result).to_contain_text("the kettle is broken")
    result.focus()
    press(ann, "Enter")
    expect(ann.get_by_role("dialog", name="Search messages")).to_be_hidden()
    expect(item).to_be_focused()

    ann.locator("#text").focus()
    message(ann, "I will fix it").get_by_role("button", name="ann the kettle is broken").focus()
    press(ann, "Enter")
    expect(item).to_be_focused()

    linked = item.get_attribute("data-id")
    bob = open_as(pages, server, "bob", "hall")
    bob.goto(f"{server.url}/?room=study&token={token_for('bob')}#m-{linked}")
    expect(bob.locator(f'#messages .msg[data-id="{linked}"]')).to_be_focused()


def test_removing_members_from_the_keyboard_keeps_the_focus_in_room_settings(
    server: ServerProcess, pages: Pages
) -> None:
    """Each "Remove" pressed hands the focus to the next member's, then to "Add a member": the
    dialog keeps it, where it fell out of the dialog (to the top of the page behind it)."""
    for name in ("bob", "carl"):  # their accounts, from their tokens
        open_as(pages, server, name, "lobby")
    ann = open_as(pages, server, "ann", "lobby")
    ann.get_by_role("button", name="+ New room").focus()
    press(ann, "Enter")
    ann.keyboard.type("workshop")
    for name in ("bob", "carl"):
        ann.get_by_role("combobox", name="Members").focus()
        ann.keyboard.type(name)
        press(ann, "Enter")
    ann.get_by_role("button", name="Create room").focus()
    press(ann, "Enter")
    ann.wait_for_url("**/?room=workshop")
    expect_online(ann)
    ann.get_by_role("button", name="Room settings").focus()
    press(ann, "Enter")
    settings = ann.get_by_role("dialog", name="Room settings")
    settings.get_by_role("button", name="Remove bob").focus()
    press(ann, "Enter")
    expect(settings.get_by_role("button", name="Remove carl")).to_be_focused()
    expect(settings.get_by_role("button", name="Remove bob")).to_have_count(0)
    press(ann, "Enter")
    expect(settings.get_by_role("combobox", name="Add a member")).to_be_focused()
    expect(settings.get_by_role("listitem")).to_have_count(1)  # ann, its owner
    press(ann, "Escape")
    expect(ann.get_by_role("button", name="Room settings")).to_be_focused()


def test_the_profile_picture_buttons_keep_the_focus_in_the_account_menu(tmp_path: Path, pages: Pages) -> None:
    """Upload a picture, then remove it, from the keyboard: the focus stays in the menu on "Upload a
    picture" (disabled while it is sent, then the only button), and Escape gives it back to the chip."""
    with ServerProcess(tmp_path / "chat.db", guests=False) as own_server:
        admin, _ = set_up(own_server, "ann")
        ann = signed_in(pages, admin, f"{own_server.url}/?room=lobby")
        ann.get_by_role("button", name="You are ann").focus()
        press(ann, "Enter")
        menu = ann.get_by_role("dialog", name="Your account: ann")
        upload = menu.get_by_role("button", name="Upload a picture")
        expect(menu.get_by_role("button", name="Close")).to_be_focused()
        upload.focus()
        expect(upload).to_be_focused()
        # The new picture is slow to come back to be shown: "Remove" is there before it is.
        held: list[Route] = []
        ann.route(re.compile(r"/avatars/ann\?v="), lambda route: held.append(route))
        # The file as the chooser Enter opens would give it (a chooser opens only in the window in front,
        # which a browser shared by tests in parallel cannot promise); the focus stays where it is.
        ann.locator("#picture-file").set_input_files(
            {"name": "me.png", "mimeType": "image/png", "buffer": picture(300, 300)}
        )
        expect(ann.locator("#account-note")).to_have_text("Your new picture is set.")
        expect(upload).to_be_focused()
        press(ann, "Tab")
        expect(menu.get_by_role("button", name="Remove")).to_be_focused()
        assert held, "the picture was not asked for"
        for route in held:
            route.continue_()
        ann.unroute(re.compile(r"/avatars/ann\?v="))
        expect(menu.locator("#picture-preview img")).to_be_visible()
        press(ann, "Enter")
        expect(ann.locator("#account-note")).to_contain_text("Your picture is removed")
        expect(menu.get_by_role("button", name="Remove")).to_be_hidden()
        expect(upload).to_be_focused()
        press(ann, "Escape")
        expect(ann.get_by_role("button", name="You are ann")).to_be_focused()


def test_the_messages_are_one_tab_stop_whatever_they_hold(server: ServerProcess, pages: Pages) -> None:
    """Links, reactions and replies' quotes in the messages are reached through their message, with the
    arrow keys then Tab: Tab from before the list lands on a message, and from it goes on to the box."""
    open_room(server, "reading-room")
    ann = open_as(pages, server, "ann", "reading-room")
    say(ann, "see https://example.com/a and https://example.com/b")
    linked = message(ann, "see https://example.com/a")
    linked.focus()
    linked.get_by_role("button", name="React", exact=True).focus()
    press(ann, "Enter", "Enter")  # 👍
    expect(linked.locator(".reaction")).to_have_count(1)
    linked.get_by_role("button", name="Reply").focus()
    press(ann, "Enter")
    ann.keyboard.type("thanks")
    press(ann, "Enter")
    say(ann, "the newest")

    ann.locator("#scroller").focus()
    press(ann, "Tab")
    expect(linked).to_be_focused()  # the message last reached
    press(ann, "Tab")
    expect(linked.get_by_role("link", name="https://example.com/a")).to_be_focused()
    press(ann, "Tab", "Tab")
    expect(linked.get_by_role("button", name="👍 1: ann")).to_be_focused()
    for name in (
        "Reply",
        "Start a thread",
        "React",
        "Pin to this room",
        "Edit",
        "Delete",
        "More actions",
    ):
        press(ann, "Tab")
        expect(linked.get_by_role("button", name=name, exact=True)).to_be_focused()
    press(ann, "Tab")  # not the quote in the reply, nor the newest message
    expect(ann.get_by_role("button", name="Attach files")).to_be_focused()

    press(ann, "Shift+Tab")  # back into the message last reached, its toolbar gone with the focus
    expect(linked.get_by_role("button", name="👍 1: ann")).to_be_focused()
    press(ann, "ArrowDown")  # the arrows move from what a message holds too
    reply = message(ann, "thanks")
    expect(reply).to_be_focused()
    press(ann, "Tab")
    expect(reply.get_by_role("button", name="ann see https://example.com/a")).to_be_focused()
    press(ann, "Shift+Tab", "Shift+Tab")  # the message, then out of the list: not into the one above
    expect(ann.locator("#scroller")).to_be_focused()


def test_a_copied_link_is_said(server: ServerProcess, pages: Pages) -> None:
    """ "More actions" opens a menu in words, its first item focused, and Escape goes back to it; Copy link
    there shows a tick for a moment: a screen reader hears "Link copied", and the button is called
    "Copy link" again afterwards, its tooltip too."""
    open_room(server, "office")
    ann = open_as(pages, server, "ann", "office", permissions=["clipboard-read", "clipboard-write"])
    say(ann, "the plan")
    item = message(ann, "the plan")
    item.focus()
    more = item.get_by_role("button", name="More actions")
    more.focus()
    press(ann, "Enter")
    menu = item.get_by_role("toolbar", name="Message actions").get_by_role("button")
    expect(menu).to_have_text(
        ["✉ Mark unread", "🔗 Copy link", "🔖 Save", "⏰ Remind me about this", "↪ Forward"]
    )
    expect(item.get_by_role("button", name="Mark unread from here")).to_be_focused()
    press(ann, "Escape")
    expect(more).to_be_focused()
    press(ann, "Enter", "Tab")
    copy = item.get_by_role("button", name="Copy link")
    expect(copy).to_be_focused()
    press(ann, "Enter")
    expect(ann.locator("#announcer p").last).to_have_text("Link copied")
    expect(copy).to_have_text("✓ Link copied")
    expect(copy).to_have_text("🔗 Copy link")
    expect(copy).to_have_attribute("title", "Copy link")
    assert ann.evaluate("navigator.clipboard.readText()").endswith(f"#m-{item.get_attribute('data-id')}")


def test_a_reply_is_described_in_the_box_and_escape_gives_it_up(server: ServerProcess, pages: Pages) -> None:
    """Replying, the message box is described by what it answers; Escape there gives the reply up."""
    open_room(server, "veranda")
    ann = open_as(pages, server, "ann", "veranda")
    say(ann, "who brings the chairs?")
    item = message(ann, "who brings the chairs?")
    item.focus()
    item.get_by_role("toolbar", name="Message actions").get_by_role("button", name="Reply").focus()
    press(ann, "Enter")
    box = ann.locator("#text")
    expect(box).to_be_focused()
    expect(box).to_have_accessible_description(re.compile(r"^Replying to ann ?: who brings the chairs\?"))
    press(ann, "Escape")
    expect(ann.locator("#reply-bar")).to_be_hidden()
    expect(box).not_to_have_accessible_description(re.compile("Replying"))
    ann.keyboard.type("not a reply")
    press(ann, "Enter")
    expect(message(ann, "not a reply").locator(".reply-quote")).to_have_count(0)


def test_tabbing_out_of_the_emoji_picker_closes_it(server: ServerProcess, pages: Pages) -> None:
    """The picker opened from the keyboard closes once the focus leaves it, and the focus goes on."""
    open_room(server, "garage")
    ann = open_as(pages, server, "ann", "garage")
    ann.locator("#emoji-open").focus()
    press(ann, "Enter")
    picker = ann.get_by_role("dialog", name="Emoji for your message")
    expect(ann.get_by_role("searchbox", name="Search emoji by name")).to_be_focused()
    press(ann, "Shift+Tab")
    expect(picker).to_have_count(0)
    expect(ann.locator("#emoji-open")).to_have_attribute("aria-expanded", "false")
    assert ann.evaluate("document.activeElement !== document.body")
    ann.locator("#emoji-open").focus()
    press(ann, "Enter")
    expect(picker).to_be_visible()
    press(ann, "Escape")  # Escape still gives the focus back to the button
    expect(picker).to_have_count(0)
    expect(ann.locator("#emoji-open")).to_be_focused()


def test_up_in_the_empty_box_edits_ones_last_message(server: ServerProcess, pages: Pages) -> None:
    """Up in the empty box opens one's newest message still standing; Escape or saving is back in the box."""
    open_room(server, "up-edit")
    ann = open_as(pages, server, "ann", "up-edit")
    bob = open_as(pages, server, "bob", "up-edit")
    say(ann, "first")
    say(ann, "second")
    say(bob, "bob's, after")
    expect(message(ann, "bob's, after")).to_be_visible()
    box = ann.locator("#text")
    field = ann.get_by_role("textbox", name="Edit the message")
    box.focus()
    press(ann, "ArrowUp")
    expect(field).to_be_focused()
    expect(field).to_have_value("second")
    press(ann, "Escape")
    expect(field).to_have_count(0)
    expect(box).to_be_focused()
    expect(message(ann, "second").locator(".text")).to_have_text("second")

    ann.keyboard.type("x")
    press(ann, "ArrowUp")  # the box has text: Up moves in it
    expect(field).to_have_count(0)
    press(ann, "End", "Backspace", "ArrowUp", "End")
    ann.keyboard.type(" (edited)")
    press(ann, "Enter")
    expect(message(ann, "second (edited)")).to_be_visible()
    expect(box).to_be_focused()
    expect(box).to_have_value("")  # the Enter that saved is not a new line in the box
    expect(message(bob, "second (edited)")).to_be_visible()

    item = ann.locator(
        f'#messages .msg[data-id="{message(ann, "second (edited)").get_attribute("data-id")}"]'
    )
    item.hover()
    item.get_by_role("button", name="Delete", exact=True).click()
    item.get_by_role("button", name="Delete for everyone").click()
    expect(item.locator(".text")).to_have_text("message deleted")
    box.focus()
    press(ann, "ArrowUp")  # the deleted one is passed over
    expect(field).to_have_value("first")
    press(ann, "Escape")


def test_up_leaves_the_suggestions_and_other_peoples_messages_alone(
    server: ServerProcess, pages: Pages
) -> None:
    """No message of one's own: Up does nothing; the @ list open, Up moves in it; closed, Up edits."""
    open_room(server, "up-list")
    bob = open_as(pages, server, "bob", "up-list")
    say(bob, "hello")
    ann = open_as(pages, server, "ann", "up-list")
    box = ann.locator("#text")
    box.focus()
    press(ann, "ArrowUp")
    expect(ann.locator(".edit-form")).to_have_count(0)
    expect(box).to_be_focused()
    say(ann, "mine")
    box.press_sequentially("@b")
    expect(ann.locator("#completion-list [role=option]")).to_have_text(["bob"])
    press(ann, "Backspace", "Backspace")  # the list closes with the @
    expect(ann.locator("#completion-list")).to_be_hidden()
    box.press_sequentially("@b")
    press(ann, "ArrowUp")
    expect(ann.locator(".edit-form")).to_have_count(0)
    expect(box).to_have_value("@b")
    press(ann, "Escape", "Backspace", "Backspace", "ArrowUp")  # the list closed, the box empty
    expect(ann.get_by_role("textbox", name="Edit the message")).to_have_value("mine")


@pytest.fixture(scope="module")
def guest_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """Guests let in with just a nick."""
    with ServerProcess(tmp_path_factory.mktemp("keyboard-guests") / "chat.db") as running:
        yield running


def test_up_does_not_edit_for_a_guest(guest_server: ServerProcess, pages: Pages) -> None:
    """A guest cannot edit: Up in the empty box stays there."""
    page = pages.join(guest_server.url, "up-guest", "visitor")
    say(page, "a guest's words")
    box = page.locator("#text")
    box.focus()
    press(page, "ArrowUp")
    expect(page.locator(".edit-form")).to_have_count(0)
    expect(box).to_be_focused()
