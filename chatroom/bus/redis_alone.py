"""Rooms no other node subscribes to: their frames for the other nodes are held, not sent to Redis.

A node serving a room alone (each room is served by one worker, or room
affinity at the proxy) has nobody to publish the room's messages to. The
publish script says which channels it found so (redis_publisher.py); for
ALONE_FOR seconds after that, a commit's frames for such a room are held
here instead of costing a command, and go out with the next command, which
publishes them if another node has subscribed meanwhile. So every frame
still passes through the script, which publishes it to whoever subscribes
when it runs; a node that subscribed before that reads the rest from the
store, as it always has.

What bounds the wait of a node that has just subscribed:

- it says so on the room's channel (a *hello*, redis_subscription.py), and
  the node holding the room's frames sends them at once and holds no more;
- whatever happens to the hello (lost, or the subscriber is a version that
  sends none), held frames go out within ALONE_FOR, and a finding is
  trusted no longer than that.

A finding is void once a hello for its room was heard after its command was
sent (Redis may have run the command before the subscription), and when the
node's subscription is on another connection (its own channel changed).
"""

from __future__ import annotations

from collections.abc import Iterable, Set

ALONE_FOR = 0.25
# Findings kept before the expired ones are swept (one per room served).
_SWEEP_AT = 4096

Frame = tuple[bytes, bytes]


class AloneRooms:
    """What the last commands found alone, and the frames held meanwhile."""

    def __init__(self, alone_for: float = ALONE_FOR) -> None:
        self.alone_for = alone_for
        # channel -> (the own channel it was found with, when its command was sent)
        self._found: dict[bytes, tuple[bytes, float]] = {}
        self._held: list[Frame] = []
        self._hellos = 0
        self._last_hello: dict[bytes, int] = {}

    @property
    def holding(self) -> bool:
        """Whether frames wait for the next command."""
        return bool(self._held)

    @property
    def hellos(self) -> int:
        """How many hellos were heard so far: a command notes it when it is sent."""
        return self._hellos

    def may_hold(self, channel: bytes, own_channel: bytes, now: float) -> bool:
        """Whether the channel was found alone, on this connection, less than ``alone_for`` ago."""
        found = self._found.get(channel)
        return found is not None and found[0] == own_channel and now - found[1] < self.alone_for

    def hold(self, frame: Frame) -> None:
        """Keep a frame for the next command."""
        self._held.append(frame)

    def take_held(self) -> list[Frame]:
        """The frames held, in the order they came; none are held after."""
        held, self._held = self._held, []
        return held

    def learned(
        self, own_channel: bytes, sent_at: float, hellos: int, asked: Iterable[bytes], alone: Set[bytes]
    ) -> None:
        """A command sent at ``sent_at`` (after ``hellos`` hellos) asked about ``asked``: ``alone`` had
        no other subscriber."""
        for channel in asked:
            if channel in alone and self._last_hello.get(channel, 0) <= hellos:
                self._found[channel] = (own_channel, sent_at)
            else:
                self._found.pop(channel, None)
        if len(self._found) > _SWEEP_AT:
            self._sweep(sent_at)

    def hello(self, channel: bytes) -> bool:
        """Another node subscribed to the channel: whether frames are held (to be sent at once)."""
        self._hellos += 1
        self._last_hello[channel] = self._hellos
        self._found.pop(channel, None)
        return self.holding

    def _sweep(self, now: float) -> None:
        for channel, (_, found_at) in list(self._found.items()):
            if now - found_at >= self.alone_for:
                del self._found[channel]
