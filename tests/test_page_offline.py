"""Offline on the page (static/js/outbox.js, people.js, rooms.js) in Debian's Chromium.

Each page's WebSocket runs through a Line (tests/page_line.py): cutting it is
the network going down, and it can swallow what the server answers to one
message (its ack and its echo), the way a connection that drops right after
the server stored a message does.
The server is a real ``python -m chatroom`` with accounts signed in by token.
"""

from __future__ import annotations

import json
import os
import re
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests import test_page
from tests.page_browser import DESKTOP, Watched
from tests.page_line import Line
from tests.sample_files import picture
from tests.screens import screenshot
from tests.support import NO_PROXY, ServerProcess, call_api
from tests.test_page import JWT_SECRET, SCREENSHOT_PHONE, Pages, expect_online, say, token_for
from tests.test_page_files import expect_picture
from tests.test_page_journey import signed_in
from tests.test_page_rooms import api_get
from tests.web_client import set_up


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """Accounts only, signed in with tokens."""
    db = tmp_path_factory.mktemp("offline-page") / "chat.db"
    with ServerProcess(db, "--jwt-secret", JWT_SECRET, guests=False) as running:
        yield running


def open_as(pages: Pages, server: ServerProcess, name: str, room: str = "lobby", **options: Any) -> Page:
    page = pages.open(f"{server.url}/?room={room}&token={token_for(name)}", **options)
    expect_online(page)
    return page


def on_line(pages: Pages, server: ServerProcess, name: str, room: str, **options: Any) -> tuple[Page, Line]:
    """``name``'s page in ``room``, its socket through a Line."""
    context = pages.browser.new_context(viewport=options.pop("viewport", DESKTOP), **options)
    page = context.new_page()
    line = Line(page)
    watched = Watched()
    page.on("pageerror", lambda error: watched.errors.append(str(error)))
    pages.opened.append((page, watched))
    page.goto(f"{server.url}/?room={room}&token={token_for(name)}")
    expect_online(page)
    return page, line


def stored(server: ServerProcess, room: str, reader: str) -> list[str]:
    """The texts of the room's messages, as the HTTP API gives them to ``reader``."""
    status, body = api_get(server, f"/api/rooms/{room}/messages?limit=500", reader)
    assert status == 200, body
    return [message["message"] for message in json.loads(body)["messages"]]


def type_in(page: Page, text: str) -> None:
    box = page.locator("#text")
    box.fill(text)
    box.press("Enter")


def outbox(page: Page) -> Any:
    return page.locator("#outbox li")


def test_typed_offline_is_queued_visibly_and_sent_once_on_reconnect(
    server: ServerProcess, pages: Pages
) -> None:
    """Offline, messages wait in the outbox (one cancelled); back online they go, in order, once each."""
    bob = open_as(pages, server, "bob", open_room(server, "queue"))
    ann, line = on_line(pages, server, "ann", "queue")
    say(ann, "before the tunnel")
    line.go_down()
    expect(ann.locator("#status")).to_have_attribute("data-state", "offline")
    for text in ("in the tunnel, one", "never mind this", "in the tunnel, two"):
        type_in(ann, text)
    expect(ann.locator("#text")).to_have_value("")
    expect(ann.locator("#send-error")).to_be_hidden()
    expect(outbox(ann).locator(".outbox-text")).to_have_text(
        ["in the tunnel, one", "never mind this", "in the tunnel, two"]
    )
    expect(outbox(ann).locator(".outbox-state")).to_have_text(["waiting to send"] * 3)
    outbox(ann).nth(1).get_by_role("button", name=re.compile("Cancel")).click()
    expect(outbox(ann)).to_have_count(2)

    line.come_back(ann)
    expect(ann.locator("#outbox")).to_be_hidden()
    sent = ["before the tunnel", "in the tunnel, one", "in the tunnel, two"]
    for page in (ann, bob):
        expect(page.locator("#messages .msg .text")).to_have_text(sent)
    assert stored(server, "queue", "bob") == sent
    assert line.sent_texts() == sent  # nothing went twice, the cancelled one never


def test_closing_the_tab_with_messages_waiting_asks_first(server: ServerProcess, pages: Pages) -> None:
    """With the outbox empty the tab closes without a word; with a message waiting the browser asks."""
    ann, line = on_line(pages, server, "ann", open_room(server, "leaving"))
    say(ann, "all sent")
    asked: list[str] = []
    ann.on("dialog", lambda dialog: (asked.append(dialog.type), dialog.dismiss()))
    line.go_down()
    expect(ann.locator("#status")).to_have_attribute("data-state", "offline")
    type_in(ann, "not sent yet")
    expect(outbox(ann).locator(".outbox-state")).to_have_text(["waiting to send"])
    ann.close(run_before_unload=True)
    expect(outbox(ann).locator(".outbox-text")).to_have_text(["not sent yet"])  # dismissed: the tab stays
    assert asked == ["beforeunload"]
    outbox(ann).get_by_role("button", name=re.compile("Cancel")).click()
    expect(ann.locator("#outbox")).to_be_hidden()
    ann.close(run_before_unload=True)
    ann.wait_for_event("close")
    assert asked == ["beforeunload"]


