"""The Bus seam: delivery between processes, and presence across nodes.

Rules every implementation keeps (tests/test_backend_contract.py holds both to them,
with every store; tests/test_redis_bus.py adds several nodes and Redis faults):

- A bus holds nothing that must survive it: history lives in the store. A bus
  that restarts loses presence for a moment, never a message.
- ``publish_messages`` hands stored messages to the *other* processes with
  members in the room; this process delivers its own directly. Delivery over
  a bus may be late, reordered between publishers or lost while the bus is
  down: receivers put messages in id order and repair gaps from the store.
- Presence (``announce_join``, ``release`` with an announcement, ``typing``)
  reaches the room's subscribers on every process, this one included.
- A nick is held by one member across the deployment; the members of a
  process that dies are released (and their leaves announced) once its
  reservations expire.
- ``on_resume`` is called after the bus was cut off and is back: the caller
  then reads from the store what it may have missed.
- ``publish_notice`` hands a notice (a room's or an account's change, already
  stored) to the *other* processes, which give it to their ``on_notice``; the
  publisher acts on it itself. A notice published while the bus is down is
  lost: a process whose bus comes back rechecks what notices decide.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Protocol

from ..backend import EventSink, StoredMessage
from ..events import Notice


class BusError(Exception):
    """The bus cannot do what was asked right now."""


class BusStartupError(BusError):
    """The bus cannot be used at all: the server must not start."""


class Bus(Protocol):
    """What the server needs between its processes."""

    # Called (and awaited) after the bus lost its connection and got it back.
    on_resume: Callable[[], Awaitable[None]] | None
    # Given every notice another process publishes.
    on_notice: Callable[[Notice], None] | None

    async def start(self) -> None:
        """Connect; raise BusStartupError when the bus cannot be used."""

    async def close(self) -> None:
        """Release this process's members (announcing their leaves), then disconnect."""

    async def subscribe(self, room: str, sink: EventSink) -> None:
        """From now on give the room's events from the bus to ``sink``; returns once in effect."""

    async def unsubscribe(self, room: str) -> None:
        """Stop giving this process the room's events."""

    async def publish_messages(self, room: str, messages: Sequence[StoredMessage]) -> None:
        """Hand stored messages to the other processes with members in the room."""

    async def publish_notice(self, notice: Notice) -> None:
        """Hand a notice to every other process."""

    async def is_online(self, room: str, nick: str) -> bool:
        """Whether a member of the room holds ``nick`` (by its look-alike key), on any process."""
        ...

    async def reserve(self, room: str, nick: str) -> list[str] | None:
        """Hold ``nick`` in ``room``: the members, it included, or None if a live member has it."""
        ...

    async def announce_join(self, room: str, nick: str) -> None:
        """Tell the room, on every process, that a reserved nick joined."""

    async def release(self, room: str, nick: str, *, announce: bool) -> None:
        """Free a nick; with ``announce`` tell the room it left."""

    async def typing(self, room: str, nick: str) -> None:
        """Tell the room, on every process, that ``nick`` is typing."""

    async def online_rooms(self, *, prefix: str, after: str, limit: int) -> list[str]:
        """Up to ``limit`` names of rooms with members, starting with ``prefix``, after ``after``."""
        ...

    async def online_counts(self, rooms: Sequence[str]) -> list[int]:
        """How many members each room has, across the deployment."""
        ...

    async def claim_room(self, room: str) -> str | None:
        """Hold the look-alike key of a room with members: None, or the other room holding it.

        The claim lets go when the room's last member leaves (a room with
        history keeps its name through the store instead).
        """
        ...

    async def healthy(self) -> bool:
        """Whether the bus can be reached and delivers."""
        ...
