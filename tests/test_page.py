"""The chat page (templates/index.html, static/js/*.js) in Debian's Chromium.

Every test drives real pages against a real ``python -m chatroom`` process.
"""

from __future__ import annotations

import concurrent.futures
import os
import re
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import jwt
import pytest
from playwright.sync_api import Browser, Page, expect

from chatroom import protocol
from chatroom.store.records import AVATAR_COLORS
from tests.clients import join as join_socket
from tests.clients import open_ws, receive, send_message
from tests.page_browser import Pages, choose_nick, expect_online, wait_for
from tests.page_line import Line
from tests.raw_ws import RawMember
from tests.screens import screenshot
from tests.support import Bot, ServerProcess, ensure_administrator, make_account, make_bot

JWT_SECRET = "page-test-secret-long-enough-for-hs256"
PHONE = {"width": 375, "height": 740}
SCREENSHOT_PHONE = {"width": 390, "height": 844}
WAIT_MS = 10_000

expect.set_options(timeout=WAIT_MS)

# ``browser`` and ``pages`` are tests/page_browser.py's, seen once in
# tests/conftest.py: one Chromium for the test process, not one for each test
# file, and its contexts lent from one file's tests to the next's.


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """A chat server with guests, shared by the tests that use their own rooms.

    It is set up (it has its administrator) from the start, as a server whose
    bots post is: guests are offered to sign in. Its bots fill rooms with
    hundreds of messages as fast as they are stored, so they have no
    allowance a minute.
    """
    db = tmp_path_factory.mktemp("page") / "chat.db"
    ensure_administrator(db)
    with ServerProcess(db, "--bot-messages-per-minute", "0") as running:
        yield running


# --- helpers ------------------------------------------------------------------


def say(page: Page, text: str) -> None:
    """Type ``text`` into the message box and press Enter; wait until it is stored."""
    box = page.locator("#text")
    box.fill(text)
    box.press("Enter")
    expect(box).to_have_value("")


def texts(page: Page) -> list[str]:
    return page.locator("#messages .msg .text").all_text_contents()


def message_ids(page: Page) -> list[str]:
    return page.eval_on_selector_all("#messages .msg", "items => items.map(i => i.dataset.id)")


# The bots made on each database, and the rooms each was put in.
_bots: dict[tuple[str, str], tuple[Bot, set[str]]] = {}


def bot_of(database: str, name: str, rooms: Sequence[str] = ()) -> Bot:
    """The bot called ``name`` on the database, made on first use, a member of ``rooms``."""
    if (database, name) not in _bots:
        _bots[(database, name)] = (make_bot(database, name, rooms), set(rooms))
    bot, joined = _bots[(database, name)]
    if missing := [room for room in rooms if room not in joined]:
        bot.join(*missing)
        joined.update(missing)
    return bot


def post(server: ServerProcess, room: str, nick: str, message: str) -> dict[str, Any]:
    """Publish through the HTTP API as the bot called ``nick``, a member of ``room``."""
    status, stored = bot_of(server.db, nick, [room]).post(server, room, message)
    assert status == 201, stored
    return dict(stored)


def said_by(server: ServerProcess, room: str, nick: str, message: str) -> None:
    """``nick`` joins over a WebSocket, says ``message`` and leaves once it is stored: a person, not a bot."""
    with join_socket(server, room, nick) as ws:
        assert send_message(ws, message, "1")["type"] == "ack"


def brightness(css_colour: str) -> float:
    """The mean of the red, green and blue channels of an ``rgb(...)`` colour."""
    channels = [float(c) for c in re.findall(r"[\d.]+", css_colour)[:3]]
    return sum(channels) / 3


def token_for(nick: str) -> str:
    """A valid HS256 token whose subject is ``nick``."""
    return jwt.encode({"sub": nick, "exp": int(time.time()) + 600}, JWT_SECRET, algorithm="HS256")


def scroll_to_top(page: Page) -> None:
    page.eval_on_selector("#scroller", "s => { s.scrollTop = 0; }")


def scroll_back_to_the_start(page: Page, pages_at_most: int) -> None:
    """Scroll up a page of history at a time until the room's first message shows, the list staying
    within the messages the page keeps."""
    for _ in range(pages_at_most):
        if page.locator("#history-start").is_visible():
            return
        first = message_ids(page)[0]
        scroll_to_top(page)
        page.wait_for_function(
            "first => document.querySelector('#messages .msg').dataset.id !== first", arg=first
        )
        expect_kept_short(page)
    raise AssertionError(f"the room's start did not show within {pages_at_most} pages")


def expect_kept_short(page: Page) -> None:
    """The page keeps at most MAX_ITEMS messages and notices: trimmed by the frame that follows new ones."""
    page.wait_for_function(
        "most => document.querySelector('#messages').childElementCount <= most", arg=MAX_ITEMS, timeout=5000
    )


def come_and_go(server: ServerProcess, room: str, loops: int) -> None:
    """Members who connect, read their welcome and close, one after another."""
    for n in range(loops):
        with open_ws(server, room=room, nick=f"passer{n}") as ws:
            receive(ws)


# --- chatting -----------------------------------------------------------------


def test_two_pages_chat_with_each_other(server: ServerProcess, pages: Pages) -> None:
    """Two people in one room see each other's messages, names and presence."""
    ann = pages.join(server.url, "talk", "ann")
    bob = pages.join(server.url, "talk", "bob")
    expect(ann.locator("#messages .line.join")).to_contain_text("bob joined")
    say(ann, "hi bob 👋")
    expect(bob.locator("#messages .msg .text")).to_have_text(["hi bob 👋"])
    expect(bob.locator("#announcer p").last).to_have_text("ann: hi bob 👋")  # what a screen reader says
    say(bob, "你好 ann, good to see you")
    expect(ann.locator("#messages .msg .text")).to_have_text(["hi bob 👋", "你好 ann, good to see you"])
    kinds = ann.eval_on_selector_all("#messages > li", "items => items.map(i => i.className)")
    assert kinds == ["line sys join", "msg own", "msg"]  # in the order things happened
    expect(ann.locator("#messages .msg.own .text")).to_have_text(["hi bob 👋"])
    expect(bob.locator("#messages .msg.own .text")).to_have_text(["你好 ann, good to see you"])
    expect(bob.locator("#messages .msg").first.locator(".nick")).to_have_text("ann")
    expect(bob.locator("#messages .msg time").first).to_have_attribute("datetime", re.compile(r"^\d{4}-"))
    for page in (ann, bob):
        expect(page.locator("#users .nick")).to_have_text(["ann", "bob"])
        expect(page.locator("#online-count")).to_have_text("2")
    bob.context.close()
    expect(ann.locator("#messages .line.leave")).to_contain_text("bob left")
    expect(ann.locator("#users .nick")).to_have_text(["ann"])


