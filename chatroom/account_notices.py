"""What a process does with notices of changes to accounts, told by whichever node made them.

NoticeDesk (notices.py) hands them here first:

- an account deactivated, signed out everywhere (by its person or by an
  administrator), or one of its sessions signed out (there, or from another
  device): its connections, or that session's, are closed with
  ``unauthorized`` and 4401;
- an account's password changed, its other sessions ended: their
  connections are closed likewise, and those of the browser where it was
  changed (which holds a new session) with 1012, to come back with it;
- an account renamed: its connections are told their new name and closed
  with 1012, and the page reconnects under it;
- an account made an administrator or no longer one: every account's
  connection gets an ``admin`` frame, and the account's own are closed with
  1012, to come back with their new rights;
- an account's picture, status or paused notifications: every account's
  connection (not a guest's: guests may not look accounts up) gets an
  ``avatar``, ``status`` or ``dnd`` frame: open pages show it;
- a person blocked or unblocked someone: the blocker's connections get a
  ``block`` frame (a second tab hides the blocked one's messages at once),
  and the blocked one's connections to the direct room of the two of them
  refuse their messages (or take them again) from then on;
- a person saved a message or unsaved it: their connections get a
  ``saved`` frame (room and id, no byte of the message), so that their
  other tabs mark it and list it;
- a person starred a room or unstarred it: their connections get a
  ``starred`` frame, so that every tab lists the room where they put it;
- a person's scheduled messages changed (written, edited, deleted, sent
  or not sent): their connections get a ``scheduled`` frame (the room, no
  byte of the text), so that every tab shows the list as it is;
- a person's reminder was set, snoozed, fell due or was removed: their
  connections get a ``reminder`` frame (its id and state, no byte of the
  message), so that every tab lists it and shows a due one at once.
"""

from __future__ import annotations

import logging
from typing import Any

from . import protocol
from .backend import Backend
from .desks import Desk, logged
from .events import (
    ACCOUNT_CHANGES,
    DEACTIVATED,
    ONE_SESSION_CHANGES,
    PASSWORD_CHANGED,
    RENAMED,
    SIGNED_OUT,
    SIGNED_OUT_BY_ADMIN,
    SIGNED_OUT_ELSEWHERE,
    SIGNED_OUT_EVERYWHERE,
    AccountNotice,
    AdminNotice,
    AvatarNotice,
    BlockNotice,
    Notice,
    PauseNotice,
    ReminderNotice,
    SavedNotice,
    ScheduledNotice,
    StarNotice,
    StatusNotice,
)
from .identity import Identity
from .notice_connection import Connection, Spawn

log = logging.getLogger("chatroom.notices")


class AccountNotices(Desk[Connection]):
    """Acts on notices of changes to accounts, for the connections of one process."""

    backend: Backend
    _spawn: Spawn | None

    def take_account_notice(self, notice: Notice) -> bool:
        """Act on ``notice`` if it tells of an account; whether it did."""
        if isinstance(notice, AccountNotice):
            self._account_changed(notice)
        elif isinstance(notice, AvatarNotice):
            self._tell_accounts(protocol.avatar_frame(notice.name, notice.avatar))
        elif isinstance(notice, StatusNotice):
            self._tell_accounts(protocol.status_frame(notice.name, _status_of(notice)))
        elif isinstance(notice, PauseNotice):
            self._tell_accounts(protocol.dnd_frame(notice.name, notice.until))
        elif isinstance(notice, AdminNotice):
            self._admin_changed(notice)
        elif isinstance(notice, BlockNotice):
            self._blocked(notice)
        elif isinstance(notice, SavedNotice):
            self._tell_own(
                notice.account_id, protocol.saved_frame(notice.room, notice.message_id, notice.saved_at)
            )
        elif isinstance(notice, StarNotice):
            self._tell_own(notice.account_id, protocol.starred_frame(notice.room, notice.starred))
        elif isinstance(notice, ScheduledNotice):
            self._tell_own(notice.account_id, protocol.scheduled_frame(notice.room))
        elif isinstance(notice, ReminderNotice):
            self._tell_own(notice.account_id, protocol.reminder_frame(notice.reminder_id, notice.state))
        else:
            return False
        return True

    def _account_changed(self, notice: AccountNotice) -> None:
        if notice.change not in ACCOUNT_CHANGES:
            log.warning("an account notice of an unknown kind: %r", notice.change)
            return
        for connection in self._of_account(notice.account_id):
            who = connection.who
            assert who is not None
            if notice.change == RENAMED:
                self._spawn_rename(connection, notice.account_id)
            elif notice.change == PASSWORD_CHANGED and _same_session(who, notice):
                connection.renew()
            elif notice.change not in ONE_SESSION_CHANGES or _same_session(who, notice):
                connection.expel(protocol.UNAUTHORIZED, _SIGNED_OUT_MESSAGES[notice.change])

    def _spawn_rename(self, connection: Connection, account_id: int) -> None:
        async def rename() -> None:
            account = await self.backend.accounts.account_by_id(account_id)
            if account is not None:
                connection.rename(account.name)

        if self._spawn is not None:
            self._spawn(logged(rename(), log, "cannot act on a notice"))

    def _tell_own(self, account_id: int, frame: dict[str, Any]) -> None:
        """Tell the account's own connections."""
        for connection in self._of_account(account_id):
            connection.tell([frame])

    def _tell_accounts(self, frame: dict[str, Any]) -> None:
        """Tell every connection that speaks for an account (who may look accounts up); no guest's."""
        for connection in self._connections():
            if connection.who is not None:
                connection.tell([frame])

    def _admin_changed(self, notice: AdminNotice) -> None:
        """Everyone's mark of the name follows; the account's own connections come back with their new
        rights (an administrator's deletes anyone's message), as after a new session."""
        self._tell_accounts(protocol.admin_frame(notice.name, notice.admin))
        for connection in self._of_account(notice.account_id):
            connection.renew()

    def _blocked(self, notice: BlockNotice) -> None:
        """The blocked one's connections to the direct room of the two of them refuse its messages before
        the blocker's pages are told, and without reading the store: no message slips in between."""
        blocker = notice.by if notice.blocked else None
        for connection in self._of_account(notice.blocked_id):
            if connection.direct_others == {notice.account_id}:
                connection.set_blocked(blocker)
        frame = protocol.block_frame(notice.name, notice.blocked)
        for connection in self._of_account(notice.account_id):
            connection.tell([frame])


_SIGNED_OUT_MESSAGES = {
    DEACTIVATED: "your account has been deactivated",
    SIGNED_OUT: "you signed out",
    SIGNED_OUT_EVERYWHERE: "you signed out everywhere: sign in again",
    SIGNED_OUT_ELSEWHERE: "this device was signed out from another one: sign in again",
    SIGNED_OUT_BY_ADMIN: "an administrator signed you out everywhere: sign in again",
    PASSWORD_CHANGED: "your password was changed: sign in again",
}


def _status_of(notice: StatusNotice) -> dict[str, Any] | None:
    """The status a notice tells of, as frames give it; None: cleared."""
    if notice.emoji is None:
        return None
    return protocol.status_part(notice.emoji, notice.text, notice.until)


def _same_session(who: Identity, notice: AccountNotice) -> bool:
    """Whether the connection was opened by the session the notice names (none: no connection's)."""
    return notice.session_hash is not None and who.session_hash == notice.session_hash
