"""The account pages and menu (templates/signin.html, setup.html, join.html, reset.html,
static/js/forms.js, account.js, devices.js) in Debian's Chromium against a real ``python -m chatroom``."""

from __future__ import annotations

import os
import re
from pathlib import Path

from playwright.sync_api import Page, expect

from chatroom.identity import SESSION_COOKIE
from tests.screens import screenshot

from .clients import open_ws
from .page_browser import DESKTOP
from .support import ServerProcess
from .test_page import SCREENSHOT_PHONE, Pages, expect_online, say, texts
from .test_page_changes import shoot as shoot_both_schemes
from .web_client import PASSWORD, join, set_up, setup_link

# the fixtures, shared with tests/test_page.py


def shots(tmp_path: Path) -> Path:
    """Where screenshots go: CHATROOM_SCREENSHOT_DIR, to look at them, or the test's directory."""
    return Path(os.environ.get("CHATROOM_SCREENSHOT_DIR", tmp_path))


def fill_account_form(
    page: Page, name: str | None, password: str = PASSWORD, again: str | None = None
) -> None:
    """Type a name (when the form asks) and the password twice, then press Enter."""
    if name is not None:
        page.locator("#name").fill(name)
    page.locator("#password").fill(password)
    page.locator("#password-again").fill(password if again is None else again)
    page.locator("#password-again").press("Enter")


def sign_in(page: Page, name: str, password: str = PASSWORD) -> None:
    page.locator("#name").fill(name)
    page.locator("#password").fill(password)
    page.locator("#password").press("Enter")


def test_setup_then_a_second_person_joins_signs_out_and_in_again(tmp_path: Path, pages: Pages) -> None:
    """The whole first run in a browser: the administrator, the join link, a newcomer, chat, sign out, in."""
    with ServerProcess(tmp_path / "chat.db", guests=False) as server:
        setup_url, _ = setup_link(server)
        ann = pages.open(setup_url)
        fill_account_form(ann, "Ann", again="not the same password")
        expect(ann.locator("#form-error")).to_have_text("The two passwords differ.")
        fill_account_form(ann, "Ann")
        expect(ann.locator("#done-step")).to_be_visible()
        screenshot(ann, shots(tmp_path) / "screenshot-setup-done.png")
        join_link = ann.locator("#join-link").input_value()
        assert join_link.startswith(f"http://127.0.0.1:{server.port}/join?token=")
        ann.get_by_role("link", name="Open the chat").click()
        expect_online(ann)
        expect(ann.locator("#me-nick")).to_have_text("Ann")
        expect(ann.locator("#nick")).to_be_hidden()  # an account chooses no nick
        ann.locator("#me").click()
        expect(ann.locator("#join-link-url")).to_have_value(join_link)
        screenshot(ann, shots(tmp_path) / "screenshot-account-menu.png")
        ann.locator("#account-close").click()

        bob = pages.open(join_link)
        fill_account_form(bob, "ANN")
        expect(bob.locator("#form-error")).to_have_text("The name 'ANN' is too like 'Ann'.")
        fill_account_form(bob, "Bob", password="short", again="short")
        expect(bob.locator("#form-error")).to_have_text("A password has at least 10 characters.")
        fill_account_form(bob, "Bob")
        expect_online(bob)
        expect(bob.locator("#me-nick")).to_have_text("Bob")
        say(ann, "welcome, Bob")
        expect(bob.locator("#messages .msg .text").last).to_have_text("welcome, Bob")

        bob.locator("#me").click()
        bob.locator("#sign-out").click()
        expect(bob).to_have_url(f"{server.url}/signin")
        bob.goto(f"{server.url}/?room=lobby")
        expect(bob).to_have_url(f"{server.url}/signin?next=%2F%3Froom%3Dlobby")
        sign_in(bob, "Bob", "not my password")
        expect(bob.locator("#form-error")).to_have_text("The name or the password is wrong.")
        sign_in(bob, "Bob")
        expect_online(bob)
        expect(bob).to_have_url(f"{server.url}/?room=lobby")
        assert "welcome, Bob" in texts(bob)


