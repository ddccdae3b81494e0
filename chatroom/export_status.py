"""People's statuses and paused notifications in an export: ``status`` and ``notification_pause`` lines,
among what each account chose (export_reading.py), after the accounts.

- ``status``: ``{"account", "emoji", "text", "until", "set_at"}``, what the
  account says of itself until ``until`` (ms; null: for good);
- ``notification_pause``: ``{"account", "until"}``, a person whose
  notifications are paused until then.

Only those still in force when the export is written are written; an import
stores them as they are (one whose time has passed since is read as absent,
as in the database it came from).
"""

from __future__ import annotations

from collections.abc import Callable, Container
from typing import IO

import orjson

from .changes import clean_emoji
from .clock import now_ms
from .export_fields import MAX_ID, MAX_TS
from .export_fields import Fields as _Fields
from .protocol import ProtocolError
from .store.accounts_base import AccountStore
from .store.status_base import Pause, Status

StatusRecord = Status | Pause


async def export_status(accounts: AccountStore, account_id: int, out: IO[bytes]) -> None:
    """Write the account's status and pause, each when it has one now."""
    now = now_ms()
    status = (await accounts.statuses_of([account_id], now)).get(account_id)
    if status is not None:
        line = {"type": "status", "account": account_id, "emoji": status.emoji, "text": status.text}
        out.write(orjson.dumps({**line, "until": status.until, "set_at": status.set_at}) + b"\n")
    until = (await accounts.pauses_of([account_id], now)).get(account_id)
    if until is not None:
        out.write(orjson.dumps({"type": "notification_pause", "account": account_id, "until": until}) + b"\n")


def _status(fields: _Fields) -> Status:
    emoji = fields.text("emoji")
    try:
        clean_emoji(emoji)
    except ProtocolError as error:
        raise fields.fail(f"'emoji' {emoji!r}: {error.message}") from None
    return Status(
        account_id=fields.whole("account", 1, MAX_ID),
        emoji=emoji,
        text=fields.any_text("text"),
        until=fields.time("until"),
        set_at=fields.whole("set_at", 0, MAX_TS),
    )


def _pause(fields: _Fields) -> Pause:
    return Pause(fields.whole("account", 1, MAX_ID), fields.whole("until", 0, MAX_TS))


READERS: dict[str, Callable[[_Fields], StatusRecord]] = {"status": _status, "notification_pause": _pause}


def status_problem(record: StatusRecord, accounts: Container[int], seen: set[tuple[str, int]]) -> str | None:
    """What is wrong with the record given the ``accounts`` brought before it and those ``seen``."""
    kind = "status" if isinstance(record, Status) else "notification pause"
    if record.account_id not in accounts:
        return f"a {kind} of account {record.account_id}, which no line before it brings"
    if (kind, record.account_id) in seen:
        return f"account {record.account_id}'s {kind} a second time"
    seen.add((kind, record.account_id))
    return None


async def import_status(accounts: AccountStore, record: StatusRecord) -> None:
    """Store one status or pause, as the file has it."""
    if isinstance(record, Status):
        await accounts.set_status(record)
    else:
        await accounts.pause_notifications(record)
