"""What the notice desks need of one chat connection, and how they run work in the background.

handlers.ChatSocketHandler is such a connection (through notice_target.py);
tests give the desks connections of their own.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Protocol

from .identity import Identity

# Runs a coroutine in the background, keeping hold of it (hub.Hub.spawn).
Spawn = Callable[[Awaitable[Any]], None]


class Connection(Protocol):
    """What the desk needs of one chat connection (handlers.ChatSocketHandler)."""

    @property
    def room(self) -> str:
        """The room it is in (or joining)."""

    @property
    def who(self) -> Identity | None:
        """The account it speaks for; None for a guest."""

    def expel(self, code: str, message: str) -> None:
        """Send an error frame with ``code`` and close with that code's close code."""

    def tell(self, frames: Sequence[dict[str, Any]]) -> None:
        """Send frames that are not the room's (live room list), once the connection is in the room."""

    def set_voice(self, may_post: bool, may_react: bool, mentions_room: bool) -> None:
        """Whether messages, and reactions, are taken (else refused with read_only) from now on, and
        mentions of the whole room (else refused with room_mention_forbidden)."""

    def set_blocked(self, by: str | None) -> None:
        """Who blocked the account in this direct room (messages refused with ``blocked``); None: nobody."""

    @property
    def direct_others(self) -> frozenset[int]:
        """In a direct room, the other members' accounts when it joined; none elsewhere."""

    def rename(self, name: str) -> None:
        """Tell the connection its account's new name, and close it so that it comes back under it."""

    def renew(self) -> None:
        """Close it so that it comes back with its browser's new session."""

    @property
    def nick_key(self) -> str:
        """Its nick as nicks are compared."""

    @property
    def address(self) -> str:
        """The address it connects from."""

    @property
    def admission_began(self) -> int | None:
        """When (time.monotonic_ns) its admission began reading the store; None before that."""