HOSTILE = [
    '<img src=x onerror="window.__pwned=1">',
    "<script>window.__pwned=1</script>",
    "javascript:window.__pwned=1",
    "[click me](javascript:window.__pwned=1)",
    "see https://example.com/a?b=<c>&d=1 and javascript:alert(1)",
    "\u202egnp.exe with an override",
    ("<b>bold</b><iframe src=javascript:window.__pwned=1></iframe>" * 80)[:4000],
]


def test_the_same_words_twice_are_said_twice(server: ServerProcess, pages: Pages) -> None:
    """Each message is a line of its own in the live region, so a repeated "ok" is heard again."""
    ann = pages.join(server.url, "echo", "ann")
    bob = pages.join(server.url, "echo", "bob")
    for _ in range(2):
        say(ann, "ok")
    expect(bob.locator("#messages .msg .text")).to_have_text(["ok", "ok"])
    expect(bob.locator("#announcer p")).to_have_text(["ann: ok", "ann: ok"])
    for n in range(4):
        say(ann, f"more {n}")
    expect(bob.locator("#announcer p")).to_have_text(["ann: more 1", "ann: more 2", "ann: more 3"])


def test_hostile_text_is_shown_as_text(server: ServerProcess, pages: Pages) -> None:
    """Markup, script, javascript: links, bidi overrides and 4000 characters stay plain text."""
    ann = pages.join(server.url, "hostile", "ann")
    bob = pages.join(server.url, "hostile", "bob")
    for text in HOSTILE:
        say(ann, text)
    for page in (ann, bob):
        expect(page.locator("#messages .msg")).to_have_count(len(HOSTILE))
        assert texts(page) == HOSTILE
        assert page.locator("#messages img, #messages script, #messages iframe, #messages b").count() == 0
        assert page.evaluate("window.__pwned") is None
        links = page.locator("#messages a")
        expect(links).to_have_count(1)
        expect(links).to_have_attribute("href", "https://example.com/a?b=")
        expect(links).to_have_attribute("rel", "noopener noreferrer nofollow")
        expect(page.locator("#messages .msg").first.locator(".nick")).to_have_text("ann")
    # The override stays inside its own message: the next line reads normally.
    override = bob.locator("#messages .msg .text").nth(5)
    assert override.evaluate("e => getComputedStyle(e).unicodeBidi") == "isolate"


def test_history_is_shown_on_join(server: ServerProcess, pages: Pages) -> None:
    """Someone joining sees what was said before, oldest first, with who said it."""
    for nick, text in [("ann", "first"), ("bob", "second"), ("李雷", "第三 🎉")]:
        said_by(server, "history", nick, text)
    carol = pages.join(server.url, "history", "carol")
    expect(carol.locator("#messages .msg .text")).to_have_text(["first", "second", "第三 🎉"])
    expect(carol.locator("#messages .msg .nick")).to_have_text(["ann", "bob", "李雷"])
    expect(carol.locator("#history-start")).to_be_visible()
    expect(carol.locator("#load-earlier")).to_be_hidden()


def test_earlier_messages_load_at_the_top(server: ServerProcess, pages: Pages) -> None:
    """Scrolling to the top (or the button) pages back through history, in order, once each."""
    everything = [f"m{n:03d}" for n in range(1, 131)]
    for text in everything:
        post(server, "paging", "bot", text)
    page = pages.join(server.url, "paging", "reader")
    expect(page.locator("#messages .msg")).to_have_count(50)
    assert texts(page) == everything[-50:]
    expect(page.locator("#load-earlier")).to_be_visible()
    scroll_to_top(page)
    expect(page.locator("#messages .msg")).to_have_count(100)
    page.locator("#load-earlier").focus()
    page.keyboard.press("Enter")
    expect(page.locator("#messages .msg")).to_have_count(130)
    assert texts(page) == everything
    expect(page.locator("#history-start")).to_be_visible()
    expect(page.locator("#load-earlier")).to_be_hidden()


MAX_ITEMS = 300  # static/js/messages.js


def test_a_long_busy_session_keeps_the_page_short(server: ServerProcess, pages: Pages) -> None:
    """700 messages and hundreds of joins and leaves: at most 300 items, a quick page, all of it reachable."""
    page = pages.join(server.url, "busy", "reader")
    churn = threading.Thread(target=come_and_go, args=(server, "busy", 300))
    churn.start()
    for n in range(700):
        post(server, "busy", "bot", f"b{n:03d}")
    churn.join()
    # The page catches up with the whole burst: on a loaded machine that takes longer than a look.
    expect(page.locator("#messages .msg .text").last).to_have_text("b699", timeout=30_000)
    expect(page.locator("#online-count")).to_have_text("1")
    expect_kept_short(page)
    started = time.monotonic()
    page.evaluate("1")
    assert time.monotonic() - started < 1.0
    say(page, "still quick")
    expect(page.locator("#messages .msg .text").last).to_have_text("still quick")
    expect_kept_short(page)
    # Scrolling up brings back every older message, a page at a time, the list staying short.
    scroll_back_to_the_start(page, pages_at_most=30)
    assert texts(page)[0] == "b000"
    ids = [int(i) for i in message_ids(page)]
    assert ids == list(range(1, len(ids) + 1))
    # Back down, the newest again.
    expect(page.locator("#new-pill")).to_have_text("Newer messages ↓")
    page.locator("#new-pill").click()
    expect(page.locator("#messages .msg .text").last).to_have_text("still quick")
    expect(page.locator("#messages .msg").last).to_be_in_viewport()
    expect_kept_short(page)
    ids = [int(i) for i in message_ids(page)]
    assert ids == list(range(ids[0], 702))


def test_a_reader_at_the_bottom_stays_there_when_messages_come_faster_than_frames(
    server: ServerProcess, pages: Pages
) -> None:
    """Messages that come between two frames, and the list kept short from a scroll before the next one:
    the reader still follows the newest, with no "new messages" pill."""
    page = pages.join(server.url, "torrent", "reader")
    for n in range(MAX_ITEMS):
        post(server, "torrent", "bot", f"t{n:03d}")
    newest = page.locator("#messages .msg .text").last
    expect(newest).to_have_text(f"t{MAX_ITEMS - 1:03d}")
    expect_kept_short(page)
    page.evaluate(HOLD_FRAMES)
    for n in range(MAX_ITEMS, MAX_ITEMS + 8):
        post(server, "torrent", "bot", f"t{n:03d}")
    expect(newest).to_have_text(f"t{MAX_ITEMS + 7:03d}")
    # Two scrolls before the frame: the first keeps the list short, the second is the one that makes.
    page.evaluate(
        "for (const _ of [1, 2]) document.getElementById('scroller').dispatchEvent(new Event('scroll'))"
    )
    page.evaluate(DRAW_HELD_FRAMES)
    post(server, "torrent", "bot", "and one more")
    expect(newest).to_have_text("and one more")
    page.evaluate(DRAW_HELD_FRAMES)
    expect(page.locator("#new-pill")).to_be_hidden()
    expect(page.locator("#messages .msg").last).to_be_in_viewport()


