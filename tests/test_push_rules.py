"""Who a stored message is pushed to, and why, on SQLite and PostgreSQL: a direct room's other members,
the people it mentions who may read the room; never the sender, a bot or a deactivated account."""

from __future__ import annotations

from chatroom.backend import StoredMessage
from chatroom.push_rules import (
    ALL,
    DIRECT_MESSAGE,
    MENTION,
    MENTIONS,
    MUTED,
    candidate_names,
    level_allows,
    may_disturb,
    notify_level,
    recipients,
)
from chatroom.store.base import Store
from chatroom.store.records import BOT, CLOSED, DIRECT, OPEN, PERSON, RoomRecord

from .stores import StoreFactory, run


def test_candidates_are_the_words_after_an_at_sign_without_trailing_punctuation() -> None:
    """``@Ann,`` may be Ann; a name may be up to three words; an address is no mention; at most 10 ``@``."""
    assert candidate_names("hi @Ann, and @bob!") == ["Ann", "Ann, and", "Ann, and @bob", "bob"]
    assert candidate_names("mail ann@example.com or @@x") == []
    assert candidate_names("@ann @ANN") == ["ann", "ann @ANN"]
    assert candidate_names("@Zoë: ça va?") == ["Zoë", "Zoë: ça", "Zoë: ça va"]
    assert len(candidate_names(" ".join(f"@p{i}" for i in range(30)))) == 30  # 10 "@", three each


def test_levels_let_through_what_they_say() -> None:
    """All: everything; mentions: mentions only; muted: nothing (as the page's notifications)."""
    assert level_allows(ALL, MENTION) and level_allows(ALL, DIRECT_MESSAGE)
    assert level_allows(MENTIONS, MENTION) and not level_allows(MENTIONS, DIRECT_MESSAGE)
    assert not level_allows(MUTED, MENTION) and not level_allows(MUTED, DIRECT_MESSAGE)


def message(room: str, nick: str, text: str, *, guest: bool = False) -> StoredMessage:
    return StoredMessage(1, room, nick, text, 0, guest=guest)


def test_a_person_is_disturbed_only_when_away_and_not_paused() -> None:
    """Away and not paused: pushed; a page open, or notifications paused ("do not disturb"), or both: not."""
    assert may_disturb(1, online=set(), paused={})
    assert not may_disturb(1, online={1}, paused={})
    assert not may_disturb(1, online=set(), paused={1: 1_800_000_000_000})
    assert not may_disturb(1, online={1}, paused={1: 1_800_000_000_000})
    assert may_disturb(2, online={1}, paused={1: 1_800_000_000_000})


def test_a_direct_message_is_for_every_other_person_in_the_room(store_factory: StoreFactory) -> None:
    """Ann, bob, a bot and a deactivated dee in a direct room: ann's message is for bob alone."""

    async def scenario(store: Store) -> None:
        accounts = store.accounts
        ann, bob = await accounts.create_account("ann", PERSON), await accounts.create_account("bob", PERSON)
        bot, dee = await accounts.create_account("helper", BOT), await accounts.create_account("dee", PERSON)
        await accounts.deactivate_account(dee.id)
        room = await accounts.create_room("dm", DIRECT, members=[ann.id, bob.id, bot.id, dee.id])
        chosen = await recipients(accounts, message("dm", "ann", "hi @ann"), room)
        assert [(r.account.name, r.reason) for r in chosen] == [("bob", DIRECT_MESSAGE)]
        assert await notify_level(accounts, bob.id, "dm") == ALL

    run(store_factory(), scenario)


def test_a_mention_is_for_whoever_may_read_the_room(store_factory: StoreFactory) -> None:
    """In an open room a mention reaches anyone named; in a closed room only its members; the sender
    mentioning themselves, a guest's look-alike nick, and names of nobody reach no one."""

    async def scenario(store: Store) -> None:
        accounts = store.accounts
        ann, bob = await accounts.create_account("ann", PERSON), await accounts.create_account("bob", PERSON)
        await accounts.create_account("cid", PERSON)
        lobby = RoomRecord("lobby", OPEN)
        chosen = await recipients(accounts, message("lobby", "ann", "@BOB @cid @ann @nobody"), lobby)
        assert sorted((r.account.name, r.reason) for r in chosen) == [("bob", MENTION), ("cid", MENTION)]
        closed = await accounts.create_room("plans", CLOSED, creator_id=ann.id, members=[bob.id])
        chosen = await recipients(accounts, message("plans", "ann", "@bob @cid"), closed)
        assert [r.account.name for r in chosen] == ["bob"]
        from_guest = await recipients(accounts, message("lobby", "bob", "@bob", guest=True), lobby)
        assert [r.account.name for r in from_guest] == ["bob"]

    run(store_factory(), scenario)


def test_a_name_of_several_words_is_mentioned_whole_and_by_the_pages_rule(
    store_factory: StoreFactory,
) -> None:
    """ "@Ada Lovelace," mentions Ada Lovelace (not an "Ada" alone); "@adam" does not mention ada; an
    address (ada@example.org) mentions nobody."""

    async def scenario(store: Store) -> None:
        accounts = store.accounts
        await accounts.create_account("ann", PERSON)
        await accounts.create_account("Ada Lovelace", PERSON)
        await accounts.create_account("ada", PERSON)
        lobby = RoomRecord("lobby", OPEN)
        chosen = await recipients(accounts, message("lobby", "ann", "thanks @Ada Lovelace, great"), lobby)
        assert [r.account.name for r in chosen] == ["Ada Lovelace"]
        chosen = await recipients(accounts, message("lobby", "ann", "@adam and ada@example.org"), lobby)
        assert chosen == []

    run(store_factory(), scenario)


def test_nobody_is_pushed_for_someone_they_blocked(store_factory: StoreFactory) -> None:
    """Bob's message in a direct room of three and his mention of ann push cid alone, ann having blocked
    him; unblocked, they reach ann again."""

    async def scenario(store: Store) -> None:
        accounts = store.accounts
        ann, bob = await accounts.create_account("ann", PERSON), await accounts.create_account("bob", PERSON)
        cid = await accounts.create_account("cid", PERSON)
        room = await accounts.create_room("dm", DIRECT, members=[ann.id, bob.id, cid.id])
        await accounts.block(ann.id, bob.id)
        said = message("dm", "bob", "hi @ann")
        assert [r.account.name for r in await recipients(accounts, said, room)] == ["cid"]
        mention = message("lobby", "bob", "@ann @cid")
        chosen = await recipients(accounts, mention, RoomRecord("lobby", OPEN))
        assert [r.account.name for r in chosen] == ["cid"]
        await accounts.unblock(ann.id, bob.id)
        assert sorted(r.account.name for r in await recipients(accounts, said, room)) == ["ann", "cid"]

    run(store_factory(), scenario)
