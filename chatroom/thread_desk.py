"""Followed threads, live: follows stored as replies come, read marks and replies told to every tab.

- A thread reply this process stores: those it mentions follow its thread
  (thread_following.py; its author and the root's follow it with the
  reply), then every node hears of it (a ThreadReplyNotice)
  and tells the thread's followers connected to it a ``thread_reply``
  frame: not its author, not those who blocked the author, not those who
  may no longer read the room (no byte of it reaches them).
- A thread reply deleted: its followers connected anywhere who may read the
  room are told their follow again (a ``thread`` frame), so that their
  pages count the thread's unread replies without it.
- Following, unfollowing and reading a thread (api_threads.py) are stored,
  then told to the person's every connection on every node (a ThreadNotice,
  a ``thread`` frame), as a room's read mark is (unread.py): a thread read
  in one tab reads as read in every other, on every device.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any, Protocol

from . import protocol
from .access import Access
from .backend import Backend, StoredMessage, tell_processes
from .desks import Desk, OpenSessions, logged
from .events import DELETE, StoredChange, ThreadNotice, ThreadReplyNotice
from .identity import Identity
from .notice_connection import Spawn
from .store.records import ThreadFollow
from .store.reply_follows import person_of
from .thread_following import follow_mentioned

log = logging.getLogger("chatroom.threads")


class Follower(Protocol):
    """What the desk needs of one chat connection (handlers.ChatSocketHandler)."""

    @property
    def who(self) -> Identity | None:
        """The account it speaks for; None for a guest."""

    def tell(self, frames: Sequence[dict[str, Any]]) -> None:
        """Send frames beside the room's, once the connection is live."""


class ThreadDesk(Desk[Follower]):
    """Followed threads for the connections of one process."""

    def __init__(self, backend: Backend, access: Access, connections: OpenSessions[Follower]) -> None:
        super().__init__(connections)
        self.backend = backend
        self.access = access
        self._spawn: Spawn | None = None

    def start(self, spawn: Spawn) -> None:
        """Hear of every message this process stores; ``spawn`` runs the work in the background."""
        self._spawn = spawn
        self.backend.watch_stored(self.message_stored)
        self.backend.watch_changed(self.change_stored)

    def message_stored(self, message: StoredMessage) -> None:
        """A thread reply stored here: its followers, then every node, hear of it."""
        if message.thread is not None and self._spawn is not None:
            self._spawn(logged(self._reply_stored(message), log, "cannot tell a thread's followers"))

    async def _reply_stored(self, reply: StoredMessage) -> None:
        assert reply.thread is not None
        mentioned = await follow_mentioned(self.backend, reply)
        author = person_of(reply)
        await self._tell(ThreadReplyNotice(reply.room, reply.thread, reply.id, author, mentioned))

    def change_stored(self, change: StoredChange) -> None:
        """A message deleted here: if it was a thread reply, its followers, then every node, hear of it."""
        if change.kind == DELETE and self._spawn is not None:
            self._spawn(logged(self._deleted(change), log, "cannot tell a thread's followers"))

    async def _deleted(self, change: StoredChange) -> None:
        target = change.target
        found = await self.backend.history(change.room, after=target - 1, before=target + 1, limit=1)
        if found and found[0].id == target and found[0].thread is not None:
            await self._tell(ThreadReplyNotice(change.room, found[0].thread, target, None, deleted=True))

    # --- a person's own follows and reads -----------------------------------------------

    async def follow(self, who: Identity, room: str, root: int, following: bool) -> ThreadNotice:
        """Follow the thread or not (``who`` may read the room); every tab of theirs hears of it."""
        accounts = self.backend.accounts
        await accounts.follow_thread(who.account_id, room, root, following=following)
        row = await accounts.thread_follow(who.account_id, room, root)
        notice = ThreadNotice(who.account_id, room, root, following, 0 if row is None else row.read_id)
        await self._tell(notice)
        return notice

    async def read(self, who: Identity, room: str, root: int, upto: int) -> ThreadNotice | None:
        """Read the followed thread up to ``upto`` (``who`` may read the room); every tab of theirs hears
        of it. None: not a thread they have a row of (nothing stored, nobody told)."""
        before = await self.backend.accounts.thread_follow(who.account_id, room, root)
        row = await self.backend.accounts.read_thread(who.account_id, room, root, upto)
        if row is None or before is None:
            return None
        notice = ThreadNotice(who.account_id, room, root, row.following, row.read_id)
        if row.read_id > before.read_id:
            await self._tell(notice)
        return notice

    # --- notices, from this process or another ------------------------------------------

    def take(self, notice: ThreadNotice | ThreadReplyNotice) -> None:
        """Tell this process's connections what a notice changes for them."""
        if isinstance(notice, ThreadNotice):
            frame = protocol.thread_frame(notice.room, notice.root, notice.following, notice.read_id)
            for connection in self._of_account(notice.account_id):
                connection.tell([frame])
        elif self._spawn is not None and self.connections.any_account():
            self._spawn(logged(self._tell_followers(notice), log, "cannot tell a thread's followers"))

    async def _tell_followers(self, notice: ThreadReplyNotice) -> None:
        """Every follower connected here who may read the room, but the author and their blockers."""
        accounts = self.backend.accounts
        rows = await accounts.thread_followers(notice.room, notice.root)
        here = [row for row in rows if row.following and self._of_account(row.account_id)]
        if not here:
            return
        deaf = (
            set()
            if notice.author_id is None
            else {notice.author_id, *await accounts.blockers_of(notice.author_id)}
        )
        for row in here:
            connections = self._of_account(row.account_id)
            who = connections[0].who if connections else None
            if who is None or row.account_id in deaf or await self.access.readable(who, notice.room) is None:
                continue
            frame = self._frame_for(row, notice)
            for connection in connections:
                connection.tell([frame])

    @staticmethod
    def _frame_for(row: ThreadFollow, notice: ThreadReplyNotice) -> dict[str, Any]:
        """A follower's frame: a new reply, or (deleted) their follow as it is, to count the thread again."""
        if notice.deleted:
            return protocol.thread_frame(notice.room, notice.root, row.following, row.read_id)
        mention = row.account_id in notice.mentioned
        return protocol.thread_reply_frame(notice.room, notice.root, notice.reply_id, mention)

    async def _tell(self, notice: ThreadNotice | ThreadReplyNotice) -> None:
        """Act here at once, then tell the other processes (their tabs miss it if the bus is away)."""
        await tell_processes(self.backend, notice, about="a thread", log=log)
