"""The reminders in an export: ``reminder`` records, last, after the scheduled messages.

``{"type": "reminder", "account", "room", "id", "at", "created_at", "due"}``:
the account asked to be reminded of message ``id`` of the room at ``at``
(ms), still waiting, or due already and not done with (store/reminders_base.py).
Each refers to its account, which the file brings before it (export_check.py
checks it); whether its person may still read the message is asked when it
falls due, and when it is listed, as on the server it came from. An import
gives them new ids; a waiting one whose time passed falls due on the first
server that runs on the database.
"""

from __future__ import annotations

from collections.abc import Callable, Container
from typing import IO

import orjson

from .export_fields import MAX_ID, MAX_TS
from .export_fields import Fields as _Fields
from .store.base import Store
from .store.records import Reminder

REMINDERS_PAGE = 500


def reminder_line(row: Reminder) -> bytes:
    """The line of one reminder."""
    line = {"type": "reminder", "account": row.account_id, "room": row.room, "id": row.message_id}
    return orjson.dumps({**line, "at": row.at, "created_at": row.created_at, "due": row.due}) + b"\n"


async def export_reminders(store: Store, out: IO[bytes]) -> None:
    """Write every account's reminders, in the order they were set."""
    after = 0
    while page := await store.accounts.all_reminders(after_id=after, limit=REMINDERS_PAGE):
        out.write(b"".join(reminder_line(row) for row in page))
        after = page[-1].id


def _reminder(fields: _Fields) -> Reminder:
    return Reminder(
        id=0,
        account_id=fields.whole("account", 1, MAX_ID),
        room=fields.text("room"),
        message_id=fields.whole("id", 1, MAX_ID),
        at=fields.whole("at", 0, MAX_TS),
        created_at=fields.whole("created_at", 0, MAX_TS),
        due=fields.flag("due"),
    )


READERS: dict[str, Callable[[_Fields], Reminder]] = {"reminder": _reminder}


def reminder_problem(row: Reminder, accounts: Container[int]) -> str | None:
    """What is wrong with a reminder given the ``accounts`` brought before it."""
    if row.account_id not in accounts:
        return f"a reminder of account {row.account_id}, which no line before it brings"
    return None