def test_a_message_typed_while_another_is_unacked_waits_its_turn(server: ServerProcess, pages: Pages) -> None:
    """The first message is still on its way: the next waits in the outbox, then goes after it, once."""
    bob = open_as(pages, server, "bob", open_room(server, "slow-ack"))
    ann, line = on_line(pages, server, "ann", "slow-ack")
    line.holding = True
    type_in(ann, "first")
    expect(ann.locator("#composer")).to_have_class(re.compile(r"\bsending\b"))
    type_in(ann, "second")
    expect(ann.locator("#text")).to_have_value("first")  # still on its way, still in the box
    expect(outbox(ann).locator(".outbox-text")).to_have_text(["second"])
    expect(outbox(ann).locator(".outbox-state")).to_have_text(["waiting to send"])
    line.release()
    expect(ann.locator("#outbox")).to_be_hidden()
    expect(ann.locator("#text")).to_have_value("")
    for page in (ann, bob):
        expect(page.locator("#messages .msg .text")).to_have_text(["first", "second"])
    assert stored(server, "slow-ack", "bob") == ["first", "second"]
    assert line.sent_texts() == ["first", "second"]


def test_a_message_stored_whose_ack_was_lost_is_not_sent_again(server: ServerProcess, pages: Pages) -> None:
    """Stored, then the line drops before the answer: the replay settles it, and it is there once."""
    bob = open_as(pages, server, "bob", open_room(server, "lost-ack"))
    ann, line = on_line(pages, server, "ann", "lost-ack")
    say(ann, "hello")  # the page holds a message: it reconnects with since
    line.swallow_next = True
    type_in(ann, "did this get through?")
    expect(ann.locator("#status")).to_have_attribute("data-state", "offline")
    expect(outbox(ann).locator(".outbox-text")).to_have_text(["did this get through?"])
    expect(outbox(ann).locator(".outbox-state")).to_have_text(["waiting to send"])
    expect(bob.locator("#messages .msg .text")).to_have_text(["hello", "did this get through?"])

    line.come_back(ann)
    expect(ann.locator("#outbox")).to_be_hidden()
    expect(ann.locator("#messages .msg .text")).to_have_text(["hello", "did this get through?"])
    say(ann, "and this one")  # the page sends as usual after
    sent = ["hello", "did this get through?", "and this one"]
    expect(bob.locator("#messages .msg .text")).to_have_text(sent)
    assert stored(server, "lost-ack", "bob") == sent
    assert line.sent_texts() == sent  # settled by its echo in the replay, not sent again


def test_a_reload_while_offline_keeps_the_outbox_and_the_resend_is_stored_once(
    server: ServerProcess, pages: Pages
) -> None:
    """Reloaded while offline, the outbox is still there; sent again under its ref, the server keeps one."""
    ann, line = on_line(pages, server, "ann", open_room(server, "reload"))
    line.swallow_next = True
    type_in(ann, "sent into the void")
    expect(ann.locator("#status")).to_have_attribute("data-state", "offline")
    type_in(ann, "typed after the drop")
    ann.reload()
    expect(outbox(ann).locator(".outbox-text")).to_have_text(["sent into the void", "typed after the drop"])

    line.come_back(ann)
    expect(ann.locator("#outbox")).to_be_hidden()
    expect(ann.locator("#messages .msg .text")).to_have_text(["sent into the void", "typed after the drop"])
    assert stored(server, "reload", "ann") == ["sent into the void", "typed after the drop"]
    first, again, after = line.sent
    assert first["ref"] == again["ref"] and first["message"] == again["message"]  # the same ref: stored once
    assert after["message"] == "typed after the drop"


def test_a_message_refused_on_reconnect_stays_with_the_reason(server: ServerProcess, pages: Pages) -> None:
    """The room was archived meanwhile: the waiting message is refused, says why, and goes when cancelled."""
    room = open_room(server, "archived-meanwhile")
    bob, line = on_line(pages, server, "bob", room)
    line.go_down()
    type_in(bob, "too late for this room")
    status, body = call_api(server, "PATCH", f"/api/rooms/{room}", {"archived": True}, bearer("ann"))
    assert status == 200, body
    line.come_back(bob)
    item = outbox(bob)
    expect(item.locator(".outbox-state")).to_have_text(
        "Not sent: This room is archived: it can be read, not written to."
    )
    expect(item).to_have_class("refused")
    expect(item.get_by_role("button", name="Send again")).to_be_visible()
    assert stored(server, room, "ann") == []
    item.get_by_role("button", name=re.compile("Cancel")).click()
    expect(bob.locator("#outbox")).to_be_hidden()
    assert bob.evaluate(f"sessionStorage.getItem('chatroom.outbox.{room}')") is None


