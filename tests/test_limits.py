"""The limits of chatroom/limits.py: per-address buckets for new rooms, and whom they count."""

from __future__ import annotations

from chatroom.limits import KeyedTokenBuckets, address_key


def test_each_address_has_its_own_allowance_that_refills() -> None:
    """Three a minute: the fourth is refused, another address is not, and 20 s give one back."""
    buckets = KeyedTokenBuckets(3)
    assert [buckets.take("a", now=100.0) for _ in range(4)] == [True, True, True, False]
    assert buckets.take("b", now=100.0)
    assert not buckets.take("a", now=119.0)
    assert buckets.take("a", now=120.5)
    assert not buckets.take("a", now=120.5)


def test_memory_follows_active_addresses_not_every_address_seen() -> None:
    """A million addresses, one new room each over many minutes, leave a bounded table."""
    buckets = KeyedTokenBuckets(10)
    now = 0.0
    for number in range(1_000_000):
        now += 0.001  # 1000 addresses a second, each seen once
        assert buckets.take(f"10.{number >> 16 & 255}.{number >> 8 & 255}.{number & 255}", now=now)
    # A bucket refills in 60 s: at most a minute of addresses (60,000), and
    # the sweep runs when the table doubles.
    assert len(buckets) <= 2 * 60_000


def test_address_key_groups_an_ipv6_network() -> None:
    """IPv4 counts per address; IPv6 per /64; an IPv4-mapped address as its IPv4 one."""
    assert address_key("203.0.113.5") == "203.0.113.5"
    assert (
        address_key("2001:db8:1:2::1")
        == address_key("2001:db8:1:2:ffff:ffff:ffff:ffff")
        == "2001:db8:1:2::/64"
    )
    assert address_key("2001:db8:1:3::1") != address_key("2001:db8:1:2::1")
    assert address_key("::ffff:203.0.113.5") == "203.0.113.5"
    assert address_key("not an address") == "not an address"
