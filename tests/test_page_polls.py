"""Polls on the page (static/js/polls.js, poll_form.js) in Chromium: three people voting live.

ann makes a poll from "📊 Poll" (options added and removed, its texts as text); bob on a desktop and
cid on a phone in the dark vote, cid changes her mind (a poll of one choice keeps one vote each), ann
votes with the keyboard; every page shows the counts, shares and who voted at once; only ann is offered
"Close poll", and once closed nobody votes. Screenshots desktop and phone, light and dark.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Locator, Page, expect

from tests import test_page_changes, test_page_search
from tests.support import ServerProcess
from tests.test_page import SCREENSHOT_PHONE, Pages
from tests.test_page_changes import accounts_server, open_as, open_room, shoot


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    yield from accounts_server(tmp_path_factory, "polls-page")


def poll(page: Page, question: str) -> Locator:
    """The message of the poll asking ``question``."""
    return page.locator("#messages .msg.has-poll").filter(
        has=page.locator(".poll-question", has_text=question)
    )


def option(card: Locator, text: str) -> Locator:
    return card.locator(".poll-choice").filter(has_text=text)


def counts(page: Page, question: str) -> Locator:
    return poll(page, question).locator(".poll-count")


def test_three_people_vote_live_change_their_minds_and_the_author_closes(
    server: ServerProcess, pages: Pages, tmp_path: Path
) -> None:
    """The whole life of a poll on three pages at once."""
    open_room(server, "picnic")
    ann = open_as(pages, server, "ann", "picnic")
    bob = open_as(pages, server, "bob", "picnic")
    cid = open_as(
        pages, server, "cid", "picnic", viewport=SCREENSHOT_PHONE, color_scheme="dark", has_touch=True
    )

    ann.get_by_role("button", name="Poll", exact=True).click()
    dialog = ann.get_by_role("dialog", name="📊 New poll")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_role("button", name="Remove option 1")).to_be_hidden()  # two at least
    dialog.get_by_label("Question").fill("Lunch on <b>Friday</b>?")
    dialog.get_by_role("textbox", name="Option 1").fill("Pizza")
    dialog.get_by_role("textbox", name="Option 2").fill("Sushi")
    dialog.get_by_role("button", name="+ Add an option").click()
    expect(dialog.get_by_role("textbox", name="Option 3")).to_be_focused()
    ann.keyboard.type("<i>Tacos</i>")
    dialog.get_by_role("button", name="+ Add an option").click()
    dialog.get_by_role("button", name="Create poll").click()
    expect(dialog.locator("#poll-error")).to_have_text("Fill in every option, or remove the empty ones.")
    dialog.get_by_role("button", name="Remove option 4").click()
    expect(dialog.get_by_role("textbox", name="Option 4")).to_have_count(0)
    expect(dialog.locator("#poll-error")).to_have_text("")
    shoot(ann, tmp_path, "poll-form-desktop")
    dialog.get_by_role("button", name="Create poll").click()
    expect(dialog).to_be_hidden()

    question = "Lunch on <b>Friday</b>?"
    for page in (ann, bob, cid):
        expect(counts(page, question)).to_have_text(["0 · 0%"] * 3)
        expect(poll(page, question).locator(".poll-text")).to_have_text(["Pizza", "Sushi", "<i>Tacos</i>"])
        expect(poll(page, question).locator("b, i")).to_have_count(0)  # text, never markup
        expect(poll(page, question).locator(".poll-hint")).to_have_text("Choose one · 0 votes")
    expect(poll(bob, question).get_by_role("button", name="Close poll")).to_have_count(0)

    option(poll(bob, question), "Sushi").click()
    option(poll(cid, question), "Pizza").tap()
    for page in (ann, bob, cid):
        expect(counts(page, question)).to_have_text(["1 · 50%", "1 · 50%", "0 · 0%"])
    option(poll(cid, question), "Sushi").tap()  # one choice: it replaces her Pizza
    choice = option(poll(ann, question), "Tacos")
    choice.focus()
    ann.keyboard.press("Enter")
    for page in (ann, bob, cid):
        expect(counts(page, question)).to_have_text(["0 · 0%", "2 · 67%", "1 · 33%"])
    expect(option(poll(bob, question), "Sushi")).to_have_attribute("aria-pressed", "true")
    expect(option(poll(bob, question), "Tacos")).to_have_attribute("aria-pressed", "false")
    expect(option(poll(ann, question), "Tacos")).to_have_attribute("aria-pressed", "true")
    expect(option(poll(ann, question), "Sushi")).to_have_attribute("title", "bob, cid")
    expect(option(poll(ann, question), "Sushi")).to_have_accessible_description("Chosen by bob, cid")
    poll(cid, question).get_by_role("button", name="Show voters").tap()
    expect(poll(cid, question).locator(".poll-voters").nth(1)).to_have_text("Chosen by bob, cid")
    expect(poll(cid, question).locator(".poll-voters").nth(1)).to_be_visible()
    shoot(bob, tmp_path, "poll-votes-desktop")
    shoot(cid, tmp_path, "poll-votes-phone")

    option(poll(bob, question), "Sushi").click()  # taken back
    for page in (ann, bob, cid):
        expect(counts(page, question)).to_have_text(["0 · 0%", "1 · 50%", "1 · 50%"])
    poll(ann, question).get_by_role("button", name="Close poll").click()
    for page in (ann, bob, cid):
        expect(poll(page, question).locator(".poll-hint")).to_have_text("Closed · 2 votes")
        expect(option(poll(page, question), "Pizza")).to_be_disabled()
    expect(poll(ann, question).get_by_role("button", name="Close poll")).to_have_count(0)
    shoot(ann, tmp_path, "poll-closed-desktop")
    shoot(cid, tmp_path, "poll-closed-phone")
    for page in (ann, cid):
        assert page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"]  # type: ignore[index]

    again = open_as(pages, server, "bob", "picnic")
    expect(counts(again, question)).to_have_text(["0 · 0%", "1 · 50%", "1 · 50%"])
    expect(poll(again, question).locator(".poll-hint")).to_have_text("Closed · 2 votes")


def test_a_poll_shows_as_its_question_and_options_in_pins_and_search(
    server: ServerProcess, pages: Pages
) -> None:
    """ann's poll, pinned, is listed in the pins panel and a search as "📊 Which stall? Cheese · Bread", not
    as the "/poll" text that makes it (test_page_saved.py: in Saved messages)."""
    open_room(server, "market")
    ann = open_as(pages, server, "ann", "market")
    box = ann.locator("#text")
    box.fill("/poll Which stall?\nCheese\nBread")
    box.press("Enter")
    card = poll(ann, "Which stall?")
    expect(card).to_have_count(1)
    shown = "📊 Which stall? Cheese · Bread"
    test_page_changes.act(ann, card, "Pin to this room")
    ann.locator("#pins-open").click()
    pins = ann.get_by_role("dialog", name="Pinned messages")
    expect(
        pins.locator(".search-result").filter(has_text="Which stall?").locator(".search-snippet")
    ).to_have_text(shown)
    ann.keyboard.press("Escape")
    test_page_search.search(ann, "cheese")
    found = (
        ann.get_by_role("dialog", name="Search messages")
        .locator(".search-result")
        .filter(has_text="Which stall?")
    )
    expect(found.locator(".search-snippet")).to_have_text(shown)
    expect(found.locator("mark")).to_have_text("Cheese")
