"""A message's "More actions" menu in Chromium, opened before the page knows it is an account's."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Route, expect

from tests.support import ServerProcess
from tests.test_page import Pages, expect_online, say
from tests.test_page_changes import accounts_server, message, open_as, open_room


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    yield from accounts_server(tmp_path_factory, "message-actions-page")


def test_a_menu_opened_before_the_account_is_known_gains_what_an_account_may_do(
    server: ServerProcess, pages: Pages
) -> None:
    """ann's page is slow to learn she has an account: the menu she opens meanwhile offers only Copy link;
    once the page knows, the open menu offers Mark unread, Save and Remind me too, its first item focused."""
    open_room(server, "slowroom")
    ann = open_as(pages, server, "ann", "slowroom")
    say(ann, "the agenda")
    held: list[Route] = []
    released = False

    def hold(route: Route) -> None:
        if released:
            route.continue_()
        else:
            held.append(route)

    ann.route("**/api/accounts?*", hold)
    ann.reload()
    expect_online(ann)
    item = message(ann, "the agenda")
    item.focus()
    item.get_by_role("button", name="More actions").click()
    menu = item.get_by_role("toolbar", name="Message actions").get_by_role("button")
    expect(menu).to_have_text(["🔗 Copy link"])
    assert held, "the page asked who it is"
    released = True
    for route in held:
        route.continue_()
    expect(menu).to_have_text(
        ["✉ Mark unread", "🔗 Copy link", "🔖 Save", "⏰ Remind me about this", "↪ Forward"]
    )
    expect(item.get_by_role("button", name="Mark unread from here")).to_be_focused()
