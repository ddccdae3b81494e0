"""A room's bars on the page (static/js/room_bars.js, room_settings.js) in Chromium, with two people.

The owner of an open room bars a troll by name in Room settings (two presses),
the troll's open page says they were barred, the bar is listed with "Lift",
and lifting it lets the troll back in.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Locator, Page, Route, expect

from tests.page_browser import expect_online, wait_for
from tests.support import ServerProcess, make_account
from tests.test_page import JWT_SECRET, SCREENSHOT_PHONE, Pages, say, token_for
from tests.test_page_changes import act, message, open_as, open_room, shoot


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """Accounts only, signed in with tokens; root administers the server."""
    db = tmp_path_factory.mktemp("bars-page") / "chat.db"
    make_account(db, "root", admin=True)
    with ServerProcess(db, "--jwt-secret", JWT_SECRET, guests=False) as running:
        yield running


def test_the_owner_bars_a_troll_whose_page_says_so_and_lifts_the_bar(
    server: ServerProcess, pages: Pages, tmp_path: Path
) -> None:
    """bea owns "beas-corner": she bars tomas by name (asked twice); his page loses the room and says he
    was barred; the bar is listed, and "Lift" lets him open the room again."""
    open_room(server, "beas-corner", owner="bea")
    tomas = open_as(pages, server, "tomas", "beas-corner")
    say(tomas, "rude words")
    bea = open_as(pages, server, "bea", "beas-corner")
    expect(message(bea, "rude words")).to_be_visible()

    bea.get_by_role("button", name="Room settings").click()
    settings = bea.get_by_role("dialog", name="Room settings")
    expect(settings.locator("#bars-none")).to_be_visible()
    settings.get_by_label("Bar someone (their name)").fill("tomas")
    settings.get_by_role("button", name="Bar from this room").click()
    expect(settings.get_by_role("button", name="Press again to bar tomas")).to_be_visible()
    expect(tomas.locator("#room-missing")).to_be_hidden()  # nothing happens before the second press
    settings.get_by_role("button", name="Press again to bar tomas").click()
    expect(settings.locator("#settings-bars .nick")).to_have_text(["tomas"])
    expect(settings.locator("#bars-none")).to_be_hidden()

    expect(tomas.locator("#room-missing-title")).to_have_text("You were barred from this room")
    expect(tomas.locator("#room-missing-help")).to_contain_text("until they lift the bar")
    expect(tomas.locator("#connection-detail")).to_have_text("Not connected: you were barred from this room.")
    expect(message(tomas, "rude words")).to_have_count(0)
    expect(tomas.locator('#rooms .room-link[data-room="beas-corner"]')).to_have_count(0)
    shoot(bea, tmp_path, "bars-settings")
    shoot(tomas, tmp_path, "bars-barred")

    settings.get_by_role("button", name="Lift the bar on tomas").click()
    expect(settings.locator("#settings-bars .nick")).to_have_count(0)
    expect(settings.locator("#bars-none")).to_be_visible()
    back = open_as(pages, server, "tomas", "beas-corner")
    expect(message(back, "rude words")).to_be_visible()


def test_only_those_who_manage_the_room_are_offered_bars(
    server: ServerProcess, pages: Pages, tmp_path: Path
) -> None:
    """In "noras-nook", nora (its owner) is offered "Bar" beside a member, not beside herself; pia, a member
    who does not manage it, sees no bars at all. "Bar" reads as a link, as "Remove" beside it does."""
    open_room(server, "noras-nook", owner="nora")
    pia = open_as(pages, server, "pia", "noras-nook")
    pia.get_by_role("button", name="Room settings").click()
    theirs = pia.get_by_role("dialog", name="Room settings")
    theirs.get_by_label("Add a member")  # the dialog is filled in
    expect(theirs.locator("#bars-section")).to_be_hidden()
    expect(theirs.get_by_role("button", name="Bar pia from this room")).to_have_count(0)

    nora = open_as(pages, server, "nora", "noras-nook")
    nora.get_by_role("button", name="Room settings").click()
    settings = nora.get_by_role("dialog", name="Room settings")
    settings.get_by_label("Add a member").fill("pia")
    settings.get_by_role("button", name="Add", exact=True).click()
    bar = settings.get_by_role("button", name="Bar pia from this room")
    expect(bar).to_be_visible()
    expect(settings.get_by_role("button", name="Bar nora from this room")).to_have_count(0)
    # "Bar" is a link in red beside "Remove", not a box that makes its row taller than the others.
    remove = (
        settings.locator("#settings-members li").filter(has_text="pia").get_by_role("button", name="Remove")
    )
    expect(bar).to_have_css("border-top-width", "0px")
    bar_box, remove_box = bar.bounding_box(), remove.bounding_box()
    assert bar_box is not None and remove_box is not None and bar_box["height"] == remove_box["height"]
    shoot(nora, tmp_path, "bars-members")
    settings.get_by_role("button", name="Bar pia from this room").click()
    settings.get_by_role("button", name="Press again to bar pia").click()
    expect(settings.locator("#settings-bars .nick")).to_have_text(["pia"])
    expect(settings.locator("#settings-members .nick")).to_have_text(["nora"])
    expect(pia.locator("#room-missing-title")).to_have_text("You were barred from this room")


def more_actions(page: Page, text: str) -> Locator:
    """The message holding ``text``, its "⋯ More actions" open."""
    item = message(page, text)
    act(page, item, "More actions")
    expect(item.get_by_role("button", name="Copy link")).to_be_visible()
    return item


def test_the_owner_bars_someone_from_a_message_of_theirs(
    server: ServerProcess, pages: Pages, tmp_path: Path
) -> None:
    """In "bea-jetty", "⋯ More actions" on ruth's message offers its owner bea "Bar ruth from this room",
    which asks again and then bars her (her page loses the room; Room settings lists the bar). Not offered
    on bea's own message, nor on the administrator root's; root is offered it on ruth's, not on bea's (the
    owner's); pia, a member who does not manage the room, is offered none."""
    open_room(server, "bea-jetty", owner="bea")
    ruth = open_as(pages, server, "ruth", "bea-jetty")
    say(ruth, "spam spam spam")
    root = open_as(pages, server, "root", "bea-jetty")
    say(root, "order please")
    bea = open_as(pages, server, "bea", "bea-jetty")
    say(bea, "welcome all")

    pia = open_as(pages, server, "pia-jetty", "bea-jetty")
    theirs = more_actions(pia, "spam spam spam")
    expect(theirs.get_by_role("button", name="Block ruth")).to_be_visible()
    expect(theirs.get_by_role("button", name="Bar ruth from this room")).to_have_count(0)

    expect(
        message(root, "spam spam spam").get_by_role("button", name="Bar ruth from this room")
    ).to_have_count(0)
    expect(
        more_actions(root, "spam spam spam").get_by_role("button", name="Bar ruth from this room")
    ).to_be_visible()
    root.keyboard.press("Escape")
    owners = more_actions(root, "welcome all")
    root.wait_for_timeout(500)  # the member list's answer has come: bea owns the room
    expect(owners.get_by_role("button", name="Bar bea from this room")).to_have_count(0)

    expect(message(bea, "order please").locator(".admin-mark")).to_have_text("admin")
    expect(
        more_actions(bea, "order please").get_by_role("button", name="Bar root from this room")
    ).to_have_count(0)
    expect(
        more_actions(bea, "welcome all").get_by_role("button", name="Bar bea from this room")
    ).to_have_count(0)
    phone = open_as(pages, server, "bea", "bea-jetty", viewport=SCREENSHOT_PHONE, color_scheme="dark")
    bar = more_actions(phone, "spam spam spam").get_by_role("button", name="Bar ruth from this room")
    expect(bar).to_be_visible()
    shoot(phone, tmp_path, "bar-from-message-phone")
    spam = more_actions(bea, "spam spam spam")
    spam.get_by_role("button", name="Bar ruth from this room").click()
    again = spam.get_by_role("button", name="Press again to bar ruth")
    expect(again).to_be_visible()
    expect(again).to_be_focused()
    shoot(bea, tmp_path, "bar-from-message-desktop")
    expect(ruth.locator("#room-missing")).to_be_hidden()  # nothing happens before the second press
    again.click()
    expect(ruth.locator("#room-missing-title")).to_have_text("You were barred from this room")
    expect(spam.locator(".msg-actions")).to_have_count(0)
    bea.get_by_role("button", name="Room settings").click()
    expect(bea.get_by_role("dialog", name="Room settings").locator("#settings-bars .nick")).to_have_text(
        ["ruth"]
    )


def test_a_menu_opened_before_the_page_knows_who_owns_the_room_gains_the_bar(
    server: ServerProcess, pages: Pages
) -> None:
    """bea opens "⋯ More actions" on ruth's message in "bea-attic" while her page is still asking whether
    she owns the room: when the answer comes, the open menu gains "Bar ruth from this room", and the focus
    stays on the item she had reached."""
    open_room(server, "bea-attic", owner="bea")
    ruth = open_as(pages, server, "ruth", "bea-attic")
    say(ruth, "first!")
    held: list[Route] = []

    def hold_her_own_membership(page: Page) -> None:
        page.route(re.compile(r"/members\?prefix=bea&limit=1$"), lambda route: held.append(route))

    url = f"{server.url}/?room=bea-attic&token={token_for('bea')}"
    bea = pages.open(url, before=hold_her_own_membership)
    expect_online(bea)
    wait_for(bea, lambda: bool(held), why=lambda: "the request was never made")
    menu = more_actions(bea, "first!")
    expect(menu.get_by_role("button", name="Block ruth")).to_be_visible()  # it knows she has an account
    bar = menu.get_by_role("button", name="Bar ruth from this room")
    expect(bar).to_have_count(0)
    copy = menu.get_by_role("button", name="Copy link")
    copy.focus()
    for route in held:
        route.continue_()
    expect(bar).to_be_visible()
    expect(copy).to_be_focused()  # the menu made again keeps her place in it
