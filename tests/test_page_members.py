"""A big room's member list in Chromium: in Room settings (static/js/room_settings.js) a page, a count,
"More", "Find a member", and the owner's actions on members of any page; in the administration panel
(static/js/admin_rooms.js) a closed room's members a page at a time."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Locator, Page, expect

from chatroom.store.accounts_base import AccountStore
from chatroom.store.records import CLOSED, PERSON
from tests.support import ServerProcess, call_api, in_store, make_account, signed_token
from tests.test_page import JWT_SECRET, Pages, expect_online, token_for
from tests.test_page_changes import open_as, open_room, shoot


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """Accounts only, signed in with tokens."""
    db = tmp_path_factory.mktemp("members-page") / "chat.db"
    with ServerProcess(db, "--jwt-secret", JWT_SECRET, guests=False) as running:
        yield running


def crowded_room(server: ServerProcess, room: str, owner: str, count: int) -> list[str]:
    """An open room of ``owner`` and ``count`` others (each account made by its first call): the names of
    its members in the order the server lists them."""
    open_room(server, room, owner=owner)
    by_owner = f"Bearer {token_for(owner)}"
    for number in range(count):
        name = f"{room}-{number:03}"
        assert call_api(server, "GET", "/api/me", authorization=f"Bearer {token_for(name)}")[0] == 200
        status, _ = call_api(server, "POST", f"/api/rooms/{room}/members", {"name": name}, by_owner)
        assert status == 201
    status, body = call_api(server, "GET", f"/api/rooms/{room}/members?limit=500", authorization=by_owner)
    assert status == 200 and body["next"] is None
    return [member["name"] for member in body["members"]]


def settings_of(page: Page) -> Locator:
    """Room settings, opened, once its member list is shown."""
    page.get_by_role("button", name="Room settings").click()
    settings = page.get_by_role("dialog", name="Room settings")
    expect(settings.locator("#settings-member-count")).not_to_have_text("")
    return settings


def test_a_room_of_more_than_a_page_shows_a_hundred_a_count_and_more(
    server: ServerProcess, pages: Pages, tmp_path: Path
) -> None:
    """The room "ada-hall" has 130 members: its owner zed, listed last, sees the first 100 with "Remove"
    beside them and "130 members"; "More" shows the rest and goes; he removes one shown by it, and the
    list still shows both pages."""
    everyone = crowded_room(server, "ada-hall", "zed", 129)
    assert len(everyone) == 130 and everyone[-1] == "zed"
    zed = open_as(pages, server, "zed", "ada-hall")
    settings = settings_of(zed)
    names = settings.locator("#settings-members .nick")
    expect(settings.locator("#settings-member-count")).to_have_text("130 members")
    expect(names).to_have_text(everyone[:100])
    expect(settings.get_by_role("button", name=f"Remove {everyone[0]}")).to_be_visible()
    shoot(zed, tmp_path, "members-first-page")
    settings.get_by_role("button", name="More").click()
    expect(names).to_have_text(everyone)
    expect(settings.get_by_role("button", name="More")).to_be_hidden()
    settings.get_by_role("button", name=f"Remove {everyone[120]}").click()
    expect(settings.locator("#settings-member-count")).to_have_text("129 members")
    expect(names).to_have_text([name for name in everyone if name != everyone[120]])  # both pages kept
    expect(settings.locator("#settings-error")).to_have_text("")


def test_adding_or_removing_a_member_keeps_the_pages_shown_the_filter_and_the_place(
    server: ServerProcess, pages: Pages, tmp_path: Path
) -> None:
    """In "kit-yard" of 110 members, its owner kay reads both pages and scrolls down to the last ones:
    removing one keeps 109 shown and the dialog where it was; with "Find a member" at ``kit-yard-10``,
    adding ``kit-yard-10x`` lists the nine whose names start so, the filter kept, and removing one keeps
    it too."""
    everyone = crowded_room(server, "kit-yard", "kay", 109)
    assert call_api(server, "GET", "/api/me", authorization=f"Bearer {token_for('kit-yard-10x')}")[0] == 200
    kay = open_as(pages, server, "kay", "kit-yard")
    settings = settings_of(kay)
    names = settings.locator("#settings-members .nick")
    settings.get_by_role("button", name="More").click()
    expect(names).to_have_text(everyone)
    gone = everyone[105]
    settings.get_by_role("button", name=f"Remove {gone}").scroll_into_view_if_needed()
    scrolled = settings.evaluate("dialog => dialog.scrollTop")
    assert scrolled > 0
    settings.get_by_role("button", name=f"Remove {gone}").click()
    expect(settings.locator("#settings-member-count")).to_have_text("109 members")
    left = [name for name in everyone if name != gone]
    expect(names).to_have_text(left)
    assert abs(settings.evaluate("dialog => dialog.scrollTop") - scrolled) <= 2
    shoot(kay, tmp_path, "members-kept-after-removing")

    settings.get_by_label("Find a member").fill("kit-yard-10")
    found = [name for name in left if name.startswith("kit-yard-10")]
    expect(names).to_have_text(found)
    settings.get_by_label("Add a member").fill("kit-yard-10x")
    settings.get_by_role("button", name="Add", exact=True).click()
    expect(settings.locator("#settings-member-count")).to_have_text("110 members")
    expect(names).to_have_text([*found, "kit-yard-10x"])
    expect(settings.get_by_label("Find a member")).to_have_value("kit-yard-10")
    settings.get_by_role("button", name=f"Remove {found[0]}").click()
    expect(names).to_have_text([*found[1:], "kit-yard-10x"])
    expect(settings.get_by_label("Find a member")).to_have_value("kit-yard-10")
    expect(settings.locator("#settings-error")).to_have_text("")
    shoot(kay, tmp_path, "members-kept-filter")


def test_find_a_member_asks_the_server_and_says_when_nobody_is_found(
    server: ServerProcess, pages: Pages
) -> None:
    """In "ivy-den" of 120 members, "Find a member" with ``ivy-den-11`` lists the nine whose names start
    so (past the first page), look-alikes folded (``IVY-DEN-Ll``: letters L for the ones); ``nobody``
    finds nobody and says so; emptied, the first page is back."""
    everyone = crowded_room(server, "ivy-den", "ivy", 119)
    eve = open_as(pages, server, "ivy-den-005", "ivy-den")
    settings = settings_of(eve)
    names = settings.locator("#settings-members .nick")
    expect(names).to_have_count(100)
    found = [name for name in everyone if name.startswith("ivy-den-11")]
    assert len(found) == 9
    for typed in ("ivy-den-11", "IVY-DEN-Ll"):
        settings.get_by_label("Find a member").fill(typed)
        expect(names).to_have_text(found)
    expect(settings.get_by_role("button", name="More")).to_be_hidden()
    expect(settings.get_by_role("button", name="Remove ivy-den-110")).to_have_count(0)  # eve manages nothing
    settings.get_by_label("Find a member").fill("nobody")
    expect(names).to_have_count(0)
    expect(settings.locator("#settings-members-none")).to_have_text("No member's name starts with “nobody”.")
    settings.get_by_label("Find a member").fill("")
    expect(names).to_have_text(everyone[:100])
    expect(settings.locator("#settings-members-none")).to_have_text("")
    expect(settings.get_by_role("button", name="Leave room")).to_be_visible()


def test_the_administration_panel_lists_a_big_closed_rooms_members_a_page_at_a_time(
    tmp_path: Path, pages: Pages
) -> None:
    """A closed room of 120 shows its first 100 members under "Members", "More members" the other 20;
    taking out one of those shown by it works and says so."""
    database = tmp_path / "chat.db"
    make_account(database, "root", admin=True)

    async def crowd(accounts: AccountStore) -> list[str]:
        ids = [(await accounts.create_account(f"club-{n:03}", PERSON)).id for n in range(120)]
        await accounts.create_room("club", CLOSED, creator_id=ids[0], members=ids[1:])
        return [account.name for account, _ in await accounts.members_page("club", limit=500)]

    everyone = in_store(database, crowd)
    with ServerProcess(database, "--jwt-secret", JWT_SECRET, guests=False) as server:
        page = pages.open(f"{server.url}/?room=lobby&token={signed_token('root', JWT_SECRET)}")
        expect_online(page)
        page.locator("#admin-open").click()
        room = page.locator("#admin-rooms > li").first
        expect(room).to_contain_text("#club (120 members)")
        room.get_by_role("button", name="Members").click()
        names = room.locator(".admin-members .nick")
        expect(names).to_have_text(everyone[:100])
        room.get_by_role("button", name="More members").click()
        expect(names).to_have_text(everyone)
        expect(room.get_by_role("button", name="More members")).to_have_count(0)
        room.locator(".admin-members li").filter(has_text=everyone[110]).get_by_role("button").click()
        expect(page.locator("#admin-note")).to_have_text("Taken out of #club.")
        expect(room).to_contain_text("#club (119 members)")
