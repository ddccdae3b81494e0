"""Mentions of the whole room on the page: "@" offers "@room" after the people, a mention of a big room
asks before it is sent, and "@all" stands out and counts as a mention for every reader but its writer."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests import test_page, test_page_files
from tests.page_browser import DESKTOP
from tests.support import ServerProcess, call_api
from tests.test_page import SCREENSHOT_PHONE, Pages, say, token_for
from tests.test_page_changes import accounts_server, message, open_as, shoot
from tests.test_page_unread import CATCH, caught

# Enough people that a mention of the whole room asks first (more than five others).
CROWD = ("bea", "cal", "dot", "eli", "fay", "gus")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    yield from accounts_server(tmp_path_factory, "room-mentions-page")


def closed_room(server: ServerProcess, room: str, owner: str, *members: str) -> None:
    """A closed room of ``owner`` and ``members``, whose accounts are made first."""
    for name in (owner, *members):
        assert call_api(server, "GET", "/api/me", None, f"Bearer {token_for(name)}")[0] == 200
    body = {"room": room, "kind": "closed", "members": list(members)}
    assert call_api(server, "POST", "/api/rooms", body, f"Bearer {token_for(owner)}")[0] == 201


def asked_and_escaped(page: Page, text: str, people: int) -> None:
    """``text`` sent from the box asks "This will notify N people. Send?"; Escape keeps it there, unsent."""
    box = page.locator("#text")
    box.fill(text)
    box.press("Enter")
    dialog = page.get_by_role("dialog", name=f"This will notify {people} people. Send?")
    expect(dialog).to_be_visible()
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(box).to_have_value(text)


def badges_of(page: Page, room: str) -> object:
    return page.locator(f'#rooms .room-link[data-room="{room}"] .badge')


def test_typing_at_offers_the_room_after_the_people(
    server: ServerProcess, pages: Pages, tmp_path: Path
) -> None:
    """In a room of ann and seven others, "@" lists people, then "@room — notify everyone in this room, 7
    people" and "@here — notify who is online"; "@al" offers "@room" alone; choosing it puts "@room " in
    the box; "@he" offers "@here"."""
    closed_room(server, "offer", "ann", "zed", *CROWD)
    ann = open_as(pages, server, "ann", "offer")
    box = ann.locator("#text")
    box.press_sequentially("@")
    options = ann.locator("#completion-list .completion-option")
    expect(options.nth(-2)).to_have_text("@room notify everyone in this room, 7 people")
    expect(options.last).to_have_text("@here notify who is online")
    expect(options.first).to_have_text("bea")
    shoot(ann, tmp_path, "room-offer")
    box.press_sequentially("al")
    expect(options).to_have_text(["@room notify everyone in this room, 7 people"])
    box.press("Enter")
    expect(box).to_have_value("@room ")
    box.press_sequentially("@he")
    expect(options).to_have_text(["@here notify who is online"])
    box.press("Enter")
    expect(box).to_have_value("@room @here ")


def test_a_mention_of_a_big_room_asks_first(server: ServerProcess, pages: Pages, tmp_path: Path) -> None:
    """ann's "@all standup" to seven others asks "This will notify 7 people. Send?": Escape goes back to the
    box with the text kept and sends nothing; Enter sends it. "@here" counts who is online (zed). In a room of
    two, nothing is asked."""
    closed_room(server, "crowd", "ann", "zed", *CROWD)
    ann = open_as(pages, server, "ann", "crowd")
    zed = open_as(pages, server, "zed", "crowd")
    box = ann.locator("#text")
    box.fill("@all standup")
    box.press("Enter")
    dialog = ann.get_by_role("dialog", name="This will notify 7 people. Send?")
    expect(dialog).to_be_visible()
    shoot(ann, tmp_path, "room-confirm")
    ann.set_viewport_size(SCREENSHOT_PHONE)
    shoot(ann, tmp_path, "room-confirm-phone")
    ann.set_viewport_size(DESKTOP)
    ann.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(box).to_have_value("@all standup")
    expect(box).to_be_focused()
    ann.wait_for_timeout(300)
    expect(zed.locator("#messages .msg")).to_have_count(0)
    box.press("Enter")
    expect(dialog).to_be_visible()
    ann.keyboard.press("Enter")
    expect(dialog).to_be_hidden()
    expect(message(zed, "@all standup")).to_be_visible()
    expect(box).to_have_value("")
    box.fill("@here quick one")
    box.press("Enter")
    here = ann.get_by_role("dialog", name="This will notify 1 person. Send?")  # zed, online
    expect(here).to_be_visible()
    ann.keyboard.press("Enter")
    expect(message(zed, "@here quick one")).to_be_visible()
    closed_room(server, "pair", "ann", "zed")
    ann.goto(f"{server.url}/?room=pair&token={token_for('ann')}")
    test_page.expect_online(ann)
    say(ann, "@room hi")
    expect(message(ann, "@room hi")).to_be_visible()
    expect(ann.locator("#room-mention-dialog")).to_be_hidden()


def test_a_mention_of_the_room_stands_out_and_counts_for_each_reader(
    server: ServerProcess, pages: Pages, tmp_path: Path
) -> None:
    """bob's "@everyone" counts as a mention in ann's and cid's badges (not in bob's own list); opened, it
    stands out on their pages as their own name would, on bob's page it is a plain mention."""
    closed_room(server, "plans", "bob", "ann", "cid")
    ann = open_as(pages, server, "ann", "lobby")
    cid = open_as(pages, server, "cid", "lobby", viewport=SCREENSHOT_PHONE, color_scheme="dark")
    bob = open_as(pages, server, "bob", "plans")
    say(bob, "@everyone the plans are ready")
    for page in (ann, cid):
        expect(badges_of(page, "plans")).to_have_text(["@1", "1"])
    own = message(bob, "the plans are ready")
    expect(own.locator(".mention")).to_have_text("@everyone")
    expect(own.locator(".mention.me")).to_have_count(0)
    expect(own).not_to_have_class("msg own mentions-me")
    ann.locator('#rooms .room-link[data-room="plans"]').click()
    shown = message(ann, "the plans are ready")
    expect(shown.locator(".mention.me")).to_have_text("@everyone")
    expect(shown).to_have_class("msg mentions-me")
    shoot(ann, tmp_path, "room-highlight")
    expect(badges_of(ann, "plans")).to_have_count(0)
    cid.goto(f"{server.url}/?room=plans&token={token_for('cid')}")
    expect(message(cid, "the plans are ready").locator(".mention.me")).to_have_text("@everyone")
    shoot(cid, tmp_path, "room-highlight-phone")


