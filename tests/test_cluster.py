"""Several real ``python -m chatroom`` nodes on one real Redis, as a deployment runs them.

Clients are the independent ``websockets`` library. Each test starts its own
redis-server on a free port.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import os
import signal
import subprocess
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jwt
import pytest
import tornado.httpclient
from PIL import Image
from websockets.asyncio.client import ClientConnection

from chatroom.bus.redis import RedisBus
from chatroom.events import DEACTIVATED, ROOM_CREATED, ROOM_MEMBERS, AccountNotice, RoomNotice
from chatroom.room_affinity import owner_of
from chatroom.service import ChatService
from chatroom.store import open_store
from chatroom.store.accounts_base import AccountStore
from chatroom.store.records import CLOSED, OPEN

from .clients import (
    ANY_TYPE,
    NOTICES,
    aclose_code,
    ajoin,
    anext_of,
    aopen_ws,
    areceive,
    arefused_on_open,
    auser_frames,
    awelcomed,
    close_code,
    join,
    next_of,
    refused_on_open,
    say,
    welcomed,
)
from .redis_server import RedisServer
from .support import (
    ServerProcess,
    call_api,
    free_port,
    http_status,
    in_store,
    make_account,
    make_bot,
    require_program,
    signed_token,
    wait_until,
)
from .web_client import PASSWORD, WebClient, set_up

# Nodes pass messages through Redis, and some tests restart it: a generous wait.
WAIT = 15.0


@pytest.fixture(params=["sqlite", "postgres"])
def redis_server(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[RedisServer]:
    """A redis-server of this test's own, and the database its nodes share: a SQLite file
    (several processes on one machine) or a PostgreSQL schema (many nodes)."""
    server = RedisServer(tmp_path).start()
    if request.param == "sqlite":
        server.database = str(tmp_path / "chat.db")
    else:
        server.database = request.getfixturevalue("postgres_server").lend_schema(request)
    yield server
    server.stop()


def node(redis_server: RedisServer, *extra: str, guests: bool = True) -> ServerProcess:
    """An unstarted chatroom node on ``redis_server``, sharing the test's one database."""
    return ServerProcess(redis_server.database, "--redis-url", redis_server.url, *extra, guests=guests)


def test_two_nodes_deliver_one_order_without_gaps(redis_server: RedisServer) -> None:
    """Concurrent senders on two nodes: members of both see ids 1..N in the same order."""
    with node(redis_server) as left, node(redis_server) as right:

        async def scenario() -> None:
            watch_left, _ = await ajoin(left, "lobby", "watcher-left")
            watch_right, _ = await ajoin(right, "lobby", "watcher-right")
            senders = [
                (await ajoin(server, "lobby", f"s{i}"))[0]
                for i, server in enumerate((left, right, left, right))
            ]

            async def send(client: ClientConnection, name: int) -> None:
                for i in range(20):
                    await client.send(json.dumps({"type": "message", "message": f"{name}:{i}"}))

            got_left = asyncio.ensure_future(auser_frames(watch_left, 80, WAIT, skip=ANY_TYPE))
            got_right = asyncio.ensure_future(auser_frames(watch_right, 80, WAIT, skip=ANY_TYPE))
            await asyncio.gather(*[send(client, n) for n, client in enumerate(senders)])
            seen_left, seen_right = await got_left, await got_right
            assert [f["id"] for f in seen_left] == list(range(1, 81))
            assert [(f["id"], f["message"]) for f in seen_left] == [
                (f["id"], f["message"]) for f in seen_right
            ]
            for n in range(4):
                own = [f["message"] for f in seen_left if f["message"].startswith(f"{n}:")]
                assert own == [f"{n}:{i}" for i in range(20)]

        asyncio.run(scenario())


def test_nick_is_taken_across_nodes(redis_server: RedisServer) -> None:
    """A nick in use on one node is refused on another with nick_taken and 4409, whatever its case."""
    with node(redis_server) as left, node(redis_server) as right:

        async def scenario() -> None:
            alice, _ = await ajoin(left, "lobby", "Alice")
            error, code = await arefused_on_open(right, room="lobby", nick="ALICE")
            assert (error["code"], code) == ("nick_taken", 4409)
            bob, welcome = await ajoin(right, "lobby", "bob")
            assert welcome["users"] == ["Alice", "bob"]
            await alice.close()
            await bob.close()

        asyncio.run(scenario())


