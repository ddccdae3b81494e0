"""The chat page as a screen reader gets it from Chromium's accessibility tree: names, roles, live regions,
where the focus goes, and the contrast of its text in light and dark.

People signed in with tokens (the administrator with a session) on a real ``python -m chatroom`` without
guests; what a reader gets is read from the tree (Playwright's roles and names, and the DevTools
protocol's full tree for what they leave out: modal, focused, inert) and the page's live region.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.page_browser import DESKTOP
from tests.support import ServerProcess, call_api, unique
from tests.test_page import JWT_SECRET, PHONE, Pages, expect_online, say, token_for
from tests.test_page_files import attach_by_button
from tests.test_page_journey import signed_in
from tests.test_page_offline import on_line
from tests.web_client import WebClient, set_up

ADMIN = "a11y-root"
CONTROLS = {"button", "link", "textbox", "searchbox", "combobox", "checkbox", "radio", "option", "tab"}
AA_NORMAL_TEXT = 4.5


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """Accounts only, signed in with tokens (the administrator with a password, below)."""
    db = tmp_path_factory.mktemp("a11y-page") / "chat.db"
    with ServerProcess(db, "--jwt-secret", JWT_SECRET, guests=False) as running:
        yield running


@pytest.fixture(scope="module")
def administrator(server: ServerProcess) -> tuple[WebClient, str]:
    """The server set up from its logged link: the administrator's signed-in client and the join link."""
    return set_up(server, ADMIN)


def bearer(name: str) -> str:
    return f"Bearer {token_for(name)}"


def new_room(server: ServerProcess, owner: str, kind: str = "open", members: tuple[str, ...] = ()) -> str:
    room = unique("a11y-room-")
    body = {"room": room, "kind": kind, "members": list(members)}
    status, answer = call_api(server, "POST", "/api/rooms", body, bearer(owner))
    assert status == 201, answer
    return room


def open_as(pages: Pages, server: ServerProcess, name: str, room: str, **options: Any) -> Page:
    page = pages.open(f"{server.url}/?room={room}&token={token_for(name)}", **options)
    expect_online(page)
    return page


def tree(page: Page) -> list[dict[str, Any]]:
    """Chromium's whole accessibility tree of the page, as a screen reader is given it."""
    session = page.context.new_cdp_session(page)
    try:
        return list(session.send("Accessibility.getFullAXTree")["nodes"])
    finally:
        session.detach()


def role_of(node: dict[str, Any]) -> str:
    return str(node.get("role", {}).get("value", ""))


def name_of(node: dict[str, Any]) -> str:
    return str(node.get("name", {}).get("value", ""))


def properties(node: dict[str, Any]) -> dict[str, Any]:
    return {p["name"]: p["value"].get("value") for p in node.get("properties", [])}


def unnamed_controls(page: Page) -> list[str]:
    """Controls a reader reaches whose name has no word in it: none, or an emoji or a sign alone."""
    return [
        f"{role_of(node)} {name_of(node)!r}"
        for node in tree(page)
        if not node.get("ignored") and role_of(node) in CONTROLS and not re.search(r"\w", name_of(node))
    ]


def focused_name(page: Page) -> str:
    """The name of what has the focus (the innermost node that says so; the document says so too)."""
    return [name_of(node) for node in tree(page) if properties(node).get("focused")][-1]


def announced(page: Page) -> Locator:
    """The lines of the page's polite live region."""
    return page.locator("#announcer > p")


def landmark_names(page: Page) -> dict[str, list[str]]:
    """Each landmark role's names (in lower case: Chromium gives a heading's as styled, "ROOMS")."""
    found: dict[str, list[str]] = {}
    for node in tree(page):
        if role_of(node) in {"banner", "navigation", "main", "complementary", "region", "contentinfo"}:
            found.setdefault(role_of(node), []).append(name_of(node).lower())
    return found


