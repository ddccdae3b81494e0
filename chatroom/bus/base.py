"""The Bus seam: delivery between processes, and presence across nodes.

Rules every implementation keeps (tests/test_backend_contract.py holds both to them,
with every store; tests/test_redis_bus.py adds several nodes and Redis faults):

- A bus holds nothing that must survive it: history lives in the store. A bus
  that restarts loses presence for a moment, never a message.
- ``publish_stored`` hands stored messages to the *other* processes with
  members in their rooms; this process delivers its own directly. Delivery over
  a bus may be late, reordered between publishers or lost while the bus is
  down: receivers put messages in id order and repair gaps from the store.
- Presence (``announce_join``, ``release`` with an announcement, ``typing``)
  reaches the room's subscribers on every process, this one included; a
  join or leave says whether the member is a guest.
- A nick is held by one member across the deployment. A member has an owner:
  an account (``account_owner``) may hold its nick from many connections on
  many processes at once, and is still one member (listed once, counted
  once, its join announced once, its leave once, when its last hold goes);
  any other owner is refused while a live process holds the nick. A guest's
  owner is its own connection, so a guest's nick is its alone, unless its
  connections present one guest key (``guest_owner``): then they share it as
  an account's do.
- The holds of a process that dies are released once its reservations
  expire; a member it was the last to hold leaves, announced.
- ``on_resume`` is called after the bus was cut off and is back: the caller
  then reads from the store what it may have missed.
- Failure counts (``record_failure``, ``failure_wait``, ``forget_failures``:
  failed sign-ins, per account name and per address) are the deployment's,
  not one process's: ten failures spread over three nodes are ten. Losing
  them (a Redis restart) only lets the counting start again.
- ``publish_notices`` hands notices (a room's or an account's change, already
  stored) to the *other* processes, which give it to their ``on_notice``; the
  publisher acts on it itself. A notice published while the bus is down is
  lost: a process whose bus comes back rechecks what notices decide.
"""

from __future__ import annotations

import hashlib
import itertools
import os
import secrets
from collections.abc import Awaitable, Callable, Sequence
from typing import Protocol

from ..backend import EventSink, Sequenced
from ..events import Members, Notice

GUEST_OWNER_PREFIX = "c:"


def is_guest_owner(owner: str) -> bool:
    """Whether reservations of ``owner`` are a guest's (a connection's own, not an account's)."""
    return owner.startswith(GUEST_OWNER_PREFIX)


def account_owner(account_id: int) -> str:
    """The owner of an account's reservations: every connection of the account shares them."""
    return f"a:{account_id}"


def owner_account(owner: str) -> int | None:
    """The account whose reservations ``owner`` holds (account_owner's inverse); None for a guest's."""
    return int(owner[2:]) if owner.startswith("a:") and owner[2:].isdigit() else None


# A connection's owner is this process's random mark, its pid (a forked worker shares the mark) and a
# serial number: unique across the deployment without asking the system for randomness on every join.
_PROCESS_MARK = secrets.token_hex(6)
_SERIALS = itertools.count(1)


def guest_owner(guest_key: str) -> str:
    """The owner of the reservations of a guest's connections that present ``guest_key``: they share them.

    The key is a secret the guest's page keeps; only its digest is held, so the bus never has it.
    """
    return f"{GUEST_OWNER_PREFIX}k{hashlib.sha256(guest_key.encode()).hexdigest()[:32]}"


def connection_owner() -> str:
    """An owner of its own, for one connection (a guest): nobody shares its reservations."""
    return f"{GUEST_OWNER_PREFIX}{_PROCESS_MARK}.{os.getpid():x}.{next(_SERIALS):x}"


class BusError(Exception):
    """The bus cannot do what was asked right now."""


class BusStartupError(BusError):
    """The bus cannot be used at all: the server must not start."""


class Bus(Protocol):
    """What the server needs between its processes."""

    # Whether other processes hear what this bus is handed (the in-process bus: there are none).
    shared: bool
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

    async def publish_stored(self, stored: Sequence[tuple[str, Sequence[Sequenced]]]) -> None:
        """Hand stored messages, room by room, to the other processes with members in their rooms.

        Each room's messages are in id order; rooms may come in any order.
        """

    async def publish_notices(self, notices: Sequence[Notice]) -> None:
        """Hand notices, in order, to every other process."""

    async def record_failure(self, key: str, limit: int, window: float) -> None:
        """Count one failure of ``key`` (only the last ``limit`` within ``window`` seconds matter)."""

    async def failure_wait(self, key: str, limit: int, window: float) -> float:
        """Seconds until ``key`` (``limit`` failures in the last ``window`` seconds) may try again; 0: now."""
        ...

    async def forget_failures(self, key: str) -> None:
        """Clear ``key``'s failures (it succeeded)."""

    async def spend(self, key: str, per_minute: int) -> float:
        """Spend one of ``key``'s allowance of ``per_minute`` a minute, in bursts of as many, as every
        process counts it: 0 when spent, else the seconds until there is one (nothing spent)."""
        ...

    async def is_online(self, room: str, nick: str) -> bool:
        """Whether a member of the room holds ``nick`` (by its look-alike key), on any process."""
        ...

    async def reserve(self, room: str, nick: str, owner: str | None = None) -> Members | None:
        """Hold ``nick`` in ``room`` for ``owner``: the members (each once), it included, or None.

        The members say which of them are guests (a connection's own owner).

        None when a live member of another owner has the nick. An owner that
        holds it already (on any process) shares it: one more hold, one
        member still. ``owner`` None is an owner of its own (connection_owner).
        """
        ...

    async def announce_join(self, room: str, nick: str) -> bool:
        """Tell the room, on every process, that a reserved nick joined; once per member.

        False when the room was told already (another hold of the member
        announced it) or the nick is not held: nothing is sent then.
        """
        ...

    async def release(self, room: str, nick: str, *, announce: bool) -> None:
        """Let go of one of this process's holds of ``nick``; the member leaves with its last hold.

        The room is told it left when this release or any earlier one of the
        member said ``announce`` (a connection whose join was out).
        """

    async def typing(self, room: str, nick: str, thread: int | None = None) -> None:
        """Tell the room, on every process, that ``nick`` is typing (in the thread of ``thread``)."""

    async def accounts_online(self, account_ids: Sequence[int]) -> set[int]:
        """Those of the accounts that hold a member (``account_owner``) in any room, on any process.

        An account with a page open is online; one whose pages all closed, or
        whose node died and was reaped, is not.
        """
        ...

    async def accounts_in(self, room: str) -> set[int]:
        """The accounts that hold a member in the room (a page open in it), on any process."""
        ...

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