def test_a_bot_post_on_one_node_is_a_bots_on_the_other_under_its_own_name(
    redis_server: RedisServer,
) -> None:
    """Posted on either node, a member of the other sees "bot": true and the bot's name, whatever is sent."""
    deploybot = make_bot(redis_server.database, "deploybot", rooms=["lobby"])
    with node(redis_server) as left, node(redis_server) as right:

        async def post(server: ServerProcess, nick: str) -> tuple[int, dict[str, Any]]:
            request = tornado.httpclient.HTTPRequest(
                f"{server.url}/api/rooms/lobby/messages",
                method="POST",
                headers={"Authorization": deploybot.authorization},
                body=json.dumps({"nick": nick, "message": f"from {nick}"}),
            )
            response = await tornado.httpclient.AsyncHTTPClient().fetch(request, raise_error=False)
            return response.code, json.loads(response.body)

        async def scenario() -> None:
            alice, _ = await ajoin(right, "lobby", "alice")
            for server in (left, right):
                status, stored = await post(server, "Alice")
                assert (status, stored["nick"], stored["bot"]) == (201, "deploybot", True)
                assert await anext_of(alice, "user", WAIT, skip=ANY_TYPE) == stored
            await alice.close()

        asyncio.run(scenario())


def test_a_bots_edit_and_reaction_over_http_on_one_node_reach_the_other(redis_server: RedisServer) -> None:
    """A bot posts on one node and, over HTTP on the other, edits its message and reacts to it: a member
    of the first node sees each change's frame, in order, as the requests answered it."""
    deploybot = make_bot(redis_server.database, "deploybot", rooms=["lobby"])
    with node(redis_server) as left, node(redis_server) as right:

        async def call(server: ServerProcess, method: str, path: str, body: Any = None) -> dict[str, Any]:
            request = tornado.httpclient.HTTPRequest(
                f"{server.url}/api/rooms/lobby/messages{path}",
                method=method,
                headers={"Authorization": deploybot.authorization},
                body=None if body is None else json.dumps(body),
                allow_nonstandard_methods=True,
            )
            response = await tornado.httpclient.AsyncHTTPClient().fetch(request, raise_error=False)
            assert response.code in (200, 201), response.body
            answer: dict[str, Any] = json.loads(response.body)
            return answer

        async def scenario() -> None:
            alice, _ = await ajoin(left, "lobby", "alice")
            posted = await call(left, "POST", "", {"message": "build running"})
            assert (await anext_of(alice, "user", WAIT, skip=ANY_TYPE))["id"] == posted["id"]
            edited = await call(right, "PATCH", f"/{posted['id']}", {"message": "build passed"})
            assert await anext_of(alice, "edit", WAIT, skip=ANY_TYPE) == edited
            reacted = await call(right, "PUT", f"/{posted['id']}/reactions/%F0%9F%8E%89")
            assert await anext_of(alice, "reaction", WAIT, skip=ANY_TYPE) == reacted
            assert (edited["target"], reacted["id"]) == (posted["id"], edited["id"] + 1)
            await alice.close()

        asyncio.run(scenario())


def view_of(welcome: dict[str, Any], notices: list[dict[str, Any]]) -> set[str]:
    """Who is online by the welcome and the join and leave notices after it."""
    view = set(welcome["users"])
    for frame in notices:
        if frame["type"] == "sys":
            (view.add if frame["event"] == "join" else view.discard)(frame["nick"])
        else:
            view.difference_update(frame["left"])
            view.update(frame["joined"])
    return view


def settled(welcome: dict[str, Any], notices: list[dict[str, Any]]) -> bool:
    """Whether the notices end with the watcher and the stayer alone online."""
    return bool(notices) and notices[-1]["users"] == 2 and view_of(welcome, notices) == {"watcher", "stayer"}


def test_churn_through_one_node_reaches_another_as_a_few_notices(redis_server: RedisServer) -> None:
    """Members connecting and closing flat out on one node: a member of the other gets a few
    join/leave notices a second, and ends with the right list and count."""
    with node(redis_server) as left, node(redis_server) as right:

        async def churn(name: str) -> None:
            for n in range(100):
                client = await aopen_ws(right, room="churn", nick=f"{name}{n}")
                await areceive(client)
                await client.close()

        async def scenario() -> None:
            watcher, welcome = await ajoin(left, "churn", "watcher")
            notices: list[dict[str, Any]] = []

            async def read() -> None:
                async for raw in watcher:
                    frame = json.loads(raw)
                    if frame["type"] in ("sys", "presence"):
                        notices.append(frame)

            reader = asyncio.ensure_future(read())
            loop = asyncio.get_running_loop()
            started = loop.time()
            churning = asyncio.gather(churn("a"), churn("b"))
            await asyncio.sleep(0.3)
            # Through Redis, joins of the churn may reach the stayer before its own.
            stayer, _ = await ajoin(right, "churn", "stayer", skip=NOTICES)
            await churning
            # The last notices come at the coalescer's pace, later on a loaded machine.
            deadline = loop.time() + 15
            while not settled(welcome, notices) and loop.time() < deadline:
                await asyncio.sleep(0.1)
            elapsed = loop.time() - started
            # 400 joins and leaves; without coalescing the watcher would get each of them.
            assert len(notices) <= 10 + 4 * elapsed + 1, len(notices)
            assert view_of(welcome, notices) == {"watcher", "stayer"}
            assert notices[-1]["users"] == 2
            reader.cancel()
            await stayer.close()
            await watcher.close()

        asyncio.run(scenario())


