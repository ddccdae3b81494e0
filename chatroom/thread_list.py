"""The list of the threads a person follows, as ``GET /api/me/threads`` answers it.

Each followed thread of a room the person may read (access.py; the others
are left out with no byte of them, and show again if access comes back):
its room, its root as it stands, the person's read position, how many
replies they have not read (not their own, not a blocked person's, not
deleted; counted up to MAX_UNREAD, then "more"), whether one of those
mentions them, and the latest replies' authors. Threads with unread
replies come first, then the others, each by its latest reply, newest
first.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from . import changes
from .access import Access
from .backend import Backend, StoredMessage
from .identity import Identity
from .mentions import mentions_reader
from .store.records import ThreadFollow

# Unread replies counted in one thread: a list's badge says "100+" past it.
MAX_UNREAD = 100
# The latest replies whose authors an entry names.
LATEST_AUTHORS = 3


@dataclass(frozen=True, slots=True)
class Unread:
    """A followed thread's unread replies, as the person sees them."""

    count: int
    mention: bool


async def readable_follows(backend: Backend, access: Access, who: Identity) -> list[ThreadFollow]:
    """The threads ``who`` follows in rooms they may read, in no particular order."""
    follows = await backend.accounts.followed_threads(who.account_id)
    readable: dict[str, bool] = {}
    for room in {follow.room for follow in follows}:
        readable[room] = await access.readable(who, room) is not None
    return [follow for follow in follows if readable[follow.room]]


async def unread_in(backend: Backend, who: Identity, follow: ThreadFollow, blocked: set[int]) -> Unread:
    """The thread's replies after the person's read position that count for them."""
    if follow.last_reply_id is None or follow.last_reply_id <= follow.read_id:
        return Unread(0, False)
    after = max(follow.read_id, follow.root_id)
    replies = await backend.thread(follow.room, follow.root_id, after=after, limit=MAX_UNREAD, newest=False)
    counted = [reply for reply in replies if _counts(reply, who, blocked)]
    # A group of theirs mentioned is a mention of them (mentions.py), as in the room's own counts.
    groups = await backend.accounts.groups_of(who.account_id) if any("@" in r.text for r in counted) else []
    mention = any(mentions_reader(reply.text, who.name, whole_room=False, groups=groups) for reply in counted)
    return Unread(len(counted), mention)


def _counts(reply: StoredMessage, who: Identity, blocked: set[int]) -> bool:
    return (
        reply.thread is not None and not reply.deleted and reply.account_id not in {who.account_id, *blocked}
    )


async def entry(
    backend: Backend, follow: ThreadFollow, unread: Unread, blocked: set[int]
) -> dict[str, Any] | None:
    """A thread's entry of the list; None when its root is gone from the store."""
    room, root = follow.room, follow.root_id
    found = await backend.history(room, after=root - 1, before=root + 1, limit=1)
    if not found:
        return None
    latest = await backend.thread(room, root, after=root, limit=LATEST_AUTHORS * 4)
    authors: list[str] = []
    for reply in reversed(latest):
        if not reply.deleted and reply.account_id not in blocked and reply.nick not in authors:
            authors.append(reply.nick)
    return {
        "room": room,
        "root": root,
        "message": changes.message_frame(found[0]),
        "read_id": follow.read_id,
        "last_id": follow.last_reply_id,
        "last_at": follow.last_reply_at,
        "unread": unread.count,
        "more": unread.count >= MAX_UNREAD,
        "mention": unread.mention,
        "authors": authors[:LATEST_AUTHORS],
    }


def in_order(follows: list[ThreadFollow], unread: dict[tuple[str, int], Unread]) -> list[ThreadFollow]:
    """Threads with unread replies first, then the others, each by latest reply, newest first."""

    def key(follow: ThreadFollow) -> tuple[bool, int, str, int]:
        has_unread = unread[(follow.room, follow.root_id)].count > 0
        return (not has_unread, -(follow.last_reply_at or 0), follow.room, follow.root_id)

    return sorted(follows, key=key)
