"""Rooms on the page (static/js/room_dialogs.js, room_settings.js, picker.js) in Debian's Chromium.

People sign in with tokens on a real ``python -m chatroom`` without guests:
a closed room made in the "New room" dialog, a direct message started from
the picker, room settings, and screenshots of the dialogs.
"""

from __future__ import annotations

import json
import os
import re
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Locator, Page, Route, expect

from tests.held_answers import HeldAnswers
from tests.screens import screenshot
from tests.support import ServerProcess, call_api
from tests.test_page import JWT_SECRET, SCREENSHOT_PHONE, Pages, bot_of, expect_online, say, token_for

SECRET = "the-hideout-password-is-swordfish"
NOT_A_MEMBER = "This room doesn't exist, or you are not a member of it"
ARCHIVED = "This room is archived: it is read only"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """Accounts only, signed in with tokens."""
    db = tmp_path_factory.mktemp("rooms-page") / "chat.db"
    with ServerProcess(db, "--jwt-secret", JWT_SECRET, guests=False) as running:
        yield running


def open_as(pages: Pages, server: ServerProcess, name: str, room: str = "lobby", **options: object) -> Page:
    page = pages.open(f"{server.url}/?room={room}&token={token_for(name)}", **options)  # type: ignore[arg-type]
    expect_online(page)
    expect(page.locator("#room-settings")).to_be_visible()
    return page


