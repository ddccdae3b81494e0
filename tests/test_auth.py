"""Unit tests of chatroom.auth: origins, tokens, API keys."""

from __future__ import annotations

import time
from typing import Any

import jwt
import pytest

from chatroom import auth

SECRET = "unit-test-secret-" + "0123456789abcdef" * 2
LISTED = ("https://chat.example.com", "http://localhost:3000")


def make_token(secret: str = SECRET, algorithm: str = "HS256", **claims: Any) -> str:
    payload: dict[str, Any] = {"sub": "alice", "exp": int(time.time()) + 60}
    payload.update(claims)
    return jwt.encode({k: v for k, v in payload.items() if v is not None}, secret, algorithm=algorithm)


# --- origins ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("origin", "host"),
    [
        ("http://127.0.0.1:8888", "127.0.0.1:8888"),
        ("https://chat.example.com", "chat.example.com"),
        ("HTTPS://Chat.Example.COM", "chat.example.com"),
        ("https://chat.example.com", "proxy.internal:8888"),
        ("https://chat.example.com/", "proxy.internal:8888"),
        ("http://localhost:3000", "proxy.internal:8888"),
    ],
)
def test_own_host_and_listed_origins_are_allowed(origin: str, host: str) -> None:
    """The Host the browser used, or any --origin, may open a WebSocket."""
    assert auth.origin_allowed(origin, host, LISTED)


@pytest.mark.parametrize(
    "origin",
    [
        "http://chat.example.com",
        "https://chat.example.com:444",
        "https://chat.example.com.evil.example",
        "https://evilchat.example.com",
        "http://localhost:3001",
        "https://localhost:3000",
        "null",
        "",
        "chat.example.com",
    ],
)
def test_other_origins_are_refused(origin: str) -> None:
    """An origin differing from the listed ones in scheme, host or port is refused."""
    assert not auth.origin_allowed(origin, "proxy.internal:8888", LISTED)


def test_own_host_with_default_port_is_not_the_same_host() -> None:
    """Host and Origin are compared exactly: a proxy must pass the Host the browser used."""
    assert not auth.origin_allowed("https://chat.example.com", "chat.example.com:443", ())


# --- tokens -----------------------------------------------------------------


def test_valid_token_gives_its_subject() -> None:
    """A fresh HS256 token signed with the secret yields its sub as the nick."""
    assert auth.verify_token(make_token(sub="Ada Lovelace"), SECRET) == "Ada Lovelace"


@pytest.mark.parametrize(
    "bad",
    [
        pytest.param(lambda: "", id="empty"),
        pytest.param(lambda: "a.b.c", id="garbage"),
        pytest.param(lambda: make_token(secret=SECRET + "x"), id="other-secret"),
        pytest.param(lambda: make_token(exp=int(time.time()) - 1), id="expired"),
        pytest.param(lambda: make_token(exp=None), id="no-exp"),
        pytest.param(lambda: make_token(sub=None), id="no-sub"),
        pytest.param(lambda: make_token(sub=7), id="sub-not-string"),
        pytest.param(lambda: make_token(nbf=int(time.time()) + 60), id="not-yet-valid"),
        pytest.param(lambda: make_token(algorithm="HS384"), id="HS384"),
        pytest.param(
            lambda: jwt.encode({"sub": "alice", "exp": int(time.time()) + 60}, None, "none"), id="none"
        ),
        pytest.param(lambda: make_token()[:-2], id="truncated-signature"),
    ],
)
def test_bad_tokens_raise_auth_error(bad: Any) -> None:
    """Every kind of bad token raises AuthError, nothing else."""
    with pytest.raises(auth.AuthError):
        auth.verify_token(bad(), SECRET)


def test_short_secrets_are_flagged() -> None:
    """A secret under 32 bytes is too short for HS256; 32 bytes is enough."""
    assert auth.secret_too_short("x" * 31)
    assert not auth.secret_too_short("x" * 32)
    assert not auth.secret_too_short("é" * 16)


# --- bearer credentials ------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "credentials"),
    [
        ("Bearer abc.def", "abc.def"),
        ("bearer  abc ", "abc"),
        ("Bearer", ""),
        ("Basic abc", None),
        (None, None),
    ],
)
def test_bearer_credentials_are_what_follows_the_scheme(header: str | None, credentials: str | None) -> None:
    """A token comes from 'Bearer <token>' only: another scheme or no header gives nothing."""
    assert auth.bearer_credentials(header) == credentials
