"""The acks a session owes its member, and a server's close that waits for them (no I/O).

A client that resends after the server closed its connection must learn
which of its messages were stored: a resend with a ref is deduplicated, but
one without is not. So a close the server decides goes out once every
message the member has in the store has its outcome (ack or error), or
after ACK_WAIT_SECONDS, whichever comes first (session.Session.close).
"""

from __future__ import annotations

from . import effects
from .effects import Effects

# Within the shutdown grace: a stop still takes under five seconds.
ACK_WAIT_SECONDS = 1.0


class OwedAcks:
    """The tokens of the member's messages and changes in the store, and the close waiting on them."""

    def __init__(self) -> None:
        self._owed: set[int] = set()
        self._closing: effects.Close | None = None

    def owe(self, token: int) -> None:
        """A message or change went to the store: its outcome is owed."""
        self._owed.add(token)

    def paid(self, token: int) -> Effects:
        """Its outcome is known (sent, or never to be): the waiting close, once nothing else is owed."""
        self._owed.discard(token)
        return self.overdue() if self._closing is not None and not self._owed else []

    def close(self, close: effects.Close) -> Effects:
        """Close now when nothing is owed; else wait for the outcomes (AwaitAcks), then close."""
        if not self._owed:
            return [close]
        self._closing = close
        return [effects.AwaitAcks(ACK_WAIT_SECONDS)]

    def overdue(self) -> Effects:
        """The wait is over: the waiting close, if any (once)."""
        closing, self._closing = self._closing, None
        return [closing] if closing is not None else []

    def forget_close(self) -> None:
        """The session was cut off at once: no close waits any more."""
        self._closing = None
