"""The names of the Redis bus's keys and channels (redis.py's docstring says what each holds).

The Lua scripts in redis_scripts.py build the same names from the prefix:
a name changed here must change there too.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RedisKeys:
    """Every name under one deployment's ``prefix``, for the node ``node_id``."""

    prefix: str
    node_id: str

    def room(self, room: str, suffix: str = "") -> str:
        """``room:R`` and the keys beside it (``:members``)."""
        return f"{self.prefix}room:{room}{suffix}"

    def holds(self, room: str, key: str) -> str:
        """The nodes holding a member (by its nick key), and what the room was told of it."""
        return self.room(room, f":holds\n{key}")

    def channel(self, room: str) -> bytes:
        """The room's pub/sub channel."""
        return self.room(room, ":events").encode()

    def room_of_channel(self, channel: bytes) -> str:
        """The room whose channel this is."""
        return channel.decode()[len(self.prefix) + len("room:") : -len(":events")]

    def node(self, suffix: str = "") -> str:
        """``node:N`` (this node's liveness key) and the keys beside it."""
        return f"{self.prefix}node:{self.node_id}{suffix}"

    def own_channel(self, connection: str) -> bytes:
        """The channel of this node's subscription on one connection: its health checks go there.

        A name for each connection: one that is still subscribed proves to
        Redis that this connection is the one the node reads (redis_publisher.py).
        """
        return self.node(f":events:{connection}").encode()

    @property
    def notices_channel(self) -> bytes:
        """The deployment's channel of notices (changes to rooms and accounts)."""
        return (self.prefix + "notices").encode()

    def failures(self, key: str) -> str:
        """The recent failures of ``key`` (an account name, an address)."""
        return f"{self.prefix}failures:{key}"

    def allowance(self, key: str) -> str:
        """When ``key``'s allowance (an account's forwards, say) is next spent in full, in ms."""
        return f"{self.prefix}allowance:{key}"

    @property
    def nodes(self) -> str:
        """The set of the deployment's nodes."""
        return self.prefix + "nodes"

    @property
    def online_names(self) -> str:
        """The rooms with members, sorted by name."""
        return self.prefix + "online-names"

    @property
    def room_claims(self) -> str:
        """Look-alike key -> the room with members holding it."""
        return self.prefix + "room-claims"
