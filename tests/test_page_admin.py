"""The administration panel in Chromium: only administrators see it; a bot made there shows its key once;
its switch turns guest access on and off."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from playwright.sync_api import Page, expect

from chatroom.store.accounts_base import AccountStore
from chatroom.store.records import CLOSED, OPEN
from tests.clients import close_code, join, next_of, refused_on_open
from tests.held_answers import HeldAnswers
from tests.page_browser import DESKTOP
from tests.screens import screenshot
from tests.support import (
    ServerProcess,
    call_api,
    in_store,
    make_account,
    post_message,
    signed_token,
    wait_until,
)
from tests.test_account_pages import shots
from tests.test_page import SCREENSHOT_PHONE, Pages, expect_online, say
from tests.test_page_changes import shoot
from tests.web_client import join as web_join
from tests.web_client import set_up

JWT_SECRET = "page-admin-secret-" + "0123456789abcdef" * 3


def test_an_administrator_makes_a_bot_and_sees_its_key_once(tmp_path: Path, pages: Pages) -> None:
    """The panel lists people and bots; a new bot's key shows with a copy button and posts at once;
    a person who is no administrator never sees the panel's button."""
    database = tmp_path / "chat.db"
    make_account(database, "root", admin=True)
    make_account(database, "pat")
    with ServerProcess(database, "--jwt-secret", JWT_SECRET, guests=False) as server:
        page = pages.open(
            f"{server.url}/?room=lobby&token={signed_token('root', JWT_SECRET)}",
            permissions=["clipboard-read", "clipboard-write"],
        )
        expect_online(page)
        expect(page.locator("#admin-open")).to_be_visible()
        page.locator("#admin-open").click()
        expect(page.locator("#admin-people .nick")).to_have_text(["root", "pat"])
        page.get_by_label("New bot's name").fill("relay<b>")
        page.get_by_role("button", name="Create bot").click()
        expect(page.locator("#admin-note")).not_to_have_text("")
        expect(page.locator("#admin-bots .nick")).to_have_count(0)
        expect(page.locator("#bot-key-box")).to_be_hidden()
        page.get_by_label("New bot's name").fill("relay")
        page.get_by_label("Rooms it posts in (separated by spaces)").fill("lobby")
        page.get_by_role("button", name="Create bot").click()
        expect(page.locator("#bot-key-box")).to_be_visible()
        key = page.locator("#bot-key").input_value()
        assert len(key) > 30
        page.get_by_role("button", name="Copy", exact=True).click()
        expect(page.locator("#admin-note")).to_have_text("The key is copied.")
        assert page.evaluate("navigator.clipboard.readText()") == key
        expect(page.locator("#admin-bots .nick")).to_have_text(["relay"])
        expect(page.locator("#admin-bots")).to_contain_text("Posts in: lobby")
        assert key not in page.locator("#admin-bots").inner_text()
        page.locator("#admin-close").click()
        status, _ = post_message(server, "lobby", b'{"message": "relayed"}', f"Bearer {key}")
        assert status == 201
        posted = page.locator("#messages .msg").last
        expect(posted.locator(".nick")).to_have_text("relay")
        expect(posted.locator(".badge")).to_have_text("bot")

        other = pages.open(f"{server.url}/?room=lobby&token={signed_token('pat', JWT_SECRET)}")
        expect_online(other)
        expect(other.locator("#messages .msg .text")).to_have_text(["relayed"])
        expect(other.locator("#admin-open")).to_be_hidden()
        # The page asks once it is up; its answer may reach the log a little after.
        wait_until(lambda: re.search(r"403 GET /api/admin/accounts", server.log()))
        # pat writes to the bot: the panel counts that conversation and does not name it.
        pat = f"Bearer {signed_token('pat', JWT_SECRET)}"
        assert call_api(server, "POST", "/api/direct", {"members": ["relay"]}, pat)[0] == 201
        page.locator("#admin-open").click()
        expect(page.locator("#admin-bots")).to_contain_text("Posts in: lobby · 1 person writes to it")
        assert "dm-" not in page.locator("#admin-bots").inner_text()


