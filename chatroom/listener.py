"""The accept loop: admits connections to the HTTP server, survives running out of descriptors.

Tornado's own accept loop logs a traceback and tries again at once when
``accept`` fails for want of descriptors (EMFILE, ENFILE): the listening
socket stays readable, so the process spins and floods its log while every
descriptor is taken. This loop instead stops accepting for a moment, counts
the failure, reports it once per interval, and resumes by itself; the
connections waiting meanwhile stay in the kernel's backlog.

While the chat's joins wait in a long line (join_turns.py) it stops
accepting for a moment as well: a connection waiting in the kernel's
backlog costs the process nothing, one waiting in line holds its upgrade's
objects, and thousands of those leave the heap fragmented once gone.

It also counts every accepted connection against ``--max-connections-per-ip``
(a connection over it never reaches the HTTP server: it is answered 429 once
its request head has come, unparsed, and closed; see refusal.py) and closes a
connection that has not sent a complete request head within
``REQUEST_HEAD_SECONDS``, so idle sockets cannot hold descriptors for long.
"""

from __future__ import annotations

import asyncio
import errno
import functools
import logging
import resource
import socket
import time
from collections import deque
from collections.abc import Awaitable, Callable

import tornado.httpserver
import tornado.httputil
import tornado.iostream
from tornado.ioloop import IOLoop

from . import metrics
from .body_limit import BodyLimit, PassedThrough
from .push_stream import PushReadStream
from .refusal import MAX_LINGERING, Refusal
from .upgrade import ConnectionCounter

log = logging.getLogger("chatroom.server")

# A connection must send its first request head (request line and headers)
# within this many seconds of being accepted. Later requests on a kept-alive
# connection wait under the HTTP server's idle timeout instead.
REQUEST_HEAD_SECONDS = 5.0
# accept() errors that mean "no resources right now": stop accepting a while.
EXHAUSTION_ERRNOS = frozenset({errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM})
# Network errors of one pending connection that Linux reports through
# accept() (accept(2), "Error handling"): skip that connection, go on.
TRANSIENT_ERRNOS = frozenset(
    {
        errno.ECONNABORTED,
        errno.EPROTO,
        errno.ENOPROTOOPT,
        errno.EHOSTDOWN,
        errno.ENONET,
        errno.EHOSTUNREACH,
        errno.EOPNOTSUPP,
        errno.ENETDOWN,
        errno.ENETUNREACH,
        errno.EPERM,
    }
)
FIRST_PAUSE = 0.05
LONGEST_PAUSE = 1.0
REPORT_INTERVAL = 10.0
# While busy (the line of joins is long), accepting stops and looks again after this many seconds.
BUSY_PAUSE = 0.005
# The kernel's queue of connections not yet accepted (Tornado's default is 128), for those that
# arrive while accepting stops; Linux holds at most net.core.somaxconn (4096 by default).
LISTEN_BACKLOG = 1024
# Connections taken from one listening socket per readiness event, so that
# a burst of them does not starve the members already connected.
ACCEPTS_PER_EVENT = 128
# Shared stand-ins for an idle stream's empty write queues (AdmittedStream.shed_write_queues), about
# 1.4 KiB a connection: never written to, AdmittedStream.write puts queues of its own back first.
_IDLE_WRITE_BUFFER = tornado.iostream._StreamBuffer()
_IDLE_WRITE_FUTURES: deque[tuple[int, asyncio.Future[None]]] = deque()


def raise_descriptor_limit() -> tuple[int, int]:
    """Raise this process's soft limit on open descriptors to its hard limit.

    Returns the soft limit before and after. Where the hard limit is
    unlimited (macOS) and the kernel refuses that, the soft limit stays.
    """
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or soft == resource.RLIM_INFINITY or soft >= hard:
        return soft, soft
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    except (ValueError, OSError) as error:
        log.warning("cannot raise the descriptor limit from %d to %d: %s", soft, hard, error)
        return soft, soft
    return soft, hard


class ThrottledReport:
    """Logs a recurring condition at most once per interval, with how often it happened."""

    def __init__(self, interval: float = REPORT_INTERVAL) -> None:
        self.interval = interval
        self._last = float("-inf")
        self._since_last = 0

    def due(self) -> int:
        """Note one occurrence; the count to report now, or 0 when it is not yet time."""
        self._since_last += 1
        now = time.monotonic()
        if now - self._last < self.interval:
            return 0
        count, self._since_last, self._last = self._since_last, 0, now
        return count