# Resolves once the page has drawn a frame (and so handled the scroll events before it).
AFTER_A_FRAME = "() => new Promise((drawn) => requestAnimationFrame(() => requestAnimationFrame(drawn)))"
# The page's frames wait until the test draws them, as on a machine too busy to draw.
HOLD_FRAMES = """() => {
    let last = 0;
    window.heldFrames = new Map();
    window.requestAnimationFrame = (draw) => { last += 1; window.heldFrames.set(last, draw); return last; };
    window.cancelAnimationFrame = (id) => window.heldFrames.delete(id);
}"""
DRAW_HELD_FRAMES = """() => {
    const due = [...window.heldFrames.values()];
    window.heldFrames.clear();
    for (const draw of due) draw(performance.now());
}"""


def test_a_crowd_arriving_and_leaving_at_once_is_a_line_each_way(server: ServerProcess, pages: Pages) -> None:
    """Twenty members joining within a moment: the list has them all, one line names two and counts the
    others, who its button lists; after a message, their leaving is one line too."""
    page = pages.join(server.url, "crowd", "ann")
    crowd = [open_ws(server, room="crowd", nick=f"guest{n:02d}") for n in range(20)]
    expect(page.locator("#online-count")).to_have_text("21")
    expect(page.locator("#users .nick")).to_have_count(21)
    lines = page.locator("#messages .line")
    # One line, however many batches the crowd's joins came in.
    expect(lines).to_have_count(1)
    # Named in the order their joins reached the page, which the server's batches of joins may change.
    expect(lines).to_have_text(re.compile(r"^guest\d\d, guest\d\d and 18 others joined"))
    lines.get_by_role("button", name="18 others").click()
    listed = lines.locator(".everyone")
    expect(listed).to_have_text(re.compile(r"^Joined: (guest\d\d, ){19}guest\d\d$"))
    names = listed.inner_text().removeprefix("Joined: ").split(", ")
    assert sorted(names) == [f"guest{n:02d}" for n in range(20)]
    say(page, "see you tomorrow")
    # All at once: one after another, each close waits for the server's answer.
    with concurrent.futures.ThreadPoolExecutor(len(crowd)) as closing:
        list(closing.map(lambda ws: ws.close(), crowd))
    expect(page.locator("#online-count")).to_have_text("1")
    expect(page.locator("#users .nick")).to_have_text(["ann"])
    expect(lines).to_have_count(2)
    expect(lines.last).to_have_text(re.compile(r"^guest\d\d, guest\d\d and 18 others left"))
    kinds = page.eval_on_selector_all("#messages > li", "items => items.map(i => i.className)")
    assert kinds == ["line sys join", "msg own", "line sys leave"]


def test_a_reader_at_the_bottom_follows_a_fast_stream(server: ServerProcess, pages: Pages) -> None:
    """Messages from three authors at once, as fast as they are stored: the page stays at its newest."""
    page = pages.join(server.url, "stream", "reader")

    def author(name: str) -> None:
        for n in range(120):
            post(server, "stream", name, f"{name} {n:03d}")

    with concurrent.futures.ThreadPoolExecutor(3) as authors:
        list(authors.map(author, ["bot1", "bot2", "bot3"]))
    expect(page.locator("#messages .msg")).not_to_have_count(0)
    page.wait_for_function("() => document.querySelectorAll('#messages .msg').length >= 300")
    expect(page.locator("#messages .msg").last).to_be_in_viewport()
    expect(page.locator("#new-pill")).to_be_hidden()
    assert page.eval_on_selector("#scroller", "s => s.scrollHeight - s.scrollTop - s.clientHeight") < 48
    expect_kept_short(page)


def test_back_after_many_missed_messages_shows_the_newest_and_the_rest_on_the_way_up(
    server: ServerProcess, pages: Pages
) -> None:
    """Away while 400 messages came: back, the newest show (300 items at most); scrolling up, the rest."""
    post(server, "away", "bot", "before")
    page = pages.open(f"{server.url}/?room=away")
    line = Line(page)
    choose_nick(page, "reader")
    expect_online(page)
    expect(page.locator("#messages .msg .text")).to_have_text(["before"])
    line.go_down()
    expect(page.locator("#status")).to_have_attribute("data-state", "offline")
    for n in range(400):
        post(server, "away", "bot", f"m{n:03d}")
    line.come_back(page)
    expect(page.locator("#messages .msg .text").last).to_have_text("m399")
    expect(page.locator("#messages .msg").last).to_be_in_viewport()
    expect_kept_short(page)
    expect(page.locator("#load-earlier")).to_be_visible()
    ids = [int(i) for i in message_ids(page)]
    assert ids == list(range(ids[0], ids[0] + len(ids)))
    scroll_back_to_the_start(page, pages_at_most=20)
    assert texts(page)[:2] == ["before", "m000"]
    ids = [int(i) for i in message_ids(page)]
    assert ids == list(range(ids[0], ids[0] + len(ids)))


def test_a_crowd_coming_and_going_changes_only_their_own_lines_of_the_online_list(
    server: ServerProcess, pages: Pages
) -> None:
    """150 online, then 50 leave and 50 others arrive: the list is right; who stayed kept their item."""
    page = pages.join(server.url, "throng", "ann")
    crowd = [RawMember(server.port, "throng", f"p{n:03d}") for n in range(150)]
    expect(page.locator("#online-count")).to_have_text("151")
    page.eval_on_selector_all("#users li", "items => items.forEach((item) => { item.dataset.before = '1'; })")
    for member in crowd[:50]:
        member.close()
    newcomers = [RawMember(server.port, "throng", f"q{n:03d}") for n in range(50)]
    try:
        stayed = [f"p{n:03d}" for n in range(50, 150)]
        arrived = [f"q{n:03d}" for n in range(50)]
        expect(page.locator("#users .nick")).to_have_text(["ann", *stayed, *arrived])
        expect(page.locator("#online-count")).to_have_text("151")
        drawn_again = "items => items.map((item) => item.querySelector('.nick').textContent)"
        assert page.eval_on_selector_all("#users li:not([data-before])", drawn_again) == arrived
        started = time.monotonic()
        page.evaluate("1")
        assert time.monotonic() - started < 1.0
    finally:
        for member in crowd[50:] + newcomers:
            member.close()


