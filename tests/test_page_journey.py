"""A group's whole first day in Chromium, through the pages only, on SQLite and on PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests import test_page
from tests.pg_server import PostgresServer
from tests.support import ServerProcess
from tests.test_account_pages import fill_account_form, sign_in
from tests.test_page import Pages, expect_online, say
from tests.test_page_rooms import SECRET, create_closed_room, pick
from tests.web_client import setup_link

# The page tests' fixtures: one Chromium for the module, pages checked for script errors.
browser = test_page.browser
pages = test_page.pages

ROOM = "hideout"


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A new SQLite file, or a new schema on the tests' PostgreSQL."""
    if request.param == "sqlite":
        yield str(tmp_path / "chat.db")
    else:
        postgres: PostgresServer = request.getfixturevalue("postgres_server")
        yield postgres.new_schema()


def sign_up(pages: Pages, link: str, name: str) -> Page:
    """A person opens the join link in a browser of their own and signs up: the chat page."""
    page = pages.open(link)
    fill_account_form(page, name)
    expect_online(page)
    expect(page.locator("#me-nick")).to_have_text(name)
    return page


def set_up_as(pages: Pages, server: ServerProcess, name: str) -> tuple[Page, str]:
    """The administrator opens the setup link from the server's log: her chat page and the join link."""
    setup_url, _ = setup_link(server)
    page = pages.open(setup_url)
    fill_account_form(page, name)
    expect(page.locator("#done-step")).to_be_visible()
    join_link = page.locator("#join-link").input_value()
    page.get_by_role("link", name="Open the chat").click()
    expect_online(page)
    return page, join_link


def answers_without(page: Page, paths: list[str], secrets: list[str]) -> list[int]:
    """GET each path with the page's own session cookie; no answer holds a byte of ``secrets``."""
    statuses = []
    for path in paths:
        answer = page.request.get(path, fail_on_status_code=False)
        body = answer.body()
        for secret in secrets:
            assert secret.encode() not in body, (path, answer.status, body)
        statuses.append(answer.status)
    return statuses


def test_setup_join_closed_room_direct_message_and_deactivation(
    database: str,
    pages: Pages,
) -> None:
    """Setup, the join link, two newcomers, a closed room the third cannot open nor read,
    a direct message, and a deactivation that disconnects the person at once, for good."""
    with ServerProcess(database, guests=False) as server:
        ann, join_link = set_up_as(pages, server, "Ann")
        bob = sign_up(pages, join_link, "Bob")
        cat = sign_up(pages, join_link, "Cat")

        create_closed_room(ann, ROOM, "Bob")
        say(ann, SECRET)
        closed = bob.locator("#rooms .room-group[data-kind=closed] .room-link bdi")
        expect(closed).to_have_text([f"#{ROOM}"])
        closed.click()
        expect_online(bob)
        expect(bob.locator("#messages .msg .text")).to_have_text([SECRET])

        expect(cat.locator("#rooms .room-link bdi")).to_have_text(["#lobby"])
        cat.goto(f"{server.url}/?room={ROOM}")
        expect(cat.locator("#room-error")).to_contain_text("does not exist, or you may not see it")
        expect(cat.locator("#messages .msg")).to_have_count(0)
        paths = ["/api/rooms", f"/api/rooms/{ROOM}/messages", f"/api/rooms/{ROOM}/members"]
        assert answers_without(cat, [server.url + p for p in paths], [ROOM, SECRET]) == [200, 404, 404]

        bob.get_by_role("button", name="+ New message").click()
        pick(bob, "#direct-people", "An", "Ann")
        bob.get_by_role("dialog", name="New direct message").get_by_role("button", name="Start").click()
        bob.wait_for_url("**/?room=dm-*")
        expect_online(bob)
        expect(bob.locator("#room-title")).to_have_text("Ann")
        say(bob, "just between us")
        direct = ann.locator("#rooms .room-group[data-kind=direct] .room-link bdi")
        expect(direct).to_have_text(["Bob"])
        direct.click()
        expect_online(ann)
        expect(ann.locator("#messages .msg .text")).to_have_text(["just between us"])
        say(ann, "got it")
        expect(bob.locator("#messages .msg .text")).to_have_text(["just between us", "got it"])
        dm_path = f"/api/rooms/{bob.url.split('room=')[1]}/messages"
        assert answers_without(cat, [server.url + dm_path], ["between us", "got it"]) == [404]

        sockets: list[str] = []
        bob.on("websocket", lambda socket: sockets.append(socket.url))
        ann.locator("#admin-open").click()
        row = ann.locator("#admin-people li", has_text="Bob")
        row.get_by_role("button", name="Deactivate").click()
        row.get_by_role("button", name="Really deactivate Bob?").click()
        expect(ann.locator("#admin-note")).to_have_text("Bob is deactivated.")
        expect(bob.locator("#connection-detail")).to_contain_text("Your account has been deactivated")
        expect(bob.locator("#status-text")).to_have_text("Signed out")
        expect(bob.locator("#retry")).to_be_hidden()
        bob.wait_for_timeout(3000)  # longer than the first reconnection delay
        assert sockets == [] and bob.url.endswith(dm_path.split("/")[3])
        assert bob.request.get(f"{server.url}/api/me", fail_on_status_code=False).status == 401
        bob.get_by_role("link", name="Sign in again").click()
        sign_in(bob, "Bob")
        expect(bob.locator("#form-error")).to_contain_text("deactivated")

        cat.goto(f"{server.url}/?room=lobby")  # the others are unaffected
        expect_online(cat)
        say(cat, "still here")
        expect(ann.locator("#status-text")).to_have_text("Online")