class AdmittedStream(PushReadStream):
    """An accepted connection's stream that gives back its address's slot when it closes."""

    def __init__(
        self,
        connection: socket.socket,
        on_close: Callable[[], None],
        max_buffer_size: int | None,
        read_chunk_size: int | None,
    ) -> None:
        super().__init__(connection, max_buffer_size=max_buffer_size, read_chunk_size=read_chunk_size)
        self._on_close = on_close
        self.awaiting_head = True

    def close_fd(self) -> None:
        try:
            super().close_fd()
        finally:
            self._on_close()

    def shed_write_queues(self) -> None:
        """While nothing waits to be written, share empty stand-ins for the write queues.

        Tornado gives every stream a buffer and a queue of futures, each on a
        deque of 64 slots: for an idle member, most of what its stream holds.
        """
        if not self.writing() and not self._write_futures and not self.closed():
            self._write_buffer = _IDLE_WRITE_BUFFER
            self._write_futures = _IDLE_WRITE_FUTURES

    def write(self, data: bytes | memoryview) -> asyncio.Future[None]:
        if self._write_futures is _IDLE_WRITE_FUTURES:
            self._write_buffer = tornado.iostream._StreamBuffer()
            self._write_futures = deque()
        return super().write(data)


class _HeadWatch(PassedThrough):
    """Passes one request through, noting when its head has arrived."""

    def __init__(self, inner: tornado.httputil.HTTPMessageDelegate, stream: AdmittedStream) -> None:
        super().__init__(inner)
        self.stream = stream

    def headers_received(
        self,
        start_line: tornado.httputil.RequestStartLine | tornado.httputil.ResponseStartLine,
        headers: tornado.httputil.HTTPHeaders,
    ) -> Awaitable[None] | None:
        self.stream.awaiting_head = False
        return self.inner.headers_received(start_line, headers)


class GuardedHTTPServer(tornado.httpserver.HTTPServer):
    """An HTTPServer that tells an AdmittedStream when its first request head has arrived, and answers a
    body over its limit with JSON (body_limit.py)."""

    def start_request(
        self, server_conn: object, request_conn: tornado.httputil.HTTPConnection
    ) -> tornado.httputil.HTTPMessageDelegate:
        delegate: tornado.httputil.HTTPMessageDelegate = BodyLimit(
            super().start_request(server_conn, request_conn), request_conn
        )
        stream = getattr(server_conn, "stream", None)
        if isinstance(stream, AdmittedStream) and stream.awaiting_head:
            return _HeadWatch(delegate, stream)
        return delegate


