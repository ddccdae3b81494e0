"""The scheduled messages in an export: ``scheduled`` records, after the custom emoji, before the reminders.

``{"type": "scheduled", "account", "room", "message", "at", "created_at",
"reply_to", "thread", "broadcast", "not_sent"}``: a message the account
wrote to be sent to the room at ``at`` (ms), still waiting, or not sent for
the reason ``not_sent`` (store/scheduled_base.py). Each refers to its
account, which the file brings before it (export_check.py checks it); its
room may be gone (one not sent stays until its person deletes it). An import
gives them new ids; one whose time passed is sent by the first server that
runs on the database.
"""

from __future__ import annotations

from collections.abc import Callable, Container
from typing import IO

import orjson

from .export_fields import MAX_ID, MAX_TS
from .export_fields import Fields as _Fields
from .store.base import Store
from .store.records import ScheduledMessage

SCHEDULED_PAGE = 500


def scheduled_line(row: ScheduledMessage) -> bytes:
    """The line of one scheduled message."""
    line = {"type": "scheduled", "account": row.account_id, "room": row.room, "message": row.text}
    line |= {"at": row.at, "created_at": row.created_at, "reply_to": row.reply_to, "thread": row.thread}
    return orjson.dumps({**line, "broadcast": row.broadcast, "not_sent": row.failure}) + b"\n"


async def export_scheduled(store: Store, out: IO[bytes]) -> None:
    """Write every account's scheduled messages, in the order they were written."""
    after = 0
    while page := await store.accounts.all_scheduled(after_id=after, limit=SCHEDULED_PAGE):
        out.write(b"".join(scheduled_line(row) for row in page))
        after = page[-1].id


def _scheduled(fields: _Fields) -> ScheduledMessage:
    return ScheduledMessage(
        id=0,
        account_id=fields.whole("account", 1, MAX_ID),
        room=fields.text("room"),
        text=fields.text("message"),
        at=fields.whole("at", 0, MAX_TS),
        created_at=fields.whole("created_at", 0, MAX_TS),
        reply_to=fields.optional_id("reply_to"),
        thread=fields.optional_id("thread"),
        broadcast=fields.flag("broadcast"),
        failure=fields.optional_text("not_sent"),
    )


READERS: dict[str, Callable[[_Fields], ScheduledMessage]] = {"scheduled": _scheduled}


def scheduled_problem(row: ScheduledMessage, accounts: Container[int]) -> str | None:
    """What is wrong with a scheduled message given the ``accounts`` brought before it."""
    if row.account_id not in accounts:
        return f"a scheduled message of account {row.account_id}, which no line before it brings"
    return None
