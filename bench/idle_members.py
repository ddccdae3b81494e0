"""Idle members' memory: RSS a real server gains per connected, silent member.

Starts ``python -m chatroom`` on a free loopback port, opens 200 members to warm
it up, then N more (raw WebSocket upgrades spread over 100 rooms) and reports
the RSS it gained per member. Quicker than ``run.py --idle``, for trying a
change to the per-connection state.

    python bench/idle_members.py 3000             # guests (--guests), as version 1 connects
    python bench/idle_members.py 3000 --accounts  # each member an account, signed in with a JWT
    python bench/idle_members.py 19000 --sources 4  # from 127.0.0.1 .. 127.0.0.4

The members never answer pings: a run must end within the ping interval
(20 s by default) plus the timeout, or the server closes them. For longer runs,
and the server's CPU meanwhile, ``run.py --idle --hold S`` (the C load
generator answers pings).

With ``--accounts`` the rooms (open) and one account per member are made
before the server starts, and each member connects with a token of its own
account, so what an account's connection holds beyond a guest's is counted
(not the database pages that making thousands of accounts would fill).
"""

from __future__ import annotations

import argparse
import resource
import socket
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import asyncio
import base64
import os
import tempfile

import jwt

from chatroom.admin import opened
from chatroom.config import Settings
from chatroom.store.records import OPEN, PERSON
from tests.support import ServerProcess, upgrade_request

WARM_UP = 200
ROOMS = 100
SECRET = "idle-members-bench-secret-long-enough-for-hs256"


def rss_kib(pid: int) -> int:
    """The process's resident set size, from /proc."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError("no VmRSS")


def account_upgrade(port: int, room: str, name: str) -> bytes:
    """An upgrade to /ws signed in as the account ``name`` (a JWT, made here)."""
    token = jwt.encode({"sub": name, "exp": int(time.time()) + 3600}, SECRET, algorithm="HS256")
    key = base64.b64encode(os.urandom(16)).decode()
    return (
        f"GET /ws?room={room}&token={token} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
        "Upgrade: websocket\r\nConnection: Upgrade\r\n"
        f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
    ).encode()


def open_members(port: int, count: int, first: int, accounts: bool, sources: int = 1) -> list[socket.socket]:
    """``count`` raw WebSocket upgrades; the server answers and sends welcome frames.

    ``sources``: connect from 127.0.0.1 .. 127.0.0.K in turn (one address has some 28,000 ports).
    """
    members = []
    for number in range(first, first + count):
        source = (f"127.0.0.{1 + number % sources}", 0) if sources > 1 else None
        member = socket.create_connection(("127.0.0.1", port), source_address=source)
        room, name = f"r{number % ROOMS}", f"m{number}"
        member.sendall(account_upgrade(port, room, name) if accounts else upgrade_request(port, room, name))
        members.append(member)
    return members


def make_rooms_and_accounts(database: str, members: int) -> None:
    """The open rooms the accounts join (accounts do not create rooms by joining), and the accounts:
    made before the server starts, so that what is measured is what their connections hold."""

    async def create() -> None:
        async with opened(Settings(database=database)) as store:
            for number in range(ROOMS):
                await store.accounts.create_room(f"r{number}", OPEN)
            for number in range(members):
                await store.accounts.create_account(f"m{number}", PERSON)

    asyncio.run(create())


def server_for(accounts: bool, members: int) -> ServerProcess:
    """The server under measure: guests on a private database, or accounts on a file of rooms."""
    if not accounts:
        # 100 new rooms from 127.0.0.1: no limit on new rooms.
        return ServerProcess(":memory:", "--log-level", "warning", "--new-rooms-per-minute", "0")
    database = str(Path(tempfile.mkdtemp(prefix="chatroom-idle-")) / "chat.db")
    make_rooms_and_accounts(database, members)
    return ServerProcess(database, "--log-level", "warning", "--jwt-secret", SECRET, guests=False)


def drain(members: list[socket.socket]) -> None:
    """Read what the server sent, so no member's backlog stays on the server."""
    for member in members:
        member.setblocking(False)
        try:
            while member.recv(65536):
                pass
        except BlockingIOError:
            pass


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("members", type=int, nargs="?", default=3000)
    parser.add_argument("--accounts", action="store_true", help="members are accounts signed in with a JWT")
    parser.add_argument("--sources", type=int, default=1, help="connect from 127.0.0.1 .. 127.0.0.K")
    args = parser.parse_args()
    count, accounts, sources = args.members, args.accounts, args.sources
    resource.setrlimit(resource.RLIMIT_NOFILE, (count + WARM_UP + 100,) * 2)
    with server_for(accounts, count + WARM_UP) as server:
        assert server.process is not None
        pid = server.process.pid
        warm = open_members(server.port, WARM_UP, 0, accounts)
        time.sleep(2)
        drain(warm)
        before = rss_kib(pid)
        members = open_members(server.port, count, WARM_UP, accounts, sources)
        time.sleep(3 + (count / 1000 if accounts else 0))
        drain(warm + members)
        time.sleep(2)
        after = rss_kib(pid)
        per_member = (after - before) / count
        kind = "accounts" if accounts else "guests"
        print(f"{count} {kind}: {per_member:.2f} KiB each ({before / 1024:.1f} → {after / 1024:.1f} MiB)")


if __name__ == "__main__":
    main()
