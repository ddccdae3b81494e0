"""Searching messages on the page (static/js/search.js) in Debian's Chromium.

People sign in with tokens on a real ``python -m chatroom`` without guests:
the search dialog finds messages with their words marked, and a result opens
its room at the message, in the same room or another. Its filters
(static/js/search_filters.js) search a history of chosen times, imported
before its server starts: From keeps to one person, After and Before to days
of the browser's own time zone.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import urllib.parse
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson
import pytest
from playwright.sync_api import Page, expect

from tests.screens import screenshot
from tests.support import NO_PROXY, REPO, ServerProcess, call_api, make_account
from tests.test_page import JWT_SECRET, SCREENSHOT_PHONE, Pages, say, token_for
from tests.test_page_changes import fillers
from tests.test_page_rooms import open_as


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """Accounts only, signed in with tokens; a rate that lets a test type its thirty fillers as fast as the
    page sends them (at the default, a fast machine hits it and the box keeps the text, as it should)."""
    db = tmp_path_factory.mktemp("search-page") / "chat.db"
    limits = ("--rate", "100", "--burst", "100")
    with ServerProcess(db, "--jwt-secret", JWT_SECRET, *limits, guests=False) as running:
        yield running


def open_new_room(pages: Pages, server: ServerProcess, name: str, room: str) -> Page:
    """An open room that ``name`` makes over the API, then opens on the page."""
    token = f"Bearer {token_for(name)}"
    status, body = call_api(server, "POST", "/api/rooms", {"room": room, "kind": "open"}, token)
    assert status == 201, body
    return open_as(pages, server, name, room=room)


def upload(
    server: ServerProcess, name: str, room: str, file_name: str, data: bytes, caption: str = ""
) -> None:
    """``name`` sends a file to ``room`` over the API, with ``caption`` if any."""
    query = urllib.parse.urlencode({"name": file_name, **({"text": caption} if caption else {})})
    request = urllib.request.Request(f"{server.url}/api/rooms/{room}/files?{query}", data=data, method="POST")
    request.add_header("Authorization", f"Bearer {token_for(name)}")
    with NO_PROXY.open(request, timeout=10) as response:
        assert response.status == 200


def search(page: Page, words: str, here: bool = False, **filters: str) -> None:
    """Open the search dialog and search for ``words``, the ``filters`` (From, After, Before) filled in."""
    page.get_by_role("button", name="Search messages").click()
    dialog = page.get_by_role("dialog", name="Search messages")
    dialog.get_by_label("Words to find").fill(words)
    for label, value in filters.items():
        dialog.get_by_label(label, exact=True).fill(value)
    dialog.get_by_label("Only this room").set_checked(here)
    dialog.get_by_role("button", name="Search", exact=True).click()


def test_a_result_marks_the_words_and_opens_its_message(server: ServerProcess, pages: Pages) -> None:
    """Results show room, author and the words marked (as text); clicking one shows the message."""
    ann = open_new_room(pages, server, "ann", "garden")
    say(ann, "The <b>Café</b> opens at nine")
    fillers(server, "garden", 30)
    search(ann, "cafe")
    result = ann.locator(".search-result")
    expect(result).to_have_count(1)
    expect(result.locator(".search-room")).to_have_text("#garden")
    expect(result.locator("mark")).to_have_text(["Café"])
    expect(result.locator(".search-snippet")).to_have_text("The <b>Café</b> opens at nine")
    expect(ann.locator("#search-note")).to_have_text("1 message found.")  # a live region: heard, too
    dialog = ann.get_by_role("dialog", name="Search messages")
    dialog.get_by_label("Words to find").fill("filler")
    dialog.get_by_role("button", name="Search", exact=True).click()
    more_below = '20 messages shown; "More results" below brings older ones.'
    expect(ann.locator("#search-note")).to_have_text(more_below)
    ann.get_by_role("button", name="More results").click()
    expect(ann.locator("#search-note")).to_have_text("30 messages found.")
    dialog.get_by_label("Words to find").fill("cafe")
    dialog.get_by_role("button", name="Search", exact=True).click()
    expect(result).to_have_count(1)
    result.click()
    expect(ann.get_by_role("dialog", name="Search messages")).to_be_hidden()
    expect(ann.locator(".msg.highlight")).to_contain_text("The <b>Café</b> opens at nine")


def test_a_result_in_another_room_opens_that_room_at_it(server: ServerProcess, pages: Pages) -> None:
    """A result of another room loads that room, scrolled to the message and highlighted."""
    bob = open_new_room(pages, server, "bob", "orchard")
    say(bob, "apples are ripe 聊天室")
    bob = open_as(pages, server, "bob", room="lobby")
    search(bob, "聊天室")
    expect(bob.locator(".search-result .search-room")).to_have_text(["#orchard"])
    bob.locator(".search-result").click()
    expect(bob).to_have_url(f"{server.url}/?room=orchard#m-1")
    expect(bob.locator(".msg.highlight")).to_contain_text("apples are ripe")


def test_only_this_room_and_nothing_found(server: ServerProcess, pages: Pages) -> None:
    """'Only this room' keeps other rooms out; a search with no result says so."""
    cy = open_new_room(pages, server, "cy", "shed")
    say(cy, "spade and rake")
    cy = open_new_room(pages, server, "cy", "porch")
    search(cy, "spade", here=True)
    expect(cy.locator("#search-note")).to_have_text("No message holds those words with these filters.")
    expect(cy.locator(".search-result")).to_have_count(0)
    cy.get_by_label("Only this room").uncheck()
    cy.get_by_role("button", name="Search", exact=True).click()
    expect(cy.locator(".search-result")).to_have_count(1)


def test_a_file_found_by_its_name_shows_the_file(server: ServerProcess, pages: Pages) -> None:
    """A file sent without a caption is found by its name, which the result shows; a caption shows too."""
    eli = open_new_room(pages, server, "eli", "attic")
    upload(server, "eli", "attic", "budget-2026.txt", b"numbers\n")
    upload(server, "eli", "attic", "budget-plan.pdf", b"%PDF-1.4\n", caption="the plan for next year")
    search(eli, "budget")
    results = eli.locator(".search-result")
    expect(results).to_have_count(2)
    expect(results.locator(".search-file-name")).to_have_text(["📎 budget-plan.pdf", "📎 budget-2026.txt"])
    expect(results.first.locator(".search-snippet")).to_have_text("the plan for next year")
    expect(results.nth(1).locator(".search-snippet")).to_have_count(0)
    results.nth(1).click()
    expect(eli.locator(".msg.highlight .file")).to_contain_text("budget-2026.txt")


def test_a_direct_room_is_named_by_the_people_in_it(server: ServerProcess, pages: Pages) -> None:
    """A result in a direct conversation shows who it is with, as the rooms list does, never its id."""
    gil = open_as(pages, server, "gil")
    fern_token = f"Bearer {token_for('fern')}"
    status, entry = call_api(server, "POST", "/api/direct", {"members": ["gil"]}, fern_token)
    assert status == 201, entry
    fern = open_as(pages, server, "fern", room=entry["room"])
    say(fern, "the secret recipe is saffron")
    # gil's list shows only what starts with "lobby": the result's room is asked for on its own.
    gil.locator("#room-search").fill("lobby")
    expect(gil.locator("#rooms .room-link bdi")).to_have_text(["#lobby"])
    search(gil, "saffron")
    expect(gil.locator(".search-result .search-room")).to_have_text(["fern"])
    gil.get_by_role("dialog", name="Search messages").get_by_role("button", name="Close").click()
    gil.locator("#room-search").fill("")
    for page, other in ((fern, "gil"), (gil, "fern")):
        search(page, "saffron")
        expect(page.locator(".search-result .search-room")).to_have_text([other])
        expect(page.locator("#rooms .room-group[data-kind=direct] .room-link bdi")).to_have_text([other])


def test_screenshots(server: ServerProcess, pages: Pages, tmp_path: Path) -> None:
    """The search dialog with results, desktop and phone, light and dark."""
    out = Path(os.environ.get("CHATROOM_SCREENSHOT_DIR", tmp_path))
    out.mkdir(parents=True, exist_ok=True)
    dee = open_new_room(pages, server, "dee", "kitchen")
    for text in (
        "Recipe: crème brûlée for Friday",
        "Who brings the crème fraîche?",
        "使用 responder 实现多人在线聊天室",
    ):
        say(dee, text)
    for scheme in ("light", "dark"):
        for name, viewport in (("desktop", None), ("phone", SCREENSHOT_PHONE)):
            options = {"color_scheme": scheme, **({"viewport": viewport} if viewport else {})}
            page = open_as(pages, server, "dee", room="kitchen", **options)
            search(page, "creme")
            expect(page.locator(".search-result")).to_have_count(2)
            screenshot(page, out / f"screenshot-search-{name}-{scheme}.png")


# --- filters: who and when -------------------------------------------------------------

UTC_PAGE = {"timezone_id": "UTC"}


def at(moment: str) -> int:
    """Milliseconds since 1970 of an ISO 8601 moment in UTC."""
    return int(datetime.fromisoformat(moment).replace(tzinfo=UTC).timestamp() * 1000)


def history() -> dict[str, list[tuple[str, int, str]]]:
    """Each room's messages (author, time, text) over four days of March 2026, in time order."""
    invoices = datetime(2026, 3, 11, 13, tzinfo=UTC)
    plans = [("ann", at("2026-03-09T12:00"), "budget draft one")]
    plans += [("ann", at(f"2026-03-09T13:0{n}"), f"invoice old {n}") for n in range(3)]
    plans += [
        ("bob", at("2026-03-10T12:00"), "budget looks thin"),
        ("ann", at("2026-03-12T12:00"), "budget for next year"),
    ]
    money = [("ann", at("2026-03-11T10:00"), "budget approved")]
    for who, hour in (("ann", 0), ("bob", 1)):
        moments = (invoices + timedelta(hours=hour, minutes=n) for n in range(22))
        money += [(who, int(moment.timestamp() * 1000), f"invoice {n}") for n, moment in enumerate(moments)]
    money.append(("bob", at("2026-03-11T20:30"), "budget spent"))
    return {"plans": plans, "money": money}