def api_get(server: ServerProcess, path: str, name: str) -> tuple[int, bytes]:
    request = urllib.request.Request(
        server.url + path, headers={"Authorization": f"Bearer {token_for(name)}"}
    )
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(request, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def pick(page: Page, field: str, prefix: str, name: str) -> None:
    """Type the start of a name, wait for the suggestion, take it (Enter)."""
    page.locator(field).fill(prefix)
    suggestions = page.locator(
        f"{field} + datalist option, datalist#{field[1:].replace('people', 'suggestions')} option"
    )
    expect(suggestions.first).to_have_attribute("value", name)
    page.locator(field).fill(name)
    page.locator(field).press("Enter")


def create_closed_room(page: Page, room: str, member: str) -> None:
    page.get_by_role("button", name="+ New room").click()
    dialog = page.get_by_role("dialog", name="New room")
    dialog.get_by_label("Name").fill(room)
    dialog.get_by_label("Closed: only its members").check()
    pick(page, "#new-room-people", member[:2], member)
    expect(dialog.locator(".person-chip bdi")).to_have_text([member])
    dialog.get_by_role("button", name="Create room").click()
    page.wait_for_url(f"**/?room={room}")
    expect_online(page)


def test_a_closed_room_is_for_its_members_only(server: ServerProcess, pages: Pages) -> None:
    """ann makes a closed room with bob: it reaches bob's list at once; carl can neither open nor read it."""
    bob = open_as(pages, server, "bob")
    carl = open_as(pages, server, "carl")
    ann = open_as(pages, server, "ann")
    create_closed_room(ann, "hideout", "bob")
    expect(ann.locator("#room-title")).to_have_text("#hideout")
    say(ann, SECRET)
    closed = bob.locator("#rooms .room-group[data-kind=closed] .room-link bdi")
    expect(closed).to_have_text(["#hideout"])
    closed.click()
    expect_online(bob)
    expect(bob.locator("#messages .msg .text")).to_have_text([SECRET])

    expect(carl.locator("#rooms .room-link bdi")).to_have_text(["#lobby"])
    carl.goto(f"{server.url}/?room=hideout&token={token_for('carl')}")
    expect(carl.locator("#room-missing")).to_contain_text(NOT_A_MEMBER)
    expect(carl.locator("#messages .msg")).to_have_count(0)
    for path in ("/api/rooms/hideout/messages", "/api/rooms/hideout/members", "/api/rooms"):
        status, body = api_get(server, path, "carl")
        assert SECRET.encode() not in body and b"hideout" not in body, (path, status, body)


def test_a_direct_message_between_two_people(server: ServerProcess, pages: Pages) -> None:
    """dora writes to eve from the picker: eve sees it under Direct messages by dora's name, and reads it."""
    eve = open_as(pages, server, "eve")
    dora = open_as(pages, server, "dora")
    dora.get_by_role("button", name="+ New message").click()
    dialog = dora.get_by_role("dialog", name="New direct message")
    pick(dora, "#direct-people", "ev", "eve")
    expect(dialog.locator(".person-chip bdi")).to_have_text(["eve"])
    dialog.get_by_role("button", name="Start").click()
    dora.wait_for_url("**/?room=dm-*")
    expect_online(dora)
    expect(dora.locator("#room-title")).to_have_text("eve")
    say(dora, "just between us")
    direct = eve.locator("#rooms .room-group[data-kind=direct] .room-link bdi")
    expect(direct).to_have_text(["dora"])
    direct.click()
    expect_online(eve)
    expect(eve.locator("#room-title")).to_have_text("dora")
    expect(eve.locator("#messages .msg .text")).to_have_text(["just between us"])
    room = dora.url.split("room=")[1]
    status, body = api_get(server, f"/api/rooms/{room}/messages", "carl")
    assert status == 404 and b"between us" not in body


def test_a_person_writes_to_a_bot_from_the_picker(server: ServerProcess, pages: Pages) -> None:
    """fern picks the quiz bot ("(bot)" in the suggestions) and writes to it: the conversation is listed by
    the bot's name, the bot's answer shows with its badge; a bot named beside a person is explained."""
    helper = bot_of(server.db, "quizbot")
    fern = open_as(pages, server, "fern")
    open_as(pages, server, "gil")
    fern.get_by_role("button", name="+ New message").click()
    dialog = fern.get_by_role("dialog", name="New direct message")
    pick(fern, "#direct-people", "gi", "gil")
    pick(fern, "#direct-people", "qu", "quizbot")
    expect(fern.locator("#direct-suggestions option")).to_have_count(0)
    dialog.get_by_role("button", name="Start").click()
    expect(fern.locator("#direct-error")).to_have_text(
        "A bot is written to alone: name the bot and nobody else."
    )
    dialog.get_by_role("button", name="Remove gil").click()
    dialog.get_by_role("button", name="Start").click()
    fern.wait_for_url("**/?room=dm-*")
    expect_online(fern)
    expect(fern.locator("#room-title")).to_have_text("quizbot")
    say(fern, "where is the timetable?")
    room = fern.url.split("room=")[1]
    status, stored = helper.post(server, room, "on the board, by the door")
    assert status == 201, stored
    answer = fern.locator("#messages .msg", has_text="on the board")
    expect(answer.locator(".badge")).to_have_text("bot")
    direct = fern.locator("#rooms .room-group[data-kind=direct] .room-link bdi")
    expect(direct).to_contain_text(["quizbot"])


def test_names_typed_one_after_another_are_all_taken(server: ServerProcess, pages: Pages) -> None:
    """Enter empties the box at once: a second name typed while the first is still being looked up is
    taken too, and the dialog sent at once, before either answer, makes the room with both."""
    for name in ("ivy", "jack"):
        open_as(pages, server, name)
    kit = open_as(pages, server, "kit")
    held: list[Route] = []
    slow = re.compile(r"/api/accounts\?prefix=ivy")
    kit.route(slow, lambda route: held.append(route))  # a slow line: the lookup of "ivy" waits
    kit.get_by_role("button", name="+ New room").click()
    dialog = kit.get_by_role("dialog", name="New room")
    dialog.get_by_label("Name").fill("quick-pick")
    people = kit.locator("#new-room-people")
    people.fill("ivy")
    people.press("Enter")
    expect(people).to_have_value("")
    people.press_sequentially("jack")
    people.press("Enter")
    dialog.get_by_role("button", name="Create room").click()
    while not held:
        kit.wait_for_timeout(20)  # lets Playwright hand the request to the route
    for route in held:
        route.continue_()
    kit.unroute(slow)
    kit.wait_for_url("**/?room=quick-pick")
    status, body = api_get(server, "/api/rooms/quick-pick/members", "kit")
    assert status == 200
    assert sorted(m["name"] for m in json.loads(body)["members"]) == ["ivy", "jack", "kit"]


def test_the_picker_takes_a_name_from_its_start_and_says_when_it_names_nobody_or_several(
    server: ServerProcess, pages: Pages
) -> None:
    """A teacher types first names: Enter takes the one account that starts so ("hana" is Hana Sato),
    whatever the case; a start shared by two, or a name nobody has, stays in the box with the reason at
    once, never a chip the server refuses later. A name left typed counts when the dialog is sent, and
    the settings' Add takes a start too."""
    for name in ("Hana Sato", "Chloe Martin", "Chris Wu"):
        assert api_get(server, "/api/rooms", name)[0] == 200  # their accounts, made by their tokens
    kay = open_as(pages, server, "Ms Kay")
    kay.get_by_role("button", name="+ New room").click()
    dialog = kay.get_by_role("dialog", name="New room")
    dialog.get_by_label("Name").fill("group-c")
    dialog.get_by_label("Closed: only its members").check()
    people, chips, error = (
        kay.locator("#new-room-people"),
        dialog.locator(".person-chip bdi"),
        kay.locator("#new-room-error"),
    )
    people.fill("hana")
    people.press("Enter")
    expect(chips).to_have_text(["Hana Sato"])
    expect(people).to_have_value("")
    people.fill("ch")
    people.press("Enter")
    expect(error).to_have_text("Several names start with “ch”: choose one from the list.")
    expect(people).to_have_value("ch")
    people.fill("zed")
    expect(error).to_have_text("")
    people.press("Enter")
    expect(error).to_have_text("Nobody here is called “zed”: check the name.")
    dialog.get_by_role("button", name="Create room").click()
    expect(error).to_have_text("Nobody here is called “zed”: check the name.")
    expect(chips).to_have_text(["Hana Sato"])
    people.fill("CHLO")
    dialog.get_by_role("button", name="Create room").click()
    kay.wait_for_url("**/?room=group-c")
    expect_online(kay)
    kay.get_by_role("button", name="Room settings").click()
    settings = kay.get_by_role("dialog", name="Room settings")
    expect(settings.locator(".members .nick")).to_have_text(["Chloe Martin", "Hana Sato", "Ms Kay"])
    settings.get_by_label("Add a member").fill("chr")
    settings.get_by_role("button", name="Add", exact=True).click()
    expect(settings.locator(".members .nick")).to_have_text(
        ["Chloe Martin", "Chris Wu", "Hana Sato", "Ms Kay"]
    )
    expect(settings.locator("#settings-error")).to_have_text("")


def in_a_closed_room(
    pages: Pages, server: ServerProcess, owner: str, member: str, room: str
) -> tuple[Page, Page]:
    """``owner`` makes a closed room with ``member``, who opens it from the list: both pages, online there."""
    member_page = open_as(pages, server, member)
    owner_page = open_as(pages, server, owner)
    create_closed_room(owner_page, room, member)
    member_page.locator("#rooms .room-group[data-kind=closed] .room-link").click()
    expect_online(member_page)
    return owner_page, member_page


def test_settings_rename_remove_and_archive(server: ServerProcess, pages: Pages) -> None:
    """The owner renames the room, removes a member (whose page says so, its messages gone, its box
    closed, his chrome kept) and archives it."""
    fay, gus = in_a_closed_room(pages, server, "fay", "gus", "crew")
    fay.get_by_role("button", name="Room settings").click()
    settings = fay.get_by_role("dialog", name="Room settings")
    expect(settings.locator(".members .nick")).to_have_text(["fay", "gus"])
    settings.get_by_label("Title").fill("The crew")
    settings.get_by_role("button", name="Rename").click()
    expect(fay.locator("#room-title")).to_have_text("#The crew")
    expect(gus.locator("#room-title")).to_have_text("#The crew")
    settings.get_by_role("button", name="Close").click()
    say(fay, "crew plans")
    expect(gus.locator("#messages .msg .text")).to_have_text(["crew plans"])
    fay.get_by_role("button", name="Room settings").click()
    settings.get_by_role("button", name="Remove gus").click()
    expect(settings.locator(".members .nick")).to_have_text(["fay"])
    expect(gus.locator("#room-missing-title")).to_have_text("You are no longer a member of this room")
    expect(gus.locator("#messages .msg")).to_have_count(0)
    expect(gus.locator("#text")).to_be_disabled()
    expect(gus.locator("#me-nick")).to_have_text("gus")
    expect(gus.locator("#rooms .room-link[data-room=lobby]")).to_be_visible()
    settings.get_by_role("button", name="Archive").click()
    expect(settings.get_by_role("button", name="Bring back")).to_be_visible()
    settings.get_by_role("button", name="Close").click()
    expect(fay.locator("#text")).to_be_disabled()
    expect(fay.locator("#composer-note")).to_contain_text("archived")


def own_message_actions(page: Page, count: int) -> list[str]:
    """Hover one's own message: the names of its toolbar's ``count`` buttons."""
    page.locator("#messages .msg.own").last.hover()
    actions = page.locator(".msg-actions .msg-action")
    expect(actions).to_have_count(count)
    return [str(action.get_attribute("aria-label")) for action in actions.all()]


def test_an_empty_archived_room_does_not_ask_for_a_hello(server: ServerProcess, pages: Pages) -> None:
    """A room archived before anyone wrote says so where an empty room invites a first message; brought
    back, the invitation returns."""
    token = f"Bearer {token_for('mia')}"
    assert call_api(server, "POST", "/api/rooms", {"room": "never-used", "kind": "open"}, token)[0] == 201
    mia = open_as(pages, server, "mia", room="never-used")
    expect(mia.locator("#empty")).to_have_text("No messages here yet. Say hello!")
    assert call_api(server, "PATCH", "/api/rooms/never-used", {"archived": True}, token)[0] == 200
    expect(mia.locator("#empty")).to_have_text("No messages here: the room is archived.")
    mia.reload()
    expect_online(mia)
    expect(mia.locator("#empty")).to_have_text("No messages here: the room is archived.")
    assert call_api(server, "PATCH", "/api/rooms/never-used", {"archived": False}, token)[0] == 200
    expect(mia.locator("#empty")).to_have_text("No messages here yet. Say hello!")


def test_archiving_turns_open_pages_read_only_at_once(server: ServerProcess, pages: Pages) -> None:
    """Archived, its open pages close the message box, mark the room, offer no changes; back, they open."""
    token = f"Bearer {token_for('kim')}"
    status, body = call_api(server, "POST", "/api/rooms", {"room": "old-project", "kind": "open"}, token)
    assert status == 201, body
    kim = open_as(pages, server, "kim", room="old-project")
    lee = open_as(pages, server, "lee", room="old-project")
    say(kim, "wrapping up this project")
    say(lee, "thanks all")
    lee.locator("#messages .msg.own").hover()
    lee.get_by_role("button", name="React").click()
    lee.locator(".quick-reaction").first.click()
    expect(kim.locator("#messages .reaction")).to_have_count(1)
    assert own_message_actions(kim, 7) == [
        "Reply",
        "Start a thread",
        "React",
        "Pin to this room",
        "Edit",
        "Delete",
        "More actions",
    ]

    status, body = call_api(server, "PATCH", "/api/rooms/old-project", {"archived": True}, token)
    assert status == 200, body
    for page in (kim, lee):
        expect(page.locator("#text")).to_be_disabled()
        expect(page.locator("#send")).to_be_disabled()
        expect(page.locator("#text")).to_have_attribute("placeholder", ARCHIVED)
        expect(page.locator("#composer-note")).to_have_text(
            "This room is archived: its messages can be read, not added to or changed."
        )
        expect(page.locator("#room-archived")).to_be_visible()
        link = page.locator("#rooms .room-link[data-room=old-project]")
        expect(link.locator(".room-tag")).to_have_text("archived")
        expect(link).to_have_attribute("aria-label", re.compile(r"^#old-project, archived, "))
        expect(page.locator("#messages .reaction")).to_be_disabled()
    readers_actions = [
        "Mark unread from here",
        "Copy link",
        "Save for later",
        "Remind me about this",
        "Forward",
    ]
    assert own_message_actions(kim, 5) == readers_actions

    status, body = call_api(server, "PATCH", "/api/rooms/old-project", {"archived": False}, token)
    assert status == 200, body
    expect(kim.locator("#text")).to_be_enabled()
    expect(kim.locator("#text")).to_have_attribute("placeholder", "Message #old-project")
    expect(kim.locator("#room-archived")).to_be_hidden()
    expect(kim.locator("#composer-note")).to_be_hidden()
    expect(kim.locator("#rooms .room-link[data-room=old-project] .room-tag")).to_have_count(0)
    expect(kim.locator("#messages .reaction")).to_be_enabled()
    assert own_message_actions(kim, 7) == [
        "Reply",
        "Start a thread",
        "React",
        "Pin to this room",
        "Edit",
        "Delete",
        "More actions",
    ]
    say(kim, "back at it")


def test_a_list_of_rooms_older_than_the_archiving_does_not_undo_it(
    server: ServerProcess, pages: Pages
) -> None:
    """Archived while the page's list of rooms is on its way, the room stays read only once it arrives."""
    token = f"Bearer {token_for('ola')}"
    status, body = call_api(server, "POST", "/api/rooms", {"room": "last-sprint", "kind": "open"}, token)
    assert status == 201, body
    lists = HeldAnswers(re.compile(r"/api/rooms\?"))  # the answers of this moment, given later
    ola = pages.open(f"{server.url}/?room=last-sprint&token={token_for('ola')}", before=lists.hold)
    expect_online(ola)
    status, body = call_api(server, "PATCH", "/api/rooms/last-sprint", {"archived": True}, token)
    assert status == 200, body
    expect(ola.locator("#text")).to_be_disabled()
    lists.wait_for(ola, bool, "its list of rooms")
    for _, answer in lists.held:
        assert b'"archived": false' in answer.body() or b'"archived":false' in answer.body()
    lists.hand_over(ola, "/api/rooms?")
    expect(ola.locator("#rooms .room-link[data-room=lobby]")).to_be_visible()
    expect(ola.locator("#text")).to_be_disabled()
    expect(ola.locator("#rooms .room-link[data-room=last-sprint] .room-tag")).to_have_text("archived")


def test_settings_offer_a_member_only_what_they_may_do(server: ServerProcess, pages: Pages) -> None:
    """A member who does not own a closed room sees its members and "Leave room", and nothing to rename,
    archive, add or remove; in an open room they read without being in it, not even "Leave room"."""
    lou, kim = in_a_closed_room(pages, server, "lou", "kim", "den")
    kim.get_by_role("button", name="Room settings").click()
    settings = kim.get_by_role("dialog", name="Room settings")
    expect(settings.locator(".members .nick")).to_have_text(["kim", "lou"])
    expect(settings.get_by_role("button", name="Leave room")).to_be_visible()
    expect_only_reading(settings)

    lou.goto(f"{server.url}/?room=lobby&token={token_for('lou')}")
    expect_online(lou)
    lou.get_by_role("button", name="+ New room").click()
    made = lou.get_by_role("dialog", name="New room")
    made.get_by_label("Name").fill("square")
    made.get_by_role("button", name="Create room").click()
    lou.wait_for_url("**/?room=square")
    square = open_as(pages, server, "kim", room="square")
    square.get_by_role("button", name="Room settings").click()
    settings = square.get_by_role("dialog", name="Room settings")
    expect(settings.locator(".members .nick")).to_have_text(["lou"])
    expect(settings.get_by_label("Notify me of")).to_be_visible()
    expect(settings.get_by_role("button", name="Leave room")).to_have_count(0)
    expect_only_reading(settings)


def expect_only_reading(settings: Locator) -> None:
    """The settings offer no change to the room: no rename, archive, adding or removing anyone."""
    for name in ("Rename", "Archive", "Add"):
        expect(settings.get_by_role("button", name=name, exact=True)).to_have_count(0)
    expect(settings.get_by_role("button", name=re.compile("^Remove "))).to_have_count(0)
    expect(settings.get_by_label("Title")).to_be_hidden()
    expect(settings.get_by_label("Add a member")).to_be_hidden()


def test_a_room_one_may_not_see_keeps_ones_page_and_says_so(server: ServerProcess, pages: Pages) -> None:
    """A closed room one is not in keeps one's chip, buttons and rooms, says why, and offers a way out."""
    token = f"Bearer {token_for('mia')}"
    status, body = call_api(server, "POST", "/api/rooms", {"room": "design-review", "kind": "closed"}, token)
    assert status == 201, body
    nell = pages.open(f"{server.url}/?room=design-review&token={token_for('nell')}")
    missing = nell.locator("#room-missing")
    expect(missing).to_be_visible()
    expect(missing.get_by_role("heading")).to_have_text(NOT_A_MEMBER)
    expect(nell.locator("#me")).to_be_visible()
    expect(nell.locator("#me-nick")).to_have_text("nell")
    expect(nell.get_by_role("button", name="+ New room")).to_be_visible()
    expect(nell.get_by_role("button", name="+ New message")).to_be_visible()
    expect(nell.locator("#room-form label")).to_have_text("Go to a room")
    expect(nell.locator("#rooms .room-link[data-room=lobby]")).to_be_visible()
    expect(nell.locator("#rooms .room-link[data-room=design-review]")).to_have_count(0)
    expect(nell.locator("#rooms [aria-current]")).to_have_count(0)
    expect(nell.locator("#text")).to_be_disabled()
    expect(nell.locator("#room-settings")).to_be_hidden()
    expect(nell.locator("#people")).to_be_hidden()
    missing.get_by_role("button", name="Show your rooms").click()
    expect(nell.locator("#rooms .room-link").first).to_be_focused()
    missing.get_by_role("link", name="Go to #lobby").click()
    expect_online(nell)
    expect(nell.locator("#room-missing")).to_be_hidden()
    expect(nell.locator("#text")).to_be_enabled()


def test_other_rooms_online_counts_catch_up_within_a_minute(server: ServerProcess, pages: Pages) -> None:
    """Someone entering another room shows in its count on a page left open, at the latest a minute on."""
    status, _ = call_api(
        server, "POST", "/api/rooms", {"room": "quiet-corner", "kind": "open"}, f"Bearer {token_for('nell')}"
    )
    assert status == 201
    open_as(pages, server, "nell", "quiet-corner")
    ivy = open_as(pages, server, "ivy", fake_clock=True)
    count = ivy.locator("#rooms .room-link[data-room='quiet-corner'] .count")
    expect(count).to_have_text("1")
    open_as(pages, server, "otto", "quiet-corner")
    ivy.clock.run_for("00:30")
    expect(count).to_have_text("1")  # not asked again yet
    ivy.clock.run_for("00:31")
    expect(count).to_have_text("2")


def test_screenshots_of_the_room_dialogs(server: ServerProcess, pages: Pages, tmp_path: Path) -> None:
    """The new room, direct message and settings dialogs on a desktop and a phone, light and dark."""
    out = Path(os.environ.get("CHATROOM_SCREENSHOT_DIR", tmp_path))
    for name in ("hana", "hiro", "henrik"):
        open_as(pages, server, name)
    desktop = open_as(pages, server, "ines")
    phone = open_as(pages, server, "jon", viewport=SCREENSHOT_PHONE, color_scheme="dark")
    for page, where in ((desktop, "desktop"), (phone, "phone")):
        if where == "phone":
            page.locator("#drawer-toggle").click()
        page.get_by_role("button", name="+ New room").click()
        dialog = page.get_by_role("dialog", name="New room")
        dialog.get_by_label("Name").fill(f"design-{where}")
        dialog.get_by_label("Closed: only its members").check()
        pick(page, "#new-room-people", "ha", "hana")
        page.locator("#new-room-people").fill("h")
        page.wait_for_timeout(400)
        shoot(page, out, f"new-room-{where}")
        dialog.get_by_role("button", name="Cancel").click()
        page.get_by_role("button", name="+ New message").click()
        pick(page, "#direct-people", "hi", "hiro")
        shoot(page, out, f"direct-{where}")
        page.get_by_role("dialog", name="New direct message").get_by_role("button", name="Start").click()
        page.wait_for_url("**/?room=dm-*")
        expect_online(page)
    for page, where in ((desktop, "desktop"), (phone, "phone")):
        page.goto(f"{server.url}/?room=lobby&token={token_for('ines' if where == 'desktop' else 'jon')}")
        expect_online(page)
        if where == "phone":
            page.locator("#drawer-toggle").click()
        create_closed_room(page, f"ops-{where}", "henrik")
        page.get_by_role("button", name="Room settings").click()
        expect(page.locator(".members .nick")).to_have_count(2)
        shoot(page, out, f"settings-{where}")
        widths = page.evaluate("document.documentElement.scrollWidth")
        assert widths <= page.viewport_size["width"]  # type: ignore[index]


def shoot(page: Page, out: Path, name: str) -> None:
    """Both colour schemes of what the page shows now."""
    scheme = page.evaluate("matchMedia('(prefers-color-scheme: dark)').matches")
    first, second = ("dark", "light") if scheme else ("light", "dark")
    screenshot(page, out / f"rooms-{name}-{first}.png")
    page.emulate_media(color_scheme=second)
    screenshot(page, out / f"rooms-{name}-{second}.png")
    page.emulate_media(color_scheme=first)
