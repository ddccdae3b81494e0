"""A person's status and paused notifications on the page (static/js/status.js, status_dialog.js) in Chromium.

People signed in with passwords (the account menu is theirs) set a status from the account menu, pause their
notifications and resume them; the others see the marks beside the name, live;
screenshots on a desktop and a phone, light and dark.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.held_answers import HeldAnswers
from tests.support import ServerProcess, unique
from tests.test_page import SCREENSHOT_PHONE, Pages, expect_online, say
from tests.test_page_changes import shoot
from tests.test_page_journey import signed_in
from tests.web_client import WebClient, join, set_up


@dataclass
class Site:
    """A server with accounts only, its administrator, and the link new people join with."""

    server: ServerProcess
    admin: WebClient
    join_link: str

    def people(self, *prefixes: str) -> list[tuple[str, WebClient]]:
        """New people, each a name of their own and a signed-in client."""
        names = [unique(prefix) for prefix in prefixes]
        return [(name, join(self.server, self.join_link, name)) for name in names]

    def room(self, owner: WebClient) -> str:
        """A new open room, made by ``owner``."""
        room = unique("room")
        assert owner.call("POST", "/api/rooms", {"room": room, "kind": "open"}).status == 201
        return room

    def page(self, pages: Pages, client: WebClient, room: str, **options: Any) -> Page:
        """``client``'s browser in ``room``, online."""
        return signed_in(pages, client, f"{self.server.url}/?room={room}", **options)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    db = tmp_path_factory.mktemp("status-page") / "chat.db"
    with ServerProcess(db, guests=False) as running:
        admin, join_link = set_up(running, unique("admin"))
        yield Site(running, admin, join_link)


def online_item(page: Page, name: str) -> Locator:
    """``name``'s item in the online list."""
    return page.locator("#users li").filter(has=page.locator(".nick", has_text=name))


def open_menu(page: Page) -> None:
    page.locator("#me").click()
    expect(page.locator("#account-dialog")).to_be_visible()


def set_status_from_menu(page: Page, preset: str) -> None:
    """Open the account menu, then "Set a status…", pick a suggestion and save."""
    open_menu(page)
    page.get_by_role("button", name="Set a status…").click()
    dialog = page.get_by_role("dialog", name="Set a status")
    expect(dialog).to_be_visible()
    dialog.get_by_role("button", name=preset).click()
    dialog.get_by_role("button", name="Save", exact=True).click()
    expect(dialog).to_be_hidden()


def test_a_status_set_from_the_menu_shows_beside_the_name_for_everyone(
    site: Site, pages: Pages, tmp_path: Path
) -> None:
    """Ann picks "In a meeting": her own online list, bob's, and the author of her message show 📅 with its
    text as tooltip and name; the menu says it and clears it, and every mark goes."""
    (ann_name, ann_client), (bob_name, bob_client) = site.people("ann", "bob")
    room = site.room(ann_client)
    ann, bob = site.page(pages, ann_client, room), site.page(pages, bob_client, room)
    say(ann, "back soon")
    set_status_from_menu(ann, "📅 In a meeting — 1 hour")
    for page in (ann, bob):
        mark = online_item(page, ann_name).get_by_role("img", name="status: In a meeting")
        expect(mark).to_have_text("📅")
        expect(mark).to_have_attribute("title", re.compile(r"^In a meeting \(until .+\)$"))
    expect(
        bob.locator("#messages .msg .meta").get_by_role("img", name="status: In a meeting").last
    ).to_be_visible()
    expect(ann.locator("#my-status-now")).to_contain_text("In a meeting")
    expect(online_item(bob, bob_name).locator(".status-emoji")).to_have_count(0)
    ann.get_by_role("button", name="Clear status").click()
    expect(ann.locator("#my-status-now")).to_have_text("No status.")
    for page in (ann, bob):
        expect(page.locator(".status-emoji")).to_have_count(0)


