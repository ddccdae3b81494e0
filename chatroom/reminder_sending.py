"""A reminder falling due: access asked again, then the person's pages told, or their devices pushed.

At its time a reminder is for its person only if they may still read its
message (access.py, as when it was set: not removed, barred, gone from a
direct room, the room not gone, the account active) and the message is
not deleted. If not, it is dropped and their pages are told it was removed
(no byte of the message to anyone). If so, it is marked due (the store
marks a version once: store/reminders_base.py) and every page of theirs,
on every node, is told at once (a ``reminder`` frame); with no page open it
is pushed to their devices (push.py, reason ``reminder``; queued, as
stored messages are, so that one slow push service holds back no other
reminder) unless they pause notifications. It stays due until they are done with it.
"""

from __future__ import annotations

import logging

from .access import Access
from .backend import Backend, StoredMessage, tell_processes
from .events import ReminderNotice
from .identity import Identity
from .person_events import REMINDER_DUE, REMINDER_REMOVED
from .push import Pusher
from .store.records import Account, Reminder

log = logging.getLogger("chatroom.reminders")

# How a person proved themselves for a reminder falling due: nobody asks, the row is theirs.
REMINDED = "reminder"


async def readable_message(
    backend: Backend, access: Access, account: Account | None, room: str, message_id: int
) -> StoredMessage | None:
    """The message as it stands, when the account may read it now and it is not deleted; else None (the
    same for a room it may not read, one that is gone and a message that is not there)."""
    if account is None or not account.active:
        return None
    if await access.readable(Identity(account, REMINDED), room) is None:
        return None
    return await live_message(backend, room, message_id)


async def live_message(backend: Backend, room: str, message_id: int) -> StoredMessage | None:
    """The message of the room as it stands, unless deleted or not there (access is the caller's)."""
    found = await backend.history(room, after=message_id - 1, before=message_id + 1, limit=1)
    return found[0] if found and not found[0].deleted else None


class ReminderSending:
    """Makes one claimed reminder due (or drops it), and tells its person's pages and devices."""

    def __init__(self, backend: Backend, access: Access, pusher: Pusher) -> None:
        self.backend = backend
        self.access = access
        self.pusher = pusher

    async def fall_due(self, row: Reminder) -> StoredMessage | None:
        """Mark it due and tell its person: the message; None when it was dropped, or snoozed or done
        meanwhile. BackendError: try again later."""
        accounts = self.backend.accounts
        account = await accounts.account_by_id(row.account_id)
        message = await readable_message(self.backend, self.access, account, row.room, row.message_id)
        if message is None:
            if await accounts.drop_reminder(row.id, row.version):
                log.info("reminder %d dropped: its message may no longer be read", row.id)
                await self.tell(ReminderNotice(row.account_id, row.id, REMINDER_REMOVED))
            return None
        if not await accounts.mark_reminder_due(row.id, row.version):
            return None
        await self.tell(ReminderNotice(row.account_id, row.id, REMINDER_DUE))
        self.pusher.fell_due(row.account_id, message)
        return message

    async def tell(self, notice: ReminderNotice) -> None:
        """Tell the person's pages on every node; a page not told sees it when it next loads the list."""
        await tell_processes(self.backend, notice, about="a reminder", log=log)
