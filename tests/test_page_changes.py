"""Changes to messages on the page (static/js/message_*.js, reaction_choice.js, reply.js...) in Chromium.

Two people signed in with tokens edit, react, reply, delete and follow links
to messages on a real ``python -m chatroom``; screenshots on a desktop and a
phone, light and dark.
"""

from __future__ import annotations

import json
import os
import re
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Locator, Page, Route, expect

from tests.clients import send_message, welcomed
from tests.screens import screenshot, shooting
from tests.support import ServerProcess, make_account
from tests.test_page import JWT_SECRET, SCREENSHOT_PHONE, Pages, expect_online, say, token_for

CLIPBOARD = ["clipboard-read", "clipboard-write"]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """Accounts only, signed in with tokens."""
    yield from accounts_server(tmp_path_factory, "changes-page")


def accounts_server(tmp_path_factory: pytest.TempPathFactory, label: str) -> Iterator[ServerProcess]:
    """A module's server of accounts only, signed in with tokens, on a database of its own (``label``),
    with rate limits high enough for a test's bursts."""
    db = tmp_path_factory.mktemp(label) / "chat.db"
    with ServerProcess(
        db, "--jwt-secret", JWT_SECRET, "--rate", "1000", "--burst", "1000", guests=False
    ) as running:
        yield running


def open_room(server: ServerProcess, room: str, owner: str = "ann") -> None:
    """An open room, made by ``owner`` through the API."""
    body = json.dumps({"room": room, "kind": "open"}).encode()
    headers = {"Authorization": f"Bearer {token_for(owner)}", "Content-Type": "application/json"}
    request = urllib.request.Request(server.url + "/api/rooms", body, headers, method="POST")
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(request, timeout=10) as answer:
        assert answer.status == 201


def open_as(pages: Pages, server: ServerProcess, name: str, room: str, **options: object) -> Page:
    """``name``'s page in ``room``, online."""
    page = pages.open(f"{server.url}/?room={room}&token={token_for(name)}", **options)  # type: ignore[arg-type]
    expect_online(page)
    return page


def fillers(server: ServerProcess, room: str, count: int) -> None:
    """``count`` messages "filler N" in ``room`` from dan's socket, each acked: what a test sends only to
    push older messages back, in a fraction of the time a page takes to type them."""
    talker, _, _ = welcomed(server, room=room, token=token_for("dan"))
    with talker:
        for n in range(count):
            assert send_message(talker, f"filler {n}", str(n))["type"] == "ack"


def message(page: Page, text: str) -> Locator:
    """The message item whose text is ``text``."""
    return page.locator("#messages .msg").filter(has=page.locator(".text", has_text=text)).last


def act(page: Page, item: Locator, action: str) -> None:
    """Hover the message, then press one of its toolbar's buttons."""
    item.hover()
    item.get_by_role("button", name=action, exact=True).click()


def act_more(page: Page, item: Locator, action: str) -> None:
    """Hover the message, open its toolbar's "More actions" and press one of them."""
    act(page, item, "More actions")
    item.get_by_role("button", name=action, exact=True).click()


def test_an_administrator_signed_in_with_a_token_may_delete_anyones_message(
    tmp_path: Path, pages: Pages
) -> None:
    """root, an administrator whose page holds a token (no session), is offered Delete on bob's message and
    deletes it for everyone; bob's page never offers Delete on root's."""
    database = tmp_path / "chat.db"
    make_account(database, "root", admin=True)
    with ServerProcess(database, "--jwt-secret", JWT_SECRET, guests=False) as own_server:
        open_room(own_server, "moderated")
        bob = open_as(pages, own_server, "bob", "moderated")
        say(bob, "spam spam spam")
        root = open_as(pages, own_server, "root", "moderated")
        say(root, "please keep it on topic")
        act(root, message(root, "spam spam spam"), "Delete")
        root.get_by_role("button", name="Delete for everyone").click()
        expect(message(bob, "spam spam spam")).to_have_count(0)
        message(bob, "please keep it on topic").hover()
        expect(bob.get_by_role("button", name="Delete", exact=True)).to_have_count(0)


