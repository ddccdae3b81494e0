"""The join and leave lines on the page (static/js/presence_lines.js) in Debian's Chromium.

People come and go over WebSockets while a reader's page watches the room
on a real ``python -m chatroom``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError
from websockets.sync.client import ClientConnection

from tests.clients import join
from tests.support import ServerProcess
from tests.test_page import WAIT_MS, Pages, say


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """Guests, who join with a nick."""
    db = tmp_path_factory.mktemp("presence-page") / "chat.db"
    with ServerProcess(db) as running:
        yield running


# What the message list shows, top to bottom: each message's text, each line's words as seen
# (not its time, not the list its button opens, not what only a screen reader hears).
SHOWN = """[...document.querySelectorAll('#messages > li')].map((item) => {
  if (item.matches('.msg')) return item.querySelector('.text').textContent;
  const seen = item.cloneNode(true);
  seen.querySelectorAll('time, .everyone, .visually-hidden').forEach((n) => n.remove());
  return seen.textContent.trim();
})"""


def shows(page: Page, expected: list[str]) -> None:
    """Wait until the message list shows ``expected``, lines included."""
    try:
        page.wait_for_function(
            f"expected => JSON.stringify(expected) === JSON.stringify({SHOWN})", arg=expected, timeout=WAIT_MS
        )
    except PlaywrightTimeoutError:
        assert page.evaluate(SHOWN) == expected


def leave(member: ClientConnection) -> None:
    member.close()


def test_a_run_of_joins_and_leaves_is_one_line_changed_in_place(server: ServerProcess, pages: Pages) -> None:
    """Arrivals and departures with no message between them are one line naming them, all listed on demand."""
    zed = join(server, "run", "zed")
    page = pages.join(server.url, "run", "teacher")
    shows(page, [])  # one's own arrival is no news to oneself
    ann = join(server, "run", "ann")
    shows(page, ["ann joined"])
    bob = join(server, "run", "bob")
    shows(page, ["ann and bob joined"])
    others = [join(server, "run", nick) for nick in ("carl", "dina", "emre")]
    shows(page, ["ann, bob and 3 others joined"])
    leave(zed)
    shows(page, ["ann, bob and 3 others joined · zed left"])
    line = page.locator("#messages .line")
    expect(line.locator("time")).to_have_count(1)
    # "3 others" shows everyone the line stands for, and stays open as the line changes.
    button = page.get_by_role("button", name="3 others")
    expect(button).to_have_attribute("aria-expanded", "false")
    expect(line.locator(".everyone")).to_be_hidden()
    button.click()
    expect(button).to_have_attribute("aria-expanded", "true")
    expect(line.locator(".everyone p")).to_have_text(["Joined: ann, bob, carl, dina, emre", "Left: zed"])
    fay = join(server, "run", "fay")
    shows(page, ["ann, bob and 4 others joined · zed left"])
    expect(line.locator(".everyone p")).to_have_text(["Joined: ann, bob, carl, dina, emre, fay", "Left: zed"])
    page.get_by_role("button", name="4 others").click()
    expect(line.locator(".everyone")).to_be_hidden()
    for member in (ann, bob, *others, fay):
        leave(member)


def test_someone_who_drops_and_comes_back_or_comes_and_goes_is_not_in_the_line(
    server: ServerProcess, pages: Pages
) -> None:
    """A phone that reconnects within a run, and a visitor who came and went, leave no trace in it."""
    phone = join(server, "phones", "phone")
    page = pages.join(server.url, "phones", "teacher")
    ann = join(server, "phones", "ann")
    shows(page, ["ann joined"])
    leave(phone)
    phone = join(server, "phones", "phone")
    bob = join(server, "phones", "bob")  # after the phone's comings and goings
    shows(page, ["ann and bob joined"])
    leave(join(server, "phones", "visitor"))
    carl = join(server, "phones", "carl")
    shows(page, ["ann, bob and carl joined"])
    expect(page.locator("#users .nick")).to_have_text(["ann", "bob", "carl", "phone", "teacher"])
    # A run that adds up to nothing is no line at all.
    say(page, "before")
    leave(join(server, "phones", "passer"))
    say(page, "after")
    shows(page, ["ann, bob and carl joined", "before", "after"])
    for member in (phone, ann, bob, carl):
        leave(member)


def test_a_message_ends_the_run(server: ServerProcess, pages: Pages) -> None:
    """Joins and leaves after a message are a new line under it; the line above it stays as it was."""
    page = pages.join(server.url, "ends", "teacher")
    ann = join(server, "ends", "ann")
    shows(page, ["ann joined"])
    say(page, "welcome, ann")
    bob = join(server, "ends", "bob")
    leave(ann)
    shows(page, ["ann joined", "welcome, ann", "bob joined · ann left"])
    expect(page.locator("#messages .line")).to_have_class(
        [re.compile(r"\bjoin\b"), re.compile(r"\bpresence\b")]
    )
    leave(bob)


def test_the_others_button_is_reached_with_tab_and_opened_with_enter_or_space(
    server: ServerProcess, pages: Pages
) -> None:
    """From the list, Tab lands on "3 others", named for what it stands for; Enter opens the list of
    everyone, Space closes it, and the focus stays on the button as the line changes."""
    page = pages.join(server.url, "tabbing", "teacher")
    members = [join(server, "tabbing", nick) for nick in ("ann", "bob", "carl", "dina", "emre")]
    shows(page, ["ann, bob and 3 others joined"])
    button = page.get_by_role("button", name="3 others joined", exact=True)
    page.locator("#scroller").focus()
    page.keyboard.press("Tab")
    expect(button).to_be_focused()
    page.keyboard.press("Enter")
    expect(button).to_have_attribute("aria-expanded", "true")
    line = page.locator("#messages .line")
    expect(line.locator(".everyone p")).to_have_text(["Joined: ann, bob, carl, dina, emre"])
    expect(button).to_be_focused()
    page.keyboard.press("Space")
    expect(line.locator(".everyone")).to_be_hidden()
    expect(button).to_have_attribute("aria-expanded", "false")
    leave(members[-1])
    shows(page, ["ann, bob and 2 others joined"])
    expect(page.get_by_role("button", name="2 others joined", exact=True)).to_be_focused()
    for member in members[:-1]:
        leave(member)
