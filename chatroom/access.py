"""Who may read, post in and manage which room: the one place every path asks.

The rules (docs/security.md, "Who can read what"):

- an **open** room: every account reads it and posts in it (a bot only where
  it is a member: a key posts where it was put); where guests are let
  in (--guests, or an administrator's setting: guest_access.py), guests too;
- a **closed** or **direct** room: its members only. An administrator manages
  a closed room's members but reads it only once a member (adding oneself
  shows in the member list); guests never see either kind;
- an **archived** room is read-only: read as before, no new messages;
- in a room where only its **managers** post (``posting``: an announcements
  room), its owner and administrators post; everyone else who reads it
  reacts and deletes their own earlier messages, nothing more: no message,
  reply, file or edit, which would put new words in it (a bot included);
- a mention of the whole room (``@room`` and its aliases, mentions.py) is
  anyone's who may post, unless the room keeps it to its managers
  (``room_mentions``: may_mention_room); in a direct room always its members';
- a room's **topic** is set by anyone with an account who may post in it
  (may_set_topic: in an announcements room its managers, in a direct room
  its members, in an archived room nobody; never a guest);
- people with accounts create rooms and direct conversations (guests and
  bots do not); anyone leaves a room they are a member of;
- an account **barred** from an open or closed room by its owner or an
  administrator (may_bar) reads nothing of it and posts nothing in it, on
  every path, until the bar is lifted: the room is to it as one it may not
  see (Access reads the bar beside the membership);
- a room that does not exist and a room one may not see look the same: 404,
  4404, ``not_found``. Where guests are let in, a room that does not exist yet is an
  open room with nothing in it, created by the first guest who joins it
  (version 1's behaviour).

The predicates are pure; Access asks the store what they need.
"""

from __future__ import annotations

from dataclasses import dataclass

from .config import Settings
from .guest_access import GuestAccess
from .identity import Identity
from .names import is_direct_name
from .store.accounts_base import AccountStore
from .store.records import (
    CLOSED,
    DIRECT,
    EVERYONE,
    MANAGERS,
    OPEN,
    OWNER,
    Account,
    Membership,
    RoomRecord,
)
from .store.search_base import Reader


@dataclass(frozen=True, slots=True)
class Entry:
    """Someone may enter a room's live stream: whether they may post, and react, and the room's kind."""

    may_post: bool
    # The room's kind (a direct room's messages may call bots' webhooks).
    kind: str = OPEN
    # Whether they may react and delete their own messages (may_react); None: as may_post says.
    may_react: bool | None = None
    # Whether they delete anyone's message in it (may_delete_any: an administrator, the room's owner).
    deletes_any: bool = False
    # Whether they may mention the whole room (may_mention_room).
    mentions_room: bool = True

    @property
    def direct(self) -> bool:
        """Whether it is a direct room."""
        return self.kind == DIRECT


def may_read(who: Identity | None, room: RoomRecord, membership: Membership | None, *, guests: bool) -> bool:
    """Whether ``who`` (None: a guest) may read the room's messages and see it listed."""
    if who is None:
        return guests and room.kind == OPEN
    if room.kind == OPEN:
        return True
    return membership is not None


def may_post(who: Identity | None, room: RoomRecord, membership: Membership | None, *, guests: bool) -> bool:
    """Whether ``who`` may put new words in the room: messages, replies, files, edits.

    Who may react in it, where everyone posts; where only its managers do,
    those who manage it (may_manage: never a bot nor a guest).
    """
    if not may_react(who, room, membership, guests=guests):
        return False
    return room.posting == EVERYONE or may_manage(who, room, membership)


def may_react(who: Identity | None, room: RoomRecord, membership: Membership | None, *, guests: bool) -> bool:
    """Whether ``who`` may react in the room, and delete its own messages: read it, it is not archived,
    and a bot is a member. Who posts does not matter (an announcements room's readers react to it)."""
    if room.archived_at is not None:
        return False
    if who is not None and who.is_bot and membership is None:
        return False
    return may_read(who, room, membership, guests=guests)


def may_mention_room(who: Identity | None, room: RoomRecord, membership: Membership | None) -> bool:
    """Whether ``who``, who may post in the room, may mention all of it (``@room``): where its rule says
    everyone, or in a direct room (the other person), anyone; else those who manage it (Zulip's wildcard
    policy)."""
    return room.kind == DIRECT or room.room_mentions == EVERYONE or may_manage(who, room, membership)


def room_mention_refusal(room: RoomRecord) -> str:
    """Why a message that mentions the whole room is refused (may_mention_room said no)."""
    return f"only the owner and administrators of {room.room!r} may notify the whole room with @room or @here"


def posting_refusal(room: RoomRecord) -> str:
    """Why someone who reads the room may not post in it (may_post said no), as a refusal tells them."""
    if room.archived_at is not None:
        return f"the room {room.room!r} is archived: it is read-only"
    if room.posting == MANAGERS:
        return f"only the owner and administrators of {room.room!r} post in it"
    return f"you may not post in {room.room!r}"


