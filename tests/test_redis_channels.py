"""The Redis subscription's ledger of channels: never heard before Redis confirmed, nor while asked again."""

from __future__ import annotations

import asyncio

import pytest

from chatroom.bus.base import BusError
from chatroom.bus.redis_channels import ChannelLedger

LOBBY, KITCHEN = b"room:lobby:events", b"room:kitchen:events"


def test_a_channel_is_heard_once_its_subscription_is_answered() -> None:
    ledger = ChannelLedger()
    ledger.asked([LOBBY, KITCHEN])
    assert ledger.heard == set()
    ledger.answered(LOBBY, True, wanted=True)
    assert ledger.heard == {LOBBY}


def test_an_answer_is_not_believed_while_another_request_is_on_its_way() -> None:
    """Subscribed, then unsubscribed and subscribed again: only the last answer counts."""
    ledger = ChannelLedger()
    ledger.asked([LOBBY])
    ledger.asked([LOBBY])
    ledger.answered(LOBBY, True, wanted=True)
    assert ledger.heard == set()
    ledger.answered(LOBBY, True, wanted=True)
    assert ledger.heard == {LOBBY}


def test_an_unsubscribe_answer_or_a_room_left_is_not_heard() -> None:
    ledger = ChannelLedger()
    ledger.asked([LOBBY, KITCHEN])
    ledger.answered(LOBBY, False, wanted=True)
    ledger.answered(KITCHEN, True, wanted=False)
    assert ledger.heard == set()
    ledger.asked([LOBBY])
    ledger.answered(LOBBY, True, wanted=True)
    ledger.left([LOBBY])
    assert ledger.heard == set()


def test_confirmations_resolve_on_subscribe_and_fail_when_lost() -> None:
    async def scenario() -> None:
        ledger = ChannelLedger()
        lobby, kitchen = ledger.confirmation(LOBBY), ledger.confirmation(KITCHEN)
        ledger.asked([LOBBY, KITCHEN])
        ledger.answered(LOBBY, True, wanted=True)
        assert lobby.done() and lobby.exception() is None
        ledger.lost()
        assert ledger.heard == set()
        with pytest.raises(BusError, match="lost"):
            await kitchen
        # What was asked before the loss is forgotten: the next answer counts at once.
        ledger.answered(KITCHEN, True, wanted=True)
        assert ledger.heard == {KITCHEN}

    asyncio.run(scenario())
