"""The limits of chatroom/limits.py: per-address buckets for new rooms and joins, and whom they count."""

from __future__ import annotations

import asyncio

import pytest

from chatroom.limits import (
    FailureWindows,
    JoinLimit,
    KeyedTokenBuckets,
    SignInLimit,
    TokenBucket,
    address_key,
)


def test_each_address_has_its_own_allowance_that_refills() -> None:
    """Three a minute: the fourth is refused, another address is not, and 20 s give one back."""
    buckets = KeyedTokenBuckets.per_minute(3)
    assert [buckets.take("a", now=100.0) for _ in range(4)] == [True, True, True, False]
    assert buckets.take("b", now=100.0)
    assert not buckets.take("a", now=119.0)
    assert buckets.take("a", now=120.5)
    assert not buckets.take("a", now=120.5)


def test_spending_answers_0_or_the_wait_and_spends_nothing_when_refused() -> None:
    """Three a minute: three spends answer 0, the fourth 20 s (one comes back every 20 s), and asking
    again 5 s later answers 15 s: the refusal spent nothing."""
    buckets = KeyedTokenBuckets.per_minute(3)
    assert [buckets.spend("a", now=100.0) for _ in range(3)] == [0.0, 0.0, 0.0]
    assert buckets.spend("a", now=100.0) == 20.0
    assert buckets.spend("a", now=105.0) == 15.0
    assert buckets.spend("a", now=120.0) == 0.0


def test_memory_follows_active_addresses_not_every_address_seen() -> None:
    """A million addresses, one new room each over many minutes, leave a bounded table."""
    buckets = KeyedTokenBuckets.per_minute(10)
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


def test_joins_per_address_then_one_per_token() -> None:
    """Bursts of 30 from one address, then 5 a second; the refusal says how long to wait."""
    joins = JoinLimit(5, 30)
    assert all(joins.admit("198.51.100.1", "lobby", now=10.0) is None for _ in range(30))
    refusal = joins.admit("198.51.100.1", "lobby", now=10.0)
    assert refusal is not None and (refusal.scope, refusal.rate) == ("address", 5)
    assert refusal.retry_after == pytest.approx(0.2)
    assert refusal.message == (
        "too many joins from this address (at most 5 a second): wait a moment, then connect again"
    )
    assert joins.admit("198.51.100.2", "lobby", now=10.0) is None  # another address
    assert joins.admit("198.51.100.1", "lobby", now=10.21) is None
    assert joins.admit("198.51.100.1", "lobby", now=10.21) is not None


def test_a_room_takes_ten_times_an_address_from_all_of_them() -> None:
    """300 joins at once into one room from many addresses, then 50 a second; other rooms are open."""
    joins = JoinLimit(5, 30)
    addresses = [f"10.0.{n // 250}.{n % 250}" for n in range(400)]
    admitted = [joins.admit(address, "hot", now=0.0) is None for address in addresses]
    assert admitted.count(True) == 300
    refusal = joins.admit(addresses[-1], "hot", now=0.0)
    assert refusal is not None and (refusal.scope, refusal.rate) == ("room", 50)
    assert refusal.message.startswith("too many joins into this room (at most 50 a second)")
    assert joins.admit(addresses[-1], "calm", now=0.0) is None
    # A refusal by the room spent nothing of the address's allowance.
    assert all(joins.admit(addresses[-1], "calm", now=0.0) is None for _ in range(29))


def test_a_bad_room_name_counts_for_the_address_alone() -> None:
    """A join the server will refuse for its name still spends the address's token."""
    joins = JoinLimit(1, 2)
    assert joins.admit("198.51.100.1", None, now=0.0) is None
    assert joins.admit("198.51.100.1", None, now=0.0) is None
    assert joins.admit("198.51.100.1", "lobby", now=0.0) is not None


def test_zero_turns_the_join_limit_off() -> None:
    """--join-rate 0 or --join-burst 0: no limit at all, as the benchmark needs."""
    for joins in (JoinLimit(0, 30), JoinLimit(5, 0)):
        assert all(joins.admit("127.0.0.1", "lobby", now=0.0) is None for _ in range(10_000))


class ClockedCounts:
    """Failure counts in one process (FailureWindows, as the in-process bus keeps them), on a test clock."""

    def __init__(self) -> None:
        self.now = 0.0
        self.windows: dict[tuple[int, float], FailureWindows] = {}

    def _of(self, limit: int, window: float) -> FailureWindows:
        return self.windows.setdefault((limit, window), FailureWindows(limit, window))

    async def record_failure(self, key: str, limit: int, window: float) -> None:
        self._of(limit, window).record(key, self.now)

    async def failure_wait(self, key: str, limit: int, window: float) -> float:
        return self._of(limit, window).wait(key, self.now)

    async def forget_failures(self, key: str) -> None:
        for windows in self.windows.values():
            windows.forget(key)


def test_sign_in_failures_wait_after_ten_in_ten_minutes() -> None:
    """Ten failures of one name: the eleventh try waits until the first is ten minutes old."""

    async def scenario() -> None:
        counts = ClockedCounts()
        limit = SignInLimit(counts)
        for second in range(10):
            counts.now = float(second)
            assert await limit.wait("ann", f"10.0.0.{second}") == 0
            await limit.failed("ann", f"10.0.0.{second}")
        counts.now = 10.0
        assert await limit.wait("ann", "10.9.9.9") == pytest.approx(590.0)
        assert await limit.wait("bob", "10.9.9.9") == 0
        counts.now = 600.5
        assert await limit.wait("ann", "10.9.9.9") == 0

    asyncio.run(scenario())


def test_one_address_failing_over_many_names_waits_too() -> None:
    """Ten names from one address: that address waits, for any name; a success clears only the name."""

    async def scenario() -> None:
        counts = ClockedCounts()
        limit = SignInLimit(counts)
        for number in range(10):
            await limit.failed(f"name{number}", "10.0.0.1")
        counts.now = 1.0
        assert await limit.wait("fresh", "10.0.0.1") > 0
        assert await limit.wait("fresh", "10.0.0.2") == 0
        await limit.succeeded("name0")
        assert await limit.wait("name0", "10.0.0.2") == 0

    asyncio.run(scenario())


def test_failures_kept_follow_recent_keys_only() -> None:
    """A million names failing once each over hours: only the last ten minutes' are kept (about)."""
    windows = FailureWindows(10, 600.0)
    now = 0.0
    for number in range(200_000):
        now += 0.05
        windows.record(f"name{number}", now=now)
    assert len(windows) <= 2 * 600 / 0.05


def test_a_token_bucket_spends_a_cost_of_several_tokens_and_at_most_a_burst() -> None:
    """A cost above one spends that many tokens; one above the burst spends the whole burst."""
    bucket = TokenBucket(rate=1.0, burst=5, now=0.0)
    assert bucket.take(0.0, cost=3.0)
    assert not bucket.take(0.0, cost=3.0)
    assert bucket.take(0.0, cost=2.0)
    assert not bucket.take(4.0, cost=50.0)
    assert bucket.take(5.0, cost=50.0)
    assert not bucket.take(5.0)
