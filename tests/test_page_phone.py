"""The chat page on a phone's touch screen (static/*.css, static/js/*.js) in Chromium, pressed by a finger."""

from __future__ import annotations

import json
from pathlib import Path

from playwright.sync_api import FloatRect, Locator, Page, expect

from tests import test_page_changes
from tests.clients import frames_until, send_message, welcomed
from tests.sample_files import picture
from tests.support import ServerProcess
from tests.test_account_pages import fill_account_form, sign_in
from tests.test_page import PHONE, SCREENSHOT_PHONE, Pages, expect_online, say
from tests.test_page_changes import accessible_names, message, open_as, open_room, shoot
from tests.test_page_files import attach_by_button
from tests.web_client import set_up

# A server of accounts signed in with tokens, as the changes page tests have.
server = test_page_changes.server

TOUCH = {"viewport": SCREENSHOT_PHONE, "has_touch": True, "is_mobile": True}
LANDSCAPE = {"width": 844, "height": 390}  # the same phone turned on its side
HOLD_MS = 700  # longer than the page's long press (static/js/message_state.js)
TAP_TARGET = 40  # pixels: about a fingertip


def long_press(page: Page, x: float, y: float) -> None:
    """A finger down at (x, y), held, then lifted: the touch events a phone's screen sends."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": [{"x": x, "y": y}]})
    page.wait_for_timeout(HOLD_MS)
    cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
    cdp.detach()


def within(inner: Locator, outer: Locator) -> bool:
    """Whether ``inner`` shows wholly inside ``outer``'s box, from top to bottom."""
    a, b = inner.bounding_box(), outer.bounding_box()
    assert a is not None and b is not None
    return a["y"] >= b["y"] and a["y"] + a["height"] <= b["y"] + b["height"]


def inside(inner: FloatRect | None, outer: FloatRect | dict[str, float] | None) -> bool:
    """Whether the box ``inner`` lies wholly inside ``outer`` (to within a pixel)."""
    assert inner is not None and outer is not None
    return (
        inner["x"] >= outer["x"] - 1
        and inner["y"] >= outer["y"] - 1
        and inner["x"] + inner["width"] <= outer["x"] + outer["width"] + 1
        and inner["y"] + inner["height"] <= outer["y"] + outer["height"] + 1
    )


def test_a_long_press_low_on_a_tall_message_shows_its_actions_in_view(
    server: ServerProcess, pages: Pages, tmp_path: Path
) -> None:
    """A message taller than the screen, its top scrolled away: pressed near the bottom, its toolbar shows
    where it can be seen and tapped, not above the screen's edge."""
    open_room(server, "essays")
    ann = open_as(pages, server, "ann", "essays", **TOUCH)
    essay = "\n\n".join(
        f"Paragraph {n}: the long answer to the question, every reason given." for n in range(30)
    )
    say(ann, essay)
    say(ann, "and one more thing")
    item = message(ann, "Paragraph 29")
    scroller = ann.locator("#scroller")
    item.evaluate("item => item.scrollIntoView({block: 'end'})")
    box, shown = item.bounding_box(), scroller.bounding_box()
    assert box is not None and shown is not None and box["y"] < shown["y"]  # its top is out of sight
    long_press(ann, box["x"] + box["width"] / 2, shown["y"] + shown["height"] - 60)
    toolbar = item.get_by_role("toolbar", name="Message actions")
    expect(toolbar).to_be_visible()
    assert within(toolbar, scroller)
    shoot(ann, tmp_path, "phone-tall-message-actions")
    toolbar.get_by_role("button", name="Reply", exact=True).tap()
    expect(ann.locator(".reply-bar")).to_contain_text("Paragraph 0")


