"""This machine's own addresses: those a connection made from here is delivered back to.

Outgoing calls to addresses that others choose (bots' webhooks, webhooks.py)
must not reach the server itself, nor another service of this machine,
through one of its public addresses. Linux keeps the addresses it delivers
to itself in its local routing tables, which /proc/net shows: IPv4's in
fib_trie (the ``host LOCAL`` entries), IPv6's in ipv6_route (routes flagged
RTF_LOCAL), and every interface's IPv6 addresses in if_inet6. Where there is
no /proc/net, the addresses the host's name resolves to stand in. The
address the server listens on is added, and the tables are read again at
most every KEPT_SECONDS, so an address the machine gains is known within
that time.

An IPv6 address that carries an IPv4 one (IPv4-mapped, 6to4, the NAT64 well
known prefix) is this machine's when the IPv4 address is.
"""

from __future__ import annotations

import ipaddress
import socket
import time
from pathlib import Path

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

PROC_NET = Path("/proc/net")
KEPT_SECONDS = 5.0
# linux/route.h: a route to an address of this machine.
RTF_LOCAL = 0x80000000
NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
# Addresses that stand for "every address of this machine" when listened on.
EVERY_ADDRESS = ("", "0.0.0.0", "::")


def ip_of(address: str) -> IPAddress:
    """An IP address from text, without an IPv6 zone (``fe80::1%eth0``)."""
    return ipaddress.ip_address(address.split("%", 1)[0])


def embedded_ipv4(ip: IPAddress) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 one reaches (IPv4-mapped, 6to4, NAT64's prefix), if any."""
    if isinstance(ip, ipaddress.IPv4Address):
        return None
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip in NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def fib_trie_locals(text: str) -> set[IPNetwork]:
    """The IPv4 networks of /proc/net/fib_trie's ``host LOCAL`` entries."""
    found: set[IPNetwork] = set()
    leaf = None
    for line in text.splitlines():
        item = line.strip()
        if item.startswith("|-- "):
            leaf = item[4:]
        elif leaf is not None and item.startswith("/") and item.endswith(" host LOCAL"):
            found.add(ipaddress.ip_network(f"{leaf}/{item[1:].split()[0]}", strict=False))
    return found


def ipv6_route_locals(text: str) -> set[IPNetwork]:
    """The IPv6 networks of /proc/net/ipv6_route's routes flagged RTF_LOCAL."""
    found: set[IPNetwork] = set()
    for line in text.splitlines():
        fields = line.split()
        if len(fields) >= 10 and int(fields[8], 16) & RTF_LOCAL:
            found.add(ipaddress.IPv6Network((int(fields[0], 16), int(fields[1], 16)), strict=False))
    return found


def if_inet6_addresses(text: str) -> set[IPNetwork]:
    """The IPv6 addresses of /proc/net/if_inet6, each as a network of one."""
    lines = (line.split() for line in text.splitlines())
    return {ipaddress.IPv6Network((int(fields[0], 16), 128)) for fields in lines if fields}


def kernel_networks(proc_net: Path = PROC_NET) -> set[IPNetwork]:
    """What the kernel delivers to this machine, from ``proc_net`` (empty where there is none)."""
    return (
        fib_trie_locals(_read(proc_net / "fib_trie"))
        | ipv6_route_locals(_read(proc_net / "ipv6_route"))
        | if_inet6_addresses(_read(proc_net / "if_inet6"))
    )


def named_networks(host: str) -> set[IPNetwork]:
    """The addresses ``host`` (a name or literal) resolves to, each as a network of one."""
    try:
        found = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    except OSError:
        return set()
    return {ipaddress.ip_network(ip_of(str(address[0]))) for _, _, _, _, address in found}


class OwnAddresses:
    """This machine's addresses and the one the server listens on: ``ip in own``."""

    def __init__(self, listen: str | None = None, proc_net: Path = PROC_NET) -> None:
        """``listen``: the server's --address (every address, a literal or a name)."""
        self.proc_net = proc_net
        fixed = set() if listen is None or listen in EVERY_ADDRESS else named_networks(listen)
        if not proc_net.is_dir():
            fixed |= named_networks(socket.gethostname())
        self._fixed = frozenset(fixed)
        self._read: tuple[float, frozenset[IPNetwork]] | None = None

    def networks(self) -> frozenset[IPNetwork]:
        """The networks this machine delivers to itself, read again at most every KEPT_SECONDS."""
        now = time.monotonic()
        if self._read is None or now - self._read[0] >= KEPT_SECONDS:
            self._read = (now, self._fixed | kernel_networks(self.proc_net))
        return self._read[1]

    def __contains__(self, ip: IPAddress) -> bool:
        networks = self.networks()
        carried = embedded_ipv4(ip)
        return any(ip in network or (carried is not None and carried in network) for network in networks)


def _read(path: Path) -> str:
    """A /proc file's text; "" where it is missing (no IPv6, or not Linux)."""
    try:
        return path.read_text()
    except OSError:
        return ""