def may_set_topic(
    who: Identity | None, room: RoomRecord, membership: Membership | None, *, guests: bool
) -> bool:
    """Whether ``who`` may set or clear the room's topic: an account (a bot too) that may post in it.

    A topic is words in the room as a message is: who may not post may not put them there.
    """
    return who is not None and may_post(who, room, membership, guests=guests)


def topic_refusal(room: RoomRecord) -> str:
    """Why someone who reads the room may not set its topic (may_set_topic said no), as a refusal says."""
    if room.archived_at is not None:
        return f"the room {room.room!r} is archived: its topic stays as it is"
    if room.posting == MANAGERS:
        return f"only the owner and administrators of {room.room!r} set its topic"
    return f"you may not set the topic of {room.room!r}"


def may_manage(who: Identity | None, room: RoomRecord, membership: Membership | None) -> bool:
    """Whether ``who`` may rename, archive and change the members of the room.

    Administrators and the room's owner manage closed and open rooms; a
    direct conversation is its members' own, and nobody adds to it afterwards.
    """
    if who is None or who.is_bot or room.kind == DIRECT:
        return False
    return who.is_admin or (membership is not None and membership.role == OWNER)


def may_manage_members(who: Identity | None, room: RoomRecord, membership: Membership | None) -> bool:
    """Whether ``who`` may add and remove members (a closed room's: administrators manage them unread)."""
    return may_manage(who, room, membership) and room.kind in (CLOSED, OPEN)


def may_put_everyone_in(who: Identity | None) -> bool:
    """Whether ``who`` may make an open room one everyone is in, or an ordinary one again: administrators.

    It changes every person's rooms, not the room alone: more than its owner's to decide.
    """
    return who is not None and who.is_admin


def may_create_rooms(who: Identity | None) -> bool:
    """Whether ``who`` may create rooms and open direct conversations: people with accounts, not bots."""
    return who is not None and not who.is_bot


def may_delete_any(who: Identity | None, membership: Membership | None = None) -> bool:
    """Whether ``who`` may delete anyone's message in a room it reads: administrators, and the room's
    owner (``membership``: ``who``'s of the room), who keeps their own room clean without waiting for
    an administrator.

    Anyone with an account edits its own messages in a room it may post in,
    and deletes them and reacts in one it may react in; guests change
    nothing (changes.py). A direct room has no owner.
    """
    if who is None or who.is_bot:
        return False
    return who.is_admin or (membership is not None and membership.role == OWNER)


def may_bar(who: Identity | None, room: RoomRecord, membership: Membership | None) -> bool:
    """Whether ``who`` may bar accounts from the room, list its bars and lift them: who manages an open
    or closed room's members (its owner, administrators). A direct room has nobody to do it."""
    return may_manage_members(who, room, membership)


def bar_refusal(target: Account, room: RoomRecord, held: Membership | None) -> str | None:
    """Why ``target`` (``held``: its membership of the room) may not be barred from the room by one who
    may bar from it (None: it may). Not an administrator, who keeps order on the whole server; not the
    room's owner, whose room it is (an administrator who must stop one deactivates the account)."""
    if target.is_admin:
        return f"{target.name!r} is an administrator: administrators cannot be barred from a room"
    if held is not None and held.role == OWNER:
        return f"{target.name!r} owns {room.room!r}: a room's owner cannot be barred from it"
    return None


def may_list_members(who: Identity | None, room: RoomRecord, membership: Membership | None) -> bool:
    """Whether ``who`` may see who is a member of the room.

    Those who may read it, and an administrator for a closed room (whose
    members they manage without reading it); never a guest. A direct
    conversation's members are its members' business alone.
    """
    if who is None:
        return False
    if membership is not None or room.kind == OPEN:
        return True
    return room.kind == CLOSED and who.is_admin


def may_remove_member(
    who: Identity | None, room: RoomRecord, membership: Membership | None, *, oneself: bool
) -> bool:
    """Whether ``who`` may take a member out of the room: anyone may leave, managers remove others."""
    if oneself:
        return who is not None and membership is not None
    return may_manage_members(who, room, membership)


async def member_names(accounts: AccountStore, room: str) -> list[str]:
    """The names of a room's members, in account id order: a direct room is shown by them."""
    names = []
    for membership in await accounts.members_of(room):
        account = await accounts.account_by_id(membership.account_id)
        if account is not None:
            names.append(account.name)
    return names


@dataclass(frozen=True, slots=True)
class Readable:
    """A room ``who`` may read, with ``who``'s membership of it (None: not a member)."""

    room: RoomRecord
    membership: Membership | None


