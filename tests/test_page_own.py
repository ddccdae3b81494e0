"""Which messages the page shows as one's own, in Chromium: by nick and by kind of author."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import expect

from tests.support import ServerProcess
from tests.test_page import JWT_SECRET, Pages, expect_online, said_by, say, token_for


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """Guests and accounts (signed in with tokens) side by side."""
    db = tmp_path_factory.mktemp("own-page") / "chat.db"
    with ServerProcess(db, "--jwt-secret", JWT_SECRET) as running:
        yield running


def test_a_guest_s_old_message_is_not_the_account_s_that_took_its_name(
    server: ServerProcess, pages: Pages
) -> None:
    """A guest's words are not shown as their own to an account later called by the guest's name."""
    said_by(server, "mixed", "quinn", "words of the guest")
    account = pages.open(f"{server.url}/?room=mixed&token={token_for('quinn')}")
    expect_online(account)
    expect(account.locator("#messages .msg .text")).to_have_text(["words of the guest"])
    say(account, "words of the account")
    expect(account.locator("#messages .msg .text")).to_have_text(
        ["words of the guest", "words of the account"]
    )
    expect(account.locator("#messages .msg.own .text")).to_have_text(["words of the account"])
    account.reload()
    expect_online(account)
    expect(account.locator("#messages .msg.own .text")).to_have_text(["words of the account"])
