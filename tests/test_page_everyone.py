"""A room everyone is in, on the page (static/js/room_settings.js) in Chromium.

An administrator who teaches makes #announcements a room everyone is in in
Room settings; a student who never opened it sees its new post counted in his
rooms list at once, and his settings offer him leaving it, not the choice.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import expect

from tests.support import ServerProcess, make_account, make_open_room
from tests.test_page import JWT_SECRET, Pages, say
from tests.test_page_rooms import open_as
from tests.test_page_unread import badges_of

CHOICE = "Everyone is in this room (new people join it too)"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """Accounts only, signed in with tokens."""
    db = tmp_path_factory.mktemp("everyone-page") / "chat.db"
    with ServerProcess(db, "--jwt-secret", JWT_SECRET, guests=False) as running:
        yield running


def test_an_administrator_puts_everyone_in_and_a_student_counts_its_posts(
    server: ServerProcess, pages: Pages
) -> None:
    """tess (an administrator) checks the choice: sam, in the lobby and never in #announcements, counts
    her post there; his own settings of it offer leaving, and not the choice."""
    make_account(server.db, "tess", admin=True)
    make_account(server.db, "sam")
    make_open_room(server.db, "announcements")
    sam = open_as(pages, server, "sam")
    tess = open_as(pages, server, "tess", room="announcements")

    tess.get_by_role("button", name="Room settings").click()
    settings = tess.get_by_role("dialog", name="Room settings")
    expect(settings.get_by_label(CHOICE)).not_to_be_checked()
    settings.get_by_label(CHOICE).check()
    expect(settings.locator("#settings-kind")).to_contain_text("Everyone is in it")
    expect(settings.locator("#settings-members .nick")).to_contain_text(["sam"])
    settings.get_by_role("button", name="Close").click()
    say(tess, "Exam on Monday")
    expect(badges_of(sam, "announcements")).to_have_text(["1"])

    sam.locator('#rooms .room-link[data-room="announcements"]').click()
    sam.wait_for_url("**/?room=announcements")
    sam.get_by_role("button", name="Room settings").click()
    mine = sam.get_by_role("dialog", name="Room settings")
    expect(mine.get_by_role("button", name="Leave room")).to_be_visible()
    expect(mine.get_by_label(CHOICE)).to_be_hidden()

    # The room's owner who is no administrator is not offered it either.
    ann = open_as(pages, server, "ann", room="lobby")
    ann.get_by_role("button", name="+ New room").click()
    dialog = ann.get_by_role("dialog", name="New room")
    dialog.get_by_label("Name").fill("club")
    dialog.get_by_role("button", name="Create room").click()
    ann.wait_for_url("**/?room=club")
    ann.get_by_role("button", name="Room settings").click()
    own = ann.get_by_role("dialog", name="Room settings")
    expect(own.get_by_role("button", name="Archive")).to_be_visible()
    expect(own.get_by_label(CHOICE)).to_be_hidden()