def test_a_rooms_owner_deletes_anyones_message_in_it(server: ServerProcess, pages: Pages) -> None:
    """odile owns "odiles-den": she is offered Delete on a troll's message and deletes it for everyone;
    the troll's page never offers Delete on hers, nor does olaf's, who is no owner, on the troll's."""
    open_room(server, "odiles-den", owner="odile")
    troll = open_as(pages, server, "trollop", "odiles-den")
    say(troll, "nasty words")
    say(troll, "more nasty words")
    olaf = open_as(pages, server, "olaf", "odiles-den")
    message(olaf, "more nasty words").hover()
    expect(olaf.get_by_role("button", name="Reply", exact=True)).to_be_visible()
    expect(olaf.get_by_role("button", name="Delete", exact=True)).to_have_count(0)
    odile = open_as(pages, server, "odile", "odiles-den")
    say(odile, "be kind here")
    act(odile, message(odile, "more nasty words"), "Delete")
    odile.get_by_role("button", name="Delete for everyone").click()
    for page in (troll, olaf, odile):
        expect(message(page, "more nasty words")).to_have_count(0)
    message(troll, "be kind here").hover()
    expect(troll.get_by_role("button", name="Reply", exact=True)).to_be_visible()
    expect(troll.get_by_role("button", name="Delete", exact=True)).to_have_count(0)


def test_two_people_edit_react_reply_and_delete(server: ServerProcess, pages: Pages, tmp_path: Path) -> None:
    """ann edits, bob reacts and replies, ann edits again and deletes: both pages show each change
    at once, the reply's quote follows its original, and a newcomer sees the same from history."""
    open_room(server, "kitchen")
    ann = open_as(pages, server, "ann", "kitchen", permissions=CLIPBOARD)
    bob = open_as(pages, server, "bob", "kitchen", viewport=SCREENSHOT_PHONE, color_scheme="dark")
    say(ann, "helo wrold")
    expect(message(bob, "helo wrold")).to_be_visible()

    act(ann, message(ann, "helo wrold"), "Edit")
    editor = ann.locator(".edit-form textarea")
    editor.fill("hello **world**")
    editor.press("Enter")
    for page in (ann, bob):
        edited = message(page, "hello world")
        expect(edited.locator(".meta .edited")).to_have_text("edited")
        expect(edited.locator(".text strong")).to_have_text("world")  # formatted as a new message is

    act(bob, message(bob, "hello world"), "React")
    bob.get_by_role("button", name="React with 👍").click()
    chip = message(ann, "hello world").locator(".reaction")
    expect(chip).to_have_text("👍1")
    expect(chip).to_have_attribute("title", "bob")
    chip.click()
    expect(message(bob, "hello world").locator(".reaction")).to_have_attribute("title", "bob, ann")
    expect(chip).to_have_attribute("aria-pressed", "true")

    act(bob, message(bob, "hello world"), "Reply")
    # A reply quotes its original as read, without the marks that format it.
    expect(bob.locator("#reply-bar")).to_contain_text("Replying to ann: hello world")
    say(bob, "agreed")
    expect(bob.locator("#reply-bar")).to_be_hidden()
    quote = message(ann, "agreed").locator(".reply-quote")
    expect(quote).to_have_text("ann hello world")
    act(ann, message(ann, "hello world"), "Edit")
    ann.locator(".edit-form textarea").fill("hello **world**, *again*")
    ann.locator(".edit-form textarea").press("Enter")
    for page in (ann, bob):
        expect(message(page, "agreed").locator(".reply-quote")).to_have_text("ann hello world, again")

    act_more(ann, message(ann, "hello world"), "Copy link")
    link = ann.evaluate("navigator.clipboard.readText()")
    target = message(ann, "hello world").get_attribute("data-id")
    assert link == f"{server.url}/?room=kitchen#m-{target}"

    screenshots(ann, bob, tmp_path, "changes")
    act(ann, message(ann, "hello world"), "Delete")
    ann.get_by_role("button", name="Delete for everyone").click()
    for page in (ann, bob):
        gone = page.locator(f'#messages .msg[data-id="{target}"]')
        expect(gone.locator(".text")).to_have_text("message deleted")
        expect(gone.locator(".reactions")).to_have_count(0)
        expect(message(page, "agreed").locator(".quote-text")).to_have_text("message deleted")
    screenshots(ann, bob, tmp_path, "changes-deleted")
    carl = open_as(pages, server, "carl", "kitchen")
    expect(carl.locator(f'#messages .msg[data-id="{target}"] .text')).to_have_text("message deleted")
    expect(message(carl, "agreed").locator(".quote-text")).to_have_text("message deleted")
    assert "hello world" not in carl.locator("#messages").inner_text()


