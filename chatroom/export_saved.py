"""The saved messages in an export: ``saved`` records, after the moderation history.

``{"type": "saved", "account", "room", "id", "saved_at"}``: the account saved
message ``id`` of the room (store/saved_base.py) at ``saved_at``. Each refers
to its account and its room's record, which the file brings before it
(export_check.py checks it). An import keeps the times.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import IO

import orjson

from .export_fields import MAX_ID, MAX_TS
from .export_fields import Fields as _Fields
from .store.base import Store
from .store.records import SavedMessage

ACCOUNTS_PAGE = 500
SAVED_PAGE = 500


def saved_line(saved: SavedMessage) -> bytes:
    """The line of one saved message."""
    line = {"type": "saved", "account": saved.account_id, "room": saved.room, "id": saved.message_id}
    return orjson.dumps({**line, "saved_at": saved.saved_at}) + b"\n"


async def export_saved(store: Store, out: IO[bytes]) -> None:
    """Write every account's saved messages, account by account, newest saved first."""
    accounts, after = store.accounts, 0
    while page := await accounts.list_accounts(after_id=after, limit=ACCOUNTS_PAGE):
        for account in page:
            before = None
            while saved := await accounts.saved_messages(account.id, before=before, limit=SAVED_PAGE):
                out.write(b"".join(saved_line(row) for row in saved))
                before = saved[-1].saved_at
        after = page[-1].id


def _saved(fields: _Fields) -> SavedMessage:
    return SavedMessage(
        account_id=fields.whole("account", 1, MAX_ID),
        room=fields.text("room"),
        message_id=fields.whole("id", 1, MAX_ID),
        saved_at=fields.whole("saved_at", 0, MAX_TS),
    )


READERS: dict[str, Callable[[_Fields], SavedMessage]] = {"saved": _saved}


def saved_problem(
    saved: SavedMessage, rooms: set[str], accounts: set[int], seen: set[tuple[int, str, int]]
) -> str | None:
    """What is wrong with a saved message given the ``rooms`` and ``accounts`` brought before it and the
    saved messages ``seen`` (noting it when nothing is)."""
    if saved.account_id not in accounts:
        return f"a saved message of account {saved.account_id}, which no line before it brings"
    if saved.room not in rooms:
        return f"a saved message of room {saved.room!r}, which no line before it brings"
    key = (saved.account_id, saved.room, saved.message_id)
    if key in seen:
        return f"message {saved.message_id} of room {saved.room!r} saved by account {saved.account_id} twice"
    seen.add(key)
    return None
