"""A request body over the server's limit, on the real server: a JSON 413 that arrives, the connection
closed, the others unaffected; an upload's larger body still taken."""

from __future__ import annotations

import http.client
import json
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from chatroom.body_limit import refusal
from tests.support import Bot, ServerProcess, assert_no_traceback, make_bot, post_message

LIMIT = 64 * 1024


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ServerProcess, Bot]]:
    """A server on a fresh SQLite file, and a bot that posts and uploads in the lobby."""
    database = tmp_path_factory.mktemp("body-limit") / "chat.db"
    bot = make_bot(database, "relay", ["lobby"])
    with ServerProcess(database) as server:
        yield server, bot


def post(
    server: ServerProcess, path: str, body: bytes, authorization: str
) -> tuple[int, dict[str, str], bytes]:
    """Send the whole body with http.client (which reads the answer only after sending it all)."""
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    try:
        connection.request("POST", path, body, {"Authorization": authorization})
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        connection.close()


@pytest.mark.parametrize("size", [LIMIT + 1, 70_000, 2_000_000])
def test_a_body_over_the_limit_is_a_json_413_that_arrives(site: tuple[ServerProcess, Bot], size: int) -> None:
    """Just over, a little over, and thirty times over: 413 too_large as JSON, the connection closed."""
    server, bot = site
    body = json.dumps({"message": "x" * (size - 15)}).encode()[:size].ljust(size, b" ")
    status, headers, answer = post(server, "/api/rooms/lobby/messages", body, bot.authorization)
    assert (status, json.loads(answer)["error"]) == (413, "too_large")
    assert (headers["Content-Type"], headers["Connection"]) == ("application/json", "close")
    assert_no_traceback(server)


def test_the_refused_connection_is_closed_and_the_others_go_on(site: tuple[ServerProcess, Bot]) -> None:
    """After the 413 the server closes the connection (no second answer); the next post is stored."""
    server, bot = site
    head = (
        f"POST /api/rooms/lobby/messages HTTP/1.1\r\nHost: x\r\nAuthorization: {bot.authorization}\r\n"
        f"Content-Length: {LIMIT + 100}\r\n\r\n"
    ).encode()
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as raw:
        raw.sendall(head + b"{" * (LIMIT + 100))
        received = b""
        while chunk := raw.recv(65536):
            received += chunk
    assert received == refusal(LIMIT)
    status, stored = post_message(server, "lobby", b'{"message": "still here"}', bot.authorization)
    assert (status, stored["message"]) == (201, "still here")


def test_an_upload_over_the_limit_is_taken(site: tuple[ServerProcess, Bot], tmp_path: Path) -> None:
    """A file of 200 KiB, sixteen times more than the limit of other bodies, is stored."""
    server, bot = site
    blob = bytes(range(256)) * 800
    status, _, answer = post(server, "/api/rooms/lobby/files?name=data.bin", blob, bot.authorization)
    assert status in (200, 201), answer
    assert json.loads(answer)["file"]["size"] == len(blob)
