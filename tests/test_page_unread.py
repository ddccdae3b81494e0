"""Unread counts and notifications on the page (static/js/unread.js) in Debian's Chromium.

People sign in with tokens on a real ``python -m chatroom`` without guests.
A tab is put in the background by an init script that makes
``document.hidden`` say so (headless Chromium shows every tab); browser
notifications are granted to the context and caught by wrapping
``window.Notification``.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from tests.page_browser import wait_for
from tests.screens import screenshot
from tests.support import ServerProcess, call_api
from tests.test_page import JWT_SECRET, SCREENSHOT_PHONE, Pages, expect_online, say, token_for
from tests.test_page_changes import act_more
from tests.test_page_rooms import create_closed_room, open_as

# Background tabs and caught notifications: what a person's browser would do, made visible to the test.
CATCH = """
(() => {
  window.__hidden = false;
  window.__notes = [];
  window.__asked = 0;
  Object.defineProperty(document, "hidden", {configurable: true, get: () => window.__hidden});
  Object.defineProperty(document, "visibilityState", {
    configurable: true, get: () => (window.__hidden ? "hidden" : "visible"),
  });
  const Real = window.Notification;
  class Caught {
    constructor(title, options = {}) {
      this.listeners = [];
      window.__notes.push({title, body: options.body, tag: options.tag, note: this});
    }
    addEventListener(type, listener) { this.listeners.push(listener); }
    close() {}
    // A test may answer the prompt itself (window.__answer) so that the
    // permission changes only when the page asks, as it does for a person.
    static get permission() { return window.__permission ?? Real.permission; }
    static requestPermission() {
      window.__asked += 1;
      if (window.__answer === undefined) return Real.requestPermission();
      window.__permission = window.__answer;
      return Promise.resolve(window.__answer);
    }
  }
  window.Notification = Caught;
  window.__background = (hidden) => {
    window.__hidden = hidden;
    document.dispatchEvent(new Event("visibilitychange"));
  };
})();
"""


# Tones the page's chime plays (static/js/sound.js), counted: headless Chromium has no speaker.
COUNT_TONES = """
(() => {
  window.__tones = 0;
  const Real = window.AudioContext;
  window.AudioContext = class extends Real {
    createOscillator() {
      window.__tones += 1;
      return super.createOscillator();
    }
  };
})();
"""


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """Accounts only, signed in with tokens."""
    db = tmp_path_factory.mktemp("unread-page") / "chat.db"
    with ServerProcess(db, "--jwt-secret", JWT_SECRET, guests=False) as running:
        yield running


def caught(page: Page) -> list[dict[str, str]]:
    return page.evaluate("window.__notes.map(({title, body, tag}) => ({title, body, tag}))")  # type: ignore[no-any-return]


def tab(context: BrowserContext, server: ServerProcess, name: str, room: str) -> Page:
    """Another tab of the same browser (the same person), in ``room``."""
    page = context.new_page()
    page.goto(f"{server.url}/?room={room}&token={token_for(name)}")
    expect_online(page)
    return page


def badges_of(page: Page, room: str) -> object:
    return page.locator(f'#rooms .room-link[data-room="{room}"] .badge')


def test_reading_in_one_tab_clears_the_count_in_the_other(server: ServerProcess, pages: Pages) -> None:
    """Bob writes in plans: Ann's lobby tab counts 3 with a mention; opening plans in her other tab clears it
    within a second."""
    bob = open_as(pages, server, "bob")
    ann = open_as(pages, server, "ann", room="lobby")
    create_closed_room(bob, "plans", "ann")
    say(bob, "the plans")
    say(bob, "@ann have a look")
    say(bob, "thanks")
    expect(badges_of(ann, "plans")).to_have_text(["@1", "3"])
    link = ann.locator('#rooms .room-link[data-room="plans"]')
    expect(link).to_have_attribute("aria-label", re.compile(r"^#plans, 3 unread, 1 mention, \d online$"))
    other = tab(ann.context, server, "ann", "plans")
    expect(other.locator("#messages .msg .text")).to_have_count(3)
    expect(badges_of(ann, "plans")).to_have_count(0, timeout=1000)
    expect(badges_of(other, "plans")).to_have_count(0)


def test_marking_unread_holds_the_room_unread_in_every_tab_until_it_is_opened_again(
    server: ServerProcess, pages: Pages
) -> None:
    """Ann reads "triage" in two tabs, then marks it unread from Bob's second message: both tabs count 2 and
    keep counting what comes (no tab marks it read as it shows it); opening it again reads it."""
    bob = open_as(pages, server, "bob")
    ann = open_as(pages, server, "ann", room="lobby")
    create_closed_room(bob, "triage", "ann")
    for text in ("one", "two", "three"):
        say(bob, text)
    ann.goto(f"{server.url}/?room=triage&token={token_for('ann')}")
    expect_online(ann)
    other = tab(ann.context, server, "ann", "triage")
    expect(other.locator("#messages .msg .text")).to_have_count(3)
    expect(badges_of(ann, "triage")).to_have_count(0)
    # Each tab marks what it shows read a quarter of a second after showing it: a mark still on its way
    # when Mark unread is pressed would be taken after it (a person presses it later than that).
    other.wait_for_timeout(1000)
    act_more(ann, ann.locator("#messages .msg").nth(1), "Mark unread from here")
    expect(ann.locator("#announcer > p").last).to_have_text("Marked unread from this message.")
    for page in (ann, other):
        expect(badges_of(page, "triage")).to_have_text(["2"])
    say(bob, "four")
    for page in (ann, other):
        expect(page.locator("#messages .msg .text")).to_have_count(4)
        expect(badges_of(page, "triage")).to_have_text(["3"])
    ann.wait_for_timeout(600)  # a page that still marked read would have done so by now
    expect(badges_of(other, "triage")).to_have_text(["3"])
    ann.reload()
    expect_online(ann)
    expect(badges_of(other, "triage")).to_have_count(0)
    expect(badges_of(ann, "triage")).to_have_count(0)


def test_a_click_on_a_room_is_not_lost_when_its_count_changes_under_it(
    server: ServerProcess, pages: Pages
) -> None:
    """Ann presses on a room in the list; before she lets go, Bob writes there and its count changes;
    letting go still opens the room."""
    bob = open_as(pages, server, "bob")
    ann = open_as(pages, server, "ann", room="lobby")
    create_closed_room(bob, "porch", "ann")
    say(bob, "first")
    expect(badges_of(ann, "porch")).to_have_text(["1"])
    name = ann.locator('#rooms .room-link[data-room="porch"] bdi')
    box = name.bounding_box()
    assert box is not None
    ann.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    ann.mouse.down()
    say(bob, "second")
    expect(badges_of(ann, "porch")).to_have_text(["2"])
    ann.mouse.up()
    expect(ann.locator("#room-title")).to_have_text("#porch")
    expect_online(ann)


def test_a_mention_in_a_background_tab_makes_one_notification(server: ServerProcess, pages: Pages) -> None:
    """Ann's tab is hidden: a mention makes a notification naming Bob, a plain message in a closed room
    none, and clicking the notification opens the room."""
    bob = open_as(pages, server, "gil")
    ann = pages.open("about:blank")
    ann.context.grant_permissions(["notifications"], origin=server.url)
    ann.context.add_init_script(CATCH)
    ann.goto(f"{server.url}/?room=lobby&token={token_for('hana')}")
    expect_online(ann)
    create_closed_room(bob, "desk", "hana")
    expect(ann.locator('#rooms .room-link[data-room="desk"]')).to_have_count(1)
    ann.evaluate("window.__background(true)")
    say(bob, "nothing for anyone")
    expect(badges_of(ann, "desk")).to_have_text(["1"])
    say(bob, "@hana your turn")
    expect(badges_of(ann, "desk")).to_have_text(["@1", "2"])
    ann.wait_for_function("() => window.__notes.length >= 1")
    ann.wait_for_timeout(500)
    assert caught(ann) == [
        {"title": "gil mentioned you in #desk", "body": "@hana your turn", "tag": "chatroom:desk"}
    ]
    ann.evaluate("window.__notes[0].note.listeners.forEach((listener) => listener())")
    ann.wait_for_url("**/?room=desk")


def test_a_notification_chimes_once_unless_the_sound_is_off(server: ServerProcess, pages: Pages) -> None:
    """Ann has two background tabs she has clicked in: a mention pops a notification up and one chime (two
    tones) rings, in one tab only. With the sound off in her browser (the account menu's "Play a sound
    with notifications": tests/test_page_status.py), the next mention pops up, silently, whichever tab
    shows it."""
    bob = open_as(pages, server, "kai")
    ann = pages.open("about:blank")
    ann.context.grant_permissions(["notifications"], origin=server.url)
    ann.context.add_init_script(CATCH + COUNT_TONES)
    ann.goto(f"{server.url}/?room=lobby&token={token_for('lea')}")
    expect_online(ann)
    create_closed_room(bob, "bells", "lea")
    other = tab(ann.context, server, "lea", "lobby")
    both = (ann, other)
    for page in both:
        expect(page.locator('#rooms .room-link[data-room="bells"]')).to_have_count(1)
        page.locator("#text").click()  # what lets a page play sound
        page.evaluate("window.__background(true)")

    def notes() -> int:
        return sum(len(caught(page)) for page in both)

    def tones() -> list[int]:
        return [int(page.evaluate("window.__tones")) for page in both]

    say(bob, "@lea ring ring")
    wait_for(ann, lambda: notes() >= 1)
    ann.wait_for_timeout(500)
    assert sorted(tones()) == [0, 2]
    ann.evaluate("localStorage.setItem('chatroom.sound', 'off')")  # what unticking the box keeps
    ann.wait_for_timeout(1000)  # past the second within which only one tab rings
    shown = notes()
    say(bob, "@lea quietly now")
    wait_for(ann, lambda: notes() > shown)
    ann.wait_for_timeout(500)
    assert sorted(tones()) == [0, 2]


def test_paused_notifications_count_mentions_and_pop_up_nothing_until_resumed(
    server: ServerProcess, pages: Pages
) -> None:
    """Ann pauses her notifications from another device: a mention still counts in her background tab,
    and pops nothing up; resumed, the next mention does."""
    bob = open_as(pages, server, "ivo")
    ann = pages.open("about:blank")
    ann.context.grant_permissions(["notifications"], origin=server.url)
    ann.context.add_init_script(CATCH)
    ann.goto(f"{server.url}/?room=lobby&token={token_for('jun')}")
    expect_online(ann)
    create_closed_room(bob, "hush", "jun")
    expect(ann.locator('#rooms .room-link[data-room="hush"]')).to_have_count(1)
    until = int(time.time() * 1000) + 3_600_000
    assert call_api(server, "PUT", "/api/me/dnd", {"until": until}, f"Bearer {token_for('jun')}")[0] == 200
    expect(ann.locator("#users").get_by_role("img", name="notifications paused")).to_have_count(1)
    ann.evaluate("window.__background(true)")
    say(bob, "@jun quiet please")
    expect(badges_of(ann, "hush")).to_have_text(["@1", "1"])
    ann.wait_for_timeout(700)
    assert caught(ann) == []
    assert call_api(server, "DELETE", "/api/me/dnd", None, f"Bearer {token_for('jun')}")[0] == 204
    expect(ann.locator("#users").get_by_role("img", name="notifications paused")).to_have_count(0)
    say(bob, "@jun awake?")
    expect(badges_of(ann, "hush")).to_have_text(["@2", "2"])
    ann.wait_for_timeout(700)  # the page asks for the newest message before it notifies
    assert [note["body"] for note in caught(ann)] == ["@jun awake?"]


def test_a_muted_room_shows_only_mentions_and_notifies_nothing(server: ServerProcess, pages: Pages) -> None:
    """Ann mutes a room in its settings: messages add no count, a mention shows its badge, nothing pops up."""
    bob = open_as(pages, server, "ivo")
    ann = pages.open("about:blank")
    ann.context.grant_permissions(["notifications"], origin=server.url)
    ann.context.add_init_script(CATCH)
    ann.goto(f"{server.url}/?room=lobby&token={token_for('wren')}")
    expect_online(ann)
    create_closed_room(bob, "noisy", "wren")
    ann.locator('#rooms .room-link[data-room="noisy"]').click()
    expect_online(ann)
    ann.get_by_role("button", name="Room settings").click()
    ann.get_by_label("Notify me of").select_option("muted")
    ann.get_by_role("dialog", name="Room settings").get_by_role("button", name="Close").click()
    ann.goto(f"{server.url}/?room=lobby&token={token_for('wren')}")
    expect_online(ann)
    ann.evaluate("window.__background(true)")
    say(bob, "chatter")
    say(bob, "@wren one thing")
    expect(badges_of(ann, "noisy")).to_have_text(["@1"])
    ann.wait_for_timeout(800)
    assert caught(ann) == []


def test_permission_is_asked_only_when_the_person_asks(server: ServerProcess, pages: Pages) -> None:
    """On load nothing is asked; "Turn on notifications" asks once, and goes once answered."""
    ann = pages.open("about:blank")
    ann.context.add_init_script(CATCH)
    ann.goto(f"{server.url}/?room=lobby&token={token_for('kit')}")
    expect_online(ann)
    button = ann.get_by_role("button", name="Turn on notifications")
    expect(button).to_be_visible()
    assert ann.evaluate("window.__asked") == 0
    ann.evaluate("window.__answer = 'granted'")
    button.click()
    expect(button).to_be_hidden()
    assert ann.evaluate("window.__asked") == 1


def test_screenshots(server: ServerProcess, pages: Pages, tmp_path: Path) -> None:
    """The room list with unread and mention badges, and the level menu, desktop and phone, light and dark."""
    out = Path(os.environ.get("CHATROOM_SCREENSHOT_DIR", tmp_path))
    out.mkdir(parents=True, exist_ok=True)
    bob = open_as(pages, server, "lou")
    open_as(pages, server, "mia").close()  # her account, made by her first visit
    create_closed_room(bob, "launch", "mia")
    say(bob, "@mia the date is set")
    for n in range(4):
        say(bob, f"update {n}")
    bob.goto(f"{server.url}/?room=lobby&token={token_for('lou')}")
    expect_online(bob)
    say(bob, "morning all")
    for scheme in ("light", "dark"):
        desktop = open_as(pages, server, "mia", color_scheme=scheme)
        expect(badges_of(desktop, "launch")).to_have_text(["@1", "5"])
        screenshot(desktop, out / f"screenshot-unread-desktop-{scheme}.png")
        phone = open_as(pages, server, "mia", viewport=SCREENSHOT_PHONE, color_scheme=scheme)
        expect(phone.locator("#unread-elsewhere")).to_be_visible()
        phone.locator("#drawer-toggle").click()
        expect(badges_of(phone, "launch")).to_have_text(["@1", "5"])
        phone.wait_for_timeout(400)  # the drawer slides in
        screenshot(phone, out / f"screenshot-unread-phone-{scheme}.png")
    desktop.locator('#rooms .room-link[data-room="launch"]').click()
    expect_online(desktop)
    expect(badges_of(desktop, "launch")).to_have_count(0)
    desktop.get_by_role("button", name="Room settings").click()
    screenshot(desktop, out / "screenshot-unread-settings-dark.png")
