"""Passwords are checked against argon2id hashes, off the event loop, under rules people can meet."""

from __future__ import annotations

import asyncio
import logging
import time

import pytest
from argon2 import PasswordHasher

from chatroom import passwords
from chatroom.passwords import PasswordRuleError, Passwords

# Cheap parameters where the cost is beside the point.
FAST = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


def test_a_hash_verifies_its_password_and_no_other() -> None:
    """The right password matches; a wrong one, one letter off, or nothing at all does not."""

    async def main() -> None:
        hasher = Passwords(FAST)
        stored = await hasher.hash("correct horse battery")
        assert stored.startswith("$argon2id$")
        assert "correct horse" not in stored
        assert await hasher.verify(stored, "correct horse battery")
        assert not await hasher.verify(stored, "correct horse batterY")
        assert not await hasher.verify(stored, "")
        assert not await hasher.verify(None, "correct horse battery")
        assert not await hasher.verify("not a hash", "correct horse battery")
        hasher.close()

    asyncio.run(main())


def test_the_same_password_typed_two_ways_matches() -> None:
    """A composed and a decomposed é are the same password (RFC 8265 OpaqueString)."""

    async def main() -> None:
        hasher = Passwords(FAST)
        stored = await hasher.hash("caf\u00e9 au lait!")
        assert await hasher.verify(stored, "cafe\u0301 au lait!")
        hasher.close()

    asyncio.run(main())


def test_the_default_parameters_are_argon2id_rfc_9106() -> None:
    """Without parameters of its own the hasher uses RFC 9106's low-memory argon2id profile."""

    async def main() -> None:
        hasher = Passwords()
        stored = await hasher.hash("a good long passphrase")
        assert stored.startswith("$argon2id$v=19$m=65536,t=3,p=4$")
        assert not hasher.needs_rehash(stored)
        hasher.close()

    asyncio.run(main())


def test_a_hash_made_with_other_parameters_needs_rehashing() -> None:
    """After the parameters change, an old hash still verifies and is reported for rehashing."""

    async def main() -> None:
        old = Passwords(FAST)
        stored = await old.hash("correct horse battery")
        new = Passwords(PasswordHasher(time_cost=2, memory_cost=2048, parallelism=1))
        assert await new.verify(stored, "correct horse battery")
        assert new.needs_rehash(stored)
        rehashed = await new.hash("correct horse battery")
        assert not new.needs_rehash(rehashed)
        assert new.needs_rehash("garbage")
        old.close()
        new.close()

    asyncio.run(main())


@pytest.mark.parametrize(
    ("password", "says"),
    [
        ("short", "at least 10"),
        ("123456789", "at least 10"),
        ("", "at least 10"),
        ("x" * (passwords.MAX_LENGTH + 1), "at most"),
        ("tab\tin the middle", "control"),
        ("newline\nin the middle", "control"),
    ],
)
def test_a_new_password_must_meet_the_rules(password: str, says: str) -> None:
    """Too short, too long or with control characters: refused before any hashing, with a reason."""

    async def main() -> None:
        hasher = Passwords(FAST)
        with pytest.raises(PasswordRuleError, match=says):
            await hasher.hash(password)
        hasher.close()

    asyncio.run(main())


def test_ten_characters_of_any_script_are_enough() -> None:
    """The minimum counts characters, not bytes; spaces count."""
    assert passwords.MIN_LENGTH == 10
    assert passwords.check_new("пароль 123") == "пароль 123"
    assert passwords.check_new("ab cd ef gh") == "ab cd ef gh"


def test_the_event_loop_stays_responsive_during_20_hashes() -> None:
    """Twenty real hashes run on the pool while a ticker on the loop keeps ticking every few ms."""

    async def main() -> tuple[float, list[float]]:
        hasher = Passwords()
        started = time.perf_counter()
        await hasher.hash("one to measure")
        one_hash = time.perf_counter() - started
        gaps: list[float] = []
        done = False

        async def tick() -> None:
            last = time.perf_counter()
            while not done:
                await asyncio.sleep(0.002)
                now = time.perf_counter()
                gaps.append(now - last)
                last = now

        ticker = asyncio.create_task(tick())
        hashes = await asyncio.gather(*[hasher.hash(f"password number {n}") for n in range(20)])
        done = True
        await ticker
        hasher.close()
        assert len(set(hashes)) == 20
        return one_hash, gaps

    one_hash, gaps = asyncio.run(main())
    # On the loop, each of the 20 hashes would stall it for a whole hash; off
    # it, a busy machine (the hashes' threads take every core) may still hold
    # the loop's thread back now and then, but not once a hash.
    stalls = [gap for gap in gaps if gap >= one_hash / 2]
    assert len(stalls) < 10, (stalls, one_hash)
    assert len(gaps) >= 50


def test_no_password_reaches_the_log(caplog: pytest.LogCaptureFixture) -> None:
    """Hashing, verifying and a stored hash that cannot be read log nothing of the password."""

    async def main() -> None:
        hasher = Passwords(FAST)
        stored = await hasher.hash("my secret passphrase")
        await hasher.verify(stored, "my secret passphrase")
        await hasher.verify("not a hash", "my secret passphrase")
        hasher.close()

    with caplog.at_level(logging.DEBUG):
        asyncio.run(main())
    assert "my secret passphrase" not in caplog.text
    assert "cannot be read" in caplog.text
