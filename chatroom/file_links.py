"""Signed file links: a file's address that speaks for one account, for one file, for about an hour. Pure.

A page signed in with a token has no cookie, and an ``<img>``, a ``<video>``
or a download link cannot send an ``Authorization`` header. Such a page asks
for links instead (``POST /api/file-links``, api_file_links.py) and puts them
in its elements: ``/files/{id}/{name}?account=<id>&exp=<unix time>&link=<signature>``
(``/files/{id}/thumb?...`` for the thumbnail). The signature is an HMAC-SHA256
over the file's id, which of its two variants (the file or its thumbnail),
the account and the expiry, with a key derived from the secret that signs
session cookies (kept in the store, the same on every node) and used for
nothing else. A link copied from the page, or kept in a proxy's log, opens
that one file, as that account, while the account may still read its room,
until it expires: never the account's other files, rooms or messages.

Expiry times are rounded up to the next LINK_STEP_SECONDS, so that the links
a page asks for within those minutes are the same addresses, which the
browser's cache keeps (file_responses.py: revalidated with their ETag).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import urllib.parse
from dataclasses import dataclass

# An hour: a long video keeps playing (its range requests reuse the address)
# and the page renews its links only once an hour; a link that leaks is
# worth one file for at most LINK_SECONDS + LINK_STEP_SECONDS.
LINK_SECONDS = 3600
LINK_STEP_SECONDS = 600
# The variants of a file a link may name.
FULL_VARIANT = "file"
THUMB_VARIANT = "thumb"
# What the key signs, so that the cookie secret's key and this one never meet.
_KEY_PURPOSE = b"chatroom file links v1"
# The query arguments of a link.
ACCOUNT_ARGUMENT = "account"
EXPIRES_ARGUMENT = "exp"
SIGNATURE_ARGUMENT = "link"
LINK_ARGUMENTS = (ACCOUNT_ARGUMENT, EXPIRES_ARGUMENT, SIGNATURE_ARGUMENT)


def link_key(secret: str) -> bytes:
    """The key that signs file links, derived from the store's cookie secret (HMAC with a purpose)."""
    return hmac.new(secret.encode(), _KEY_PURPOSE, hashlib.sha256).digest()


def expiry(now: float) -> int:
    """When a link made at ``now`` expires (unix seconds): LINK_SECONDS on, rounded up to a step."""
    due = int(now) + LINK_SECONDS
    return -(-due // LINK_STEP_SECONDS) * LINK_STEP_SECONDS


def signature(key: bytes, file_id: str, variant: str, account_id: int, expires: int) -> str:
    """The link's signature: URL-safe base64 of HMAC-SHA256 over what it names, without padding."""
    message = f"{file_id}\n{variant}\n{account_id}\n{expires}".encode()
    digest = hmac.new(key, message, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


@dataclass(frozen=True, slots=True)
class LinkClaim:
    """What a request's link says: who, until when, with which signature (checked by ``holds``)."""

    account_id: int
    expires: int
    signature: str

    def holds(self, key: bytes, file_id: str, variant: str, now: float) -> bool:
        """Whether the claim is a link made with ``key`` for this file's variant, and not yet expired."""
        if now >= self.expires:
            return False
        wanted = signature(key, file_id, variant, self.account_id, self.expires)
        return hmac.compare_digest(wanted.encode(), self.signature.encode("utf-8", "replace"))


def claim_of(account: str | None, expires: str | None, signed: str | None) -> LinkClaim | None:
    """The claim of a link's query arguments; None when one is missing or not a number."""
    if account is None or expires is None or signed is None:
        return None
    if not (_number(account) and _number(expires)):
        return None
    return LinkClaim(int(account), int(expires), signed)


def link_path(key: bytes, file_id: str, name: str, variant: str, account_id: int, expires: int) -> str:
    """The signed address of a file (``name``: its name, for the browser's sake) or its thumbnail."""
    tail = THUMB_VARIANT if variant == THUMB_VARIANT else urllib.parse.quote(name, safe="")
    query = urllib.parse.urlencode(
        {
            ACCOUNT_ARGUMENT: account_id,
            EXPIRES_ARGUMENT: expires,
            SIGNATURE_ARGUMENT: signature(key, file_id, variant, account_id, expires),
        }
    )
    return f"/files/{file_id}/{tail}?{query}"


def _number(text: str) -> bool:
    return text.isascii() and text.isdigit() and len(text) < 19
