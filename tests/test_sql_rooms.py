"""A room's members read a page at a time, on SQLite and PostgreSQL alike: order, ranges, prefixes, counts."""

from __future__ import annotations

from chatroom.store.base import Store
from chatroom.store.records import CLOSED, OPEN, OWNER, PERSON

from .stores import StoreFactory, run


async def _room_of(store: Store, room: str, names: list[str], kind: str = CLOSED) -> None:
    """A room whose first name creates it (its owner) and whose other names are its members."""
    accounts = store.accounts
    ids = []
    for name in names:
        existing = await accounts.account_by_name(name)
        ids.append(existing.id if existing else (await accounts.create_account(name, PERSON)).id)
    await accounts.create_room(room, kind, creator_id=ids[0], members=ids[1:])


def test_pages_follow_each_other_by_name_without_case(store_factory: StoreFactory) -> None:
    """Pages of two split five members by name, case folded, each starting after the last one shown."""

    async def scenario(store: Store) -> None:
        await _room_of(store, "plans", ["dora", "Bob", "alice", "Eve", "carl"])
        accounts = store.accounts
        first = await accounts.members_page("plans", limit=2)
        assert [account.name for account, _ in first] == ["alice", "Bob"]
        second = await accounts.members_page("plans", after="BOB", limit=2)
        assert [account.name for account, _ in second] == ["carl", "dora"]
        last = await accounts.members_page("plans", after="dora", limit=2)
        assert [(account.name, m.role, m.room) for account, m in last] == [("Eve", "member", "plans")]
        assert await accounts.members_page("plans", after="Eve", limit=2) == []
        owner = await accounts.members_page("plans", prefix="dor")
        assert [(account.name, m.role) for account, m in owner] == [("dora", OWNER)]
        assert await accounts.count_members("plans") == 5

    run(store_factory(), scenario)


def test_a_prefix_finds_look_alikes_and_pages_within_itself(store_factory: StoreFactory) -> None:
    """A prefix matches as names clash (case, full-width letters, a Cyrillic а), and pages go on within it."""

    async def scenario(store: Store) -> None:
        await _room_of(store, "square", ["anna", "Annette", "annika", "bob"], kind=OPEN)
        accounts = store.accounts
        for prefix in ("ANN", "ａｎｎ", "аnn"):
            found = await accounts.members_page("square", prefix=prefix)
            assert [account.name for account, _ in found] == ["anna", "Annette", "annika"], prefix
        rest = await accounts.members_page("square", prefix="ann", after="anna", limit=1)
        assert [account.name for account, _ in rest] == ["Annette"]
        assert await accounts.members_page("square", prefix="zed") == []
        assert await accounts.members_page("square", prefix="not\u200bvalid") == []

    run(store_factory(), scenario)


def test_a_page_and_a_count_never_cross_into_another_room(store_factory: StoreFactory) -> None:
    """Members of one room are never another's: not in its pages, not in its count; no room has none."""

    async def scenario(store: Store) -> None:
        await _room_of(store, "plans", ["ann", "bob"])
        await _room_of(store, "secrets", ["zoe", "amy", "bob"])
        accounts = store.accounts
        assert [a.name for a, _ in await accounts.members_page("plans")] == ["ann", "bob"]
        assert [a.name for a, _ in await accounts.members_page("plans", after="ann")] == ["bob"]
        assert [a.name for a, _ in await accounts.members_page("secrets", prefix="a")] == ["amy"]
        assert (await accounts.count_members("plans"), await accounts.count_members("secrets")) == (2, 3)
        assert await accounts.members_page("nowhere") == []
        assert await accounts.count_members("nowhere") == 0

    run(store_factory(), scenario)
