"""Server time as frames and rows carry it: a module of its own, so that any layer may ask it."""

from __future__ import annotations

import time


def now_ms() -> int:
    """Server time in milliseconds since the epoch, as frames carry it."""
    return time.time_ns() // 1_000_000
