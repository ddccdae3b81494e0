"""Helpers the tests share: free ports, tools that must exist, real servers, raw HTTP, event sinks.

WebSocket clients are tests/clients.py's and tests/raw_ws.py's.

A test that needs a program the machine lacks fails under CI (CI=true) and
skips elsewhere, saying what to install.
"""

from __future__ import annotations

import asyncio
import base64
import concurrent.futures
import contextlib
import itertools
import json
import os
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
import weakref
from collections.abc import Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import jwt
import pytest

from chatroom import admin, bots, links
from chatroom.backend import Event, PresenceEvent, StoredMessage
from chatroom.config import Settings
from chatroom.store.accounts_base import AccountStore
from chatroom.store.records import OPEN, PERSON
from tests.port_owner import listens_on

T = TypeVar("T")

REPO = Path(__file__).resolve().parent.parent
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
# HTTP straight to the server, whatever proxy the environment names.
NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))
_names = itertools.count()


def unique(prefix: str) -> str:
    """A room or nick no other test in this process uses."""
    return f"{prefix}{next(_names)}"


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


# Each test process's chat servers take its home port in turn when it is free: a server's address is the
# origin of its pages, and Chromium keeps its cache per origin, so the next file's pages find the page's
# modules cached (their URLs name their content, cached for good; the rest is no-store or revalidated,
# so no server is ever shown another's data). Below the kernel's ephemeral range, one per xdist worker.
HOME_PORT_BASE = 21000
_home_holder: list[weakref.ref[ServerProcess]] = []


def port_is_free(port: int) -> bool:
    """Whether a server could listen on ``port`` now (as Tornado binds, with SO_REUSEADDR)."""
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


class PortTakenError(Exception):
    """Another process took the port a test server was to listen on."""


def claim_home_port(server: ServerProcess) -> int | None:
    """This test process's home port for ``server``, unless another of its servers holds it (until the end
    of its ``with`` block, or while it exists: it may start again) or something else listens there."""
    if _home_holder and _home_holder[0]() is not None:
        return None
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw")
    port = HOME_PORT_BASE + (int(worker) if worker.isdigit() else 0)
    if not port_is_free(port):
        return None
    _home_holder[:] = [weakref.ref(server)]
    return port


def require_program(path_or_name: str, install_hint: str) -> str:
    """The program's path; fail under CI, skip elsewhere, when it is missing."""
    found = shutil.which(path_or_name)
    if found is None:
        message = f"{path_or_name} is missing: {install_hint}"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    return found


def upgrade_request(port: int, room: str, nick: str, key: str | None = None) -> bytes:
    """The bytes of a WebSocket upgrade to /ws, for raw-socket clients that misbehave."""
    key = key or base64.b64encode(os.urandom(16)).decode()
    return (
        f"GET /ws?room={room}&nick={nick} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
        "Upgrade: websocket\r\nConnection: Upgrade\r\n"
        f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
    ).encode()


def wait_until(condition: object, timeout: float = 10.0, interval: float = 0.05) -> None:
    """Poll ``condition()`` until it is true, or fail the test."""
    assert callable(condition)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(interval)
    pytest.fail(f"condition not met within {timeout}s")


def http_status(url: str) -> int | None:
    """The HTTP status of GET ``url``, or None when nothing answers."""
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return int(error.code)
    except OSError:
        return None