def import_history(database: Path) -> None:
    """``python -m chatroom import`` of history(): messages whose times the test chose."""
    lines = [{"type": "chatroom-export", "version": 1, "schema": 2, "epoch": "filters"}]
    for room, messages in history().items():
        unset = dict.fromkeys(("title", "creator", "created_at", "archived_at"))
        lines.append({"type": "room", "room": room, "kind": "open", **unset})
        for number, (nick, ts, text) in enumerate(messages, start=1):
            message = {"room": room, "id": number, "nick": nick, "message": text, "ts": ts}
            lines.append({"type": "message", **message, "bot": False, "guest": False})
    export = b"\n".join(orjson.dumps(line) for line in lines) + b"\n"
    command = [sys.executable, "-m", "chatroom", "import", "--db", str(database)]
    imported = subprocess.run(command, input=export, cwd=REPO, capture_output=True, timeout=120)
    assert imported.returncode == 0, imported.stderr


@pytest.fixture(scope="module")
def past(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """A server whose history is history(), by ann and bob (accounts, so that their names are suggested)."""
    db = tmp_path_factory.mktemp("search-filters") / "chat.db"
    import_history(db)
    for name in ("ann", "bob"):
        make_account(db, name)
    with ServerProcess(db, "--jwt-secret", JWT_SECRET, guests=False) as running:
        yield running


def day(chip: str) -> re.Pattern[str]:
    """A filter's chip naming a day of 2026, whose year it says in other years."""
    return re.compile(rf"{chip}(, 2026)?×")


def found(page: Page) -> list[str]:
    return page.locator(".search-result .search-snippet").all_text_contents()


def test_from_finds_only_that_persons_messages(past: ServerProcess, pages: Pages) -> None:
    """From suggests names as one types and keeps to that person's messages (a name typed in other case
    too); the filter shows as a chip whose × takes it away and searches again."""
    cy = open_as(pages, past, "cy", **UTC_PAGE)
    cy.get_by_role("button", name="Search messages").click()
    dialog = cy.get_by_role("dialog", name="Search messages")
    dialog.get_by_label("From", exact=True).press_sequentially("Bo")
    expect(cy.locator("#search-from-names option")).to_have_attribute("value", "bob")
    dialog.get_by_label("From", exact=True).fill("")
    dialog.get_by_role("button", name="Close").click()
    search(cy, "budget", From="Ann")
    expect(cy.locator("#search-note")).to_have_text("3 messages found.")
    expect(cy.locator(".search-result .nick")).to_have_text(["ann"] * 3)
    assert found(cy) == ["budget for next year", "budget approved", "budget draft one"]
    expect(cy.locator("#search-filters li")).to_have_text(["From ann×"])
    cy.get_by_role("button", name="Remove the filter: From ann").click()
    expect(cy.locator("#search-note")).to_have_text("5 messages found.")
    expect(cy.locator("#search-filters li")).to_have_count(0)
    expect(dialog.get_by_label("From", exact=True)).to_have_value("")
    expect(dialog.get_by_label("Words to find")).to_be_focused()


def test_after_and_before_are_days_of_ones_own_time_zone(past: ServerProcess, pages: Pages) -> None:
    """After 10 March and before 12 March are those days where the browser is: in Auckland, already 11:00
    UTC the day before, so a message of 20:30 UTC on the 11th is the 12th there and left out; the page
    sends each day's local midnight with its offset."""
    expected = {
        "UTC": ["budget spent", "budget approved", "budget looks thin"],
        "Pacific/Auckland": ["budget approved", "budget looks thin", "budget draft one"],
    }
    for zone, offset in (("UTC", "+00:00"), ("Pacific/Auckland", "+13:00")):
        dee = open_as(pages, past, "dee", timezone_id=zone)
        with dee.expect_request(lambda request: "/api/search?" in request.url) as asked:
            search(dee, "budget", After="2026-03-10", Before="2026-03-12")
        sent = urllib.parse.parse_qs(urllib.parse.urlsplit(asked.value.url).query)
        assert (sent["after"], sent["before"]) == (
            [f"2026-03-10T00:00{offset}"],
            [f"2026-03-12T00:00{offset}"],
        )
        expect(dee.locator("#search-note")).to_have_text("3 messages found.")
        assert found(dee) == expected[zone], zone
        expect(dee.locator("#search-filters li")).to_have_text([day("After Mar 10"), day("Before Mar 12")])
    dee.get_by_label("Before", exact=True).fill("2026-03-10")
    dee.get_by_label("Before", exact=True).press("Enter")
    problem = r'No day is on or after (Mar 10(, 2026)?) and before \1: "Before" leaves its own day out'
    expect(dee.locator("#search-error")).to_contain_text(re.compile(problem))
    expect(dee.get_by_label("Before", exact=True)).to_be_focused()
    assert found(dee) == expected["Pacific/Auckland"]  # the search before stays as it was


def test_more_results_keeps_the_filters(past: ServerProcess, pages: Pages) -> None:
    """Ann's 22 invoices of 11 March come 20 at a time: "More results" brings the last two of hers, not
    older ones or bob's."""
    eve = open_as(pages, past, "eve", **UTC_PAGE)
    search(eve, "invoice", From="ann", After="2026-03-11")
    expect(eve.locator("#search-note")).to_have_text(
        '20 messages shown; "More results" below brings older ones.'
    )
    eve.get_by_role("button", name="More results").click()
    expect(eve.locator("#search-note")).to_have_text("22 messages found.")
    expect(eve.locator(".search-result .nick")).to_have_text(["ann"] * 22)
    assert found(eve)[-2:] == ["invoice 1", "invoice 0"]
    expect(eve.locator("#search-filters li")).to_have_text(["From ann×", day("After Mar 11")])


def test_filters_without_words_are_explained(past: ServerProcess, pages: Pages) -> None:
    """Filters alone do not search (the server needs a word): the page says so, asks nothing, and puts the
    focus on the words; every field is labelled and reached with Tab, and Enter in one searches."""
    fay = open_as(pages, past, "fay", **UTC_PAGE)
    asked: list[str] = []
    fay.on("request", lambda request: "/api/search" in request.url and asked.append(request.url))
    fay.get_by_role("button", name="Search messages").click()
    dialog = fay.get_by_role("dialog", name="Search messages")
    dialog.get_by_label("From", exact=True).fill("bob")
    dialog.get_by_label("From", exact=True).press("Enter")
    expect(fay.locator("#search-error")).to_have_text(
        "Type a word to look for as well: the filters narrow what the words find, and cannot search alone."
    )
    words = dialog.get_by_label("Words to find")
    expect(words).to_be_focused()
    assert asked == []
    words.fill("budget")
    for label in ("Search", "From", "After", "Before", "Only this room"):
        field = (
            dialog.get_by_label(label, exact=True)
            if label != "Search"
            else dialog.get_by_role("button", name=label)
        )
        for _ in range(6):  # a date's day, month and year are stops of their own
            fay.keyboard.press("Tab")
            if field.evaluate("node => node === document.activeElement"):
                break
        expect(field).to_be_focused()
    dialog.get_by_label("After", exact=True).fill("2026-03-10")
    dialog.get_by_label("After", exact=True).press("Enter")
    expect(fay.locator("#search-note")).to_have_text("2 messages found.")
    expect(fay.locator("#search-error")).to_have_text("")
    assert found(fay) == ["budget spent", "budget looks thin"]
    assert asked and "from=bob" in asked[-1]


def test_screenshots_with_filters(past: ServerProcess, pages: Pages, tmp_path: Path) -> None:
    """The dialog with its filters in use, desktop and phone (touch), light and dark: on the phone every
    field and button a fingertip tall, and the dialog scrolls to its buttons."""
    out = Path(os.environ.get("CHATROOM_SCREENSHOT_DIR", tmp_path))
    out.mkdir(parents=True, exist_ok=True)
    phone = {"viewport": SCREENSHOT_PHONE, "has_touch": True, "is_mobile": True}
    for scheme in ("light", "dark"):
        for name, device in (("desktop", {}), ("phone", phone)):
            page = open_as(pages, past, "gus", color_scheme=scheme, **UTC_PAGE, **device)
            search(page, "budget", From="ann", After="2026-03-09", Before="2026-03-12")
            expect(page.locator(".search-result")).to_have_count(2)
            screenshot(page, out / f"screenshot-search-filters-{name}-{scheme}.png")
            if name == "phone":
                dialog = page.get_by_role("dialog", name="Search messages")
                assert (
                    page.evaluate(TOO_SMALL, "#search-dialog input, #search-dialog button, .search-here")
                    == []
                )
                dialog.get_by_role("button", name="Close").scroll_into_view_if_needed()
                expect(dialog.get_by_role("button", name="Close")).to_be_in_viewport()
                screenshot(page, out / f"screenshot-search-filters-phone-{scheme}-end.png")


# The fields, buttons and labels ``selector`` finds that show and are less than a fingertip (40 pixels)
# tall, or a button less than one wide (a checkbox is pressed by its label).
TOO_SMALL = """(selector) => [...document.querySelectorAll(selector)]
  .filter((node) => node.checkVisibility() && node.type !== "checkbox")
  .filter((node) => {
    const box = node.getBoundingClientRect();
    return box.height < 40 || (node.localName === "button" && box.width < 40);
  })
  .map((node) => node.id || node.getAttribute("aria-label") || node.textContent.trim())"""
