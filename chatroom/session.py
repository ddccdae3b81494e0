"""One member's chat session as a Sans-I/O state machine: inputs in, effects out.

The session decides and its adapter (handlers.ChatSocketHandler) acts. Every
input (the upgrade's query, an answer from the backend, a frame from the
client, events of the room, the end of the connection) is a method call that
returns the effects to carry out, in order (effects.py): frames to send, a
message to store, a join to announce, a close... Nothing here touches a
socket, the store, the bus or the loop, and the clock is given:
tests/test_session.py drives a session with none of them. The way into the
room, up to live, is joining.py's (the way in itself, who, which nick, the
refusals, is opening.py's); the frames in, held to the member's limits, are
intake.py's.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from . import changes, effects, metrics, protocol
from .config import Settings
from .effects import Effects
from .events import StoredMessage
from .intake import Intake
from .joining import Joining, State
from .owed_acks import OwedAcks
from .protocol import ProtocolError

__all__ = ["Session", "State"]


class Session(Joining):
    """One member's session: its state, what it holds back (joining.Joining), what it owes."""

    def __init__(self, settings: Settings, clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__(settings)
        # The server's close code, once it decided to close.
        self.close_code: int | None = None
        self.frames_in = 0
        self._acks = OwedAcks()
        self._intake = Intake(settings, clock)

    # --- frames from the client --------------------------------------------------

    def received(self, message: str | bytes) -> Effects:
        """One frame from the client (intake.Intake); refusals become error frames."""
        self.frames_in += 1
        if self.state >= State.CLOSING:
            return []  # frames already buffered behind a close are not acted on
        try:
            asked = self._intake.ask(
                message,
                read_only=self.read_only,
                guest=self.who is None,
                may_react=self.may_react,
                blocked_by=self.blocked_by,
                mentions_room=self.mentions_room,
            )
        except ProtocolError as error:
            return self._refuse_frame(error)
        if isinstance(asked, effects.Publish | effects.Change):
            self._acks.owe(asked.token)
        return [asked] if asked is not None else []

    def stored(
        self, publish: effects.Publish | effects.Change, stored_id: int, *, unchanged: bool = False
    ) -> Effects:
        """``publish`` is durable as ``stored_id`` (``unchanged``: a change that changed nothing): its ack."""
        paid = self._paid(publish)
        if publish.ref is None or self.state is State.CLOSED:
            return paid
        make_ack = changes.unchanged_ack if unchanged else protocol.ack_frame
        return [effects.Send((make_ack(publish.ref, stored_id),)), *paid]

    def change_refused(self, publish: effects.Publish | effects.Change, code: str, message: str) -> Effects:
        """The store refused ``publish``: a change not the member's to make, or to no such message."""
        paid = self._paid(publish)
        if self.state is State.CLOSED:
            return []
        return self._refuse_frame(ProtocolError(code, message, publish.ref)) + paid

    def store_failed(self, publish: effects.Publish | effects.Change) -> Effects:
        """The message of ``publish`` could not be stored: the member may retry."""
        paid = self._paid(publish)
        metrics.REFUSALS.labels(protocol.UNAVAILABLE).inc()
        if self.state is State.CLOSED:
            return []
        message = "the message could not be stored; try again"
        error = protocol.error_frame(protocol.UNAVAILABLE, message, publish.ref)
        return [effects.Send((error,)), *paid]

    def store_abandoned(self, publish: effects.Publish | effects.Change) -> Effects:
        """The outcome of ``publish`` will never be known (its store call was cancelled)."""
        return self._paid(publish)

    def _paid(self, publish: effects.Publish | effects.Change) -> Effects:
        """``publish``'s outcome is known: the close that waited for it, once nothing else is owed."""
        due = self._acks.paid(publish.token)
        return due if self.state is State.CLOSING else []

    def page_read(self, request: effects.ReadPage, messages: list[StoredMessage]) -> Effects:
        """A history request's messages, read as ``request`` asked."""
        if self.state is State.CLOSED:
            return []
        page = changes.newest_page(messages, request.limit, self._backlog)
        return [effects.Send((changes.history_frame(self.room, *page, reader=self.who, ref=request.ref),))]

    def page_failed(self, request: effects.ReadPage) -> Effects:
        """A history request could not be read."""
        unavailable = ProtocolError(protocol.UNAVAILABLE, "history is unavailable, try again", request.ref)
        return self._refuse_frame(unavailable)

    def _refuse_frame(self, error: ProtocolError) -> Effects:
        out: Effects = [effects.Send((protocol.error_frame(error.code, error.message, error.ref),))]
        if self._intake.too_many_refusals(error):
            out += self.close(protocol.CLOSE_POLICY_VIOLATION, "too many refused frames")
        return out

    # --- closing -------------------------------------------------------------------

    def close(self, code: int, reason: str) -> Effects:
        """The server closes the session: the owed acks go out first (owed_acks.py says why)."""
        if self.state >= State.CLOSING:
            return []
        self.state, self.close_code = State.CLOSING, code
        return self._acks.close(effects.Close(code, reason))

    def acks_overdue(self) -> Effects:
        """The wait for owed acks is over: close now."""
        due = self._acks.overdue()
        return due if self.state is State.CLOSING else []

    def overflowed(self) -> Effects:
        """The member's backlog passed its bound: it is cut off at once, acks or not."""
        if self.state is State.CLOSED:
            return []
        self.state, self.close_code = State.CLOSING, protocol.CLOSE_TRY_AGAIN_LATER
        self._acks.forget_close()
        return [effects.Close(protocol.CLOSE_TRY_AGAIN_LATER, "too slow: backlog bound passed", at_once=True)]

    def transport_closed(self) -> Effects:
        """The connection is gone, whoever closed it: leave the room once."""
        standing, self.state = self.standing, State.CLOSED
        self._catch_up.drop_held()
        if standing is State.OPENING:
            return []  # a reservation still under way is released when it answers
        if standing is State.ANNOUNCING:
            return [effects.LeaveHub()]  # released when the announcement answers, announced or not
        return [effects.LeaveHub(), effects.Release(announce=standing >= State.CATCHING_UP)]
