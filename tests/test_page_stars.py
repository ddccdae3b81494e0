"""Starred rooms on the page (static/js/stars.js, rooms.js) in Debian's Chromium.

People signed in with tokens on a real ``python -m chatroom``: one stars the
room she is in with the ☆ beside its name (on a phone, in the room's
settings), and it heads the rooms list of every tab of hers under "Starred",
not of anyone else's; a room starred beyond the list's first page heads it
too, with its unread count; the quick switcher offers starred rooms first; a
starred room taken away leaves the list, and comes back starred.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Locator, Page, expect

from tests import test_page
from tests.clients import send_message, welcomed
from tests.support import ServerProcess, call_api
from tests.test_page import Pages, token_for
from tests.test_page_changes import accounts_server, open_as, open_room, shoot


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """Accounts only, signed in with tokens."""
    yield from accounts_server(tmp_path_factory, "stars-page")


def starred_group(page: Page) -> Locator:
    return page.locator('#rooms section[data-kind="starred"]')


def star_button(page: Page) -> Locator:
    return page.get_by_role("button", name="Starred")


def star_through_the_api(server: ServerProcess, name: str, room: str) -> None:
    """``name`` stars ``room`` from another device."""
    status, _ = call_api(server, "PUT", f"/api/me/starred/{room}", authorization=f"Bearer {token_for(name)}")
    assert status == 200


def test_a_star_heads_the_list_on_every_tab_of_its_person_alone(
    server: ServerProcess, pages: Pages, tmp_path: Path
) -> None:
    """ann stars the room she is in: ★, pressed, and the room heads her rooms list under "Starred" on her
    desktop and her phone, not on bob's page; ★ again puts it back among the open rooms everywhere."""
    for room in ("st-alpha", "st-beta", "st-gamma"):
        open_room(server, room)
    ann = open_as(pages, server, "ann", "st-gamma")
    phone_look = {"viewport": test_page.SCREENSHOT_PHONE, "color_scheme": "dark", "reduced_motion": "reduce"}
    phone = open_as(pages, server, "ann", "st-alpha", **phone_look)
    bob = open_as(pages, server, "bob", "st-alpha")
    button = star_button(ann)
    expect(button).to_have_attribute("aria-pressed", "false")
    expect(button).to_have_attribute("title", "Star this room: keep it at the top of your rooms")
    button.click()
    expect(button).to_have_attribute("aria-pressed", "true")
    expect(button).to_have_text("★Starred")
    for page in (ann, phone):
        expect(page.locator("#rooms .room-group h3").first).to_have_text("Starred")
        expect(starred_group(page).locator("a.room-link")).to_have_attribute("data-room", "st-gamma")
        expect(page.locator('#rooms section[data-kind="open"] a[data-room="st-gamma"]')).to_have_count(0)
    expect(phone.locator("#star-room")).to_have_attribute("aria-pressed", "false")  # st-alpha is not starred
    shoot(ann, tmp_path, "starred-desktop")
    shoot(phone, tmp_path, "starred-phone-header")
    phone.locator("#drawer-toggle").click()
    expect(phone.locator("#sidebar")).to_have_class(re.compile(r"\bopen\b"))
    shoot(phone, tmp_path, "starred-phone-drawer")
    phone.keyboard.press("Escape")
    expect(starred_group(bob)).to_have_count(0)
    expect(bob.locator('#rooms a[data-room="st-gamma"]')).to_have_count(1)

    button.click()
    expect(button).to_have_attribute("aria-pressed", "false")
    for page in (ann, phone):
        expect(starred_group(page)).to_have_count(0)
        expect(page.locator('#rooms section[data-kind="open"] a[data-room="st-gamma"]')).to_have_count(1)


