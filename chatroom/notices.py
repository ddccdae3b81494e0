"""What a process does with notices: changes to rooms and accounts, told by whichever node made them.

The API stores a change, then calls ``backend.notify``: every process (the
one that made it at once, the others over the bus) hands the notice to its
NoticeDesk, which acts on this process's connections:

- an account deactivated, signed out everywhere, or one of its sessions
  signed out: its connections are closed with ``unauthorized`` and 4401;
- an account's password changed, its other sessions ended: their
  connections are closed likewise, and those of the browser where it was
  changed (which holds a new session) with 1012, to come back with it;
- members taken out of a room: their connections to it are closed with
  ``forbidden`` and 4403, and every connection of theirs is told the room
  is gone from their list;
- a room created, renamed, archived, given new members, a new rule of who
  posts or a new topic (its frame names who set it): every connection of
  an account that may see it gets the room's new entry (a ``room`` frame),
  so room lists are live; an archived room turns read-only for the members
  in it, and back, and so does one where only its managers post, for the
  others (who still react);
- an account renamed: its connections are told their new name and closed
  with 1012, and the page reconnects under it;
- an account's picture set or removed: every account's connection (not a
  guest's: guests may not look accounts up) gets its new file id, as ``GET
  /api/accounts`` gives it, in an ``avatar`` frame: open pages show it;
- a person blocked or unblocked someone: the blocker's connections get a
  ``block`` frame (a second tab hides the blocked one's messages at once),
  and the blocked one's connections to the direct room of the two of them
  refuse their messages (or take them again) from then on;
- a person's status set or cleared, or their notifications paused or
  resumed: every account's connection (not a guest's: guests see no
  statuses) gets a ``status`` or ``dnd`` frame: open pages show it, and the
  person's own stop sounding while paused;
- a person saved a message or unsaved it: their connections get a
  ``saved`` frame (room and id, no byte of the message), so that their
  other tabs mark it and list it;
- a guest removed from a room: its connection there is closed with
  ``forbidden`` and 4403, its address barred from guest access in the
  store (moderation.py) by the node that knows it, and every guest
  connection from that address closed, on every node (guest_removal.py);
- guest access turned on or off by an administrator: the process's
  GuestAccess takes the new setting, and, turned off (without --guests),
  every guest's connection is closed with ``unauthorized`` and 4401.

A notice published while the bus was away is lost to the other processes:
when the bus comes back, ``recheck`` asks the store again, for every
connection, whether it may still be open and what it may post, and reads
the guest setting again. A lost picture or room entry is not asked again:
pages show it when they next load.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Protocol

from . import protocol
from .access import Access, member_names
from .backend import Backend, BackendError
from .desks import Desk, OpenSessions, logged
from .events import (
    ACCOUNT_CHANGES,
    DEACTIVATED,
    PASSWORD_CHANGED,
    RENAMED,
    ROOM_BARRED,
    ROOM_MEMBERS,
    SIGNED_OUT,
    SIGNED_OUT_EVERYWHERE,
    VOICE_CHANGES,
    AccountNotice,
    ActivityNotice,
    AdminNotice,
    AvatarNotice,
    BlockNotice,
    GuestNotice,
    Notice,
    PauseNotice,
    PresenceNotice,
    RoomNotice,
    SavedNotice,
    SettingsNotice,
    StatusNotice,
    UnreadNotice,
)
from .guest_removal import remove_guests
from .identity import Identity
from .peers import PeerDesk
from .store.base import StoreError
from .store.records import DIRECT, OPEN, RoomRecord
from .unread import UnreadDesk

log = logging.getLogger("chatroom.notices")

# Runs a coroutine in the background, keeping hold of it (hub.Hub.spawn).
Spawn = Callable[[Awaitable[Any]], None]


class Connection(Protocol):
    """What the desk needs of one chat connection (handlers.ChatSocketHandler)."""

    @property
    def room(self) -> str:
        """The room it is in (or joining)."""

    @property
    def who(self) -> Identity | None:
        """The account it speaks for; None for a guest."""

    def expel(self, code: str, message: str) -> None:
        """Send an error frame with ``code`` and close with that code's close code."""

    def tell(self, frames: Sequence[dict[str, Any]]) -> None:
        """Send frames that are not the room's (live room list), once the connection is in the room."""

    def set_voice(self, may_post: bool, may_react: bool) -> None:
        """Whether messages, and reactions, are taken (else refused with read_only) from now on."""

    def set_blocked(self, by: str | None) -> None:
        """Who blocked the account in this direct room (messages refused with ``blocked``); None: nobody."""

    @property
    def direct_others(self) -> frozenset[int]:
        """In a direct room, the other members' accounts when it joined; none elsewhere."""

    def rename(self, name: str) -> None:
        """Tell the connection its account's new name, and close it so that it comes back under it."""

    def renew(self) -> None:
        """Close it so that it comes back with its browser's new session."""

    @property
    def nick_key(self) -> str:
        """Its nick as nicks are compared."""

    @property
    def address(self) -> str:
        """The address it connects from."""

    @property
    def admission_began(self) -> int | None:
        """When (time.monotonic_ns) its admission began reading the store; None before that."""


