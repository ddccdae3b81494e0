"""Secret tokens (session ids, bot keys, setup, join and reset links) and the hashes stored for them.

A token is 32 random bytes from the operating system, URL-safe base64. The
database keeps only its SHA-256, so a copy of the database (a backup, an
export) opens no session and posts as no bot. A fast hash is the right one
here, unlike for passwords: a token has 256 bits of entropy, so there is no
list of likely values to try and nothing that salting or a slow hash would
protect; SHA-256 keeps the lookup on every request cheap.
"""

from __future__ import annotations

import hashlib
import secrets

TOKEN_BYTES = 32


def new_token() -> str:
    """A new secret token, to hand out once and never store."""
    return secrets.token_urlsafe(TOKEN_BYTES)


def token_hash(token: str) -> bytes:
    """What the database keeps of a token, and looks it up by."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).digest()
