"""How a member gets into its room: the way in, the welcome and history, its own join, and catching up
until the room's stream is settled (session.py's first states, OPENING to LIVE).

A Sans-I/O part of the session (session.Session is a Joining): each step is
a method call that returns the effects to carry out. The way in (who, which
nick, the refusals) is opening.py's; which events history already showed,
catch_up.py's. Closing, frames from the client and the acks they are owed
are session.py's.
"""

from __future__ import annotations

import abc
import enum
from collections.abc import Sequence
from typing import TYPE_CHECKING

from . import changes, effects, metrics, opening, protocol
from .catch_up import CatchUp
from .config import Settings
from .effects import Effect, Effects
from .events import Delivered, Members, PresenceEvent, StoredChange, StoredMessage
from .opening import Opening, held_spelling
from .protocol import ProtocolError

if TYPE_CHECKING:
    from .identity import Identity

MAX_REPLAY = 1000


class State(enum.IntEnum):
    """Where a session is. The first five come in this order; any state may end in the last two."""

    # The names are checked, the room's look-alike key claimed, a nick reserved.
    OPENING = 1
    # In the hub: the room's last id, epoch and history are read; events are held.
    JOINING = 2
    # Welcome and history are sent, the join is being announced; events are still held.
    ANNOUNCING = 3
    # Events are passed on batch by batch, without what history showed,
    # until the room's stream has passed the last message history showed.
    CATCHING_UP = 4
    # The hub writes the room's broadcasts straight to the member.
    LIVE = 5
    # The server closes the session: frames from the client are not acted
    # on; the close goes out once the owed acks have (within a second).
    CLOSING = 6
    # The connection is gone: the nick is released, with a leave notice
    # when the join was announced.
    CLOSED = 7


