"""A connection over --max-connections-per-ip: answered 429 once its request head has come, then closed."""

from __future__ import annotations

import contextlib
import socket
from collections.abc import Callable

from tornado.ioloop import IOLoop

from . import protocol

# A connection over the per-address limit is kept until it has sent its
# request head (then answered 429) and closed its end, for at most
# LINGER_SECONDS; never more than MAX_LINGERING of them at once, beyond
# that they are closed at once without an answer.
LINGER_SECONDS = 2.0
MAX_LINGERING = 64
MAX_REFUSED_HEAD = 16 * 1024
TOO_MANY = (
    b"HTTP/1.1 429 Too Many Requests\r\nContent-Type: application/json\r\n"
    b"Connection: close\r\nContent-Length: %d\r\n\r\n%s"
)


def too_many_response() -> bytes:
    """The whole HTTP response to a connection over the per-address limit."""
    body = protocol.api_error_body("too_many_connections", "too many connections from this address")
    return TOO_MANY % (len(body), body)


class Refusal:
    """A connection over the per-address limit: answered 429, then closed.

    Answering before the client has sent its request confuses clients, and
    closing with its bytes unread sends a reset that can make it lose the
    answer: so the 429 waits for the request head, and what follows is read
    and dropped until the client closes, for at most LINGER_SECONDS.
    """

    def __init__(self, connection: socket.socket, loop: IOLoop, on_end: Callable[[Refusal], None]) -> None:
        self.connection = connection
        self.loop = loop
        self.on_end = on_end
        self.head = bytearray()
        self.answered = False
        connection.setblocking(False)
        self.timeout = loop.call_later(LINGER_SECONDS, self.end)
        loop.add_handler(connection, self._on_readable, IOLoop.READ)

    def _on_readable(self, fd: socket.socket, events: int) -> None:
        try:
            more = self.connection.recv(4096)
        except BlockingIOError:
            return
        except OSError:
            more = b""
        if not more:
            self.end()
        elif not self.answered:
            self.head += more
            if b"\r\n\r\n" in self.head or len(self.head) > MAX_REFUSED_HEAD:
                self._answer()

    def _answer(self) -> None:
        self.answered = True
        # A client that went away meanwhile is no concern: it is closed anyway.
        with contextlib.suppress(OSError):
            self.connection.send(too_many_response())
            self.connection.shutdown(socket.SHUT_WR)

    def end(self) -> None:
        """Close the connection (once)."""
        if self.connection.fileno() < 0:
            return
        self.loop.remove_timeout(self.timeout)
        self.loop.remove_handler(self.connection)
        self.connection.close()
        self.on_end(self)