def test_landmarks_and_headings_lead_to_the_rooms_the_conversation_and_the_message_box(
    server: ServerProcess, pages: Pages
) -> None:
    """The main landmark is the conversation (not the rooms beside it); the rooms are a navigation, the
    rooms and people a complementary landmark, the message box a region of its own; the room is the h1."""
    owner = unique("ann-landmarks-")
    room = new_room(server, owner)
    ann = open_as(pages, server, owner, room)
    say(ann, "hello")
    landmarks = landmark_names(ann)
    assert landmarks["banner"] == [""]
    assert landmarks["main"] == [f"messages in #{room}"]
    assert landmarks["navigation"] == ["rooms"]
    assert landmarks["complementary"] == ["rooms and people"]
    assert "write a message" in landmarks["region"]
    assert "contentinfo" not in landmarks
    main = ann.get_by_role("main")
    expect(main.get_by_role("navigation")).to_have_count(0)
    expect(main.get_by_role("listitem").filter(has_text="hello")).to_have_count(1)
    expect(
        ann.get_by_role("region", name="Write a message").get_by_role("textbox", name="Message")
    ).to_be_visible()
    expect(ann.get_by_role("heading", level=1)).to_have_text(f"#{room}")
    expect(ann.get_by_role("heading", name="Rooms", level=2)).to_be_attached()


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_every_control_says_what_it_does_in_words(
    server: ServerProcess, pages: Pages, viewport: dict[str, int]
) -> None:
    """Icon buttons, a message's actions and reactions, the rooms and the drawer: each named in words,
    a count read with what it counts, the current room and the pressed reaction said."""
    owner, reader = unique("ann-names-"), unique("bob-names-")
    room = new_room(server, owner)
    other = new_room(server, owner)
    bob = open_as(pages, server, reader, room, viewport=viewport)
    ann = open_as(pages, server, owner, room)
    say(ann, "hello there")
    status, _ = call_api(server, "POST", f"/api/rooms/{other}/members", {"name": reader}, bearer(owner))
    assert status == 201
    ann.goto(f"{server.url}/?room={other}&token={token_for(owner)}")
    expect_online(ann)
    for text in ("one", "two", "three"):
        say(ann, text)
    item = bob.locator("#messages .msg").filter(has_text="hello there")
    item.focus()
    toolbar = bob.get_by_role("toolbar", name="Message actions")
    # A phone's row has no room for the thread: it heads the menu there.
    phone = viewport == PHONE
    in_row, in_menu = ([], ["Start a thread"]) if phone else (["Start a thread"], [])
    expect(toolbar.get_by_role("button")).to_have_text(["↩", *("🧵" for _ in in_row), "☺", "📌", "⋯"])
    names = ["Reply", *in_row, "React", "Pin to this room", "More actions"]
    for button, name in zip(toolbar.get_by_role("button").all(), names, strict=True):
        expect(button).to_have_accessible_name(name)
    toolbar.get_by_role("button", name="More actions").press("Enter")
    expect(toolbar.get_by_role("button")).to_have_text(
        [
            *(f"🧵 {name}" for name in in_menu),
            *("✉ Mark unread", "🔗 Copy link", "🔖 Save", "⏰ Remind me about this", "↪ Forward"),
            f"🚫 Block {owner}",
        ]
    )
    more = [
        *in_menu,
        "Mark unread from here",
        "Copy link",
        "Save for later",
        "Remind me about this",
        "Forward",
    ]
    more.append(f"Block {owner}")
    for button, name in zip(toolbar.get_by_role("button").all(), more, strict=True):
        expect(button).to_have_accessible_name(name)
    bob.keyboard.press("Escape")
    expect(toolbar.get_by_role("button", name="More actions")).to_be_focused()
    toolbar.get_by_role("button", name="React").press("Enter")
    bob.get_by_role("button", name="React with 👍").press("Enter")
    reaction = item.locator(".reactions button")
    expect(reaction).to_have_attribute("aria-pressed", "true")
    expect(reaction).to_have_accessible_name(re.compile(rf"^👍 1: {reader}"))
    if viewport == PHONE:
        toggle = bob.get_by_role("button", name=re.compile("^Rooms and people"))
        expect(toggle).to_have_attribute("aria-expanded", "false")
        toggle.click()
        expect(toggle).to_have_attribute("aria-expanded", "true")
    rooms = bob.get_by_role("navigation", name="Rooms")
    expect(rooms.get_by_role("link", name=re.compile(rf"^#{other}, 3 unread, "))).to_be_visible()
    expect(rooms.locator("[aria-current=page]")).to_have_accessible_name(re.compile(rf"^#{room}, "))
    for icon in ("Search messages", "Attach files", "Emoji", "Send later"):
        expect(bob.get_by_role("button", name=icon, exact=True)).to_be_attached()
    assert unnamed_controls(bob) == []


