"""One server: the service its settings name, serving until a stop signal, the graceful stop."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import signal
import socket
from typing import Any

import tornado.httpserver
import tornado.netutil
from tornado.ioloop import IOLoop

from . import __version__, protocol
from .app import make_app
from .backend import Backend, StartupError
from .bus.local import LocalBus
from .config import Settings
from .hub import Hub
from .links import setup_link_if_needed
from .listener import LISTEN_BACKLOG, GuardedHTTPServer, Listener, raise_descriptor_limit
from .push import Pusher
from .room_affinity import Handoff, RoomSorter
from .service import ChatService
from .store import open_store
from .store.accounts_base import AccountStore, RoomTakenError
from .store.base import StoreError, StoreStartupError
from .store.records import OPEN
from .unread import UnreadDesk

log = logging.getLogger("chatroom.server")

# The room the page opens without ?room=.
LOBBY = "lobby"
SHUTDOWN_LIMIT = 4.0
MAX_BODY_BYTES = 64 * 1024
IDLE_CONNECTION_SECONDS = 60.0
# Allocations between young collections, then young collections between older ones, twice
# (tune_collector); CPython's default is (700, 10, 10).
GC_THRESHOLDS = (20_000, 20, 10)


def make_service(settings: Settings) -> ChatService:
    """The store and the bus the settings ask for, as one service."""
    try:
        store = open_store(
            settings.database,
            sqlite_synchronous=settings.sqlite_synchronous,
            files_dir=settings.files_dir,
            # With Redis, other processes and nodes may share a SQLite file.
            shared=bool(settings.redis_url),
        )
    except StoreStartupError as error:
        raise StartupError(str(error)) from None
    if not settings.redis_url:
        return ChatService(store, LocalBus())
    try:
        from .bus.redis import RedisBus
    except ImportError:
        raise StartupError("--redis-url needs the redis package: pip install 'chatroom[redis]'") from None
    return ChatService(store, RedisBus(settings.redis_url, presence_ttl=settings.redis_presence_ttl))


async def ensure_lobby(backend: Backend) -> None:
    """Make the open room everyone lands in, unless it exists (on any node: the store decides).

    A new lobby is a room everyone is in: the room a person lands in counts its unread messages
    for them. An existing one is left as an administrator made it (an upgrade changes nobody's rooms).
    """
    if await backend.accounts.room_record(LOBBY) is not None:
        return
    with contextlib.suppress(RoomTakenError):
        await backend.accounts.create_room(LOBBY, OPEN)
        await backend.accounts.set_everyone_in(LOBBY, True)


async def announce_setup(accounts: AccountStore, settings: Settings, port: int) -> None:
    """On a server with no administrator yet: log a new setup link (the older ones stop working).

    The link is the one secret that must reach the log: whoever runs the
    server opens it to create the first administrator. Under --processes
    the parent announces it, once, before its workers serve (workers.py).
    """
    try:
        link = await setup_link_if_needed(accounts, page_url(settings, port).rstrip("/"))
    except StoreError as error:
        log.error("cannot tell whether this server has an administrator: %s", error)
        return
    if link is not None:
        log.warning("no administrator yet: open %s to create one (the link works once)", link)


def page_url(settings: Settings, port: int) -> str:
    """The address a person opens in a browser."""
    host = settings.address
    if host in ("0.0.0.0", "::", ""):
        host = "localhost"
    elif ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{port}/"


async def serve(
    settings: Settings, sockets: list[socket.socket] | None = None, handoff: Handoff | None = None
) -> None:
    """Run one server until SIGTERM or SIGINT, then stop gracefully.

    A worker of ``--processes`` gets its listening sockets from the parent
    (which has announced the setup link, if one is needed), and the
    channels on which the workers hand each other their rooms' connections.
    """
    worker = sockets is not None
    before, now = raise_descriptor_limit()
    if now > before:
        log.info("descriptor limit raised from %d to %d", before, now)
    backend = make_service(settings)
    await backend.start()
    await ensure_lobby(backend)
    if sockets is None:
        try:
            sockets = tornado.netutil.bind_sockets(settings.port, settings.address, backlog=LISTEN_BACKLOG)
        except OSError as error:
            await backend.close()
            raise StartupError(
                f"cannot listen on {settings.address}:{settings.port}: {error.strerror}"
            ) from None
    app = make_app(settings, backend)
    # Listening for notices already: a change stored from now on is not missed.
    await app.guest_access.load(backend.accounts)
    # The VAPID key is made at the first start (every later start, and every node, reads it).
    await app.pusher.key()
    # What fell due while no server ran goes out now.
    app.scheduled_sender.start()
    app.reminder_sender.start()
    server = GuardedHTTPServer(
        app,
        xheaders=settings.xheaders,
        # The API takes one short message: refuse bigger bodies before
        # reading them, and drop clients that dawdle over headers or bodies.
        max_body_size=MAX_BODY_BYTES,
        idle_connection_timeout=IDLE_CONNECTION_SECONDS,
        body_timeout=IDLE_CONNECTION_SECONDS,
    )
    listener = Listener(
        server,
        sockets,
        settings.max_connections_per_ip,
        count_peers=not settings.xheaders,
        busy=app.hub.joining.crowded,
    )
    port = sockets[0].getsockname()[1]
    if not worker:
        # Before accepting: the link is in the log by the time anything answers.
        await announce_setup(backend.accounts, settings, port)
    if handoff is not None:
        listener.sort = RoomSorter(handoff, listener.serve).sort
        handoff.receive(IOLoop.current(), listener.take_handed)
    tune_collector()
    listener.start()
    log.info("chatroom %s ready: open %s in a browser", __version__, page_url(settings, port))
    await wait_for_stop_signal()
    if handoff is not None:
        handoff.stop(IOLoop.current())
    listener.stop()
    await app.scheduled_sender.stop()
    await app.reminder_sender.stop()
    await shutdown(server, app.hub, app.pusher, backend, settings, app.unread)


def tune_collector() -> None:
    """Collect cyclic garbage less often than CPython's default, and never look at the start's objects.

    The default (a young collection every 700 allocations) runs hundreds of
    collections a second in a busy server, and each older one walks every
    member's objects: with 10,000 members in rooms of 10, 15 % of the CPU per
    message and twice the p99 (docs/benchmarks/limits.md, "Many small rooms"). What
    the start made (modules, the application) lives as long as the process.
    """
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)


async def wait_for_stop_signal() -> None:
    """Return once SIGTERM or SIGINT arrives, and keep catching them.

    The handlers stay installed until the loop closes: a second signal while
    stopping must not kill the process before queued messages are stored. (A
    worker of ``--processes`` gets every stop signal twice: from the terminal
    or the service manager, and from its parent.)
    """
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    await stop.wait()


async def shutdown(
    server: tornado.httpserver.HTTPServer,
    hub: Hub[Any],
    pusher: Pusher,
    backend: Backend,
    settings: Settings,
    unread: UnreadDesk | None = None,
) -> None:
    """Stop accepting, close every member with 1001, flush history."""
    log.info("shutting down: closing %d sessions", hub.connections)
    server.stop()
    hub.close_all(protocol.CLOSE_GOING_AWAY, "server shutting down")
    loop = asyncio.get_running_loop()
    deadline = loop.time() + settings.shutdown_grace
    while hub.sessions and loop.time() < deadline:
        await asyncio.sleep(0.05)
    # The members' releases (their leaves, told to other nodes) go out while
    # the bus is still open.
    await hub.finish_background(deadline - loop.time())
    if unread is not None:
        await unread.flush()  # the read marks still waiting
    await pusher.close()
    await backend.close()
    try:
        await asyncio.wait_for(
            server.close_all_connections(), timeout=SHUTDOWN_LIMIT - settings.shutdown_grace
        )
    except TimeoutError:
        log.warning("some connections did not close in time")
    log.info("stopped")
