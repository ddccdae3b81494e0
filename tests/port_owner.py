"""Who listens on a port: a test server's readiness is its own process answering, not another's.

Two test runs on one machine (a second terminal, a run beside CI) give their
first server the same home port (support.claim_home_port); between one run's
look and its server's bind, the other's may take it. A /healthz answer alone
would then come from the other run's server, which knows none of this test's
accounts. Read from /proc: the listening sockets of the process and its
children (the --processes workers).
"""

from __future__ import annotations

import os
from pathlib import Path

LISTEN = "0A"  # the TCP state /proc/net/tcp gives a listening socket


def listens_on(pid: int, port: int) -> bool:
    """Whether process ``pid``, or one of its children, holds a socket listening on TCP ``port``."""
    inodes = set().union(*(_socket_inodes(each) for each in (pid, *_children(pid))))
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            local, state, inode = fields[1], fields[3], fields[9]
            if state == LISTEN and int(local.rsplit(":", 1)[1], 16) == port and inode in inodes:
                return True
    return False


def _socket_inodes(pid: int) -> set[str]:
    found = set()
    try:
        descriptors = list(Path(f"/proc/{pid}/fd").iterdir())
    except OSError:
        return found
    for descriptor in descriptors:
        try:
            target = os.readlink(descriptor)
        except OSError:
            continue
        if target.startswith("socket:["):
            found.add(target[len("socket:[") : -1])
    return found


def _children(pid: int) -> list[int]:
    children = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            children.append(int(stat.parent.name))
    return children