def test_a_messages_actions_leave_its_author_in_sight_and_the_rarer_ones_open_as_a_menu(
    server: ServerProcess, pages: Pages, tmp_path: Path
) -> None:
    """ann owns "stoop": long-pressed, bob's message shows her every action a fingertip wide, the toolbar
    on the screen and clear of his name and the time; "More actions" opens Mark unread, Copy link, Save,
    Block bob and Bar bob, in words, on the screen too, nothing wider than it."""
    open_room(server, "stoop")
    bob = open_as(pages, server, "bob", "stoop")
    say(bob, "the parcel came for you")
    ann = open_as(pages, server, "ann", "stoop", **TOUCH)
    item = message(ann, "the parcel came for you")
    box = item.locator(".text").bounding_box()
    assert box is not None
    long_press(ann, box["x"] + 10, box["y"] + box["height"] / 2)
    toolbar = item.get_by_role("toolbar", name="Message actions")
    expect(toolbar.get_by_role("button", name="Delete", exact=True)).to_be_visible()  # hers to delete
    assert accessible_names(toolbar.get_by_role("button")) == [
        "Reply",
        "React",
        "Pin to this room",
        "Delete",
        "More actions",
    ]
    assert too_small(ann, ".msg-actions button") == []
    screen = {"x": 0, "y": 0, **SCREENSHOT_PHONE}
    assert inside(toolbar.bounding_box(), screen)
    for part in (".meta .nick", ".meta .time"):
        seen, over = item.locator(part).bounding_box(), toolbar.bounding_box()
        assert seen is not None and over is not None
        assert seen["x"] + seen["width"] <= over["x"], f"{part} is under the toolbar"
    shoot(ann, tmp_path, "phone-message-actions")

    toolbar.get_by_role("button", name="More actions").tap()
    expect(toolbar.get_by_role("button")).to_have_text(
        [
            "🧵 Start a thread",
            *("✉ Mark unread", "🔗 Copy link", "🔖 Save", "⏰ Remind me about this", "↪ Forward"),
            *("🚫 Block bob", "⛔ Bar bob from this room"),
        ]
    )
    assert too_small(ann, ".msg-actions button") == []
    assert inside(toolbar.bounding_box(), screen)
    assert ann.evaluate("document.documentElement.scrollWidth <= innerWidth")
    shoot(ann, tmp_path, "phone-message-more-actions")


# The names of the elements ``selector`` finds that show and are smaller than a fingertip either way.
TOO_SMALL = """([selector, least]) => [...document.querySelectorAll(selector)]
  .filter((node) => node.checkVisibility({visibilityProperty: true}))
  .filter((node) => {
    const box = node.getBoundingClientRect();
    return box.width < least || box.height < least;
  })
  .map((node) => node.getAttribute("aria-label") || node.title || node.textContent.trim())"""


def too_small(page: Page, selector: str) -> list[str]:
    return list(page.evaluate(TOO_SMALL, [selector, TAP_TARGET]))


def test_the_top_bars_buttons_are_big_enough_for_a_finger(
    server: ServerProcess, pages: Pages, tmp_path: Path
) -> None:
    """The rooms drawer, search, room settings and the account chip: each at least a fingertip tall."""
    open_room(server, "porch")
    ann = open_as(pages, server, "ann", "porch", **TOUCH)
    expect(ann.locator("#room-settings")).to_be_visible()
    assert too_small(ann, "#topbar button, #topbar a") == []
    assert ann.evaluate("document.documentElement.scrollWidth <= innerWidth")
    shoot(ann, tmp_path, "phone-top-bar")


def test_the_drawers_rooms_and_buttons_are_big_enough_for_a_finger(
    server: ServerProcess, pages: Pages, tmp_path: Path
) -> None:
    """In the rooms drawer, Close, "+ New room", "+ New message", each room and Go: a fingertip tall each,
    and a room is opened with a tap."""
    open_room(server, "garden")
    open_room(server, "kitchen")
    ann = open_as(pages, server, "ann", "garden", **TOUCH)
    ann.locator("#drawer-toggle").tap()
    drawer = ann.get_by_role("complementary", name="Rooms and people")
    expect(drawer.locator(".room-link", has_text="#kitchen")).to_be_visible()
    expect(drawer).to_have_css("transform", "none")  # slid all the way in
    assert too_small(ann, "#sidebar button, #sidebar a") == []
    shoot(ann, tmp_path, "phone-drawer")
    drawer.locator(".room-link", has_text="#kitchen").tap()
    ann.wait_for_url("**/?room=kitchen")


def test_the_notifications_button_shows_its_whole_label(server: ServerProcess, pages: Pages) -> None:
    """The drawer's "🔔 Turn on notifications" is not cut at its right edge."""
    ann = open_as(pages, server, "ann", "lobby", **TOUCH)
    ann.locator("#drawer-toggle").tap()
    button = ann.get_by_role("button", name="Turn on notifications")
    expect(button).to_be_visible()
    assert button.evaluate("node => node.scrollWidth <= node.clientWidth")


