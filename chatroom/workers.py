"""The supervisor of ``--processes N``: forked workers sharing the port."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import socket
import sys
import time
from typing import NoReturn

import tornado.netutil

from .backend import StartupError
from .config import Settings
from .listener import LISTEN_BACKLOG
from .room_affinity import Handoff
from .server import SHUTDOWN_LIMIT, announce_setup, serve
from .store import open_store
from .store.base import StoreError, StoreStartupError

log = logging.getLogger("chatroom.workers")

# A worker that dies sooner than this after its start is not restarted.
WORKER_MIN_UPTIME = 5.0
# How long the parent waits for its workers' graceful stop before SIGKILL.
WORKER_STOP_LIMIT = SHUTDOWN_LIMIT + 2.0


def run_worker(settings: Settings, sockets: list[socket.socket], handoff: Handoff | None) -> NoReturn:
    """The body of a forked worker: one full server on the inherited sockets.

    It ends with os._exit: the parent's state (atexit, buffers, the stack
    that forked it) is not the worker's to run.
    """
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, signal.SIG_DFL)
    status = 0
    try:
        asyncio.run(serve(settings, sockets, handoff))
    except StartupError as error:
        log.error("worker %d cannot start: %s", os.getpid(), error)
        status = 1
    except BaseException:
        log.exception("worker %d failed", os.getpid())
        status = 1
    finally:
        logging.shutdown()
        sys.stderr.flush()
        sys.stdout.flush()
    os._exit(status)


async def check_database(settings: Settings) -> None:
    """Open the database once before any worker is forked, bringing its schema up to date.

    StartupError when it cannot be used (unreachable, not a database, a schema newer than this
    chatroom's): the pool then stops with the one line a single process gives, before it forks.
    """
    store = open_store(
        settings.database, sqlite_synchronous=settings.sqlite_synchronous, files_dir=settings.files_dir
    )
    try:
        await store.start()
    except StoreError as error:
        raise StartupError(str(error)) from None
    await store.close()


async def announce_setup_once(settings: Settings, port: int) -> None:
    """The parent's setup link: one for the whole pool, not one per worker."""
    try:
        store = open_store(
            settings.database, sqlite_synchronous=settings.sqlite_synchronous, files_dir=settings.files_dir
        )
        await store.start()
    except (StoreError, StoreStartupError) as error:
        log.error("cannot open the database to check for an administrator: %s", error)
        return
    try:
        await announce_setup(store.accounts, settings, port)
    finally:
        await store.close()


class WorkerPool:
    """The parent of ``--processes N``: forks the workers, restarts, stops them.

    Each worker gets listening sockets of its own, bound with SO_REUSEPORT
    before the fork, so the kernel spreads new connections over the workers;
    unless ``--spread-rooms``, each worker hands the chat sockets of the rooms
    it does not own to their owner over channels made here, before any fork
    (room_affinity.py). A worker that replaces another takes its index, its
    rooms and the connections handed to it meanwhile.
    A worker that dies after running a while is replaced; one that dies at
    start (Redis unreachable, say) stops them all, and ``run`` returns 1.
    SIGTERM or SIGINT: every worker is told to stop, each closes its clients
    with 1001, and ``run`` returns 0 when all of them exited 0.
    """

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.port = settings.port
        self.workers: dict[int, float] = {}
        self.indexes: dict[int, int] = {}
        self.channels: list[tuple[socket.socket, socket.socket]] = []
        self.stopping_since: float | None = None
        self.failed = False

    def run(self) -> int:
        """Fork the workers and supervise them until they have all stopped.

        StartupError, before any fork, when the database cannot be used.
        """
        asyncio.run(check_database(self.settings))
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, self._on_stop_signal)
        try:
            if not self.settings.spread_rooms:
                self.channels = [socket.socketpair() for _ in range(self.settings.processes)]
            for index in range(self.settings.processes):
                self._spawn(index)
        except OSError as error:
            log.error("cannot listen on %s:%d: %s", self.settings.address, self.port, error)
            self.failed = True
            self._stop_all()
        log.info("%d workers on port %d", len(self.workers), self.port)
        if not self.failed:
            asyncio.run(announce_setup_once(self.settings, self.port))
        while self.workers:
            self._reap_one()
        return 1 if self.failed else 0

    def _bind(self) -> list[socket.socket]:
        sockets = tornado.netutil.bind_sockets(
            self.port, self.settings.address, reuse_port=True, backlog=LISTEN_BACKLOG
        )
        self.port = sockets[0].getsockname()[1]
        return sockets

    def _spawn(self, index: int) -> None:
        sockets = self._bind()
        pid = os.fork()
        if pid == 0:
            run_worker(self.settings, sockets, Handoff(index, self.channels) if self.channels else None)
        for sock in sockets:
            sock.close()
        self.workers[pid] = time.monotonic()
        self.indexes[pid] = index

    def _on_stop_signal(self, signum: int, frame: object) -> None:
        if self.stopping_since is None:
            log.info("stopping %d workers", len(self.workers))
            self._stop_all()

    def _stop_all(self) -> None:
        self.stopping_since = time.monotonic()
        for pid in self.workers:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)

    def _reap_one(self) -> None:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            self.workers.clear()
            return
        if pid == 0:
            self._kill_stragglers()
            time.sleep(0.05)
            return
        started = self.workers.pop(pid, None)
        index = self.indexes.pop(pid, 0)
        if started is None:
            return
        code = os.waitstatus_to_exitcode(status)
        if self.stopping_since is not None:
            self.failed |= code != 0
            return
        log.error("worker %d exited with %d", pid, code)
        if time.monotonic() - started < WORKER_MIN_UPTIME:
            self.failed = True
            self._stop_all()
        else:
            self._spawn(index)

    def _kill_stragglers(self) -> None:
        if self.stopping_since is None or time.monotonic() - self.stopping_since < WORKER_STOP_LIMIT:
            return
        for pid in self.workers:
            log.error("worker %d did not stop in time: killing it", pid)
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        self.failed = True
        self.stopping_since = time.monotonic()