def test_while_disconnected_nobody_is_shown_online(server: ServerProcess, pages: Pages) -> None:
    """Offline, the online list greys out as unknown and its counts say —; the welcome brings it back."""
    open_as(pages, server, "bob", open_room(server, "who"))
    ann, line = on_line(pages, server, "ann", "who")
    expect(ann.locator("#users .nick")).to_have_text(["ann", "bob"])
    expect(ann.locator("#online-count-side")).to_have_text("2")
    line.go_down()
    expect(ann.locator("#users")).to_have_class(re.compile(r"\bunknown\b"))
    expect(ann.locator("#users-title")).to_have_text("Last seen online —")
    expect(ann.locator("#online-count")).to_have_text("—")
    expect(ann.locator("#users-unknown")).to_be_visible()
    opacity = ann.eval_on_selector("#users li", "li => getComputedStyle(li).opacity")
    assert float(opacity) < 1
    line.come_back(ann)
    expect(ann.locator("#users")).not_to_have_class(re.compile(r"\bunknown\b"))
    expect(ann.locator("#users-title")).to_have_text("Online 2")
    expect(ann.locator("#users-unknown")).to_be_hidden()


def bearer(name: str) -> str:
    return f"Bearer {token_for(name)}"


def open_room(server: ServerProcess, room: str) -> str:
    """An open room, made by ann."""
    status, body = call_api(server, "POST", "/api/rooms", {"room": room, "kind": "open"}, bearer("ann"))
    assert status == 201, body
    return room


def direct_room(server: ServerProcess, name: str, other: str) -> str:
    """The direct room of ``name`` and ``other`` (whose first token makes the account)."""
    assert call_api(server, "GET", "/api/rooms", authorization=bearer(other))[0] == 200
    status, body = call_api(server, "POST", "/api/direct", {"members": [other]}, bearer(name))
    assert status in (200, 201), body
    return str(body["room"])


def test_a_direct_conversation_shows_whether_the_other_person_is_online(
    server: ServerProcess, pages: Pages
) -> None:
    """Header and list entry say live whether carl is online; typing shows too; offline, it is unknown."""
    room = direct_room(server, "dana", "carl")
    dana, line = on_line(pages, server, "dana", room)
    expect(dana.locator("#room-title")).to_have_text("carl")
    presence = dana.locator("#direct-presence")
    entry_dot = dana.locator(f"#rooms .room-link[data-room='{room}'] .presence-dot")
    expect(presence).to_have_text("away")
    expect(presence).to_have_attribute("data-presence", "away")
    expect(entry_dot).to_have_attribute("data-presence", "away")

    carl = open_as(pages, server, "carl", room)
    expect(presence).to_have_text("active")
    expect(presence).to_have_attribute("title", "carl is online and has this conversation open")
    # One green dot in the header, carl's: the page's own connection says "Connected" without one.
    expect(dana.locator("#status-text")).to_have_text("Connected")
    expect(dana.locator("#status .dot")).to_be_hidden()
    expect(entry_dot).to_have_attribute("data-presence", "online")
    expect(dana.locator(f"#rooms .room-link[data-room='{room}']")).to_have_attribute(
        "aria-label", re.compile(r"^carl, active, ")
    )
    carl.locator("#text").press_sequentially("psst")
    expect(dana.locator("#typing")).to_have_text("carl is typing…")

    line.go_down()
    expect(presence).to_have_text("unknown while offline")
    expect(dana.locator("#status .dot")).to_be_visible()
    expect(entry_dot).to_have_attribute("data-presence", "unknown")
    line.come_back(dana)
    expect(presence).to_have_text("active")
    carl.context.close()
    expect(presence).to_have_text("away")
    expect(entry_dot).to_have_attribute("data-presence", "away")
    # Another room's entry says nothing of presence: the page knows only this room's.
    expect(dana.locator("#rooms .presence-dot")).to_have_count(1)


