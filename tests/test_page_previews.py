"""Link previews on the page (static/js/link_previews.js) in Chromium.

Two people signed in with tokens on a real ``python -m chatroom`` that may
read a local site (tests/preview_site.py, --preview-allow-private): the card
appears for both, a later one does not move what a reader reads further up,
the author removes it; screenshots on a desktop and a phone, light and dark.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests import test_page_changes
from tests.clients import ANY_TYPE, next_of, open_ws
from tests.preview_site import Site, site
from tests.support import ServerProcess
from tests.test_page import JWT_SECRET, SCREENSHOT_PHONE, Pages, say, token_for

__all__ = ["site"]

fillers = test_page_changes.fillers
message = test_page_changes.message
open_as = test_page_changes.open_as
open_room = test_page_changes.open_room
shoot = test_page_changes.shoot


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """Accounts only, signed in with tokens, reading the local site."""
    db = tmp_path_factory.mktemp("previews-page") / "chat.db"
    flags = ("--jwt-secret", JWT_SECRET, "--rate", "1000", "--burst", "1000", "--preview-allow-private")
    with ServerProcess(db, *flags, guests=False) as running:
        yield running


def first_in_view_top(page: Page) -> tuple[str, float]:
    """The first message in view in the scroller, and how far below the scroller's top it stands."""
    return tuple(  # type: ignore[return-value]
        page.evaluate(
            """() => {
              const scroller = document.getElementById("scroller");
              const top = scroller.getBoundingClientRect().top;
              const item = [...document.querySelectorAll("#messages > li")]
                .find((li) => li.getBoundingClientRect().bottom > top + 1);
              return [item.dataset.id, item.getBoundingClientRect().top - top];
            }"""
        )
    )


def test_the_card_shows_for_both_keeps_a_reader_still_and_its_author_removes_it(
    server: ServerProcess, pages: Pages, site: Site, tmp_path: Path
) -> None:
    """ann links the page: both pages show its card (site, title opening in a new tab, description, the
    picture from the chat server); only ann's has the ×. bob, reading back, does not move when an edit
    gives an older message a card. ann removes the card from the keyboard: it goes from both pages. The
    site is asked for its picture once, by the server."""
    open_room(server, "links")
    ann = open_as(pages, server, "ann", "links")
    bob = open_as(pages, server, "bob", "links", viewport=SCREENSHOT_PHONE, color_scheme="dark")
    say(ann, f"the plan is here: {site.url('/page')}")
    for page in (ann, bob):
        card = message(page, "the plan is here").locator(".link-preview")
        expect(card.locator(".link-preview-site")).to_have_text("Example Site")
        title = card.locator(".link-preview-title")
        expect(title).to_have_text("The Example & its été")
        assert title.get_attribute("href") == site.url("/page") and title.get_attribute("target") == "_blank"
        assert title.get_attribute("rel") == "noopener noreferrer"
        expect(card.locator(".link-preview-description")).to_contain_text("describes itself")
        picture = card.locator("img")
        # Read with the token from this server (a page with a session cookie names /previews/... itself);
        # the page sets it once the read is done.
        expect(picture).to_have_attribute("src", re.compile(f"^blob:{re.escape(server.url)}/"))
        page.wait_for_function(
            "img => img.complete && img.naturalWidth === 480", arg=picture.element_handle()
        )
    remove = ann.get_by_role("button", name="Remove the link preview")
    expect(remove).to_be_visible()
    expect(bob.get_by_role("button", name="Remove the link preview")).to_have_count(0)
    say(ann, site.url("/photo.png"))
    expect(bob.locator(".link-preview.picture-only img")).to_be_visible()
    shoot(ann, tmp_path, "previews-desktop")
    shoot(bob, tmp_path, "previews-phone")

    old = message(ann, "the plan is here").get_attribute("data-id")
    say(ann, "an old note")
    note = message(ann, "an old note").get_attribute("data-id")
    fillers(server, "links", 30)
    expect(message(bob, "filler 29")).to_be_visible()
    # bob reads back: "filler 10" at the top of his view, the old note above it, out of view.
    message(bob, "filler 10").evaluate("item => item.scrollIntoView({block: 'start'})")
    expect(bob.locator(f'#messages .msg[data-id="{note}"]')).not_to_be_in_viewport()
    before = first_in_view_top(bob)
    with open_ws(server, room="links", token=token_for("ann")) as ws:
        next_of(ws, "history", skip=ANY_TYPE)
        ws.send(
            json.dumps({"type": "edit", "id": int(note or 0), "message": f"an old note {site.url('/page')}"})
        )
        next_of(ws, "preview", skip=ANY_TYPE)
    expect(bob.locator(f'#messages .msg[data-id="{note}"] .link-preview')).to_have_count(1)
    after = first_in_view_top(bob)
    assert after[0] == before[0] and abs(after[1] - before[1]) < 2, (before, after)

    ann.locator(f'#messages .msg[data-id="{old}"]').scroll_into_view_if_needed()
    button = ann.locator(f'#messages .msg[data-id="{old}"] .link-preview-remove')
    button.focus()
    ann.keyboard.press("Enter")
    for page in (ann, bob):
        expect(page.locator(f'#messages .msg[data-id="{old}"] .link-previews')).to_have_count(0)
    expect(message(ann, "the plan is here").locator(".text")).to_contain_text("the plan is here")
    # The site was asked for its picture once, by the server: never by the readers' browsers.
    assert site.asked["/picture.png"] == 1
