"""Limits: token buckets for messages, joins and new rooms, a window of refusals, sign-in failures."""

from __future__ import annotations

import functools
import ipaddress
import time
from collections import deque
from dataclasses import dataclass
from typing import Protocol

SWEEP_AT_LEAST = 1024
# A room takes this many times an address's joins, from all addresses together.
ROOM_JOINS_PER_ADDRESS = 10


class TokenBucket:
    """Allows ``rate`` events a second on average, with bursts of ``burst``."""

    __slots__ = ("_tokens", "_updated", "burst", "rate")

    def __init__(self, rate: float, burst: int, now: float | None = None) -> None:
        self.rate = rate
        self.burst = burst
        self._tokens = float(burst)
        self._updated = time.monotonic() if now is None else now

    def take(self, now: float | None = None, cost: float = 1.0) -> bool:
        """Spend ``cost`` tokens (at most a whole burst) if there are as many."""
        now = time.monotonic() if now is None else now
        self._tokens = min(self.burst, self._tokens + (now - self._updated) * self.rate)
        self._updated = now
        cost = min(cost, self.burst)
        if self._tokens >= cost:
            self._tokens -= cost
            return True
        return False


class RefusalWindow:
    """Counts refusals over the last ``window`` seconds."""

    __slots__ = ("_times", "limit", "window")

    def __init__(self, limit: int, window: float) -> None:
        self.limit = limit
        self.window = window
        # Made on the first refusal: an empty deque is some 600 bytes, and most members are never refused.
        self._times: deque[float] | None = None

    def record(self, now: float | None = None) -> bool:
        """Record a refusal; True when more than ``limit`` fell in the window."""
        now = time.monotonic() if now is None else now
        times = self._times
        if times is None:
            times = self._times = deque()
        times.append(now)
        while times and times[0] <= now - self.window:
            times.popleft()
        return len(times) > self.limit


# A join storm asks for the same few addresses' keys thousands of times.
@functools.lru_cache(maxsize=4096)
def address_key(address: str) -> str:
    """Whom a per-address limit counts: the IPv4 address, or the IPv6 /64.

    One host (or one customer of a provider) usually holds a whole IPv6 /64;
    counting single IPv6 addresses would let it pick a fresh one per request.
    """
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return address
    if isinstance(parsed, ipaddress.IPv6Address):
        if parsed.ipv4_mapped is not None:
            return str(parsed.ipv4_mapped)
        return str(ipaddress.IPv6Network((parsed, 64), strict=False))
    return str(parsed)


class KeyedTokenBuckets:
    """A token bucket per key (a client address, a room): ``rate`` a second, bursts of ``burst``.

    A bucket that has filled up again is the same as no bucket, so such
    buckets are forgotten now and then: memory follows the keys active
    in the time a bucket takes to fill, not every key ever seen.
    """

    __slots__ = ("_buckets", "_next_sweep", "burst", "rate")

    def __init__(self, rate: float, burst: int) -> None:
        self.rate = rate
        self.burst = burst
        self._buckets: dict[str, tuple[float, float]] = {}
        self._next_sweep = SWEEP_AT_LEAST

    @classmethod
    def per_minute(cls, per_minute: int) -> KeyedTokenBuckets:
        """``per_minute`` a minute, in bursts of as many."""
        return cls(per_minute / 60.0, per_minute)

    def take(self, key: str, now: float | None = None) -> bool:
        """Spend one of ``key``'s tokens if it has one."""
        now = time.monotonic() if now is None else now
        tokens = self._tokens(key, now)
        if tokens < 1:
            return False
        self._buckets[key] = (tokens - 1, now)
        if len(self._buckets) >= self._next_sweep:
            self._sweep(now)
        return True

    def spend(self, key: str, now: float | None = None) -> float:
        """Spend one of ``key``'s tokens: 0 when it had one, else the seconds until it has (nothing spent)."""
        now = time.monotonic() if now is None else now
        return 0.0 if self.take(key, now) else self.wait(key, now)

    def wait(self, key: str, now: float | None = None) -> float:
        """Seconds until ``key`` has a token: 0 when it has one now."""
        now = time.monotonic() if now is None else now
        return max(0.0, (1 - self._tokens(key, now)) / self.rate)

    def _tokens(self, key: str, now: float) -> float:
        held = self._buckets.get(key)
        if held is None:
            return float(self.burst)
        tokens, updated = held
        return min(float(self.burst), tokens + (now - updated) * self.rate)

    def _sweep(self, now: float) -> None:
        full = [key for key in self._buckets if self._tokens(key, now) >= self.burst]
        for key in full:
            del self._buckets[key]
        # Sweeping again only once the table has doubled keeps it amortised O(1).
        self._next_sweep = max(SWEEP_AT_LEAST, 2 * len(self._buckets))

    def __len__(self) -> int:
        return len(self._buckets)


@dataclass(frozen=True, slots=True)
class JoinRefusal:
    """Why a join must wait: whose limit (``address`` or ``room``), how many a second, how long."""

    scope: str
    rate: float
    retry_after: float

    @property
    def message(self) -> str:
        """The refusal in words, for the 429's JSON body."""
        whose = "from this address" if self.scope == "address" else "into this room"
        return f"too many joins {whose} (at most {self.rate:g} a second): wait a moment, then connect again"


