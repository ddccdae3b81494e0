"""A group's whole first day in Chromium, through the pages only, on SQLite and on PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.pg_server import PostgresServer
from tests.screens import screenshot
from tests.support import ServerProcess
from tests.test_account_pages import fill_account_form, shots, sign_in
from tests.test_page import SCREENSHOT_PHONE, Pages, expect_online, say
from tests.test_page_rooms import NOT_A_MEMBER, SECRET, create_closed_room, pick
from tests.web_client import WebClient, join, set_up, setup_link

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
    database: str, pages: Pages, tmp_path: Path
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
        expect(cat.locator("#room-missing")).to_contain_text(NOT_A_MEMBER)
        expect(cat.locator("#me-nick")).to_have_text("Cat")
        expect(cat.get_by_role("button", name="+ New room")).to_be_visible()
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
        store = "postgresql" if database.startswith("postgresql:") else "sqlite"
        screenshot(bob, shots(tmp_path) / f"screenshot-deactivated-{store}.png")
        bob.wait_for_timeout(3000)  # longer than the first reconnection delay
        assert sockets == [] and bob.url.endswith(dm_path.split("/")[3])
        assert bob.request.get(f"{server.url}/api/me", fail_on_status_code=False).status == 401
        bob.get_by_role("link", name="Sign in again").click()
        sign_in(bob, "Bob")
        expect(bob.locator("#form-error")).to_contain_text("deactivated")

        cat.goto(f"{server.url}/?room=lobby")  # the others are unaffected
        expect_online(cat)
        say(cat, "still here")
        expect(ann.locator("#status-text")).to_have_text("Connected")


# --- screenshots for the README: what a group gets -------------------------------

CONVERSATION = [
    ("Maya", "Morning all! The release candidate is up on staging."),
    ("Tomás", "Nice. I'll run the smoke tests after standup ☕"),
    ("Tomás", "Anything you want me to look at first?"),
    ("李雷", "登录页面在手机上有点慢，我来看看。"),
    ("Maya", "Login on phones first, then the export. Notes: https://example.com/rc-3"),
    ("Alexandria Montgomery-Okafor", "I can take the export — it timed out once yesterday on a 2 GB room."),
    ("Maya", "Thanks! 🙏"),
]
PEOPLE = ["Tomás", "李雷", "Alexandria Montgomery-Okafor", "Priya"]


def signed_in(pages: Pages, client: WebClient, url: str, **options: Any) -> Page:
    """A browser of its own that carries ``client``'s session cookie, at ``url``."""
    cookies = [
        {"name": c.name, "value": c.value or "", "domain": "127.0.0.1", "path": "/"} for c in client.jar
    ]
    page = pages.open(url, storage_state={"cookies": cookies, "origins": []}, **options)
    expect_online(page)
    return page


def test_screenshots_of_an_accounts_chat_page(tmp_path: Path, pages: Pages) -> None:
    """Open, closed and direct rooms, messages grouped by author, the account chip: desktop and phone,
    light and dark, and the phone's drawer, without sideways scrolling (PNGs; the README shows two)."""
    out = shots(tmp_path)
    with ServerProcess(tmp_path / "chat.db", guests=False) as server:
        maya, join_link = set_up(server, "Maya")
        people = {"Maya": maya} | {name: join(server, join_link, name) for name in PEOPLE}
        for room, kind, title, members in (
            ("launch", "open", "Launch week", []),
            ("design", "open", None, []),
            ("leads", "closed", "Team leads", ["Tomás", "Priya"]),
            ("incident-review", "closed", "Incident review: the export that timed out twice", ["李雷"]),
        ):
            body = {"room": room, "kind": kind, "members": members} | ({"title": title} if title else {})
            assert maya.call("POST", "/api/rooms", body).status == 201
        topic = {"topic": "Release 3.0 ships Friday: smoke tests, phones, export"}
        assert maya.call("PATCH", "/api/rooms/launch", topic).status == 200
        for members in (["Tomás"], ["Priya", "Alexandria Montgomery-Okafor"]):
            assert maya.call("POST", "/api/direct", {"members": members}).status in (200, 201)
        authors = {name: signed_in(pages, people[name], f"{server.url}/?room=launch") for name in PEOPLE[:3]}
        desktop = signed_in(pages, maya, f"{server.url}/?room=launch")
        authors["Maya"] = desktop
        for name, text in CONVERSATION:
            say(authors[name], text)
        notes = desktop.locator("#messages .msg", has_text="Notes:").last
        notes.hover()
        desktop.get_by_role("button", name="Pin to this room", exact=True).click()
        desktop.mouse.move(1, 1)  # the message's actions go with the pointer, out of the picture
        phone = signed_in(
            pages,
            people["Tomás"],
            f"{server.url}/?room=launch",
            viewport=SCREENSHOT_PHONE,
            color_scheme="dark",
        )
        for page in (desktop, phone):
            expect(page.locator("#messages .msg .text")).to_have_count(len(CONVERSATION))
            expect(page.locator("#rooms .room-group[data-kind=direct] .room-link")).not_to_have_count(0)
            expect(page.locator("#room-topic")).to_have_text(topic["topic"])
            expect(page.locator("#pins-count")).to_have_text("1")
            assert page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"]  # type: ignore[index]
        # The empty message box's hint stays on its one line on the phone (a long room name is cut).
        assert phone.locator("#text").evaluate("t => t.scrollHeight <= t.clientHeight")
        chip = phone.locator("#me-avatar").evaluate("a => a.style.backgroundColor")  # Tomás's own
        tomas = desktop.locator("#messages .msg", has_text="smoke tests").locator(".avatar")
        expect(tomas).to_have_css("background-color", chip)  # the account's colour, on every page
        screenshot(desktop, out / "screenshot-desktop.png")
        screenshot(phone, out / "screenshot-phone.png")
        for page, scheme, name in ((desktop, "dark", "desktop-dark"), (phone, "light", "phone-light")):
            page.emulate_media(color_scheme=scheme)
            screenshot(page, out / f"screenshot-{name}.png")
        phone.emulate_media(color_scheme="dark")
        phone.locator("#drawer-toggle").click()
        expect(phone.locator("#rooms")).to_be_in_viewport()
        phone.wait_for_function(
            "() => getComputedStyle(document.querySelector('#sidebar')).transform === 'none'"
        )
        phone.wait_for_timeout(250)  # the slide's last frame
        screenshot(phone, out / "screenshot-phone-drawer.png")
        phone.emulate_media(color_scheme="light")
        screenshot(phone, out / "screenshot-phone-drawer-light.png")
