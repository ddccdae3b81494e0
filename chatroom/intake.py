"""A member's frames in: parsed, held to the member's limits, turned into what they ask for.

session.Session hands every frame from the client here and carries out the
answer; a refusal is a ProtocolError, which the session sends back as an
error frame. Pure: no I/O, and the clock is given.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass

from . import changes, effects, formatting, metrics, polls, protocol
from .config import Settings
from .limits import RefusalWindow, Throttle, TokenBucket
from .mentions import mentions_many
from .protocol import ProtocolError

TYPING_INTERVAL = 1.0


@dataclass(frozen=True, slots=True)
class _Voice:
    """What a member may add to its room: new words (not read_only), reactions and deletions."""

    read_only: bool
    may_react: bool
    mentions_room: bool = True

    def check_mentions(self, text: str, ref: str | None) -> None:
        """Refuse words that mention the whole room where the member may not (access.may_mention_room)."""
        if not self.mentions_room and mentions_many(text):
            raise ProtocolError(
                protocol.ROOM_MENTION_FORBIDDEN,
                "only the owner and administrators of this room may notify the whole room"
                " with @room or @here",
                ref,
            )

    @property
    def why(self) -> str:
        """Why new words are refused: the room is read-only, or only those who manage it post."""
        return "only its owner and administrators post in it" if self.may_react else "it is read-only"


def _reaches_the_blocker(frame: changes.ChangeFrame) -> bool:
    """Whether a change puts something new before the person who blocked its author, as a message
    would: an edit, a pin or unpin, a reaction put. Taking one's reaction back, or deleting one's own
    message, takes something away and still goes through."""
    if isinstance(frame, changes.ReactFrame | polls.VoteFrame):
        return frame.on
    return isinstance(frame, changes.EditFrame | changes.PinFrame)


class Intake:
    """One member's rate limit, typing throttle and refusal count, and the tokens of its messages."""

    __slots__ = ("_bucket", "_clock", "_max_length", "_refusals", "_tokens", "_typing")

    def __init__(self, settings: Settings, clock: Callable[[], float]) -> None:
        self._clock = clock
        self._max_length = settings.max_message_length
        self._bucket = TokenBucket(settings.rate, settings.burst, now=clock())
        self._refusals = RefusalWindow(settings.max_refusals, settings.refusal_window)
        self._typing = Throttle(TYPING_INTERVAL)
        self._tokens = itertools.count(1)

    def ask(
        self,
        message: str | bytes,
        *,
        read_only: bool,
        guest: bool = False,
        may_react: bool | None = None,
        blocked_by: str | None = None,
        mentions_room: bool = True,
    ) -> effects.Effect | None:
        """What a frame asks for (None: nothing, a typing hint dropped); ProtocolError if refused.

        ``read_only``: no new words (messages, replies, edits); ``may_react``:
        reactions and deleting one's own still go through (access.may_react;
        None: only where new words do); ``blocked_by``: the person of a direct
        room of two who blocked the member, whom no new message, edit, pin or
        reaction reaches; ``mentions_room``: whether messages and edits may mention the whole room.
        """
        if isinstance(message, bytes):
            raise ProtocolError(protocol.BINARY, "binary frames are not accepted")
        frame = changes.parse_frame(message, self._max_length)
        voice = _Voice(read_only, not read_only if may_react is None else may_react, mentions_room)
        if isinstance(frame, protocol.MessageFrame):
            return self._message(frame, voice, blocked_by)
        if isinstance(frame, changes.ChangeFrame):
            if blocked_by is not None and _reaches_the_blocker(frame):
                raise ProtocolError(
                    protocol.BLOCKED, f"{blocked_by} does not take messages from you", frame.ref
                )
            return self._change(frame, voice, guest)
        if isinstance(frame, protocol.TypingFrame):
            # A hint: extra frames are dropped quietly, never refused.
            return effects.Typing(frame.thread) if self._typing.allow(self._clock()) else None
        # A history page or a read mark costs the store a read: it spends a token too.
        if not self._bucket.take(self._clock()):
            raise ProtocolError(
                protocol.RATE_LIMITED, "slow down: too many history requests or read marks", frame.ref
            )
        if isinstance(frame, protocol.ReadFrame):
            return effects.MarkRead(frame.id)
        return effects.ReadPage(frame.before, frame.limit, frame.ref, frame.top)

    def _message(
        self, frame: protocol.MessageFrame, voice: _Voice, blocked_by: str | None
    ) -> effects.Publish:
        metrics.MESSAGES_RECEIVED.inc()
        if blocked_by is not None:
            raise ProtocolError(protocol.BLOCKED, f"{blocked_by} does not take messages from you", frame.ref)
        if voice.read_only:
            raise ProtocolError(protocol.READ_ONLY, f"you cannot post in this room: {voice.why}", frame.ref)
        voice.check_mentions(frame.text, frame.ref)
        if not self._bucket.take(self._clock(), formatting.rate_cost(frame.text)):
            raise ProtocolError(protocol.RATE_LIMITED, "slow down: too many messages", frame.ref)
        return effects.Publish(
            frame.text, frame.ref, next(self._tokens), frame.reply_to, frame.thread, frame.broadcast
        )

    def _change(self, frame: changes.ChangeFrame, voice: _Voice, guest: bool) -> effects.Change:
        if guest:
            raise ProtocolError(
                protocol.FORBIDDEN,
                "sign in to edit, delete, react, pin or vote: guests cannot change messages",
                frame.ref,
            )
        # An edit puts new words in the room, and a pin puts words before everyone (who may post
        # may pin); a reaction or a deletion does not.
        if (
            voice.read_only
            if isinstance(frame, changes.EditFrame | changes.PinFrame)
            else not voice.may_react
        ):
            raise ProtocolError(
                protocol.READ_ONLY, f"you cannot change messages in this room: {voice.why}", frame.ref
            )
        if isinstance(frame, changes.EditFrame):
            voice.check_mentions(frame.text, frame.ref)
        cost = formatting.rate_cost(frame.text) if isinstance(frame, changes.EditFrame) else 1.0
        if not self._bucket.take(self._clock(), cost):
            raise ProtocolError(protocol.RATE_LIMITED, "slow down: too many changes", frame.ref)
        return effects.Change(frame, next(self._tokens))

    def too_many_refusals(self, error: ProtocolError) -> bool:
        """Count a refusal; whether the member had too many of late (the store failing is not its fault)."""
        metrics.REFUSALS.labels(error.code).inc()
        return error.code != protocol.UNAVAILABLE and self._refusals.record(self._clock())