def two_tabs(pages: Pages, server: ServerProcess, name: str) -> tuple[Page, Page]:
    """``name`` signed in, in the lobby in two tabs of one browser."""
    here = pages.open(f"{server.url}/signin")
    sign_in(here, name)
    expect_online(here)
    other_tab = here.context.new_page()
    other_tab.goto(f"{server.url}/?room=lobby")
    expect_online(other_tab)
    return here, other_tab


def test_a_rename_in_one_tab_reaches_the_others_chip_and_menu(tmp_path: Path, pages: Pages) -> None:
    """Ann renames herself Annie in one tab: her other tab comes back under Annie, in its chip, its
    account menu and its own messages' name."""
    with ServerProcess(tmp_path / "chat.db", guests=False) as server:
        set_up(server, "Ann")
        here, other_tab = two_tabs(pages, server, "Ann")
        here.locator("#me").click()
        here.locator("#account-new-name").fill("Annie")
        here.locator("#account-new-name").press("Enter")
        expect(here.locator("#me-nick")).to_have_text("Annie")
        expect(other_tab.locator("#me-nick")).to_have_text("Annie")
        expect_online(other_tab)
        other_tab.locator("#me").click()
        expect(other_tab.locator("#account-name")).to_have_text("Annie")
        expect(other_tab.locator("#account-new-name")).to_have_value("Annie")
        other_tab.locator("#account-close").click()
        say(other_tab, "new name, same me")
        expect(other_tab.locator("#messages .msg .nick").last).to_have_text("Annie")


def test_a_revoked_join_link_opens_a_page_that_says_so(tmp_path: Path, pages: Pages) -> None:
    """The administrator revokes the link from the menu; the newcomer's page explains it."""
    with ServerProcess(tmp_path / "chat.db", guests=False) as server:
        _, join_link = set_up(server)
        page = pages.open(f"{server.url}/signin")
        sign_in(page, "Admin")
        expect_online(page)
        page.locator("#me").click()
        expect(page.locator("#join-link-url")).to_have_value(join_link)
        page.locator("#join-link-revoke").click()
        expect(page.locator("#join-link-url")).to_have_value("")
        late = pages.open(join_link)
        expect(late.locator("h1")).to_have_text("This join link does not work")


def test_a_deactivated_account_is_told_so_in_words_only_with_its_right_password(
    tmp_path: Path, pages: Pages
) -> None:
    """Bob, deactivated: a wrong password reads as for anyone; the right one says his account was
    deactivated and to ask an administrator, leaves the password field unmarked, and signs nobody in."""
    with ServerProcess(tmp_path / "chat.db", guests=False) as server:
        admin, join_link = set_up(server)
        bob_id = join(server, join_link, "Bob").get("/api/me").json["account"]["id"]
        assert admin.call("POST", f"/api/admin/accounts/{bob_id}/deactivate").status == 200
        page = pages.open(f"{server.url}/signin")
        sign_in(page, "Bob", "not my password")
        expect(page.locator("#form-error")).to_have_text("The name or the password is wrong.")
        sign_in(page, "Bob")
        expect(page.locator("#form-error")).to_have_text(
            "Your account has been deactivated: ask an administrator to reactivate it."
        )
        expect(page.locator("#password")).not_to_have_attribute("aria-invalid", "true")
        expect(page).to_have_url(f"{server.url}/signin")
        assert SESSION_COOKIE not in {cookie["name"] for cookie in page.context.cookies()}


def test_screenshots_of_the_sign_in_and_setup_pages(tmp_path: Path, pages: Pages) -> None:
    """Sign-in and setup on a desktop and a phone, light and dark, without sideways scrolling (PNGs)."""
    out = shots(tmp_path)
    with ServerProcess(tmp_path / "chat.db", guests=False) as server:
        setup_url, _ = setup_link(server)
        shoot(pages, "setup", setup_url, out)
        set_up(server)
        shoot(pages, "signin", f"{server.url}/signin", out)


def shoot(pages: Pages, name: str, url: str, out: Path) -> None:
    """Screenshots of the page at ``url``: desktop and phone, light and dark."""
    for viewport, device in ((DESKTOP, "desktop"), (SCREENSHOT_PHONE, "phone")):
        for scheme in ("light", "dark"):
            page = pages.open(url, viewport, color_scheme=scheme)
            expect(page.locator("h1").first).to_be_visible()
            assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
            screenshot(page, out / f"screenshot-{name}-{device}-{scheme}.png")