def test_screenshots_of_the_outbox_the_unknown_list_and_a_direct_header(
    server: ServerProcess, pages: Pages, tmp_path: Path
) -> None:
    """Desktop and phone, light and dark: a direct conversation, then offline with two messages waiting."""
    out = Path(os.environ.get("CHATROOM_SCREENSHOT_DIR", tmp_path))
    room = direct_room(server, "Émilie", "Oskar")
    open_as(pages, server, "Oskar", room)
    desktop, desktop_line = on_line(pages, server, "Émilie", room)
    phone, phone_line = on_line(pages, server, "Émilie", room, viewport=SCREENSHOT_PHONE, color_scheme="dark")
    say(desktop, "Are you coming to the station?")
    for page in (desktop, phone):
        expect(page.locator("#direct-presence")).to_have_text("active")
    shots = [(desktop, "light", "desktop"), (phone, "dark", "phone")]
    for page, scheme, name in shots:
        screenshot(page, out / f"screenshot-direct-{name}-{scheme}.png")
    for line in (desktop_line, phone_line):
        line.go_down()
    for page in (desktop, phone):
        type_in(page, "The train is in a tunnel, I will be there in 10 minutes")
        type_in(page, "Wait for me at the **north** exit")
        expect(outbox(page).locator(".outbox-state")).to_have_text(["waiting to send"] * 2)
        expect(page.locator("#users")).to_have_class(re.compile(r"\bunknown\b"))
        expect(page.locator("#direct-presence")).to_have_attribute("data-presence", "unknown")
        assert page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"]  # type: ignore[index]
    for page, scheme, name in shots:
        screenshot(page, out / f"screenshot-offline-{name}-{scheme}.png")
    for page, scheme, name in shots:
        other = "dark" if scheme == "light" else "light"
        page.emulate_media(color_scheme=other)
        screenshot(page, out / f"screenshot-offline-{name}-{other}.png")
    phone.locator("#drawer-toggle").click()
    expect(phone.locator("#users")).to_be_in_viewport()
    phone.wait_for_function("() => getComputedStyle(document.querySelector('#sidebar')).transform === 'none'")
    phone.wait_for_timeout(250)  # the slide's last frame
    screenshot(phone, out / "screenshot-offline-phone-drawer.png")


def set_picture_by_api(server: ServerProcess, name: str, colour: str) -> None:
    """``name`` sets a profile picture of ``colour`` (``PUT /api/me/avatar``), from elsewhere."""
    request = urllib.request.Request(
        server.url + "/api/me/avatar", data=picture(300, 300, colour), method="PUT"
    )
    request.add_header("Content-Type", "image/png")
    request.add_header("Authorization", bearer(name))
    with NO_PROXY.open(request, timeout=10) as response:
        assert response.status == 200


def test_a_picture_changed_while_offline_shows_after_the_reconnect(
    server: ServerProcess, pages: Pages
) -> None:
    """Ivo's new picture reaches wes's open page live; one he sets while that page is offline shows
    there once it is back, beside his message and in the list of people, without a reload."""
    ivo = open_as(pages, server, "ivo", open_room(server, "portraits"))
    say(ivo, "new haircut")
    wes, line = on_line(pages, server, "wes", "portraits")
    wes.evaluate("window.stillThisPage = true")
    beside = wes.locator('#messages .msg[data-nick="ivo"] .avatar')
    listed = wes.locator("#users li").filter(has_text="ivo").locator(".avatar")
    set_picture_by_api(server, "ivo", "#c2185b")
    for avatar in (beside, listed):
        expect_picture(avatar, "#c2185b")
    line.go_down()
    expect(wes.locator("#status")).to_have_attribute("data-state", "offline")
    set_picture_by_api(server, "ivo", "#1565c0")
    line.come_back(wes)
    for avatar in (beside, listed):
        expect_picture(avatar, "#1565c0")
    assert wes.evaluate("window.stillThisPage") is True


def test_a_guests_page_shows_a_picture_changed_while_offline_after_the_reconnect(
    tmp_path: Path, pages: Pages
) -> None:
    """A guest's page, told of no change live, asks again for the pictures of those it shows once it is
    back: Ivo's new picture replaces the one it loaded with."""
    with ServerProcess(tmp_path / "chat.db") as guests_server:
        ivo_client, _ = set_up(guests_server, "ivo")

        def set_ivos_picture(colour: str) -> None:
            headers = {"Content-Type": "image/png", "X-XSRFToken": ivo_client.xsrf_token()}
            answer = ivo_client.request("PUT", "/api/me/avatar", picture(300, 300, colour), headers)
            assert answer.status == 200, answer

        set_ivos_picture("#c2185b")
        ivo = signed_in(pages, ivo_client, f"{guests_server.url}/?room=lobby")
        say(ivo, "hello, guests")
        context = pages.browser.new_context(viewport=DESKTOP)
        gus = context.new_page()
        line = Line(gus)
        pages.opened.append((gus, Watched()))
        gus.goto(f"{guests_server.url}/?room=lobby")
        test_page.choose_nick(gus, "gus")
        expect_online(gus)
        beside = gus.locator('#messages .msg[data-nick="ivo"] .avatar')
        expect_picture(beside, "#c2185b")
        line.go_down()
        expect(gus.locator("#status")).to_have_attribute("data-state", "offline")
        set_ivos_picture("#1565c0")
        line.come_back(gus)
        expect_picture(beside, "#1565c0")
