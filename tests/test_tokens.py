"""Tokens are long, random, URL-safe, and stored only as their SHA-256."""

from __future__ import annotations

import hashlib

from chatroom.tokens import new_token, token_hash


def test_tokens_are_url_safe_random_and_long() -> None:
    """43 URL-safe characters (32 bytes), never the same twice."""
    tokens = {new_token() for _ in range(1000)}
    assert len(tokens) == 1000
    for token in tokens:
        assert len(token) == 43
        assert set(token) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


def test_the_stored_form_is_the_sha256() -> None:
    """What the database keeps is the token's SHA-256: 32 bytes, the same for the same token."""
    token = new_token()
    assert token_hash(token) == hashlib.sha256(token.encode()).digest() == token_hash(token)
    assert token_hash(token) != token_hash(new_token())