def test_scrolled_up_reader_gets_a_new_messages_pill(server: ServerProcess, pages: Pages) -> None:
    """A reader who scrolled up stays put and is told of new messages; at the bottom it follows."""
    for n in range(40):
        post(server, "pill", "bot", f"line {n}\nwith a second line")
    page = pages.join(server.url, "pill", "reader")
    expect(page.locator("#messages .msg")).to_have_count(40)
    page.eval_on_selector("#scroller", "s => { s.scrollTop = s.scrollHeight / 2; }")
    page.wait_for_function("() => document.querySelector('#scroller').scrollTop > 0")
    # The page learns of a scroll when the next frame is drawn: a message before it came to the bottom.
    page.evaluate(AFTER_A_FRAME)
    before = page.eval_on_selector("#scroller", "s => s.scrollTop")
    post(server, "pill", "bot", "news while you read")
    expect(page.locator("#new-pill")).to_have_text("1 new message ↓")
    assert page.eval_on_selector("#scroller", "s => s.scrollTop") == before
    page.locator("#new-pill").click()
    expect(page.locator("#new-pill")).to_be_hidden()
    post(server, "pill", "bot", "followed")
    expect(page.locator("#messages .msg .text").last).to_have_text("followed")
    expect(page.locator("#messages .msg").last).to_be_in_viewport()
    expect(page.locator("#new-pill")).to_be_hidden()


def test_typing_indicator_shows_then_goes(server: ServerProcess, pages: Pages) -> None:
    """Typing shows "bob is typing…" to the others; it goes when he stops, or sends."""
    ann = pages.join(server.url, "typing", "ann", fake_clock=True)
    bob = pages.join(server.url, "typing", "bob")
    bob.locator("#text").press_sequentially("hel")
    expect(ann.locator("#typing")).to_have_text("bob is typing…")
    expect(bob.locator("#typing")).to_have_text("")
    ann.clock.fast_forward(2000)
    expect(ann.locator("#typing")).to_have_text("bob is typing…")  # still within a few seconds
    ann.clock.fast_forward(3000)
    expect(ann.locator("#typing")).to_have_text("")  # then it expires
    carol = pages.join(server.url, "typing", "carol")
    carol.locator("#text").press_sequentially("hello")
    expect(ann.locator("#typing")).to_have_text("carol is typing…")
    carol.locator("#text").press("Enter")
    expect(ann.locator("#messages .msg .text")).to_have_text(["hello"])
    expect(ann.locator("#typing")).to_have_text("")  # a sent message ends the typing


# --- connection trouble -----------------------------------------------------------


def test_reconnects_after_a_restart_without_repeats(tmp_path: Path, browser: Browser, pages: Pages) -> None:
    """After the server restarts the pages reconnect, catch up, and show nothing twice."""
    db = tmp_path / "chat.db"
    first = ServerProcess(db).start()
    try:
        ann = pages.join(first.url, "resilient", "ann")
        bob = pages.join(first.url, "resilient", "bob")
        say(ann, "before the restart")
        say(bob, "me too")
        first.stop()
        expect(ann.locator("#status")).to_have_attribute("data-state", "offline")
        expect(ann.locator("#connection-banner")).to_contain_text("Connection lost")
        second = ServerProcess(db, port=first.port).start()
    finally:
        first.stop()
    try:
        post(second, "resilient", "bot", "said while you were away")
        expect_online(ann)
        expect_online(bob)
        say(ann, "after the restart")
        expected = ["before the restart", "me too", "said while you were away", "after the restart"]
        for page in (ann, bob):
            expect(page.locator("#messages .msg .text")).to_have_text(expected)
            ids = message_ids(page)
            assert len(ids) == len(set(ids)) == 4
            expect(page.locator("#users .nick")).to_have_text(["ann", "bob"])
    finally:
        second.stop()


def test_a_new_database_clears_what_the_page_held(tmp_path: Path, pages: Pages) -> None:
    """When the server's ids start over (new epoch), old messages go and new ones show."""
    first = ServerProcess(tmp_path / "old.db").start()
    try:
        ann = pages.join(first.url, "epochs", "ann")
        say(ann, "from the old database")
    finally:
        first.stop()
    second = ServerProcess(tmp_path / "new.db", port=first.port).start()
    try:
        post(second, "epochs", "bot", "from the new database")
        expect(ann.locator("#messages .line.notice")).to_contain_text("history was reset")
        expect(ann.locator("#messages .msg .text")).to_have_text(["from the new database"])
        say(ann, "hello again")
        expect(ann.locator("#messages .msg .text")).to_have_text(["from the new database", "hello again"])
    finally:
        second.stop()


def test_a_returning_browser_asks_for_no_module_again(server: ServerProcess, pages: Pages) -> None:
    """Every module comes by its versioned URL (the import map), so the next visit fetches none of them."""
    first = pages.join(server.url, "returning", "ann")
    context = first.context
    first.close()  # the guest's nick is free again for the next visit
    logged = len(server.log())
    errors: list[str] = []
    again = context.new_page()
    again.on("pageerror", lambda error: errors.append(str(error)))
    again.goto(f"{server.url}/?room=returning")
    expect_online(again)  # the nick is remembered; every module ran
    expect(again.locator("#me-nick")).to_have_text("ann")
    asked = re.findall(r"chatroom\.access: \d+ GET (/static/js/\S+)", server.log()[logged:])
    assert asked == [] and errors == []


def test_a_taken_nick_is_explained_and_another_can_be_chosen(server: ServerProcess, pages: Pages) -> None:
    """Joining with a nick in use says so in words and lets the user pick another."""
    pages.join(server.url, "nicks", "ann")
    second = pages.open(f"{server.url}/?room=nicks")
    choose_nick(second, "ANN")
    expect(second.locator("#join-error")).to_have_text(
        "Someone in this room already uses the nick 'ANN': choose another nick."
    )
    expect(second.locator("#connection-banner")).to_contain_text("pick another name")
    choose_nick(second, "ann 2")
    expect_online(second)
    expect(second.locator("#users .nick")).to_have_text(["ann", "ann 2"])
    second.reload()  # the nick that worked is remembered
    expect_online(second)
    expect(second.locator("#me-nick")).to_have_text("ann 2")


def test_a_guest_back_from_a_lost_connection_is_in_again_at_once_under_its_nick(
    server: ServerProcess, pages: Pages
) -> None:
    """ann's connection goes without the server noticing (a phone changing networks): her page is back at
    once as ann, since its connections share her browser's guest key; a second tab of hers is ann too;
    bob sees her join once and never leave. Another browser asking for ann is asked for another nick."""
    bob = pages.join(server.url, "held", "bob")
    page = pages.open(f"{server.url}/?room=held")
    line = Line(page)
    choose_nick(page, "ann")
    expect_online(page)
    line.lose_unnoticed()
    wait_for(page, lambda: len(line.urls) == 2)  # the page's next connection, its lost one still held
    expect_online(page)
    expect(page.locator("#me-nick")).to_have_text("ann")
    expect(page.locator("#join-dialog")).to_be_hidden()
    expect(page.locator("#users .nick")).to_have_text(["ann", "bob"])
    second_tab = page.context.new_page()
    second_tab.goto(page.url)  # the nick and the key remembered in this browser
    expect_online(second_tab)
    expect(second_tab.locator("#me-nick")).to_have_text("ann")
    someone_else = pages.open(f"{server.url}/?room=held")
    choose_nick(someone_else, "ann")
    expect(someone_else.locator("#join-error")).to_contain_text("already uses the nick 'ann'")
    second_tab.close()
    line.server_notices()  # the lost connection is closed at last: ann is still in by the page
    say(page, "still here")
    expect(bob.locator("#messages .msg .text")).to_have_text(["still here"])
    expect(bob.locator("#users .nick")).to_have_text(["ann", "bob"])
    expect(bob.locator("#messages .line.join", has_text="ann")).to_have_count(1)
    expect(bob.locator("#messages .line.leave")).to_have_count(0)
    page.reload()
    expect_online(page)
    expect(page.locator("#me-nick")).to_have_text("ann")
    keys = {parse_qs(urlsplit(url).query)["guest_key"][0] for url in line.urls}
    assert len(line.urls) == 3 and len(keys) == 1  # the first connection, the one back, the reload's