def test_the_panel_shows_checkboxes_beside_their_words_labels_bot_fields_and_spares_oneself(
    tmp_path: Path,
    pages: Pages,
) -> None:
    """Each checkbox sits just before its words on one line; a bot's room and webhook fields have visible
    labels; the administrator's own row says "you" and offers no Deactivate, the others' do."""
    database = tmp_path / "chat.db"
    make_account(database, "root", admin=True)
    make_account(database, "pat")
    with ServerProcess(database, "--jwt-secret", JWT_SECRET, guests=False) as server:
        page = pages.open(f"{server.url}/?room=lobby&token={signed_token('root', JWT_SECRET)}")
        expect_online(page)
        page.locator("#admin-open").click()
        for words in ("An administrator", "Let guests join open rooms with just a nick"):
            box = page.get_by_label(words).bounding_box()
            label = page.locator("label.check", has_text=words).bounding_box()
            assert box is not None and label is not None
            assert box["width"] < 30 and box["x"] - label["x"] < 4, (words, box, label)
            assert label["height"] < 2 * box["height"] + 8, (words, label)
        page.get_by_label("New bot's name").fill("relay")
        page.get_by_role("button", name="Create bot").click()
        bot = page.locator("#admin-bots > li", has_text="relay")
        for words in ("Add relay to a room", "Webhook address of relay"):
            expect(bot.locator("label", has_text=words)).to_be_visible()
            expect(bot.get_by_label(words)).to_be_visible()
        people = page.locator("#admin-people > li")
        expect(people.filter(has_text="root")).to_contain_text("(administrator, you)")
        expect(people.filter(has_text="root").get_by_role("button")).to_have_count(0)
        expect(people.filter(has_text="pat").get_by_role("button", name="Deactivate")).to_be_visible()


def test_signed_in_with_a_session_the_panel_works_with_its_xsrf_token(tmp_path: Path, pages: Pages) -> None:
    """An administrator signed in with the session cookie (no token) sees the panel, and its changes
    carry the page's _xsrf token: a bot is made and a person deactivated."""
    with ServerProcess(tmp_path / "chat.db", "--xheaders", guests=False) as server:
        admin, join_link = set_up(server)
        web_join(server, join_link, "quinn")
        cookies = [
            {"name": c.name, "value": c.value or "", "domain": "127.0.0.1", "path": "/"} for c in admin.jar
        ]
        page = pages.open(f"{server.url}/?room=lobby", storage_state={"cookies": cookies, "origins": []})
        expect_online(page)
        page.locator("#admin-open").click()
        page.get_by_label("New bot's name").fill("pager")
        page.get_by_role("button", name="Create bot").click()
        expect(page.locator("#bot-key-box")).to_be_visible()
        quinn = page.locator("#admin-people li", has_text="quinn")
        quinn.get_by_role("button", name="Deactivate").click()
        quinn.get_by_role("button", name="Really deactivate quinn?").click()
        expect(page.locator("#admin-note")).to_have_text("quinn is deactivated.")
        assert "403 POST" not in server.log()


def test_an_administrator_manages_a_closed_rooms_members_without_reading_it(
    tmp_path: Path,
    pages: Pages,
) -> None:
    """The panel lists closed rooms with their member counts; the administrator takes a member out
    and adds one, and never sees a message of the room."""
    database = tmp_path / "chat.db"
    make_account(database, "root", admin=True)
    kim, rob = make_account(database, "kim"), make_account(database, "rob")
    secret = "the plans are in the red folder"

    async def club(accounts: AccountStore) -> None:
        await accounts.create_room("club", CLOSED, creator_id=kim, members=[rob])

    in_store(database, club)
    with ServerProcess(database, "--jwt-secret", JWT_SECRET, guests=False) as server:
        member = pages.open(f"{server.url}/?room=club&token={signed_token('kim', JWT_SECRET)}")
        expect_online(member)
        say(member, secret)
        page = pages.open(f"{server.url}/?room=lobby&token={signed_token('root', JWT_SECRET)}")
        expect_online(page)
        page.locator("#admin-open").click()
        rooms = page.locator("#admin-rooms > li")
        expect(rooms).to_have_count(1)
        expect(rooms.first).to_contain_text("#club (2 members)")
        rooms.first.get_by_role("button", name="Members").click()
        expect(rooms.first.locator(".admin-members .nick")).to_have_text(["kim", "rob"])
        rooms.first.locator(".admin-members li").filter(has_text="rob").get_by_role("button").click()
        expect(page.locator("#admin-note")).to_have_text("Taken out of #club.")
        expect(rooms.first).to_contain_text("#club (1 member)")
        rooms.first.get_by_role("button", name="Members").click()
        rooms.first.get_by_label("Add someone to #club by name").fill("root")
        rooms.first.get_by_role("button", name="Add").click()
        expect(rooms.first).to_contain_text("#club (2 members, you among them)")
        assert secret not in page.locator("#admin-dialog").inner_text()


