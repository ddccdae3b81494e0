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
from .store.acts_base import ActStore, ModerationAct
from .store.base import StoreError

# Who moderated whom, one line an act (docs/operations.md, "Logs"), on whichever node it was done; the
# same acts are kept in the store's history, which administrators read in the page.
audit = logging.getLogger("chatroom.moderation")


async def keep_act(accounts: ActStore, act: ModerationAct) -> None:
    """Keep an act that is done in the moderation history; a failure is logged, not raised.

    Written after the act, not with it: a deactivation or a removal is stored
    by its own transaction and told to every node, a guest's removal is not
    stored at all (the node holding the guest bars its address), and a
    history that cannot be written must not turn a done act into an error
    the administrator would retry. The log line says it all the same.
    (A deletion of another's message is written by the store, in the
    transaction that deletes it: acts_base.py.)
    """
    try:
        await accounts.record_act(act)
    except StoreError as error:
        audit.warning("cannot keep %s of %r by %r in the history: %s", act.act, act.subject, act.actor, error)


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


def sessions_ended(count: int) -> str:
    """How many sessions a sign-out ended, in words: the detail its act keeps."""
    return f"{count} session{'' if count == 1 else 's'} ended"