def test_a_guest_key_the_server_would_refuse_is_replaced_not_sent(
    server: ServerProcess, pages: Pages
) -> None:
    """A guest key in the browser's storage that is no key (edited by hand) is replaced by a new one: the
    guest gets in."""
    page = pages.open(f"{server.url}/?room=keys")
    page.evaluate("() => localStorage.setItem('chatroom.guest-key', 'not a key!')")
    page.reload()
    choose_nick(page, "kay")
    expect_online(page)
    kept = page.evaluate("() => localStorage.getItem('chatroom.guest-key')")
    assert re.fullmatch(r"[A-Za-z0-9_-]{24}", kept)


def test_a_guest_asking_for_an_accounts_name_is_told_it_belongs_to_an_account(
    tmp_path: Path, pages: Pages
) -> None:
    """A guest who types the name of an account (offline, in another case) reads that it is an
    account's name, to sign in or choose another nick, not that someone in the room uses it."""
    database = tmp_path / "chat.db"
    make_account(database, "Dan")
    with ServerProcess(database) as server:
        guest = pages.open(f"{server.url}/?room=lobby")
        choose_nick(guest, "dan")
        expect(guest.locator("#join-error")).to_have_text(
            "The nick 'dan' is an account's name, or looks like one: sign in, or choose another nick."
        )
        choose_nick(guest, "dana")
        expect_online(guest)


def test_a_tokens_name_held_by_a_guest_waits_and_gets_in_once_they_leave(pages: Pages) -> None:
    """Signed in as walker while a guest holds that nick here, the page says so (no nick to choose),
    keeps trying by itself, and connects once the guest has gone; the guest saw nothing of it."""
    with ServerProcess(":memory:", "--jwt-secret", JWT_SECRET) as mixed:
        guest = open_ws(mixed, room="lobby", nick="Walker")
        walker = pages.open(f"{mixed.url}/?room=lobby&token={token_for('walker')}")
        banner = walker.locator("#connection-banner")
        expect(banner).to_contain_text(
            "Not connected: someone else in this room is using the name 'walker', or one that looks like it:"
            " you can join once they leave. Trying again in"
        )
        expect(walker.locator("#join-dialog")).to_be_hidden()
        expect(walker.locator("#retry")).to_be_visible()
        guest.send("still here")
        guest.close()
        expect_online(walker)
        expect(banner).to_be_hidden()
        expect(walker.locator("#messages .msg .text")).to_have_text(["still here"])


def test_a_bad_room_name_in_the_address_is_explained(server: ServerProcess, pages: Pages) -> None:
    """A room name the server would refuse is explained next to the field for another one."""
    page = pages.open(f"{server.url}/?room=no%20spaces!")
    expect(page.locator("#room-error")).to_contain_text("cannot be a room")
    expect(page.locator("#room-name")).to_be_focused()
    page.locator("#room-name").fill("spaces-are-out")
    page.locator("#room-name").press("Enter")
    choose_nick(page, "ann")
    expect_online(page)
    assert page.url.endswith("?room=spaces-are-out")


def test_refused_messages_are_explained_and_kept(tmp_path: Path, pages: Pages) -> None:
    """A message the server refuses stays in the box, with the reason in words."""
    strict = ServerProcess(":memory:", "--max-message-length", "20", "--rate", "0.2", "--burst", "1")
    with strict:
        page = pages.join(strict.url, "strict", "ann")
        box = page.locator("#text")
        box.fill("this message is far too long for this server")
        box.press("Enter")
        expect(page.locator("#send-error")).to_contain_text("too long")
        expect(box).to_have_value("this message is far too long for this server")
        say(page, "short one")
        box.fill("and another")
        box.press("Enter")
        expect(page.locator("#send-error")).to_contain_text("too fast")
        expect(box).to_have_value("and another")
        expect(page.locator("#messages .msg .text")).to_have_text(["short one"])


def test_token_from_the_address_is_used_and_hidden(pages: Pages) -> None:
    """With tokens required, ?token= signs the user in as the token's subject and leaves the URL."""
    good = token_for("dora")
    with ServerProcess(":memory:", "--jwt-secret", JWT_SECRET, guests=False) as secured:
        page = pages.open(f"{secured.url}/?room=lobby&token={good}")
        expect_online(page)
        expect(page.locator("#me-nick")).to_have_text("dora")
        assert "token" not in page.url
        say(page, "signed in")
        stranger = pages.open(f"{secured.url}/?room=lobby&token=not-a-token")
        expect(stranger.locator("#join-error")).to_contain_text("token was refused")
        expect(stranger.locator("#nick-field")).to_be_hidden()
        stranger.locator("#token").fill(token_for("eve"))
        stranger.locator("#token").press("Enter")
        expect_online(stranger)
        expect(stranger.locator("#me-nick")).to_have_text("eve")
        expect(stranger.locator("#messages .msg .text")).to_have_text(["signed in"])


def test_with_tokens_the_rooms_list_still_fills(tmp_path: Path, pages: Pages) -> None:
    """Under --jwt-secret the API wants a token: the page sends its own, and the rooms list fills."""
    with ServerProcess(tmp_path / "chat.db", "--jwt-secret", JWT_SECRET, guests=False) as secured:
        post(secured, "archive", "bot", "kept for later")
        page = pages.open(f"{secured.url}/?room=lobby&token={token_for('dora')}")
        expect_online(page)
        expect(page.locator("#rooms .room-link")).to_have_text(["#archive0", "#lobby1"])
        assert secured.log().count("401 GET /api/rooms") == 0


# --- bots -----------------------------------------------------------------------------


