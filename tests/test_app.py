"""make_app through pytest-tornado's fixtures: the URL table answers as documented."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
import tornado.web
from tornado.httpclient import AsyncHTTPClient
from tornado.ioloop import IOLoop

from chatroom.app import make_app
from chatroom.config import Settings
from chatroom.service import ChatService, embedded
from tests.clients import aclose_code, ajoin, areceive


@pytest.fixture
def backend(io_loop: IOLoop) -> Iterator[ChatService]:
    """An in-memory store, started and closed on the test's loop."""
    store = embedded(":memory:")
    io_loop.run_sync(store.start)
    yield store
    io_loop.run_sync(store.close)


@pytest.fixture
def app(backend: ChatService) -> tornado.web.Application:
    """The application pytest-tornado serves for each test."""
    return make_app(Settings(database=":memory:", ping_interval=0, ping_timeout=0, guests=True), backend)


@pytest.mark.gen_test
async def test_healthz(http_client: AsyncHTTPClient, base_url: str) -> None:
    """/healthz answers 200 with the backend's name."""
    response = await http_client.fetch(base_url + "/healthz")
    body = json.loads(response.body)
    assert (response.code, body["status"], body["store"], body["bus"]) == (200, "ok", "sqlite", "local")


@pytest.mark.gen_test
async def test_metrics_are_prometheus_text(http_client: AsyncHTTPClient, base_url: str) -> None:
    """/metrics is Prometheus text with the documented series."""
    response = await http_client.fetch(base_url + "/metrics")
    text = response.body.decode()
    assert response.headers["Content-Type"].startswith("text/plain")
    for series in (
        "chatroom_connections_open",
        "chatroom_messages_received_total",
        "chatroom_messages_delivered_total",
        "chatroom_slow_clients_disconnected_total",
    ):
        assert series in text


@pytest.mark.gen_test
async def test_chat_over_the_fixture_server(http_server: object, base_url: str) -> None:
    """A WebSocket to the fixture server chats like any other."""
    client, _ = await ajoin(base_url.replace("http://", "ws://") + "/ws", "fixture", "ann")
    await client.send("hello")
    user = await areceive(client)
    assert (user["type"], user["id"], user["message"]) == ("user", 1, "hello")
    await client.close()
    assert await aclose_code(client, skip=()) == 1000
