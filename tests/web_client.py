"""An HTTP client that acts as one browser: it keeps its cookies, echoes the page's _xsrf token,
and comes from an address of its own (X-Real-IP, for servers started with --xheaders)."""

from __future__ import annotations

import http.cookiejar
import itertools
import json
import re
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from websockets.sync.client import ClientConnection

from chatroom.identity import SESSION_COOKIE

from .clients import next_of, open_ws
from .support import ServerProcess

PASSWORD = "correct horse battery"
_addresses = itertools.count(1)
SETUP_LINE = re.compile(r"open (http://\S+/setup\?token=(\S+)) to create one")


def new_address() -> str:
    """An address no other client of this test process comes from."""
    number = next(_addresses)
    return f"10.{number >> 16 & 255}.{number >> 8 & 255}.{number & 255}"


@dataclass
class Answer:
    """An HTTP answer: status, headers, body."""

    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def error(self) -> tuple[int, str]:
        """The status and the error code of a refusal."""
        return self.status, self.json["error"]


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


class WebClient:
    """One browser on the server at ``base``."""

    def __init__(self, base: str, address: str | None = None) -> None:
        self.base = base
        self.address = address or new_address()
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.ProxyHandler({}), urllib.request.HTTPCookieProcessor(self.jar), _NoRedirect()
        )

    def get(self, path: str) -> Answer:
        """GET a page or an endpoint (no redirect followed)."""
        return self.request("GET", path)

    def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        xsrf: bool = True,
        headers: dict[str, str] | None = None,
    ) -> Answer:
        """A JSON API request, with the page's _xsrf token unless ``xsrf`` is False."""
        sent = {"Content-Type": "application/json", **(headers or {})}
        if xsrf:
            sent["X-XSRFToken"] = self.xsrf_token()
        data = None if body is None else json.dumps(body).encode()
        return self.request(method, path, data, sent)

    def request(
        self, method: str, path: str, data: bytes | None = None, headers: dict[str, str] | None = None
    ) -> Answer:
        request = urllib.request.Request(
            self.base + path, data=data, method=method, headers={"X-Real-IP": self.address, **(headers or {})}
        )
        try:
            with self.opener.open(request, timeout=30) as response:
                return Answer(response.status, dict(response.headers), response.read())
        except urllib.error.HTTPError as error:
            return Answer(error.code, dict(error.headers), error.read())

    def cookie(self, name: str) -> http.cookiejar.Cookie | None:
        return next((cookie for cookie in self.jar if cookie.name == name), None)

    def xsrf_token(self) -> str:
        """The _xsrf cookie's value, after opening a page for it if there is none yet."""
        if self.cookie("_xsrf") is None:
            self.get("/signin")
        cookie = self.cookie("_xsrf")
        assert cookie is not None and cookie.value is not None
        return cookie.value

    def sign_in(self, name: str, password: str = PASSWORD) -> Answer:
        return self.call("POST", "/api/session", {"name": name, "password": password})


def setup_link(server: ServerProcess, timeout: float = 10.0, after: int = 0) -> tuple[str, str]:
    """The newest setup link the server logged (and its token), waiting for the ``after``-th one."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = SETUP_LINE.findall(server.log())
        if len(found) > after:
            url, token = found[-1]
            return str(url), str(token)
        time.sleep(0.05)
    raise AssertionError(f"no setup link in the log:\n{server.log()}")


def set_up(server: ServerProcess, admin: str = "Admin") -> tuple[WebClient, str]:
    """Create the server's administrator from its logged setup link: the admin's client and the join link."""
    _, token = setup_link(server)
    client = WebClient(server.url)
    answer = client.call(
        "POST",
        "/api/setup",
        {"token": token, "name": admin, "password": PASSWORD, "password_again": PASSWORD},
    )
    assert answer.status == 201, answer
    return client, str(answer.json["join_link"])


def join(server: ServerProcess, join_link: str, name: str) -> WebClient:
    """A new person who signed up with the join link, signed in."""
    client = WebClient(server.url)
    token = join_link.rsplit("token=", 1)[1]
    answer = client.call(
        "POST", "/api/join", {"token": token, "name": name, "password": PASSWORD, "password_again": PASSWORD}
    )
    assert answer.status == 201, answer
    return client


def new_database(request: pytest.FixtureRequest, directory: Path) -> str:
    """A new database of the kind a fixture is parametrised with: a SQLite file, or a PostgreSQL schema."""
    if request.param == "sqlite":
        return str(directory / "chat.db")
    # The tests' own cluster, started once per session when a PostgreSQL test first runs.
    return str(request.getfixturevalue("postgres_server").lend_schema(request))


@contextmanager
def guestless_site(database: str) -> Iterator[tuple[ServerProcess, WebClient, str]]:
    """A set-up server without guests (addresses from X-Real-IP): it, its administrator, the join link."""
    with ServerProcess(database, "--xheaders", guests=False) as server:
        admin, join_link = set_up(server)
        yield server, admin, join_link


@contextmanager
def signed_in_people(directory: Path, *names: str) -> Iterator[tuple[ServerProcess, dict[str, WebClient]]]:
    """A server without guests in ``directory``, its administrator (the first name) and the others, each
    signed in with a client of their own."""
    with ServerProcess(directory / "chat.db", guests=False) as server:
        admin, join_link = set_up(server, names[0])
        yield server, {names[0]: admin} | {name: join(server, join_link, name) for name in names[1:]}


def listed(client: WebClient, path: str, key: str) -> list[dict[str, Any]]:
    """The list ``key`` of what ``GET path`` answers (200)."""
    answer = client.call("GET", path)
    assert answer.status == 200
    return list(json.loads(answer.body)[key])


def session_socket(server: ServerProcess, browser: WebClient) -> ClientConnection:
    """The browser's chat socket in the lobby, signed in by its session cookie; after its welcome."""
    cookie = browser.cookie(SESSION_COOKIE)
    assert cookie is not None
    ws = open_ws(server, room="lobby", headers={"Cookie": f"{SESSION_COOKIE}={cookie.value}"})
    assert next_of(ws, "welcome")["nick"] == browser.get("/api/me").json["account"]["name"]
    next_of(ws, "history")
    return ws