def test_an_administrator_manages_an_open_room_they_are_not_in_from_its_settings(
    tmp_path: Path,
    pages: Pages,
) -> None:
    """In the settings of an open room someone else owns, an administrator may rename, archive, add and
    remove (the owner too), and is offered no "Leave room", not being a member."""
    database = tmp_path / "chat.db"
    make_account(database, "root", admin=True)
    kim = make_account(database, "kim")

    async def square(accounts: AccountStore) -> None:
        await accounts.create_room("square", OPEN, creator_id=kim)

    in_store(database, square)
    with ServerProcess(database, "--jwt-secret", JWT_SECRET, guests=False) as server:
        page = pages.open(f"{server.url}/?room=square&token={signed_token('root', JWT_SECRET)}")
        expect_online(page)
        page.get_by_role("button", name="Room settings").click()
        settings = page.get_by_role("dialog", name="Room settings")
        expect(settings.locator(".members .nick")).to_have_text(["kim"])
        for name in ("Rename", "Archive", "Add", "Remove kim"):
            expect(settings.get_by_role("button", name=name, exact=True)).to_be_visible()
        expect(settings.get_by_role("button", name="Leave room")).to_have_count(0)
        settings.get_by_role("button", name="Remove kim").click()
        expect(settings.locator(".members .nick")).to_have_count(0)
        expect(settings.locator("#settings-error")).to_have_text("")


@contextmanager
def administration_open(tmp_path: Path, opener: Pages) -> Iterator[tuple[ServerProcess, Page]]:
    """A server without guests whose administrator root has the administration panel open."""
    database = tmp_path / "chat.db"
    make_account(database, "root", admin=True)
    with ServerProcess(database, "--jwt-secret", JWT_SECRET, guests=False) as server:
        page = opener.open(f"{server.url}/?room=lobby&token={signed_token('root', JWT_SECRET)}")
        expect_online(page)
        page.locator("#admin-open").click()
        yield server, page


def test_an_administrator_creates_an_account_and_hands_over_its_link(
    tmp_path: Path,
    pages: Pages,
) -> None:
    """The panel's new-person form: the account appears, with a link the person opens to choose a password."""
    with administration_open(tmp_path, pages) as (server, page):
        page.get_by_label("New person's name").fill("Quinn")
        page.get_by_role("button", name="Create account").click()
        expect(page.locator("#person-link-box")).to_be_visible()
        expect(page.locator("#person-link-name")).to_have_text("Quinn")
        expect(page.locator("#admin-people .nick")).to_have_text(["root", "Quinn"])
        link = page.locator("#person-link").input_value()
        assert link.startswith(f"{server.url}/reset?token=")
        quinn = pages.open(link)
        quinn.locator("#password").fill("quinn's own password")
        quinn.locator("#password-again").fill("quinn's own password")
        quinn.locator("#password-again").press("Enter")
        expect_online(quinn)
        expect(quinn.locator("#me-nick")).to_have_text("Quinn")


def test_the_guest_switch_lets_guests_in_and_turns_them_away(tmp_path: Path, pages: Pages) -> None:
    """Off at first; ticked, a v1 guest joins; unticked, that guest is closed 4401 and the panel says so."""
    with administration_open(tmp_path, pages) as (server, page):
        switch = page.get_by_label("Let guests join open rooms with just a nick")
        expect(switch).not_to_be_checked()
        expect(switch).to_be_enabled()
        switch.check()
        expect(page.locator("#admin-note")).to_have_text("Guests may join open rooms.")
        with join(server, "lobby", "walker") as guest:
            switch.uncheck()
            expect(page.locator("#admin-note")).to_contain_text("Guests are turned away")
            assert close_code(guest, timeout=5) == 4401
        error, code = refused_on_open(server, room="lobby", nick="walker")
        assert (error["code"], code) == ("unauthorized", 4401)


