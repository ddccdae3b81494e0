"""Forwarding on the page (static/js/forward.js, forward_card.js) in Chromium.

People signed in with passwords on a real ``python -m chatroom``: ann forwards a message of the closed
room "plans" from its "⋯ More actions" with the keyboard alone, warned that those in "town" may not read
"plans", with a comment; cid in "town" sees the copy live as a quoted card (author, the forwarded text
with its formatting, "a closed room", never its name) and may not open the original, while bob, who reads
"plans", is taken to it; a forward to a person opens their direct conversation; an announcements room is
offered only to who posts in it. Desktop and phone, light and dark.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Route, expect

from tests.support import ServerProcess
from tests.test_page import SCREENSHOT_PHONE, Pages, say
from tests.test_page_changes import act, act_more, message, shoot
from tests.test_page_journey import signed_in
from tests.web_client import WebClient, join, set_up


@pytest.fixture(scope="module")
def people(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ServerProcess, dict[str, WebClient]]]:
    """A server without guests; ann (its administrator), bob and cid signed in; "plans" is ann's and
    bob's closed room, "town" an open one."""
    with ServerProcess(tmp_path_factory.mktemp("forward-page") / "chat.db", guests=False) as running:
        ann, join_link = set_up(running, "ann")
        clients = {"ann": ann, "bob": join(running, join_link, "bob"), "cid": join(running, join_link, "cid")}
        for body in (
            {"room": "plans", "kind": "closed", "members": ["bob"]},
            {"room": "town", "kind": "open"},
        ):
            assert ann.call("POST", "/api/rooms", body).status == 201
        yield running, clients


def test_forward_with_the_keyboard_read_as_a_card_and_opened_by_who_may(
    people: tuple[ServerProcess, dict[str, WebClient]], pages: Pages, tmp_path: Path
) -> None:
    server, clients = people
    ann = signed_in(pages, clients["ann"], f"{server.url}/?room=plans")
    cid = signed_in(pages, clients["cid"], f"{server.url}/?room=town")
    bob = signed_in(
        pages, clients["bob"], f"{server.url}/?room=town", viewport=SCREENSHOT_PHONE, color_scheme="dark"
    )
    say(ann, "the **launch** is on <Friday>")
    item = message(ann, "launch")
    act(ann, item, "More actions")
    forward = item.get_by_role("button", name="Forward", exact=True)
    forward.focus()
    ann.keyboard.press("Enter")
    dialog = ann.get_by_role("dialog", name="Forward message")
    expect(dialog).to_be_visible()
    expect(ann.locator("#forward-to")).to_be_focused()
    expect(dialog.locator("#forward-preview")).to_contain_text("the launch is on <Friday>")
    ann.keyboard.type("tow")
    expect(dialog.get_by_role("option", name="#town")).to_be_visible()
    ann.keyboard.press("Enter")
    warning = "Everyone in #town will see this message, though they may not be able to read #plans."
    expect(dialog.locator("#forward-warning")).to_have_text(warning)
    expect(ann.locator("#forward-comment")).to_be_focused()
    ann.keyboard.type("for the <whole> town")
    shoot(ann, tmp_path, "forward-dialog-desktop")
    ann.keyboard.press("Enter")  # sends, as the message box does
    expect(dialog).to_be_hidden()
    expect(ann.locator("#forward-done")).to_have_text("Forwarded to #town.")

    for page in (cid, bob):
        copy = message(page, "for the <whole> town")
        card = copy.locator(".forward-card")
        expect(card.locator(".forward-head")).to_contain_text("↪ Forwarded from a closed room — ann")
        expect(card.locator(".forward-text strong")).to_have_text("launch")
        expect(card.locator(".forward-text")).to_have_text("the launch is on <Friday>")
        expect(page.locator("#messages")).not_to_contain_text("plans")
        assert (
            page.locator("#messages b, #messages whole, #messages friday").count() == 0
        )  # text, never markup
    shoot(cid, tmp_path, "forward-card-desktop")
    shoot(bob, tmp_path, "forward-card-phone")
    assert bob.evaluate("document.documentElement.scrollWidth <= innerWidth")

    cid_card = message(cid, "for the <whole> town").locator(".forward-card")
    cid_card.get_by_role("button", name="View original").click()
    expect(cid_card.locator(".forward-note")).to_have_text(
        "The original is not yours to open: you may not read its room."
    )
    message(bob, "for the <whole> town").locator(".forward-card").get_by_role(
        "button", name="View original"
    ).click()
    expect(bob).to_have_url(f"{server.url}/?room=plans#m-1")
    expect(message(bob, "launch")).to_be_focused()

    ann.set_viewport_size(SCREENSHOT_PHONE)
    act(ann, message(ann, "launch"), "More actions")
    message(ann, "launch").get_by_role("button", name="Forward", exact=True).click()
    ann.locator("#forward-to").fill("ci")
    dialog.get_by_role("option", name="👤 cid").click()
    said = "cid will see this message, though they may not be able to read #plans."
    expect(dialog.locator("#forward-warning")).to_have_text(said)
    shoot(ann, tmp_path, "forward-dialog-phone")
    assert ann.evaluate("document.documentElement.scrollWidth <= innerWidth")
    dialog.get_by_role("button", name="Send").click()
    expect(ann.locator("#forward-done")).to_have_text("Forwarded to cid.")
    answer = clients["cid"].call("GET", "/api/rooms")
    direct = [r["room"] for r in json.loads(answer.body)["rooms"] if r.get("kind") == "direct"]
    (room,) = direct
    copies = json.loads(clients["cid"].call("GET", f"/api/rooms/{room}/messages").body)["messages"]
    assert [(c["nick"], c["forward"]["message"]) for c in copies] == [
        ("ann", "the **launch** is on <Friday>")
    ]


