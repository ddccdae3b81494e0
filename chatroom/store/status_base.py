"""The status part of the AccountStore contract: what a person says of themselves, and whether their
notifications are paused ("do not disturb").

A status is an emoji and a short text, until a time or for good; a pause
lasts until a time. Either, its time passed, is as absent: every read takes
``now`` and leaves it out, so no job clears them (the next change replaces
the row).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True, slots=True)
class Status:
    """What an account says of itself: ``emoji`` and ``text``, shown until ``until`` (ms; None: for good)."""

    account_id: int
    emoji: str
    text: str
    until: int | None
    set_at: int

    def shown_at(self, now: int) -> bool:
        """Whether the status is still shown at ``now`` (ms)."""
        return self.until is None or self.until > now


@dataclass(frozen=True, slots=True)
class Pause:
    """A person's notifications are paused until ``until`` (ms)."""

    account_id: int
    until: int


class StatusStore(Protocol):
    """Statuses and paused notifications, read as they are at a given time."""

    async def set_status(self, status: Status) -> None:
        """Set the account's status, replacing the one it had."""
        ...

    async def clear_status(self, account_id: int, now: int) -> bool:
        """Clear the account's status; whether one was shown at ``now``."""
        ...

    async def statuses_of(self, account_ids: Sequence[int], now: int) -> dict[int, Status]:
        """The status of each of these accounts that has one shown at ``now``."""
        ...

    async def pause_notifications(self, pause: Pause) -> None:
        """Pause the person's notifications until the pause's time, replacing an earlier pause."""
        ...

    async def resume_notifications(self, account_id: int, now: int) -> bool:
        """End the person's pause; whether one was under way at ``now``."""
        ...

    async def pauses_of(self, account_ids: Sequence[int], now: int) -> dict[int, int]:
        """Until when each of these people's notifications are paused, for those paused at ``now``."""
        ...
