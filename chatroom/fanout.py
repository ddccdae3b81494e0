"""Fan-out: encode a frame once, write it to every member, bound each backlog.

Tornado's ``write_message`` builds a WebSocket frame and goes through the
IOStream's buffer and a Future for every call. A broadcast here builds the
frame bytes once. The first broadcast of a loop tick writes them straight to
each idle member's socket (one ``send`` system call, no Future), a slice of
time at a time; bytes for a member that has frames waiting, and every member
in later broadcasts of the same tick, are appended to its :class:`Outbox`,
and a :class:`FlushScheduler` writes each dirty outbox's pending bytes in one
write per tick. Only what the kernel does not take goes through
``IOStream.write``, so frames stay in order behind it. A member whose unsent
backlog passes its bound is cut off instead of holding the others up.

Tornado internals this relies on (guarded by tests/test_fanout.py):

- ``WebSocketHandler.ws_connection.stream`` is the connection's ``IOStream``,
  whose ``socket`` is the non-blocking connected socket, and ``writing()`` is
  false exactly when the stream has no bytes of its own waiting, so a direct
  ``socket.send`` cannot overtake them;
- a server-to-client text frame is the RFC 6455 header (FIN + opcode 1,
  unmasked length) followed by the payload, as
  ``WebSocketProtocol13._write_frame`` builds it when no compression was
  negotiated (the handlers never offer compression).

A stream that writes to its socket otherwise (TLS, say) is written only
through ``write``.
"""

from __future__ import annotations

import asyncio
import struct
import time
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from tornado.iostream import IOStream, StreamClosedError

from . import protocol

FIN_TEXT = 0x81
# How long one slice of a flush round may hold the loop, and how many members
# are flushed between two looks at the clock.
FLUSH_SLICE_SECONDS = 0.002
SLICE_CHECK_EVERY = 32


def text_frame(payload: bytes) -> bytes:
    """A complete unmasked WebSocket text frame carrying ``payload``."""
    length = len(payload)
    if length < 126:
        return bytes((FIN_TEXT, length)) + payload
    if length <= 0xFFFF:
        return struct.pack("!BBH", FIN_TEXT, 126, length) + payload
    return struct.pack("!BBQ", FIN_TEXT, 127, length) + payload


def encode_frames(frames: Iterable[dict[str, Any]]) -> bytes:
    """JSON-encode server frames and wrap each as a WebSocket frame, once."""
    return b"".join(text_frame(protocol.encode(frame)) for frame in frames)


def writes_directly(stream: IOStream) -> bool:
    """Whether ``stream`` writes to its socket as IOStream does (TLS does not): frames may go there."""
    return isinstance(stream, IOStream) and type(stream).write_to_fd is IOStream.write_to_fd


def send_now(stream: IOStream, data: bytes) -> int | None:
    """Give ``data`` to the stream's socket at once: the bytes it took (0 when full), None when broken.

    A broken connection is left to the stream, which sees it on its next read.
    """
    try:
        return int(stream.socket.send(data))
    except BlockingIOError:
        return 0
    except OSError:
        return None