def test_a_reply_to_a_copy_without_a_comment_quotes_what_it_forwards(
    people: tuple[ServerProcess, dict[str, WebClient]], pages: Pages
) -> None:
    """bob forwards cid's message of "town" into "town" without a comment; cid replies to the copy: the bar
    over his box and his reply's quote both say "↪ cid:" and the forwarded text, not an empty quote."""
    server, clients = people
    cid = signed_in(pages, clients["cid"], f"{server.url}/?room=town")
    say(cid, "the ferry leaves at *noon*")
    messages = json.loads(clients["bob"].call("GET", "/api/rooms/town/messages").body)["messages"]
    (original,) = [m["id"] for m in messages if m["message"] == "the ferry leaves at *noon*"]
    answer = clients["bob"].call("POST", "/api/rooms/town/forwards", {"room": "town", "id": original})
    assert answer.status == 201, answer.body
    copy = cid.locator(f'#messages .msg[data-id="{json.loads(answer.body)["id"]}"]')
    expect(copy.locator(".forward-text")).to_have_text("the ferry leaves at noon")
    act(cid, copy, "Reply")
    quoted = "↪ cid: the ferry leaves at noon"
    expect(cid.locator("#reply-bar")).to_have_text(f"Replying to bob: {quoted}×")
    say(cid, "see you there")
    expect(message(cid, "see you there").locator(".reply-quote")).to_have_text(f"bob {quoted}")


def test_announcements_rooms_are_offered_to_who_posts_in_them(
    people: tuple[ServerProcess, dict[str, WebClient]], pages: Pages, tmp_path: Path
) -> None:
    """bob's "notices" is an announcements room: his forward dialog offers it and his copy goes there;
    cid's leaves it out once his page knows he does not post there; chosen before it knew, the choice is
    undone with a line saying why, and nothing is sent."""
    server, clients = people
    for room, posting in (("notices", "managers"), ("nottingham", "everyone")):
        body = {"room": room, "kind": "open", "posting": posting}
        assert clients["bob"].call("POST", "/api/rooms", body).status == 201
    bob = signed_in(pages, clients["bob"], f"{server.url}/?room=town")
    cid = signed_in(pages, clients["cid"], f"{server.url}/?room=town")
    say(cid, "the market opens at eight")
    asked: list[Route] = []
    cid.route("**/api/rooms/notices/members?**", lambda route: asked.append(route))
    act_more(cid, message(cid, "the market opens at eight"), "Forward")
    cid.locator("#forward-to").fill("noti")
    dialog = cid.get_by_role("dialog", name="Forward message")
    dialog.get_by_role("option", name="#notices").click()
    expect(cid.locator("#forward-comment")).to_be_focused()
    for _ in range(250):  # the page asks whether cid manages the room: held until now
        if asked:
            break
        cid.wait_for_timeout(20)
    asked[0].continue_()
    said = "Only the owner and administrators of #notices post in it."
    expect(dialog.locator("#forward-error")).to_have_text(said)
    expect(cid.locator("#forward-to")).to_be_focused()
    shoot(cid, tmp_path, "forward-unchosen-desktop")
    cid.locator("#forward-to").fill("not")
    expect(dialog.get_by_role("option", name="#nottingham")).to_be_visible()
    expect(dialog.get_by_role("option", name="#notices")).to_have_count(0)
    dialog.get_by_role("button", name="Cancel").click()

    act_more(bob, message(bob, "the market opens at eight"), "Forward")
    bob.locator("#forward-to").fill("noti")
    bob.get_by_role("dialog", name="Forward message").get_by_role("option", name="#notices").click()
    bob.get_by_role("dialog", name="Forward message").get_by_role("button", name="Send").click()
    expect(bob.locator("#forward-done")).to_have_text("Forwarded to #notices.")
    copies = json.loads(clients["cid"].call("GET", "/api/rooms/notices/messages").body)["messages"]
    assert [(c["nick"], c["forward"]["message"]) for c in copies] == [("bob", "the market opens at eight")]
