"""An IOStream that can hand every read straight to a receiver, instead of answering read requests.

Tornado's reads are requests: ``read_bytes(n)`` returns a future, the stream
reads the socket until it can answer or it would block, and the reader's
coroutine wakes to ask again. For a WebSocket that carries a few small frames
a second, that is a future, a coroutine step, a second ``recv`` that finds
nothing and, between them, the descriptor's read interest switched off and
on again, per frame. Once a chat socket is live, ``push_reads_to`` turns the
stream the other way round: it stays registered for reading, each readable
event is one ``recv``, and its bytes go to the receiver (a frame_reader.py
``FrameReader`` behind live_socket.py's ``LiveProtocol``) in the same call.

Writes are untouched.
"""

from __future__ import annotations

from collections.abc import Callable

import tornado.iostream
from tornado.ioloop import IOLoop

# What one readable event reads at most: enough for any burst a member sends between two loop turns.
PUSH_READ_BYTES = 64 * 1024


class PushReadStream(tornado.iostream.IOStream):
    """An IOStream whose reads can be pushed to a receiver once ``push_reads_to`` is called."""

    # A class attribute: a stream that never pushes holds no slot for it.
    _receiver: Callable[[bytes], None] | None = None

    def push_reads_to(self, receiver: Callable[[bytes], None]) -> None:
        """From now on, give every byte read to ``receiver``, starting with what is buffered already.

        No read may be pending. What arrived with the upgrade, or after it
        before this call, goes to ``receiver`` now, ahead of anything read later.
        """
        assert self._read_future is None, "a read is pending"
        self._receiver = receiver
        self._add_io_state(IOLoop.READ)  # a closed stream ignores it
        if self._read_buffer_size:
            receiver(self._consume(self._read_buffer_size))

    def pushing(self) -> bool:
        """Whether reads go to a receiver."""
        return self._receiver is not None

    def reading(self) -> bool:
        # A pushing stream always reads: it stays registered for it.
        return self._receiver is not None or super().reading()

    def _handle_read(self) -> None:
        receiver = self._receiver
        if receiver is None:
            super()._handle_read()
            return
        try:
            data = self.socket.recv(PUSH_READ_BYTES)
        except (BlockingIOError, InterruptedError):
            return
        except OSError as error:
            self.close(exc_info=error)
            return
        if not data:
            self.close()  # the peer closed its side
            return
        receiver(data)