def test_a_phone_stars_in_the_rooms_settings(server: ServerProcess, pages: Pages, tmp_path: Path) -> None:
    """On a phone the top bar keeps the room's name and no ☆: the room's settings have "Starred", which
    stars it (the list says so at once, and the desktop's ☆ too) and unstars it."""
    open_room(server, "st-phone")
    phone = open_as(pages, server, "cid", "st-phone", viewport=test_page.SCREENSHOT_PHONE)
    desktop = open_as(pages, server, "cid", "st-phone")
    expect(star_button(desktop)).to_be_visible()
    expect(star_button(phone)).to_be_hidden()
    phone.locator("#room-settings").click()
    starred = phone.get_by_role("checkbox", name="Starred: at the top of your rooms list")
    expect(starred).not_to_be_checked()
    starred.check()
    expect(starred_group(phone).locator("a.room-link")).to_have_attribute("data-room", "st-phone")
    expect(star_button(desktop)).to_have_attribute("aria-pressed", "true")
    shoot(phone, tmp_path, "starred-phone-settings")
    starred.uncheck()
    expect(starred_group(phone)).to_have_count(0)
    expect(star_button(desktop)).to_have_attribute("aria-pressed", "false")


def test_a_room_starred_beyond_the_first_page_heads_the_list_with_its_counts(
    server: ServerProcess, pages: Pages
) -> None:
    """With more rooms than the list's page, a room of dan's starred far down it heads his list with its
    unread badge; one starred from another device while the page is open joins it there."""
    for n in range(52):
        open_room(server, f"aa-{n:02}")
    open_room(server, "zz-far", owner="dan")
    star_through_the_api(server, "dan", "zz-far")
    talker, _, _ = welcomed(server, room="zz-far", token=token_for("bob"))
    with talker:
        assert send_message(talker, "news from far away", "far")["type"] == "ack"
    dan = open_as(pages, server, "dan", "aa-00")
    expect(dan.locator("#rooms-note")).to_contain_text("Showing the first 50 rooms")
    first = dan.locator("#rooms a.room-link").first
    expect(first).to_have_attribute("data-room", "zz-far")
    expect(first).to_have_attribute("aria-label", "#zz-far, 1 unread, 0 online")
    expect(dan.locator('#rooms a[data-room="aa-51"]')).to_have_count(0)
    star_through_the_api(server, "dan", "aa-51")
    expect(starred_group(dan).locator("a.room-link")).to_have_count(2)
    expect(starred_group(dan).locator("a.room-link").nth(0)).to_have_attribute("data-room", "aa-51")
    expect(star_button(dan)).to_have_attribute("aria-pressed", "false")


def test_the_switcher_offers_starred_rooms_first(server: ServerProcess, pages: Pages) -> None:
    """Ctrl+K offers eve's starred room before the others that answer what she typed as well, marked so."""
    for room in ("ks-apple", "ks-berry", "ks-cherry"):
        open_room(server, room)
    star_through_the_api(server, "eve", "ks-cherry")
    eve = open_as(pages, server, "eve", "ks-apple")
    expect(starred_group(eve).locator("a.room-link")).to_have_count(1)
    eve.keyboard.press("Control+k")
    switcher = eve.get_by_role("dialog", name="Jump to a room")
    switcher.get_by_role("combobox").press_sequentially("ks")
    expect(switcher.get_by_role("option")).to_have_text(["#ks-cherry★ starred", "#ks-berry"])
    eve.keyboard.press("Enter")
    expect(eve).to_have_url(re.compile(r"room=ks-cherry$"))


def test_a_starred_room_taken_away_leaves_the_list_and_comes_back_starred(
    server: ServerProcess, pages: Pages
) -> None:
    """gus starred fay's closed room: taken out of it, it leaves his list at once; added back, it heads
    the list again, still starred."""
    fay = f"Bearer {token_for('fay')}"
    gus = open_as(pages, server, "gus", "lobby")  # his account, made as he first comes
    closed = {"room": "st-secret", "kind": "closed", "members": ["gus"]}
    assert call_api(server, "POST", "/api/rooms", closed, fay)[0] == 201
    star_through_the_api(server, "gus", "st-secret")
    expect(starred_group(gus).locator("a.room-link")).to_have_attribute("data-room", "st-secret")
    assert call_api(server, "DELETE", "/api/rooms/st-secret/members/gus", authorization=fay)[0] == 204
    expect(gus.locator('#rooms a[data-room="st-secret"]')).to_have_count(0)
    expect(starred_group(gus)).to_have_count(0)
    assert call_api(server, "POST", "/api/rooms/st-secret/members", {"name": "gus"}, fay)[0] == 201
    expect(starred_group(gus).locator("a.room-link")).to_have_attribute("data-room", "st-secret")