def shows(item: Locator) -> bool:
    """Whether the element is drawn where it is, not clipped away (what is at its middle is it)."""
    item.scroll_into_view_if_needed()
    return bool(
        item.evaluate(
            """(node) => {
                const box = node.getBoundingClientRect();
                const hit = document.elementFromPoint(box.x + box.width / 2, box.y + box.height / 2);
                return box.width > 4 && box.height > 4 && node.contains(hit);
            }"""
        )
    )


def test_an_edited_message_under_its_authors_first_says_edited(
    server: ServerProcess, pages: Pages, tmp_path: Path
) -> None:
    """Ann edits the second of two messages in a row: both pages show "edited" on it, under its text,
    though it shares the first one's name and time."""
    open_room(server, "pantry")
    ann = open_as(pages, server, "ann", "pantry")
    bob = open_as(pages, server, "bob", "pantry", viewport=SCREENSHOT_PHONE, color_scheme="dark")
    say(ann, "shopping list")
    say(ann, "milk, eggs, brad")
    act(ann, message(ann, "milk, eggs, brad"), "Edit")
    ann.locator(".edit-form textarea").fill("milk, eggs, bread")
    ann.locator(".edit-form textarea").press("Enter")
    for page in (ann, bob):
        edited = message(page, "milk, eggs, bread")
        expect(edited).to_have_class(re.compile(r"\bcont\b"))
        expect(edited.locator(".edited")).to_have_text("edited")
        assert shows(edited.locator(".edited"))
        assert not shows(edited.locator(".meta .nick"))  # the name shows once, on the first
        text_box, mark_box = edited.locator(".text").bounding_box(), edited.locator(".edited").bounding_box()
        assert text_box is not None and mark_box is not None
        assert mark_box["y"] >= text_box["y"] + text_box["height"] - 1  # under the text
    screenshots(ann, bob, tmp_path, "changes-edited-grouped")


def test_reacting_from_the_quick_row_and_the_full_picker(
    server: ServerProcess, pages: Pages, tmp_path: Path
) -> None:
    """React shows the common reactions and "More emoji"; the full picker, searched for "tada", puts 🎉
    on the message for both people; the quick row then starts with 🎉, and picking it again takes it back."""
    open_room(server, "party")
    ann = open_as(pages, server, "ann", "party")
    bob = open_as(pages, server, "bob", "party", viewport=SCREENSHOT_PHONE, color_scheme="dark")
    say(bob, "we shipped it")
    say(ann, "the release notes are up")
    item = message(ann, "we shipped it")
    act(ann, item, "React")
    row = item.get_by_role("toolbar", name="Message actions").get_by_role("button")
    expect(row).to_have_count(7)
    quick = [
        "React with 👍",
        "React with ❤️",
        "React with 😂",
        "React with 🎉",
        "React with 😮",
        "React with 😢",
    ]
    assert accessible_names(row) == [*quick, "More emoji"]
    expect(row.first).to_be_focused()
    shoot(ann, tmp_path, "react-quick-desktop")
    row.last.click()
    picker = ann.get_by_role("dialog", name="React with an emoji")
    expect(picker).to_be_visible()
    shoot(ann, tmp_path, "react-picker-desktop")
    placed_by_the_message(picker, item)
    picker.get_by_role("searchbox").fill("tada")
    picker.get_by_role("button", name="party popper").click()
    expect(picker).to_have_count(0)
    for page in (ann, bob):
        chip = message(page, "we shipped it").locator(".reaction")
        expect(chip).to_have_text("🎉1")
        expect(chip).to_have_attribute("title", "ann")
    expect(item.get_by_role("button", name="React", exact=True)).to_be_focused()

    item.get_by_role("button", name="React", exact=True).click()
    again = item.get_by_role("button", name="React with 🎉")
    expect(row.first).to_have_accessible_name("React with 🎉")  # the recent one first
    expect(again).to_have_attribute("aria-pressed", "true")
    again.click()
    for page in (ann, bob):
        expect(message(page, "we shipped it").locator(".reactions")).to_have_count(0)

    act(ann, item, "React")
    item.get_by_role("button", name="React with 👍").click()
    expect(message(bob, "we shipped it").locator(".reaction")).to_have_text("👍1")
    ann.reload()
    expect_online(ann)
    act(ann, message(ann, "we shipped it"), "React")
    expect(row.first).to_have_accessible_name("React with 👍")  # remembered on this browser
    expect(row.nth(1)).to_have_accessible_name("React with 🎉")


