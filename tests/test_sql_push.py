"""Web Push subscriptions and each person's switch in the store, on SQLite and PostgreSQL,
seen by every node."""

from __future__ import annotations

import asyncio

from chatroom.store.base import Store
from chatroom.store.records import PERSON

from .stores import StoreFactory, run

PHONE = "https://push.example.net/send/phone-1"
LAPTOP = "https://push.example.net/send/laptop-2"


def test_each_device_keeps_one_subscription_and_posting_again_replaces_it(
    store_factory: StoreFactory,
) -> None:
    """Two devices are two subscriptions; the same endpoint posted again keeps one, with the new keys."""

    async def scenario(store: Store) -> None:
        accounts = store.accounts
        ann = await accounts.create_account("ann", PERSON)
        assert await accounts.push_subscriptions_of(ann.id) == []
        await accounts.save_push_subscription(ann.id, PHONE, "key-1", "auth-1")
        await accounts.save_push_subscription(ann.id, LAPTOP, "key-2", "auth-2")
        saved = await accounts.save_push_subscription(ann.id, PHONE, "key-3", "auth-3")
        assert (saved.endpoint, saved.account_id, saved.p256dh, saved.auth) == (
            PHONE,
            ann.id,
            "key-3",
            "auth-3",
        )
        held = {(s.endpoint, s.p256dh, s.auth) for s in await accounts.push_subscriptions_of(ann.id)}
        assert held == {(PHONE, "key-3", "auth-3"), (LAPTOP, "key-2", "auth-2")}

    run(store_factory(), scenario)


def test_a_device_signed_in_as_someone_else_takes_its_endpoint_with_it(store_factory: StoreFactory) -> None:
    """When another person posts a device's endpoint, the device notifies them and no longer the first."""

    async def scenario(store: Store) -> None:
        accounts = store.accounts
        ann = await accounts.create_account("ann", PERSON)
        bob = await accounts.create_account("bob", PERSON)
        await accounts.save_push_subscription(ann.id, PHONE, "key-1", "auth-1")
        await accounts.save_push_subscription(bob.id, PHONE, "key-2", "auth-2")
        assert await accounts.push_subscriptions_of(ann.id) == []
        assert [s.endpoint for s in await accounts.push_subscriptions_of(bob.id)] == [PHONE]

    run(store_factory(), scenario)


def test_a_subscription_is_removed_by_its_owner_or_by_the_server_not_by_another(
    store_factory: StoreFactory,
) -> None:
    """Removing with another account's id leaves it; its owner's removal (or the server's) forgets it."""

    async def scenario(store: Store) -> None:
        accounts = store.accounts
        ann = await accounts.create_account("ann", PERSON)
        bob = await accounts.create_account("bob", PERSON)
        await accounts.save_push_subscription(ann.id, PHONE, "key-1", "auth-1")
        await accounts.save_push_subscription(ann.id, LAPTOP, "key-2", "auth-2")
        assert not await accounts.remove_push_subscription(PHONE, account_id=bob.id)
        assert await accounts.remove_push_subscription(PHONE, account_id=ann.id)
        assert not await accounts.remove_push_subscription(PHONE, account_id=ann.id)
        assert await accounts.remove_push_subscription(LAPTOP)
        assert not await accounts.remove_push_subscription(LAPTOP)
        assert await accounts.push_subscriptions_of(ann.id) == []

    run(store_factory(), scenario)


def test_the_switch_is_on_until_turned_off_and_is_each_persons_own(store_factory: StoreFactory) -> None:
    """A person never asked is on; turning it off and on again is stored; another person is unaffected."""

    async def scenario(store: Store) -> None:
        accounts = store.accounts
        ann = await accounts.create_account("ann", PERSON)
        bob = await accounts.create_account("bob", PERSON)
        assert await accounts.push_enabled(ann.id)
        await accounts.set_push_enabled(ann.id, False)
        assert not await accounts.push_enabled(ann.id)
        assert await accounts.push_enabled(bob.id)
        await accounts.set_push_enabled(ann.id, True)
        assert await accounts.push_enabled(ann.id)

    run(store_factory(), scenario)


def test_a_subscription_and_a_switch_stored_on_one_node_hold_on_another(
    shared_store_factory: StoreFactory,
) -> None:
    """Two stores on one database (two nodes): the second pushes to what the first stored."""

    async def scenario() -> None:
        first, second = shared_store_factory(), shared_store_factory()
        await first.start()
        await second.start()
        try:
            ann = await first.accounts.create_account("ann", PERSON)
            await first.accounts.save_push_subscription(ann.id, PHONE, "key-1", "auth-1")
            await first.accounts.set_push_enabled(ann.id, False)
            assert [s.endpoint for s in await second.accounts.push_subscriptions_of(ann.id)] == [PHONE]
            assert not await second.accounts.push_enabled(ann.id)
        finally:
            await first.close()
            await second.close()

    asyncio.run(scenario())


def test_the_keys_and_the_endpoint_never_show_in_a_subscriptions_repr(store_factory: StoreFactory) -> None:
    """A subscription logged by mistake shows whose it is, not where to push or how to encrypt."""

    async def scenario(store: Store) -> None:
        ann = await store.accounts.create_account("ann", PERSON)
        saved = await store.accounts.save_push_subscription(ann.id, PHONE, "secret-key", "secret-auth")
        assert "secret" not in repr(saved) and PHONE not in repr(saved) and str(ann.id) in repr(saved)

    run(store_factory(), scenario)