class NoticeDesk(Desk[Connection]):
    """Acts on notices for the connections of one process."""

    def __init__(
        self,
        backend: Backend,
        access: Access,
        connections: OpenSessions[Connection],
        unread: UnreadDesk | None = None,
        peers: PeerDesk | None = None,
    ) -> None:
        super().__init__(connections)
        self.backend = backend
        # Unread counts' notices go to it (unread.py), accounts coming and going to peers (peers.py).
        self.unread = unread
        self.peers = peers
        self.access = access
        self._spawn: Spawn | None = None

    def start(self, spawn: Spawn) -> None:
        """Listen to the backend's notices; ``spawn`` runs the work they take in the background."""
        self._spawn = spawn
        self.backend.listen_notices(self)

    def take(self, notice: Notice) -> None:
        """Act on a notice, from this process or another."""
        if isinstance(notice, AccountNotice):
            self._account_changed(notice)
        elif isinstance(notice, GuestNotice):
            if self._spawn is not None:
                remove_guests(notice, self._connections(), self.backend, self._spawn)
        elif isinstance(notice, SettingsNotice):
            self.access.guest_access.take(notice.guests)
            self._close_guests_if_shut_out()
        elif isinstance(notice, UnreadNotice | ActivityNotice):
            if self.unread is not None:
                self.unread.take(notice)
        elif isinstance(notice, PresenceNotice):
            if self.peers is not None:
                self.peers.take(notice)
        elif isinstance(notice, AvatarNotice):
            self._tell_accounts(protocol.avatar_frame(notice.name, notice.avatar))
        elif isinstance(notice, BlockNotice):
            self._blocked(notice)
        elif isinstance(notice, AdminNotice):
            self._admin_changed(notice)
        elif isinstance(notice, StatusNotice):
            shown = (
                None
                if notice.emoji is None
                else protocol.status_part(notice.emoji, notice.text, notice.until)
            )
            self._tell_accounts(protocol.status_frame(notice.name, shown))
        elif isinstance(notice, PauseNotice):
            self._tell_accounts(protocol.dnd_frame(notice.name, notice.until))
        elif isinstance(notice, SavedNotice):
            frame = protocol.saved_frame(notice.room, notice.message_id, notice.saved_at)
            for connection in self._of_account(notice.account_id):
                connection.tell([frame])
        elif self._spawn is not None:
            self._spawn(self._room_changed(notice, time.monotonic_ns()))

    def recheck(self) -> None:
        """Ask the store again, for every account's connection, whether it may stay (notices were lost)."""
        if self._spawn is not None:
            self._spawn(self._recheck_all())

    # --- accounts ------------------------------------------------------------------

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
            elif notice.change != SIGNED_OUT or _same_session(who, notice):
                connection.expel(protocol.UNAUTHORIZED, _SIGNED_OUT_MESSAGES[notice.change])

    def _spawn_rename(self, connection: Connection, account_id: int) -> None:
        async def rename() -> None:
            account = await self.backend.accounts.account_by_id(account_id)
            if account is not None:
                connection.rename(account.name)

        if self._spawn is not None:
            self._spawn(logged(rename(), log, "cannot act on a notice"))

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

    # --- guests ----------------------------------------------------------------------

    def _close_guests_if_shut_out(self) -> None:
        """Guest access is off: every guest's connection is closed 4401 (an account's stays)."""
        if self.access.guests:
            return
        for connection in self._connections():
            # A room is named once the session opened: an account's is not yet known before that
            # (and a guest still identifying is refused when it opens).
            if connection.who is None and connection.room:
                connection.expel(protocol.UNAUTHORIZED, "an administrator turned guest access off: sign in")

    # --- rooms ---------------------------------------------------------------------

    async def _room_changed(self, notice: RoomNotice, arrived: int) -> None:
        accounts = self.backend.accounts
        try:
            record = await accounts.room_record(notice.room)
            online = (await self.backend.online_counts([notice.room]))[0]
            # Those barred from an open room hear nothing of it (its kind alone would tell everyone).
            barred = {bar.account_id for bar in await accounts.bars_of(notice.room)}
        except (StoreError, BackendError) as error:
            log.warning("cannot act on a change to %r: %s", notice.room, error)
            return
        entry = protocol.room_entry(record, online) if record is not None else {}
        if record is not None and record.kind == DIRECT:
            entry["members"] = await self._names(record.room)
        removed = set(notice.removed)
        change = ROOM_MEMBERS if notice.change == ROOM_BARRED else notice.change
        for connection in self._connections():
            account_id = connection.who.account_id if connection.who is not None else None
            if account_id in removed:
                self._take_out(connection, notice.room, arrived, barred=notice.change == ROOM_BARRED)
            elif record is not None and account_id not in barred and _concerns(record, notice, account_id):
                # Read-only first: a message sent on seeing the frame is refused, not stored.
                if connection.room == notice.room and notice.change in VOICE_CHANGES:
                    await self._recheck_posting(connection, record)
                connection.tell([protocol.room_frame(change, entry, notice.by)])

    async def _names(self, room: str) -> list[str]:
        """A direct room's members' names (its name on the page); none when the store fails."""
        try:
            return await member_names(self.backend.accounts, room)
        except StoreError as error:
            log.warning("cannot read the members of %r: %s", room, error)
            return []

    async def _recheck_posting(self, connection: Connection, record: RoomRecord) -> None:
        """Archived, or only its managers posting, a room is read-only (to those others, who react);
        brought back, or open to everyone's posts again, it takes messages from whoever may post."""
        connection.set_voice(*await self.access.voice(connection.who, record))

    @staticmethod
    def _take_out(connection: Connection, room: str, arrived: int, *, barred: bool = False) -> None:
        """A removed (or ``barred``) member's connection loses the room: from its list, and closed 4403
        when in it, told which.

        Not a connection whose admission began reading after the notice
        arrived (it opened while the notice's own reads were under way): the
        removal was stored before the notice went out, so that read saw it,
        and the connection is answered as any outsider is (not_found, 4404).
        """
        began = connection.admission_began
        if began is None or began > arrived:
            return
        connection.tell([protocol.room_gone_frame(room)])
        if connection.room == room:
            why = "you were barred from" if barred else "you are no longer a member of"
            connection.expel(protocol.FORBIDDEN, f"{why} {room!r}")

    # --- after the bus was away ------------------------------------------------------

    async def _recheck_all(self) -> None:
        try:
            await self.access.guest_access.load(self.backend.accounts)
        except StoreError as error:
            log.warning("cannot read the guest setting again: %s", error)
        self._close_guests_if_shut_out()
        for connection in self._connections():
            try:
                verdict = await self._still_allowed(connection, connection.who)
            except StoreError as error:
                log.warning("cannot recheck connections: %s", error)
                return
            if verdict is not None:
                connection.expel(*verdict)

    async def _still_allowed(self, connection: Connection, who: Identity | None) -> tuple[str, str] | None:
        """None when the connection may stay open (what it may add, posts and reactions, as the store
        says now: an archiving's notice may be among those lost); else the error code and message to close
        it with. A guest stays: its open room has no members to be taken out of."""
        if who is not None and not await self._account_stands(who):
            return protocol.UNAUTHORIZED, "your session has ended: sign in again"
        readable = await self.access.readable(who, connection.room)
        if readable is not None:
            connection.set_voice(*self.access.voice_in(who, readable))
            if readable.room.kind == DIRECT:  # a block's notice may be among those lost too
                connection.set_blocked(await self.access.blocker_in(who, connection.room))
        elif who is not None:
            barred = await self.access.barred(who, connection.room)
            why = "you were barred from" if barred else "you are no longer a member of"
            return protocol.FORBIDDEN, f"{why} {connection.room!r}"
        return None

    async def _account_stands(self, who: Identity) -> bool:
        """Whether ``who``'s session (or token's account) still speaks for an active account."""
        accounts = self.backend.accounts
        if who.session_hash is not None:
            current = await accounts.session_account(who.session_hash)
        else:
            current = await accounts.account_by_id(who.account_id)
        return current is not None and current.active


_SIGNED_OUT_MESSAGES = {
    DEACTIVATED: "your account has been deactivated",
    SIGNED_OUT: "you signed out",
    SIGNED_OUT_EVERYWHERE: "you signed out everywhere: sign in again",
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


def _concerns(record: RoomRecord, notice: RoomNotice, account_id: int | None) -> bool:
    """Whether a connection (of ``account_id``; None: a guest) sees the room, and so its change."""
    if record.kind == OPEN:
        return True
    return account_id is not None and account_id in notice.members