class HeldRequests:
    """Requests of a page to matching URLs wait, as on a slow server, until released; later ones go on."""

    def __init__(self, page: Page, url: re.Pattern[str]) -> None:
        self.page = page
        self.held: list[Route] = []
        self.released = False
        page.route(url, self.handle)

    def handle(self, route: Route) -> None:
        if self.released:
            route.continue_()
        else:
            self.held.append(route)

    def release(self) -> None:
        """Let the held requests (at least one) go on."""
        while not self.held:
            self.page.wait_for_timeout(20)  # lets Playwright call the route handler
        self.released = True
        for route in self.held:
            route.continue_()


def test_a_message_shown_before_the_account_is_known_gains_its_actions_once_it_is(
    server: ServerProcess, pages: Pages
) -> None:
    """After a reload the history may be shown before the server has said the page is an account's:
    the toolbar under the pointer and the reaction chips shown meanwhile offer reacting once it has,
    without the pointer moving."""
    open_room(server, "attic")
    ann = open_as(pages, server, "ann", "attic")
    say(ann, "boxes everywhere")
    item = message(ann, "boxes everywhere")
    act(ann, item, "React")
    item.get_by_role("button", name="React with 👍").click()
    expect(item.locator(".reaction")).to_have_text("👍1")

    slow = HeldRequests(ann, re.compile(r"/api/accounts\?"))  # whether this page is an account's
    ann.reload()
    expect_online(ann)
    item = message(ann, "boxes everywhere")
    item.hover()
    toolbar = item.get_by_role("toolbar", name="Message actions")
    expect(toolbar.get_by_role("button", name="Reply")).to_be_visible()
    expect(toolbar.get_by_role("button", name="React", exact=True)).to_have_count(0)
    expect(item.locator(".reaction")).to_be_disabled()
    slow.release()
    expect(toolbar.get_by_role("button")).to_have_count(7)
    names = ["Reply", "Start a thread", "React", "Pin to this room", "Edit", "Delete", "More actions"]
    assert accessible_names(toolbar.get_by_role("button")) == names
    expect(item.locator(".reaction")).to_be_enabled()
    toolbar.get_by_role("button", name="React", exact=True).click()
    expect(toolbar.get_by_role("button", name="React with 👍")).to_have_attribute("aria-pressed", "true")