class JoinLimit:
    """Joins per address (--join-rate a second, --join-burst at once) and per room.

    A room takes ROOM_JOINS_PER_ADDRESS times an address's allowance from
    all addresses together, so that many addresses cannot churn one room
    either. A join is counted only when both allow it.
    """

    __slots__ = ("by_address", "by_room", "enabled")

    def __init__(self, rate: float, burst: int) -> None:
        self.enabled = rate > 0 and burst > 0
        self.by_address = KeyedTokenBuckets(rate, burst)
        self.by_room = KeyedTokenBuckets(rate * ROOM_JOINS_PER_ADDRESS, burst * ROOM_JOINS_PER_ADDRESS)

    def admit(self, address: str, room: str | None, now: float | None = None) -> JoinRefusal | None:
        """Count a join from ``address`` (a key of address_key) to ``room``; None if allowed.

        ``room`` None (a name the server will refuse anyway) counts for the address alone.
        """
        if not self.enabled:
            return None
        now = time.monotonic() if now is None else now
        wait = self.by_address.wait(address, now)
        if wait > 0:
            return JoinRefusal("address", self.by_address.rate, wait)
        if room is not None:
            wait = self.by_room.wait(room, now)
            if wait > 0:
                return JoinRefusal("room", self.by_room.rate, wait)
            self.by_room.take(room, now)
        self.by_address.take(address, now)
        return None


class Throttle:
    """At most one event per ``interval`` seconds; the others are dropped."""

    def __init__(self, interval: float) -> None:
        self.interval = interval
        self._last = float("-inf")

    def allow(self, now: float) -> bool:
        """Whether an event at ``now`` goes through."""
        if now - self._last < self.interval:
            return False
        self._last = now
        return True


class FailureWindows:
    """Failures per key (an account name, an address) over the last ``window`` seconds.

    A key with ``limit`` failures in the window is blocked until the oldest
    of them is ``window`` old. Only the last ``limit`` times of a key are
    kept, and keys whose failures all lie outside the window are forgotten
    now and then, so memory follows the keys failing lately.
    """

    __slots__ = ("_failures", "_next_sweep", "limit", "window")

    def __init__(self, limit: int, window: float) -> None:
        self.limit = limit
        self.window = window
        self._failures: dict[str, deque[float]] = {}
        self._next_sweep = SWEEP_AT_LEAST

    def wait(self, key: str, now: float | None = None) -> float:
        """Seconds until ``key`` may try again: 0 when it may now."""
        now = time.monotonic() if now is None else now
        times = self._failures.get(key)
        if times is None or len(times) < self.limit:
            return 0.0
        return max(0.0, times[0] + self.window - now)

    def record(self, key: str, now: float | None = None) -> None:
        """Count one failure of ``key``."""
        now = time.monotonic() if now is None else now
        times = self._failures.setdefault(key, deque(maxlen=self.limit))
        times.append(now)
        if len(self._failures) >= self._next_sweep:
            self._sweep(now)

    def forget(self, key: str) -> None:
        """Clear ``key``'s failures (it succeeded)."""
        self._failures.pop(key, None)

    def _sweep(self, now: float) -> None:
        stale = [key for key, times in self._failures.items() if times[-1] <= now - self.window]
        for key in stale:
            del self._failures[key]
        self._next_sweep = max(SWEEP_AT_LEAST, 2 * len(self._failures))

    def __len__(self) -> int:
        return len(self._failures)


class FailureCounts(Protocol):
    """Where failures are counted: the backend, so that every node counts the same ones."""

    async def record_failure(self, key: str, limit: int, window: float) -> None: ...

    async def failure_wait(self, key: str, limit: int, window: float) -> float: ...

    async def forget_failures(self, key: str) -> None: ...


class SignInLimit:
    """Sign-in failures per account name and per address: after ``limit`` in ``window`` seconds, wait.

    Counted by the deployment (the bus), not by one process: ten failures
    spread over every node are ten. Whether the name belongs to an account
    makes no difference: an unknown name is counted and refused the same
    way, so the limit tells nothing. A success clears the name's count (not
    the address's: one address trying many names is what the address count
    is for).
    """

    __slots__ = ("counts", "limit", "window")

    def __init__(self, counts: FailureCounts, limit: int = 10, window: float = 600.0) -> None:
        self.counts = counts
        self.limit = limit
        self.window = window

    async def wait(self, name_key: str, address: str) -> float:
        """Seconds before this name from this address may try again: 0 when it may now."""
        by_name = await self.counts.failure_wait("n:" + name_key, self.limit, self.window)
        by_address = await self.counts.failure_wait("a:" + address, self.limit, self.window)
        return max(by_name, by_address)

    async def failed(self, name_key: str, address: str) -> None:
        """Count a failed sign-in."""
        await self.counts.record_failure("n:" + name_key, self.limit, self.window)
        await self.counts.record_failure("a:" + address, self.limit, self.window)

    async def succeeded(self, name_key: str) -> None:
        """A sign-in succeeded: the name starts afresh."""
        await self.counts.forget_failures("n:" + name_key)
