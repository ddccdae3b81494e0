"""What a chat socket keeps once live, and no more: members may stay connected for days.

Measured with 3,000 idle members (docs/benchmarks/fanout.md, *Idle members*), a
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

from .fanout import send_now, writes_directly
from .frame_reader import OP_PONG, OP_TEXT, Failed, FrameReader, Received
from .pings import PingSweep
from .push_stream import PushReadStream

# Read-only stand-ins for what a live member no longer needs (forget_handshake); never written to.
_NO_HEADERS = tornado.httputil.HTTPHeaders()
_NO_ARGUMENTS: dict[str, list[bytes]] = {}
_NO_UI = tornado.util.ObjectDict()
# An unmasked ping frame with no payload.
PING_FRAME = b"\x89\x00"


class LiveProtocol(tornado.websocket.WebSocketProtocol13):
    """Tornado's protocol, with frames pushed through a FrameReader (frame_reader.py) where the stream can.

    On a push_stream.py ``PushReadStream`` (every connection the server's
    listener accepts) each read is parsed at once and nothing waits between
    frames; on another stream, Tornado's frame loop runs in a task of its
    own. Either way the upgrade's coroutines end once the member is in.
    Tornado still answers pings and close frames and writes every frame.
    """

    receiving: asyncio.Future[None] | None = None
    reader: FrameReader | None = None

    async def _receive_frame_loop(self) -> None:
        stream = self.stream
        if isinstance(stream, PushReadStream) and self._decompressor is None:
            self.reader = FrameReader(self.params.max_message_size)
            stream.set_close_callback(self._stream_closed)
            stream.push_reads_to(self._frames_arrived)
            return
        # Held here: the loop keeps only a weak reference to a task.
        self.receiving = asyncio.ensure_future(super()._receive_frame_loop())

    def reads_apart(self) -> bool:
        """Whether frames are read by something that outlives the upgrade (a pushing stream or a task)."""
        return self.reader is not None or self.receiving is not None

    def _frames_arrived(self, data: bytes) -> None:
        assert self.reader is not None
        for frame in self.reader.feed(data):
            if self.client_terminated:
                return
            if type(frame) is Failed:
                self.close(frame.code, frame.reason)
                self._abort()
                return
            assert type(frame) is Received
            opcode = frame.opcode
            if opcode == OP_TEXT:
                self._run_callback(self.handler.on_message, frame.payload)
            elif opcode == OP_PONG:
                self._received_pong = True
                self._run_callback(self.handler.on_pong, frame.payload)
            else:
                assert isinstance(frame.payload, bytes)
                self._handle_message(opcode, frame.payload)  # binary, ping and close: as Tornado answers them

    def _stream_closed(self) -> None:
        self._abort()
        self.handler.on_ws_connection_close(self.close_code, self.close_reason)


class LiveSocketHandler(tornado.websocket.WebSocketHandler):
    """A WebSocket handler that keeps little once live, pinged by a PingSweep.

    The subclass sets ``pings`` in ``initialize`` and registers with it once open.
    """

    pings: PingSweep[Any]

    def get_websocket_protocol(self) -> tornado.websocket.WebSocketProtocol | None:
        tornado_s = super().get_websocket_protocol()
        if not isinstance(tornado_s, tornado.websocket.WebSocketProtocol13):
            return tornado_s
        return LiveProtocol(self, False, tornado_s.params)

    def frames_read_apart(self) -> bool:
        """Whether this socket's frames are read by something that outlives ``get``."""
        connection = self.ws_connection
        return isinstance(connection, LiveProtocol) and connection.reads_apart()

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
        if stream.writing() or not writes_directly(stream):
            stream.write(PING_FRAME)
            return
        sent = send_now(stream, PING_FRAME)
        if sent is not None and sent < len(PING_FRAME):
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
