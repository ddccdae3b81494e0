"""Keyboard shortcuts on the page (static/js/shortcuts.js) in Debian's Chromium.

People sign in with tokens on a real ``python -m chatroom`` without guests; bob
writes in closed rooms of his and ann's, and ann goes through them with the
keys alone.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.support import ServerProcess, call_api
from tests.test_page import JWT_SECRET, Pages, expect_online, say, token_for
from tests.test_page_changes import shoot
from tests.test_page_rooms import open_as
from tests.test_page_unread import badges_of

ROOMS = ("alpha", "beta", "delta", "gamma")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """Accounts only, signed in with tokens."""
    db = tmp_path_factory.mktemp("shortcuts-page") / "chat.db"
    with ServerProcess(db, "--jwt-secret", JWT_SECRET, guests=False) as running:
        yield running


def bob_makes_closed_rooms(server: ServerProcess, rooms: tuple[str, ...], member: str) -> None:
    for room in rooms:
        body = {"room": room, "kind": "closed", "members": [member]}
        status, _ = call_api(server, "POST", "/api/rooms", body, f"Bearer {token_for('bob')}")
        assert status == 201


def bob_says(bob: Page, server: ServerProcess, room: str, text: str) -> None:
    bob.goto(f"{server.url}/?room={room}&token={token_for('bob')}")
    expect_online(bob)
    say(bob, text)


def listed(page: Page) -> list[str]:
    """The rooms of the side list, in its order."""
    return page.locator("#rooms a.room-link").evaluate_all("links => links.map((a) => a.dataset.room)")  # type: ignore[no-any-return]


def press_and_arrive(page: Page, keys: str, room: str, rooms: int) -> None:
    """Press ``keys``; the page of ``room`` opens, and its list shows the ``rooms`` (a person presses the
    next key once the list is there to see)."""
    page.keyboard.press(keys)
    page.wait_for_url(f"**/?room={room}")
    expect_online(page)
    expect(page.locator("#rooms a.room-link")).to_have_count(rooms)
    expect(page.locator("#rooms a[aria-current=page]")).to_have_attribute("data-room", room)


def said(page: Page) -> object:
    return page.locator("#announcer > p").last


def test_alt_arrows_go_through_the_rooms_and_the_unread_ones(server: ServerProcess, pages: Pages) -> None:
    """Alt+↓ and Alt+↑ open the next and the previous room of the list, and say so at its ends;
    Alt+Shift+↓ the next one with something unread, round the list, and says when there is none."""
    bob = open_as(pages, server, "bob")
    ann = open_as(pages, server, "ann", room="lobby")
    bob_makes_closed_rooms(server, ROOMS, "ann")
    for room in ROOMS:  # each comes to her list as a frame: read the order once all are there
        expect(ann.locator(f'#rooms a[data-room="{room}"]')).to_have_count(1)
    order = listed(ann)
    assert [room for room in order if room in ROOMS] == list(ROOMS)
    bob_says(bob, server, "delta", "in delta")
    bob_says(bob, server, "beta", "in beta")
    expect(badges_of(ann, "beta")).to_have_text(["1"])
    expect(badges_of(ann, "delta")).to_have_text(["1"])

    # From the lobby, round the list to the first unread room after it, then the next.
    first, second = sorted(
        ("beta", "delta"), key=lambda room: (order.index(room) - order.index("lobby")) % len(order)
    )
    press_and_arrive(ann, "Alt+Shift+ArrowDown", first, len(order))
    expect(ann.locator("#messages .msg .text")).to_have_text([f"in {first}"])
    expect(badges_of(ann, first)).to_have_count(0)  # read, as it shows
    expect(badges_of(ann, second)).to_have_text(["1"])
    press_and_arrive(ann, "Alt+Shift+ArrowDown", second, len(order))
    expect(ann.locator("#messages .msg .text")).to_have_text([f"in {second}"])
    expect(badges_of(ann, second)).to_have_count(0)
    ann.keyboard.press("Alt+Shift+ArrowUp")
    expect(said(ann)).to_have_text("No other room has anything unread.")

    at = listed(ann).index(second)
    ann.locator("#messages .msg").last.focus()  # from a message too, as from the box
    press_and_arrive(ann, "Alt+ArrowUp", order[at - 1], len(order))
    press_and_arrive(ann, "Alt+ArrowDown", second, len(order))
    ann.goto(f"{server.url}/?room={order[0]}&token={token_for('ann')}")
    expect_online(ann)
    expect(ann.locator("#rooms a.room-link")).to_have_count(len(order))
    ann.keyboard.press("Alt+ArrowUp")
    expect(said(ann)).to_have_text("This is the first room of the list.")
    assert f"room={order[0]}" in ann.url


def test_shift_escape_marks_every_room_read_once_asked(server: ServerProcess, pages: Pages) -> None:
    """Shift+Esc asks carl "Mark every room read?" with how many have something unread; Cancel leaves them;
    Enter on "Mark all read" reads them all, on his other device too; with nothing unread it says so,
    and a mark that fails is said."""
    bob = open_as(pages, server, "bob")
    carl = open_as(pages, server, "carl", room="lobby")
    bob_makes_closed_rooms(server, ("north", "south"), "carl")
    other = pages.open(f"{server.url}/?room=lobby&token={token_for('carl')}")
    expect_online(other)
    bob_says(bob, server, "north", "@carl north wind")
    bob_says(bob, server, "south", "south wind")
    expect(badges_of(carl, "north")).to_have_text(["@1", "1"])
    expect(badges_of(carl, "south")).to_have_text(["1"])

    carl.keyboard.press("Shift+Escape")
    question = carl.get_by_role("dialog", name="Mark every room read?")
    expect(question).to_be_visible()
    expect(question).to_contain_text("2 rooms have something unread.")
    expect(question.get_by_role("button", name="Mark all read")).to_be_focused()
    question.get_by_role("button", name="Cancel").click()
    expect(question).to_be_hidden()
    expect(badges_of(carl, "south")).to_have_text(["1"])

    carl.keyboard.press("Shift+Escape")
    carl.keyboard.press("Enter")
    expect(said(carl)).to_have_text("Every room is marked read.")
    expect(question).to_be_hidden()
    for page in (carl, other):
        for room in ("north", "south"):
            expect(badges_of(page, room)).to_have_count(0)
    carl.reload()
    expect_online(carl)
    expect(carl.locator("#rooms .badge")).to_have_count(0)
    carl.keyboard.press("Shift+Escape")
    expect(said(carl)).to_have_text("No room has anything unread.")
    expect(question).to_be_hidden()

    # A mark that does not reach the server is said, and the room stays unread.
    bob_says(bob, server, "south", "still windy")
    expect(badges_of(carl, "south")).to_have_text(["1"])
    carl.route("**/api/me/read", lambda route: route.abort())
    carl.keyboard.press("Shift+Escape")
    carl.keyboard.press("Enter")
    expect(said(carl)).to_have_text("The rooms could not be marked read: try again.")
    expect(badges_of(carl, "south")).to_have_text(["1"])


def test_ctrl_slash_lists_every_shortcut(server: ServerProcess, pages: Pages, tmp_path: Path) -> None:
    """Ctrl+/ opens "Keyboard shortcuts", Escape or Ctrl+/ again closes it; not over another dialog."""
    dee = open_as(pages, server, "dee")
    dee.keyboard.press("Control+Slash")
    shortcuts = dee.get_by_role("dialog", name="Keyboard shortcuts")
    expect(shortcuts).to_be_visible()
    expect(shortcuts.locator("dt").first).to_have_text("Ctrl+K")
    expect(shortcuts).to_contain_text("Mark every room read")
    expect(shortcuts).to_contain_text("The room before or after this one with something unread")
    shoot(dee, tmp_path, "shortcuts")
    dee.keyboard.press("Control+Slash")
    expect(shortcuts).to_be_hidden()
    dee.keyboard.press("Control+Slash")
    expect(shortcuts).to_be_visible()
    dee.keyboard.press("Escape")
    expect(shortcuts).to_be_hidden()
    dee.keyboard.press("Control+k")
    expect(dee.get_by_role("dialog", name="Jump to a room")).to_be_visible()
    dee.keyboard.press("Control+Slash")
    expect(shortcuts).to_be_hidden()


# A Mac, as far as the page can tell.
ON_A_MAC = 'Object.defineProperty(navigator, "platform", {get: () => "MacIntel"});'


def test_on_a_mac_the_keys_are_command_and_option(server: ServerProcess, pages: Pages) -> None:
    """On a Mac the list says ⌘ and ⌥, ⌘/ opens it (Ctrl+/ does not) and ⌘K the switcher."""
    eve = pages.open(
        f"{server.url}/?room=lobby&token={token_for('eve')}",
        before=lambda page: page.add_init_script(ON_A_MAC),
    )
    expect_online(eve)
    shortcuts = eve.get_by_role("dialog", name="Keyboard shortcuts")
    eve.keyboard.press("Control+Slash")  # had it opened the list, ⌘/ would close it
    eve.keyboard.press("Meta+Slash")
    expect(shortcuts).to_be_visible()
    expect(shortcuts.locator("dt").first).to_have_text("⌘K")
    expect(shortcuts).to_contain_text("⌥⇧↑")
    eve.keyboard.press("Escape")
    eve.keyboard.press("Meta+k")
    expect(eve.get_by_role("dialog", name="Jump to a room")).to_be_visible()
    expect(eve.locator("#switcher-shortcut")).to_have_text("⌘K")
