"""Web Push on the wire: the server's VAPID key (RFC 8292), a payload encrypted for one device
(RFC 8291, aes128gcm), and its POST to the device's push service (RFC 8030).

pywebpush's two building blocks do the cryptography: http_ece encrypts and
py_vapid signs. (pywebpush itself would bring requests and aiohttp into every
server's start, half a second, for a POST that Tornado's own HTTP client
makes without blocking the event loop or needing a thread.)

An endpoint is an address a browser hands us: like a bot's webhook
(webhooks.py), it reaches no loopback, private or reserved address unless
the server runs with --push-allow-private, checked on every address its
name resolves to when connecting. It is also a capability (whoever knows it
may try to push to that device): logs show only its scheme and host.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import time
import urllib.parse
from dataclasses import dataclass
from typing import TYPE_CHECKING

import tornado.httpclient
import tornado.simple_httpclient

from .store.records import PushSubscription
from .webhooks import PublicResolver, is_public

# The cryptography package (with http_ece and py_vapid) is imported where a key
# is used: it is a tenth of a server's start, and most processes never push
# (the command line, a server whose members never subscribe).
if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric import ec

# The name of the server's VAPID private key among the store's shared secrets.
VAPID_SECRET = "vapid_private_key"
# A VAPID token is signed for this long (RFC 8292 allows up to a day) and reused meanwhile.
TOKEN_LIFETIME = 12 * 3600
MAX_ENDPOINT_LENGTH = 2000
USER_AGENT = "chatroom-push"


class EndpointError(ValueError):
    """A subscription that is refused; ``str()`` says why."""


def b64url(data: bytes) -> str:
    """Unpadded base64url, as browsers give and take keys."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def unb64url(text: str) -> bytes:
    """Bytes from base64url, padded or not; ValueError when it is not base64url."""
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        raise ValueError("not base64url") from None


def new_private_key() -> str:
    """A new VAPID private key: a P-256 scalar, 32 bytes, base64url."""
    from cryptography.hazmat.primitives.asymmetric import ec

    key = ec.generate_private_key(ec.SECP256R1())
    return b64url(key.private_numbers().private_value.to_bytes(32, "big"))


def public_point(key: ec.EllipticCurvePublicKey) -> bytes:
    """A P-256 public key as the uncompressed point browsers use (65 bytes)."""
    from cryptography.hazmat.primitives import serialization

    return key.public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)


class VapidKey:
    """The server's VAPID key: its public half for browsers, and signed tokens for push services."""

    def __init__(self, private_key: str, contact: str) -> None:
        from py_vapid import Vapid02

        self._vapid = Vapid02.from_raw(private_key.encode("ascii"))
        self.contact = contact
        self.public_key = b64url(public_point(self._vapid.public_key))
        # audience -> (Authorization header, when to sign anew)
        self._tokens: dict[str, tuple[str, float]] = {}

    def authorization(self, endpoint: str) -> str:
        """The ``Authorization`` header for a push to ``endpoint``: ``vapid t=<JWT>,k=<public key>``."""
        parts = urllib.parse.urlsplit(endpoint)
        audience = f"{parts.scheme}://{parts.netloc}"
        now = time.time()
        cached = self._tokens.get(audience)
        if cached is not None and cached[1] > now:
            return cached[0]
        claims = {"aud": audience, "exp": int(now) + TOKEN_LIFETIME, "sub": self.contact}
        header = str(self._vapid.sign(claims)["Authorization"])
        # Signed anew an hour before it expires: a push in flight never carries a lapsed token.
        self._tokens[audience] = (header, now + TOKEN_LIFETIME - 3600)
        return header


