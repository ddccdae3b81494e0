"""Who may connect: origin check, JWT verification, API-key comparison."""

from __future__ import annotations

import urllib.parse

# RFC 7518 3.2: an HS256 key has at least as many bits as the hash.
MIN_SECRET_BYTES = 32
TOKEN_ALGORITHMS = ["HS256"]
REQUIRED_CLAIMS = ["sub", "exp"]


class AuthError(Exception):
    """A token or key that does not let its bearer in."""


def normalize_origin(origin: str) -> str:
    """An origin as browsers send it: lower-case scheme and host, no trailing slash."""
    parts = urllib.parse.urlsplit(origin.strip())
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}"


def origin_allowed(origin: str, host: str, allowed: tuple[str, ...]) -> bool:
    """Whether a browser on ``origin`` may open a WebSocket to this server.

    The server's own host (the ``Host`` header) is always allowed, whatever
    the scheme, so the page works behind a TLS-terminating proxy; any other
    origin must be listed exactly, scheme included.
    """
    netloc = urllib.parse.urlsplit(origin).netloc.lower()
    if netloc and netloc == host.lower():
        return True
    return normalize_origin(origin) in {normalize_origin(item) for item in allowed}


def secret_too_short(secret: str) -> bool:
    """Whether an HS256 secret is shorter than the 32 bytes RFC 7518 asks for."""
    return len(secret.encode()) < MIN_SECRET_BYTES


def verify_token(token: str, secret: str) -> str:
    """Return the nick (``sub``) of a valid, unexpired HS256 token, else raise AuthError.

    Only HS256 is accepted (never ``none``, never a public-key algorithm that
    would treat the secret as a key), and ``exp`` is required: a token
    without an expiry would be a password that can never be revoked.
    """
    # Imported here: PyJWT loads the cryptography package (a tenth of the
    # server's start) and only servers run with --jwt-secret check tokens.
    import jwt

    try:
        claims = jwt.decode(
            token,
            secret,
            algorithms=TOKEN_ALGORITHMS,
            options={"require": REQUIRED_CLAIMS, "verify_exp": True, "verify_signature": True},
        )
    except jwt.PyJWTError as error:
        raise AuthError(str(error)) from None
    subject = claims.get("sub")
    if not isinstance(subject, str):
        raise AuthError("the token's sub is not a string")
    return subject


def bearer_credentials(authorization: str | None) -> str | None:
    """What an ``Authorization: Bearer <credentials>`` header carries; None for another scheme."""
    scheme, _, credentials = (authorization or "").partition(" ")
    if scheme.lower() != "bearer":
        return None
    return credentials.strip()