class ServerProcess:
    """``python -m chatroom`` as a real subprocess, on a port of its own (the test process's home port
    when it is free: claim_home_port)."""

    def __init__(
        self,
        db: str | Path = ":memory:",
        *extra: str,
        port: int | None = None,
        nofile: tuple[int, int] | None = None,
        python: str | Path = sys.executable,
        cwd: Path = REPO,
        env: dict[str, str] | None = None,
        guests: bool = True,
    ) -> None:
        """``nofile``: the (soft, hard) descriptor limits the server starts with.

        ``guests``: let people in with just a nick (--guests), as version 1
        clients connect; most tests speak version 1.

        ``python``, ``cwd`` and ``env``: the interpreter (an installed copy's,
        say), the directory and the environment it runs with.
        """
        self.port = port or claim_home_port(self) or free_port()
        self.nofile = nofile
        if str(db) == ":memory:" and "--redis-url" in extra:
            # Processes that share a bus share a database: a private file here.
            db = Path(tempfile.mkdtemp(prefix="chatroom-test-db-")) / "chat.db"
        self.python = python
        self.cwd = cwd
        self.env = env
        self.guests = guests
        self.db = str(db)
        self.extra: Sequence[str] = extra
        self.process: subprocess.Popen[str] | None = None
        self.log_path: Path | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/ws"

    def start(self, timeout: float = 40.0) -> ServerProcess:
        """Start the server and wait until it answers /healthz with 200 itself; on a free port instead
        when another test run took its home port first (port_owner.py)."""
        try:
            return self._start(timeout)
        except PortTakenError:
            self._release_home_port()
            self.port = free_port()
            self.log_path = None
            return self._start(timeout)

    def _start(self, timeout: float) -> ServerProcess:
        command = [str(self.python), "-m", "chatroom", "--port", str(self.port), "--db", self.db]
        if "--new-rooms-per-minute" not in self.extra:
            # Tests make a fresh room each from 127.0.0.1, many a minute; the
            # tests of that limit pass the flag themselves.
            command += ["--new-rooms-per-minute", "0"]
        if "--join-rate" not in self.extra:
            # Likewise, they connect many members from 127.0.0.1 at once.
            command += ["--join-rate", "0"]
        if self.guests:
            command += ["--guests"]
        command += self.extra
        log_file = open(self._log_file(), "a")  # noqa: SIM115 - the child keeps it
        self.process = subprocess.Popen(
            command,
            cwd=self.cwd,
            env=self.env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            text=True,
            preexec_fn=self._limit_descriptors if self.nofile else None,
        )
        log_file.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                if not port_is_free(self.port) and _home_holder and _home_holder[0]() is self:
                    raise PortTakenError(self.port)
                raise RuntimeError(f"server exited {self.process.returncode}:\n{self.log()}")
            if http_status(self.url + "/healthz") == 200 and listens_on(self.process.pid, self.port):
                return self
            time.sleep(0.05)
        raise RuntimeError(f"server not ready in {timeout}s:\n{self.log()}")

    def _limit_descriptors(self) -> None:
        assert self.nofile is not None
        resource.setrlimit(resource.RLIMIT_NOFILE, self.nofile)

    def _log_file(self) -> Path:
        if self.log_path is None:
            directory = Path(os.environ.get("CHATROOM_TEST_LOGS", "/tmp"))
            self.log_path = directory / f"chatroom-test-{self.port}-{os.getpid()}.log"
            self.log_path.unlink(missing_ok=True)
        return self.log_path

    def log(self) -> str:
        """Everything the server printed so far."""
        return self.log_path.read_text() if self.log_path and self.log_path.exists() else ""

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 10.0) -> int:
        """Send ``sig`` and return the exit status."""
        assert self.process is not None
        if self.process.poll() is None:
            self.process.send_signal(sig)
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            raise

    def kill(self) -> int:
        """SIGKILL: no chance to flush or say goodbye."""
        return self.stop(signal.SIGKILL)

    def __enter__(self) -> ServerProcess:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        if self.process is not None and self.process.poll() is None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.stop()
        self._release_home_port()

    def _release_home_port(self) -> None:
        if _home_holder and _home_holder[0]() is self:
            _home_holder.clear()  # done with: the next server may take the port


@contextlib.contextmanager
def running_server(*args: str, db: str | Path = ":memory:") -> Iterator[ServerProcess]:
    """A started ServerProcess, stopped with SIGTERM afterwards."""
    with ServerProcess(db, *args) as server:
        yield server


def raw_get(server: ServerProcess, target: str) -> tuple[int, bytes]:
    """Send ``GET target`` byte for byte (no client normalises it): the status and body."""
    request = f"GET {target} HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\nConnection: close\r\n\r\n"
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.sendall(request.encode("latin-1"))
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    return int(head.split(b" ", 2)[1]), body