def test_the_owner_keeps_mentions_of_the_room_to_managers_in_room_settings(
    server: ServerProcess, pages: Pages, tmp_path: Path
) -> None:
    """ann sets "Notify the whole room with @room or @here" to "The owner and administrators only" in Room
    settings: bob's "@all" is refused and explained, his text kept in the box; bob sees no such choice."""
    closed_room(server, "rules", "ann", "bob")
    ann = open_as(pages, server, "ann", "rules")
    bob = open_as(pages, server, "bob", "rules")
    ann.locator("#room-settings").click()
    dialog = ann.get_by_role("dialog", name="Room settings")
    choice = dialog.get_by_label("Notify the whole room with @room or @here")
    expect(choice).to_have_value("everyone")
    choice.select_option(label="The owner and administrators only")
    shoot(ann, tmp_path, "room-mentions-setting")
    box = bob.locator("#text")
    bob.wait_for_timeout(500)  # the setting's notice reaches bob's connection
    box.fill("@all lunch?")
    box.press("Enter")
    expect(bob.locator("#send-error")).to_have_text(
        "Only the room's owner and administrators notify the whole room with @room or @here."
        " Your message is still in the box."
    )
    expect(box).to_have_value("@all lunch?")
    expect(ann.locator("#messages .msg")).to_have_count(0)
    bob.locator("#room-settings").click()
    expect(
        bob.get_by_role("dialog", name="Room settings").get_by_label(
            "Notify the whole room with @room or @here"
        )
    ).to_be_hidden()


def test_a_mention_of_the_room_in_a_background_tab_pops_up_a_notification(
    server: ServerProcess, pages: Pages
) -> None:
    """Ann's tab is hidden: bob's "@all" in their room makes one notification, as a mention of her name
    does; once she mutes the room, his next "@all" counts and pops up nothing."""
    closed_room(server, "notes", "bob", "ann")
    bob = open_as(pages, server, "bob", "notes")
    ann = pages.open("about:blank")
    ann.context.grant_permissions(["notifications"], origin=server.url)
    ann.context.add_init_script(CATCH)
    ann.goto(f"{server.url}/?room=lobby&token={token_for('ann')}")
    test_page.expect_online(ann)
    expect(ann.locator('#rooms .room-link[data-room="notes"]')).to_have_count(1)
    ann.evaluate("window.__background(true)")
    say(bob, "@all release at noon")
    expect(badges_of(ann, "notes")).to_have_text(["@1", "1"])
    ann.wait_for_function("() => window.__notes.length >= 1")
    ann.wait_for_timeout(500)
    assert caught(ann) == [
        {"title": "bob mentioned you in #notes", "body": "@all release at noon", "tag": "chatroom:notes"}
    ]
    muted = {"level": "muted"}
    assert call_api(server, "PUT", "/api/rooms/notes/notify", muted, f"Bearer {token_for('ann')}")[0] == 200
    say(bob, "@all one more thing")
    ann.wait_for_timeout(800)
    assert len(caught(ann)) == 1


def test_a_files_caption_that_mentions_a_big_room_asks_first(server: ServerProcess, pages: Pages) -> None:
    """ann attaches a note with the caption "@all the agenda" in a room of seven others: it asks first;
    Escape keeps the file and the caption and sends nothing; Enter, then Send, sends both."""
    closed_room(server, "agenda", "ann", "zed", *CROWD)
    ann = open_as(pages, server, "ann", "agenda")
    zed = open_as(pages, server, "zed", "agenda")
    test_page_files.attach_by_button(ann, "agenda.txt", "text/plain", b"1. budget\n2. lunch\n")
    expect(test_page_files.tray(ann)).to_have_count(1)
    asked_and_escaped(ann, "@all the agenda", 7)
    expect(test_page_files.tray(ann)).to_have_count(1)
    ann.wait_for_timeout(300)
    expect(zed.locator("#messages .msg")).to_have_count(0)
    ann.locator("#text").press("Enter")
    ann.keyboard.press("Enter")
    expect(message(zed, "@all the agenda").locator(".file-name")).to_have_text("agenda.txt")
    expect(test_page_files.tray(ann)).to_have_count(0)
