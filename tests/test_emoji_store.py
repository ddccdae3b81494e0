"""Custom emoji in the store, on SQLite and PostgreSQL: one name each, capped, removed with their image,
and a reaction with one refused unless it exists."""

from __future__ import annotations

import asyncio

import pytest

from chatroom.events import REACTION
from chatroom.protocol import BAD_REQUEST
from chatroom.store.base import Store
from chatroom.store.change_rules import ChangeRefusedError, ChangeRequest
from chatroom.store.emoji_base import CustomEmoji, EmojiImage, EmojiTakenError, TooManyEmojiError
from chatroom.store.records import PERSON

from .stores import StoreFactory, run, run_nodes

PNG = b"\x89PNG\r\n\x1a\n-an-image"


def emoji(name: str, account_id: int | None, created: int = 1000) -> CustomEmoji:
    """An emoji of ``name`` added by the account, its digest made up."""
    return CustomEmoji(name, account_id, created, "image/png", f"digest-of-{name}")


def test_an_added_emoji_is_listed_with_its_adder_and_read_with_its_image(store_factory: StoreFactory) -> None:
    """The list is by name, naming who added each (by their name now); the image comes back byte for byte."""

    async def scenario(store: Store) -> None:
        accounts = store.accounts
        ann = await accounts.create_account("ann", PERSON)
        await accounts.add_emoji(emoji("shipit", ann.id, 2000), PNG)
        await accounts.add_emoji(emoji("partyparrot", ann.id), PNG + b"2")
        await accounts.rename_account(ann.id, "anna")
        listed = await accounts.custom_emoji()
        assert [(e.name, e.adder, e.created) for e in listed] == [
            ("partyparrot", "anna", 1000),
            ("shipit", "anna", 2000),
        ]
        image = await accounts.emoji_image("partyparrot")
        assert image is not None and image.image == PNG + b"2" and image.emoji == listed[0]
        assert await accounts.emoji_named("nothing") is None and await accounts.emoji_image("nothing") is None

    run(store_factory(), scenario)


def test_a_name_is_held_once_and_the_cap_refuses_one_more(store_factory: StoreFactory) -> None:
    """A second emoji of a name is refused and leaves the first; past ``most`` emoji none is added."""

    async def scenario(store: Store) -> None:
        accounts = store.accounts
        ann = await accounts.create_account("ann", PERSON)
        await accounts.add_emoji(emoji("a", ann.id), PNG, most=2)
        with pytest.raises(EmojiTakenError):
            await accounts.add_emoji(emoji("a", None, 5), b"other", most=2)
        await accounts.add_emoji(emoji("b", ann.id), PNG, most=2)
        with pytest.raises(TooManyEmojiError):
            await accounts.add_emoji(emoji("c", ann.id), PNG, most=2)
        with pytest.raises(EmojiTakenError):
            await accounts.add_emoji(emoji("a", ann.id), PNG, most=2)
        assert [e.name for e in await accounts.custom_emoji()] == ["a", "b"]
        first = await accounts.emoji_image("a")
        assert first is not None and first.image == PNG

    run(store_factory(), scenario)


def test_removing_takes_the_image_and_frees_the_name(store_factory: StoreFactory) -> None:
    """A removed emoji is gone (again: nothing there), and its name may be added anew."""

    async def scenario(store: Store) -> None:
        accounts = store.accounts
        await accounts.add_emoji(emoji("shipit", None), PNG)
        assert await accounts.remove_emoji("shipit")
        assert not await accounts.remove_emoji("shipit")
        assert await accounts.emoji_image("shipit") is None
        await accounts.add_emoji(emoji("shipit", None), b"new")
        again = await accounts.emoji_image("shipit")
        assert again is not None and again.image == b"new"

    run(store_factory(), scenario)


def test_an_import_keeps_names_adders_times_and_images(store_factory: StoreFactory) -> None:
    """Imported emoji read as they were exported."""

    async def scenario(store: Store) -> None:
        accounts = store.accounts
        ann = await accounts.create_account("ann", PERSON)
        await accounts.import_emoji([EmojiImage(emoji("shipit", ann.id, 77), PNG)])
        image = await accounts.emoji_image("shipit")
        assert image is not None and image.image == PNG
        assert (image.emoji.adder, image.emoji.created, image.emoji.digest) == ("ann", 77, "digest-of-shipit")

    run(store_factory(), scenario)


def react(emoji_text: str, on: bool = True) -> ChangeRequest:
    """Ann's reaction with ``emoji_text`` on message 1, or its taking back."""
    return ChangeRequest(REACTION, 1, "ann", 1, emoji=emoji_text, on=on)


def test_a_reaction_with_a_custom_emoji_needs_one_of_that_name(store_factory: StoreFactory) -> None:
    """An unknown ``:name:`` is refused (bad_request) and stores nothing; an existing one is stored, and
    once the emoji is removed the reaction stays, may be taken back, and may not be put again."""

    async def scenario(store: Store) -> None:
        ann = await store.accounts.create_account("ann", PERSON)
        assert ann.id == 1
        await store.append("lobby", "bob", "ship it?")
        with pytest.raises(ChangeRefusedError) as refused:
            await store.change("lobby", react(":shipit:"))
        assert refused.value.code == BAD_REQUEST
        await store.accounts.add_emoji(emoji("shipit", ann.id), PNG)
        stored = await store.change("lobby", react(":shipit:"))
        assert stored.change is not None and stored.change.emoji == ":shipit:"
        await store.accounts.remove_emoji("shipit")
        (message,) = await store.history("lobby")
        assert [(r.emoji, r.nicks) for r in message.reactions] == [(":shipit:", ("ann",))]
        with pytest.raises(ChangeRefusedError):
            await store.change("lobby", ChangeRequest(REACTION, 1, "bob", 2, emoji=":shipit:", on=True))
        off = await store.change("lobby", react(":shipit:", on=False))
        assert off.change is not None and not off.change.on
        assert (await store.change("lobby", react("👍"))).change is not None

    run(store_factory(), scenario)


def test_two_nodes_adding_at_once_never_pass_the_cap(shared_store_factory: StoreFactory) -> None:
    """Emoji added through two nodes at once stop at ``most``: each addition counts every other's."""

    async def scenario(stores: list[Store]) -> None:
        adding = [stores[n % 2].accounts.add_emoji(emoji(f"e{n}", None), PNG, most=5) for n in range(24)]
        outcomes = await asyncio.gather(*adding, return_exceptions=True)
        assert sum(outcome is None for outcome in outcomes) == 5
        assert all(isinstance(o, TooManyEmojiError) for o in outcomes if o is not None)
        assert len(await stores[1].accounts.custom_emoji()) == 5

    run_nodes(shared_store_factory, scenario)