def test_a_free_status_by_keyboard_with_an_emoji_and_no_end(site: Site, pages: Pages) -> None:
    """By keyboard: the emoji picker's choice, a text typed, "Don't clear", Enter saves; the member list of
    Room settings shows it too. A text too long for the server is said in the dialog, which stays open."""
    (ann_name, ann_client), (_, bob_client) = site.people("ann", "bob")
    room = site.room(ann_client)
    ann, bob = site.page(pages, ann_client, room), site.page(pages, bob_client, room)
    open_menu(ann)
    ann.get_by_role("button", name="Set a status…").focus()
    ann.keyboard.press("Enter")
    dialog = ann.get_by_role("dialog", name="Set a status")
    expect(ann.locator("#my-status-text")).to_be_focused()
    ann.keyboard.press("Shift+Tab")
    ann.keyboard.press("Enter")
    ann.locator(".emoji-search").fill("palm tree")
    ann.locator(".emoji-picker .emoji").first.click()
    expect(ann.locator("#my-status-emoji")).to_have_text("🌴")
    ann.locator("#my-status-clear-after").select_option("never")
    ann.locator("#my-status-text").fill("On holiday <b>really</b>")
    ann.locator("#my-status-text").press("Enter")
    expect(dialog).to_be_hidden()
    mark = online_item(bob, ann_name).get_by_role("img", name="status: On holiday <b>really</b>")
    expect(mark).to_have_attribute("title", "On holiday <b>really</b>")
    assert bob.locator("#users b").count() == 0
    bob.locator("#room-settings").click()
    member = bob.locator("#settings-members li").filter(has_text=ann_name)
    expect(member.get_by_role("img", name="status: On holiday <b>really</b>")).to_be_visible()


def test_a_status_whose_time_passes_goes_without_a_word_from_the_server(site: Site, pages: Pages) -> None:
    """A status set through the API to clear in a few seconds shows on bob's page, then goes by itself."""
    (ann_name, ann_client), (_, bob_client) = site.people("ann", "bob")
    room = site.room(ann_client)
    site.page(pages, ann_client, room)
    bob = site.page(pages, bob_client, room)
    until = int(time.time() * 1000) + 4000
    body = {"emoji": "🚌", "text": "Commuting", "until": until}
    assert ann_client.call("PUT", "/api/me/status", body).status == 200
    mark = online_item(bob, ann_name).locator(".status-emoji")
    expect(mark).to_have_text("🚌")
    expect(mark).to_have_count(0, timeout=10_000)


def test_a_lookup_read_before_a_change_does_not_undo_what_its_frame_showed(site: Site, pages: Pages) -> None:
    """bob's page looks ann up; the server answers at once, but the answer reaches the page only after
    ann set a status, paused her notifications and was made an administrator, whose frames came first:
    the 🚌, the 🌙 and the admin mark stay (static/js/told.js)."""
    (ann_name, ann_client), (bob_name, bob_client) = site.people("ann", "bob")
    room = site.room(ann_client)
    site.page(pages, ann_client, room)
    lookups = HeldAnswers(re.compile(r"/api/accounts\?"), passes=lambda url: f"prefix={bob_name}" in url)
    bob = site.page(pages, bob_client, room, before=lookups.hold)  # his own check goes through
    lookups.wait_for(bob, lambda urls: any(f"prefix={ann_name}" in url for url in urls), "ann's account")
    ann_id = ann_client.call("GET", "/api/me").json["account"]["id"]
    status = {"emoji": "🚌", "text": "Commuting", "until": None}
    assert ann_client.call("PUT", "/api/me/status", status).status == 200
    until = int(time.time() * 1000) + 3_600_000
    assert ann_client.call("PUT", "/api/me/dnd", {"until": until}).status == 200
    assert site.admin.call("PUT", f"/api/admin/accounts/{ann_id}/admin").status == 200
    ann = online_item(bob, ann_name)
    marks = [
        ann.locator(".status-emoji"),
        ann.locator(".dnd-mark"),
        ann.get_by_role("img", name="administrator"),
    ]
    for mark in marks:
        expect(mark).to_be_visible()
    lookups.hand_over(bob, f"prefix={ann_name}")
    for mark in marks:
        expect(mark).to_be_visible()


def test_paused_notifications_show_a_moon_to_others_until_resumed(
    site: Site, pages: Pages, tmp_path: Path
) -> None:
    """Ann pauses for 30 minutes: her menu says until when and offers Resume; bob sees 🌙 "notifications
    paused" beside her name; resumed, the moon goes. A chosen time in the past is refused in words. She
    turns the notifications' sound off: kept in her browser, it is still off after a reload."""
    (_, ann_client), (_, bob_client) = site.people("ann", "bob")
    room = site.room(ann_client)
    ann, bob = site.page(pages, ann_client, room), site.page(pages, bob_client, room)
    open_menu(ann)
    ann.locator("#dnd-for").select_option("custom")
    ann.locator("#dnd-until").fill("2001-01-01T09:00")
    ann.get_by_role("button", name="Pause notifications").click()
    expect(ann.locator("#dnd-now")).to_contain_text("passed already")
    ann.locator("#dnd-for").select_option("30")
    ann.get_by_role("button", name="Pause notifications").click()
    expect(ann.locator("#dnd-now")).to_contain_text("Notifications paused until")
    expect(ann.get_by_role("button", name="Resume notifications")).to_be_focused()
    moon = bob.locator("#users").get_by_role("img", name="notifications paused")
    bob.locator("#people-toggle, #online-toggle").first.click() if bob.locator(
        "#people-toggle"
    ).count() else None
    expect(moon).to_have_count(1)
    expect(moon).to_have_attribute("title", re.compile(r"^Notifications paused until "))
    ann.get_by_role("button", name="Resume notifications").click()
    expect(ann.get_by_role("button", name="Pause notifications")).to_be_visible()
    expect(moon).to_have_count(0)
    sound = ann.get_by_role("checkbox", name="Play a sound with notifications")
    expect(sound).to_be_checked()
    sound.uncheck()
    assert ann.evaluate("localStorage.getItem('chatroom.sound')") == "off"
    ann.reload()
    expect_online(ann)
    open_menu(ann)
    expect(ann.get_by_role("checkbox", name="Play a sound with notifications")).not_to_be_checked()