def test_reacting_on_a_phone(server: ServerProcess, pages: Pages, tmp_path: Path) -> None:
    """A long press, React, then a quick reaction or "More emoji": the picker is a sheet along the bottom."""
    open_room(server, "porch")
    bob = open_as(pages, server, "bob", "porch", viewport=SCREENSHOT_PHONE, has_touch=True, is_mobile=True)
    say(bob, "sun is out")
    item = message(bob, "sun is out")
    item.locator(".text").dispatch_event("touchstart")
    item.get_by_role("button", name="React", exact=True).click()
    item.get_by_role("button", name="React with ❤️").click()
    expect(item.locator(".reaction")).to_have_text("❤️1")
    item.get_by_role("button", name="React", exact=True).click()
    shoot(bob, tmp_path, "react-quick-phone")
    item.get_by_role("button", name="More emoji").click()
    sheet = bob.get_by_role("dialog", name="React with an emoji")
    expect(sheet).to_be_focused()  # not the search box: no keyboard over the emoji
    box = sheet.bounding_box()
    assert box is not None and box["width"] == SCREENSHOT_PHONE["width"]
    shoot(bob, tmp_path, "react-picker-phone")
    sheet.get_by_role("button", name="thumbs up sign").click()
    expect(item.locator(".reaction")).to_have_text(["❤️1", "👍1"])


def test_the_keyboard_reaches_a_messages_actions(server: ServerProcess, pages: Pages, tmp_path: Path) -> None:
    """Tab reaches the newest message, arrows move between messages, each shows its toolbar; Tab goes on
    to its named buttons; React, a quick reaction, "More emoji" and the picker all work from the keyboard."""
    open_room(server, "library")
    ann = open_as(pages, server, "ann", "library")
    for text in ("first line", "second line", "third line"):
        say(ann, text)
    ann.locator("#scroller").focus()
    ann.keyboard.press("Tab")
    third = message(ann, "third line")
    expect(third).to_be_focused()
    toolbar = ann.get_by_role("toolbar", name="Message actions")
    expect(third.get_by_role("toolbar")).to_be_visible()
    expect(toolbar.get_by_role("button")).to_have_count(7)
    assert accessible_names(toolbar.get_by_role("button")) == [
        "Reply",
        "Start a thread",
        "React",
        "Pin to this room",
        "Edit",
        "Delete",
        "More actions",
    ]
    ann.keyboard.press("ArrowUp")
    second = message(ann, "second line")
    expect(second).to_be_focused()
    expect(second.get_by_role("toolbar")).to_be_visible()
    expect(toolbar).to_have_count(1)  # one toolbar, moved
    shoot(ann, tmp_path, "keyboard-focus-desktop")
    ann.keyboard.press("Home")
    expect(message(ann, "first line")).to_be_focused()
    ann.keyboard.press("ArrowDown")
    expect(second).to_be_focused()

    ann.keyboard.press("Tab")
    expect(second.get_by_role("button", name="Reply", exact=True)).to_be_focused()
    ann.keyboard.press("Tab")
    expect(second.get_by_role("button", name="Start a thread")).to_be_focused()
    ann.keyboard.press("Tab")
    expect(second.get_by_role("button", name="React", exact=True)).to_be_focused()
    ann.keyboard.press("Enter")
    expect(second.get_by_role("button", name="React with 👍")).to_be_focused()
    ann.keyboard.press("Escape")
    expect(second.get_by_role("button", name="React", exact=True)).to_be_focused()
    ann.keyboard.press("Enter")
    ann.keyboard.press("Tab")
    ann.keyboard.press("Enter")  # ❤️
    expect(second.locator(".reaction")).to_have_text("❤️1")
    expect(second.get_by_role("button", name="React", exact=True)).to_be_focused()

    ann.keyboard.press("Enter")
    for _ in range(6):
        ann.keyboard.press("Tab")
    expect(second.get_by_role("button", name="More emoji")).to_be_focused()
    ann.keyboard.press("Enter")
    search = ann.get_by_role("dialog", name="React with an emoji").get_by_role("searchbox")
    expect(search).to_be_focused()
    search.press_sequentially("tada")
    ann.keyboard.press("ArrowDown")
    ann.keyboard.press("Enter")
    expect(second.locator(".reaction")).to_have_text(["❤️1", "🎉1"])
    ann.keyboard.press("Escape")
    expect(second).to_be_focused()
    # Shift+Tab leaves the list: the list was one stop, not one per message.
    ann.keyboard.press("Shift+Tab")
    expect(ann.locator("#scroller")).to_be_focused()
    ann.keyboard.press("Tab")
    expect(second).to_be_focused()  # the message last reached, still the list's stop


