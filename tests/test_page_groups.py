"""Groups on the page (static/js/groups.js, groups_dialog.js, mention completion) in Chromium.

People signed in with passwords on a real ``python -m chatroom``: bob makes @designers from the account
menu's Groups, joins it and adds cid with the people picker; typing "@desi" offers "designers — group, 2
people"; his mention stands out on cid's page as her own (a phone, dark) and not on ann's, who is not in
it; cid sees Leave where ann sees Join; a mention of a group of more than five other readers asks first.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Locator, Page, Route, expect

from tests.support import ServerProcess
from tests.test_page import SCREENSHOT_PHONE, Pages
from tests.test_page_changes import message, shoot
from tests.test_page_journey import signed_in
from tests.test_page_room_mentions import asked_and_escaped
from tests.web_client import join, set_up

CREW = ("bea", "cal", "dot", "eli", "fay", "gus")


@pytest.fixture(scope="module")
def people(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ServerProcess, dict[str, Any]]]:
    """A server without guests, ann (its administrator), bob and cid signed in, and the join link."""
    with ServerProcess(tmp_path_factory.mktemp("groups-page") / "chat.db", guests=False) as running:
        ann, join_link = set_up(running, "ann")
        others = {name: join(running, join_link, name) for name in ("bob", "cid")}
        yield running, {"ann": ann, **others, "link": join_link}


def open_groups(page: Page) -> Locator:
    """The account menu's Groups, open."""
    page.locator("#me").click()
    page.get_by_role("button", name="👥 Groups").click()
    dialog = page.get_by_role("dialog", name="Groups")
    expect(dialog).to_be_visible()
    return dialog


def test_make_a_group_mention_it_and_its_member_sees_it_stand_out(
    people: tuple[ServerProcess, dict[str, Any]], pages: Pages, tmp_path: Path
) -> None:
    """bob makes @designers, joins it and adds cid; "@desi" offers the group with its size; his mention of it
    stands out on cid's page (a phone, dark), not on ann's nor his own; cid's Groups offers Leave, ann's Join,
    and ann, an administrator, may remove cid."""
    server, clients = people
    url = f"{server.url}/?room=lobby"
    ann = signed_in(pages, clients["ann"], url)
    bob = signed_in(pages, clients["bob"], url)
    cid = signed_in(pages, clients["cid"], url, viewport=SCREENSHOT_PHONE, color_scheme="dark")
    dialog = open_groups(bob)
    dialog.get_by_role("textbox", name="Name", exact=True).fill("designers")
    dialog.get_by_role("textbox", name="What it is for (optional)").fill(
        "Everyone who <b>draws</b> the product"
    )
    dialog.get_by_role("button", name="Create group").click()
    expect(bob.locator("#group-name")).to_have_text("@designers")
    bob.get_by_role("button", name="Join @designers").click()
    adding = dialog.get_by_role("combobox", name="Add a member")
    adding.fill("cid")
    adding.press("Enter")
    expect(bob.locator("#group-members .nick")).to_have_text(["bob", "cid"])
    expect(bob.locator("#group-about")).to_contain_text("Everyone who <b>draws</b> the product")
    shoot(bob, tmp_path, "group-desktop")
    bob.keyboard.press("Escape")
    box = bob.locator("#text")
    box.press_sequentially("@desi")
    options = bob.locator("#completion-list .completion-option")
    expect(options).to_have_text(["designers — group, 2 people"])
    box.press("Enter")
    expect(box).to_have_value("@designers ")
    box.press_sequentially("the mockups are in")
    box.press("Enter")
    expect(box).to_have_value("")
    seen = message(cid, "the mockups are in")
    expect(seen).to_have_class("msg mentions-me")
    expect(seen.locator(".mention.me")).to_have_text("@designers")
    other = message(ann, "the mockups are in")
    expect(other.locator(".mention")).to_have_text("@designers")
    expect(other).not_to_have_class("msg mentions-me")
    expect(message(bob, "the mockups are in")).not_to_have_class("msg mentions-me")
    shoot(cid, tmp_path, "group-mention-phone")
    open_groups(cid)
    expect(cid.get_by_role("button", name="Leave @designers")).to_be_visible()
    shoot(cid, tmp_path, "groups-phone")
    open_groups(ann)
    expect(ann.get_by_role("button", name="Join @designers")).to_be_visible()
    ann.get_by_role("button", name="@designers, 2 people: open").click()
    expect(ann.get_by_role("button", name="Remove cid from @designers")).to_be_visible()  # an administrator
    ann.keyboard.press("Escape")


def groups_held(
    people: tuple[ServerProcess, dict[str, Any]], pages: Pages, group: str, members: tuple[str, ...]
) -> tuple[Page, list[Route]]:
    """ann's page in the lobby once she made ``group`` of ``members`` (who join first), its call for the
    groups held (the list it goes in: continue it to answer)."""
    server, clients = people
    assert clients["ann"].call("POST", "/api/groups", {"name": group}).status == 201
    for name in members:
        member = join(server, clients["link"], name)
        assert member.call("PUT", f"/api/groups/{group}/members/{name}").status == 200
    held: list[Route] = []
    page = signed_in(
        pages,
        clients["ann"],
        f"{server.url}/?room=lobby",
        before=lambda page: page.route("**/api/groups", lambda route: held.append(route)),
    )
    return page, held


def lobby_history(people: tuple[ServerProcess, dict[str, Any]]) -> str:
    """The lobby's history as ann reads it, in JSON."""
    return json.dumps(json.loads(people[1]["ann"].call("GET", "/api/rooms/lobby/messages").body))


def test_a_mention_of_a_big_group_asks_first(
    people: tuple[ServerProcess, dict[str, Any]], pages: Pages
) -> None:
    """ann types "@cre" before her page has read the groups: @crew is offered once they come. Her "@crew"
    in the lobby, a group of six others, asks "This will notify 6 people. Send?"; Escape keeps the text
    and sends nothing."""
    ann, held = groups_held(people, pages, "crew", CREW)
    box = ann.locator("#text")
    box.press_sequentially("@cre")
    options = ann.locator("#completion-list .completion-option")
    ann.wait_for_timeout(300)
    expect(options).to_have_count(0)
    assert held, "the page asks for the groups once connected"
    held[0].continue_()
    expect(options).to_have_text(["crew — group, 6 people"])
    asked_and_escaped(ann, "@crew lunch?", 6)
    assert "lunch" not in lobby_history(people)


def test_a_big_groups_mention_sent_before_the_page_read_the_groups_still_asks(
    people: tuple[ServerProcess, dict[str, Any]], pages: Pages
) -> None:
    """The groups' answer is held while ann sends "@squad lunch?" (a group of six others): nothing goes;
    once the groups come, she is asked "This will notify 6 people. Send?"; Escape sends nothing."""
    ann, held = groups_held(people, pages, "squad", ("hal", "ida", "jon", "kim", "lea", "max"))
    box = ann.locator("#text")
    box.fill("@squad lunch?")
    box.press("Enter")
    dialog = ann.get_by_role("dialog", name="This will notify 6 people. Send?")
    ann.wait_for_timeout(300)
    expect(dialog).to_be_hidden()
    assert held, "the page asks for the groups once connected"
    held[0].continue_()
    expect(dialog).to_be_visible()
    ann.keyboard.press("Escape")
    expect(box).to_have_value("@squad lunch?")
    assert "lunch" not in lobby_history(people)