def test_screenshots_of_the_status_dialog_and_the_marks(site: Site, pages: Pages, tmp_path: Path) -> None:
    """The dialog, the menu and the online list with a status and a moon, on a desktop and a phone."""
    (_, ann_client), (_, bob_client) = site.people("ann", "bob")
    room = site.room(ann_client)
    bob = site.page(pages, bob_client, room)
    for page, where in (
        (site.page(pages, ann_client, room), "desktop"),
        (site.page(pages, ann_client, room, viewport=SCREENSHOT_PHONE), "phone"),
    ):
        say(page, f"from the {where}")
        open_menu(page)
        page.get_by_role("button", name="Set a status…").click()
        page.locator("#my-status-text").fill("Working remotely")
        shoot(page, tmp_path, f"status-dialog-{where}")
        page.locator("#my-status-emoji").click()
        expect(page.get_by_role("dialog", name="Choose your status's emoji")).to_be_visible()
        shoot(page, tmp_path, f"status-emoji-{where}")
        page.keyboard.press("Escape")
        expect(page.get_by_role("dialog", name="Choose your status's emoji")).to_have_count(0)
        expect(page.get_by_role("dialog", name="Set a status")).to_be_visible()
        page.get_by_role("button", name="🏠 Working remotely — Today").click()
        page.get_by_role("button", name="Save", exact=True).click()
        if where == "desktop":  # the phone's page, the same person's, shows it paused already
            page.locator("#dnd-for").select_option("60")
            page.get_by_role("button", name="Pause notifications").click()
        expect(page.locator("#dnd-now")).to_contain_text("paused until")
        shoot(page, tmp_path, f"status-menu-{where}")
        page.locator("#account-close").click()
    expect(bob.locator("#users").get_by_role("img", name="notifications paused")).to_have_count(1)
    shoot(bob, tmp_path, "status-marks-desktop")
    bob_phone = site.page(pages, bob_client, room, viewport=SCREENSHOT_PHONE, has_touch=True)
    bob_phone.locator("#drawer-toggle").tap()
    drawer = bob_phone.get_by_role("complementary", name="Rooms and people")
    expect(drawer).to_have_css("transform", "none")  # slid all the way in
    expect(drawer.get_by_role("img", name="status: Working remotely")).to_be_visible()
    shoot(bob_phone, tmp_path, "status-marks-phone")


def test_a_direct_conversation_and_ones_other_tab_show_a_status_live(
    site: Site, pages: Pages, tmp_path: Path
) -> None:
    """Bob sets his status in one tab: his other tab's menu says it, and ann's direct conversation with him
    shows it beside his name in the list, named for a screen reader; cleared, it goes from both."""
    (_, ann_client), (bob_name, bob_client) = site.people("ann", "bob")
    assert ann_client.call("POST", "/api/direct", {"members": [bob_name]}).status in (200, 201)
    room = site.room(ann_client)
    ann = site.page(pages, ann_client, room)
    bob, bob_again = site.page(pages, bob_client, room), site.page(pages, bob_client, room)
    set_status_from_menu(bob, "🚌 Commuting — 30 minutes")
    link = ann.locator("#rooms .room-link").filter(has_text=bob_name)
    expect(link.get_by_role("img", name="status: Commuting")).to_have_text("🚌")
    shoot(ann, tmp_path, "status-direct-desktop")
    open_menu(bob_again)
    expect(bob_again.locator("#my-status-now")).to_contain_text("Commuting")
    bob_again.get_by_role("button", name="Clear status").click()
    expect(link.locator(".status-emoji")).to_have_count(0)
    expect(bob.locator("#users .status-emoji")).to_have_count(0)
