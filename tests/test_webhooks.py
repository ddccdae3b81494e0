"""Bots' webhooks and a real receiver: once per direct message or mention, bounded in time, public only;
on a real server with SQLite and with PostgreSQL."""

from __future__ import annotations

import asyncio
import http.server
import json
import socket
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from chatroom.own_addresses import OwnAddresses
from chatroom.store.accounts_base import AccountStore
from chatroom.store.records import DIRECT, OPEN
from chatroom.webhooks import PublicResolver, check_url, is_public, shown
from tests.clients import next_of, welcomed
from tests.support import (
    NO_PROXY,
    ServerProcess,
    call_api,
    in_store,
    make_account,
    signed_token,
    unique,
    wait_until,
)
from tests.web_client import new_database

JWT_SECRET = "webhook-test-secret-" + "0123456789abcdef" * 3


class Receiver:
    """An HTTP server on ``host`` (127.0.0.1) that records every POST; ``delay`` seconds before it answers."""

    def __init__(self, delay: float = 0.0, host: str = "127.0.0.1") -> None:
        self.calls: list[tuple[str, dict[str, str], Any]] = []
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.calls.append((self.path, dict(self.headers), json.loads(body)))
                time.sleep(delay)
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer((host, 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def url(self, host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}/hook?secret=s3cr3t"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(params=["sqlite", "postgres"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A new database of each kind."""
    return new_database(request, tmp_path)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    made = Receiver()
    yield made
    made.close()


class Site:
    """A server with tokens, an administrator, a person ``ann`` and rooms made in the store."""

    def __init__(self, server: ServerProcess, database: str) -> None:
        self.server = server
        self.database = database
        self.admin = f"Bearer {signed_token('root', JWT_SECRET)}"

    def bot(self, url: str, *rooms: str) -> dict[str, Any]:
        """A bot through the API, with a webhook address and rooms (its key under ``key``)."""
        body = {"name": unique("helper"), "rooms": list(rooms)}
        status, made = call_api(self.server, "POST", "/api/admin/bots", body, self.admin)
        assert status == 201, made
        path = f"/api/admin/bots/{made['bot']['id']}/webhook"
        status, answer = call_api(self.server, "PUT", path, {"url": url}, self.admin)
        assert status == 200, answer
        return {**made["bot"], "key": made["key"]}

    def room(self, kind: str, *account_ids: int) -> str:
        """A room of ``kind`` with those members."""
        name = unique(kind)

        async def create(accounts: AccountStore) -> None:
            await accounts.create_room(name, kind, members=account_ids)

        in_store(self.database, create)
        return name


def start_site(database: str, *flags: str) -> tuple[ServerProcess, Site, int]:
    """A started server (stop it) on a new ``database``, with ``root`` (an administrator) and ``ann``:
    ann's id."""
    make_account(database, "root", admin=True)
    ann = make_account(database, "ann")
    server = ServerProcess(database, "--jwt-secret", JWT_SECRET, *flags).start()
    return server, Site(server, database), ann


def say_as_ann(server: ServerProcess, room: str, text: str) -> dict[str, Any]:
    """Ann connects to the room, says ``text`` and reads it back: the stored frame."""
    ws, _, _ = welcomed(server, room=room, token=signed_token("ann", JWT_SECRET))
    with ws:
        ws.send(json.dumps({"type": "message", "message": text}))
        return next_of(ws, "user")


def test_a_direct_message_calls_the_webhook_once_and_a_room_message_does_not(
    database: str, receiver: Receiver
) -> None:
    """Ann opens a direct conversation with the bot: her message there is POSTed once with the frame, room
    and sender, and the bot's answer reaches her; her message in an open room the bot is in calls nothing;
    nor does the bot's own post."""
    server, site, ann = start_site(database, "--webhook-allow-private")
    try:
        bot = site.bot(receiver.url())
        ann_token = f"Bearer {signed_token('ann', JWT_SECRET)}"
        status, opened = call_api(server, "POST", "/api/direct", {"members": [bot["name"]]}, ann_token)
        assert (status, opened["kind"], sorted(opened["members"])) == (
            201,
            DIRECT,
            sorted(["ann", bot["name"]]),
        )
        direct = opened["room"]
        open_room = site.room(OPEN)
        call_api(server, "PUT", f"/api/admin/bots/{bot['id']}/rooms/{open_room}", None, site.admin)
        say_as_ann(server, open_room, "hello everyone")
        stored = say_as_ann(server, direct, "hello bot")
        wait_until(lambda: len(receiver.calls) == 1)
        time.sleep(0.5)
        assert len(receiver.calls) == 1
        path, headers, body = receiver.calls[0]
        assert path == "/hook?secret=s3cr3t"
        assert headers["Content-Type"] == "application/json"
        assert body == {
            "type": "direct_message",
            "bot": {"id": bot["id"], "name": bot["name"]},
            "room": direct,
            "sender": {"id": ann, "name": "ann"},
            "message": stored,
        }
        answer = {"message": "hello ann"}
        status, posted = call_api(
            server, "POST", f"/api/rooms/{direct}/messages", answer, f"Bearer {bot['key']}"
        )
        assert (status, posted["nick"], posted["bot"]) == (201, bot["name"], True)
        _, history = call_api(server, "GET", f"/api/rooms/{direct}/messages", None, ann_token)
        assert [m["message"] for m in history["messages"]] == ["hello bot", "hello ann"]
        time.sleep(0.5)
        assert len(receiver.calls) == 1
    finally:
        server.stop()


def test_a_file_in_a_direct_room_reaches_the_webhook_with_its_file(database: str, receiver: Receiver) -> None:
    """Ann's upload in her direct room with the bot is POSTed with the file, which the bot's key downloads."""
    server, site, ann = start_site(database, "--webhook-allow-private")
    try:
        bot = site.bot(receiver.url())
        direct = site.room(DIRECT, ann, bot["id"])
        upload = urllib.request.Request(
            f"{server.url}/api/rooms/{direct}/files?name=notes.txt&text=for%20you",
            data=b"the notes\n",
            method="POST",
            headers={"Authorization": f"Bearer {signed_token('ann', JWT_SECRET)}"},
        )
        with NO_PROXY.open(upload, timeout=10) as response:
            answer = json.loads(response.read())
        wait_until(lambda: len(receiver.calls) == 1)
        message = receiver.calls[0][2]["message"]
        assert (message["id"], message["message"], message["file"]) == (
            answer["id"],
            "for you",
            answer["file"],
        )
        key = f"Bearer {bot['key']}"
        download = urllib.request.Request(
            f"{server.url}/files/{message['file']['id']}/notes.txt", headers={"Authorization": key}
        )
        with NO_PROXY.open(download, timeout=10) as response:
            assert response.read() == b"the notes\n"
    finally:
        server.stop()


def test_a_mention_in_a_room_the_bot_is_in_calls_its_webhook_and_nowhere_else(
    database: str, receiver: Receiver
) -> None:
    """Ann's "@bot" in an open room the bot is a member of is POSTed once as a mention; the same mention
    in a room the bot is not in, a longer name, or no mention at all, calls nothing."""
    server, site, ann = start_site(database, "--webhook-allow-private")
    try:
        bot = site.bot(receiver.url())
        with_bot, without_bot = site.room(OPEN), site.room(OPEN)
        call_api(server, "PUT", f"/api/admin/bots/{bot['id']}/rooms/{with_bot}", None, site.admin)
        say_as_ann(server, without_bot, f"@{bot['name']} are you there?")
        say_as_ann(server, with_bot, f"@{bot['name']}s is not the bot, nor is plain {bot['name']}")
        stored = say_as_ann(server, with_bot, f"hey @{bot['name'].upper()}, what is the build status?")
        wait_until(lambda: len(receiver.calls) == 1)
        time.sleep(0.5)
        assert len(receiver.calls) == 1
        _, _, body = receiver.calls[0]
        assert body == {
            "type": "mention",
            "bot": {"id": bot["id"], "name": bot["name"]},
            "room": with_bot,
            "sender": {"id": ann, "name": "ann"},
            "message": stored,
        }
    finally:
        server.stop()


def test_a_slow_receiver_is_given_up_after_the_timeout_without_a_retry(database: str) -> None:
    """A receiver that takes 4 s against --webhook-timeout 1: the call is logged as timed out, once;
    the key's secret query is not logged; the sender's message was stored and shown at once."""
    slow = Receiver(delay=4)
    server, site, ann = start_site(database, "--webhook-allow-private", "--webhook-timeout", "1")
    try:
        bot = site.bot(slow.url())
        direct = site.room(DIRECT, ann, bot["id"])
        started = time.monotonic()
        stored = say_as_ann(server, direct, "are you there?")
        assert time.monotonic() - started < 1
        wait_until(lambda: "timed out" in server.log(), timeout=5)
        assert time.monotonic() - started < 3.5
        time.sleep(4)
        assert len(slow.calls) == 1
        assert "s3cr3t" not in server.log()
        assert stored["message"] == "are you there?"
    finally:
        server.stop()
        slow.close()


def test_without_allow_private_a_name_that_resolves_to_loopback_is_never_called(
    database: str, receiver: Receiver
) -> None:
    """127.0.0.1 is refused when set (400); ``localhost`` is accepted as a name but refused when
    connecting, because it resolves to loopback: the receiver gets nothing, the log says why."""
    server, site, ann = start_site(database)
    try:
        status, made = call_api(server, "POST", "/api/admin/bots", {"name": "hooked"}, site.admin)
        assert status == 201
        path = f"/api/admin/bots/{made['bot']['id']}/webhook"
        status, answer = call_api(server, "PUT", path, {"url": receiver.url()}, site.admin)
        assert (status, answer["error"]) == (400, "bad_request")
        assert "--webhook-allow-private" in answer["message"]
        bot = site.bot(receiver.url("localhost"))
        direct = site.room(DIRECT, ann, bot["id"])
        say_as_ann(server, direct, "hello?")
        wait_until(lambda: "loopback, private or reserved" in server.log(), timeout=5)
        assert receiver.calls == []
    finally:
        server.stop()


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("93.184.216.34", True),
        ("2606:2800:220:1::1", True),
        ("127.0.0.1", False),
        ("10.1.2.3", False),
        ("172.16.0.1", False),
        ("192.168.1.1", False),
        ("169.254.169.254", False),
        ("::1", False),
        ("fe80::1%eth0", False),
        ("fc00::1", False),
        ("::ffff:127.0.0.1", False),
        ("0.0.0.0", False),
        ("0.1.2.3", False),
        ("224.0.0.1", False),
        ("ff0e::1", False),
        ("fec0::1", False),
        ("::7f00:1", False),
        ("::ffff:0:7f00:1", False),
        ("2002:7f00:1::1", False),
        ("2002:5db8:d822::1", True),
        ("64:ff9b::a01:203", False),
        ("64:ff9b::5db8:d822", True),
        ("64:ff9b:1::1", False),
    ],
)
def test_only_public_addresses_are_reachable(address: str, public: bool) -> None:
    """Loopback, private, link-local (cloud metadata), unique-local, mapped, unspecified (0.0.0.0/8),
    multicast, site-local: no; nor an IPv6 address that carries one of them (IPv4-compatible or
    translated, 6to4, NAT64), while 6to4 and NAT64 of a public address are public."""
    assert is_public(address) is public


