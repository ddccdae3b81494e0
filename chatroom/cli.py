"""The command line: flags and CHATROOM_* variables, start-up, graceful stop."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import signal
import socket
import sys
import time
import urllib.parse
from collections.abc import Callable, Sequence
from typing import Any, NoReturn

import tornado.httpserver
import tornado.netutil

from . import __version__, auth, protocol
from .app import make_app
from .backend import Backend, StartupError
from .bus.local import LocalBus
from .config import Settings
from .handlers import ChatSocketHandler
from .listener import GuardedHTTPServer, Listener, raise_descriptor_limit
from .service import ChatService
from .store import is_private_database, open_store, sqlite_path
from .store.base import StoreStartupError
from .store.sqlite import SYNCHRONOUS_MODES

log = logging.getLogger("chatroom.server")

LOG_LEVELS = ("debug", "info", "warning", "error")
SHUTDOWN_LIMIT = 4.0
MAX_BODY_BYTES = 64 * 1024
IDLE_CONNECTION_SECONDS = 60.0
# A worker that dies sooner than this after its start is not restarted.
WORKER_MIN_UPTIME = 5.0
# How long the parent waits for its workers' graceful stop before SIGKILL.
WORKER_STOP_LIMIT = SHUTDOWN_LIMIT + 2.0


class ArgumentParser(argparse.ArgumentParser):
    """Reports a bad flag in one line and exits 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message}\n")


