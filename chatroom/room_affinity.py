"""Room affinity for ``--processes``: every room's members gathered in one worker.

The kernel spreads new connections over the workers by their addresses
(SO_REUSEPORT), so a room's members would sit on every worker: each message
is then stored by one worker, published, and decoded and delivered again by
every other, and two workers storing into the same room take its row lock in
turn and commit half-filled batches. Instead, each room belongs to one
worker (a stable hash of its name). A worker that accepts a connection looks
at the first bytes of its request without taking them (``MSG_PEEK``); when
it opens a chat socket in a room another worker owns, it passes the
connection itself to that worker (the descriptor, over a Unix socket, with
``SCM_RIGHTS``), its bytes still unread, and that worker serves it as if it
had accepted it. The bus still carries what other nodes need.

Only the first read is looked at: a request line that has not fully arrived
by then (a slow client), a request that is not a chat socket, or an owner
whose queue is full is served where it landed. That costs nothing but the
gathering: delivery between workers is the bus's, as between nodes.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import urllib.parse
import zlib
from collections.abc import Callable, Sequence

from tornado.ioloop import IOLoop

from . import metrics, names
from .listener import REQUEST_HEAD_SECONDS

log = logging.getLogger("chatroom.server")

# A request line longer than this is not looked into (the room then stays where it landed).
PEEK_BYTES = 4096
CHAT_SOCKET_PATH = "/ws"
DEFAULT_ROOM = "lobby"

Address = tuple[str, int]
# Serves an accepted connection here: (connection, address, release its per-address slot).
Serve = Callable[[socket.socket, Address, Callable[[], None]], None]


def owner_of(room: str, workers: int) -> int:
    """The index of the worker that serves ``room``: the same in every worker and every start."""
    return zlib.crc32(room.encode()) % workers


def room_of_request(head: bytes) -> str | None:
    """The room a request's first bytes open a chat socket in, or None (not a chat socket, or unknown yet)."""
    line, complete, _ = head.partition(b"\r\n")
    if not complete:
        return None
    parts = line.split(b" ")
    if len(parts) != 3 or parts[0] != b"GET":
        return None
    try:
        target = urllib.parse.urlsplit(parts[1].decode("ascii"))
    except (UnicodeDecodeError, ValueError):
        return None
    if target.path != CHAT_SOCKET_PATH:
        return None
    rooms = urllib.parse.parse_qs(target.query).get("room", [DEFAULT_ROOM])
    try:
        return names.normalize_room(rooms[0])
    except names.BadNameError:
        return None


class Handoff:
    """Passes accepted connections between the workers of one pool.

    ``channels`` holds one connected pair of Unix stream sockets per worker,
    made by the parent before it forks any: a worker writes to
    ``channels[n][0]`` to hand a connection to worker ``n``, and reads its
    own from ``channels[index][1]``. Each connection travels as one byte
    carrying its descriptor.
    """

    def __init__(self, index: int, channels: Sequence[tuple[socket.socket, socket.socket]]) -> None:
        self.index = index
        self.workers = len(channels)
        self._outboxes = [pair[0] for pair in channels]
        self._inbox = channels[index][1]
        for pair in channels:
            for end in pair:
                end.setblocking(False)

    def owner(self, room: str) -> int:
        """The worker that serves ``room``."""
        return owner_of(room, self.workers)

    def hand(self, connection: socket.socket, worker: int) -> bool:
        """Give ``connection`` to ``worker``; False when it cannot take it now (its queue is full)."""
        try:
            socket.send_fds(self._outboxes[worker], [b"\0"], [connection.fileno()])
        except OSError:
            return False
        return True

    def receive(self, loop: IOLoop, take: Callable[[socket.socket, Address], None]) -> None:
        """Give every connection handed to this worker to ``take``, from now on."""

        def on_readable(fd: socket.socket, events: int) -> None:
            if not self._drain(take):
                # Every sender is gone (the parent too): nothing more can come.
                self.stop(loop)

        loop.add_handler(self._inbox, on_readable, IOLoop.READ)

    def stop(self, loop: IOLoop) -> None:
        """Take no more connections (those handed meanwhile wait for the worker that replaces this one)."""
        with contextlib.suppress(KeyError, ValueError):
            loop.remove_handler(self._inbox)

    def _drain(self, take: Callable[[socket.socket, Address], None]) -> bool:
        """Take what has been handed here; False once no worker can hand anything any more."""
        while True:
            try:
                data, fds, _, _ = socket.recv_fds(self._inbox, 1, 1)
            except BlockingIOError:
                return True
            if not data:
                return False
            for fd in fds:
                connection = socket.socket(fileno=fd)
                try:
                    connection.setblocking(False)
                    address = connection.getpeername()
                except OSError:  # gone already
                    connection.close()
                    continue
                take(connection, address)


class RoomSorter:
    """Sends each new connection to the worker of the room its first request opens."""

    def __init__(self, handoff: Handoff, serve: Serve) -> None:
        self.handoff = handoff
        self.serve = serve
        self.loop = IOLoop.current()

    def sort(self, connection: socket.socket, address: Address, release: Callable[[], None]) -> None:
        """Serve ``connection`` here, or hand it on, once its first bytes have arrived."""
        _FirstRead(self, connection, address, release)

    def route(
        self, connection: socket.socket, address: Address, release: Callable[[], None], head: bytes
    ) -> None:
        """Hand the connection to its room's worker, or serve it here."""
        room = room_of_request(head)
        owner = self.handoff.index if room is None else self.handoff.owner(room)
        if owner == self.handoff.index:
            self.serve(connection, address, release)
        elif self.handoff.hand(connection, owner):
            metrics.CONNECTIONS_HANDED.labels("handed").inc()
            connection.close()
            release()
        else:
            metrics.CONNECTIONS_HANDED.labels("kept").inc()
            self.serve(connection, address, release)


class _FirstRead:
    """Waits for a connection's first bytes, then lets the sorter route it."""

    def __init__(
        self, sorter: RoomSorter, connection: socket.socket, address: Address, release: Callable[[], None]
    ) -> None:
        self.sorter = sorter
        self.connection = connection
        self.address = address
        self.release = release
        connection.setblocking(False)
        # As long as a request head may take: a silent connection is closed then.
        self.timeout = sorter.loop.call_later(REQUEST_HEAD_SECONDS, self._give_up)
        sorter.loop.add_handler(connection, self._on_readable, IOLoop.READ)

    def _on_readable(self, fd: socket.socket, events: int) -> None:
        self._unwatch()
        try:
            head = self.connection.recv(PEEK_BYTES, socket.MSG_PEEK)
        except OSError:
            head = b""
        if head:
            self.sorter.route(self.connection, self.address, self.release, head)
        else:
            self._close()

    def _give_up(self) -> None:
        metrics.REQUEST_HEAD_TIMEOUTS.inc()
        self.sorter.loop.remove_handler(self.connection)
        self._close()

    def _unwatch(self) -> None:
        self.sorter.loop.remove_timeout(self.timeout)
        self.sorter.loop.remove_handler(self.connection)

    def _close(self) -> None:
        self.connection.close()
        self.release()
