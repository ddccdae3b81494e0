"""Idle members' memory: RSS a real server gains per connected, silent member.

Starts ``python -m chatroom`` on a free loopback port, opens 200 members to warm
it up, then N more (raw WebSocket upgrades spread over 100 rooms) and reports
the RSS it gained per member. Quicker than ``run.py --idle``, for trying a
change to the per-connection state.

    python bench/idle_members.py 3000
"""

from __future__ import annotations

import argparse
import resource
import socket
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.support import ServerProcess, upgrade_request

WARM_UP = 200
ROOMS = 100


def rss_kib(pid: int) -> int:
    """The process's resident set size, from /proc."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError("no VmRSS")


def open_members(port: int, count: int, first: int) -> list[socket.socket]:
    """``count`` raw WebSocket upgrades; the server answers and sends welcome frames."""
    members = []
    for number in range(first, first + count):
        member = socket.create_connection(("127.0.0.1", port))
        member.sendall(upgrade_request(port, f"r{number % ROOMS}", f"m{number}"))
        members.append(member)
    return members


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
    count = parser.parse_args().members
    resource.setrlimit(resource.RLIMIT_NOFILE, (count + WARM_UP + 100,) * 2)
    # 100 new rooms from 127.0.0.1: no limit on new rooms.
    with ServerProcess(":memory:", "--log-level", "warning", "--new-rooms-per-minute", "0") as server:
        assert server.process is not None
        pid = server.process.pid
        warm = open_members(server.port, WARM_UP, 0)
        time.sleep(2)
        drain(warm)
        before = rss_kib(pid)
        members = open_members(server.port, count, WARM_UP)
        time.sleep(3)
        drain(warm + members)
        time.sleep(2)
        after = rss_kib(pid)
        per_member = (after - before) / count
        print(f"{count} members: {per_member:.2f} KiB each ({before / 1024:.1f} → {after / 1024:.1f} MiB)")


if __name__ == "__main__":
    main()
