"""What Redis has confirmed of a subscription connection's rooms' channels, kept Sans-I/O.

The subscription (redis_subscription.py) asks Redis to SUBSCRIBE and
UNSUBSCRIBE channels and reads the answers from the same connection; the
publisher (redis_publisher.py) leaves out the frames of a room only this node
hears, so what it is told must never be more than the truth. A channel is
heard once Redis confirmed its subscription and every request since was
answered: an answer read while another request of the channel is on its way
is not to be believed.
"""

from __future__ import annotations

import asyncio
from collections import Counter, defaultdict
from collections.abc import Iterable

from .base import BusError


class ChannelLedger:
    """The channels heard, the requests unanswered, and who waits for a confirmation."""

    def __init__(self) -> None:
        self.heard: set[bytes] = set()
        self._unanswered: Counter[bytes] = Counter()
        self._confirmations: dict[bytes, list[asyncio.Future[None]]] = defaultdict(list)

    def asked(self, channels: Iterable[bytes]) -> None:
        """A SUBSCRIBE or UNSUBSCRIBE of the channels is on its way: no longer heard until answered."""
        channels = list(channels)
        self.heard.difference_update(channels)
        self._unanswered.update(channels)

    def left(self, channels: Iterable[bytes]) -> None:
        """The node stopped listening to the channels: not heard, whatever Redis says next."""
        self.heard.difference_update(channels)

    def confirmation(self, channel: bytes) -> asyncio.Future[None]:
        """A future resolved when Redis confirms a subscription of the channel (failed when lost)."""
        confirmed: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._confirmations[channel].append(confirmed)
        return confirmed

    def answered(self, channel: bytes, subscribed: bool, *, wanted: bool) -> None:
        """Redis answered a SUBSCRIBE (``subscribed``) or an UNSUBSCRIBE of the channel; ``wanted``:
        whether the node still listens to it."""
        self._unanswered[channel] -= 1
        if self._unanswered[channel] <= 0:
            del self._unanswered[channel]
            if subscribed and wanted:
                self.heard.add(channel)
        if subscribed:
            for future in self._confirmations.pop(channel, []):
                if not future.done():
                    future.set_result(None)

    def lost(self) -> None:
        """The connection is gone: nothing is heard, and nothing waiting will be confirmed."""
        self.heard.clear()
        self._unanswered.clear()
        waiting = [future for futures in self._confirmations.values() for future in futures]
        self._confirmations.clear()
        for future in waiting:
            if not future.done():
                future.set_exception(BusError("the Redis subscription was lost"))
