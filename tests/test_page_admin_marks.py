"""Administrators marked in the page (static/js/admin_marks.js): beside their messages and in the online
list, as the server says now; a look-alike name is not marked."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Page, expect

from chatroom.store.accounts_base import AccountStore
from tests.support import ServerProcess, in_store, make_account, signed_token
from tests.test_page import SCREENSHOT_PHONE, Pages, expect_online, say
from tests.test_page_changes import shoot

JWT_SECRET = "page-marks-secret-" + "0123456789abcdef" * 3


def open_as(pages: Pages, server: ServerProcess, name: str) -> Page:
    page = pages.open(f"{server.url}/?room=lobby&token={signed_token(name, JWT_SECRET)}")
    expect_online(page)
    return page


def test_an_administrator_is_marked_and_a_look_alike_is_not(tmp_path: Path, pages: Pages) -> None:
    """admin's message and online entry carry an "admin" badge (named for screen readers, with a
    tooltip), on a phone too; Administrator's do not; unmade an administrator, admin is no longer marked
    after a reload."""
    database = tmp_path / "chat.db"
    admin = make_account(database, "admin", admin=True)
    make_account(database, "Administrator")
    make_account(database, "viewer")
    with ServerProcess(database, "--jwt-secret", JWT_SECRET, guests=False) as server:
        say(open_as(pages, server, "admin"), "I run this place")
        say(open_as(pages, server, "Administrator"), "no, I do")
        viewer = open_as(pages, server, "viewer")
        real = viewer.locator("#messages .msg").filter(has_text="I run this place")
        fake = viewer.locator("#messages .msg").filter(has_text="no, I do")
        badge = real.get_by_role("img", name="administrator")
        expect(badge).to_be_visible()
        expect(badge).to_have_text("admin")
        expect(badge).to_have_attribute("title", "An administrator of this server")
        expect(fake.get_by_role("img", name="administrator")).to_have_count(0)
        online = {
            name: viewer.locator("#users li").filter(has=viewer.get_by_text(name, exact=True))
            for name in ("admin", "Administrator")
        }
        expect(online["admin"].get_by_role("img", name="administrator")).to_be_visible()
        expect(online["Administrator"]).to_be_visible()
        expect(online["Administrator"].get_by_role("img", name="administrator")).to_have_count(0)
        # No mark, no room kept for one: "(you)" is as far from viewer's name as the name from the picture.
        mine = viewer.locator("#users li").filter(has=viewer.get_by_text("viewer", exact=True))
        picture, name, you = (mine.locator(part).bounding_box() for part in (".avatar", ".nick", ".you"))
        assert picture is not None and name is not None and you is not None
        before, after = name["x"] - picture["x"] - picture["width"], you["x"] - name["x"] - name["width"]
        assert abs(after - before) <= 1, (before, after)
        shoot(viewer, tmp_path, "admin-marks-desktop")
        phone = pages.open(
            f"{server.url}/?room=lobby&token={signed_token('viewer', JWT_SECRET)}", viewport=SCREENSHOT_PHONE
        )
        expect_online(phone)
        on_phone = phone.locator("#messages .msg").filter(has_text="I run this place").get_by_role("img")
        expect(on_phone).to_have_text("admin")
        assert phone.evaluate("document.documentElement.scrollWidth <= innerWidth")
        shoot(phone, tmp_path, "admin-marks-phone")
        phone.close()

        async def unmake(accounts: AccountStore) -> None:
            await accounts.set_admin(admin, False)

        in_store(database, unmake)
        viewer.reload()
        expect_online(viewer)
        expect(real.locator(".meta .nick")).to_have_text("admin")
        expect(viewer.get_by_role("img", name="administrator")).to_have_count(0)


def test_someone_made_an_administrator_in_the_panel_is_marked_at_once_and_their_page_follows(
    tmp_path: Path,
    pages: Pages,
) -> None:
    """root makes bob an administrator in the panel (a second press confirms): cid's open page marks bob
    at once, and bob's page reloads with the Administration panel; taken back, both follow again; the
    moderation list says it in words."""
    database = tmp_path / "chat.db"
    make_account(database, "root", admin=True)
    make_account(database, "bob")
    make_account(database, "cid")
    with ServerProcess(database, "--jwt-secret", JWT_SECRET, guests=False) as server:
        bob = open_as(pages, server, "bob")
        say(bob, "I can help run this")
        cid = open_as(pages, server, "cid")
        badge = (
            cid.locator("#messages .msg")
            .filter(has_text="I can help run this")
            .get_by_role("img", name="administrator")
        )
        expect(badge).to_have_count(0)
        root = open_as(pages, server, "root")
        root.locator("#admin-open").click()
        row = root.locator("#admin-people li").filter(has=root.get_by_text("bob", exact=True))
        make = row.get_by_role("button", name="Make administrator: bob")
        make.click()
        expect(make).to_have_text("Really make bob an administrator?")
        shoot(root, tmp_path, "admin-role-confirm")
        make.click()
        expect(badge).to_be_visible()
        online = cid.locator("#users li").filter(has=cid.get_by_text("bob", exact=True))
        expect(online.get_by_role("img", name="administrator")).to_be_visible()
        expect(bob.locator("#admin-open")).to_be_visible(timeout=10_000)
        expect(root.locator("#admin-acts li").first).to_contain_text("root made bob an administrator")
        shoot(root, tmp_path, "admin-role-made")

        remove = row.get_by_role("button", name="Remove administrator: bob")
        remove.click()
        remove.click()
        expect(badge).to_have_count(0)
        expect(bob.locator("#admin-open")).to_be_hidden(timeout=10_000)
        expect(root.locator("#admin-acts li").first).to_contain_text("root took the administration from bob")