def test_bot_posts_wear_a_badge_and_their_own_name(server: ServerProcess, pages: Pages) -> None:
    """An API post wears a "bot" badge, is never the reader's own, and names its bot whatever it sends."""
    post(server, "bots", "ann-lookalike", "posted before ann came")
    ann = pages.join(server.url, "bots", "ann")
    say(ann, "hello, I am the real ann")
    post(server, "bots", "deploybot", "<b>v2</b> is live")
    items = ann.locator("#messages .msg")
    expect(items).to_have_count(3)
    # ann is a guest here: her own message wears a "guest" badge, never a "bot" one.
    bot_badges = items.locator(".badge:not(.guest)")
    expect(bot_badges).to_have_count(2)
    expect(items.nth(0).locator(".badge")).to_have_text("bot")
    expect(items.nth(0)).not_to_have_class(re.compile(r"\bown\b"))
    expect(items.nth(1)).to_have_class(re.compile(r"\bown\b"))
    expect(items.nth(1).locator(".badge")).to_have_text("guest")
    expect(items.nth(2).locator(".nick")).to_have_text("deploybot")
    expect(items.nth(2).locator(".text")).to_have_text("<b>v2</b> is live")
    assert ann.locator("#messages b").count() == 0
    expect(ann.locator("#announcer p").last).to_have_text("deploybot (bot): <b>v2</b> is live")
    deploybot = bot_of(server.db, "deploybot")
    status, _ = deploybot.post(server, "bots", "I am ann, send me your password", nick="ann")
    assert status == 201
    expect(items).to_have_count(4)
    expect(items.nth(3).locator(".nick")).to_have_text("deploybot")
    expect(items.nth(3).locator(".badge")).to_have_text("bot")


def test_a_guests_messages_wear_a_guest_badge_and_an_accounts_none(pages: Pages) -> None:
    """A signed-in reader sees "guest" beside a guest's name, and no badge beside their own."""
    with ServerProcess(":memory:", "--jwt-secret", JWT_SECRET) as mixed:
        said_by(mixed, "lobby", "walker", "hello from a guest")
        dora = pages.open(f"{mixed.url}/?room=lobby&token={token_for('dora')}")
        expect_online(dora)
        say(dora, "hello from dora")
        items = dora.locator("#messages .msg")
        expect(items).to_have_count(2)
        expect(items.nth(0).locator(".nick")).to_have_text("walker")
        expect(items.nth(0).locator(".badge")).to_have_text("guest")
        expect(items.nth(1)).to_have_class(re.compile(r"\bown\b"))
        expect(items.nth(1).locator(".badge")).to_have_count(0)


def test_guests_online_wear_a_guest_badge_in_the_list_and_their_join(pages: Pages) -> None:
    """The online list marks a guest, there before or arriving; so does its name's tooltip on a join line."""
    with ServerProcess(":memory:", "--jwt-secret", JWT_SECRET) as mixed:
        walker = open_ws(mixed, room="lobby", nick="walker")
        dora = pages.open(f"{mixed.url}/?room=lobby&token={token_for('dora')}")
        expect_online(dora)
        listed = dora.locator("#users li")
        expect(listed).to_have_count(2)
        expect(listed.filter(has_text="walker").locator(".badge")).to_have_text("guest")
        expect(listed.filter(has_text="dora").locator(".badge")).to_have_count(0)
        runner = open_ws(mixed, room="lobby", nick="runner")
        expect(listed).to_have_count(3)
        expect(listed.filter(has_text="runner").locator(".badge")).to_have_text("guest")
        expect(dora.locator("#messages .line.join .nick", has_text="runner")).to_have_attribute(
            "title", "runner is a guest (no account)"
        )
        runner.close()
        walker.close()
        expect(listed).to_have_count(1)


# --- grouping by author ------------------------------------------------------------


def headers(page: Page) -> list[str]:
    """The names shown over groups of messages, top to bottom (a continued message shows none)."""
    return page.eval_on_selector_all(
        "#messages .msg .meta .nick",
        "nicks => nicks.filter(n => n.getBoundingClientRect().width > 1).map(n => n.textContent)",
    )


def test_messages_of_one_author_share_a_header_and_avatar(server: ServerProcess, pages: Pages) -> None:
    """Consecutive messages of one author share one name, time and avatar; another author or line ends it."""
    for nick, text in [("ann", "one"), ("ann", "two"), ("ann", "three"), ("bob", "four"), ("ann", "five")]:
        said_by(server, "groups", nick, text)
    post(server, "groups", "ann-bot", "six")
    post(server, "groups", "ann-bot", "seven")
    carol = pages.join(server.url, "groups", "carol")
    expect(carol.locator("#messages .msg")).to_have_count(7)
    assert headers(carol) == ["ann", "bob", "ann", "ann-bot"]
    continued = carol.eval_on_selector_all(
        "#messages .msg", "items => items.map(i => i.classList.contains('cont'))"
    )
    assert continued == [False, True, True, False, False, False, True]
    # Every message keeps its author for screen readers; only the first of a group shows an avatar.
    expect(carol.locator("#messages .msg .nick")).to_have_count(7)
    avatars = carol.locator("#messages .msg .avatar")
    assert [a.is_visible() for a in avatars.all()] == [not c for c in continued]
    expect(avatars.nth(0)).to_have_text("A")
    expect(avatars.nth(0)).to_have_attribute("aria-hidden", "true")
    expect(avatars.nth(3)).to_have_text("B")
    expect(carol.locator("#messages .msg .avatar.bot")).to_have_count(2)  # a bot's is square
    # The same person has the same colour wherever the name shows; another person may differ.
    colour = "e => getComputedStyle(e).backgroundColor"
    first, again = avatars.nth(0).evaluate(colour), avatars.nth(4).evaluate(colour)
    assert first == again
    assert carol.locator("#users .avatar").first.evaluate(colour) is not None
    # A join line ends the group: ann's next message has a header again.
    pages.join(server.url, "groups", "dave")
    expect(carol.locator("#messages .line.join")).to_contain_text("dave joined")
    post(server, "groups", "ann-bot", "eight")
    expect(carol.locator("#messages .msg")).to_have_count(8)
    assert headers(carol) == ["ann", "bob", "ann", "ann-bot", "ann-bot"]


