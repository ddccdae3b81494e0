"""The page's direct rooms in Chromium: the header says whether the other person is online anywhere."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.page_browser import DESKTOP
from tests.screens import screenshot
from tests.support import ServerProcess
from tests.test_page import JWT_SECRET, SCREENSHOT_PHONE, Pages
from tests.test_page_offline import direct_room, open_as


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """Accounts only, signed in with tokens."""
    db = tmp_path_factory.mktemp("direct-page") / "chat.db"
    with ServerProcess(db, "--jwt-secret", JWT_SECRET, guests=False) as running:
        yield running


def test_the_other_person_online_in_another_room_shows_online(server: ServerProcess, pages: Pages) -> None:
    """Erin's conversation with frank says "online" while frank has only another room open, "away" after."""
    room = direct_room(server, "erin", "frank")
    erin = open_as(pages, server, "erin", room)
    presence = erin.locator("#direct-presence")
    expect(presence).to_have_text("away")
    expect(presence).to_have_attribute("title", "frank is away: no page open anywhere")

    frank = open_as(pages, server, "frank", "lobby")
    expect(presence).to_have_text("active")
    expect(presence).to_have_attribute("data-presence", "online")
    expect(presence).to_have_attribute("title", "frank is online")
    expect(erin.locator("#users li")).to_have_count(1)  # frank is not in the conversation itself

    frank.context.close()
    expect(presence).to_have_text("away")
    expect(erin.locator(f"#rooms .room-link[data-room='{room}'] .presence-dot")).to_have_attribute(
        "data-presence", "away"
    )


def test_screenshots(server: ServerProcess, pages: Pages, tmp_path: Path) -> None:
    """A direct conversation whose other person is online elsewhere, desktop and phone, light and dark."""
    out = Path(os.environ.get("CHATROOM_SCREENSHOT_DIR", tmp_path))
    out.mkdir(parents=True, exist_ok=True)
    room = direct_room(server, "gwen", "hal")
    open_as(pages, server, "hal", "lobby")
    for scheme in ("light", "dark"):
        for form, viewport in (("desktop", DESKTOP), ("phone", SCREENSHOT_PHONE)):
            gwen = open_as(pages, server, "gwen", room, viewport=viewport, color_scheme=scheme)
            expect(gwen.locator("#direct-presence")).to_have_text("active")
            screenshot(gwen, out / f"screenshot-direct-{form}-{scheme}.png")
            gwen.context.close()