def accessible_names(buttons: Locator) -> list[str]:
    """What a screen reader calls each of the buttons."""
    return buttons.evaluate_all("all => all.map((b) => b.getAttribute('aria-label'))")  # type: ignore[no-any-return]


def placed_by_the_message(picker: Locator, item: Locator) -> None:
    """The picker sits just above or below the message's toolbar, their right edges lined up, and
    leaves the toolbar in view."""
    panel, bar = picker.bounding_box(), item.get_by_role("toolbar").bounding_box()
    assert panel is not None and bar is not None
    assert abs(panel["x"] + panel["width"] - (bar["x"] + bar["width"])) < 2
    above = abs(panel["y"] + panel["height"] + 6 - bar["y"]) < 2
    below = abs(bar["y"] + bar["height"] + 6 - panel["y"]) < 2
    assert above or below, (panel, bar)


def test_a_link_and_a_quote_bring_an_old_message_into_view(server: ServerProcess, pages: Pages) -> None:
    """A reply's quote, and a permalink, to a message older than the page's history: earlier pages
    load until it shows, highlighted."""
    open_room(server, "archive")
    ann = open_as(pages, server, "ann", "archive")
    say(ann, "the very first word")
    first = message(ann, "the very first word").get_attribute("data-id")
    fillers(server, "archive", 70)
    expect(message(ann, "filler 69")).to_be_visible()
    act(ann, message(ann, "the very first word"), "Reply")
    say(ann, "back to the start")
    bob = open_as(pages, server, "bob", "archive")
    expect(bob.locator(f'#messages .msg[data-id="{first}"]')).to_have_count(0)
    message(bob, "back to the start").locator(".reply-quote").click()
    shown = bob.locator(f'#messages .msg[data-id="{first}"]')
    expect(shown).to_be_in_viewport()
    expect(shown).to_have_class("msg highlight")
    carl = pages.open(f"{server.url}/?room=archive&token={token_for('carl')}#m-{first}")
    expect_online(carl)
    linked = carl.locator(f'#messages .msg[data-id="{first}"]')
    expect(linked).to_be_in_viewport()
    expect(linked).to_have_class("msg highlight")


def test_a_long_press_opens_the_actions_on_a_phone(server: ServerProcess, pages: Pages) -> None:
    """On a touch screen, pressing a message for a moment shows its toolbar."""
    open_room(server, "garden")
    ann = open_as(pages, server, "ann", "garden", viewport=SCREENSHOT_PHONE, has_touch=True, is_mobile=True)
    say(ann, "press me")
    item = message(ann, "press me")
    item.locator(".text").dispatch_event("touchstart")
    expect(item.get_by_role("toolbar", name="Message actions")).to_be_visible()
    expect(item.get_by_role("button", name="Edit", exact=True)).to_be_visible()


def screenshots(desktop: Page, phone: Page, tmp_path: Path, name: str) -> None:
    """Both pages with the toolbar open on the latest message, light and dark."""
    for page, where in ((desktop, "desktop"), (phone, "phone")):
        page.locator("#messages .msg").last.hover()
        shoot(page, tmp_path, f"{name}-{where}")
        assert page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"]  # type: ignore[index]


def shoot(page: Page, tmp_path: Path, name: str) -> None:
    """What the page shows now, in both colour schemes (CHATROOM_SCREENSHOT_DIR, to look at them; a run
    without it takes none, nor switches the scheme: tests/screens.py)."""
    if not shooting():
        return
    out = Path(os.environ.get("CHATROOM_SCREENSHOT_DIR", tmp_path))
    scheme = page.evaluate("matchMedia('(prefers-color-scheme: dark)').matches")
    first, second = ("dark", "light") if scheme else ("light", "dark")
    screenshot(page, out / f"{name}-{first}.png")
    page.emulate_media(color_scheme=second)
    screenshot(page, out / f"{name}-{second}.png")
    page.emulate_media(color_scheme=first)
