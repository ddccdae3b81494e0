"""LocalBus: one process, so the bus is a dictionary.

Members and look-alike claims are held here; presence and typing go straight
to the room's sink; there are no other processes to hand messages to. A
member held by several connections of its owner (an account's tabs) counts
its holds.
"""

from __future__ import annotations

import bisect
from collections import Counter, defaultdict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from ..backend import EventSink, PresenceEvent, Sequenced, TypingEvent
from ..clock import now_ms
from ..events import Members, Notice
from ..limits import FailureWindows, KeyedTokenBuckets
from ..names import listing_order, nick_key, room_key
from .base import account_owner, connection_owner, is_guest_owner, owner_account


@dataclass(slots=True)
class _Member:
    """A nick held in a room: by whom, how many times, and what the room was told."""

    owner: str
    nick: str
    holds: int = 1
    joined: bool = False
    # A release said the room should hear the leave: it will, with the last hold.
    told: bool = False


class _Roster:
    """A room's nicks, and its guests' among them, kept in the order a welcome lists them.

    Kept in order as members come and go, so that a join copies two lists
    instead of walking and sorting every member: in one room of a thousand
    joining at once, that walk was a third of the server's time.
    """

    __slots__ = ("guests", "nicks")

    def __init__(self) -> None:
        self.nicks: list[str] = []
        self.guests: list[str] = []

    def add(self, nick: str, guest: bool) -> None:
        for names in (self.nicks, self.guests) if guest else (self.nicks,):
            bisect.insort(names, nick, key=listing_order)

    def remove(self, nick: str, guest: bool) -> None:
        for names in (self.nicks, self.guests) if guest else (self.nicks,):
            at = bisect.bisect_left(names, listing_order(nick), key=listing_order)
            if at < len(names) and names[at] == nick:
                del names[at]

    def members(self) -> Members:
        return Members(self.nicks, self.guests)


