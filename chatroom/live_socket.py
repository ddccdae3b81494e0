"""What a chat socket keeps once live, and no more: members may stay connected for days.

Measured with 3,000 idle members (docs/benchmarks.md, *Idle members*), a
Tornado WebSocket holds on to much of what only its upgrade needed:

- the upgrade's coroutines (the request's ``_execute`` task, ``get``,
  ``accept_connection``... and the finished ``open``) wait, one inside the
  other, for as long as the socket is open, because the frame loop runs at
  the bottom of them: here the loop runs in a task of its own, so they end
  once ``open`` has;
- the request keeps its HTTP connection objects, their task and context, its
  headers, arguments and cookies: the live socket drops them;
- Tornado's pings are a task per connection: pings.PingSweep pings every
  member from one timer instead.
"""

from __future__ import annotations

import asyncio
from typing import Any

import tornado.httputil
import tornado.util
import tornado.websocket
from tornado.iostream import IOStream

from .pings import PingSweep

# Read-only stand-ins for what a live member no longer needs (forget_handshake); never written to.
_NO_HEADERS = tornado.httputil.HTTPHeaders()
_NO_ARGUMENTS: dict[str, list[bytes]] = {}
_NO_UI = tornado.util.ObjectDict()
# An unmasked ping frame with no payload.
PING_FRAME = b"\x89\x00"


class OwnLoopProtocol(tornado.websocket.WebSocketProtocol13):
    """Tornado's protocol, reading frames in a task of its own: the upgrade's coroutines can end."""

    receiving: asyncio.Future[None] | None = None

    async def _receive_frame_loop(self) -> None:
        # Held here: the loop keeps only a weak reference to a task.
        self.receiving = asyncio.ensure_future(super()._receive_frame_loop())


class LiveSocketHandler(tornado.websocket.WebSocketHandler):
    """A WebSocket handler that keeps little once live, pinged by a PingSweep.

    The subclass sets ``pings`` in ``initialize`` and registers with it once open.
    """

    pings: PingSweep[Any]

    def get_websocket_protocol(self) -> tornado.websocket.WebSocketProtocol | None:
        tornado_s = super().get_websocket_protocol()
        if not isinstance(tornado_s, tornado.websocket.WebSocketProtocol13):
            return tornado_s
        return OwnLoopProtocol(self, False, tornado_s.params)

    def frames_read_apart(self) -> bool:
        """Whether this socket's frames are read by a task of their own (it outlives ``get``)."""
        connection = self.ws_connection
        return isinstance(connection, OwnLoopProtocol) and connection.receiving is not None

    def forget_handshake(self) -> None:
        """Drop what only the upgrade needed: the request's headers, arguments, cookies and connection.

        Shared empty stand-ins keep every attribute valid for Tornado, which
        reads them only during the upgrade; ``remote_ip`` stays (the access log,
        the address of a guest).
        """
        request = self.request
        request.headers = _NO_HEADERS
        request.arguments = request.query_arguments = request.body_arguments = _NO_ARGUMENTS
        request.body = b""
        request.connection = None
        request.server_connection = None
        request.__dict__.pop("_cookies", None)
        self._headers = _NO_HEADERS
        # Tornado's template namespace (an object and a dict per request): never rendered here.
        self.ui = _NO_UI
        self._shed_write_queues()

    # --- pings (pings.PingSweep) ----------------------------------------------

    def send_ping(self) -> None:
        """Ping the client now, unless the connection is closing; an idle stream sheds its write queues first.

        The ping goes ahead of frames still queued for the member (a chat
        socket's outbox): behind them, a join storm's backlog could hold it
        past the timeout. Whatever the stream holds ends on a frame boundary.
        """
        connection = self.ws_connection
        if connection is None or connection.is_closing() or connection.stream is None:
            return
        stream = connection.stream
        self._shed_write_queues()
        direct = isinstance(stream, IOStream) and type(stream).write_to_fd is IOStream.write_to_fd
        if stream.writing() or not direct:
            stream.write(PING_FRAME)
            return
        try:
            sent = stream.socket.send(PING_FRAME)
        except BlockingIOError:
            sent = 0
        except OSError:
            return  # the stream sees the broken connection on its next read
        if sent < len(PING_FRAME):
            stream.write(PING_FRAME[sent:])

    def _shed_write_queues(self) -> None:
        connection = self.ws_connection
        # listener.AdmittedStream's; another stream keeps its queues.
        shed = getattr(connection and connection.stream, "shed_write_queues", None)
        if shed is not None:
            shed()

    def on_pong(self, data: bytes) -> None:
        """The client answered a ping."""
        self.pings.answered(self)

    def ping_timed_out(self) -> None:
        """Close as Tornado's own pings do: 1000 "ping timed out", the socket dropped 5 s later at most."""
        connection = self.ws_connection
        if connection is not None and not connection.is_closing():
            connection.close(reason="ping timed out")