def test_a_reset_link_gives_a_new_password_and_signs_in(tmp_path: Path, pages: Pages) -> None:
    """The person opens the administrator's reset link, types a new password twice, and is in the chat."""
    with ServerProcess(tmp_path / "chat.db", guests=False) as server:
        admin, join_link = set_up(server)
        zoe = join(server, join_link, "Zoë")
        zoe_id = zoe.get("/api/me").json["account"]["id"]
        reset_url = admin.call("POST", f"/api/admin/accounts/{zoe_id}/reset-link").json["url"]
        page = pages.open(reset_url)
        expect(page.locator("h1")).to_have_text("Choose a new password")
        expect(page.locator(".lead")).to_have_text(
            "For the account Zoë. Once it is set, the account is signed out everywhere else."
        )
        fill_account_form(page, None, password="new passphrase here")
        expect_online(page)
        expect(page.locator("#me-nick")).to_have_text("Zoë")
        assert zoe.get("/api/me").status == 401  # the old session ended
        used = pages.open(reset_url)
        expect(used.locator("h1")).to_have_text("This password link does not work")


def test_a_new_accounts_link_welcomes_the_person_by_name(tmp_path: Path, pages: Pages) -> None:
    """The link an administrator makes with a new account greets Dan by name and asks for his first
    password, not a new one; with it he is in the chat (screenshots: desktop and phone, light and dark)."""
    with ServerProcess(tmp_path / "chat.db", guests=False) as server:
        admin, _ = set_up(server)
        link = admin.call("POST", "/api/admin/accounts", {"name": "Dan"}).json["url"]
        shoot(pages, "new-account", link, shots(tmp_path))
        page = pages.open(link)
        expect(page.locator("h1")).to_have_text("Welcome, Dan")
        expect(page.locator(".lead")).to_have_text(
            "Choose a password for your account. You sign in with your name, Dan, and this password."
        )
        assert "signed out" not in page.locator("main").inner_text()
        fill_account_form(page, None, password="dan's first passphrase")
        expect_online(page)
        expect(page.locator("#me-nick")).to_have_text("Dan")


def change_password(page: Page, new: str) -> None:
    """In the account menu, a new password, with "Sign out my other devices" ticked as it is at first."""
    page.locator("#me").click()
    expect(page.locator("#sign-out-others")).to_be_checked()
    page.locator("#current-password").fill(PASSWORD)
    page.locator("#new-password").fill(new)
    page.locator("#new-password-again").fill(new)
    page.get_by_role("button", name="Change the password").click()


def test_a_new_password_signs_out_other_devices_and_keeps_this_browsers_tabs(
    tmp_path: Path, pages: Pages
) -> None:
    """Ann changes her password in one tab: it says so and stays; her other tab in the same browser stays
    signed in and chatting; her phone is told her password was changed and offered to sign in again."""
    with ServerProcess(tmp_path / "chat.db", guests=False) as server:
        set_up(server, "Ann")
        here, other_tab = two_tabs(pages, server, "Ann")
        phone = pages.open(f"{server.url}/signin", SCREENSHOT_PHONE, color_scheme="dark")
        sign_in(phone, "Ann")
        expect_online(phone)
        here.evaluate("window.stillThisPage = true")

        change_password(here, "a brand new passphrase")
        note = here.locator("#account-note")
        expect(note).to_have_text("Your password is changed, and your other devices are signed out.")
        expect(phone.locator("#status-text")).to_have_text("Signed out")
        expect(phone.locator("#connection-banner")).to_contain_text(
            "Your password was changed: sign in again."
        )
        expect(phone.get_by_role("link", name="Sign in again")).to_be_visible()
        here.wait_for_timeout(1500)  # the reconnections are over
        assert here.evaluate("window.stillThisPage === true")  # not reloaded: the note stays to be read
        expect(note).to_have_text("Your password is changed, and your other devices are signed out.")
        expect(note).to_be_in_viewport()
        screenshot(here, shots(tmp_path) / "screenshot-password-changed-desktop-light.png")
        here.locator("#account-close").click()
        for tab in (here, other_tab):
            expect_online(tab)
            expect(tab.locator("#sign-in-again")).to_be_hidden()
        say(other_tab, "still signed in here")
        expect(here.locator("#messages .msg .text").last).to_have_text("still signed in here")
        screenshot(other_tab, shots(tmp_path) / "screenshot-password-other-tab-desktop-light.png")
        screenshot(phone, shots(tmp_path) / "screenshot-password-other-device-phone-dark.png")


