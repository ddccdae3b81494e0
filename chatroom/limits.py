"""Limits: token buckets for messages and new rooms, a window of refusals."""

from __future__ import annotations

import ipaddress
import time
from collections import deque

SWEEP_AT_LEAST = 1024


class TokenBucket:
    """Allows ``rate`` events a second on average, with bursts of ``burst``."""

    __slots__ = ("_tokens", "_updated", "burst", "rate")

    def __init__(self, rate: float, burst: int, now: float | None = None) -> None:
        self.rate = rate
        self.burst = burst
        self._tokens = float(burst)
        self._updated = time.monotonic() if now is None else now

    def take(self, now: float | None = None) -> bool:
        """Spend one token if there is one."""
        now = time.monotonic() if now is None else now
        self._tokens = min(self.burst, self._tokens + (now - self._updated) * self.rate)
        self._updated = now
        if self._tokens >= 1:
            self._tokens -= 1
            return True
        return False


class RefusalWindow:
    """Counts refusals over the last ``window`` seconds."""

    __slots__ = ("_times", "limit", "window")

    def __init__(self, limit: int, window: float) -> None:
        self.limit = limit
        self.window = window
        self._times: deque[float] = deque()

    def record(self, now: float | None = None) -> bool:
        """Record a refusal; True when more than ``limit`` fell in the window."""
        now = time.monotonic() if now is None else now
        self._times.append(now)
        while self._times and self._times[0] <= now - self.window:
            self._times.popleft()
        return len(self._times) > self.limit


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
    """A token bucket per key (a client address): ``per_minute`` a minute, bursts as big.

    A bucket that has filled up again is the same as no bucket, so such
    buckets are forgotten now and then: memory follows the addresses active
    in the last minute, not every address ever seen.
    """

    __slots__ = ("_buckets", "_next_sweep", "burst", "rate")

    def __init__(self, per_minute: int) -> None:
        self.rate = per_minute / 60.0
        self.burst = per_minute
        self._buckets: dict[str, tuple[float, float]] = {}
        self._next_sweep = SWEEP_AT_LEAST

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