def test_a_focused_message_is_named_by_its_author_time_and_text(server: ServerProcess, pages: Pages) -> None:
    """Reached with the arrow keys, a message says who wrote it, when and what (as shown, without the
    formatting's marks), not its buttons."""
    owner = unique("ann-focus-")
    room = new_room(server, owner)
    ann = open_as(pages, server, owner, room)
    say(ann, "first")
    say(ann, "some **bold** words")
    time_shown = ann.locator("#messages .msg time").last.inner_text()
    ann.locator("#messages .msg").first.focus()
    ann.keyboard.press("ArrowDown")
    expect(ann.locator("#messages .msg").last).to_be_focused()
    assert focused_name(ann) == f"{owner} {time_shown} some bold words"


def test_a_focused_message_that_is_only_a_file_says_the_files_name(
    server: ServerProcess, pages: Pages
) -> None:
    """A file sent without a caption is named by its author, its time and the file's name."""
    owner = unique("ann-file-")
    room = new_room(server, owner)
    ann = open_as(pages, server, owner, room)
    say(ann, "first")
    attach_by_button(ann, "minutes.txt", "text/plain", b"what we said")
    ann.locator("#text").press("Enter")
    item = ann.locator("#messages .msg").last
    expect(item.locator(".file")).to_be_visible()
    time_shown = item.locator("time").inner_text()
    ann.locator("#messages .msg").first.focus()
    ann.keyboard.press("ArrowDown")
    expect(item).to_be_focused()
    assert focused_name(ann) == f"{owner} {time_shown} file minutes.txt"
    expect(item.get_by_text("file minutes.txt")).to_be_hidden()


def test_a_message_from_someone_else_is_said_once_history_and_ones_own_are_not(
    server: ServerProcess, pages: Pages
) -> None:
    """The live region gets a line for each message someone else sends, as it is shown; the history a page
    opens with, earlier messages and one's own messages add none."""
    owner, reader = unique("ann-live-"), unique("bob-live-")
    room = new_room(server, owner)
    ann = open_as(pages, server, owner, room)
    for text in ("before one", "before two"):
        say(ann, text)
    bob = open_as(pages, server, reader, room)
    expect(bob.locator("#messages .msg")).to_have_count(2)
    live = bob.locator("#announcer")
    expect(live).to_have_attribute("aria-live", "polite")
    expect(announced(bob)).to_have_count(0)
    say(ann, "a **loud** `new` thing")
    expect(announced(bob)).to_have_text([f"{owner}: a loud new thing"])
    say(bob, "my answer")
    say(ann, "and one more")
    expect(announced(bob)).to_have_text([f"{owner}: a loud new thing", f"{owner}: and one more"])
    bob.reload()
    expect_online(bob)
    expect(bob.locator("#messages .msg")).to_have_count(5)
    expect(announced(bob)).to_have_count(0)


def test_a_reason_the_page_cannot_go_on_is_said_without_taking_the_focus(
    server: ServerProcess, pages: Pages
) -> None:
    """Taken out of a closed room: the status says Offline, the live region why, once; nothing opens to
    take the focus. ann, still in it, is unaffected."""
    owner, member = unique("ann-out-"), unique("bob-out-")
    open_as(pages, server, member, "lobby")
    room = new_room(server, owner, "closed", (member,))
    ann = open_as(pages, server, owner, room)
    bob = open_as(pages, server, member, room)
    bob.locator("#text").focus()
    status, _ = call_api(server, "DELETE", f"/api/rooms/{room}/members/{member}", None, bearer(owner))
    assert status == 204
    expect(bob.get_by_role("status").filter(has_text="Offline")).to_have_count(1)
    expect(announced(bob)).to_have_text(["Not connected: you are no longer a member of this room."])
    expect(bob.locator("dialog[open]")).to_have_count(0)
    say(ann, "still here")
    expect_online(ann)


def test_a_room_one_cannot_open_is_said_at_first_load(server: ServerProcess, pages: Pages) -> None:
    """Opening a room that is not there (or not one's to see) says so once, in the note's words, and
    nothing takes the focus."""
    name = unique("ann-missing-")
    ann = pages.open(f"{server.url}/?room={unique('nowhere-')}&token={token_for(name)}")
    expect(ann.locator("#room-missing")).to_be_visible()
    expect(announced(ann)).to_have_text(
        [
            "This room doesn't exist, or you are not a member of it."
            " Check its name, or ask one of its members to add you."
        ]
    )
    expect(ann.locator("dialog[open]")).to_have_count(0)
    ann.wait_for_timeout(300)
    expect(announced(ann)).to_have_count(1)


