"""What the desks acting on this process's connections share: finding an account's, logging failed work.

The desks (notices.py, unread.py) each read the hub's set of open sessions,
never write it, and run their work in the background (peers.py too), where
a store or bus failure is logged rather than raised.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Iterable
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


class Desk(Generic[C]):
    """Reads a process's connections: all of them, or one account's."""

    def __init__(self, connections: Iterable[C]) -> None:
        # The hub's set of open sessions: read, never written.
        self.connections = connections

    def _connections(self) -> list[C]:
        """A copy: the set changes while a desk's work waits."""
        return list(self.connections)

    def _of_account(self, account_id: int) -> list[C]:
        return [c for c in self._connections() if c.who is not None and c.who.account_id == account_id]


async def logged(work: Awaitable[None], log: logging.Logger, failing: str) -> None:
    """Run background work; a store or bus failure is logged as ``failing: error``."""
    try:
        await work
    except (StoreError, BackendError) as error:
        log.warning("%s: %s", failing, error)
