"""Sending a scheduled message: access asked again, then the message stored as any message is.

A scheduled message is stored as its author's message, under the author's
name as it is now, through Backend.publish like any other (the bus delivers
it on every node; unread counts, mentions and Web Push follow). Before
that, access.py is asked again, as when it was scheduled: an author who may
no longer write in the room (removed, barred, the room archived, read-only
or gone, blocked in a direct room, the account deactivated) does not send
it; its row stays, marked with why (``failure``), until the person deletes
or reschedules it. The store deletes the row in the message's own
transaction, so a message is stored once however many senders try
(store/scheduled_base.py). Every outcome tells the author's pages.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from . import metrics, protocol
from .access import Access, posting_refusal, room_mention_refusal
from .backend import Backend, StoredMessage, tell_processes
from .events import ScheduledNotice
from .identity import Identity
from .mentions import mentions_many
from .store.change_rules import GONE, ChangeRefusedError
from .store.records import DIRECT, Account, ScheduledClaim, ScheduledMessage

log = logging.getLogger("chatroom.scheduled")

# How an author proved themselves for a message sent at its time: nobody asks, the row is theirs.
SCHEDULED = "scheduled"


@dataclass(frozen=True, slots=True)
class WriteRefusal:
    """Why someone may not write in a room now: the HTTP status, the error code, human text."""

    status: int
    code: str
    message: str


async def write_refusal(access: Access, account: Account | None, room: str, text: str) -> WriteRefusal | None:
    """Why the account may not put ``text`` in the room now (None: it may), as a message is refused:
    404 for a room it may not see (removed, barred, gone), 403 where it reads but may not post, or may
    not mention the whole room as the text does."""
    if account is None or not account.active:
        return WriteRefusal(403, protocol.ACCOUNT_DEACTIVATED, "the account is deactivated")
    who = Identity(account, SCHEDULED)
    readable = await access.readable(who, room)
    if readable is None:
        return WriteRefusal(404, protocol.NOT_FOUND, "there is no such room, or you may not see it")
    may_post, _, may_mention_room = access.voice_in(who, readable)
    if not may_post:
        return WriteRefusal(403, protocol.READ_ONLY, posting_refusal(readable.room))
    if mentions_many(text) and not may_mention_room:
        return WriteRefusal(403, protocol.ROOM_MENTION_FORBIDDEN, room_mention_refusal(readable.room))
    # Only the other person of a direct room refuses a blocked person's words (docs/security.md, "Blocking").
    blocker = await access.blocker_in(who, room) if readable.room.kind == DIRECT else None
    if blocker is not None:
        return WriteRefusal(403, protocol.BLOCKED, f"{blocker} does not take messages from you")
    return None


class ScheduledSending:
    """Sends one scheduled message (access asked again), marks one not sent, tells the author's pages."""

    def __init__(self, backend: Backend, access: Access) -> None:
        self.backend = backend
        self.access = access

    async def send(self, row: ScheduledMessage) -> StoredMessage | WriteRefusal | None:
        """Store it as its author's message: the message; the refusal when it may not be sent (its row
        is marked); None when it was sent, edited or deleted meanwhile. BackendError: try again later."""
        account = await self.backend.accounts.account_by_id(row.account_id)
        refusal = await write_refusal(self.access, account, row.room, row.text)
        if refusal is not None:
            await self.not_sent(row, refusal)
            return refusal
        assert account is not None
        try:
            stored = await self.backend.publish(
                row.room, account.name, row.text, account_id=account.id, reply_to=row.reply_to,
                thread=row.thread, broadcast=row.broadcast, scheduled=ScheduledClaim(row.id, row.version),
            )  # fmt: skip
        except ChangeRefusedError as refused:
            if refused.code == GONE:
                return None
            # What it replied to was deleted meanwhile, say.
            refusal = WriteRefusal(409, refused.code, refused.message)
            await self.not_sent(row, refusal)
            return refusal
        metrics.MESSAGES_STORED.inc()
        await self.tell(row)
        return stored

    async def not_sent(self, row: ScheduledMessage, refusal: WriteRefusal) -> None:
        """Keep why it was not sent (an edit since makes it another message: nothing kept)."""
        if await self.backend.accounts.mark_not_sent(row.id, row.version, refusal.code):
            log.info("scheduled message %d not sent: %s", row.id, refusal.code)
            await self.tell(row)

    async def tell(self, row: ScheduledMessage) -> None:
        """Tell the author's pages on every node that their list changed; a page not told sees it when it
        next loads the list."""
        notice = ScheduledNotice(row.account_id, row.room)
        await tell_processes(self.backend, notice, about="a scheduled message", log=log)