def test_settings_read_before_a_change_of_the_guest_switch_do_not_undo_it(
    tmp_path: Path,
    pages: Pages,
) -> None:
    """The panel opened again reads the settings anew; ticked before they arrive, the switch stays ticked."""
    with administration_open(tmp_path, pages) as (server, page):
        switch = page.get_by_label("Let guests join open rooms with just a nick")
        expect(switch).to_be_enabled()
        page.locator("#admin-close").click()
        # The settings as they were before the change, read at once and given to the page after it.
        settings = HeldAnswers(re.compile(r"/api/admin/settings$"), methods=frozenset({"GET"}))
        settings.hold(page)
        page.locator("#admin-open").click()
        settings.wait_for(page, bool, "the settings")
        switch.check()
        expect(page.locator("#admin-note")).to_have_text("Guests may join open rooms.")
        assert all(answer.json()["guests"] is False for _, answer in settings.held)
        settings.hand_over(page, "/api/admin/settings")  # the stale answer arrives and is set aside
        expect(switch).to_be_checked()
        with join(server, "lobby", "walker"):
            pass  # a guest gets in: the change held


def test_screenshots_of_the_panel_with_a_link_and_a_key(tmp_path: Path, pages: Pages) -> None:
    """The panel showing a new person's link and a new bot's key: desktop and phone, light and dark."""
    out = shots(tmp_path)
    database = tmp_path / "chat.db"
    make_account(database, "root", admin=True)
    with ServerProcess(database, "--jwt-secret", JWT_SECRET, guests=False) as server:
        for scheme in ("light", "dark"):
            for form, viewport in (("desktop", DESKTOP), ("phone", SCREENSHOT_PHONE)):
                page = pages.open(
                    f"{server.url}/?room=lobby&token={signed_token('root', JWT_SECRET)}",
                    viewport=viewport,
                    color_scheme=scheme,
                )
                expect_online(page)
                page.locator("#admin-open").click()
                page.get_by_label("New person's name").fill(f"pat-{form}-{scheme}")
                page.get_by_role("button", name="Create account").click()
                expect(page.locator("#person-link-box")).to_be_visible()
                page.get_by_label("New bot's name").fill(f"relay-{form}-{scheme}")
                page.get_by_label("Rooms it posts in (separated by spaces)").fill("lobby")
                page.get_by_role("button", name="Create bot").click()
                expect(page.locator("#bot-key-box")).to_be_visible()
                for name, part in (("people", "#admin-people-title"), ("bots", "#admin-close")):
                    page.locator(part).scroll_into_view_if_needed()
                    screenshot(page, out / f"screenshot-admin-{name}-{form}-{scheme}.png")
                page.context.close()


