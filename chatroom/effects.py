"""What a chat session asks of its adapter: the effects session.Session returns.

The adapter carries them out in the order given. Those that ask the backend
something name the session's method that takes the answer. They are not
frozen: one is built for every message a member sends, and a frozen
dataclass takes three times as long to build.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .changes import ChangeFrame


@dataclass(slots=True)
class Send:
    """Queue these frames for the member, behind what is queued already."""

    frames: Sequence[dict[str, Any]]


@dataclass(slots=True)
class Publish:
    """Store and broadcast a message; answer with stored, store_failed or store_abandoned."""

    text: str
    ref: str | None
    token: int
    reply_to: int | None = None
    # The root of the thread it replies in; also sent to the room.
    thread: int | None = None
    broadcast: bool = False


@dataclass(slots=True)
class Change:
    """Store and broadcast a change to a message (changes.ChangeFrame); answered like Publish."""

    frame: ChangeFrame
    token: int

    @property
    def ref(self) -> str | None:
        """The client's ref for the ack."""
        return self.frame.ref


@dataclass(slots=True)
class Typing:
    """Tell the room the member is typing (a reply in the thread of ``thread``, when not None)."""

    thread: int | None = None


@dataclass(slots=True)
class ReadPage:
    """Read the newest ``limit`` + 1 messages before ``before``; answer with page_read or page_failed.

    The one more says whether older messages remain; ``ref`` is the request's, for its answer.
    """

    before: int | None
    limit: int
    ref: str | None = None
    # Only the main timeline: thread replies left out.
    top: bool = False


@dataclass(slots=True)
class MarkRead:
    """Mark the room read up to ``id`` for the member's account (a guest's is dropped)."""

    id: int


@dataclass(slots=True)
class Close:
    """Hand over what is queued, then close the connection with ``code``.

    ``at_once``: close without handing over anything more (a member whose
    backlog passed its bound).
    """

    code: int
    reason: str
    at_once: bool = False


@dataclass(slots=True)
class AwaitAcks:
    """Call acks_overdue after ``seconds``, unless the owed acks come first."""

    seconds: float


@dataclass(slots=True)
class Admit:
    """Ask access whether the member may enter the room, and post in it; answer with admitted."""

    room: str


@dataclass(slots=True)
class ClaimRoom:
    """Claim the room's look-alike key; answer with room_claimed.

    ``store_checked``: the store's holder of the key was read with the
    admission (opening.Known), so only the deployment is asked.
    """

    room: str
    store_checked: bool = False


@dataclass(slots=True)
class Reserve:
    """Reserve ``nick`` in the room; answer with reserved.

    ``name_checked``: the store said with the admission that no account holds
    the nick (a guest's), so that is not asked again.
    """

    nick: str
    name_checked: bool = False


@dataclass(slots=True)
class EnterHub:
    """Put the member in the hub, not settled, its room subscribed; answer with entered."""


@dataclass(slots=True)
class ReadRoom:
    """Read the room's last id, epoch and newest ``limit`` + 1 messages after ``after`` (room_read)."""

    after: int | None
    limit: int


@dataclass(slots=True)
class AnnounceJoin:
    """Greet the member with its own join once it is out (greeted); announce it (join_announced)."""


@dataclass(slots=True)
class Settle:
    """From now on the hub writes the room's broadcasts straight to the member."""


@dataclass(slots=True)
class LeaveHub:
    """Take the member out of the hub."""


@dataclass(slots=True)
class Release:
    """Release the member's nick; with ``announce`` the room is told it left."""

    announce: bool


Effect = (
    Send
    | Publish
    | Change
    | Typing
    | ReadPage
    | MarkRead
    | Close
    | AwaitAcks
    | Admit
    | ClaimRoom
    | Reserve
    | EnterHub
    | ReadRoom
    | AnnounceJoin
    | Settle
    | LeaveHub
    | Release
)
Effects = list[Effect]