class Access:
    """The rules above, applied with what the store knows."""

    def __init__(self, settings: Settings, accounts: AccountStore, guests: GuestAccess | None = None) -> None:
        # The application's one live answer; a GuestAccess of --guests alone when none is given.
        self.guest_access = guests if guests is not None else GuestAccess(settings.guests)
        self.accounts = accounts

    @property
    def guests(self) -> bool:
        """Whether guests are let in now (--guests, or an administrator's setting)."""
        return self.guest_access.allowed

    async def readable(self, who: Identity | None, room: str) -> Readable | None:
        """The room and ``who``'s membership when ``who`` may read it; None: answer as if it did not exist."""
        record = await self.accounts.room_record(room)
        return None if record is None else await self._readable(who, record)

    async def _readable(self, who: Identity | None, record: RoomRecord) -> Readable | None:
        membership = await self.membership_of(who, record.room)
        if not may_read(who, record, membership, guests=self.guests) or await self.barred(who, record.room):
            return None
        return Readable(record, membership)

    async def barred(self, who: Identity | None, room: str) -> bool:
        """Whether ``who`` is barred from the room (a guest never is: a bar is an account's)."""
        return who is not None and await self.accounts.room_bar(room, who.account_id) is not None

    def reader(self, who: Identity | None) -> Reader:
        """``who`` as a search asks the store about it: may_read's rule, which the store applies in
        the search's own statement (store/search_base.py)."""
        return Reader(None if who is None else who.account_id, who is not None or self.guests)

    def entry(
        self,
        who: Identity | None,
        room: str,
        record: RoomRecord | None,
        membership: Membership | None,
        *,
        barred: bool = False,
    ) -> Entry | None:
        """How ``who`` may enter a room's live stream; None: as if it did not exist.

        From what the store says: the room's record (None: no such room),
        ``who``'s membership of it and whether it is barred from it
        (Store.way_in reads them with a join's other questions). The caller
        has turned away nobody-signed-in when guests are not let in.
        """
        if barred:
            return None
        if record is None:
            # Only a guest's open room comes into being by being joined, never under a name kept for
            # direct rooms: not_found, as an existing direct room answers a guest, tells neither apart.
            created = who is None and self.guests and not is_direct_name(room)
            return Entry(may_post=True) if created else None
        if not may_read(who, record, membership, guests=self.guests):
            return None
        posting = may_post(who, record, membership, guests=self.guests)
        reacting = may_react(who, record, membership, guests=self.guests)
        deleting = may_delete_any(who, membership)
        mentioning = may_mention_room(who, record, membership)
        return Entry(posting, record.kind, reacting, deleting, mentioning)

    async def voice(self, who: Identity | None, record: RoomRecord) -> tuple[bool, bool, bool]:
        """Whether ``who`` may post in the room, react in it and mention all of it (may_post, may_react,
        may_mention_room), as the store says."""
        return self.voice_in(who, Readable(record, await self.membership_of(who, record.room)))

    def voice_in(self, who: Identity | None, readable: Readable) -> tuple[bool, bool, bool]:
        """Whether ``who`` may post in a room it reads, react in it and mention all of it."""
        room, membership, guests = readable.room, readable.membership, self.guests
        return (
            may_post(who, room, membership, guests=guests),
            may_react(who, room, membership, guests=guests),
            may_mention_room(who, room, membership),
        )

    async def blocker_in(self, who: Identity | None, room: str) -> str | None:
        """The name of the one other member of a direct room of two, when they blocked ``who``: ``who``'s
        messages there are refused (docs/security.md, "Blocking"). None for any other room, where a
        blocked person still writes and only the blocker's page hides it."""
        if who is None:
            return None
        blockers = await self.accounts.blockers_of(who.account_id)
        if not blockers:
            return None  # nearly everyone: one read, and no more
        others = [
            m.account_id for m in await self.accounts.members_of(room) if m.account_id != who.account_id
        ]
        if len(others) != 1 or others[0] not in blockers:
            return None
        other = await self.accounts.account_by_id(others[0])
        return None if other is None else other.name

    async def others_in(self, who: Identity | None, room: str) -> frozenset[int]:
        """The accounts of the room's members but ``who``: a direct room's other people."""
        members = await self.accounts.members_of(room)
        own = None if who is None else who.account_id
        return frozenset(m.account_id for m in members if m.account_id != own)

    async def membership_of(self, who: Identity | None, room: str) -> Membership | None:
        """``who``'s membership of the room (None for a guest, or a non-member)."""
        return await self.accounts.membership(room, who.account_id) if who is not None else None

    async def visible_rooms(
        self, who: Identity | None, *, prefix: str = "", after: str = "", limit: int = 100
    ) -> list[RoomRecord]:
        """A page of the rooms ``who`` may see listed (archived ones too), by name (code point order)."""
        if who is None and not self.guests:
            return []
        # Few accounts are barred from any room, and from few: read first, then as many more open
        # rooms as there are bars, filtered here (a page stays full while there are more).
        barred = set() if who is None else set(await self.accounts.barred_rooms(who.account_id))
        rooms = await self.accounts.open_rooms(prefix=prefix, after=after, limit=limit + len(barred))
        rooms = [room for room in rooms if room.room not in barred]
        if who is not None:
            # An account is a member of few closed and direct rooms: filtered here, not paged in SQL.
            rooms += [
                room
                for room in await self.accounts.rooms_of(who.account_id)
                if room.kind != OPEN and room.room > after and room.room.startswith(prefix)
            ]
        return sorted(rooms, key=lambda room: room.room)[:limit]