def test_an_administrator_hands_someone_who_forgot_their_password_a_link_to_a_new_one(
    tmp_path: Path,
    pages: Pages,
) -> None:
    """Beside each other person the panel offers "Password link": the link shows with the person's name,
    ready to copy, and opening it lets them choose a new password and land in the chat signed in. Then
    "Sign out", pressed twice, signs her out everywhere: her page says an administrator did, and offers
    to sign in again; the panel says how many sessions ended and the moderation list tells the act."""
    database = tmp_path / "chat.db"
    make_account(database, "root", admin=True)
    make_account(database, "Ava Chen")
    with ServerProcess(database, "--jwt-secret", JWT_SECRET, guests=False) as server:
        page = pages.open(f"{server.url}/?room=lobby&token={signed_token('root', JWT_SECRET)}")
        expect_online(page)
        page.locator("#admin-open").click()
        people = page.locator("#admin-people > li")
        expect(people.filter(has_text="root").get_by_role("button")).to_have_count(0)
        people.filter(has_text="Ava Chen").get_by_role(
            "button", name="New password link for Ava Chen"
        ).click()
        expect(page.locator("#person-link-box")).to_be_visible()
        expect(page.locator("#person-link-name")).to_have_text("Ava Chen")
        expect(page.locator("#person-link")).to_be_focused()
        expect(page.locator("#admin-note")).to_have_text(
            "Hand the link to Ava Chen: with it they choose a new password."
        )
        link = page.locator("#person-link").input_value()
        assert link.startswith(f"{server.url}/reset?token=")
        ava = pages.open(link)
        ava.locator("#password").fill("a brand new password")
        ava.locator("#password-again").fill("a brand new password")
        ava.locator("#password-again").press("Enter")
        expect_online(ava)
        expect(ava.locator("#me-nick")).to_have_text("Ava Chen")
        sign_out = people.filter(has_text="Ava Chen").get_by_role(
            "button", name="Sign Ava Chen out everywhere"
        )
        sign_out.click()
        expect(sign_out).to_have_text("Really sign Ava Chen out everywhere?")
        sign_out.click()
        expect(page.locator("#admin-note")).to_have_text(
            "Ava Chen is signed out everywhere (1 session ended)."
        )
        expect(ava.locator("#status-text")).to_have_text("Signed out")
        expect(ava.locator("#connection-banner")).to_contain_text(
            "An administrator signed you out everywhere: sign in again."
        )
        expect(ava.get_by_role("link", name="Sign in again")).to_be_visible()
        expect(page.locator("#admin-acts > li").first).to_contain_text(
            "root signed Ava Chen out everywhere (1 session ended)"
        )


def test_an_administrator_deletes_everything_a_troll_wrote_from_the_panel(
    tmp_path: Path,
    pages: Pages,
) -> None:
    """ "Delete messages" asks to be clicked again, then every message of the troll goes from every
    open page at once, and the panel says how many; ann's own message stays."""
    database = tmp_path / "chat.db"
    make_account(database, "root", admin=True)
    make_account(database, "vandal")
    with ServerProcess(database, "--jwt-secret", JWT_SECRET, guests=False) as server:
        ann = pages.open(f"{server.url}/?room=lobby&token={signed_token('ann', JWT_SECRET)}")
        expect_online(ann)
        vandal = pages.open(f"{server.url}/?room=lobby&token={signed_token('vandal', JWT_SECRET)}")
        expect_online(vandal)
        say(vandal, "filth one")
        say(vandal, "filth two")
        say(ann, "please stop")
        expect(ann.locator("#messages .msg .text")).to_have_text(["filth one", "filth two", "please stop"])
        please = vandal.locator("#messages .msg").filter(has_text="please stop")
        please.hover()
        please.get_by_role("button", name="React", exact=True).click()
        vandal.get_by_role("button", name="React with 😂").click()
        chip = ann.locator("#messages .msg").filter(has_text="please stop").locator(".reaction")
        expect(chip).to_have_text("😂1")
        root = pages.open(f"{server.url}/?room=lobby&token={signed_token('root', JWT_SECRET)}")
        expect_online(root)
        root.locator("#admin-open").click()
        wipe = root.get_by_role("button", name="Delete every message of vandal")
        wipe.click()
        expect(wipe).to_have_text("Really delete all of vandal's messages?")
        expect(ann.locator("#messages .msg .text")).to_have_count(3)
        wipe.click()
        expect(root.locator("#admin-note")).to_have_text("2 messages and 1 reaction of vandal deleted.")
        expect(wipe).to_have_text("Delete messages")
        for page in (ann, vandal):
            expect(page.locator("#messages .msg .text").filter(has_text="filth")).to_have_count(0)
            expect(page.locator("#messages .msg .text").filter(has_text="please stop")).to_have_count(1)
            expect(
                page.locator("#messages .msg").filter(has_text="please stop").locator(".reaction")
            ).to_have_count(0)


