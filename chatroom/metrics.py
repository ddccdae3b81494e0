"""The Prometheus metrics, defined once for the whole process."""

from __future__ import annotations

from prometheus_client import CONTENT_TYPE_LATEST, Counter, Gauge, Histogram, generate_latest

CONNECTIONS_OPEN = Gauge("chatroom_connections_open", "WebSocket connections open")
ROOMS_ACTIVE = Gauge("chatroom_rooms_active", "Rooms with a member connected to this process")
MESSAGES_RECEIVED = Counter("chatroom_messages_received", "Chat messages received from clients and the API")
MESSAGES_STORED = Counter("chatroom_messages_stored", "Chat messages durably stored")
MESSAGES_DELIVERED = Counter(
    "chatroom_messages_delivered", "Frames handed to members' connections by broadcasts"
)
REFUSALS = Counter("chatroom_refusals", "Client frames refused or dropped, by error code", ["reason"])
SLOW_CLIENTS_DISCONNECTED = Counter(
    "chatroom_slow_clients_disconnected", "Members cut off with 1013 for falling behind"
)
CLOSES = Counter("chatroom_closes", "WebSocket sessions ended, by close code", ["code"])
STORE_SECONDS = Histogram(
    "chatroom_store_seconds",
    "Time from receiving a message to its durable storage",
    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0),
)
BROADCAST_SECONDS = Histogram(
    "chatroom_broadcast_seconds",
    "Time to hand one broadcast to every local member",
    buckets=(0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1),
)


def render() -> tuple[bytes, str]:
    """The metrics in Prometheus text format, and their content type."""
    return generate_latest(), CONTENT_TYPE_LATEST
