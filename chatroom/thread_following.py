"""Who follows a thread, by what they did: the rule a stored reply applies (docs/protocol.md, "Threads").

A person follows a thread once they reply in it (their read position moves
to their reply), once they are mentioned in a reply (if they may read the
room), and, as the root's author, once it has its first reply, unless they
unfollowed it already. "Follow" and "Unfollow" (api_threads.py) change it
at will; a reply or a mention later follows it again, as Slack does.
Guests and bots follow nothing. The store writes the author's and the
root's author's follows in the reply's own transaction
(store/reply_follows.py); the mentioned follow just after, by the process
that stored it.
"""

from __future__ import annotations

from .backend import Backend, StoredMessage
from .push_rules import mentioned_readers
from .store.records import OPEN, PERSON, RoomRecord
from .store.reply_follows import person_of


async def follow_mentioned(backend: Backend, reply: StoredMessage) -> tuple[int, ...]:
    """Store that those the reply mentions who may read the room follow its thread: their ids, its
    author left out. (Its author and the root's follow it already: the store wrote theirs with it.)"""
    root = reply.thread
    assert root is not None
    author = person_of(reply)
    accounts = backend.accounts
    record = await accounts.room_record(reply.room) or RoomRecord(reply.room, OPEN)
    mentioned = [a.id for a in await mentioned_readers(accounts, reply.text, record) if a.kind == PERSON]
    followers = tuple(account_id for account_id in mentioned if account_id != author)
    for account_id in followers:
        await accounts.follow_thread(account_id, reply.room, root)
    return followers


async def followers_of(backend: Backend, reply: StoredMessage) -> list[int]:
    """Who follows the reply's thread, its author left out (the root's author among them: their row is
    written with the first reply)."""
    if reply.thread is None:
        return []
    rows = await backend.accounts.thread_followers(reply.room, reply.thread)
    author = person_of(reply)
    return [row.account_id for row in rows if row.following and row.account_id != author]
