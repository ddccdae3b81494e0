"""Passwords: the rules a new one must meet, and argon2id hashing off the event loop.

A hash costs tens to hundreds of milliseconds of CPU and 64 MiB by design
(argon2-cffi's RFC 9106 low-memory profile), so it never runs on the event
loop: a small pool of threads does it (argon2-cffi releases the GIL while it
hashes), and at most that many hashes run at once, whatever the number of
sign-ins waiting. A password never appears in a log line, an error or a repr.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

import precis_i18n
from argon2 import PasswordHasher, profiles
from argon2.exceptions import InvalidHashError, VerificationError

log = logging.getLogger("chatroom.passwords")

T = TypeVar("T")

# Ten characters: NIST SP 800-63B asks for at least 8 when people choose their
# own; two more make a leaked hash markedly harder to guess offline, and a
# passphrase of two or three words passes it. There is no rule on character
# classes (it does not help, NIST again).
MIN_LENGTH = 10
# Argon2 hashes any length, but a megabyte of "password" posted again and
# again would be work for nothing: 1024 characters is far beyond any
# passphrase or password manager's output.
MAX_LENGTH = 1024
HASH_WORKERS = 2

# RFC 8265's OpaqueString: the same password typed on two systems (a composed
# "é" and a decomposed one, a no-break space) gives the same bytes to hash.
_PROFILE = precis_i18n.get_profile("OpaqueString")


class PasswordRuleError(ValueError):
    """A new password that the rules refuse; ``str()`` says why, for people."""


def prepare(password: str) -> str:
    """The password as it is hashed and checked (RFC 8265 OpaqueString), or PasswordRuleError."""
    if len(password) > MAX_LENGTH:
        raise PasswordRuleError(f"a password has at most {MAX_LENGTH} characters")
    try:
        return str(_PROFILE.enforce(password))
    except UnicodeEncodeError as error:
        if error.reason.endswith("empty"):
            raise PasswordRuleError(f"a password has at least {MIN_LENGTH} characters") from None
        raise PasswordRuleError("a password cannot contain control characters") from None


def check_new(password: str) -> str:
    """A new password made ready to hash, or PasswordRuleError (too short, too long, control characters)."""
    prepared = prepare(password)
    if len(prepared) < MIN_LENGTH:
        raise PasswordRuleError(f"a password has at least {MIN_LENGTH} characters")
    return prepared


class Passwords:
    """Hashes and checks passwords on a thread pool of its own."""

    def __init__(self, hasher: PasswordHasher | None = None, workers: int = HASH_WORKERS) -> None:
        self.hasher = hasher or PasswordHasher.from_parameters(profiles.RFC_9106_LOW_MEMORY)
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="chatroom-password")
        self._decoy_hash: str | None = None

    async def hash(self, password: str) -> str:
        """The argon2id hash of a new password; PasswordRuleError when the rules refuse it."""
        prepared = check_new(password)
        return await self._off_loop(self.hasher.hash, prepared)

    async def verify(self, password_hash: str | None, password: str) -> bool:
        """Whether ``password`` matches ``password_hash``.

        Without a hash (an account that has no password, or none at all) the
        same work is done against a hash of nothing, and the answer is False:
        how long a sign-in takes does not tell whether the name exists.
        """
        try:
            prepared = prepare(password)
        except PasswordRuleError:
            prepared = ""  # matches no hash: every stored password met the rules
        if password_hash is None:
            await self._off_loop(self._matches, await self._decoy(), prepared)
            return False
        return await self._off_loop(self._matches, password_hash, prepared)

    def needs_rehash(self, password_hash: str) -> bool:
        """Whether the hash was made with other parameters than today's (hash again at sign-in)."""
        try:
            return self.hasher.check_needs_rehash(password_hash)
        except InvalidHashError:
            return True

    def close(self) -> None:
        """Let the threads go once the hashes under way are done."""
        self._pool.shutdown(wait=False)

    def _matches(self, password_hash: str, prepared: str) -> bool:
        try:
            return self.hasher.verify(password_hash, prepared)
        except VerificationError:
            return False
        except InvalidHashError:
            # A stored value that is no argon2 hash: say so (never the value), refuse the sign-in.
            log.warning("a stored password hash cannot be read; that account cannot sign in with it")
            return False

    async def _decoy(self) -> str:
        """A hash of nothing, made once, to spend a real verification's time on."""
        if self._decoy_hash is None:
            self._decoy_hash = await self._off_loop(self.hasher.hash, "")
        return self._decoy_hash

    async def _off_loop(self, work: Callable[..., T], *args: str) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._pool, work, *args)
