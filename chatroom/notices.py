"""What a process does with notices: changes to rooms and accounts, told by whichever node made them.

The API stores a change, then calls ``backend.notify``: every process (the
one that made it at once, the others over the bus) hands the notice to its
NoticeDesk, which acts on this process's connections:

- a change to an account (deactivated, signed out, renamed, made an
  administrator, a new picture or status, a block, a saved message):
  account_notices.py says what;
- a thread followed or read, a reply in a followed thread: thread_desk.py
  tells the person's, or the followers', connections;
- members taken out of a room: their connections to it are closed with
  ``forbidden`` and 4403, and every connection of theirs is told the room
  is gone from their list;
- a room created, renamed, archived, given new members, a new rule of who
  posts or a new topic (its frame names who set it): every connection of
  an account that may see it gets the room's new entry (a ``room`` frame),
  so room lists are live; an archived room turns read-only for the members
  in it, and back, and so does one where only its managers post, for the
  others (who still react);
- a guest removed from a room: its connection there is closed with
  ``forbidden`` and 4403, its address barred from guest access in the
  store (moderation.py) by the node that knows it, and every guest
  connection from that address closed, on every node (guest_removal.py);
- a custom emoji added or removed: every connection (guests' too) gets an
  ``emoji`` frame, so pickers and messages follow without a reload;
- a group created, changed or deleted: every account's connection gets a
  ``group`` frame (group_notices.py);
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

from . import protocol
from .access import Access, member_names
from .account_notices import AccountNotices
from .backend import Backend, BackendError
from .desks import OpenSessions, logged
from .emoji_frames import EmojiNotice, emoji_entry, emoji_frame
from .events import (
    ROOM_BARRED,
    ROOM_MEMBERS,
    VOICE_CHANGES,
    ActivityNotice,
    GuestNotice,
    Notice,
    PresenceNotice,
    RoomNotice,
    SettingsNotice,
    ThreadNotice,
    ThreadReplyNotice,
    UnreadNotice,
)
from .group_frames import GroupNotice
from .group_notices import tell_group
from .guest_removal import remove_guests
from .identity import Identity
from .notice_connection import Connection, Spawn
from .peers import PeerDesk
from .store.base import StoreError
from .store.records import DIRECT, OPEN, RoomRecord
from .thread_desk import ThreadDesk
from .unread import UnreadDesk

log = logging.getLogger("chatroom.notices")


class NoticeDesk(AccountNotices):
    """Acts on notices for the connections of one process."""

    def __init__(
        self,
        backend: Backend,
        access: Access,
        connections: OpenSessions[Connection],
        unread: UnreadDesk | None = None,
        peers: PeerDesk | None = None,
        threads: ThreadDesk | None = None,
    ) -> None:
        super().__init__(connections)
        self.backend = backend
        # Unread counts' notices go to it (unread.py), accounts coming and going to peers (peers.py),
        # followed threads' to threads (thread_desk.py).
        self.unread = unread
        self.peers = peers
        self.threads = threads
        self.access = access
        self._spawn: Spawn | None = None

    def start(self, spawn: Spawn) -> None:
        """Listen to the backend's notices; ``spawn`` runs the work they take in the background."""
        self._spawn = spawn
        self.backend.listen_notices(self)

    def take(self, notice: Notice) -> None:
        """Act on a notice, from this process or another."""
        if self.take_account_notice(notice):
            return
        if isinstance(notice, GuestNotice):
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
        elif isinstance(notice, EmojiNotice):
            self._tell_everyone(notice)
        elif isinstance(notice, GroupNotice) and self._spawn is not None:
            work = tell_group(self.backend.accounts, self._connections(), notice)
            self._spawn(logged(work, log, f"cannot tell pages of the group @{notice.name}"))
        elif isinstance(notice, ThreadNotice | ThreadReplyNotice):
            if self.threads is not None:
                self.threads.take(notice)
        elif isinstance(notice, RoomNotice) and self._spawn is not None:
            self._spawn(self._room_changed(notice, time.monotonic_ns()))

    def recheck(self) -> None:
        """Ask the store again, for every account's connection, whether it may stay (notices were lost)."""
        if self._spawn is not None:
            self._spawn(self._recheck_all())

    def _tell_everyone(self, notice: EmojiNotice) -> None:
        """A custom emoji added or removed: every open connection's page, guests' too (emoji are site-wide,
        nobody's room content), shows it or its ``:name:`` as text."""
        digest = notice.digest
        entry = None if digest is None else emoji_entry(notice.name, digest, notice.by, notice.ts)
        frame = emoji_frame(notice.name, entry)
        for connection in self._connections():
            if connection.room:
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
            if not _admitted_before(connection, arrived):
                continue
            account_id = connection.who.account_id if connection.who is not None else None
            if account_id in removed:
                self._take_out(connection, notice.room, barred=notice.change == ROOM_BARRED)
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
    def _take_out(connection: Connection, room: str, *, barred: bool = False) -> None:
        """A removed (or ``barred``) member's connection loses the room: from its list, and closed 4403
        when in it, told which."""
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


def _admitted_before(connection: Connection, arrived: int) -> bool:
    """Whether the connection's admission began reading before the notice arrived.

    One that began after (it opened while the notice's own reads were under
    way) read the room once the change was stored, before the notice went
    out: its welcome and room list already say it, and a removed member is
    answered as any outsider is (not_found, 4404).
    """
    began = connection.admission_began
    return began is not None and began <= arrived


def _concerns(record: RoomRecord, notice: RoomNotice, account_id: int | None) -> bool:
    """Whether a connection (of ``account_id``; None: a guest) sees the room, and so its change."""
    if record.kind == OPEN:
        return True
    return account_id is not None and account_id in notice.members
