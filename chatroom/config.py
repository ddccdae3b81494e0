"""Settings: every option of the server, with PROTOCOL.md's defaults."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Settings:
    """Everything the server can be told, from flags, environment or tests."""

    port: int = 8888
    address: str = "127.0.0.1"
    # sqlite:///path, a bare path, :memory:, or postgresql://...
    database: str = "chatroom.db"
    redis_url: str | None = None
    # Seconds a dead node's members stay listed on the others; nodes refresh a third of it.
    redis_presence_ttl: float = 15.0
    processes: int = 1
    # With several processes: leave a room's members where the kernel put them
    # instead of gathering each room in one worker (room_affinity.py).
    spread_rooms: bool = False
    origins: tuple[str, ...] = ()
    # Open rooms can be joined with just a nick, as in version 1 (and v1 clients work there).
    guests: bool = False
    jwt_secret: str | None = None
    # Bots' webhooks may reach loopback, private and link-local addresses.
    webhook_allow_private: bool = False
    # Seconds a webhook call may take, connecting included.
    webhook_timeout: float = 5.0
    # The server reads the pages linked in messages and shows a card under them (preview_fetch.py).
    link_previews: bool = True
    # Link previews may read pages on loopback, private and link-local addresses and this machine's own.
    preview_allow_private: bool = False
    # Web Push may reach loopback and private addresses, over plain http too (a test receiver).
    push_allow_private: bool = False
    # Whom push services may contact about our pushes (VAPID "sub": mailto: or https:).
    push_contact: str | None = None
    history: int = 50
    max_message_length: int = 4000
    max_frame_bytes: int = 65536
    rate: float = 10.0
    burst: int = 20
    ping_interval: float = 20.0
    ping_timeout: float = 10.0
    max_backlog_bytes: int = 1048576
    max_connections_per_ip: int = 0
    # Rooms one address may create a minute by joining them (0: no limit).
    new_rooms_per_minute: int = 20
    # Joins an address may make a second, and at once (0: no limit); a room
    # takes ten times as many from all addresses together.
    join_rate: float = 5.0
    join_burst: int = 30
    xheaders: bool = False
    log_level: str = "info"
    sqlite_synchronous: str = "full"
    # Where uploaded files live; None: beside a SQLite file (<file>.files), in a PostgreSQL database.
    files_dir: str | None = None
    # Refusals tolerated from one connection within refusal_window seconds
    # before it is closed 1008 (PROTOCOL.md: more than 20 within 10 s).
    max_refusals: int = 20
    refusal_window: float = 10.0
    # Join and leave notices a room's members get at once, then a second;
    # beyond that they are coalesced (chatroom/presence.py). A rate of 0: never.
    presence_burst: int = 10
    presence_rate: float = 4.0
    # How long members are given to receive close 1001 on shutdown.
    shutdown_grace: float = 2.0
    # The largest upload, in bytes as sent.
    max_upload_bytes: int = 25 * 1024 * 1024
    # Uploads (files and avatars) one account may make a minute, in bursts of as many (0: no limit).
    uploads_per_minute: int = 30
    # Messages and changes one bot may make a minute through the HTTP API, in bursts of as many (0: no
    # limit): a bot's key in a loop is not a flood on every member's screen (on its socket, --rate).
    bot_messages_per_minute: int = 120
    # The bytes all stored files may take together, thumbnails included (0: no limit).
    files_quota_bytes: int = 0