def test_cancelling_a_reply_or_a_file_is_big_enough_for_a_finger(
    server: ServerProcess, pages: Pages, tmp_path: Path
) -> None:
    """The × of the reply being written and of a file waiting to go: a fingertip each, and a tap cancels."""
    open_room(server, "patio")
    ann = open_as(pages, server, "ann", "patio", **TOUCH)
    say(ann, "what time tomorrow?")
    item = message(ann, "what time tomorrow?")
    box = item.bounding_box()
    assert box is not None
    long_press(ann, box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    item.get_by_role("button", name="Reply", exact=True).tap()
    attach_by_button(ann, "timetable.png", "image/png", picture(400, 300))
    assert too_small(ann, "#composer-area button") == []
    shoot(ann, tmp_path, "phone-reply-and-file")
    ann.get_by_role("button", name="Cancel the reply").tap()
    expect(ann.locator(".reply-bar")).to_be_hidden()
    ann.get_by_role("button", name="Remove timetable.png").tap()
    expect(ann.locator("#attachments .attachment")).to_have_count(0)


def test_the_message_box_takes_the_phones_width_and_its_tools_the_row_under_it(
    server: ServerProcess, pages: Pages, tmp_path: Path
) -> None:
    """On a phone ann's box spans the screen, a sentence on two lines; her four tools sit under it, Send
    at the row's end, each a fingertip."""
    open_room(server, "terrace")
    ann = open_as(pages, server, "ann", "terrace", **TOUCH)
    expect(ann.locator("#schedule-open")).to_be_visible()
    box = ann.locator("#text")
    box.fill("I think we could meet at the station around nine, then walk")
    text, send = box.bounding_box(), ann.locator("#send").bounding_box()
    assert text is not None and send is not None
    assert text["width"] >= SCREENSHOT_PHONE["width"] - 20 and text["height"] < 70
    tools = [ann.locator(f"#{name}").bounding_box() for name in ("attach", "emoji-open", "poll-open")]
    for tool in [*tools, ann.locator("#schedule-open").bounding_box(), send]:
        assert tool is not None and tool["y"] >= text["y"] + text["height"]
    assert send["x"] + send["width"] >= SCREENSHOT_PHONE["width"] - 12
    assert too_small(ann, "#composer button") == []
    shoot(ann, tmp_path, "phone-message-box")


def test_the_dialogs_buttons_are_big_enough_for_a_finger(
    server: ServerProcess, pages: Pages, tmp_path: Path
) -> None:
    """Room settings (its "Notify me of" list too), search, a new room and a new direct message: every
    button a fingertip tall."""
    open_room(server, "attic")
    ann = open_as(pages, server, "ann", "attic", **TOUCH)
    ways_in = [
        ("#room-settings", "Room settings"),
        ("#search-open", "Search messages"),
        ("#new-room", "New room"),
        ("#new-direct", "New direct message"),
    ]
    for opener, title in ways_in:
        if (
            opener.startswith("#new-")
            and ann.locator("#drawer-toggle").get_attribute("aria-expanded") == "false"
        ):
            ann.locator("#drawer-toggle").tap()
        ann.locator(opener).tap()
        dialog = ann.get_by_role("dialog", name=title)
        expect(dialog).to_be_visible()
        assert too_small(ann, "dialog[open] button, dialog[open] select") == [], title
        shoot(ann, tmp_path, f"phone-dialog-{opener[1:]}")
        ann.keyboard.press("Escape")
        expect(dialog).to_be_hidden()


def test_a_rooms_owner_bars_and_removes_with_a_fingertip(
    server: ServerProcess, pages: Pages, tmp_path: Path
) -> None:
    """nora owns "shed": in Room settings on her phone, "Remove" and the short "Bar" beside pia are each a
    fingertip wide and tall, as every button of the dialog is."""
    open_room(server, "shed", owner="nora")
    open_as(pages, server, "pia", "shed").close()
    nora = open_as(pages, server, "nora", "shed", **TOUCH)
    nora.get_by_role("button", name="Room settings").tap()
    settings = nora.get_by_role("dialog", name="Room settings")
    settings.get_by_label("Add a member").fill("pia")
    settings.get_by_role("button", name="Add", exact=True).tap()
    expect(settings.get_by_role("button", name="Bar pia from this room")).to_be_visible()
    expect(settings.get_by_role("button", name="Remove pia")).to_be_visible()
    assert too_small(nora, "dialog[open] button, dialog[open] select") == []
    settings.locator("#settings-members").scroll_into_view_if_needed()
    shoot(nora, tmp_path, "phone-room-settings-members")


def test_the_lightbox_fits_a_phone_held_either_way(
    server: ServerProcess, pages: Pages, tmp_path: Path
) -> None:
    """A photo opened full size, upright and in landscape: the picture, its name and its links all show,
    "Open in a new tab" and Close a fingertip tall, and Close closes it."""
    open_room(server, "darkroom")
    ann = open_as(pages, server, "ann", "darkroom", **TOUCH)
    attach_by_button(ann, "harbour at dusk.png", "image/png", picture(1600, 1200))
    ann.locator("#text").fill("from the boat")
    ann.locator("#text").press("Enter")
    thumbnail = ann.locator("#messages .msg .file-picture img")
    expect(thumbnail).to_be_visible()
    for size, name in ((SCREENSHOT_PHONE, "upright"), (LANDSCAPE, "landscape")):
        ann.set_viewport_size(size)
        thumbnail.scroll_into_view_if_needed()
        thumbnail.tap()
        lightbox = ann.locator("#lightbox")
        expect(lightbox).to_be_visible()
        ann.wait_for_function("() => document.querySelector('#lightbox img').naturalWidth > 0")
        screen = {"x": 0, "y": 0, "width": size["width"], "height": size["height"]}
        for part in ("#lightbox-image", "#lightbox-name", "#lightbox-open", "#lightbox-close"):
            assert inside(ann.locator(part).bounding_box(), screen), part
            assert inside(ann.locator(part).bounding_box(), lightbox.bounding_box()), part
        assert too_small(ann, "#lightbox a, #lightbox button") == []
        shoot(ann, tmp_path, f"phone-lightbox-{name}")
        ann.locator("#lightbox-close").tap()
        expect(lightbox).to_be_hidden()


def test_a_phone_on_its_side_keeps_a_fingertips_buttons(
    server: ServerProcess, pages: Pages, tmp_path: Path
) -> None:
    """Turned to landscape the page is wide enough for the rooms beside the conversation, and still pressed
    by a finger: the top bar, the rooms, a message's actions and the room settings' buttons keep their size,
    and the page does not scroll sideways."""
    open_room(server, "deck")
    ann = open_as(pages, server, "ann", "deck", **{**TOUCH, "viewport": LANDSCAPE})
    say(ann, "the view from here")
    expect(ann.locator("#sidebar")).to_be_visible()
    assert too_small(ann, "#topbar button, #topbar a, #sidebar button, #sidebar a") == []
    item = message(ann, "the view from here")
    box = item.bounding_box()
    assert box is not None
    long_press(ann, box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    expect(item.get_by_role("toolbar", name="Message actions")).to_be_visible()
    assert too_small(ann, ".msg-actions button") == []
    item.get_by_role("button", name="Reply", exact=True).tap()
    assert too_small(ann, "#composer-area button") == []
    assert ann.evaluate("document.documentElement.scrollWidth <= innerWidth")
    shoot(ann, tmp_path, "phone-landscape")
    ann.locator("#room-settings").tap()
    expect(ann.get_by_role("dialog", name="Room settings")).to_be_visible()
    assert too_small(ann, "dialog[open] button, dialog[open] select") == []


# The middle of each thing the top bar shows, from top to bottom: one row shows them all at one height.
ROWS = """() => [...document.querySelectorAll("#topbar > *")]
  .filter((node) => node.checkVisibility() && node.getBoundingClientRect().width > 1)
  .map((node) => Math.round(node.getBoundingClientRect().top + node.getBoundingClientRect().height / 2))"""


def test_a_direct_conversations_top_bar_is_one_row(tmp_path: Path, pages: Pages) -> None:
    """On a narrow phone, signed in, a conversation with someone online: their name, "active", search,
    settings and one's own chip (one's initials) share one row; the messages keep the rest of the screen."""
    with ServerProcess(tmp_path / "chat.db", guests=False) as server:
        alexandra, join_link = set_up(server, "alexandra.smith")
        bart = pages.open(join_link, **{**TOUCH, "viewport": PHONE})
        fill_account_form(bart, "bartholomew")
        expect_online(bart)
        answer = alexandra.call("POST", "/api/direct", {"members": ["bartholomew"]})
        assert answer.status in (200, 201), answer
        sign_in(pages.open(f"{server.url}/signin"), "alexandra.smith")
        bart.goto(f"{server.url}/?room={answer.json['room']}")
        expect_online(bart)
        expect(bart.locator("#direct-presence")).to_have_text("active")
        middles = bart.evaluate(ROWS)
        assert max(middles) - min(middles) <= 4, middles
        title = bart.locator("#room-title").bounding_box()
        assert title is not None and title["width"] >= 80  # "alexandra.s…" at least
        expect(bart.get_by_role("button", name="You are bartholomew")).to_be_visible()
        shoot(bart, tmp_path, "phone-direct-top-bar")


def test_an_administrators_top_bar_keeps_the_rooms_name_in_one_row(tmp_path: Path, pages: Pages) -> None:
    """On a phone, the administrator's panel is a tool button (🛠️, named "Administration") and an archived
    room's mark a small box: the room's name keeps the room it needs, all in one row."""
    with ServerProcess(tmp_path / "chat.db", guests=False) as server:
        admin, _ = set_up(server, "Ms Rivera")
        assert admin.call("POST", "/api/rooms", {"room": "announcements", "kind": "open"}).status == 201
        assert admin.call("PATCH", "/api/rooms/announcements", {"archived": True}).status == 200
        page = pages.open(
            f"{server.url}/signin?next=%2F%3Froom%3Dannouncements",
            SCREENSHOT_PHONE,
            has_touch=True,
            is_mobile=True,
        )
        sign_in(page, "Ms Rivera")
        expect_online(page)
        expect(page.locator("#room-archived")).to_be_visible()
        expect(page.locator("#room-archived")).to_have_text("archived")
        tools = page.get_by_role("button", name="Administration")
        expect(tools).to_be_visible()
        middles = page.evaluate(ROWS)
        assert max(middles) - min(middles) <= 4, middles
        title = page.locator("#room-title").bounding_box()
        assert title is not None and title["width"] >= 80, title  # "#announc…" at least
        assert too_small(page, "#topbar button, #topbar a") == []
        shoot(page, tmp_path, "phone-admin-top-bar")
        tools.click()
        expect(page.get_by_role("dialog", name="Administration")).to_be_visible()


def test_an_administrators_top_bar_with_a_topic_and_pins_keeps_the_rooms_name(
    tmp_path: Path, pages: Pages
) -> None:
    """On a phone, an administrator in a room with a topic and a pinned message: the pins are a button as
    narrow as search's, their count a badge on its corner, and the room's name keeps the room it needs,
    all in one row of buttons a finger can press."""
    with ServerProcess(tmp_path / "chat.db", guests=False) as server:
        admin, _ = set_up(server, "Ms Rivera")
        assert admin.call("POST", "/api/rooms", {"room": "homework", "kind": "open"}).status == 201
        topic = {"topic": "Chapter 4 by Friday; questions welcome"}
        assert admin.call("PATCH", "/api/rooms/homework", topic).status == 200
        session = admin.cookie("chatroom_session")
        assert session is not None and session.value is not None
        ws, _, _ = welcomed(server, room="homework", headers={"Cookie": f"chatroom_session={session.value}"})
        with ws:
            stored = send_message(ws, "Read chapter 4, questions 1-6", "1")
            ws.send(json.dumps({"type": "pin", "id": stored["id"], "on": True, "ref": "2"}))
            assert frames_until(ws, lambda frame: frame["type"] == "ack")[-1]["ref"] == "2"
        page = pages.open(f"{server.url}/signin?next=%2F%3Froom%3Dhomework", **TOUCH)
        sign_in(page, "Ms Rivera")
        expect_online(page)
        expect(page.locator("#room-topic")).to_have_text(topic["topic"])
        pins = page.get_by_role("button", name="1 pinned")
        expect(pins).to_be_visible()
        expect(page.get_by_role("button", name="Administration")).to_be_visible()
        middles = page.evaluate(ROWS)
        assert max(middles) - min(middles) <= 4, middles
        title = page.locator("#room-title").bounding_box()
        assert title is not None and title["width"] >= 80, title  # "#homework" in full
        search = page.locator("#search-open").bounding_box()
        opener = page.locator("#pins-open").bounding_box()
        assert search is not None and opener is not None and opener["width"] <= search["width"] + 1
        assert too_small(page, "#topbar button, #topbar a") == []
        shoot(page, tmp_path, "phone-admin-pins-top-bar")
        pins.click()
        expect(page.get_by_role("dialog", name="Pinned messages")).to_be_visible()
