"""The saved messages part of the AccountStore contract: the messages each person keeps to come back to.

A saved message is one row per account, room and message id, with when it
was saved. The store keeps the rows and nothing more: whether the person
may read the message, and what it says now, are asked elsewhere, when the
list is read (api_saved.py asks access.py, and the store's history).

- A person's saving times are distinct and increase: a save in the same
  millisecond as (or before) their latest takes the millisecond after it,
  so that the time alone pages the list, newest saved first.
- A person saves at most ``limit`` messages (api_saved.MAX_SAVED): past it,
  a new save is refused (None), while saving one already saved still
  answers its row. Two saves at the same moment on two PostgreSQL nodes
  may pass the limit by one.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from .records import SavedMessage


class SavedStore(Protocol):
    """Which messages each person saved."""

    async def save_message(
        self, account_id: int, room: str, message_id: int, *, limit: int, saved_at: int | None = None
    ) -> SavedMessage | None:
        """Save the message for the account (``saved_at``: now when None); its row, the earlier one when
        it was saved already; None when the account holds ``limit`` saved messages already."""
        ...

    async def unsave_message(self, account_id: int, room: str, message_id: int) -> bool:
        """Forget the account's saving of the message; whether it was saved."""
        ...

    async def saved_messages(
        self, account_id: int, *, before: int | None = None, limit: int = 50
    ) -> list[SavedMessage]:
        """Up to ``limit`` of the account's saved messages saved before ``before`` (None: any), newest
        saved first."""
        ...

    async def saved_in(self, account_id: int, room: str) -> list[int]:
        """The ids of the account's saved messages of one room, in id order."""
        ...

    async def import_saved(self, saved: Sequence[SavedMessage]) -> None:
        """Store saved messages as an export has them (their times), replacing any of the same account,
        room and message; their accounts and rooms exist."""
        ...