class FlushScheduler:
    """Writes broadcasts to members, and flushes what could not go at once.

    A round over a thousand members takes milliseconds of ``send`` calls.
    Done in one go, it would hold up everything else the loop has to do: the
    sender's next frames stay unread and the store's next batch waits. So a
    broadcast writes straight to sockets for one slice and goes on with the
    members it did not reach in later loop iterations, one slice each, after
    whatever became ready meanwhile. If another broadcast comes first, the
    unfinished one's bytes are queued in the outboxes of the members it has
    not reached, so every member still gets its frames in order; queued bytes
    are flushed in rounds of the same slices, and frames that arrive in
    between ride on the same write. A frame for one member (an ack, a notice)
    waits instead until the unfinished broadcast is handed out, then is
    queued: it must not overtake the broadcast, and it is no reason to queue
    the broadcast for everyone else.
    """

    def __init__(
        self,
        slice_seconds: float = FLUSH_SLICE_SECONDS,
        on_broadcast: Callable[[float], None] | None = None,
    ) -> None:
        self._dirty: deque[Outbox] = deque()
        self._slice_seconds = slice_seconds
        # Told how long each broadcast took to reach every member.
        self._on_broadcast = on_broadcast
        self._loop: asyncio.AbstractEventLoop | None = None
        self._round_scheduled = False
        # The broadcast still being written: its members, the first not yet
        # reached, its bytes, and when it started.
        self.unfinished: tuple[Sequence[Outbox], int, bytes, float] | None = None
        self._unfinished_scheduled = False
        # Frames for single members that came while a broadcast was unfinished:
        # queued, in order, once it is handed out.
        self._deferred: list[tuple[Outbox, bytes]] = []
        # Set by a broadcast that wrote straight to sockets, until the next
        # loop tick: later broadcasts of this tick queue, so each member
        # still gets one write per tick however many broadcasts there are.
        self._wrote_this_tick = False

    def broadcast(self, outboxes: Sequence[Outbox], data: bytes) -> None:
        """Give ``data`` to every outbox, straight to the socket where possible."""
        loop = self._running_loop()
        self.queue_unfinished()
        started = time.perf_counter()
        if self._wrote_this_tick:
            self._queue_from(outboxes, 0, data, started)
            return
        loop.call_soon(self._next_tick)
        self._wrote_this_tick = True
        self._write_from(outboxes, 0, data, started)

    def _write_from(self, outboxes: Sequence[Outbox], start: int, data: bytes, started: float) -> None:
        """Write to members from ``start`` on for one slice; leave the rest for later."""
        deadline = time.perf_counter() + self._slice_seconds
        end = len(outboxes)
        index = start
        while index < end:
            outboxes[index].write(data)
            index += 1
            if (index - start) % SLICE_CHECK_EVERY == 0 and time.perf_counter() > deadline:
                break
        if index == end:
            self._done(started)
            return
        self.unfinished = (outboxes, index, data, started)
        if not self._unfinished_scheduled:
            self._running_loop().call_soon(self._write_unfinished)
            self._unfinished_scheduled = True

    def _write_unfinished(self) -> None:
        self._unfinished_scheduled = False
        unfinished, self.unfinished = self.unfinished, None
        if unfinished is not None:
            self._write_from(*unfinished)

    def queue_unfinished(self) -> None:
        """Queue the unfinished broadcast's bytes for every member it has not reached."""
        unfinished, self.unfinished = self.unfinished, None
        if unfinished is not None:
            self._queue_from(*unfinished)

    def _queue_from(self, outboxes: Sequence[Outbox], start: int, data: bytes, started: float) -> None:
        for index in range(start, len(outboxes)):
            outboxes[index].send(data)
        self._done(started)

    def defer(self, outbox: Outbox, data: bytes) -> None:
        """Queue ``data`` for ``outbox`` once the unfinished broadcast is handed out."""
        self._deferred.append((outbox, data))

    def _done(self, started: float) -> None:
        if self._on_broadcast is not None:
            self._on_broadcast(time.perf_counter() - started)
        if self._deferred:
            deferred, self._deferred = self._deferred, []
            for outbox, data in deferred:
                outbox.send(data)

    def _next_tick(self) -> None:
        self._wrote_this_tick = False

    def mark(self, outbox: Outbox) -> None:
        """Flush ``outbox`` in the current or the next round."""
        self._dirty.append(outbox)
        if not self._round_scheduled or self._loop is None or self._loop.is_closed():
            self._schedule_round()

    def _running_loop(self) -> asyncio.AbstractEventLoop:
        # Looking the running loop up costs a system call (getpid) in
        # Python 3.11: keep it while it lives (tests run one loop per case).
        loop = self._loop
        if loop is None or loop.is_closed():
            loop = self._loop = asyncio.get_running_loop()
            self._round_scheduled = self._wrote_this_tick = self._unfinished_scheduled = False
        return loop

    def _schedule_round(self) -> None:
        self._running_loop().call_soon(self.flush_all)
        self._round_scheduled = True

    def flush_all(self) -> None:
        """Hand dirty outboxes' pending bytes to their sockets until the slice ends."""
        self._round_scheduled = False
        dirty = self._dirty
        deadline = time.perf_counter() + self._slice_seconds
        done = 0
        while dirty:
            dirty.popleft().flush()
            done += 1
            if done % SLICE_CHECK_EVERY == 0 and dirty and time.perf_counter() > deadline:
                self._schedule_round()
                return


