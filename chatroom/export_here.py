"""Who each ``@here`` mentioned, in an export: ``here_mention`` lines, among what each account has of its
reading (export_reading.py), after the rooms and their messages.

- ``here_mention``: ``{"account", "room", "id"}``, the account was online in
  the room when its message ``id`` said ``@here`` (unread.py), so the message
  counts as a mention of theirs.

An import stores them as they are: the same counts as in the database the
file came from.
"""

from __future__ import annotations

from collections.abc import Callable, Container, Sequence
from dataclasses import dataclass
from typing import IO

import orjson

from .export_fields import MAX_ID
from .export_fields import Fields as _Fields
from .store.accounts_base import AccountStore


@dataclass(frozen=True, slots=True)
class HereMark:
    """An account that was online in a room when one of its messages said ``@here``."""

    account_id: int
    room: str
    message_id: int


async def export_here(accounts: AccountStore, account_id: int, out: IO[bytes]) -> None:
    """Write the account's ``here_mention`` lines, by room and message."""
    for room, message_id in await accounts.here_of(account_id):
        line = {"type": "here_mention", "account": account_id, "room": room, "id": message_id}
        out.write(orjson.dumps(line) + b"\n")


def _here(fields: _Fields) -> HereMark:
    return HereMark(fields.whole("account", 1, MAX_ID), fields.text("room"), fields.whole("id", 1, MAX_ID))


READERS: dict[str, Callable[[_Fields], HereMark]] = {"here_mention": _here}


def here_problem(
    mark: HereMark, accounts: Container[int], rooms: Sequence[Container[str]], seen: set[HereMark]
) -> str | None:
    """What is wrong with the mark given the accounts and rooms brought before it and the marks ``seen``."""
    if mark.account_id not in accounts:
        return f"a here_mention of account {mark.account_id}, which no line before it brings"
    if not any(mark.room in brought for brought in rooms):
        return f"a here_mention of room {mark.room!r}, which no line before it brings"
    if mark in seen:
        return f"account {mark.account_id}'s here_mention of message {mark.message_id} a second time"
    seen.add(mark)
    return None


async def import_here(accounts: AccountStore, marks: Sequence[HereMark]) -> None:
    """Store the marks, as the file has them."""
    for mark in marks:
        await accounts.record_here(mark.room, mark.message_id, [mark.account_id])