def post_message(server: ServerProcess, room: str, body: bytes, authorization: str | None) -> tuple[int, Any]:
    """POST ``body`` to a room's messages as a bot would: the status and the JSON answer."""
    request = urllib.request.Request(
        f"{server.url}/api/rooms/{urllib.parse.quote(room, safe='')}/messages", data=body, method="POST"
    )
    request.add_header("Content-Type", "application/json")
    if authorization is not None:
        request.add_header("Authorization", authorization)
    try:
        with NO_PROXY.open(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def in_store(database: str | Path, work: Callable[[AccountStore], Awaitable[T]]) -> T:
    """Run ``work`` on the account store of ``database`` (a server may be running on it), from any test.

    In a thread of its own, so that async tests, whose loop is running, can call it too.
    """

    async def opened() -> T:
        async with admin.opened(Settings(database=str(database))) as store:
            return await work(store.accounts)

    with concurrent.futures.ThreadPoolExecutor(1) as thread:
        return thread.submit(asyncio.run, opened()).result()


@dataclass(frozen=True)
class Bot:
    """A bot account, as ``python -m chatroom admin create-bot`` makes it, and its key."""

    database: str
    name: str
    key: str

    @property
    def authorization(self) -> str:
        """The Authorization header its posts carry."""
        return f"Bearer {self.key}"

    def join(self, *rooms: str) -> Bot:
        """Make the bot a member of ``rooms`` (open rooms are made if missing), as an administrator would."""

        async def put(accounts: AccountStore) -> None:
            bot = await accounts.account_by_name(self.name)
            assert bot is not None
            for room in rooms:
                await bots.put_in_room(accounts, bot, room)

        in_store(self.database, put)
        return self

    def post(self, server: ServerProcess, room: str, message: str, **extra: Any) -> tuple[int, Any]:
        """POST a message as this bot: the status and the JSON answer."""
        return post_message(
            server, room, json.dumps({"message": message, **extra}).encode(), self.authorization
        )


# The administrator tests' servers have, so that they are set up (links.SetupState).
SITE_ADMIN = "site-admin"


def ensure_administrator(database: str | Path) -> None:
    """Give the database an administrator, ``site-admin``, unless it has one: the server is set up."""

    async def ensure(accounts: AccountStore) -> None:
        if not await links.has_active_admin(accounts):
            await accounts.create_account(SITE_ADMIN, PERSON, is_admin=True)

    in_store(database, ensure)


def make_bot(database: str | Path, name: str = "bot", rooms: Sequence[str] = ()) -> Bot:
    """A new bot on ``database`` (SQLite or PostgreSQL), a member of ``rooms``, as the admin command makes
    it (``create-bot`` itself is tested in test_admin.py).

    The database gets an administrator too, as a server whose bots post is set up.
    """
    ensure_administrator(database)
    _, key = in_store(database, lambda accounts: bots.create_bot(accounts, name, rooms))
    return Bot(str(database), name, key)


def make_account(database: str | Path, name: str, *, admin: bool = False) -> int:
    """A person's account on ``database`` (a JWT whose sub is ``name`` speaks for it): its id."""

    async def create(accounts: AccountStore) -> int:
        return (await accounts.create_account(name, PERSON, is_admin=admin)).id

    return in_store(database, create)


def make_open_room(database: str | Path, name: str) -> str:
    """A new open room on ``database``, as rooms management makes them: its name."""

    async def create(accounts: AccountStore) -> None:
        await accounts.create_room(name, OPEN)

    in_store(database, create)
    return name


def signed_token(name: str, secret: str, lifetime: int = 600) -> str:
    """An HS256 JWT for ``name``, valid for ``lifetime`` seconds."""
    return jwt.encode({"sub": name, "exp": int(time.time()) + lifetime}, secret, algorithm="HS256")


def call_api(
    server: ServerProcess,
    method: str,
    path: str,
    body: Any = None,
    authorization: str | None = None,
) -> tuple[int, Any]:
    """An API request (``body`` sent as JSON): the status and the JSON answer (None for no body)."""
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(server.url + path, data=data, method=method)
    request.add_header("Content-Type", "application/json")
    if authorization is not None:
        request.add_header("Authorization", authorization)
    try:
        with NO_PROXY.open(request, timeout=10) as response:
            answer = response.read()
            return response.status, json.loads(answer) if answer else None
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def unsigned_token(payload: dict[str, Any]) -> str:
    """A JWT that says it needs no signature (alg none), as an attacker would make one."""

    def part(obj: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()

    return f"{part({'alg': 'none', 'typ': 'JWT'})}.{part(payload)}."


def assert_no_traceback(server: ServerProcess, since: int = 0) -> None:
    """Nothing the server logged (from offset ``since`` on) is a traceback or a 500."""
    log = server.log()[since:]
    assert "Traceback" not in log
    assert " 500 " not in log


class Collector:
    """An event sink that remembers what it was given."""

    def __init__(self) -> None:
        self.events: list[Event] = []

    def __call__(self, events: Sequence[Event]) -> None:
        self.events.extend(events)

    def messages(self) -> list[StoredMessage]:
        return [e for e in self.events if isinstance(e, StoredMessage)]

    def messages_and_presence(self) -> list[StoredMessage | PresenceEvent]:
        """Messages, joins and leaves, in the order they came."""
        return [e for e in self.events if isinstance(e, StoredMessage | PresenceEvent)]

    def presence(self) -> list[tuple[str, str, int]]:
        return [(e.event, e.nick, e.users) for e in self.events if isinstance(e, PresenceEvent)]

    async def wait_for(self, condition: Callable[[Collector], bool], timeout: float = 10.0) -> None:
        """Wait until ``condition(self)`` holds (delivery may cross a network)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not condition(self):
            if loop.time() > deadline:
                raise AssertionError(f"not delivered in {timeout}s: {self.events}")
            await asyncio.sleep(0.01)
