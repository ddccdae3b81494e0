"""A joining member's events: held, then passed on without what history showed or its own join."""

from __future__ import annotations

from chatroom.catch_up import CatchUp
from chatroom.events import PresenceEvent, StoredMessage
from chatroom.protocol import nick_key


def message(msg_id: int) -> StoredMessage:
    return StoredMessage(msg_id, "lobby", "bob", f"m{msg_id}", 0)


def join(nick: str) -> PresenceEvent:
    return PresenceEvent("join", "lobby", nick, 2, 0)


def test_held_events_come_back_without_what_history_showed_or_the_members_own_join() -> None:
    """History showed up to 5: 6, 7 and bob's join are news; 4, 5 and ann's own join are not."""
    catch_up = CatchUp()
    catch_up.start_after(5, last_id=5, since=None)
    catch_up.hold([message(4), join("ann"), message(5)])
    catch_up.hold([join("bob"), message(6), message(7)])
    news, passed = catch_up.take_held(nick_key("ann"))
    assert (news, passed) == ([join("bob"), message(6), message(7)], True)
    assert catch_up.take_held(nick_key("ann")) == ([], False)  # taken once: nothing held now


def test_the_stream_has_passed_history_once_it_reaches_its_last_id() -> None:
    """A batch below what history showed does not settle the member; one that reaches it does."""
    catch_up = CatchUp()
    catch_up.start_after(5, last_id=5, since=None)
    assert not catch_up.passed([message(3), message(4)])
    assert catch_up.passed([message(5)])
    assert catch_up.news([message(5), message(6)], nick_key("ann")) == [message(6)]
    catch_up.hold([message(4)])
    assert catch_up.take_held(nick_key("ann")) == ([], False)


def test_an_empty_room_has_nothing_to_catch_up_with() -> None:
    """History showed nothing of a room with no messages: the member is caught up at once."""
    catch_up = CatchUp()
    catch_up.start_after(0, last_id=0, since=None)
    assert catch_up.take_held(nick_key("ann")) == ([], True)


def test_a_since_beyond_the_rooms_last_id_skips_nothing_to_come() -> None:
    """A since from another epoch (past the room's last id) must not hide the room's next messages."""
    catch_up = CatchUp()
    catch_up.start_after(0, last_id=3, since=90)
    assert catch_up.news([message(4)], nick_key("ann")) == [message(4)]
    assert catch_up.passed([message(4)])


def test_what_is_held_for_a_member_who_left_is_dropped() -> None:
    """The member is gone: nothing held for it remains."""
    catch_up = CatchUp()
    catch_up.hold([message(1), message(2)])
    catch_up.drop_held()
    assert catch_up.take_held(nick_key("ann")) == ([], True)
