"""The Prometheus metrics, defined once for the whole process."""

from __future__ import annotations

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
    generate_latest,
)

# One series per counter, not two: the *_created timestamps add nothing a
# scraper needs (process_start_time_seconds says when counting began).
disable_created_metrics()  # type: ignore[no-untyped-call]

CONNECTIONS_OPEN = Gauge("chatroom_connections_open", "WebSocket connections open")
ROOMS_ACTIVE = Gauge("chatroom_rooms_active", "Rooms with a member connected to this process")
MESSAGES_RECEIVED = Counter("chatroom_messages_received", "Chat messages received from clients and the API")
MESSAGES_STORED = Counter("chatroom_messages_stored", "Chat messages durably stored")
MESSAGES_DELIVERED = Counter(
    "chatroom_messages_delivered", "Frames handed to members' connections by broadcasts"
)
PREVIEW_FETCHES = Counter(
    "chatroom_preview_fetches",
    "Pages and pictures read for link previews, by outcome: done, refused (address, type, size, rate,"
    " busy), failed",
    ["outcome"],
)
REFUSALS = Counter("chatroom_refusals", "Client frames refused or dropped, by error code", ["reason"])
UPGRADES_REFUSED = Counter(
    "chatroom_upgrades_refused",
    "WebSocket upgrades refused before the handshake: origin (403), too_many_connections (429),"
    " too_many_rooms (429), too_many_joins (429)",
    ["reason"],
)
ROOMS_CREATED = Counter(
    "chatroom_rooms_created", "Joins that created a room: it had no history and nobody in it"
)
TCP_CONNECTIONS_OPEN = Gauge(
    "chatroom_tcp_connections_open", "Accepted connections open: HTTP, WebSocket, and not yet identified"
)
ACCEPT_PAUSES = Counter(
    "chatroom_accept_pauses",
    "times accepting paused for a moment because many joins waited for their turn (a join storm)",
)
ACCEPT_FAILURES = Counter(
    "chatroom_accept_failures",
    "accept() failures that paused accepting, by errno name (EMFILE: out of descriptors)",
    ["reason"],
)
CONNECTIONS_REFUSED = Counter(
    "chatroom_connections_refused",
    "Connections answered 429 and closed at once: too_many_connections (--max-connections-per-ip)",
    ["reason"],
)
CONNECTIONS_HANDED = Counter(
    "chatroom_connections_handed",
    "Chat sockets in another worker's room (--processes): handed to that worker, or kept here"
    " because its queue was full",
    ["outcome"],
)
REQUEST_HEAD_TIMEOUTS = Counter(
    "chatroom_request_head_timeouts",
    "Connections closed for sending no complete request head in time after being accepted",
)
SLOW_CLIENTS_DISCONNECTED = Counter(
    "chatroom_slow_clients_disconnected", "Members cut off with 1013 for falling behind"
)
CLOSES = Counter("chatroom_closes", "WebSocket sessions ended, by close code", ["code"])
STORE_WRITABLE = Gauge(
    "chatroom_store_writable", "1 while the SQLite store's last write or write probe succeeded, else 0"
)
STORE_WRITE_PROBES = Counter(
    "chatroom_store_write_probes", "Write probes of the SQLite store, by result", ["result"]
)
PUSHES = Counter(
    "chatroom_pushes",
    "Web Push requests, by result: sent, gone (the device unsubscribed), failed, dropped (queue full)",
    ["result"],
)
FILE_BYTES_STORED = Gauge(
    "chatroom_file_bytes_stored",
    "Bytes of every stored file, thumbnails and avatars included (the deployment's, as its store counts)",
)
UPLOADS = Counter("chatroom_uploads", "Files and avatars uploaded and stored by this process")
UPLOADS_REFUSED = Counter(
    "chatroom_uploads_refused",
    "Uploads refused, by error code: too_large (413), rate_limited (429), quota_exceeded (507),"
    " refused_image (422)",
    ["reason"],
)
STORE_SECONDS = Histogram(
    "chatroom_store_seconds",
    "Time from receiving a message to its durable storage",
    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0),
)
BROADCAST_SECONDS = Histogram(
    "chatroom_broadcast_seconds",
    "Time from a broadcast's first write until every local member has it written or queued",
    buckets=(0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1),
)


# Close codes worth a label of their own. A client chooses the code of the
# close frame it sends, so any other code is counted as "other": otherwise
# each invented code would add a time series for as long as the process runs.
NAMED_CLOSE_CODES = frozenset(
    {1000, 1001, 1002, 1003, 1005, 1006, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 4400, 4401, 4409}
)


def close_label(code: int) -> str:
    """The ``code`` label of chatroom_closes for a session that ended with ``code``."""
    return str(code) if code in NAMED_CLOSE_CODES else "other"


def render() -> tuple[bytes, str]:
    """The metrics in Prometheus text format, and their content type."""
    return generate_latest(), CONTENT_TYPE_LATEST
