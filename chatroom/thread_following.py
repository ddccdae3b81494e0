"""Who follows a thread, by what they did: the rule a stored reply applies (docs/protocol.md, "Threads").

A person follows a thread once they reply in it (their read position moves
to their reply), once they are mentioned in a reply (if they may read the
room), and, as the root's author, once it has its first reply, unless they
unfollowed it already. "Follow" and "Unfollow" (api_threads.py) change it
at will; a reply or a mention later follows it again, as Slack does.
Guests and bots follow nothing.
"""

from __future__ import annotations

from .backend import Backend, StoredMessage
from .push_rules import mentioned_readers
from .store.records import OPEN, PERSON, RoomRecord


async def root_of(backend: Backend, reply: StoredMessage) -> StoredMessage | None:
    """The root of the thread the reply is in, as it stands (None: not a reply, or no such message)."""
    if reply.thread is None:
        return None
    found = await backend.history(reply.room, after=reply.thread - 1, before=reply.thread + 1, limit=1)
    return found[0] if found else None


async def follow_for_reply(backend: Backend, reply: StoredMessage) -> tuple[int, ...]:
    """Store who follows the reply's thread now: its author, the root's, those it mentions; the ids of
    those it mentions who may read the room."""
    accounts = backend.accounts
    root = reply.thread
    assert root is not None
    author = _person_of(reply)
    if author is not None:
        await accounts.follow_thread(author, reply.room, root, read_id=reply.id)
    started = await root_of(backend, reply)
    starter = None if started is None else _person_of(started)
    if starter is not None and starter != author:
        await accounts.follow_thread(starter, reply.room, root, again=False)
    record = await accounts.room_record(reply.room) or RoomRecord(reply.room, OPEN)
    mentioned = [a.id for a in await mentioned_readers(accounts, reply.text, record) if a.kind == PERSON]
    for account_id in mentioned:
        if account_id != author:
            await accounts.follow_thread(account_id, reply.room, root)
    return tuple(account_id for account_id in mentioned if account_id != author)


async def followers_of(backend: Backend, reply: StoredMessage) -> list[int]:
    """Who follows the reply's thread, its author left out: those whose row says so, and the root's
    author while they have none (their row may not be written yet when the first reply is pushed)."""
    if reply.thread is None:
        return []
    rows = await backend.accounts.thread_followers(reply.room, reply.thread)
    following = [row.account_id for row in rows if row.following]
    started = await root_of(backend, reply)
    starter = None if started is None else _person_of(started)
    if starter is not None and all(row.account_id != starter for row in rows):
        following.append(starter)
    author = _person_of(reply)
    return [account_id for account_id in following if account_id != author]


def _person_of(message: StoredMessage) -> int | None:
    """The account of a message's author when a person wrote it (not a guest, not a bot)."""
    return None if message.bot or message.guest else message.account_id
