"""Rooms found alone: how long a finding holds, what voids it, and the frames held meanwhile."""

from __future__ import annotations

from chatroom.bus.redis_alone import ALONE_FOR, AloneRooms

OWN, OTHER_CONNECTION = b"node:n1:events:c1", b"node:n1:events:c2"
LOBBY, HALL = b"room:lobby", b"room:hall"


def test_a_room_found_alone_may_be_held_for_alone_for_on_the_same_connection() -> None:
    """A finding holds ALONE_FOR seconds from its command's sending, and only with the own channel it
    was made with (a subscription on another connection heard nothing since)."""
    rooms = AloneRooms()
    rooms.learned(OWN, 100.0, rooms.hellos, [LOBBY, HALL], {LOBBY})
    assert rooms.may_hold(LOBBY, OWN, 100.0 + ALONE_FOR / 2)
    assert not rooms.may_hold(LOBBY, OWN, 100.0 + ALONE_FOR)
    assert not rooms.may_hold(LOBBY, OTHER_CONNECTION, 100.0)
    assert not rooms.may_hold(HALL, OWN, 100.0)


def test_a_room_with_another_subscriber_is_no_longer_alone() -> None:
    """A later command that finds another subscriber ends the finding."""
    rooms = AloneRooms()
    rooms.learned(OWN, 100.0, rooms.hellos, [LOBBY], {LOBBY})
    rooms.learned(OWN, 100.1, rooms.hellos, [LOBBY], set())
    assert not rooms.may_hold(LOBBY, OWN, 100.1)


def test_a_hello_voids_the_finding_and_any_answer_of_a_command_sent_before_it() -> None:
    """Redis may have run a command before the hello's subscription: its answer, read after the hello,
    is not believed; a command sent after the hello is."""
    rooms = AloneRooms()
    hellos_before = rooms.hellos
    rooms.learned(OWN, 100.0, hellos_before, [LOBBY], {LOBBY})
    rooms.hold((LOBBY, b"m1"))
    assert rooms.hello(LOBBY) is True
    assert not rooms.may_hold(LOBBY, OWN, 100.0)
    rooms.learned(OWN, 100.0, hellos_before, [LOBBY, HALL], {LOBBY, HALL})
    assert not rooms.may_hold(LOBBY, OWN, 100.0)
    assert rooms.may_hold(HALL, OWN, 100.0)
    rooms.learned(OWN, 100.1, rooms.hellos, [LOBBY], {LOBBY})
    assert rooms.may_hold(LOBBY, OWN, 100.1)


def test_held_frames_are_taken_once_in_order() -> None:
    """What is held comes out in the order it came, once."""
    rooms = AloneRooms()
    assert not rooms.holding and rooms.hello(LOBBY) is False
    for frame in [(LOBBY, b"1"), (HALL, b"2"), (LOBBY, b"3")]:
        rooms.hold(frame)
    assert rooms.holding
    assert rooms.take_held() == [(LOBBY, b"1"), (HALL, b"2"), (LOBBY, b"3")]
    assert not rooms.holding and rooms.take_held() == []
