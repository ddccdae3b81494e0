"""The access rules as pure predicates: who may read, post in, manage, bar from and list the members of which
room."""

from __future__ import annotations

import pytest

from chatroom.access import (
    bar_refusal,
    may_bar,
    may_create_rooms,
    may_delete_any,
    may_list_members,
    may_manage,
    may_manage_members,
    may_post,
    may_react,
    may_read,
    may_remove_member,
    may_set_topic,
)
from chatroom.identity import JWT, Identity
from chatroom.store.records import (
    BOT,
    CLOSED,
    DIRECT,
    MANAGERS,
    MEMBER,
    OPEN,
    OWNER,
    PERSON,
    Account,
    Membership,
    RoomRecord,
)


def person(name: str = "ann", *, admin: bool = False, kind: str = PERSON) -> Identity:
    account = Account(
        id=hash(name) % 1000 + 1,
        name=name,
        name_key=name,
        kind=kind,
        is_admin=admin,
        external=False,
        password_hash=None,
        color="#000000",
        created_at=0,
    )
    return Identity(account, JWT)


ANN = person()
ADMIN = person("root", admin=True)
BOT_ACCOUNT = person("hook", kind=BOT)
OPEN_ROOM = RoomRecord("lobby", OPEN)
CLOSED_ROOM = RoomRecord("ops", CLOSED)
DIRECT_ROOM = RoomRecord("dm-x", DIRECT)
ARCHIVED = RoomRecord("old", CLOSED, archived_at=1)
MEMBER_OF = Membership("ops", 1, MEMBER, 0)
OWNER_OF = Membership("ops", 1, OWNER, 0)


@pytest.mark.parametrize("guests", [False, True])
def test_guests_read_open_rooms_only_when_let_in(guests: bool) -> None:
    """A guest reads an open room with --guests, never a closed or direct one."""
    assert may_read(None, OPEN_ROOM, None, guests=guests) is guests
    assert not may_read(None, CLOSED_ROOM, None, guests=True)
    assert not may_read(None, DIRECT_ROOM, None, guests=True)


def test_closed_and_direct_rooms_are_read_by_members_only_administrators_included() -> None:
    """An administrator who is not a member reads a closed room no more than anyone else."""
    for room in (CLOSED_ROOM, DIRECT_ROOM):
        assert not may_read(ANN, room, None, guests=False)
        assert not may_read(ADMIN, room, None, guests=False)
        assert may_read(ANN, room, MEMBER_OF, guests=False)


def test_an_archived_room_is_read_but_not_written() -> None:
    """Archiving keeps reading and stops posting, for owners too."""
    assert may_read(ANN, ARCHIVED, OWNER_OF, guests=False)
    assert not may_post(ANN, ARCHIVED, OWNER_OF, guests=False)


def test_a_bot_posts_only_where_it_is_a_member() -> None:
    """A bot reads an open room but posts only where it was put."""
    assert not may_post(BOT_ACCOUNT, OPEN_ROOM, None, guests=False)
    assert may_post(BOT_ACCOUNT, OPEN_ROOM, MEMBER_OF, guests=False)


@pytest.mark.parametrize(
    "room", [RoomRecord("ops", CLOSED, posting=MANAGERS), RoomRecord("ops", OPEN, posting=MANAGERS)]
)
def test_where_only_its_managers_post_the_others_react(room: RoomRecord) -> None:
    """Its owner and administrators post; a member, a bot member and a guest react at most."""
    assert may_post(ANN, room, OWNER_OF, guests=False) and may_post(ADMIN, room, MEMBER_OF, guests=False)
    for who, membership in ((ANN, MEMBER_OF), (BOT_ACCOUNT, MEMBER_OF), (None, None)):
        assert not may_post(who, room, membership, guests=True)
    assert may_react(ANN, room, MEMBER_OF, guests=False) and may_react(
        BOT_ACCOUNT, room, MEMBER_OF, guests=False
    )
    assert may_react(None, room, None, guests=True) is (room.kind == OPEN)
    archived = RoomRecord("ops", room.kind, archived_at=1, posting=MANAGERS)
    assert not may_react(ANN, archived, OWNER_OF, guests=False)
    assert not may_post(ADMIN, archived, None, guests=False)


def test_who_posts_sets_the_topic_and_a_guest_never() -> None:
    """A topic is words in the room: who may post sets it, a direct room's members too; a guest who
    posts in an open room does not, nor anyone in an archived room or a reader of an announcements room."""
    assert may_set_topic(ANN, OPEN_ROOM, None, guests=True)
    assert may_set_topic(ANN, DIRECT_ROOM, MEMBER_OF, guests=False)
    assert may_set_topic(BOT_ACCOUNT, OPEN_ROOM, MEMBER_OF, guests=False)
    assert may_post(None, OPEN_ROOM, None, guests=True) and not may_set_topic(
        None, OPEN_ROOM, None, guests=True
    )
    assert not may_set_topic(ANN, CLOSED_ROOM, None, guests=False)
    assert not may_set_topic(ANN, ARCHIVED, OWNER_OF, guests=False)
    announcements = RoomRecord("ops", CLOSED, posting=MANAGERS)
    assert not may_set_topic(ANN, announcements, MEMBER_OF, guests=False)
    assert may_set_topic(ANN, announcements, OWNER_OF, guests=False)