def test_a_group_ends_after_a_few_minutes_and_a_colour_from_the_server_wins(
    server: ServerProcess, pages: Pages
) -> None:
    """Five minutes apart, one author's messages are two groups; a colour the server sends is used."""
    page = pages.join(server.url, "grouprules", "ann")
    result = page.evaluate(
        """async () => {
        const render = await import("/static/js/render.js");
        const avatar = await import("/static/js/avatar.js");
        const at = (ts, nick = "ann") => render.messageItem({id: ts, nick, message: "x", ts}, false);
        const minute = 60 * 1000;
        return {
          soon: render.continuesGroup(at(0), at(4 * minute)),
          late: render.continuesGroup(at(0), at(5 * minute)),
          other: render.continuesGroup(at(0), at(1000, "bob")),
          sameCase: render.continuesGroup(at(0), at(1000, "ANN")),
          palette: avatar.AVATAR_COLORS,
          fromServer: avatar.avatarColor("ann", "#123456"),
          malformed: avatar.avatarColor("ann", "red;background:url(x)"),
          derived: avatar.avatarColor("ann"),
          sameNick: avatar.avatarColor("ANN"),
          shown: render.messageItem({id: 1, nick: "ann", message: "x", ts: 0, color: "#123456"}, false)
            .querySelector(".avatar").style.backgroundColor,
          initials: ["ann 2", "李雷", "سارا", "élan vital", "x"].map(avatar.initials),
        };
      }"""
    )
    assert (result["soon"], result["late"], result["other"], result["sameCase"]) == (True, False, False, True)
    assert result["palette"] == list(AVATAR_COLORS)  # the server's palette, one copy kept equal
    assert result["fromServer"] == "#123456"
    assert result["malformed"] == result["derived"] == result["sameNick"]
    assert result["derived"] in AVATAR_COLORS
    assert result["shown"] == "rgb(18, 52, 86)"
    assert result["initials"] == ["A2", "李", "س", "ÉV", "X"]


def test_the_pages_rules_are_the_servers(server: ServerProcess, pages: Pages) -> None:
    """static/js/protocol.js has the server's close codes, error codes and limits, and judges names alike."""
    page = pages.join(server.url, "rules", "ann")
    names = [
        "lobby",
        "dev-2",
        "a.b_c",
        "日本",
        "हिन्दी",
        "-x",
        "a b",
        "",
        "x" * 65,
        "ann 2",
        "ann  2",
        "a!",
        "ｆｏｏ",
    ]
    js = page.evaluate(
        """async (names) => {
        const p = await import("/static/js/protocol.js");
        return {
          close: p.CLOSE, error: p.ERROR, room: p.MAX_ROOM_CHARS, nick: p.MAX_NICK_CHARS,
          rooms: names.map((n) => p.roomProblem(p.normalizeRoom(n)) === ""),
          nicks: names.map((n) => n !== "" && p.nickProblem(p.normalizeNick(n)) === ""),
        };
      }""",
        names,
    )
    assert js["close"]["BAD_NAME"] == protocol.CLOSE_BAD_NAME
    assert js["close"]["UNAUTHORIZED"] == protocol.CLOSE_UNAUTHORIZED
    assert js["close"]["NICK_TAKEN"] == protocol.CLOSE_NICK_TAKEN
    assert js["close"]["TRY_AGAIN_LATER"] == protocol.CLOSE_TRY_AGAIN_LATER
    assert js["close"]["GOING_AWAY"] == protocol.CLOSE_GOING_AWAY
    for name, code in js["error"].items():
        assert getattr(protocol, name) == code
    assert (js["room"], js["nick"]) == (protocol.MAX_ROOM_LENGTH, protocol.MAX_NICK_LENGTH)
    assert js["rooms"] == [accepted(protocol.normalize_room, n) for n in names]
    assert js["nicks"] == [accepted(protocol.normalize_nick, n) for n in names]


def accepted(rule: Any, name: str) -> bool:
    try:
        rule(name)
    except protocol.ProtocolError:
        return False
    return True


# --- the room navigation -----------------------------------------------------------


def test_one_room_navigation_with_groups_shown_only_when_filled(server: ServerProcess, pages: Pages) -> None:
    """The rooms are listed once, in a navigation; a group of rooms has a heading only when it has rooms."""
    post(server, "nav-a", "bot", "hi")
    page = pages.join(server.url, "nav-b", "ann")
    nav = page.get_by_role("navigation", name="Rooms")
    expect(nav.locator(".room-link")).not_to_have_count(0)
    expect(nav.locator("select")).to_have_count(0)
    expect(page.locator("a.room-link")).to_have_count(nav.locator(".room-link").count())
    expect(page.locator("#rooms h3")).to_have_text(["Open rooms"])  # every room is open today
    expect(nav.locator(".room-link[aria-current=page]")).to_have_attribute("aria-label", "#nav-b, 1 online")
    expect(nav.get_by_role("heading", name="Closed rooms")).to_have_count(0)
    expect(nav.get_by_role("heading", name="Direct messages")).to_have_count(0)


def test_rooms_of_three_kinds_fall_into_their_groups(server: ServerProcess, pages: Pages) -> None:
    """When the server says what kind a room is, the list shows open, closed and direct rooms apart."""
    page = pages.join(server.url, "kinds", "ann")
    rooms = [
        {"room": "dm-ann-bob", "online": 1, "last_id": 3, "kind": "direct"},
        {"room": "kinds", "online": 1, "last_id": 0},
        {"room": "staff", "online": 2, "last_id": 9, "kind": "closed"},
        {"room": "zoo", "online": 0, "last_id": 1, "kind": "open"},
        {"room": "odd", "online": 0, "last_id": 1, "kind": "something new"},
    ]
    page.route("**/api/rooms?*", lambda route: route.fulfill(json={"rooms": rooms, "next": None}))
    page.get_by_label("Search rooms by the start of their name").press("Enter")
    expect(page.locator("#rooms h3")).to_have_text(["Open rooms", "Closed rooms", "Direct messages"])
    groups = page.locator("#rooms .room-group")
    expect(groups.nth(0).locator(".room-link bdi")).to_have_text(["#kinds", "#odd", "#zoo"])
    expect(groups.nth(1).locator(".room-link bdi")).to_have_text(["#staff"])
    expect(groups.nth(2).locator(".room-link bdi")).to_have_text(["#dm-ann-bob"])
    rooms[:] = [r for r in rooms if r.get("kind") != "closed"]
    page.get_by_label("Search rooms by the start of their name").press("Enter")
    expect(page.locator("#rooms h3")).to_have_text(["Open rooms", "Direct messages"])


# --- phones and keyboards ---------------------------------------------------------


