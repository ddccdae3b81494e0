"""ChatTestCase: an AsyncHTTPTestCase with a chat server and WebSocket helpers."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import Callable, Container, Iterable
from typing import Any

import pytest
import tornado.httpserver
import tornado.web
import tornado.websocket
from tornado.httpclient import HTTPClientError, HTTPRequest
from tornado.testing import AsyncHTTPTestCase

from chatroom import bots, links
from chatroom.app import make_app
from chatroom.bus.local import LocalBus
from chatroom.config import Settings
from chatroom.handlers import ChatSocketHandler
from chatroom.listener import GuardedHTTPServer, Listener
from chatroom.service import ChatService, embedded
from chatroom.store.postgres import PostgresStore
from chatroom.store.records import PERSON

from .pg_server import PostgresServer

Frame = dict[str, Any]
Client = tornado.websocket.WebSocketClientConnection


class OnPostgres:
    """Mixed into a ChatTestCase subclass: its server stores in PostgreSQL (a schema of each test's own)."""

    backend: ChatService
    backend_class: Callable[[str], ChatService]

    @pytest.fixture(autouse=True)
    def _postgres(self, postgres_server: PostgresServer, request: pytest.FixtureRequest) -> None:
        url = postgres_server.lend_schema(request)
        self.backend_class = lambda _path: ChatService(PostgresStore(url), LocalBus())

    def test_the_server_stores_in_postgresql(self) -> None:
        """This class's server stores in PostgreSQL, not the SQLite default."""
        assert self.backend.store_kind == "postgres"


class ListenedHTTPServer(GuardedHTTPServer):
    """Accepts through the server's own listener, so its sockets read frames as the server's do."""

    listener: Listener | None = None

    def add_sockets(self, sockets: Iterable[socket.socket]) -> None:
        self.listener = Listener(self, list(sockets), 0, count_peers=True)
        self.listener.start()

    def stop(self) -> None:
        if self.listener is not None:
            self.listener.stop()
        super().stop()


class ChatTestCase(AsyncHTTPTestCase):
    """A chat server on an in-memory store; each test gets a fresh one.

    Override ``settings`` (a Settings) to change options for a test class.
    tearDown closes every client and clears the class-level registry, so one
    test's dead sockets never reach the next test's broadcasts.
    """

    # Tests connect many members from 127.0.0.1 at once: no join limit, but
    # for the tests of it, which set one.
    settings = Settings(database=":memory:", ping_interval=0, ping_timeout=0, join_rate=0, guests=True)
    backend_class: Callable[[str], ChatService] = staticmethod(embedded)

    def get_app(self) -> tornado.web.Application:
        ChatSocketHandler.reset_registry()
        self.backend = self.backend_class(":memory:")
        self.io_loop.run_sync(self.backend.start)
        self.clients: list[Client] = []
        self.app = make_app(self.settings, self.backend)
        return self.app

    def get_http_server(self) -> tornado.httpserver.HTTPServer:
        return ListenedHTTPServer(self._app, **self.get_httpserver_options())

    def tearDown(self) -> None:
        for client in self.clients:
            client.close()
        for session in tuple(self.app.hub.sessions):
            session.close()
        self.io_loop.run_sync(self.backend.close)
        ChatSocketHandler.reset_registry()
        super().tearDown()

    # --- WebSocket helpers ---------------------------------------------------

    def ws_url(self, **params: str | int) -> str:
        query = "&".join(f"{key}={tornado.escape.url_escape(str(value))}" for key, value in params.items())
        return f"ws://127.0.0.1:{self.get_http_port()}/ws?{query}"

    async def make_bot(self, name: str, *rooms: str) -> str:
        """A bot account, a member of ``rooms`` (open ones made if missing): its key.

        The server gets an administrator too: one that has bots is set up.
        """
        if not await links.has_active_admin(self.backend.accounts):
            await self.backend.accounts.create_account("site-admin", PERSON, is_admin=True)
        _, key = await bots.create_bot(self.backend.accounts, name, rooms)
        return key

    async def connect(self, headers: dict[str, str] | None = None, **params: str | int) -> Client:
        """Open a WebSocket with these query parameters."""
        request = HTTPRequest(self.ws_url(**params), headers=headers)
        client = await tornado.websocket.websocket_connect(request, max_message_size=16 * 1024 * 1024)
        self.clients.append(client)
        return client

    async def join(self, nick: str, room: str = "lobby", **params: str | int) -> tuple[Client, Frame, Frame]:
        """Connect and read welcome, history and one's own join frame."""
        client = await self.connect(room=room, nick=nick, **params)
        welcome = await self.recv(client)
        history = await self.recv(client)
        joined = await self.recv(client)
        assert welcome["type"] == "welcome", welcome
        assert history["type"] == "history", history
        assert (joined["type"], joined["event"], joined["nick"]) == ("sys", "join", welcome["nick"]), joined
        return client, welcome, history

    async def recv(self, client: Client, timeout: float = 5.0) -> Frame:
        """The next frame, decoded; fails if the connection closes instead."""
        raw = await asyncio.wait_for(client.read_message(), timeout)
        assert raw is not None, f"connection closed: {client.close_code} {client.close_reason}"
        assert isinstance(raw, str)
        frame = json.loads(raw)
        assert isinstance(frame, dict)
        return frame

    async def recv_type(self, client: Client, kind: str, timeout: float = 5.0) -> Frame:
        """Skip frames until one of type ``kind`` arrives."""
        while True:
            frame = await self.recv(client, timeout)
            if frame["type"] == kind:
                return frame

    async def closed(self, client: Client, timeout: float = 8.0) -> int | None:
        """Read until the server closes the connection; the close code."""
        while await asyncio.wait_for(client.read_message(), timeout) is not None:
            pass
        return client.close_code

    async def nothing_more(
        self, client: Client, wait: float = 0.2, ignoring: Container[str] = ("unread",)
    ) -> None:
        """Assert no frame arrives within ``wait`` seconds but those of the ``ignoring`` types.

        An account's ``unread`` counts follow the room's activity after a short delay, however
        late, so by default they are let by: a test about them passes ``ignoring=()``.
        """
        deadline = asyncio.get_running_loop().time() + wait
        while (left := deadline - asyncio.get_running_loop().time()) > 0:
            try:
                raw = await asyncio.wait_for(client.read_message(), left)
            except TimeoutError:
                return
            if raw is None or json.loads(raw).get("type") not in ignoring:
                raise AssertionError(f"unexpected frame: {raw!r}")

    async def send(self, client: Client, frame: Frame | str) -> None:
        """Send a JSON frame, or raw text."""
        await client.write_message(frame if isinstance(frame, str) else json.dumps(frame))

    async def chat(self, client: Client, text: str, ref: str | None = None) -> None:
        """Send a message frame."""
        frame: Frame = {"type": "message", "message": text}
        if ref is not None:
            frame["ref"] = ref
        await self.send(client, frame)

    async def fetch_json(self, path: str, **kwargs: Any) -> tuple[int, Any]:
        """Status and decoded JSON body of an HTTP request, errors included."""
        try:
            response = await self.http_client.fetch(self.get_url(path), **kwargs)
        except HTTPClientError as error:
            assert error.response is not None
            response = error.response
        return response.code, json.loads(response.body) if response.body else None
