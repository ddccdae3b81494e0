"""Per-connection limits: a token bucket for messages, a window of refusals."""

from __future__ import annotations

import time
from collections import deque


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
