"""Barring guests: a removed guest's address is kept out of guest access for a while, on every node.

An administrator removes a guest from a room (api_admin.py): every node is
told (events.GuestNotice); the node the guest is connected to closes that
connection with ``forbidden`` / 4403 and writes a bar on its address into
the store, with the time it ends. Every node reads the store when a guest
connects, so the bar holds wherever the guest comes back: a bar kept in one
node's memory would not, and one carried on the bus would be lost to a node
that starts (or whose bus reconnects) after it was sent.
"""

from __future__ import annotations

import datetime
import logging
from typing import Any

from . import metrics, protocol

# Who moderated whom, one line an act (docs/operations.md, "Logs"): what an administrator reads to know
# who deactivated, deleted or removed what, on whichever node it was done.
audit = logging.getLogger("chatroom.moderation")


def bar_refusal(until: int | None) -> dict[str, Any] | None:
    """The error frame that turns away a guest whose address is barred ``until`` (the store's
    guest_barred_until, or Store.way_in's barred_until); None when it is not barred."""
    if until is None:
        return None
    metrics.REFUSALS.labels(protocol.FORBIDDEN).inc()
    return protocol.error_frame(
        protocol.FORBIDDEN,
        f"an administrator removed you: guests from your address may return after {when(until)}",
    )


def when(ms: int) -> str:
    """A time (ms since 1970) as people read it, in UTC."""
    return datetime.datetime.fromtimestamp(ms / 1000, datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