def test_a_message_that_must_wait_and_one_refused_later_are_said(server: ServerProcess, pages: Pages) -> None:
    """Offline, a message sent goes to the outbox and the reader hears that it waits; refused once the
    page is back (the room was archived meanwhile), the reader hears why it was not sent."""
    owner = unique("ann-wait-")
    room = new_room(server, owner)
    ann, line = on_line(pages, server, owner, room)
    line.go_down()
    expect(ann.get_by_role("status")).to_have_text("Offline")
    say(ann, "for later")
    expect(ann.get_by_role("list", name="Waiting to send")).to_contain_text("for later")
    expect(announced(ann).last).to_have_text(
        "Not connected: the message waits below and goes once connected."
    )
    status, _ = call_api(server, "PATCH", f"/api/rooms/{room}", {"archived": True}, bearer(owner))
    assert status == 200
    line.come_back(ann)
    expect(announced(ann).last).to_have_text(
        "Not sent: This room is archived: it can be read, not written to."
    )
    expect(ann.get_by_role("list", name="Waiting to send")).to_contain_text("Not sent")


def test_going_offline_and_coming_back_are_said_once_each_not_every_try(
    server: ServerProcess, pages: Pages
) -> None:
    """The status word is no live region (it changes at every try): the reader hears once that the page is
    offline, however many tries fail, and once that it is back."""
    owner = unique("ann-offline-")
    ann, line = on_line(pages, server, owner, new_room(server, owner))
    expect(ann.locator("#status")).to_have_attribute("aria-live", "off")
    expect(announced(ann)).to_have_count(0)
    line.go_down()
    retry = ann.get_by_role("button", name="Retry now")
    for _ in range(2):
        retry.click()  # another try, which fails at once
        expect(retry).to_be_visible()
    expect(ann.get_by_role("status")).to_have_text("Offline")
    expect(announced(ann)).to_have_text(["Offline: trying to reconnect."])
    line.come_back(ann)
    expect(announced(ann)).to_have_text(["Offline: trying to reconnect.", "Connected again."])


def open_with_keyboard(page: Page, opener: Locator) -> None:
    # A token's page shows an account's tools once its account check answers; a hidden button takes
    # no focus.
    expect(opener).to_be_visible()
    opener.focus()
    page.keyboard.press("Enter")


DIALOGS = [
    ("#new-room", "New room"),
    ("#new-direct", "New direct message"),
    ("#room-settings", "Room settings"),
    ("#search-open", "Search messages"),
    ("#me", re.compile(r"^Your account: ")),
    ("#admin-open", "Administration"),
]


def modal_dialogs(page: Page) -> list[tuple[str, bool]]:
    return [
        (name_of(node), bool(properties(node).get("modal")))
        for node in tree(page)
        if role_of(node) == "dialog" and not node.get("ignored")
    ]


# In the dialog, or past its last control on the browser's own (the document's body, headless): never on
# the page behind, which a modal dialog makes inert; the next Tab is in the dialog again.
IN_DIALOG = """() => document.querySelector('dialog[open]').contains(document.activeElement)
  || document.activeElement === document.body"""


def keeps_focus_in_dialog(page: Page, presses: int) -> bool:
    """Tab, ``presses`` times: never on the page behind, never twice running outside the dialog."""
    outside_before = False
    for _ in range(presses):
        page.keyboard.press("Tab")
        if not page.evaluate(IN_DIALOG):
            return False
        outside = page.evaluate("() => document.activeElement === document.body")
        if outside and outside_before:
            return False
        outside_before = outside
    return True