class LocalBus:
    """The in-process bus of the embedded default."""

    shared = False

    def __init__(self) -> None:
        self.on_resume: Callable[[], Awaitable[None]] | None = None
        self.on_notice: Callable[[Notice], None] | None = None
        self._members: dict[str, dict[str, _Member]] = defaultdict(dict)
        self._rosters: dict[str, _Roster] = defaultdict(_Roster)
        # The rooms with members, sorted: a page of the rooms list is a
        # bisection here, not a sort of every room on every request.
        self._online: list[str] = []
        self._sinks: dict[str, EventSink] = {}
        self._claims: dict[str, str] = {}
        self._failures: dict[tuple[int, float], FailureWindows] = {}
        self._allowances: dict[int, KeyedTokenBuckets] = {}
        # How many members each owner holds, over every room.
        self._owners: Counter[str] = Counter()

    async def start(self) -> None:
        """Nothing to connect to."""

    async def close(self) -> None:
        """Nothing to release: the process is the deployment."""

    async def subscribe(self, room: str, sink: EventSink) -> None:
        """Give the room's presence and typing to ``sink``."""
        self._sinks[room] = sink

    async def unsubscribe(self, room: str) -> None:
        """Stop giving the room's events."""
        self._sinks.pop(room, None)

    async def publish_stored(self, stored: Sequence[tuple[str, Sequence[Sequenced]]]) -> None:
        """No other process to tell."""

    async def publish_notices(self, notices: Sequence[Notice]) -> None:
        """No other process to tell."""

    def _windows(self, limit: int, window: float) -> FailureWindows:
        windows = self._failures.get((limit, window))
        if windows is None:
            windows = self._failures[limit, window] = FailureWindows(limit, window)
        return windows

    async def record_failure(self, key: str, limit: int, window: float) -> None:
        """Count a failure of ``key``."""
        self._windows(limit, window).record(key)

    async def failure_wait(self, key: str, limit: int, window: float) -> float:
        """Seconds until ``key`` may try again."""
        return self._windows(limit, window).wait(key)

    async def forget_failures(self, key: str) -> None:
        """Clear ``key``'s failures, whatever their limit."""
        for windows in self._failures.values():
            windows.forget(key)

    async def spend(self, key: str, per_minute: int) -> float:
        """Spend one of ``key``'s allowance."""
        buckets = self._allowances.get(per_minute)
        if buckets is None:
            buckets = self._allowances[per_minute] = KeyedTokenBuckets.per_minute(per_minute)
        return buckets.spend(key)

    async def is_online(self, room: str, nick: str) -> bool:
        """Whether a member of the room holds ``nick``."""
        return nick_key(nick) in self._members.get(room, {})

    async def reserve(self, room: str, nick: str, owner: str | None = None) -> Members | None:
        """Hold a nick in a room unless another owner has it (by its look-alike key)."""
        members = self._members[room]
        key = nick_key(nick)
        member = members.get(key)
        if member is not None:
            if member.owner != owner:
                return None
            member.holds += 1
        else:
            members[key] = member = _Member(owner or connection_owner(), nick)
            self._owners[member.owner] += 1
            self._rosters[room].add(nick, is_guest_owner(member.owner))
            if len(members) == 1:
                bisect.insort(self._online, room)
        return self._rosters[room].members()

    async def announce_join(self, room: str, nick: str) -> bool:
        """Tell the room that ``nick`` joined, unless it was told already."""
        member = self._members.get(room, {}).get(nick_key(nick))
        if member is None or member.joined:
            return False
        member.joined = True
        self._announce("join", room, member)
        return True

    async def release(self, room: str, nick: str, *, announce: bool) -> None:
        """Let go of one hold; with the last, the member leaves (told when any release said so)."""
        members = self._members.get(room)
        key = nick_key(nick)
        member = members.get(key) if members is not None else None
        if members is None or member is None:
            return
        member.holds -= 1
        member.told = member.told or announce
        if member.holds > 0:
            return
        del members[key]
        self._rosters[room].remove(member.nick, is_guest_owner(member.owner))
        self._owners[member.owner] -= 1
        if self._owners[member.owner] <= 0:
            del self._owners[member.owner]
        if not members:
            del self._members[room]
            del self._rosters[room]
            del self._online[bisect.bisect_left(self._online, room)]
            if self._claims.get(room_key(room)) == room:
                del self._claims[room_key(room)]
        if member.told:
            self._announce("leave", room, member)

    async def accounts_online(self, account_ids: Sequence[int]) -> set[int]:
        """Those of the accounts holding a member in some room."""
        return {account_id for account_id in account_ids if account_owner(account_id) in self._owners}

    async def accounts_in(self, room: str) -> set[int]:
        """The accounts holding a member in the room."""
        owners = (owner_account(member.owner) for member in self._members.get(room, {}).values())
        return {account_id for account_id in owners if account_id is not None}

    def _announce(self, event: str, room: str, member: _Member) -> None:
        users = len(self._members.get(room, ()))
        guest = is_guest_owner(member.owner)
        self._deliver(room, PresenceEvent(event, room, member.nick, users, now_ms(), guest))

    async def typing(self, room: str, nick: str, thread: int | None = None) -> None:
        """Tell the room that ``nick`` is typing (in the thread of ``thread``, when not None)."""
        self._deliver(room, TypingEvent(room, nick, thread))

    def _deliver(self, room: str, event: PresenceEvent | TypingEvent) -> None:
        sink = self._sinks.get(room)
        if sink is not None:
            sink([event])

    async def online_rooms(self, *, prefix: str, after: str, limit: int) -> list[str]:
        """A page of the rooms with members, by bisection."""
        start = max(bisect.bisect_right(self._online, after), bisect.bisect_left(self._online, prefix))
        return [room for room in self._online[start : start + limit] if room.startswith(prefix)]

    async def online_counts(self, rooms: Sequence[str]) -> list[int]:
        """Members per room."""
        return [len(self._members.get(room, ())) for room in rooms]

    async def claim_room(self, room: str) -> str | None:
        """Hold ``room``'s look-alike key while it has members."""
        holder = self._claims.setdefault(room_key(room), room)
        if holder != room and not self._members.get(holder):
            # The holder emptied before anyone joined it: its claim is stale.
            self._claims[room_key(room)] = holder = room
        return None if holder == room else holder

    async def healthy(self) -> bool:
        """Always: there is nothing to reach."""
        return True