def test_people_create_rooms_guests_and_bots_do_not() -> None:
    """Only a person's account creates rooms and direct conversations."""
    assert may_create_rooms(ANN) and may_create_rooms(ADMIN)
    assert not may_create_rooms(None)
    assert not may_create_rooms(BOT_ACCOUNT)


def test_owners_and_administrators_manage_rooms_but_not_direct_ones() -> None:
    """Rename, archive and membership belong to the owner and administrators; a direct room to nobody."""
    assert may_manage(ANN, CLOSED_ROOM, OWNER_OF) and may_manage_members(ANN, CLOSED_ROOM, OWNER_OF)
    assert may_manage(ADMIN, CLOSED_ROOM, None) and may_manage_members(ADMIN, CLOSED_ROOM, None)
    assert not may_manage(ANN, CLOSED_ROOM, MEMBER_OF)
    assert not may_manage(BOT_ACCOUNT, OPEN_ROOM, OWNER_OF)
    assert not may_manage(None, OPEN_ROOM, None)
    assert not may_manage(ADMIN, DIRECT_ROOM, OWNER_OF)
    assert not may_manage_members(ADMIN, DIRECT_ROOM, MEMBER_OF)


def test_owners_and_administrators_bar_others_from_open_and_closed_rooms() -> None:
    """Who manages an open or closed room bars from it; nobody from a direct room; never an administrator,
    nor the room's owner; anyone else, with the reason when not."""
    assert may_bar(ANN, CLOSED_ROOM, OWNER_OF) and may_bar(ADMIN, OPEN_ROOM, None)
    assert not may_bar(ANN, OPEN_ROOM, MEMBER_OF) and not may_bar(ANN, OPEN_ROOM, None)
    assert not may_bar(ADMIN, DIRECT_ROOM, MEMBER_OF) and not may_bar(BOT_ACCOUNT, OPEN_ROOM, OWNER_OF)
    assert bar_refusal(ANN.account, OPEN_ROOM, MEMBER_OF) is None
    assert bar_refusal(BOT_ACCOUNT.account, OPEN_ROOM, None) is None
    assert bar_refusal(ADMIN.account, OPEN_ROOM, None) == (
        "'root' is an administrator: administrators cannot be barred from a room"
    )
    assert (
        bar_refusal(ANN.account, OPEN_ROOM, OWNER_OF)
        == "'ann' owns 'lobby': a room's owner cannot be barred from it"
    )


def test_members_are_listed_to_readers_and_to_administrators_of_closed_rooms() -> None:
    """An administrator lists a closed room's members unread; a direct room's members only to them."""
    assert may_list_members(ANN, OPEN_ROOM, None)
    assert may_list_members(ANN, CLOSED_ROOM, MEMBER_OF)
    assert not may_list_members(ANN, CLOSED_ROOM, None)
    assert may_list_members(ADMIN, CLOSED_ROOM, None)
    assert not may_list_members(ADMIN, DIRECT_ROOM, None)
    assert may_list_members(ANN, DIRECT_ROOM, MEMBER_OF)
    assert not may_list_members(None, OPEN_ROOM, None)


def test_anyone_leaves_managers_remove_others() -> None:
    """A member leaves any room, a direct one too; only a manager removes someone else."""
    assert may_remove_member(ANN, DIRECT_ROOM, MEMBER_OF, oneself=True)
    assert may_remove_member(ANN, CLOSED_ROOM, MEMBER_OF, oneself=True)
    assert not may_remove_member(ANN, CLOSED_ROOM, None, oneself=True)
    assert not may_remove_member(ANN, CLOSED_ROOM, MEMBER_OF, oneself=False)
    assert may_remove_member(ANN, CLOSED_ROOM, OWNER_OF, oneself=False)
    assert may_remove_member(ADMIN, CLOSED_ROOM, None, oneself=False)
    assert not may_remove_member(ADMIN, DIRECT_ROOM, None, oneself=False)
    assert not may_remove_member(None, OPEN_ROOM, None, oneself=True)


def test_administrators_and_a_rooms_owner_delete_anyones_message_members_and_guests_do_not() -> None:
    """Deleting another's message: an administrator anywhere, the owner in their room; a member, a
    guest, a bot (even one put in the room) never; a direct room's members are no owners."""
    assert may_delete_any(ADMIN) and may_delete_any(ANN, OWNER_OF)
    assert not may_delete_any(ANN) and not may_delete_any(ANN, MEMBER_OF)
    assert not may_delete_any(None) and not may_delete_any(BOT_ACCOUNT, OWNER_OF)