def test_dialogs_are_modal_named_take_the_focus_keep_it_and_give_it_back(
    server: ServerProcess, administrator: tuple[WebClient, str], pages: Pages
) -> None:
    """Each dialog opened from the keyboard is a named modal dialog, the focus goes in and stays in while
    Tab goes round, and Escape closes it and gives the focus back to what opened it; Ctrl+K too."""
    room = new_room(server, ADMIN)
    admin = signed_in(pages, administrator[0], f"{server.url}/?room={room}")
    say(admin, "something to find")
    for selector, name in DIALOGS:
        opener = admin.locator(selector)
        open_with_keyboard(admin, opener)
        dialog = admin.get_by_role("dialog", name=name)
        expect(dialog).to_be_visible()
        shown = modal_dialogs(admin)
        assert len(shown) == 1 and shown[0][1], (selector, shown)
        assert admin.evaluate("() => document.querySelector('dialog[open]').contains(document.activeElement)")
        stops = dialog.locator("a[href]:visible, button:visible, input:visible, select, textarea").count()
        assert keeps_focus_in_dialog(admin, stops + 2), selector
        admin.locator("dialog[open] button:visible").first.focus()  # not a search field Escape would empty
        admin.keyboard.press("Escape")
        expect(dialog).to_be_hidden()
        expect(opener).to_be_focused()
    box = admin.locator("#text")
    box.focus()
    admin.keyboard.press("Control+k")
    switcher = admin.get_by_role("dialog", name="Jump to a room")
    expect(switcher.get_by_role("combobox", name="Jump to a room")).to_be_focused()
    assert modal_dialogs(admin) == [("Jump to a room", True)]
    admin.keyboard.press("Escape")
    expect(switcher).to_be_hidden()
    expect(box).to_be_focused()


def test_the_emoji_picker_is_a_named_dialog_escape_gives_the_focus_back(
    server: ServerProcess, pages: Pages
) -> None:
    """The message box's emoji button opens a named panel with the focus in its search; Escape closes it
    and the focus is back on the button."""
    owner = unique("ann-emoji-")
    ann = open_as(pages, server, owner, new_room(server, owner))
    button = ann.get_by_role("button", name="Emoji", exact=True)
    open_with_keyboard(ann, button)
    expect(button).to_have_attribute("aria-expanded", "true")
    picker = ann.get_by_role("dialog", name="Emoji for your message")
    expect(picker.get_by_role("searchbox", name="Search emoji by name")).to_be_focused()
    ann.keyboard.press("Escape")
    expect(picker).to_have_count(0)
    expect(button).to_be_focused()


@pytest.mark.parametrize("form", ["sign in", "join"])
def test_the_account_forms_label_their_fields_and_say_what_is_wrong(
    server: ServerProcess, administrator: tuple[WebClient, str], pages: Pages, form: str
) -> None:
    """Sign in and the join link's page: a heading, fields labelled (not placeholders), hints tied to
    them; sent empty, the refusal is an alert and the field is marked invalid."""
    page = pages.open(f"{server.url}/signin" if form == "sign in" else administrator[1])
    main = page.get_by_role("main")
    expect(main.get_by_role("heading", level=1)).to_have_text(
        "Sign in" if form == "sign in" else "Join the chat"
    )
    name = main.get_by_role("textbox", name="Name" if form == "sign in" else "Your name", exact=True)
    expect(name).to_be_visible()
    expect(main.get_by_role("textbox", name="Password", exact=True)).to_be_visible()
    if form == "join":
        expect(name).to_have_accessible_description(re.compile("^What others see"))
        expect(main.get_by_role("textbox", name="The same password again")).to_be_visible()
    assert unnamed_controls(page) == []
    main.get_by_role("button", name="Sign in" if form == "sign in" else "Join").click()
    expect(page.get_by_role("alert")).not_to_be_empty()
    expect(name).to_have_attribute("aria-invalid", "true")


CONTRAST = """
([selector]) => {
  const channels = (css) => css.match(/[\\d.]+/g).map(Number);
  const linear = (c) => (c /= 255) <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  const luminance = ([r, g, b]) => 0.2126 * linear(r) + 0.7152 * linear(g) + 0.0722 * linear(b);
  const over = (top, below) => [0, 1, 2].map((i) => top[i] * (top[3] ?? 1) + below[i] * (1 - (top[3] ?? 1)));
  function background(node) {
    const layers = [];
    for (let at = node; at; at = at.parentElement) {
      const colour = channels(getComputedStyle(at).backgroundColor);
      if ((colour[3] ?? 1) > 0) layers.push(colour);
      if ((colour[3] ?? 1) >= 1) break;
    }
    return layers.reverse().reduce((below, top) => over(top, below), [255, 255, 255]);
  }
  const node = document.querySelector(selector);
  const placeholder = selector.endsWith("textarea") || selector.endsWith("input");
  const back = background(node);
  const fore = over(channels(getComputedStyle(node, placeholder ? "::placeholder" : null).color), back);
  const [light, dark] = [luminance(fore), luminance(back)].sort((a, b) => b - a);
  return (light + 0.05) / (dark + 0.05);
}
"""