def test_addresses_are_checked_and_logged_without_their_secrets() -> None:
    """http(s) with a host; a literal private address refused unless allowed; logs drop query and user."""
    assert check_url("https://hooks.example.com/x", allow_private=False)
    assert check_url("http://127.0.0.1:9/", allow_private=True)
    with pytest.raises(ValueError, match="allow-private"):
        check_url("http://127.0.0.1:9/", allow_private=False)
    for bad in ("ftp://example.com/", "https:///nohost", "javascript:alert(1)", "https://e.com/a b"):
        with pytest.raises(ValueError):
            check_url(bad, allow_private=True)
    assert (
        shown("https://user:pw@hooks.example.com:8443/in?token=abc#x") == "https://hooks.example.com:8443/in"
    )


class StubResolver:
    """Answers every name with the addresses it was given, as a DNS server of the caller's choice would."""

    def __init__(self, *addresses: str) -> None:
        self.addresses = addresses

    async def resolve(self, host: str, port: int, family: int) -> list[tuple[int, Any]]:
        return [(socket.AF_INET, (address, port)) for address in self.addresses]


def test_a_name_that_resolves_to_this_machines_public_address_is_never_connected_to(tmp_path: Path) -> None:
    """A machine whose interface has the public 93.184.216.34: a name resolving to it and to another
    public address is connected to the other only; a name resolving to it alone is refused, saying so."""
    (tmp_path / "fib_trie").write_text("Local:\n  |-- 93.184.216.34\n     /32 host LOCAL\n")
    resolver = PublicResolver(own=OwnAddresses(proc_net=tmp_path))
    resolver._system = StubResolver("93.184.216.34", "93.184.216.35")  # type: ignore[assignment]
    assert asyncio.run(resolver.resolve("hooks.example.com", 443)) == [
        (socket.AF_INET, ("93.184.216.35", 443))
    ]
    resolver._system = StubResolver("93.184.216.34")  # type: ignore[assignment]
    with pytest.raises(OSError, match="resolves only to this machine's own addresses"):
        asyncio.run(resolver.resolve("hooks.example.com", 443))
    with pytest.raises(ValueError, match="this machine's own"):
        check_url("http://93.184.216.34/in", allow_private=False, own=OwnAddresses(proc_net=tmp_path))
    assert check_url("http://93.184.216.34/in", allow_private=True, own=OwnAddresses(proc_net=tmp_path))


