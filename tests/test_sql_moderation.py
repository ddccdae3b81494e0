"""Bots' webhooks, barred guest addresses and server settings in the store, on SQLite and PostgreSQL,
seen by every node."""

from __future__ import annotations

import asyncio

from chatroom.clock import now_ms
from chatroom.store.base import Store
from chatroom.store.records import BOT, PERSON, BotWebhook

from .stores import StoreFactory, run

MINUTE = 60_000


def test_a_bots_webhook_is_set_replaced_cleared_and_listed(store_factory: StoreFactory) -> None:
    """One address per bot: setting again replaces it, clearing forgets it; a person has none."""

    async def scenario(store: Store) -> None:
        accounts = store.accounts
        ci = await accounts.create_account("ci", BOT)
        ann = await accounts.create_account("ann", PERSON)
        assert await accounts.webhook_of(ci.id) is None
        assert await accounts.set_webhook(ci.id, "https://hooks.example.com/a")
        assert await accounts.set_webhook(ci.id, "https://hooks.example.com/b")
        assert await accounts.webhook_of(ci.id) == "https://hooks.example.com/b"
        assert not await accounts.set_webhook(ann.id, "https://hooks.example.com/a")
        assert not await accounts.set_webhook(9999, "https://hooks.example.com/a")
        assert await accounts.webhooks() == [BotWebhook(ci.id, "https://hooks.example.com/b")]
        assert await accounts.set_webhook(ci.id, None)
        assert not await accounts.set_webhook(ci.id, None)
        assert await accounts.webhook_of(ci.id) is None

    run(store_factory(), scenario)


def test_a_guest_bar_ends_when_it_says_and_a_shorter_one_does_not_shorten_it(
    store_factory: StoreFactory,
) -> None:
    """A bar holds until its end; barring again for less keeps the longer end; lifting ends it now."""

    async def scenario(store: Store) -> None:
        accounts = store.accounts
        now = now_ms()
        assert await accounts.guest_barred_until("203.0.113.9") is None
        assert await accounts.bar_guest("203.0.113.9", now + 10 * MINUTE) == now + 10 * MINUTE
        assert await accounts.bar_guest("203.0.113.9", now + MINUTE) == now + 10 * MINUTE
        assert await accounts.guest_barred_until("203.0.113.9") == now + 10 * MINUTE
        assert await accounts.guest_barred_until("203.0.113.10") is None
        assert await accounts.guest_barred_until("203.0.113.9", now=now + 10 * MINUTE) is None
        assert await accounts.lift_guest_bar("203.0.113.9")
        assert await accounts.guest_barred_until("203.0.113.9") is None

    run(store_factory(), scenario)


def test_a_server_setting_is_unset_until_stored_then_replaced(store_factory: StoreFactory) -> None:
    """A setting never stored reads None; storing it again replaces the value; others are apart."""

    async def scenario(store: Store) -> None:
        accounts = store.accounts
        assert await accounts.server_setting("guests") is None
        await accounts.set_server_setting("guests", "on")
        await accounts.set_server_setting("guests", "off")
        await accounts.set_server_setting("motd", "hello")
        assert await accounts.server_setting("guests") == "off"
        assert await accounts.server_setting("motd") == "hello"

    run(store_factory(), scenario)


def test_a_bar_set_on_one_node_holds_on_another(shared_store_factory: StoreFactory) -> None:
    """Two stores on one database (two nodes): the second sees the first's bar and webhook at once."""

    async def scenario() -> None:
        first, second = shared_store_factory(), shared_store_factory()
        await first.start()
        await second.start()
        try:
            until = now_ms() + MINUTE
            await first.accounts.bar_guest("2001:db8::1", until)
            assert await second.accounts.guest_barred_until("2001:db8::1") == until
            await first.accounts.set_server_setting("guests", "on")
            assert await second.accounts.server_setting("guests") == "on"
            bot = await first.accounts.create_account("relay", BOT)
            await first.accounts.set_webhook(bot.id, "https://hooks.example.com/relay")
            assert await second.accounts.webhook_of(bot.id) == "https://hooks.example.com/relay"
        finally:
            await first.close()
            await second.close()

    asyncio.run(scenario())
