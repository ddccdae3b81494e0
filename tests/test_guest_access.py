"""Guest access on two nodes with Redis: read at start, changed on one node, at once on the other."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.clients import close_code, join, next_of, own_join, refused_on_open, say, welcomed
from tests.redis_server import RedisServer
from tests.support import ServerProcess, call_api, make_account, signed_token, wait_until

SECRET = "guest-access-test-secret-" + "0123456789abcdef" * 3
ADMIN = f"Bearer {signed_token('root', SECRET, lifetime=3600)}"


@pytest.fixture(params=["sqlite", "postgres"])
def redis_server(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[RedisServer]:
    """A redis-server of this test's own, and the database both nodes share (SQLite or PostgreSQL)."""
    server = RedisServer(tmp_path).start()
    if request.param == "sqlite":
        server.database = str(tmp_path / "chat.db")
    else:
        server.database = request.getfixturevalue("postgres_server").lend_schema(request)
    make_account(server.database, "root", admin=True)
    yield server
    server.stop()


def node(redis_server: RedisServer) -> ServerProcess:
    """A node without --guests: guests get in only when an administrator lets them."""
    return ServerProcess(
        redis_server.database, "--redis-url", redis_server.url, "--jwt-secret", SECRET, guests=False
    )


def set_guests(server: ServerProcess, on: bool) -> None:
    status, answer = call_api(server, "PATCH", "/api/admin/settings", {"guests": on}, ADMIN)
    assert (status, answer["guests"]) == (200, on)


def told(server: ServerProcess, on: bool) -> None:
    """Wait until ``server`` has the notice of the other node's change: its live setting is ``on``."""
    wait_until(lambda: call_api(server, "GET", "/api/admin/settings", None, ADMIN)[1]["guests"] is on)


def test_the_setting_is_read_at_start_and_a_change_on_one_node_holds_on_the_other(
    redis_server: RedisServer,
) -> None:
    """Turned on before a node starts, that node lets a v1 guest in; turned off on the other node,
    the guest is closed 4401 at once and refused; turned on again, guests come back."""
    with node(redis_server) as left:
        set_guests(left, True)
        with node(redis_server) as right:
            assert call_api(right, "GET", "/api/admin/settings", None, ADMIN)[1]["guests"] is True
            with join(right, "lobby", "walker") as guest, join(left, "lobby", "runner") as other:
                say(guest, "through the right node")
                assert next_of(other, "user", skip=("sys", "typing", "presence"))["guest"] is True
                set_guests(left, False)
                for connection in (guest, other):
                    assert next_of(connection, "error", skip=("sys", "typing", "presence", "user"))[
                        "code"
                    ] == ("unauthorized")
                    assert close_code(connection, timeout=10) == 4401
            for server in (left, right):
                error, code = refused_on_open(server, room="lobby", nick="walker")
                assert (error["code"], code) == ("unauthorized", 4401)
            set_guests(left, True)
            told(right, True)
            with join(right, "lobby", "walker"):
                pass


def test_guests_are_marked_in_presence_across_nodes(redis_server: RedisServer) -> None:
    """A guest on one node is listed as a guest in an account's welcome on the other, and its join
    and leave say so; the account's own join does not."""
    with node(redis_server) as left, node(redis_server) as right:
        set_guests(left, True)
        with join(left, "lobby", "walker") as guest:
            token = signed_token("root", SECRET, lifetime=3600)
            account, welcome, _ = welcomed(right, room="lobby", token=token)
            with account:
                assert (welcome["users"], welcome["guests"]) == (["root", "walker"], ["walker"])
                assert "guest" not in own_join(account, "root")
                root_join = next_of(guest, "sys", skip=("typing", "presence"))
                assert (root_join["nick"], "guest" in root_join) == ("root", False)
                guest.close()
                leave = next_of(account, "sys", skip=("typing", "presence"))
                assert (leave["event"], leave["nick"], leave["guest"]) == ("leave", "walker", True)
        with join(left, "lobby", "runner") as guest, join(right, "lobby", "strider") as other:
            joined = next_of(guest, "sys", skip=("typing", "presence"))
            if joined["nick"] != "strider":
                # root's leave (the block before) crosses from the other node: it may follow runner's join.
                assert (joined["event"], joined["nick"], "guest" in joined) == ("leave", "root", False)
                joined = next_of(guest, "sys", skip=("typing", "presence"))
            assert (joined["nick"], joined["guest"]) == ("strider", True)
            del other
