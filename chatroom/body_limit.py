"""A request whose declared body is over the limit gets a JSON 413, as every API error is JSON.

Tornado answers a ``Content-Length`` over the server's ``max_body_size`` with
a bare ``400 Bad Request`` and no body, then closes the connection with the
body unread, which resets it: a client still sending often never reads even
that. Here the head is checked first. Over the limit (64 KiB, server.py; an
upload raises its own, uploads.py), the connection is taken from Tornado,
answered ``413 {"error":"too_large",...}``, and what the client sends
meanwhile is read and dropped, up to DRAIN_BYTES or DRAIN_SECONDS, before it
is closed, so that the answer arrives. A chunked body without a length is
still Tornado's to refuse, once it passes the limit.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable

import tornado.http1connection
import tornado.httputil
import tornado.iostream

from . import protocol

log = logging.getLogger("chatroom.server")

# What a refused client may still send before the connection closes, and for how long.
DRAIN_BYTES = 8 * 1024 * 1024
DRAIN_SECONDS = 2.0
TOO_LARGE = "too_large"


def refusal(limit: int) -> bytes:
    """The whole 413 answer, head and body."""
    body = protocol.api_error_body(TOO_LARGE, f"a request body may hold at most {limit} bytes")
    head = (
        "HTTP/1.1 413 Payload Too Large\r\n"
        "Content-Type: application/json\r\n"
        "Cache-Control: no-store\r\n"
        "X-Content-Type-Options: nosniff\r\n"
        f"Content-Length: {len(body)}\r\n"
        "Connection: close\r\n\r\n"
    )
    return head.encode() + body


def declared_length(headers: tornado.httputil.HTTPHeaders) -> int | None:
    """The body's declared length; None when it has none or one Tornado refuses on its own."""
    try:
        return int(headers["Content-Length"])
    except (KeyError, ValueError):
        return None


class PassedThrough(tornado.httputil.HTTPMessageDelegate):
    """A request's delegate that hands everything to ``inner``: a subclass looks at what passes."""

    def __init__(self, inner: tornado.httputil.HTTPMessageDelegate) -> None:
        self.inner = inner

    def headers_received(
        self,
        start_line: tornado.httputil.RequestStartLine | tornado.httputil.ResponseStartLine,
        headers: tornado.httputil.HTTPHeaders,
    ) -> Awaitable[None] | None:
        return self.inner.headers_received(start_line, headers)

    def data_received(self, chunk: bytes) -> Awaitable[None] | None:
        return self.inner.data_received(chunk)

    def finish(self) -> None:
        self.inner.finish()

    def on_connection_close(self) -> None:
        self.inner.on_connection_close()


class BodyLimit(PassedThrough):
    """Passes one request through, unless its declared body is over the connection's limit."""

    def __init__(
        self, inner: tornado.httputil.HTTPMessageDelegate, connection: tornado.httputil.HTTPConnection
    ) -> None:
        super().__init__(inner)
        self.connection = connection

    def headers_received(
        self,
        start_line: tornado.httputil.RequestStartLine | tornado.httputil.ResponseStartLine,
        headers: tornado.httputil.HTTPHeaders,
    ) -> Awaitable[None] | None:
        # An upload's handler raises the connection's limit here, before its body is read.
        passed = self.inner.headers_received(start_line, headers)
        if passed is not None:
            return self._checked_after(passed, start_line, headers)
        return self._check(start_line, headers)

    async def _checked_after(
        self,
        passed: Awaitable[None],
        start_line: tornado.httputil.RequestStartLine | tornado.httputil.ResponseStartLine,
        headers: tornado.httputil.HTTPHeaders,
    ) -> None:
        await passed
        refused = self._check(start_line, headers)
        if refused is not None:
            await refused

    def _check(
        self,
        start_line: tornado.httputil.RequestStartLine | tornado.httputil.ResponseStartLine,
        headers: tornado.httputil.HTTPHeaders,
    ) -> Awaitable[None] | None:
        """None to go on; else the refusal under way."""
        declared, limit = declared_length(headers), self._limit()
        if declared is None or limit is None or declared <= limit or self._streamed():
            return None
        assert isinstance(self.connection, tornado.http1connection.HTTP1Connection)
        log.info("413 %s: a body of %d bytes, over %d", _described(start_line), declared, limit)
        self.inner.on_connection_close()
        return refuse(self.connection.detach(), limit, declared)

    def _limit(self) -> int | None:
        # Tornado keeps the limit it enforces on the connection, and says it nowhere else.
        limit = getattr(self.connection, "_max_body_size", None)
        return limit if isinstance(limit, int) else None

    def _streamed(self) -> bool:
        """Whether a handler that reads its body as it comes (an upload) has the request: it has begun,
        and answers a body too large for it itself."""
        handler = getattr(self.inner, "delegate", None)
        return bool(getattr(handler, "stream_request_body", False))


async def refuse(stream: tornado.iostream.IOStream, limit: int, declared: int) -> None:
    """Answer 413, read and drop what the client still sends (within bounds), then close."""
    try:
        await stream.write(refusal(limit))
        left = min(declared, DRAIN_BYTES)
        async with asyncio.timeout(DRAIN_SECONDS):
            while left > 0:
                left -= len(await stream.read_bytes(min(left, 64 * 1024), partial=True))
    except (tornado.iostream.StreamClosedError, TimeoutError):
        pass
    finally:
        stream.close()


def _described(start_line: tornado.httputil.RequestStartLine | tornado.httputil.ResponseStartLine) -> str:
    if isinstance(start_line, tornado.httputil.RequestStartLine):
        return f"{start_line.method} {start_line.path.split('?', 1)[0]}"
    return "a response"