# The kinds of text a reader with low vision reads most, by where they are.
TEXT_KINDS = {
    "message text": "#messages .msg .text",
    "author": "#messages .msg .meta .nick",
    "timestamp": "#messages .msg .meta time",
    "link in a message": "#messages .msg .text a",
    "mention of the reader": "#messages .msg.mentions-me .text",
    "muted hint": "#nick-hint, #rooms-note, #composer-hint, .hint",
    "room in the list": "#rooms .room-link bdi",
    "unread badge": "#rooms .badge.unread",
    "online count": "#online-count-side",
    "status": "#status-text",
    "send button": "#send",
    "chip button": "#new-room",
    "message box placeholder": "#composer textarea",
}


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_text_contrast_is_at_least_aa_in_light_and_dark(
    server: ServerProcess, pages: Pages, scheme: str
) -> None:
    """Message text, names, times, links, mentions, hints, the rooms list, badges, buttons and the
    message box's placeholder: 4.5:1 at least against what is behind them."""
    owner, reader = unique("ann-contrast-"), unique("bob-contrast-")
    room = new_room(server, owner)
    other = new_room(server, owner)
    bob = open_as(pages, server, reader, room, color_scheme=scheme)
    ann = open_as(pages, server, owner, room)
    say(ann, f"see https://example.com/a11y @{reader} now")
    call_api(server, "POST", f"/api/rooms/{other}/members", {"name": reader}, bearer(owner))
    ann.goto(f"{server.url}/?room={other}&token={token_for(owner)}")
    expect_online(ann)
    say(ann, "elsewhere")
    expect(bob.locator("#rooms .badge.unread")).to_have_count(1)
    expect(bob.locator("#messages .msg.mentions-me")).to_have_count(1)
    ratios = {kind: round(bob.evaluate(CONTRAST, [selector]), 2) for kind, selector in TEXT_KINDS.items()}
    assert {kind: ratio for kind, ratio in ratios.items() if ratio < AA_NORMAL_TEXT} == {}, ratios


def test_reduced_motion_stills_the_drawer(server: ServerProcess, pages: Pages) -> None:
    """On a phone that asks for less motion, the rooms drawer appears without sliding."""
    owner = unique("ann-motion-")
    ann = open_as(pages, server, owner, new_room(server, owner), viewport=PHONE, reduced_motion="reduce")
    ann.get_by_role("button", name=re.compile("^Rooms and people")).click()
    drawer = ann.get_by_role("complementary", name="Rooms and people")
    expect(drawer).to_have_css("transform", "none")
    assert drawer.evaluate("node => getComputedStyle(node).transitionDuration") == "0s"


def reachable(page: Page) -> set[str]:
    """The landmarks, and the message box, a reader finds in the tree."""
    found = set()
    for node in tree(page):
        if node.get("ignored"):
            continue
        if role_of(node) in {"main", "banner"}:
            found.add(role_of(node))
        if role_of(node) == "textbox" and name_of(node) == "Message":
            found.add("textbox Message")
    return found


def test_the_open_drawer_on_a_phone_is_all_a_reader_reaches_until_it_closes(
    server: ServerProcess, pages: Pages
) -> None:
    """Opened, the drawer takes the focus and what it covers (the top bar, the conversation, the message
    box) leaves the tree and the Tab order; Escape closes it, the page is back, the focus on its button."""
    owner = unique("ann-drawer-")
    ann = open_as(pages, server, owner, new_room(server, owner), viewport=PHONE)
    toggle = ann.get_by_role("button", name=re.compile("^Rooms and people"))
    open_with_keyboard(ann, toggle)
    drawer = ann.get_by_role("complementary", name="Rooms and people")
    expect(drawer.get_by_role("button", name="Close")).to_be_focused()
    assert reachable(ann) & {"main", "banner", "textbox Message"} == set()
    for _ in range(drawer.locator("a[href], button:visible, input:visible").count() + 1):
        ann.keyboard.press("Tab")
        assert ann.evaluate("() => !document.activeElement.closest('#topbar, main, #composer-area')")
    ann.locator("#room-search").focus()
    ann.keyboard.press("Escape")
    expect(toggle).to_be_focused()
    assert reachable(ann) >= {"main", "banner", "textbox Message"}