def bounded_int(low: int, high: int | None = None) -> Callable[[str], int]:
    """An argparse type: an integer in [low, high]."""

    def convert(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if value < low or (high is not None and value > high):
            bounds = f"from {low} to {high}" if high is not None else f"at least {low}"
            raise argparse.ArgumentTypeError(f"{value} is out of range: use a number {bounds}")
        return value

    return convert


def non_negative_float(text: str) -> float:
    """An argparse type: a finite number >= 0."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not 0 <= value < float("inf"):
        raise argparse.ArgumentTypeError(f"{text!r} must be a number of at least 0")
    return value


def positive_float(text: str) -> float:
    """An argparse type: a finite number > 0."""
    value = non_negative_float(text)
    if value == 0:
        raise argparse.ArgumentTypeError("must be more than 0")
    return value


def non_empty(text: str) -> str:
    """An argparse type: any text but the empty string."""
    if not text.strip():
        raise argparse.ArgumentTypeError("must not be empty")
    return text


def jwt_secret(text: str) -> str:
    """An argparse type: an HS256 secret of at least 32 bytes (RFC 7518)."""
    if auth.secret_too_short(text):
        raise argparse.ArgumentTypeError(
            f"must be at least {auth.MIN_SECRET_BYTES} bytes; make one with:"
            " python3 -c 'import secrets; print(secrets.token_urlsafe(48))'"
        )
    return text


def database_url(text: str) -> str:
    """An argparse type: a SQLite path, sqlite:///path, :memory: or postgresql:// URL."""
    try:
        sqlite_path(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None
    return non_empty(text)


def redis_url(text: str) -> str:
    """An argparse type: a redis://, rediss:// or unix:// URL."""
    if urllib.parse.urlsplit(text).scheme not in ("redis", "rediss", "unix"):
        raise argparse.ArgumentTypeError(f"{text!r} is not a redis://, rediss:// or unix:// URL")
    return text


def origin(text: str) -> str:
    """An argparse type: scheme://host[:port], as browsers send Origin."""
    parts = urllib.parse.urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.path not in ("", "/"):
        raise argparse.ArgumentTypeError(f"{text!r} is not an origin like https://chat.example.com")
    return text.rstrip("/")


def boolean(text: str) -> bool:
    """An argparse type for CHATROOM_* switches: 1/0, true/false, yes/no, on/off."""
    lowered = text.strip().lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off", ""):
        return False
    raise argparse.ArgumentTypeError(f"{text!r} is not true or false")


def build_parser() -> ArgumentParser:
    """Every flag of PROTOCOL.md's command-line table, and a few of our own."""
    parser = ArgumentParser(
        prog="chatroom",
        description="A real-time, multi-room web chat server. Every flag can also "
        "come from CHATROOM_<FLAG> (upper case, '-' as '_').",
    )
    add = parser.add_argument
    d = Settings()
    add("--port", type=bounded_int(0, 65535), default=d.port, help="TCP port (0: any free port)")
    add("--address", type=non_empty, default=d.address, help="address to bind (0.0.0.0 for all)")
    add(
        "--database",
        "--db",
        dest="database",
        type=database_url,
        default=d.database,
        help="where history is kept: a SQLite file (path or sqlite:///path), :memory: (kept nowhere),"
        " or postgresql://user@host/dbname",
    )
    add(
        "--redis-url",
        type=redis_url,
        default=None,
        help="Redis for delivery and presence across processes and nodes (history stays in --database)",
    )
    add(
        "--processes",
        type=bounded_int(1, 512),
        default=d.processes,
        help="worker processes sharing the port (needs --redis-url above 1)",
    )
    add(
        "--origin",
        type=origin,
        action="append",
        default=None,
        help="an extra allowed browser origin; may be repeated",
    )
    add("--api-key", type=non_empty, default=None, help="enables POST /api/rooms/{room}/messages")
    add("--jwt-secret", type=jwt_secret, default=None, help="require HS256 tokens on /ws")
    add("--history", type=bounded_int(0, 1000), default=d.history, help="messages sent on join")
    add(
        "--max-message-length",
        type=bounded_int(1, 1_000_000),
        default=d.max_message_length,
        help="characters",
    )
    add(
        "--max-frame-bytes",
        type=bounded_int(128, 64 * 1024 * 1024),
        default=d.max_frame_bytes,
        help="larger frames close 1009",
    )
    add("--rate", type=positive_float, default=d.rate, help="messages a second per connection")
    add("--burst", type=bounded_int(1), default=d.burst, help="messages a connection may send at once")
    add(
        "--ping-interval",
        type=non_negative_float,
        default=d.ping_interval,
        help="seconds between pings (0: none)",
    )
    add(
        "--ping-timeout",
        type=non_negative_float,
        default=d.ping_timeout,
        help="seconds to wait for a pong; at most the interval",
    )
    add(
        "--max-backlog-bytes",
        type=bounded_int(1024),
        default=d.max_backlog_bytes,
        help="unsent bytes before a slow client is cut off (1013)",
    )
    add(
        "--max-connections-per-ip",
        type=bounded_int(0),
        default=d.max_connections_per_ip,
        help="concurrent connections per address, HTTP and WebSocket (0: no limit)",
    )
    add(
        "--new-rooms-per-minute",
        type=bounded_int(0),
        default=d.new_rooms_per_minute,
        help="rooms an address may create a minute by joining them; more get HTTP 429 (0: no limit)",
    )
    add(
        "--join-rate",
        type=non_negative_float,
        default=d.join_rate,
        help="joins an address may make a second (a room: 10 times as many); more get HTTP 429 (0: no limit)",
    )
    add(
        "--join-burst",
        type=bounded_int(0),
        default=d.join_burst,
        help="joins an address may make at once (0: no limit)",
    )
    add(
        "--xheaders",
        action="store_true",
        default=d.xheaders,
        help="trust X-Forwarded-For / X-Real-IP from a reverse proxy",
    )
    add("--log-level", choices=LOG_LEVELS, default=d.log_level, help="default info")
    add(
        "--sqlite-synchronous",
        choices=SYNCHRONOUS_MODES,
        default=d.sqlite_synchronous,
        help="full: acked messages survive power loss; normal: survive a crash of the process",
    )
    add("--version", action="version", version=f"chatroom {__version__}")
    return parser


def environment_defaults(parser: ArgumentParser, environ: dict[str, str]) -> dict[str, Any]:
    """Defaults taken from CHATROOM_* variables, checked like the flags."""
    defaults: dict[str, Any] = {}
    for action in parser._actions:
        if not action.option_strings or action.dest in ("help", "version"):
            continue
        for flag in action.option_strings:
            variable = "CHATROOM_" + flag.lstrip("-").upper().replace("-", "_")
            if variable in environ:
                defaults[action.dest] = _convert_environment(
                    parser, action, flag, variable, environ[variable]
                )
                break
    return defaults


def _convert_environment(
    parser: ArgumentParser, action: argparse.Action, flag: str, variable: str, text: str
) -> Any:
    convert: Callable[[str], Any] = boolean if action.nargs == 0 else (action.type or str)  # type: ignore[assignment]
    try:
        value = convert(text)
    except argparse.ArgumentTypeError as error:
        parser.error(f"{variable} (argument {flag}): {error}")
    if action.choices is not None and value not in action.choices:
        parser.error(
            f"{variable} (argument {flag}): {text!r} is not one of {', '.join(map(str, action.choices))}"
        )
    return [value] if isinstance(action, argparse._AppendAction) else value


def parse_settings(argv: Sequence[str] | None = None, environ: dict[str, str] | None = None) -> Settings:
    """Settings from the command line over CHATROOM_* variables over defaults."""
    parser = build_parser()
    parser.set_defaults(**environment_defaults(parser, dict(os.environ if environ is None else environ)))
    args = parser.parse_args(argv)
    if args.ping_interval and args.ping_timeout > args.ping_interval:
        parser.error("argument --ping-timeout: may not exceed --ping-interval")
    if args.processes > 1 and not args.redis_url:
        parser.error("argument --processes: more than 1 process needs --redis-url")
    if args.redis_url and is_private_database(args.database):
        parser.error(
            "argument --database: :memory: is private to one process; with --redis-url use a SQLite file"
            " or postgresql://"
        )
    options = vars(args)
    options["origins"] = tuple(options.pop("origin") or ())
    return Settings(**options)


def configure_logging(level: str) -> None:
    """Log lines to stderr, one event a line."""
    logging.basicConfig(
        level=getattr(logging, level.upper()),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )


def make_backend(settings: Settings) -> Backend:
    """The store and the bus the settings ask for, as one service.

    CHATROOM_REDIS_PRESENCE_TTL (seconds, default 15) bounds how long the
    members of a node that died stay listed; nodes refresh every third of it.
    """
    try:
        store = open_store(settings.database, sqlite_synchronous=settings.sqlite_synchronous)
    except StoreStartupError as error:
        raise StartupError(str(error)) from None
    if not settings.redis_url:
        return ChatService(store, LocalBus())
    try:
        from .bus.redis import DEFAULT_PRESENCE_TTL, RedisBus
    except ImportError:
        raise StartupError("--redis-url needs the redis package: pip install 'chatroom[redis]'") from None
    raw_ttl = os.environ.get("CHATROOM_REDIS_PRESENCE_TTL", "")
    try:
        ttl = float(raw_ttl) if raw_ttl else DEFAULT_PRESENCE_TTL
    except ValueError:
        ttl = -1.0
    if not 0 < ttl < float("inf"):
        raise StartupError(f"CHATROOM_REDIS_PRESENCE_TTL: {raw_ttl!r} is not a number of seconds above 0")
    return ChatService(store, RedisBus(settings.redis_url, presence_ttl=ttl))


def page_url(settings: Settings, port: int) -> str:
    """The address a person opens in a browser."""
    host = settings.address
    if host in ("0.0.0.0", "::", ""):
        host = "localhost"
    elif ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{port}/"


async def serve(settings: Settings, sockets: list[socket.socket] | None = None) -> None:
    """Run one server until SIGTERM or SIGINT, then stop gracefully.

    A worker of ``--processes`` gets its listening sockets from the parent.
    """
    before, now = raise_descriptor_limit()
    if now > before:
        log.info("descriptor limit raised from %d to %d", before, now)
    backend = make_backend(settings)
    await backend.start()
    if sockets is None:
        try:
            sockets = tornado.netutil.bind_sockets(settings.port, settings.address)
        except OSError as error:
            await backend.close()
            raise StartupError(
                f"cannot listen on {settings.address}:{settings.port}: {error.strerror}"
            ) from None
    server = GuardedHTTPServer(
        make_app(settings, backend),
        xheaders=settings.xheaders,
        # The API takes one short message: refuse bigger bodies before
        # reading them, and drop clients that dawdle over headers or bodies.
        max_body_size=MAX_BODY_BYTES,
        idle_connection_timeout=IDLE_CONNECTION_SECONDS,
        body_timeout=IDLE_CONNECTION_SECONDS,
    )
    listener = Listener(server, sockets, settings.max_connections_per_ip, count_peers=not settings.xheaders)
    listener.start()
    port = sockets[0].getsockname()[1]
    log.info("chatroom %s ready: open %s in a browser", __version__, page_url(settings, port))
    if settings.processes > 1:
        await wait_for_worker_stop()
    else:
        await wait_for_stop_signal()
    listener.stop()
    await shutdown(server, backend, settings)


async def wait_for_worker_stop() -> None:
    """Return once SIGTERM or SIGINT arrives, and keep catching them.

    A stop signal reaches a worker twice (from the terminal or the service
    manager, and from the parent): the second one must not kill it halfway
    through its graceful stop, so the handlers stay until the loop closes.
    """
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    await stop.wait()


async def wait_for_stop_signal() -> None:
    """Return once SIGTERM or SIGINT arrives.

    The handlers stay installed until the loop closes: a second signal while
    stopping must not kill the process before queued messages are stored.
    """
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    await stop.wait()


async def shutdown(server: tornado.httpserver.HTTPServer, backend: Backend, settings: Settings) -> None:
    """Stop accepting, close every member with 1001, flush history."""
    log.info("shutting down: closing %d sessions", len(ChatSocketHandler.sessions))
    server.stop()
    ChatSocketHandler.close_all(protocol.CLOSE_GOING_AWAY, "server shutting down")
    loop = asyncio.get_running_loop()
    deadline = loop.time() + settings.shutdown_grace
    while ChatSocketHandler.sessions and loop.time() < deadline:
        await asyncio.sleep(0.05)
    await backend.close()
    try:
        await asyncio.wait_for(
            server.close_all_connections(), timeout=SHUTDOWN_LIMIT - settings.shutdown_grace
        )
    except TimeoutError:
        log.warning("some connections did not close in time")
    log.info("stopped")


def fail(message: str, status: int) -> NoReturn:
    """Print one line to stderr and exit."""
    print(f"chatroom: error: {message}", file=sys.stderr)
    sys.exit(status)


def main(argv: Sequence[str] | None = None) -> None:
    """``python -m chatroom``."""
    settings = parse_settings(argv)
    configure_logging(settings.log_level)
    if settings.processes > 1:
        sys.exit(WorkerPool(settings).run())
    try:
        asyncio.run(serve(settings))
    except StartupError as error:
        fail(str(error), 1)
    except KeyboardInterrupt:
        pass


def run_worker(settings: Settings, sockets: list[socket.socket]) -> NoReturn:
    """The body of a forked worker: one full server on the inherited sockets."""
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, signal.SIG_DFL)
    status = 0
    try:
        asyncio.run(serve(settings, sockets))
    except StartupError as error:
        print(f"chatroom: error: {error}", file=sys.stderr)
        status = 1
    except BaseException:
        log.exception("worker %d failed", os.getpid())
        status = 1
    finally:
        logging.shutdown()
        sys.stderr.flush()
        sys.stdout.flush()
    # The parent's state (atexit, buffers) is not the worker's to run.
    os._exit(status)


class WorkerPool:
    """The parent of ``--processes N``: forks the workers, restarts, stops them.

    Each worker gets listening sockets of its own, bound with SO_REUSEPORT
    before the fork, so the kernel spreads new connections over the workers.
    A worker that dies after running a while is replaced; one that dies at
    start (Redis unreachable, say) stops them all, and the parent exits 1.
    SIGTERM or SIGINT: every worker is told to stop, each closes its clients
    with 1001, and the parent exits 0 when all of them exited 0.
    """

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.port = settings.port
        self.workers: dict[int, float] = {}
        self.stopping_since: float | None = None
        self.failed = False

    def run(self) -> int:
        """Fork the workers and supervise them until they have all stopped."""
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, self._on_stop_signal)
        try:
            for _ in range(self.settings.processes):
                self._spawn()
        except OSError as error:
            print(
                f"chatroom: error: cannot listen on {self.settings.address}:{self.port}: {error}",
                file=sys.stderr,
            )
            self.failed = True
            self._stop_all()
        log.info("%d workers on port %d", len(self.workers), self.port)
        while self.workers:
            self._reap_one()
        return 1 if self.failed else 0

    def _bind(self) -> list[socket.socket]:
        sockets = tornado.netutil.bind_sockets(self.port, self.settings.address, reuse_port=True)
        self.port = sockets[0].getsockname()[1]
        return sockets

    def _spawn(self) -> None:
        sockets = self._bind()
        pid = os.fork()
        if pid == 0:
            run_worker(self.settings, sockets)
        for sock in sockets:
            sock.close()
        self.workers[pid] = time.monotonic()

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
            self._spawn()

    def _kill_stragglers(self) -> None:
        if self.stopping_since is None or time.monotonic() - self.stopping_since < WORKER_STOP_LIMIT:
            return
        for pid in self.workers:
            log.error("worker %d did not stop in time: killing it", pid)
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        self.failed = True
        self.stopping_since = time.monotonic()
