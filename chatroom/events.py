"""What happens in a room, as data: stored messages, joins and leaves, typing, resets.

Plain values passed between the store, the bus, the hub and the sessions. How
each one looks on the wire is protocol.frame_of's business.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class StoredMessage:
    """A chat message once it is durably stored and has its id."""

    id: int
    room: str
    nick: str
    text: str
    ts: int
    # Posted through the HTTP API (a bot), not by a member on a socket.
    bot: bool = False


@dataclass(frozen=True, slots=True)
class PresenceEvent:
    """Someone joined or left a room; ``users`` is the count after the event."""

    event: str
    room: str
    nick: str
    users: int
    ts: int


@dataclass(frozen=True, slots=True)
class TypingEvent:
    """Someone in a room is typing."""

    room: str
    nick: str


@dataclass(frozen=True, slots=True)
class PresenceBatch:
    """Several joins and leaves of a room, folded: who is in, who is out."""

    room: str
    joined: tuple[str, ...]
    left: tuple[str, ...]
    users: int
    ts: int


# What the backend delivers for a room, in order; stored messages in id order.
Event = StoredMessage | PresenceEvent | TypingEvent
# What reaches a room's members: the backend's events, and batches of joins and leaves.
Delivered = Event | PresenceBatch


@dataclass(frozen=True, slots=True)
class RoomNotice:
    """A room was created or changed: every node tells the members' sockets.

    ``change`` is one of "created", "renamed", "archived", "unarchived",
    "members"; ``members`` the accounts that may see a closed or direct room
    now; ``removed`` the accounts taken out, whose connections to it close.
    """

    room: str
    change: str
    members: tuple[int, ...] = ()
    removed: tuple[int, ...] = ()
