"""What the desks share (chatroom/desks.py): an account's connections, failures logged not raised."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

import pytest

from chatroom.backend import BackendError
from chatroom.desks import Desk, logged
from chatroom.identity import SESSION, Identity
from chatroom.store.base import StoreError
from chatroom.store.records import PERSON, Account


@dataclass
class Connection:
    """A connection of an account, or a guest's (None)."""

    who: Identity | None


def identity(account_id: int) -> Identity:
    account = Account(account_id, f"p{account_id}", f"p{account_id}", PERSON, False, False, None, "#000", 0)
    return Identity(account, SESSION)


def test_an_accounts_connections_are_found_among_guests_and_others() -> None:
    """Only the connections of the account asked for are found; a guest's never."""
    mine, also_mine = Connection(identity(7)), Connection(identity(7))
    connections = [mine, Connection(identity(8)), Connection(None), also_mine]
    desk = Desk(connections)
    assert desk._of_account(7) == [mine, also_mine]
    assert desk._of_account(9) == []


def test_a_connection_opened_later_is_found() -> None:
    """The desk reads the live set, not a copy made when it was built."""
    connections: list[Connection] = []
    desk = Desk(connections)
    later = Connection(identity(3))
    connections.append(later)
    assert desk._of_account(3) == [later]


@pytest.mark.parametrize("error", [StoreError("database away"), BackendError("bus away")])
def test_a_store_or_bus_failure_is_logged(error: Exception, caplog: pytest.LogCaptureFixture) -> None:
    """Background work that fails on the store or the bus leaves a warning saying what failed."""

    async def failing() -> None:
        raise error

    with caplog.at_level(logging.WARNING):
        asyncio.run(logged(failing(), logging.getLogger("chatroom.test"), "cannot do it"))
    assert f"cannot do it: {error}" in caplog.text


def test_another_failure_is_raised() -> None:
    """Only the failures expected of the store and the bus are swallowed."""

    async def broken() -> None:
        raise KeyError("a bug")

    with pytest.raises(KeyError):
        asyncio.run(logged(broken(), logging.getLogger("chatroom.test"), "cannot do it"))
