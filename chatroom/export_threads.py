"""The followed threads in an export: ``thread_follow`` records, after the saved messages.

``{"type": "thread_follow", "account", "room", "root", "following", "read_id"}``:
the account follows the thread of message ``root`` of the room or no longer
does (``following``), and has read it up to ``read_id``
(store/thread_follows_base.py). Each refers to its account and its room's
record, which the file brings before it (export_check.py checks it).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import IO

import orjson

from .export_fields import MAX_ID
from .export_fields import Fields as _Fields
from .store.base import Store
from .store.records import ThreadFollow

ACCOUNTS_PAGE = 500


def thread_follow_line(follow: ThreadFollow) -> bytes:
    """The line of one person's place in one thread."""
    line = {
        "type": "thread_follow",
        "account": follow.account_id,
        "room": follow.room,
        "root": follow.root_id,
    }
    return orjson.dumps({**line, "following": follow.following, "read_id": follow.read_id}) + b"\n"


async def export_thread_follows(store: Store, out: IO[bytes]) -> None:
    """Write every account's followed (and unfollowed) threads, account by account."""
    accounts, after = store.accounts, 0
    while page := await accounts.list_accounts(after_id=after, limit=ACCOUNTS_PAGE):
        for account in page:
            follows = await accounts.thread_follows_of(account.id)
            out.write(b"".join(thread_follow_line(follow) for follow in follows))
        after = page[-1].id


def _thread_follow(fields: _Fields) -> ThreadFollow:
    return ThreadFollow(
        account_id=fields.whole("account", 1, MAX_ID),
        room=fields.text("room"),
        root_id=fields.whole("root", 1, MAX_ID),
        following=fields.flag("following"),
        read_id=fields.whole("read_id", 0, MAX_ID),
    )


READERS: dict[str, Callable[[_Fields], ThreadFollow]] = {"thread_follow": _thread_follow}


def thread_follow_problem(
    follow: ThreadFollow, rooms: set[str], accounts: set[int], seen: set[tuple[int, str, int]]
) -> str | None:
    """What is wrong with a followed thread given the ``rooms`` and ``accounts`` brought before it and
    the threads ``seen`` (noting it when nothing is)."""
    if follow.account_id not in accounts:
        return f"a followed thread of account {follow.account_id}, which no line before it brings"
    if follow.room not in rooms:
        return f"a followed thread of room {follow.room!r}, which no line before it brings"
    key = (follow.account_id, follow.room, follow.root_id)
    if key in seen:
        thread = f"the thread of message {follow.root_id} of room {follow.room!r}"
        return f"{thread} followed by account {follow.account_id} twice"
    seen.add(key)
    return None
