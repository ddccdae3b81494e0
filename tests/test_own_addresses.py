"""This machine's own addresses: the kernel's local routes, the listening address, and what they carry."""

from __future__ import annotations

import ipaddress
import socket
from pathlib import Path

import pytest

from chatroom.own_addresses import (
    OwnAddresses,
    fib_trie_locals,
    if_inet6_addresses,
    ip_of,
    ipv6_route_locals,
)

FIB_TRIE = """\
Main:
  +-- 0.0.0.0/0 3 0 5
     |-- 0.0.0.0
        /0 universe UNICAST
     +-- 127.0.0.0/8 2 0 2
        +-- 127.0.0.0/31 1 0 0
           |-- 127.0.0.0
              /8 host LOCAL
           |-- 127.0.0.1
              /32 host LOCAL
        |-- 127.255.255.255
           /32 link BROADCAST
     +-- 203.0.113.0/24 2 0 2
        |-- 203.0.113.0
           /24 link UNICAST
        |-- 203.0.113.9
           /32 host LOCAL
        |-- 203.0.113.255
           /32 link BROADCAST
"""

IPV6_ROUTE = """\
fd000000000000000000000000000000 40 00000000000000000000000000000000 00 \
00000000000000000000000000000000 00000100 00000001 00000000 00000001     eth0
00000000000000000000000000000001 80 00000000000000000000000000000000 00 \
00000000000000000000000000000000 00000000 00000002 00000000 80200001       lo
20010db8000000000000000000000009 80 00000000000000000000000000000000 00 \
00000000000000000000000000000000 00000000 00000003 00000000 80200001     eth0
00000000000000000000000000000000 00 00000000000000000000000000000000 00 \
00000000000000000000000000000000 ffffffff 00000001 00000000 00200200       lo
"""

IF_INET6 = """\
00000000000000000000000000000001 01 80 10 80       lo
fe8000000000000000fc00fffe000001 04 40 20 80     eth0
"""


def test_the_kernels_local_routes_are_read_and_nothing_else() -> None:
    """fib_trie's host LOCAL entries (a whole /8 for loopback), not its unicast or broadcast routes;
    ipv6_route's RTF_LOCAL routes, not the others; if_inet6's addresses."""
    assert {str(n) for n in fib_trie_locals(FIB_TRIE)} == {"127.0.0.0/8", "127.0.0.1/32", "203.0.113.9/32"}
    assert {str(n) for n in ipv6_route_locals(IPV6_ROUTE)} == {"::1/128", "2001:db8::9/128"}
    assert {str(n) for n in if_inet6_addresses(IF_INET6)} == {"::1/128", "fe80::fc:ff:fe00:1/128"}


def fake_proc_net(tmp_path: Path) -> Path:
    """A /proc/net of a machine whose interfaces have 203.0.113.9 and 2001:db8::9."""
    (tmp_path / "fib_trie").write_text(FIB_TRIE)
    (tmp_path / "ipv6_route").write_text(IPV6_ROUTE)
    (tmp_path / "if_inet6").write_text(IF_INET6)
    return tmp_path


@pytest.mark.parametrize(
    ("address", "own"),
    [
        ("203.0.113.9", True),
        ("127.3.4.5", True),
        ("2001:db8::9", True),
        ("::ffff:203.0.113.9", True),
        ("2002:cb00:7109::1", True),
        ("64:ff9b::cb00:7109", True),
        ("198.51.100.4", True),
        ("203.0.113.10", False),
        ("2001:db8::10", False),
        ("2002:cb00:710a::1", False),
        ("64:ff9b::cb00:710a", False),
    ],
)
def test_an_address_is_own_when_the_kernel_or_the_listening_address_says_so(
    tmp_path: Path, address: str, own: bool
) -> None:
    """Interface addresses, local routes, the listening address (198.51.100.4), and the IPv6 forms that
    carry one of them (mapped, 6to4, NAT64) are this machine's; their neighbours are not."""
    addresses = OwnAddresses("198.51.100.4", proc_net=fake_proc_net(tmp_path))
    assert (ip_of(address) in addresses) is own


def test_listening_on_every_address_adds_nothing_and_without_proc_the_host_name_stands_in(
    tmp_path: Path,
) -> None:
    """--address 0.0.0.0 is covered by the interfaces; where /proc/net is missing, the host name's
    addresses are the machine's."""
    assert {str(n) for n in OwnAddresses("0.0.0.0", proc_net=tmp_path).networks()} == set()
    named = {ip_of(str(info[4][0])) for info in socket.getaddrinfo(socket.gethostname(), None)}
    elsewhere = OwnAddresses(proc_net=tmp_path / "missing")
    assert named and all(address in elsewhere for address in named)


def this_machines_outgoing_address() -> str:
    """The source address of this machine's route towards the Internet (no packet is sent)."""
    for family, target in ((socket.AF_INET, "93.184.216.34"), (socket.AF_INET6, "2606:2800:220:1::1")):
        with socket.socket(family, socket.SOCK_DGRAM) as probe:
            try:
                probe.connect((target, 9))
            except OSError:
                continue
            return str(probe.getsockname()[0])
    pytest.skip("this machine has no route towards the Internet, so no outgoing address")


def test_this_machines_real_addresses_are_its_own() -> None:
    """On this machine: its outgoing interface address and loopback are its own; example.com's is not."""
    addresses = OwnAddresses()
    outgoing = ip_of(this_machines_outgoing_address())
    assert not outgoing.is_loopback
    assert outgoing in addresses
    assert ipaddress.ip_address("127.0.0.1") in addresses
    assert ipaddress.ip_address("93.184.216.34") not in addresses