class Listener:
    """Accepts connections on listening sockets and hands each to ``server``.

    ``limit`` is --max-connections-per-ip (0: none). With ``count_peers``
    false (behind a proxy, --xheaders) the TCP peer is the proxy, so
    accepted connections are not counted per address here; the chat socket
    counts its forwarded address instead. While ``busy()`` nothing is
    accepted: it is asked again every BUSY_PAUSE.
    """

    def __init__(
        self,
        server: tornado.httpserver.HTTPServer,
        sockets: list[socket.socket],
        limit: int,
        count_peers: bool,
        busy: Callable[[], bool] = lambda: False,
    ) -> None:
        self.server = server
        self.busy = busy
        self.sockets = sockets
        self.limit = limit if count_peers else 0
        self.counter = ConnectionCounter()
        self.loop = IOLoop.current()
        self._accepting = False
        self._stopped = False
        self._pause = FIRST_PAUSE
        self._resume_handle: object | None = None
        self._exhaustion_report = ThrottledReport()
        self._refusal_report = ThrottledReport()
        self._refusals: set[Refusal] = set()
        # Where a new connection goes before it is served (room_affinity.py); None: served at once.
        self.sort: Callable[[socket.socket, tuple[str, int], Callable[[], None]], None] | None = None

    def start(self) -> None:
        """Begin accepting."""
        self._watch()

    def stop(self) -> None:
        """Stop accepting for good and close the listening sockets."""
        if self._stopped:
            return
        self._stopped = True
        self._unwatch()
        if self._resume_handle is not None:
            self.loop.remove_timeout(self._resume_handle)
        for sock in self.sockets:
            sock.close()

    def _watch(self) -> None:
        for sock in self.sockets:
            self.loop.add_handler(sock, self._on_readable, IOLoop.READ)
        self._accepting = True

    def _unwatch(self) -> None:
        if self._accepting:
            for sock in self.sockets:
                self.loop.remove_handler(sock)
        self._accepting = False

    def _on_readable(self, sock: socket.socket, events: int) -> None:
        for _ in range(ACCEPTS_PER_EVENT):
            if not self._accepting:
                return
            if self.busy():
                self._pause_while_busy()
                return
            try:
                connection, address = sock.accept()
            except BlockingIOError:
                return
            except OSError as error:
                if error.errno in TRANSIENT_ERRNOS:
                    continue
                self._back_off(error)
                return
            self._pause = FIRST_PAUSE
            self._admit(connection, address)

    def _back_off(self, error: OSError) -> None:
        """Stop accepting for a moment; longer each time it fails again, at most LONGEST_PAUSE."""
        name = errno.errorcode.get(error.errno or 0, "other")
        metrics.ACCEPT_FAILURES.labels(name).inc()
        count = self._exhaustion_report.due()
        if count:
            soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
            log.warning(
                "cannot accept connections: %s (%s; descriptor limit %d, %d accepted connections open);"
                " pausing new connections for up to %.0f s at a time (%d failures since the last report)",
                name,
                error.strerror,
                soft,
                self.counter.total(),
                LONGEST_PAUSE,
                count,
            )
        self._unwatch()
        self._resume_handle = self.loop.call_later(self._pause, self._resume)
        self._pause = min(self._pause * 2, LONGEST_PAUSE)

    def _pause_while_busy(self) -> None:
        metrics.ACCEPT_PAUSES.inc()
        self._unwatch()
        self._resume_handle = self.loop.call_later(BUSY_PAUSE, self._resume)

    def _resume(self) -> None:
        self._resume_handle = None
        if not self._stopped:
            self._watch()

    def _admit(self, connection: socket.socket, address: tuple[str, int], *, sort: bool = True) -> None:
        peer = address[0] if isinstance(address, tuple) else ""
        if not self.counter.acquire(peer, self.limit):
            self._refuse(connection, peer)
            return
        metrics.TCP_CONNECTIONS_OPEN.inc()
        release = functools.partial(self._release, peer)
        if sort and self.sort is not None:
            self.sort(connection, address, release)
        else:
            self.serve(connection, address, release)

    def take_handed(self, connection: socket.socket, address: tuple[str, int]) -> None:
        """Serve a connection another worker accepted and handed here (room_affinity.py)."""
        if self._stopped:
            connection.close()
        else:
            self._admit(connection, address, sort=False)

    def serve(self, connection: socket.socket, address: tuple[str, int], release: Callable[[], None]) -> None:
        """Give an admitted connection to the HTTP server; ``release`` when it closes."""
        stream = AdmittedStream(
            connection,
            on_close=release,
            max_buffer_size=self.server.max_buffer_size,
            read_chunk_size=self.server.read_chunk_size,
        )
        self.server.handle_stream(stream, address)
        self.loop.call_later(REQUEST_HEAD_SECONDS, self._check_head, stream)

    def _release(self, peer: str) -> None:
        self.counter.release(peer)
        metrics.TCP_CONNECTIONS_OPEN.dec()

    def _check_head(self, stream: AdmittedStream) -> None:
        """Close a connection that sent no complete request head in time."""
        if stream.awaiting_head and not stream.closed():
            metrics.REQUEST_HEAD_TIMEOUTS.inc()
            stream.close()

    def _refuse(self, connection: socket.socket, peer: str) -> None:
        """Answer 429 once the request has arrived, or close at once when many wait already."""
        metrics.CONNECTIONS_REFUSED.labels("too_many_connections").inc()
        count = self._refusal_report.due()
        if count:
            log.warning(
                "refused %d connections over --max-connections-per-ip %d (the latest from %s)",
                count,
                self.limit,
                peer,
            )
        if len(self._refusals) >= MAX_LINGERING:
            connection.close()
            return
        self._refusals.add(Refusal(connection, self.loop, self._forget_refusal))

    def _forget_refusal(self, refusal: Refusal) -> None:
        self._refusals.discard(refusal)