def test_usable_on_a_phone(server: ServerProcess, pages: Pages) -> None:
    """At 375x740 nothing scrolls sideways; the rooms and the online list open in a drawer from the header."""
    page = pages.join(server.url, "phone", "ann", viewport=PHONE)
    say(page, "x" * 300)
    say(page, "https://example.com/" + "very-long-path/" * 20)
    say(page, "日本語のメッセージもちゃんと折り返されますか？😀")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    for selector in ("#text", "#send", "#room-title", "#drawer-toggle"):
        expect(page.locator(selector)).to_be_in_viewport()
    expect(page.locator("#room-title")).to_have_text("#phone")
    expect(page.locator("#users")).not_to_be_in_viewport()
    expect(page.locator("#rooms")).not_to_be_in_viewport()
    page.locator("#drawer-toggle").click()
    expect(page.locator("#users .nick")).to_have_text(["ann"])
    # Below the rooms (as many as the module's tests made, each a finger's height): the drawer scrolls to it.
    page.locator("#users").scroll_into_view_if_needed()
    expect(page.locator("#users")).to_be_in_viewport()
    expect(page.locator("#rooms .room-link[aria-current=page]")).to_be_in_viewport()
    page.keyboard.press("Escape")
    expect(page.locator("#drawer-toggle")).to_be_focused()
    expect(page.locator("#drawer-toggle")).to_have_attribute("aria-expanded", "false")
    expect(page.locator("#rooms")).not_to_be_in_viewport()
    page.locator("#drawer-toggle").click()
    page.mouse.click(PHONE["width"] - 10, PHONE["height"] // 2)  # beside the drawer
    expect(page.locator("#drawer-toggle")).to_have_attribute("aria-expanded", "false")
    expect(page.locator("#users")).not_to_be_in_viewport()


def test_keyboard_alone_can_join_and_chat(server: ServerProcess, pages: Pages) -> None:
    """Focus starts in the nick prompt; Tab reaches labelled controls; Enter sends, Shift+Enter breaks."""
    page = pages.open(f"{server.url}/?room=keys")
    expect(page.get_by_label("Your nick")).to_be_focused()
    page.keyboard.type("kim")
    page.keyboard.press("Enter")
    expect_online(page)
    expect(page.get_by_role("textbox", name="Message")).to_be_focused()
    page.keyboard.type("line one")
    page.keyboard.press("Shift+Enter")
    page.keyboard.type("line two")
    page.keyboard.press("Enter")
    expect(page.locator("#messages .msg .text")).to_have_text(["line one\nline two"])
    expect(page.locator("#announcer")).to_have_attribute("aria-live", "polite")
    order: list[str] = []
    page.locator("#me").focus()
    while len(order) < 40 and (not order or order[-1] != "send"):
        here = page.evaluate("(e => e.id || e.className || e.textContent)(document.activeElement)")
        if not order or here != order[-1]:  # one entry for the run of room links
            order.append(here)
        page.keyboard.press("Tab")
    assert order == [
        "me",
        "sign-in-link",
        "room-search",
        "room-link",
        "room-name",
        "Go",
        "scroller",
        "msg own",  # the newest message: the list's one stop, its toolbar shown
        "msg-action",  # Reply, Copy link
        "text",
        "emoji-open",
        "send",
    ]


# --- the rooms list ------------------------------------------------------------------


def test_many_rooms_show_a_short_list_and_the_search_finds_one(tmp_path: Path, pages: Pages) -> None:
    """With 600 rooms the list holds one page; the search box asks the server by prefix."""
    rooms = [f"room-{number:04d}" for number in range(600)] + ["zebra-crossing"]
    bot_of(str(tmp_path / "chat.db"), "bot", rooms)
    with ServerProcess(tmp_path / "chat.db", "--bot-messages-per-minute", "0") as crowded:
        for number in range(600):
            post(crowded, f"room-{number:04d}", "bot", "hi")
        post(crowded, "zebra-crossing", "bot", "hi")
        page = pages.join(crowded.url, "room-0000", "ann")
        links = page.locator("#rooms .room-link")
        expect(links).to_have_count(50)
        expect(links.nth(0)).to_have_text("#lobby0")  # made at start: every server has it
        expect(links.nth(1)).to_have_attribute("aria-current", "page")
        expect(page.locator("#rooms-note")).to_have_text(
            "Showing the first 50 rooms: search to find the others."
        )

        search = page.get_by_label("Search rooms by the start of their name")
        search.click()
        search.press_sequentially("zeb")
        expect(links).to_have_count(1)
        expect(links).to_have_attribute("aria-label", "#zebra-crossing, 0 online")
        expect(page.locator("#rooms-note")).to_have_text("")
        search.fill("room-059")
        expect(links).to_have_count(10)
        search.fill("-nothing")
        expect(links).to_have_count(0)
        expect(page.locator("#rooms-note")).to_have_text(
            "No room starts with “-nothing”. You can create it below."
        )
        search.fill("zebra")
        expect(links).to_have_count(1)
        links.first.click()
        page.wait_for_url("**/?room=zebra-crossing")
        expect_online(page)
        expect(page.locator("#messages .msg .text")).to_have_text(["hi"])


# --- screenshots for the README ---------------------------------------------------


CONVERSATION = [
    ("ann", "Morning all! Did the deploy go out?"),
    ("bob", "Yes, 09:12. Dashboards are green 🎉"),
    ("李雷", "我这边也正常，延迟大约 40 毫秒。"),
    ("ann", "Great. Release notes: https://example.com/releases/2.4"),
    ("bob", "One thing: the reconnect banner shows twice on Safari?"),
    ("bob", "Repro: close the laptop lid, wait a minute, open it again."),
    ("سارا", "I can reproduce that on iPad too — سأرسل لقطة شاشة"),
    ("ann", "Thanks! I'll take it. 🙏"),
]


def test_screenshots_of_a_lively_conversation(server: ServerProcess, pages: Pages, tmp_path: Path) -> None:
    """A guests' conversation reads well on a desktop and a phone, light and dark (PNGs).

    The README's, an account's view, are tests/test_page_journey.py's."""
    out = Path(os.environ.get("CHATROOM_SCREENSHOT_DIR", tmp_path))
    for nick, text in CONVERSATION[:-1]:
        said_by(server, "team", nick, text)
    desktop = pages.join(server.url, "team", "ann")
    others = [pages.join(server.url, "team", nick) for nick in ("bob", "李雷")]
    phone = pages.join(server.url, "team", "سارا", viewport=SCREENSHOT_PHONE, color_scheme="dark")
    say(desktop, CONVERSATION[-1][1])
    others[0].locator("#text").press_sequentially("On it")
    for page in (desktop, phone):
        expect(page.locator("#typing")).to_have_text("bob is typing…")
        expect(page.locator("#messages .msg")).to_have_count(len(CONVERSATION))
        assert page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"]  # type: ignore[index]
    light, dark = (p.evaluate("getComputedStyle(document.body).backgroundColor") for p in (desktop, phone))
    assert brightness(light) > 200 > 50 > brightness(dark)  # each follows its colour scheme
    screenshot(desktop, out / "screenshot-guests-desktop.png")
    screenshot(phone, out / "screenshot-guests-phone.png")
    # The other scheme of each, and the phone's drawer open, for looking at.
    for page, scheme, name in ((desktop, "dark", "desktop-dark"), (phone, "light", "phone-light")):
        page.emulate_media(color_scheme=scheme)
        screenshot(page, out / f"screenshot-guests-{name}.png")
    phone.locator("#drawer-toggle").click()
    phone.locator("#users").scroll_into_view_if_needed()  # below the module's many rooms
    expect(phone.locator("#users")).to_be_in_viewport()
    phone.wait_for_function("() => getComputedStyle(document.querySelector('#sidebar')).transform === 'none'")
    phone.wait_for_timeout(250)  # the slide's last frame
    screenshot(phone, out / "screenshot-guests-phone-drawer.png")