class Joining(abc.ABC):
    """A session's way into its room: who and where the member is, and what it holds back meanwhile."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.state = State.OPENING
        # How far into the room the member got, whatever the state: what
        # leaving must undo (the nick once reserved, the join once announced).
        self.standing = State.OPENING
        self.room = ""
        self.nick = ""
        self.nick_key = ""
        self.who: Identity | None = None
        # An archived room (or a bot's open room it is not a member of): read, never written. A room
        # where only its managers post, for the others: no new words, but reactions and deletions.
        self.read_only = False
        # In a direct room of two, the other person's name when they blocked this account: its
        # messages are refused with ``blocked`` (access.Access.blocker_in).
        self.blocked_by: str | None = None
        # In a direct room, the accounts of its other members when this one joined.
        self.direct_others: frozenset[int] = frozenset()
        self.may_react = True
        # Whether its messages may mention the whole room (access.may_mention_room); else refused.
        self.mentions_room = True
        # An administrator, or the room's owner: deletes anyone's message in it (access.may_delete_any).
        self.deletes_any = False
        # The owner of the member's reservations (bus/base.py): its account, or this connection.
        self.owner = ""
        self._opening: Opening | None = None
        self._members = Members()
        self._catch_up = CatchUp()
        # PROTOCOL.md: welcome, history, own join; what arrives before that is held.
        self._greeted = False
        self._welcome_users = 0
        self._backlog = settings.max_backlog_bytes

    @abc.abstractmethod
    def close(self, code: int, reason: str) -> Effects:
        """The server closes the session (session.Session.close)."""

    # --- opening (opening.py decides who, which nick, what refusals) -------------

    def open(
        self,
        room: str,
        nick: str = "",
        since: str = "",
        *,
        who: Identity | None = None,
        refused: str = "",
        guests: bool | None = None,
        guest_key: str = "",
    ) -> Effects:
        """The upgrade's query, as sent, and who the credentials proved (opening.Opening).

        ``guests``: whether guests are let in now; None: as the settings say.
        """
        guests = self.settings.guests if guests is None else guests
        try:
            self.room = protocol.normalize_room(room)
            self._opening = Opening(guests, nick, since, who, refused, guest_key)
        except ProtocolError as error:
            return self._refuse_session(error)
        self.who, self.owner = who, self._opening.owner
        return [effects.Admit(self.room)]

    @property
    def first_nick(self) -> str | None:
        """While opening, a guest's first nick: whether an account holds it is read with the admission."""
        return None if self._opening is None else self._opening.first_guest_nick()

    def admitted(
        self,
        found: bool,
        may_post: bool,
        known: opening.Known | None = None,
        *,
        may_react: bool | None = None,
    ) -> Effects:
        """Access's answer (found, may post, may react: None as may post), and what the store said with
        it (opening.Known)."""
        if self.state is not State.OPENING or self._opening is None:
            return []
        if not found:
            return self._refuse_session(opening.not_found())
        self.read_only = not may_post
        self.may_react = may_post if may_react is None else may_react
        if known is not None and (refused := self._opening.learned(self.room, known)) is not None:
            return self._refuse_session(refused)
        return [effects.ClaimRoom(self.room, store_checked=known is not None)]

    def room_claimed(self, holder: str | None) -> Effects:
        """The claim's answer: None, or the look-alike room that holds the key."""
        if self.state is not State.OPENING or self._opening is None:
            return []
        if holder is not None:
            return self._refuse_session(opening.look_alike(self.room))
        return self._reserve_next(self._opening)

    def reserved(self, nick: str, members: Members | None, *, account_named: bool = False) -> Effects:
        """The reservation's answer: the room's members, ``nick`` included, or None if taken.

        A nick the member's account holds already (another tab, another
        device) is reserved too: the account is listed once. ``account_named``:
        it was not tried, being an account's name that a guest may not take.
        """
        if members is None:
            if self.state is not State.OPENING or self._opening is None:
                return []
            if account_named:
                self._opening.account_holds(nick)
            return self._reserve_next(self._opening)
        if self._opening is not None and self._opening.shares_guest_nick:
            nick = held_spelling(nick, members)
        self.nick, self.nick_key, self._members = nick, protocol.nick_key(nick), members
        if self.state is State.CLOSED:
            return [effects.Release(announce=False)]
        self.standing = State.JOINING
        if self.state is State.CLOSING:
            return []
        self.state = State.JOINING
        return [effects.EnterHub()]

    def _reserve_next(self, way_in: Opening) -> Effects:
        if (nick := way_in.next_nick()) is None:
            return self._refuse_session(way_in.taken())
        return [effects.Reserve(nick, name_checked=way_in.name_checked(nick))]

    def entered(self) -> Effects:
        """The member is in the hub: read what the welcome and history need."""
        if self.state is not State.JOINING or self._opening is None:
            return []
        if self._opening.since is None:
            return [effects.ReadRoom(None, self.settings.history)]
        return [effects.ReadRoom(self._opening.since, MAX_REPLAY)]

    def room_read(
        self,
        request: effects.ReadRoom,
        last_id: int,
        epoch: str,
        messages: list[StoredMessage],
        found: list[StoredChange] | None = None,
    ) -> Effects:
        """The room's last id, epoch, messages and changes (with since): welcome, history, then the join."""
        if self.state is not State.JOINING or self._opening is None:
            return []
        history, shown_through = changes.joining_history(
            self.room, messages, found, request.limit, self._backlog, self.who
        )
        # The member list is only needed for the welcome frame; kept, it would
        # cost every member memory in proportion to the room's size.
        members, self._members = (
            self._members or Members([self.nick], [self.nick] * (self.who is None)),
            Members(),
        )
        self._welcome_users = len(members)
        last = max(last_id, shown_through)
        welcome = protocol.welcome_frame(self.room, self.nick, members, last, epoch, members.listed_guests)
        since, self._opening = self._opening.since, None
        self._catch_up.start_after(shown_through, last_id, since)
        self.state = self.standing = State.ANNOUNCING
        # Our own join comes to us as soon as it is out, whether or not the
        # others get it coalesced; what arrived meanwhile follows it.
        return [effects.Send((welcome, history)), effects.AnnounceJoin()]

    def join_announced(self) -> Effects:
        """The join is out: pass on what arrived meanwhile, without repeats."""
        if self.state is State.CLOSED:
            return [effects.Release(announce=True)]
        self.standing = State.CATCHING_UP
        if self.state is State.CLOSING:
            return []
        self.state = State.CATCHING_UP
        return self._pass_on_held() if self._greeted else []

    def _pass_on_held(self) -> Effects:
        return self._pass_on(*self._catch_up.take_held(self.nick_key))

    def failed(self, effect: Effect) -> Effects:
        """The backend could not carry out ``effect`` (one of the opening's)."""
        if isinstance(effect, effects.AnnounceJoin):
            self.standing = State.JOINING
            if self.state is State.CLOSED:
                return [effects.Release(announce=False)]
        if self.state in (State.CLOSING, State.CLOSED):
            return []
        unavailable = protocol.error_frame(protocol.UNAVAILABLE, "the chat store is unavailable, try again")
        return [effects.Send((unavailable,)), *self.close(protocol.CLOSE_TRY_AGAIN_LATER, "unavailable")]

    def greeted(self, joined: PresenceEvent) -> Effects:
        """The member's own join is out: it comes before what arrived meanwhile."""
        if self.state is State.CLOSED or self._greeted:
            return []
        self._greeted = True
        out: Effects = [effects.Send((protocol.frame_of(joined),))]
        return out + self._pass_on_held() if self.state is State.CATCHING_UP else out

    def join_overdue(self, ts: int) -> Effects:
        """The bus never brought the member's own join back: greet it with one of our own."""
        return self.greeted(PresenceEvent("join", self.room, self.nick, self._welcome_users, ts))

    def join_known(self, ts: int) -> Effects:
        """The room knew of the member already (another connection of its account): none is told.

        The member still gets its own join, after welcome and history.
        """
        return self.join_announced() + self.join_overdue(ts)

    # --- the room's events, until settled ----------------------------------------

    def take(self, events: Sequence[Delivered]) -> Effects:
        """Events of the room: held while joining, filtered while catching up (catch_up.py)."""
        if self.state is State.CLOSED:
            return []
        if self.standing < State.CATCHING_UP or not self._greeted:
            self._catch_up.hold(events)
            return []
        return self._pass_on(self._catch_up.news(events, self.nick_key), self._catch_up.passed(events))

    def _pass_on(self, news: list[Delivered], passed: bool) -> Effects:
        """Send the news; settle once the stream has passed what history showed."""
        out: Effects = [effects.Send([changes.frame_of(e) for e in news])] if news else []
        if passed and self.standing is State.CATCHING_UP:
            out += self._settle()
        return out

    def _settle(self) -> Effects:
        self.standing = State.LIVE
        if self.state is State.CATCHING_UP:
            self.state = State.LIVE
        return [effects.Settle()]

    def _refuse_session(self, error: ProtocolError) -> Effects:
        metrics.REFUSALS.labels(error.code).inc()
        code = protocol.CLOSE_CODE_FOR.get(error.code, protocol.CLOSE_POLICY_VIOLATION)
        refusal = protocol.error_frame(error.code, error.message)
        return [effects.Send((refusal,)), *self.close(code, error.code)]
