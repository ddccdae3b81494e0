"""What the desks share (chatroom/desks.py): an account's connections, failures logged not raised."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

import pytest

from chatroom.backend import BackendError
from chatroom.desks import Desk, Sessions, logged
from chatroom.identity import SESSION, Identity
from chatroom.store.base import StoreError
from chatroom.store.records import PERSON, Account


@dataclass(eq=False)
class Connection:
    """A connection of an account, or a guest's (None)."""

    who: Identity | None


def identity(account_id: int) -> Identity:
    account = Account(account_id, f"p{account_id}", f"p{account_id}", PERSON, False, False, None, "#000", 0)
    return Identity(account, SESSION)


def opened(sessions: Sessions[Connection], connection: Connection) -> Connection:
    sessions.add(connection)
    if connection.who is not None:
        sessions.identified(connection, connection.who.account_id)
    return connection


def test_an_accounts_connections_are_found_among_guests_and_others() -> None:
    """Only the connections of the account asked for are found; a guest's never."""
    sessions: Sessions[Connection] = Sessions()
    mine, also_mine = opened(sessions, Connection(identity(7))), Connection(identity(7))
    opened(sessions, Connection(identity(8)))
    opened(sessions, Connection(None))
    opened(sessions, also_mine)
    desk = Desk(sessions)
    assert sorted(map(id, desk._of_account(7))) == sorted(map(id, [mine, also_mine]))
    assert desk._of_account(9) == []
    assert len(sessions) == 4 and sessions.any_account()


def test_a_connection_opened_later_is_found_and_a_closed_one_is_not() -> None:
    """The desk reads the live sessions, not a copy made when it was built."""
    sessions: Sessions[Connection] = Sessions()
    desk = Desk(sessions)
    later = opened(sessions, Connection(identity(3)))
    assert desk._of_account(3) == [later]
    sessions.discard(later)
    assert desk._of_account(3) == [] and not sessions.any_account() and later not in sessions


def test_a_session_closed_before_it_is_identified_is_not_kept() -> None:
    """Identifying a session that closed meanwhile leaves nothing behind."""
    sessions: Sessions[Connection] = Sessions()
    gone = Connection(identity(5))
    sessions.add(gone)
    sessions.discard(gone)
    sessions.identified(gone, 5)
    assert Desk(sessions)._of_account(5) == [] and not sessions.any_account()


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
