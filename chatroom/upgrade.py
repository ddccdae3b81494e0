"""The chat socket's upgrade: who may open one, checked before the upgrade is answered.

A browser from another origin gets 403 (Tornado's check_origin); too many
connections from one client, joins over the address's or the room's rate,
or a new room over the address's allowance get 429 with a JSON error and
Retry-After. Only upgrades Tornado would accept count against the limits.
"""

from __future__ import annotations

import math
from collections import Counter as Tally
from typing import Any

from . import auth, limits, metrics, protocol
from .allowances import Allowance
from .backend import Backend, BackendError
from .config import Settings
from .limits import JoinLimit
from .live_socket import LiveSocketHandler
from .protocol import ProtocolError
from .store.base import StoreError


class ConnectionCounter:
    """Concurrent connections per client, for --max-connections-per-ip.

    An IPv6 client is counted by its /64 network, which one subscriber
    usually holds whole: otherwise every address of it would have a limit of
    its own. An IPv4-mapped IPv6 address counts as its IPv4 address.
    """

    def __init__(self) -> None:
        self._open: Tally[str] = Tally()

    @staticmethod
    def client(address: str) -> str:
        """The key ``address`` is counted under."""
        # A zone id (fe80::1%eth0) names the link, not the client.
        return limits.address_key(address.split("%", 1)[0])

    def acquire(self, address: str, limit: int) -> bool:
        """Count one more connection from ``address`` unless its client is at ``limit``."""
        key = self.client(address)
        if limit and self._open[key] >= limit:
            return False
        self._open[key] += 1
        return True

    def release(self, address: str) -> None:
        """Forget one connection from ``address``."""
        key = self.client(address)
        self._open[key] -= 1
        if self._open[key] <= 0:
            del self._open[key]

    def total(self) -> int:
        """Connections counted now, from every client."""
        return sum(self._open.values())


class GuardedSocketHandler(LiveSocketHandler):
    """A WebSocket handler whose upgrade is refused with 403 or 429 when it must be."""

    # Set by the subclass's initialize(), from the URL table.
    config: Settings
    backend: Backend
    connections: ConnectionCounter
    new_rooms: Allowance
    joins: JoinLimit
    # Whether this socket's connection stays counted until it closes (it got past the upgrade).
    _counted_until_closed = False

    async def get(self, *args: Any, **kwargs: Any) -> None:
        """Refuse the upgrade with 429 when the client has too many WebSockets.

        This counts what the listener cannot: behind a proxy (--xheaders)
        every connection comes from the proxy, so here the forwarded address
        is counted. Without --xheaders the listener has already counted this
        connection among all of its address's, so this check never refuses.
        """
        address = self.request.remote_ip or ""
        if not self.connections.acquire(address, self.config.max_connections_per_ip):
            self._refuse_upgrade("too_many_connections", "too many connections from this address")
            return
        try:
            if self._join_refused(address) or await self._new_room_refused(address):
                return
            await super().get(*args, **kwargs)
        finally:
            if self.frames_read_apart():
                self._counted_until_closed = True  # the frame loop runs on: on_ws_connection_close releases
            else:
                self.connections.release(address)

    def on_ws_connection_close(self, close_code: int | None = None, close_reason: str | None = None) -> None:
        """The socket is closed: its connection counts no more."""
        try:
            super().on_ws_connection_close(close_code, close_reason)
        finally:
            if self._counted_until_closed:
                self._counted_until_closed = False
                self.connections.release(self.request.remote_ip or "")

    async def _new_room_refused(self, address: str) -> bool:
        """Answer 429 too_many_rooms when this upgrade would create a room over the limit.

        Creating is joining a room with no history and nobody in it. Only
        upgrades that Tornado will accept count, so a page of another origin
        cannot spend a visitor's allowance.
        """
        per_minute = self.config.new_rooms_per_minute
        if not per_minute or not self._upgrade_would_pass():
            return False
        try:
            room = protocol.normalize_room(self.query("room", "lobby"))
            if await self.backend.room_exists(room) or await self.backend.accounts.room_record(room):
                return False
        except (ProtocolError, BackendError, StoreError):
            return False  # open() answers a bad name or a store away, after the upgrade
        if not await self.new_rooms.spend(limits.address_key(address)):
            metrics.ROOMS_CREATED.inc()
            return False
        message = (
            f"too many new rooms from this address (at most {per_minute} a minute):"
            " join an existing room, or try again later"
        )
        self._refuse_upgrade("too_many_rooms", message, retry_after=60 / per_minute)
        return True

    def _join_refused(self, address: str) -> bool:
        """Answer 429 too_many_joins when the address or the room joins faster than allowed.

        Like room creation, only upgrades that Tornado will accept count.
        """
        if not self.joins.enabled or not self._upgrade_would_pass():
            return False
        try:
            room: str | None = protocol.normalize_room(self.query("room", "lobby"))
        except ProtocolError:
            room = None  # open() refuses the name; the attempt still counts for the address
        refusal = self.joins.admit(limits.address_key(address), room)
        if refusal is not None:
            self._refuse_upgrade("too_many_joins", refusal.message, retry_after=refusal.retry_after)
        return refusal is not None

    def _refuse_upgrade(self, code: str, message: str, retry_after: float | None = None) -> None:
        """Answer 429 with a JSON error instead of the upgrade; Retry-After in whole seconds."""
        metrics.UPGRADES_REFUSED.labels(code).inc()
        self.set_status(429)
        self.set_header("Content-Type", "application/json")
        if retry_after is not None:
            self.set_header("Retry-After", str(max(1, math.ceil(retry_after))))
        self.finish(protocol.api_error_body(code, message))

    def _upgrade_would_pass(self) -> bool:
        """Whether this request is a WebSocket upgrade from an allowed origin, as Tornado judges."""
        headers = self.request.headers
        if headers.get("Upgrade", "").lower() != "websocket":
            return False
        origin = headers.get("Origin") if "Origin" in headers else headers.get("Sec-Websocket-Origin")
        return origin is None or auth.origin_allowed(origin, self.request.host, self.config.origins)

    def check_origin(self, origin: str) -> bool:
        """The server's own host, or an origin given with --origin."""
        allowed = auth.origin_allowed(origin, self.request.host, self.config.origins)
        if not allowed:
            metrics.UPGRADES_REFUSED.labels("origin").inc()
        return allowed

    def query(self, name: str, default: str = "") -> str:
        """A query argument exactly as sent.

        Tornado's get_argument turns control characters into spaces and trims;
        names must be judged on what the client really sent.
        """
        values = self.request.query_arguments.get(name)
        return values[-1].decode("utf-8", errors="replace") if values else default
