"""What the desks acting on this process's connections share: finding an account's, logging failed work.

The desks (notices.py, unread.py) each read the hub's open sessions (Sessions),
never write them, and run their work in the background (peers.py too), where
a store or bus failure is logged rather than raised.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Iterator, Sequence
from typing import Generic, Protocol, TypeVar

from .backend import BackendError
from .identity import Identity
from .store.base import StoreError


class Held(Protocol):
    """A chat connection, as far as finding it by account goes."""

    @property
    def who(self) -> Identity | None:
        """The account it speaks for; None for a guest."""


C = TypeVar("C", bound=Held)


S = TypeVar("S")
C_co = TypeVar("C_co", covariant=True)


class OpenSessions(Protocol[C_co]):
    """What the desks read of the hub's open sessions (Sessions)."""

    def __iter__(self) -> Iterator[C_co]: ...

    def of_account(self, account_id: int) -> Sequence[C_co]:
        """The open sessions of ``account_id``, as a copy."""

    def any_account(self) -> bool:
        """Whether any open session speaks for an account."""


class Sessions(Generic[S]):
    """A process's open sessions, and those of each account among them.

    The desks look an account's connections up for every notice to it (an
    unread count, a room made or left): with 10,000 connections, a pass over
    all of them per notice, or per 50 ms as it was, cost some 6 % of the
    loop's time in a busy process. The hub fills this as sessions open, learn
    their account and close.
    """

    def __init__(self) -> None:
        self._open: set[S] = set()
        self._account_of: dict[S, int] = {}
        self._by_account: dict[int, set[S]] = {}

    def add(self, session: S) -> None:
        """A session is open (its account, if any, not known yet)."""
        self._open.add(session)

    def identified(self, session: S, account_id: int) -> None:
        """An open session speaks for ``account_id``."""
        if session in self._open:
            self._account_of[session] = account_id
            self._by_account.setdefault(account_id, set()).add(session)

    def discard(self, session: S) -> None:
        """A session is closed."""
        self._open.discard(session)
        account_id = self._account_of.pop(session, None)
        if account_id is not None:
            held = self._by_account[account_id]
            held.discard(session)
            if not held:
                del self._by_account[account_id]

    def of_account(self, account_id: int) -> list[S]:
        """The open sessions of ``account_id``, as a copy."""
        return list(self._by_account.get(account_id, ()))

    def any_account(self) -> bool:
        """Whether any open session speaks for an account (all others are guests')."""
        return bool(self._by_account)

    def __iter__(self) -> Iterator[S]:
        return iter(self._open)

    def __len__(self) -> int:
        return len(self._open)

    def __contains__(self, session: object) -> bool:
        return session in self._open


class Desk(Generic[C]):
    """Reads a process's connections: all of them, or one account's."""

    def __init__(self, connections: OpenSessions[C]) -> None:
        # The hub's open sessions: read, never written.
        self.connections = connections

    def _connections(self) -> list[C]:
        """A copy: the set changes while a desk's work waits."""
        return list(self.connections)

    def _of_account(self, account_id: int) -> Sequence[C]:
        return self.connections.of_account(account_id)


async def logged(work: Awaitable[None], log: logging.Logger, failing: str) -> None:
    """Run background work; a store or bus failure is logged as ``failing: error``."""
    try:
        await work
    except (StoreError, BackendError) as error:
        log.warning("%s: %s", failing, error)
