"""Setup, join and reset links as chatroom/links.py makes them, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from chatroom.links import (
    SetupState,
    has_active_admin,
    issue_join_link,
    issue_reset_link,
    issue_setup_link,
    join_links,
    setup_link_if_needed,
    usable_link,
)
from chatroom.store.accounts_base import AccountStore
from chatroom.store.records import BOT, JOIN, PERSON, RESET, SETUP

from .stores import StoreFactory

BASE = "http://chat.example:8888"


def run(store_factory: StoreFactory, scenario: Callable[[AccountStore], Awaitable[None]]) -> None:
    async def main() -> None:
        store = store_factory()
        await store.start()
        try:
            await scenario(store.accounts)
        finally:
            await store.close()

    asyncio.run(main())


def token_of(url: str) -> str:
    return url.rsplit("token=", 1)[1]


def test_setup_is_done_once_an_active_administrator_exists(store_factory: StoreFactory) -> None:
    """People, bots and a deactivated administrator do not count; an active administrator does."""

    async def scenario(accounts: AccountStore) -> None:
        state = SetupState(accounts)
        await accounts.create_account("ann", PERSON)
        await accounts.create_account("robot", BOT)
        gone = await accounts.create_account("old-admin", PERSON, is_admin=True)
        await accounts.deactivate_account(gone.id)
        assert not await has_active_admin(accounts)
        assert not await state.done()
        assert (await setup_link_if_needed(accounts, BASE) or "").startswith(f"{BASE}/setup?token=")
        await accounts.create_account("root", PERSON, is_admin=True)
        assert await state.done()
        assert await setup_link_if_needed(accounts, BASE) is None

    run(store_factory, scenario)


def test_a_new_setup_link_revokes_the_older_ones(store_factory: StoreFactory) -> None:
    """Only the newest printed setup link works."""

    async def scenario(accounts: AccountStore) -> None:
        first = token_of(await issue_setup_link(accounts, BASE))
        second = token_of(await issue_setup_link(accounts, BASE))
        assert await usable_link(accounts, SETUP, first) is None
        assert await usable_link(accounts, SETUP, second) is not None
        assert await usable_link(accounts, SETUP, "") is None
        assert await usable_link(accounts, JOIN, second) is None  # a setup token is no join token

    run(store_factory, scenario)


def test_the_join_link_can_be_seen_again_until_replaced(store_factory: StoreFactory) -> None:
    """The newest join link is listed with its address; making another retires it."""

    async def scenario(accounts: AccountStore) -> None:
        first = await issue_join_link(accounts, BASE)
        assert [entry.url for entry in await join_links(accounts, BASE)] == [first.url]
        second = await issue_join_link(accounts, BASE)
        assert [entry.url for entry in await join_links(accounts, BASE)] == [second.url]
        assert first.url is not None and second.url is not None
        assert await usable_link(accounts, JOIN, token_of(first.url)) is None
        assert await usable_link(accounts, JOIN, token_of(second.url)) is not None

    run(store_factory, scenario)


def test_a_reset_link_is_for_one_account_for_a_day(store_factory: StoreFactory) -> None:
    """The account's older reset link stops working; the new one expires in 24 hours."""

    async def scenario(accounts: AccountStore) -> None:
        ann = await accounts.create_account("ann", PERSON)
        old, _ = await issue_reset_link(accounts, ann, BASE)
        new, expires_at = await issue_reset_link(accounts, ann, BASE)
        assert await usable_link(accounts, RESET, token_of(old)) is None
        link = await usable_link(accounts, RESET, token_of(new))
        assert link is not None and link.account_id == ann.id
        assert link.expires_at == expires_at
        assert abs(expires_at - link.created_at - 24 * 3600 * 1000) < 5000

    run(store_factory, scenario)
