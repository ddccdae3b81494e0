"""How a chat session gets into its room: who asks, under which nick, and why it may be refused.

What session.Session needs only while it opens (the nick wanted, the guest
names still to try, the ``since`` asked for) lives here, and is dropped once
welcome and history are out: kept, it would cost every member memory for
days. Pure: no I/O, no clock.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING

from . import protocol
from .bus.base import account_owner, connection_owner, guest_owner
from .protocol import ProtocolError

if TYPE_CHECKING:
    from .events import Members
    from .identity import Identity

GUEST_ATTEMPTS = 20
# A ``since`` longer than this is no id the store can hold.
MAX_SINCE_DIGITS = 18
# A guest key: a secret of the guest's page, random, URL-safe (docs/protocol.md, "Connecting").
GUEST_KEY = re.compile(r"[A-Za-z0-9_-]{16,128}")


@dataclass(frozen=True, slots=True)
class Known:
    """What the store said of the way in, read with the admission (store/way_in.py)."""

    # The room holding the room's look-alike key in the store; None for none.
    holder: str | None
    # A guest's first nick (Opening.first_guest_nick), and whether an account's name holds it.
    nick: str | None = None
    account_named: bool = False


class Opening:
    """One session's way in: checked at once (ProtocolError), then the nicks to try in turn."""

    def __init__(
        self, guests: bool, nick: str, since: str, who: Identity | None, refused: str, guest_key: str = ""
    ) -> None:
        """The upgrade's query, as sent, and who the credentials proved (None: a guest).

        ``guests``: whether guests are let in now (guest_access.GuestAccess).
        ``refused``: why credentials that were sent do not hold. An account's
        nick is its name; a guest asks for one, or gets a guest-NNNN.
        ``guest_key``: a guest's secret, shared by its connections, which then
        share its nick (an account's is ignored: the account is its owner).
        """
        if refused:
            raise ProtocolError(protocol.UNAUTHORIZED, refused)
        if who is None and not guests:
            raise ProtocolError(protocol.UNAUTHORIZED, "sign in first: this server does not let guests in")
        self.wanted = who.name if who is not None else protocol.normalize_nick(nick) if nick.strip() else None
        self.since = (
            int(since) if since.isascii() and since.isdigit() and len(since) <= MAX_SINCE_DIGITS else None
        )
        # Every connection of an account shares its nick in a room; a guest's is its own, or its key's.
        self.owner = account_owner(who.account_id) if who is not None else guest_owner_of(guest_key)
        # Whether the nick may be shared with the guest's other connections (held_spelling).
        self.shares_guest_nick = who is None and bool(guest_key)
        self._guest = who is None
        self._known: Known | None = None
        # Whether the nick asked for was refused as an account's name (the refusal says so).
        self._account_named = False
        self._candidates = (
            [self.wanted]
            if self.wanted
            else [f"guest-{secrets.randbelow(10000):04d}" for _ in range(GUEST_ATTEMPTS)]
        )

    def first_guest_nick(self) -> str | None:
        """A guest's first nick to try (None for an account): the admission asks if an account holds it."""
        return self._candidates[0] if self._guest and self._candidates else None

    def learned(self, room: str, known: Known) -> ProtocolError | None:
        """What the store said with the admission; the refusal of a look-alike of a room in use, if so."""
        self._known, holder = known, known.holder
        return look_alike(room) if holder is not None and holder != room else None

    def next_nick(self) -> str | None:
        """The next nick to reserve; None when every one was taken.

        A guest's nick that the store said an account holds is taken: it is not tried.
        """
        while self._candidates:
            nick = self._candidates.pop(0)
            if self._known is None or self._known.nick != nick or not self._known.account_named:
                return nick
            self.account_holds(nick)
        return None

    def account_holds(self, nick: str) -> None:
        """The store said an account holds ``nick`` (its name, or a look-alike): a guest may not have it."""
        if nick == self.wanted:
            self._account_named = True

    def name_checked(self, nick: str) -> bool:
        """Whether the store said with the admission that no account holds ``nick``."""
        return self._known is not None and self._known.nick == nick and not self._known.account_named

    def taken(self) -> ProtocolError:
        """The refusal once no nick could be reserved: whether an account's name or a member's nick."""
        if self._account_named:
            why = (
                f"the nick {self.wanted!r} is an account's name, or looks like one:"
                " sign in, or choose another nick"
            )
        elif self.wanted and not self._guest:
            # An account's (or a token's) name is not its to change: it can only wait.
            why = (
                f"someone else in this room is using the name {self.wanted!r}, or one that looks like it:"
                " you can join once they leave"
            )
        elif self.wanted:
            why = f"someone in this room already uses the nick {self.wanted!r}: choose another nick"
        else:
            why = "every guest nick tried is in use in this room: try again"
        return ProtocolError(protocol.NICK_TAKEN, why)


def guest_owner_of(guest_key: str) -> str:
    """A guest connection's owner: its key's, shared with the guest's other connections; else its own."""
    if not guest_key:
        return connection_owner()
    if GUEST_KEY.fullmatch(guest_key) is None:
        raise ProtocolError(
            protocol.BAD_REQUEST, "a guest key is 16 to 128 letters, digits, '-' or '_' (a random secret)"
        )
    return guest_owner(guest_key)


def held_spelling(nick: str, members: Members) -> str:
    """``nick`` as the member holding it spells it (``ann`` for ``ANN``): a guest's connections that
    share its nick by its key are one member, under the first one's spelling."""
    if nick in members:
        return nick
    key = protocol.nick_key(nick)
    return next((name for name in members if protocol.nick_key(name) == key), nick)


def not_found() -> ProtocolError:
    """The refusal of a room that is not there for the member, or that it may not see (alike, nameless)."""
    return ProtocolError(protocol.NOT_FOUND, "there is no such room, or you may not see it")


def look_alike(room: str) -> ProtocolError:
    """The refusal of a room whose name looks like another's, a room in use (left unnamed)."""
    return ProtocolError(protocol.BAD_NAME, protocol.look_alike_room_message(room))
