"""Slash commands in the message box (static/js/slash_commands.js) in Chromium.

Typing "/" offers the commands; "/me" and "/shrug" change the message that
goes; "/topic", "/join" and "/search" act on the page and send nothing; any
other "/word" is refused in words and sends nothing, and "//" sends one "/".
A thread's reply box takes them too; sent later, "/me" goes as it would
now, and a command that acts on the page is refused.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from tests.page_browser import Pages
from tests.support import ServerProcess
from tests.test_page import JWT_SECRET, say
from tests.test_page_changes import act, message
from tests.test_page_rooms import open_as
from tests.test_page_threads import panel
from tests.test_page_topic import make_room

BAD_ROOM = (
    "That room name does not work:"
    " a room name is letters, digits, - _ and ., starting with a letter or digit."
)
NOT_A_COMMAND = (
    "/frob is not a command: type / to see them. To send a message that starts with /, begin it with //."
)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """Accounts signed in with tokens, and guests."""
    db = tmp_path_factory.mktemp("commands-page") / "chat.db"
    with ServerProcess(db, "--jwt-secret", JWT_SECRET) as running:
        yield running


def press_enter_on(page: Page, text: str) -> None:
    """Type ``text`` into the message box and press Enter, whatever comes of it."""
    box = page.locator("#text")
    box.fill(text)
    box.press("Enter")


def refused(page: Page, text: str, why: str) -> None:
    """``text`` sent from the box is refused with ``why``; the box keeps it."""
    press_enter_on(page, text)
    expect(page.locator("#send-error")).to_have_text(why)
    expect(page.locator("#text")).to_have_value(text)


def test_a_slash_offers_the_commands_and_me_and_shrug_change_what_goes(
    server: ServerProcess, pages: Pages
) -> None:
    """ann types "/": every command is offered with what it does; "/sh" leaves one, Enter takes it and
    her words go with a shrug. "/me waves" reaches bob in italics. "/frob it" is refused in words and
    sends nothing; "//frob it" sends "/frob it"; "/me" alone asks what she is doing."""
    make_room(server, "ann", "lounge", kind="open")
    ann = open_as(pages, server, "ann", room="lounge")
    bob = open_as(pages, server, "bob", room="lounge")
    box = ann.locator("#text")
    box.fill("/")
    offered = ann.locator("#completion-list .completion-option")
    expect(offered).to_have_count(7)
    expect(offered.first).to_have_text("/me action — say what you are doing, in italics")
    expect(ann.locator("#completion-list")).to_have_attribute("aria-label", "Commands")
    box.press_sequentially("sh")
    expect(offered).to_have_text(["/shrug message — add ¯\\_(ツ)_/¯"])
    box.press("Enter")
    expect(box).to_have_value("/shrug ")
    box.press_sequentially("oh well")
    box.press("Enter")
    expect(box).to_have_value("")
    expect(bob.locator("#messages .msg .text").last).to_have_text("oh well ¯\\_(ツ)_/¯")
    say(ann, "/me waves at bob")
    waved = bob.locator("#messages .msg .text").last
    expect(waved).to_have_text("waves at bob")
    expect(waved.locator("em")).to_have_text("waves at bob")
    refused(ann, "/frob it", NOT_A_COMMAND)
    refused(ann, "/me ", "Write what you are doing after /me, as in “/me waves”.")
    say(ann, "//frob it")
    expect(bob.locator("#messages .msg .text").last).to_have_text("/frob it")
    for as_typed in ("/etc/hosts is a path, not a command", "//example.com/app.js is an address"):
        say(ann, as_typed)
        expect(bob.locator("#messages .msg .text").last).to_have_text(as_typed)
    expect(bob.locator("#messages .msg .text")).to_have_text(
        [
            "oh well ¯\\_(ツ)_/¯",
            "waves at bob",
            "/frob it",
            "/etc/hosts is a path, not a command",
            "//example.com/app.js is an address",
        ]
    )


def test_topic_join_and_search_act_on_the_page_and_send_nothing(server: ServerProcess, pages: Pages) -> None:
    """ann's "/topic" sets the room's topic in both bars and empties her box, one too long is refused in
    the server's words; "/search" opens the search with its words and finds the message; "/join" with a
    bad name says why, with a good one opens that room. No command reaches the room as a message."""
    make_room(server, "ann", "studio", kind="open")
    ann = open_as(pages, server, "ann", room="studio")
    bob = open_as(pages, server, "bob", room="studio")
    say(ann, "the mixing desk is booked")
    say(ann, "/topic Mixing on Friday")
    for page in (ann, bob):
        expect(page.locator("#room-topic")).to_have_text("Mixing on Friday")
    refused(bob, "/topic " + "x" * 251, "A topic has at most 250 characters.")
    expect(ann.locator("#room-topic")).to_have_text("Mixing on Friday")
    say(ann, "/search mixing desk")
    expect(ann.locator("#search-dialog")).to_be_visible()
    expect(ann.locator("#search-q")).to_have_value("mixing desk")
    expect(ann.locator("#search-note")).to_have_text("1 message found.")
    expect(ann.locator("#search-results > li")).to_contain_text(["the mixing desk is booked"])
    ann.locator("#search-dialog [data-close]").first.click()
    expect(ann.locator("#search-dialog")).to_be_hidden()
    refused(ann, "/join no such room!", BAD_ROOM)
    expect(bob.locator("#messages .msg .text")).to_have_text(["the mixing desk is booked"])
    make_room(server, "ann", "studio-b", kind="open")
    say(ann, "/join studio-b")
    expect(ann).to_have_url(f"{server.url}/?room=studio-b")
    expect(ann.locator("#room-title")).to_have_text("#studio-b")


def test_a_guest_may_not_set_the_topic_and_is_told_so(pages: Pages) -> None:
    """A guest is not offered "/topic"; typed whole, it is refused on the page, in words, and the topic
    stays unset."""
    with ServerProcess(":memory:") as open_server:
        guest = pages.join(open_server.url, "lobby", "walker")
        guest.locator("#text").fill("/")
        expect(guest.locator("#completion-list .completion-option .completion-command")).to_have_text(
            ["/me", "/shrug", "/join", "/search", "/poll", "/poll+"]
        )
        refused(guest, "/topic Mine now", "You cannot set this room's topic here.")
        expect(guest.locator("#room-topic")).to_be_hidden()


def test_a_threads_box_takes_commands_and_send_later_refuses_those_that_act(
    server: ServerProcess, pages: Pages
) -> None:
    """In a thread, "/me nods" is a reply in italics and "/frob" is refused in the panel's words; "⏰ Send
    later" of "/topic …" is refused in words and schedules nothing."""
    make_room(server, "ann", "porch", kind="open")
    ann = open_as(pages, server, "ann", room="porch")
    say(ann, "coffee outside?")
    act(ann, message(ann, "coffee outside?"), "Start a thread")
    box = panel(ann).get_by_role("textbox", name="Reply in the thread")
    box.fill("/me nods")
    box.press("Enter")
    expect(box).to_have_value("")
    expect(panel(ann).locator(".msg .text em")).to_have_text(["nods"])
    box.fill("/frob")
    box.press("Enter")
    expect(ann.locator("#thread-error")).to_have_text(NOT_A_COMMAND)
    expect(box).to_have_value("/frob")
    ann.locator("#text").fill("/topic Coffee at ten")
    ann.locator("#schedule-open").click()
    ann.get_by_role("menuitem", name="In 30 minutes").click()
    expect(ann.locator("#send-error")).to_have_text(
        "A command cannot be sent later: press Enter to do it now."
    )
    expect(ann.locator("#text")).to_have_value("/topic Coffee at ten")
    expect(ann.locator("#scheduled-line")).to_be_hidden()