def test_a_guest_an_administrator_removed_is_told_so_and_until_when(tmp_path: Path, pages: Pages) -> None:
    """Removed while in the room, the guest's page says an administrator removed it, not that someone
    who manages the room did, and offers no other room; opened again, it says until when; a guest from
    elsewhere chats on."""
    with ServerProcess(tmp_path / "chat.db", guests=True) as server:
        admin, _ = set_up(server)
        pest = pages.join(server.url, "porch", "pest")
        with join(server, "porch", "neighbour", source="127.0.0.31") as neighbour:
            body = {"room": "porch", "nick": "pest", "minutes": 30}
            assert admin.call("POST", "/api/admin/guests/removals", body).status == 200
            expect(pest.locator("#room-missing-title")).to_have_text("An administrator removed you")
            expect(pest.locator("#room-missing-help")).to_have_text(
                "An administrator removed you from 'porch'."
            )
            expect(pest.locator("#room-missing-lobby")).to_be_hidden()
            pest.reload()
            expect(pest.locator("#room-missing-help")).to_contain_text(
                re.compile(
                    r"^An administrator removed you: guests from your address may return after .+ UTC\.$"
                )
            )
            expect(pest.locator("#room-missing-lobby")).to_be_hidden()
            say_over_socket = {"type": "message", "message": "quiet now", "ref": "q"}
            neighbour.send(json.dumps(say_over_socket))
            assert next_of(neighbour, "ack", skip=("sys", "typing", "user", "presence"))["ref"] == "q"


def test_the_panel_tells_who_moderated_whom_in_words_a_page_at_a_time(
    tmp_path: Path,
    pages: Pages,
) -> None:
    """A room's owner's deletion and an administrator's deactivation read as sentences, newest first,
    without the deleted words; "More" brings the older acts until there are none."""
    database = tmp_path / "chat.db"
    make_account(database, "root", admin=True)
    pest = make_account(database, "pest")
    with ServerProcess(database, "--jwt-secret", JWT_SECRET, guests=False) as server:
        owner = f"Bearer {signed_token('odile', JWT_SECRET)}"
        assert call_api(server, "POST", "/api/rooms", {"room": "den", "kind": "open"}, owner)[0] == 201
        writer = pages.open(f"{server.url}/?room=den&token={signed_token('pest', JWT_SECRET)}")
        expect_online(writer)
        say(writer, "nasty words")
        odile = pages.open(f"{server.url}/?room=den&token={signed_token('odile', JWT_SECRET)}")
        expect_online(odile)
        nasty = odile.locator("#messages .msg").filter(has_text="nasty words")
        nasty.hover()
        nasty.get_by_role("button", name="Delete", exact=True).click()
        odile.get_by_role("button", name="Delete for everyone").click()
        expect(nasty).to_have_count(0)
        root = pages.open(f"{server.url}/?room=den&token={signed_token('root', JWT_SECRET)}")
        expect_online(root)
        root.locator("#admin-open").click()
        acts = root.locator("#admin-acts > li")
        expect(acts).to_have_text([re.compile(r"^odile deleted a message of pest in #den \S")])
        expect(root.locator("#admin-acts-more")).to_be_hidden()
        deactivate = root.locator("#admin-people > li").filter(has_text="pest").get_by_role("button").first
        deactivate.click()
        deactivate.click()
        expect(root.locator("#admin-note")).to_have_text("pest is deactivated.")
        expect(acts.first).to_contain_text("root deactivated pest")
        expect(acts.nth(1)).to_contain_text("odile deleted a message of pest in #den")
        expect(acts.first.locator("time")).to_have_attribute("datetime", re.compile(r"^\d{4}-"))
        acts.last.scroll_into_view_if_needed()
        shoot(root, tmp_path, "admin-moderation-desktop")
        admin = f"Bearer {signed_token('root', JWT_SECRET)}"
        for _ in range(10):
            for action in ("reactivate", "deactivate"):
                assert call_api(server, "POST", f"/api/admin/accounts/{pest}/{action}", None, admin)[0] == 200
        root.locator("#admin-close").click()
        root.locator("#admin-open").click()
        expect(acts).to_have_count(20)
        expect(acts.first).to_contain_text("root deactivated pest")
        root.get_by_role("button", name="More", exact=True).click()
        expect(acts).to_have_count(22)
        expect(acts.last).to_contain_text("odile deleted a message of pest in #den")
        expect(root.locator("#admin-acts-more")).to_be_hidden()
        assert "nasty" not in root.locator("#admin-dialog").inner_text()
