"""A push service of the tests' own: devices with their own keys, and an endpoint that decrypts.

No real push service can be reached from the tests, so the test plays both
the browser and its push service: a Device makes its own P-256 key pair and
auth secret (what ``pushManager.subscribe`` makes in a browser) and gives the
server the subscription; the PushReceiver is an HTTP endpoint on 127.0.0.1
that checks each request as a push service does (RFC 8030 headers, the VAPID
token of RFC 8292: its ES256 signature by the key the server published, its
``aud``, ``exp`` and ``sub``) and then decrypts the body as the browser would
(RFC 8291, aes128gcm), written here from the RFC with ``cryptography`` alone,
not with the library the server encrypts with.
"""

from __future__ import annotations

import base64
import http.server
import json
import os
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import jwt
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def point(key: ec.EllipticCurvePublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)


def hkdf(salt: bytes, ikm: bytes, info: bytes, length: int) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=length, salt=salt, info=info).derive(ikm)


@dataclass
class Device:
    """A browser's subscription: its endpoint at the receiver, its key pair and auth secret."""

    endpoint: str
    private_key: ec.EllipticCurvePrivateKey = field(
        default_factory=lambda: ec.generate_private_key(ec.SECP256R1())
    )
    auth: bytes = field(default_factory=lambda: os.urandom(16))

    @property
    def p256dh(self) -> bytes:
        return point(self.private_key.public_key())

    def subscription(self) -> dict[str, Any]:
        """What ``PushSubscription.toJSON()`` gives a page, for POST /api/push/subscriptions."""
        return {"endpoint": self.endpoint, "keys": {"p256dh": b64url(self.p256dh), "auth": b64url(self.auth)}}

    def decrypt(self, body: bytes) -> bytes:
        """RFC 8291 §3.4 and RFC 8188 §2: one aes128gcm record, its padding removed."""
        salt, record_size, id_length = body[:16], int.from_bytes(body[16:20], "big"), body[20]
        sender_public = body[21 : 21 + id_length]
        ciphertext = body[21 + id_length :]
        assert id_length == 65 and len(ciphertext) <= record_size, "one record, keyed by the sender's point"
        sender = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), sender_public)
        shared = self.private_key.exchange(ec.ECDH(), sender)
        ikm = hkdf(self.auth, shared, b"WebPush: info\x00" + self.p256dh + sender_public, 32)
        key = hkdf(salt, ikm, b"Content-Encoding: aes128gcm\x00", 16)
        nonce = hkdf(salt, ikm, b"Content-Encoding: nonce\x00", 12)
        padded = AESGCM(key).decrypt(nonce, ciphertext, None)
        unpadded = padded.rstrip(b"\x00")
        assert unpadded.endswith(b"\x02"), "the last record ends with the delimiter 2"
        return unpadded[:-1]


@dataclass
class Push:
    """One request the receiver accepted: which device, its headers, the payload decrypted, the claims."""

    device: str
    headers: dict[str, str]
    payload: dict[str, Any]
    claims: dict[str, Any]


class PushReceiver:
    """An HTTP push service on 127.0.0.1: checks and decrypts each push, answers ``status_of[device]``
    (after ``held_for[device]`` seconds: a slow one)."""

    def __init__(self) -> None:
        self.devices: dict[str, Device] = {}
        self.pushes: list[Push] = []
        self.refused: list[str] = []
        self.status_of: dict[str, int] = {}
        self.held_for: dict[str, float] = {}
        # The server's VAPID public key (GET /api/push/key), which every push must be signed with.
        self.server_key: str | None = None
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                name = self.path.rsplit("/", 1)[-1]
                time.sleep(receiver.held_for.get(name, 0))
                try:
                    receiver.accept(name, dict(self.headers), body)
                except Exception as error:  # a test receiver records what it refused, and why
                    receiver.refused.append(f"{name}: {type(error).__name__}: {error}")
                    self.send_response(400)
                else:
                    self.send_response(receiver.status_of.get(name, 201))
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.origin = f"http://127.0.0.1:{self.port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def device(self, name: str) -> Device:
        """A new device whose pushes arrive at /push/<name>."""
        self.devices[name] = made = Device(f"{self.origin}/push/{name}")
        return made

    def accept(self, name: str, headers: dict[str, str], body: bytes) -> None:
        """Check a push as a push service does, then decrypt it as the device does; record it."""
        lowered = {key.lower(): value for key, value in headers.items()}
        assert lowered["content-encoding"] == "aes128gcm"
        assert int(lowered["ttl"]) > 0 and lowered["urgency"] in ("very-low", "low", "normal", "high")
        claims = self.check_vapid(lowered["authorization"])
        payload = json.loads(self.devices[name].decrypt(body))
        self.pushes.append(Push(name, lowered, payload, claims))

    def check_vapid(self, authorization: str) -> dict[str, Any]:
        """RFC 8292: ``vapid t=<ES256 JWT>,k=<the key browsers subscribed with>``; aud, exp and sub."""
        scheme, _, rest = authorization.partition(" ")
        assert scheme == "vapid", authorization[:10]
        parts = dict(part.split("=", 1) for part in rest.split(","))
        assert parts["k"] == self.server_key, "signed with the key the server gives browsers"
        public = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), unb64url(parts["k"]))
        claims: dict[str, Any] = jwt.decode(parts["t"], public, algorithms=["ES256"], audience=self.origin)
        assert claims["exp"] > time.time() and claims["exp"] <= time.time() + 24 * 3600
        assert str(claims["sub"]).startswith(("mailto:", "https://"))
        return claims

    def pushes_to(self, name: str) -> list[Push]:
        return [push for push in self.pushes if push.device == name]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