def check_subscription(endpoint: str, p256dh: str, auth: str, *, allow_private: bool) -> None:
    """Refuse (EndpointError) what no browser would give: a bad endpoint or keys that are not keys."""
    if len(endpoint) > MAX_ENDPOINT_LENGTH:
        raise EndpointError(f"an endpoint has at most {MAX_ENDPOINT_LENGTH} characters")
    if not endpoint.startswith("https://") and not allow_private:
        raise EndpointError("an endpoint is an https:// URL")
    parts = urllib.parse.urlsplit(endpoint)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise EndpointError("an endpoint is an https:// URL with a host")
    if any(ord(c) < 33 or ord(c) == 127 for c in endpoint):
        raise EndpointError("an endpoint has no spaces or control characters")
    if not allow_private and not _public_or_name(parts.hostname):
        raise EndpointError(
            "that endpoint is a loopback, private or reserved address: pushes reach it only on a server"
            " started with --push-allow-private"
        )
    from cryptography.hazmat.primitives.asymmetric import ec

    try:
        point = unb64url(p256dh)
        ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), point)
        if len(point) != 65:
            raise ValueError("compressed")
    except ValueError:
        raise EndpointError("keys.p256dh is not an uncompressed P-256 public key in base64url") from None
    try:
        secret = unb64url(auth)
    except ValueError:
        secret = b""
    if len(secret) != 16:
        raise EndpointError("keys.auth is not 16 bytes in base64url")


def _public_or_name(host: str) -> bool:
    """Whether ``host`` is a name (checked when connecting) or a public address literal."""
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return True
    return is_public(host)


def encrypt(subscription: PushSubscription, payload: bytes) -> bytes:
    """The payload encrypted for the device (RFC 8291 aes128gcm), with a fresh key and salt each time."""
    import http_ece
    from cryptography.hazmat.primitives.asymmetric import ec

    body = http_ece.encrypt(
        payload,
        private_key=ec.generate_private_key(ec.SECP256R1()),
        dh=unb64url(subscription.p256dh),
        auth_secret=unb64url(subscription.auth),
        version="aes128gcm",
    )
    assert isinstance(body, bytes)
    return body


def shown(endpoint: str) -> str:
    """The endpoint as logs show it: scheme and host only (the path names the device)."""
    parts = urllib.parse.urlsplit(endpoint)
    return f"{parts.scheme}://{parts.hostname or ''}"


@dataclass(frozen=True, slots=True)
class Outcome:
    """What a push service answered: its HTTP status (599: no answer), and why, in words without secrets."""

    code: int
    reason: str = ""

    @property
    def delivered(self) -> bool:
        """Accepted by the push service (RFC 8030: 201; some answer 200 or 202)."""
        return 200 <= self.code < 300

    @property
    def gone(self) -> bool:
        """The subscription has expired or was withdrawn: it must be forgotten (RFC 8030 §7.3)."""
        return self.code in (404, 410)


class PushClient:
    """POSTs encrypted pushes to push services, each within ``timeout`` seconds, never following redirects."""

    def __init__(self, *, allow_private: bool, timeout: float, max_clients: int) -> None:
        resolver = None if allow_private else PublicResolver()
        self._client = tornado.simple_httpclient.SimpleAsyncHTTPClient(
            force_instance=True, resolver=resolver, max_clients=max_clients
        )
        self.timeout = timeout

    async def send(
        self, key: VapidKey, subscription: PushSubscription, payload: bytes, *, ttl: int, urgency: str
    ) -> Outcome:
        """Encrypt ``payload`` for the device and POST it to its push service, once."""
        request = tornado.httpclient.HTTPRequest(
            subscription.endpoint,
            method="POST",
            body=encrypt(subscription, payload),
            headers={
                "Authorization": key.authorization(subscription.endpoint),
                "Content-Encoding": "aes128gcm",
                "Content-Type": "application/octet-stream",
                "TTL": str(ttl),
                "Urgency": urgency,
                "User-Agent": USER_AGENT,
            },
            connect_timeout=self.timeout,
            request_timeout=self.timeout,
            follow_redirects=False,
        )
        try:
            response = await self._client.fetch(request, raise_error=False)
        except OSError as error:
            return Outcome(599, error.strerror or type(error).__name__)
        if response.code == 599:
            failure = response.error
            return Outcome(599, "timed out" if "Timeout" in str(failure) else type(failure).__name__)
        return Outcome(response.code, response.reason or "")

    def close(self) -> None:
        """Stop: calls under way are cut off."""
        self._client.close()