def test_signed_in_while_a_guest_holds_the_name_the_page_waits_and_gets_in(
    tmp_path: Path, pages: Pages
) -> None:
    """An account whose name a guest here took before it existed is told so, not to pick a nick,
    and the page connects by itself once the guest leaves."""
    with ServerProcess(tmp_path / "chat.db") as server:
        _, link = set_up(server)
        guest = open_ws(server, room="lobby", nick="zoe")
        join(server, link, "Zoe")
        zoe = pages.open(f"{server.url}/signin")
        sign_in(zoe, "Zoe")
        expect(zoe.locator("#connection-banner")).to_contain_text(
            "Not connected: someone else in this room is using the name 'Zoe', or one that looks like it:"
        )
        expect(zoe.locator("#join-dialog")).to_be_hidden()
        guest.close()
        expect_online(zoe)
        say(zoe, "mine now")
        expect(zoe.locator("#users .nick")).to_have_text(["Zoe"])


IPHONE_AGENT = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko)"
    " Version/18.1 Mobile/15E148 Safari/604.1"
)


def test_a_device_signed_out_from_the_account_menu_is_told_so(tmp_path: Path, pages: Pages) -> None:
    """Ann is signed in on her laptop and on her phone: the laptop's "Your devices" shows it first, as
    this device, the phone (Safari on iPhone) with when it was last active, and the set-up script; she signs
    the phone out: its row goes, the note says so, the phone is told and offered to sign in again, and
    the laptop chats on."""
    with ServerProcess(tmp_path / "chat.db", guests=False) as server:
        set_up(server, "Ann")
        laptop = pages.open(f"{server.url}/signin")
        sign_in(laptop, "Ann")
        expect_online(laptop)
        phone = pages.open(f"{server.url}/signin", SCREENSHOT_PHONE, user_agent=IPHONE_AGENT)
        sign_in(phone, "Ann")
        expect_online(phone)
        laptop.locator("#me").click()
        rows = laptop.locator("#devices-list li")
        expect(rows).to_have_count(3)
        expect(rows.first).to_have_text("Chrome on Linux this device")
        phone_row = rows.filter(has_text="Safari on iPhone")
        expect(phone_row.locator(".hint")).to_have_text(re.compile(r"^last active \S"))
        expect(rows.filter(has_text="Python-urllib")).to_have_count(1)
        laptop.locator("#devices-section").scroll_into_view_if_needed()
        shoot_both_schemes(laptop, tmp_path, "screenshot-devices-desktop")
        laptop.set_viewport_size(SCREENSHOT_PHONE)  # the same list on a phone's screen
        laptop.locator("#devices-section").scroll_into_view_if_needed()
        shoot_both_schemes(laptop, tmp_path, "screenshot-devices-phone")
        assert laptop.evaluate("document.documentElement.scrollWidth") <= SCREENSHOT_PHONE["width"]
        laptop.set_viewport_size(DESKTOP)
        phone_row.get_by_role("button", name=re.compile(r"^Sign out Safari on iPhone, last active ")).click()
        expect(rows).to_have_count(2)
        expect(laptop.locator("#devices-note")).to_have_text("Safari on iPhone is signed out.")
        expect(phone.locator("#status-text")).to_have_text("Signed out")
        expect(phone.locator("#connection-banner")).to_contain_text(
            "This device was signed out from another one: sign in again."
        )
        expect(phone.get_by_role("link", name="Sign in again")).to_be_visible()
        shoot_both_schemes(phone, tmp_path, "screenshot-device-signed-out-phone")
        laptop.locator("#account-close").click()
        say(laptop, "still here")
        expect(laptop.locator("#messages .msg .text").last).to_have_text("still here")