def test_killed_node_members_leave_on_the_others(
    redis_server: RedisServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SIGKILL one node: members elsewhere see each of its members leave, once."""
    # Short enough to wait for, long enough that a loaded machine does not
    # stall the survivor past it (its own members would then be reaped).
    monkeypatch.setenv("CHATROOM_REDIS_PRESENCE_TTL", "3")
    with node(redis_server) as doomed, node(redis_server) as survivor:

        async def scenario() -> None:
            alice, _ = await ajoin(doomed, "lobby", "alice")
            bob, _ = await ajoin(survivor, "lobby", "bob")
            doomed.kill()
            leave = await anext_of(bob, "sys", WAIT, skip=ANY_TYPE)
            assert (leave["event"], leave["nick"], leave["users"]) == ("leave", "alice", 1)
            await bob.send("still here")
            mine = await anext_of(bob, "user", WAIT, skip=ANY_TYPE)
            assert mine["message"] == "still here"
            again, welcome = await ajoin(survivor, "lobby", "alice")
            assert welcome["users"] == ["alice", "bob"]
            frame = await anext_of(bob, "sys", WAIT, skip=ANY_TYPE)
            assert (frame["event"], frame["nick"]) == ("join", "alice")
            await again.close()
            await bob.close()
            alice.transport.abort()

        asyncio.run(scenario())


def test_delivery_resumes_after_redis_restarts(redis_server: RedisServer) -> None:
    """While Redis is down /healthz is 503 and the other node hears nothing, but messages are stored
    and acked; once Redis is back the other node's members get what they missed, in order, once."""
    with node(redis_server) as left, node(redis_server) as right:

        async def scenario() -> None:
            alice, _ = await ajoin(left, "lobby", "alice")
            bob, _ = await ajoin(right, "lobby", "bob")
            await alice.send(json.dumps({"type": "message", "message": "before", "ref": "a"}))
            assert (await anext_of(alice, "ack", WAIT, skip=ANY_TYPE))["id"] == 1
            assert (await anext_of(bob, "user", WAIT, skip=ANY_TYPE))["message"] == "before"
            await asyncio.to_thread(redis_server.stop)
            await asyncio.to_thread(wait_until, lambda: http_status(left.url + "/healthz") == 503)
            await alice.send(json.dumps({"type": "message", "message": "while away", "ref": "b"}))
            assert (await anext_of(alice, "ack", WAIT, skip=ANY_TYPE))["id"] == 2
            await asyncio.to_thread(redis_server.start)
            for server in (left, right):
                await asyncio.to_thread(
                    wait_until, lambda s=server: http_status(s.url + "/healthz") == 200, 20
                )
            await alice.send(json.dumps({"type": "message", "message": "after", "ref": "c"}))
            assert (await anext_of(alice, "ack", WAIT, skip=ANY_TYPE))["id"] == 3
            missed = await auser_frames(bob, 2, WAIT, skip=ANY_TYPE)
            assert [(f["id"], f["message"]) for f in missed] == [(2, "while away"), (3, "after")]
            await alice.close()
            await bob.close()

        asyncio.run(scenario())


async def history_statuses(url: str, count: int) -> list[int]:
    """The statuses of ``count`` concurrent GETs of ``url``."""
    client = tornado.httpclient.AsyncHTTPClient(max_clients=64)
    responses = await asyncio.gather(*[client.fetch(url, raise_error=False) for _ in range(count)])
    return [response.code for response in responses]


def test_requests_after_a_redis_restart_all_succeed(redis_server: RedisServer) -> None:
    """History requests answer 200 across Redis restarts and outages; /healthz is 503 while Redis is away."""
    with node(redis_server) as server:
        history = server.url + "/api/rooms/lobby/messages"

        async def scenario() -> None:
            alice, _ = await ajoin(server, "lobby", "alice")
            await alice.send("before")
            await anext_of(alice, "user", WAIT, skip=ANY_TYPE)
            # Concurrent requests open many pooled connections: all stale after the restart.
            assert set(await history_statuses(history, 64)) == {200}
            await asyncio.to_thread(redis_server.restart)
            assert await history_statuses(history, 200) == [200] * 200
            await asyncio.to_thread(wait_until, lambda: http_status(server.url + "/healthz") == 200)
            await alice.send(json.dumps({"type": "message", "message": "after", "ref": "a"}))
            ack = await anext_of(alice, "ack", WAIT, skip=ANY_TYPE)
            assert ack["id"] == 2
            await asyncio.to_thread(redis_server.stop)
            assert http_status(server.url + "/healthz") == 503
            # History is the store's: it answers while Redis is away.
            assert await history_statuses(history, 20) == [200] * 20
            await asyncio.to_thread(redis_server.start)
            await asyncio.to_thread(wait_until, lambda: http_status(server.url + "/healthz") == 200)
            assert await history_statuses(history, 50) == [200] * 50
            bob, _ = await ajoin(server, "lobby", "bob")
            await alice.close()
            await bob.close()

        asyncio.run(scenario())


def worker_connections(parent: int, port: int) -> dict[int, int]:
    """How many established connections to ``port`` each worker of ``parent`` holds (Linux /proc)."""
    established: set[str] = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(table) as rows:
            for row in list(rows)[1:]:
                fields = row.split()
                if fields[3] == "01" and int(fields[1].rsplit(":", 1)[1], 16) == port:
                    established.add(fields[9])
    children = Path(f"/proc/{parent}/task/{parent}/children").read_text().split()
    counts = {}
    for child in map(int, children):
        inodes = set()
        for fd in Path(f"/proc/{child}/fd").iterdir():
            target = os.readlink(fd)
            if target.startswith("socket:["):
                inodes.add(target[8:-1])
        counts[child] = len(inodes & established)
    return counts


def test_processes_share_the_port_and_stop_together(redis_server: RedisServer) -> None:
    """--processes 2: both workers serve rooms and chat; SIGTERM closes them all with 1001, exit 0."""
    server = node(redis_server, "--processes", "2").start()
    try:
        assert server.process is not None
        rooms = {owner_of(f"room-{n}", 2): f"room-{n}" for n in range(20)}

        async def scenario() -> None:
            clients = [(await ajoin(server, rooms[i % 2], f"user{i}"))[0] for i in range(16)]
            counts = worker_connections(server.process.pid, server.port)  # type: ignore[union-attr]
            assert sorted(counts.values()) == [8, 8], counts
            await clients[0].send("hello all")
            for client in clients[::2]:
                assert (await anext_of(client, "user", WAIT, skip=ANY_TYPE))["message"] == "hello all"
            server.process.send_signal(signal.SIGTERM)  # type: ignore[union-attr]
            for client in clients:
                assert await aclose_code(client, WAIT) == 1001

        asyncio.run(scenario())
        assert server.process.wait(15) == 0
    finally:
        if server.process is not None and server.process.poll() is None:
            server.stop()


NGINX_CONF = """
    daemon off;
    worker_processes 1;
    pid {tmp}/nginx.pid;
    error_log {tmp}/error.log warn;
    events {{ worker_connections 256; }}
    http {{
        access_log off;
        client_body_temp_path {tmp}/body;
        proxy_temp_path {tmp}/proxy;
        fastcgi_temp_path {tmp}/fastcgi;
        uwsgi_temp_path {tmp}/uwsgi;
        scgi_temp_path {tmp}/scgi;
        map $http_upgrade $connection_upgrade {{ default upgrade; '' close; }}
        upstream chatroom {{ server 127.0.0.1:{upstream}; }}
        server {{
            listen 127.0.0.1:{port};
            location / {{
                proxy_pass http://chatroom;
                proxy_http_version 1.1;
                proxy_set_header Upgrade $http_upgrade;
                proxy_set_header Connection $connection_upgrade;
                proxy_set_header Host $host;
                proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
                proxy_set_header X-Real-IP $remote_addr;
                proxy_read_timeout 3600s;
                proxy_send_timeout 3600s;
                proxy_buffering off;
                client_max_body_size 26m;
                proxy_request_buffering off;
            }}
        }}
    }}
"""


def test_nginx_in_front_of_a_node(redis_server: RedisServer, tmp_path: Path) -> None:
    """A client through nginx (the docs' recipe) chats with a client connected to another node directly,
    and uploads and downloads a file through it."""
    nginx = require_program("nginx", "apt-get install nginx")
    with node(redis_server, "--xheaders") as behind, node(redis_server) as direct:
        port = free_port()
        conf = tmp_path / "nginx.conf"
        conf.write_text(textwrap.dedent(NGINX_CONF.format(tmp=tmp_path, upstream=behind.port, port=port)))
        command = [nginx, "-e", str(tmp_path / "error.log"), "-p", str(tmp_path), "-c", str(conf)]
        proxy = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        try:
            wait_until(lambda: http_status(f"http://127.0.0.1:{port}/healthz") == 200)

            async def scenario() -> None:
                far, _ = await ajoin(f"ws://127.0.0.1:{port}/ws", "lobby", "through-nginx")
                near, _ = await ajoin(direct, "lobby", "direct")
                await far.send("hello from behind the proxy")
                from_far = await anext_of(near, "user", WAIT, skip=ANY_TYPE)
                assert from_far["message"] == "hello from behind the proxy"
                await near.send("hello back")
                heard = [(await anext_of(far, "user", WAIT, skip=ANY_TYPE))["message"] for _ in range(2)]
                assert heard == ["hello from behind the proxy", "hello back"]
                await far.close()
                await near.close()

            asyncio.run(scenario())
            # The node started last logged the setup link that works.
            upload_through(f"http://127.0.0.1:{port}", direct)
        finally:
            proxy.terminate()
            proxy.wait(10)


def upload_through(proxy: str, setting_up: ServerProcess) -> None:
    """A file of several MiB goes up through the proxy and comes back, whole and in a range
    (an administrator made with ``setting_up``'s setup link uploads it)."""
    set_up(setting_up)
    browser = WebClient(proxy)
    assert browser.call("POST", "/api/session", {"name": "Admin", "password": PASSWORD}).status == 200
    blob = os.urandom(3 * 1024 * 1024)
    answer = browser.request(
        "POST", "/api/rooms/lobby/files?name=big.bin", blob, {"X-XSRFToken": browser.xsrf_token()}
    )
    assert answer.status == 200, answer
    path = f"/files/{answer.json['file']['id']}/big.bin"
    assert browser.get(path).body == blob
    part = browser.request("GET", path, headers={"Range": "bytes=1000000-1000099"})
    assert (part.status, part.body) == (206, blob[1_000_000:1_000_100])


def test_redis_losing_its_data_loses_no_message(redis_server: RedisServer) -> None:
    """Redis flushed under a node: members stay connected, ids and the epoch go on, history is whole."""
    with node(redis_server, "--rate", "100", "--burst", "100") as server:

        async def scenario() -> None:
            alice, welcome = await ajoin(server, "lobby", "alice")
            for number in range(3):
                await alice.send(f"before {number}")
                await anext_of(alice, "user", WAIT, skip=ANY_TYPE)
            await asyncio.to_thread(redis_server.client().flushall)
            await alice.send("after the loss")
            after = await anext_of(alice, "user", WAIT, skip=ANY_TYPE)
            assert (after["id"], after["message"]) == (4, "after the loss")
            again, new_welcome = await ajoin(server, "lobby", "alice2")
            assert (new_welcome["epoch"], new_welcome["last_id"]) == (welcome["epoch"], 4)
            await again.close()
            await alice.close()

        asyncio.run(scenario())


def test_a_stopping_node_tells_the_others_its_members_left(redis_server: RedisServer) -> None:
    """SIGTERM a node: members elsewhere see each of its members leave, and its log has no failed release."""
    with node(redis_server) as stopping, node(redis_server) as staying:

        async def scenario() -> None:
            members = [(await ajoin(stopping, "lobby", f"m{i}"))[0] for i in range(25)]
            watcher, welcome = await ajoin(staying, "lobby", "watcher")
            assert len(welcome["users"]) == 26
            assert await asyncio.to_thread(stopping.stop) == 0
            left: set[str] = set()
            async with asyncio.timeout(WAIT):
                while len(left) < 25:
                    # Past a few, the leaves come folded into presence frames.
                    frame = await areceive(watcher)
                    if frame["type"] == "sys" and frame["event"] == "leave":
                        left.add(frame["nick"])
                    elif frame["type"] == "presence":
                        left.update(frame["left"])
            assert left == {f"m{i}" for i in range(25)}
            await watcher.close()
            for member in members:
                member.transport.abort()

        asyncio.run(scenario())
        assert "cannot release" not in stopping.log() and "Traceback" not in stopping.log()


async def anext_notice(ws: ClientConnection) -> tuple[str, str, int]:
    """The next join or leave a member sees: (event, nick, users)."""
    frame = await anext_of(ws, "sys", WAIT, skip=("typing",))
    return frame["event"], frame["nick"], frame["users"]


async def online_in(server: ServerProcess, room: str) -> int:
    """How many /api/rooms says are online in ``room``."""
    request = tornado.httpclient.HTTPRequest(
        f"{server.url}/api/rooms?prefix={room}", headers={"Authorization": f"Bearer {account_token('ann')}"}
    )
    response = await tornado.httpclient.AsyncHTTPClient().fetch(request)
    (entry,) = [r for r in json.loads(response.body)["rooms"] if r["room"] == room]
    return int(entry["online"])


def test_an_account_in_two_tabs_on_one_node_and_one_on_another_is_one_member(
    redis_server: RedisServer,
) -> None:
    """Three connections of ann's, on two nodes: each is welcomed and sees its own join, but bob sees
    her join once, counts her once, and sees her leave only when her last connection closes."""
    secret = ("--jwt-secret", CLUSTER_SECRET)
    with node(redis_server, *secret) as left, node(redis_server, *secret) as right:

        async def scenario() -> None:
            bob, _ = await ajoin(right, "lobby", "bob")
            tabs = []
            for server in (left, left, right):
                ws, welcome, _ = await awelcomed(server, room="lobby", token=account_token("ann"))
                assert (welcome["nick"], welcome["users"]) == ("ann", ["ann", "bob"])
                own = await anext_of(ws, "sys", WAIT, skip=())
                assert (own["event"], own["nick"], own["users"]) == ("join", "ann", 2)
                tabs.append(ws)
            assert await anext_notice(bob) == ("join", "ann", 2)
            carol, _ = await ajoin(left, "lobby", "carol")
            assert await anext_notice(bob) == ("join", "carol", 3)  # no second join of ann's between
            assert await online_in(left, "lobby") == await online_in(right, "lobby") == 3
            error, code = await arefused_on_open(right, room="lobby", nick="Ann")
            assert (error["code"], code) == ("nick_taken", 4409)  # a guest never shares an account's nick
            await tabs[0].close()
            await tabs[2].close()
            await carol.close()
            assert await anext_notice(bob) == ("leave", "carol", 2)  # ann is still in
            await tabs[1].send(json.dumps({"type": "message", "message": "still here"}))
            assert (await anext_of(bob, "user", WAIT))["message"] == "still here"
            await tabs[1].close()
            assert await anext_notice(bob) == ("leave", "ann", 1)
            await wait_for_online(right, 1)
            await bob.close()

        async def wait_for_online(server: ServerProcess, count: int) -> None:
            async with asyncio.timeout(WAIT):
                while await online_in(server, "lobby") != count:
                    await asyncio.sleep(0.05)

        asyncio.run(scenario())


def test_a_guest_back_on_the_other_node_with_its_key_is_in_at_once(redis_server: RedisServer) -> None:
    """ann, a guest, holds her nick on one node from a connection still open there; back through the
    other node with her key, she is welcomed as ann, and bob sees her join once and leave once, after
    her last connection; without her key, the other node refuses the nick."""
    key = "ann-s-guest-key-0123456789"
    with node(redis_server) as left, node(redis_server) as right:

        async def scenario() -> None:
            bob, _ = await ajoin(right, "lobby", "bob")
            held, welcome, _ = await awelcomed(left, room="lobby", nick="ann", guest_key=key)
            assert await anext_notice(bob) == ("join", "ann", 2)
            error, code = await arefused_on_open(right, room="lobby", nick="ann")
            assert (error["code"], code) == ("nick_taken", 4409)
            back, welcome, _ = await awelcomed(right, room="lobby", nick="ann", guest_key=key)
            assert (welcome["nick"], welcome["users"], welcome["guests"]) == (
                "ann",
                ["ann", "bob"],
                ["ann", "bob"],
            )
            await held.close()
            await back.send(json.dumps({"type": "message", "message": "back"}))
            # Nothing of ann's comes before it: neither her leave nor a second join.
            assert (await anext_of(bob, "user", WAIT, skip=("typing", "presence")))["message"] == "back"
            await back.close()
            assert await anext_notice(bob) == ("leave", "ann", 1)
            await bob.close()

        asyncio.run(scenario())


CLUSTER_SECRET = "a-cluster-secret-that-is-long-enough-for-hs256"


def account_token(name: str) -> str:
    """A JWT for the account ``name`` (made on first sight by the node that sees it)."""
    return jwt.encode({"sub": name, "exp": int(time.time()) + 600}, CLUSTER_SECRET, algorithm="HS256")


def admin_service(redis_server: RedisServer) -> ChatService:
    """The deployment's store and bus, as an administrator's change reaches them from a third node."""
    return ChatService(open_store(redis_server.database), RedisBus(redis_server.url))


def test_removal_and_deactivation_close_connections_on_the_other_node_at_once(
    redis_server: RedisServer,
) -> None:
    """A change made on one node closes the affected connections on another: 4403 out of a room,
    4401 when the account is deactivated; a new closed room reaches its members' room lists live."""
    flags = ("--jwt-secret", CLUSTER_SECRET)
    with node(redis_server, *flags, guests=False) as left, node(redis_server, *flags, guests=False) as right:

        async def scenario() -> None:
            admin = admin_service(redis_server)
            await admin.start()
            try:
                await _removal_and_deactivation(admin, left, right)
            finally:
                await admin.close()

        asyncio.run(scenario())


async def _removal_and_deactivation(admin: ChatService, left: ServerProcess, right: ServerProcess) -> None:
    accounts = admin.accounts
    # First sight through the nodes makes the accounts.
    ann_lobby, _, _ = await awelcomed(left, room="lobby", token=account_token("ann"))
    bob_lobby, _, _ = await awelcomed(right, room="lobby", token=account_token("bob"))
    ann = await accounts.account_by_name("ann")
    bob = await accounts.account_by_name("bob")
    assert ann is not None and bob is not None
    await accounts.create_room("team", CLOSED, members=[ann.id, bob.id])
    await admin.notify(RoomNotice("team", ROOM_CREATED, members=(ann.id, bob.id)))
    for ws in (ann_lobby, bob_lobby):
        created = await anext_of(ws, "room", skip=ANY_TYPE)
        assert (created["change"], created["room"]["room"], created["room"]["kind"]) == (
            "created",
            "team",
            "closed",
        )
    bob_team, _, _ = await awelcomed(right, room="team", token=account_token("bob"))
    ann_team, _, _ = await awelcomed(left, room="team", token=account_token("ann"))

    await accounts.remove_member("team", bob.id)
    await admin.notify(RoomNotice("team", ROOM_MEMBERS, members=(ann.id,), removed=(bob.id,)))
    refusal = await anext_of(bob_team, "error", skip=ANY_TYPE)
    assert refusal["code"] == "forbidden"
    assert await aclose_code(bob_team, WAIT) == 4403
    assert (await anext_of(bob_lobby, "room_gone", skip=ANY_TYPE))["room"] == "team"
    error, code = await arefused_on_open(right, room="team", token=account_token("bob"))
    assert (error["code"], code) == ("not_found", 4404)

    await accounts.deactivate_account(ann.id)
    await admin.notify(AccountNotice(ann.id, DEACTIVATED))
    for ws in (ann_team, ann_lobby):
        assert (await anext_of(ws, "error", skip=ANY_TYPE))["code"] == "unauthorized"
        assert await aclose_code(ws, WAIT) == 4401
    error, code = await arefused_on_open(left, room="lobby", token=account_token("ann"))
    assert (error["code"], code) == ("unauthorized", 4401)
    await bob_lobby.close()


ADMIN_SECRET = "cluster-admin-secret-" + "0123456789abcdef" * 3


def test_deactivation_on_one_node_closes_the_account_on_every_node_and_keeps_it_out(
    redis_server: RedisServer,
) -> None:
    """An administrator deactivates eve through one node: her connections to both close 4401 at once,
    neither lets her back in, and a guest removed through one node is closed and barred on the other, with
    its tab in another room on the first node."""
    make_account(redis_server.database, "root", admin=True)
    eve = make_account(redis_server.database, "eve")

    async def hall(accounts: AccountStore) -> None:
        await accounts.create_room("hall", OPEN)

    in_store(redis_server.database, hall)
    admin = f"Bearer {signed_token('root', ADMIN_SECRET)}"
    flags = ("--jwt-secret", ADMIN_SECRET)
    with node(redis_server, *flags) as left, node(redis_server, *flags) as right:
        on_left, _, _ = welcomed(left, room="lobby", token=signed_token("eve", ADMIN_SECRET))
        on_right, _, _ = welcomed(right, room="hall", token=signed_token("eve", ADMIN_SECRET))
        status, _ = call_api(left, "POST", f"/api/admin/accounts/{eve}/deactivate", None, admin)
        assert status == 200
        for ws in (on_left, on_right):
            assert close_code(ws, timeout=5) == 4401
        for server in (left, right):
            error, code = refused_on_open(server, room="lobby", token=signed_token("eve", ADMIN_SECRET))
            assert (error["code"], code) == ("unauthorized", 4401)

        with (
            join(right, "lobby", "troll", source="127.0.0.12") as troll,
            join(left, "hall", "troll-tab", source="127.0.0.12") as tab,
        ):
            body = {"room": "lobby", "nick": "troll", "minutes": 5}
            assert call_api(left, "POST", "/api/admin/guests/removals", body, admin)[0] == 200
            assert close_code(troll, timeout=5) == 4403
            # Its tab in another room, on the other node, closes too: the address is told to every node.
            assert close_code(tab, timeout=5) == 4403
        for server in (left, right):
            error, code = refused_on_open(server, room="lobby", nick="troll", source="127.0.0.12")
            assert (error["code"], code) == ("forbidden", 4403)


def test_an_administrator_made_through_one_node_is_marked_and_back_with_the_rights_on_the_other(
    redis_server: RedisServer,
) -> None:
    """root makes vic an administrator through the left node: wes's connection on the right is told (an
    admin frame), vic's on the right is told and closed 1012, and comes back to delete wes's message."""
    make_account(redis_server.database, "root", admin=True)
    vic = make_account(redis_server.database, "vic")
    make_account(redis_server.database, "wes")
    admin = f"Bearer {signed_token('root', ADMIN_SECRET)}"
    flags = ("--jwt-secret", ADMIN_SECRET)
    with node(redis_server, *flags) as left, node(redis_server, *flags) as right:
        wes, _, _ = welcomed(right, room="lobby", token=signed_token("wes", ADMIN_SECRET))
        vics, _, _ = welcomed(right, room="lobby", token=signed_token("vic", ADMIN_SECRET))
        with wes, vics:
            say(wes, "delete me if you can")
            target = next_of(vics, "user")["id"]
            assert call_api(left, "PUT", f"/api/admin/accounts/{vic}/admin", None, admin)[0] == 200
            told = {"type": "admin", "name": "vic", "admin": True}
            assert next_of(wes, "admin", timeout=5, skip=ANY_TYPE) == told
            assert next_of(vics, "admin", timeout=5, skip=ANY_TYPE) == told
            assert close_code(vics, timeout=5) == 1012
        back, _, _ = welcomed(right, room="lobby", token=signed_token("vic", ADMIN_SECRET))
        with back:
            back.send(json.dumps({"type": "delete", "id": target, "ref": "d1"}))
            assert next_of(back, "delete", skip=ANY_TYPE)["target"] == target


def test_a_picture_set_on_one_node_is_told_to_the_accounts_on_the_other_at_once(
    redis_server: RedisServer,
) -> None:
    """Ann sets a picture through the left node: Bob's connection on the right is told its id at once (and
    hers), and the right node serves it at the address a page makes of it; she removes it through the right
    node: her own connection on the left is told it is gone. A guest on the right hears of neither."""
    flags = ("--jwt-secret", CLUSTER_SECRET)
    with node(redis_server, *flags) as left, node(redis_server, *flags) as right:

        async def scenario() -> None:
            ann, _, _ = await awelcomed(left, room="lobby", token=account_token("ann"))
            bob, _, _ = await awelcomed(right, room="lobby", token=account_token("bob"))
            guest, _ = await ajoin(right, "lobby", "visitor")
            status, body = await picture_call(left, "PUT", "ann", png_picture())
            assert status == 200
            told = await anext_of(bob, "avatar", WAIT, skip=ANY_TYPE)
            assert told == {"type": "avatar", "name": "ann", "avatar": body["avatar"]["id"]}
            assert await anext_of(ann, "avatar", WAIT, skip=ANY_TYPE) == told  # her own, on this node
            served = await tornado.httpclient.AsyncHTTPClient().fetch(
                f"{right.url}/avatars/ann?v={told['avatar']}",
                headers={"Authorization": f"Bearer {account_token('bob')}"},
            )
            assert served.headers["Content-Type"] == "image/png"
            assert (await picture_call(right, "DELETE", "ann"))[0] == 204
            gone = await anext_of(ann, "avatar", WAIT, skip=ANY_TYPE)
            assert gone == {"type": "avatar", "name": "ann", "avatar": None}
            assert (await anext_of(bob, "avatar", WAIT, skip=ANY_TYPE))["avatar"] is None
            heard = []
            with contextlib.suppress(TimeoutError):
                while True:
                    heard.append(json.loads(await asyncio.wait_for(guest.recv(), 0.5)))
            assert "avatar" not in [frame["type"] for frame in heard]
            for ws in (ann, bob, guest):
                await ws.close()

        asyncio.run(scenario())


async def picture_call(
    server: ServerProcess, method: str, who: str, body: bytes | None = None
) -> tuple[int, Any]:
    """``PUT`` (with a picture) or ``DELETE /api/me/avatar`` as ``who``: the status and the JSON answer."""
    response = await tornado.httpclient.AsyncHTTPClient().fetch(
        f"{server.url}/api/me/avatar",
        method=method,
        headers={"Authorization": f"Bearer {account_token(who)}"},
        body=body,
        raise_error=False,
    )
    return response.code, json.loads(response.body) if response.body else None


def png_picture() -> bytes:
    """A small picture with transparency (kept as a PNG)."""
    out = io.BytesIO()
    Image.new("RGBA", (300, 200), (30, 120, 200, 128)).save(out, "PNG")
    return out.getvalue()


def test_failed_sign_ins_count_across_nodes(redis_server: RedisServer) -> None:
    """Ten wrong passwords spread over two nodes are ten: the eleventh try is 429 on either node,
    the same for a name that does not exist, and the right password waits too."""
    with node(redis_server, guests=False) as left, node(redis_server, guests=False) as right:
        set_up(right)  # the node started last printed the one setup link still good
        for number in range(10):
            server = (left, right)[number % 2]
            assert WebClient(server.url).sign_in("Admin", "not the password").error == (
                401,
                "bad_credentials",
            )
        for server in (left, right):
            refused = WebClient(server.url).sign_in("Admin")
            assert refused.error == (429, "rate_limited") and int(refused.headers["Retry-After"]) > 500
        assert WebClient(right.url).sign_in("nobody-here", "x" * 12).error == (429, "rate_limited")