def outgoing_address() -> str:
    """This machine's non-loopback address towards the Internet (no packet is sent)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("93.184.216.34", 9))
        except OSError:
            pytest.skip("this machine has no IPv4 route towards the Internet")
        return str(probe.getsockname()[0])


def test_a_webhook_to_this_machines_interface_address_is_refused_and_nothing_is_sent(
    database: str,
) -> None:
    """A receiver listening on every address of this machine: setting a webhook to the machine's
    interface address is 400; one stored before (an import, or a server that allowed it) is refused
    when calling, the log says it is this machine's own, and the receiver gets nothing."""
    address = outgoing_address()
    everywhere = Receiver(host="0.0.0.0")
    server, site, ann = start_site(database)
    try:
        status, made = call_api(server, "POST", "/api/admin/bots", {"name": "hooked"}, site.admin)
        assert status == 201
        bot = made["bot"]
        path = f"/api/admin/bots/{bot['id']}/webhook"
        status, answer = call_api(server, "PUT", path, {"url": everywhere.url(address)}, site.admin)
        assert (status, answer["error"]) == (400, "bad_request")
        assert "this machine's own" in answer["message"]

        async def stored_before(accounts: AccountStore) -> bool:
            return await accounts.set_webhook(bot["id"], everywhere.url(address))

        assert in_store(site.database, stored_before)
        direct = site.room(DIRECT, ann, bot["id"])
        say_as_ann(server, direct, "hello?")
        wait_until(lambda: "resolves only to this machine's own addresses" in server.log(), timeout=5)
        assert everywhere.calls == []
        assert "s3cr3t" not in server.log()
    finally:
        server.stop()
        everywhere.close()
