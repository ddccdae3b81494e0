"""The acks a session owes: a server's close waits for them, within its bound, and goes once."""

from __future__ import annotations

from chatroom.effects import AwaitAcks, Close
from chatroom.owed_acks import ACK_WAIT_SECONDS, OwedAcks

BYE = Close(1001, "going away")


def test_a_close_with_nothing_owed_goes_at_once() -> None:
    """Nothing in the store: the close is the only effect."""
    acks = OwedAcks()
    acks.owe(1)
    assert acks.paid(1) == []
    assert acks.close(BYE) == [BYE]


def test_a_close_waits_for_every_owed_outcome_then_goes_once() -> None:
    """Two messages in the store: the close waits (AwaitAcks), and goes with the last outcome, once."""
    acks = OwedAcks()
    acks.owe(1)
    acks.owe(2)
    assert acks.close(BYE) == [AwaitAcks(ACK_WAIT_SECONDS)]
    assert acks.paid(2) == []
    assert acks.paid(1) == [BYE]
    assert acks.overdue() == []
    assert acks.paid(1) == []


def test_a_wait_that_runs_out_closes_without_the_rest() -> None:
    """The wait's bound passes with an outcome still owed: the close goes then, not again later."""
    acks = OwedAcks()
    acks.owe(1)
    acks.close(BYE)
    assert acks.overdue() == [BYE]
    assert acks.paid(1) == []


def test_a_member_cut_off_at_once_has_no_close_waiting() -> None:
    """After forget_close (the member overflowed), an outcome arriving sends no second close."""
    acks = OwedAcks()
    acks.owe(1)
    acks.close(BYE)
    acks.forget_close()
    assert acks.paid(1) == []
    assert acks.overdue() == []