class Outbox:
    """One member's queue of frames not yet handed to its socket."""

    __slots__ = (
        "_direct",
        "_in_flight",
        "_max_backlog",
        "_on_overflow",
        "_pending",
        "_pending_bytes",
        "_scheduler",
        "_stream",
        "closed",
    )

    def __init__(
        self,
        stream: IOStream,
        scheduler: FlushScheduler,
        max_backlog: int,
        on_overflow: Callable[[], None],
    ) -> None:
        self._stream = stream
        # The listener's AdmittedStream writes directly; a TLS stream does not.
        self._direct = writes_directly(stream)
        self._scheduler = scheduler
        self._max_backlog = max_backlog
        self._on_overflow = on_overflow
        self._pending: list[bytes] = []
        self._pending_bytes = 0
        # Bytes handed to the stream and not yet on the socket: at most one
        # write is in flight, so the stream's own buffer stays bounded too.
        self._in_flight = 0
        self.closed = False

    @property
    def backlog(self) -> int:
        """Bytes queued for this member that its socket has not taken yet."""
        return self._pending_bytes + self._in_flight

    def write(self, data: bytes) -> None:
        """Hand complete WebSocket frames to the socket now, unless others wait."""
        stream = self._stream
        if (
            self._pending
            or self._in_flight
            or self.closed
            or not self._direct
            or len(data) > self._max_backlog
            or stream.closed()
            or stream.writing()
        ):
            # Queued behind what waits; the flush writes through the stream,
            # or cuts off a closed or overfull member.
            self.send(data)
        else:
            self._send_now(data)

    def send(self, data: bytes) -> None:
        """Queue complete WebSocket frames; they go out at the end of the tick."""
        if self.closed:
            return
        if self._scheduler.unfinished is not None:
            # This member may not have the broadcast being written yet: these
            # bytes go behind it.
            self._scheduler.defer(self, data)
            return
        pending = self._pending
        pending.append(data)
        self._pending_bytes += len(data)
        if self._pending_bytes + self._in_flight > self._max_backlog:
            self.cut_off()
            self._on_overflow()
        elif len(pending) == 1 and not self._in_flight:
            # The first frame of the tick: later ones ride on the same flush.
            self._scheduler.mark(self)

    def finish(self) -> None:
        """Hand over everything meant for this member, before its stream closes."""
        self._scheduler.queue_unfinished()
        if self._in_flight and self._pending and not self.closed:
            # The stream keeps writes in order: these go out behind the one
            # in flight and ahead of the close frame that follows.
            data = b"".join(self._pending)
            self._pending.clear()
            self._pending_bytes = 0
            self._write_through_stream(data)
        else:
            self.flush()

    def flush(self) -> None:
        """Write everything pending in one write, unless a write is in flight."""
        pending = self._pending
        if self.closed or self._in_flight or not pending:
            return
        data = pending[0] if len(pending) == 1 else b"".join(pending)
        pending.clear()
        self._pending_bytes = 0
        stream = self._stream
        if stream.closed():
            self.cut_off()
        elif self._direct and not stream.writing():
            self._send_now(data)
        else:
            self._write_through_stream(data)

    def _send_now(self, data: bytes) -> None:
        sent = send_now(self._stream, data)
        if sent is None:
            self.cut_off()  # the stream closes the session; nothing more is worth queueing till then
            return
        if sent < len(data):
            self._write_through_stream(memoryview(data)[sent:])

    def _write_through_stream(self, data: bytes | memoryview) -> None:
        try:
            written = self._stream.write(data)
        except StreamClosedError:
            self.cut_off()
            return
        if not written.done():
            self._in_flight = len(data)
            written.add_done_callback(self._on_written)

    def _on_written(self, written: asyncio.Future[None]) -> None:
        self._in_flight = 0
        if written.cancelled() or written.exception() is not None:
            self.cut_off()
        else:
            self.flush()

    def cut_off(self) -> None:
        """Drop everything pending and accept nothing more."""
        self.closed = True
        self._pending.clear()
        self._pending_bytes = 0
