"""RoomsCase: a chat server where people sign in with JWTs, and calls to the rooms API as one of them."""

from __future__ import annotations

import json
import time
from dataclasses import replace
from typing import Any

import jwt
from tornado.httpclient import HTTPClientError, HTTPResponse

from chatroom.store.records import BOT, PERSON
from chatroom.tokens import new_token, token_hash
from tests.chat_case import ChatTestCase, Client

JWT_SECRET = "rooms-test-secret-" + "0123456789abcdef" * 3


def token_for(name: str) -> str:
    """A valid token for ``name`` (its account is made on first sight)."""
    return jwt.encode({"sub": name, "exp": time.time() + 600}, JWT_SECRET, algorithm="HS256")


def as_(name: str) -> dict[str, str]:
    """Headers that sign a request in as ``name``."""
    return {"Authorization": f"Bearer {token_for(name)}"}


class RoomsCase(ChatTestCase):
    """Accounts only (no guests), signed in with JWTs; ``api`` calls the JSON API as someone."""

    settings = replace(ChatTestCase.settings, jwt_secret=JWT_SECRET, guests=False)

    async def api(
        self, method: str, path: str, who: str | None = None, body: Any = None, raw: bytes | None = None
    ) -> tuple[int, Any, bytes]:
        """Status, decoded body and raw bytes of an API call as ``who`` (None: no credentials)."""
        headers = {"Content-Type": "application/json", **(as_(who) if who else {})}
        payload = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
        if payload is None and method in ("POST", "PATCH"):
            payload = b""
        response = await self.raw_fetch(method, path, headers, payload)
        decoded = json.loads(response.body) if response.body else None
        return response.code, decoded, response.body or b""

    async def raw_fetch(
        self, method: str, path: str, headers: dict[str, str], body: bytes | None
    ) -> HTTPResponse:
        try:
            return await self.http_client.fetch(
                self.get_url(path), method=method, headers=headers, body=body, allow_nonstandard_methods=True
            )
        except HTTPClientError as error:
            assert error.response is not None
            return error.response

    async def person(self, name: str, *, admin: bool = False) -> int:
        """Make a person's account now (JWTs would make it on first use); its id."""
        account = await self.backend.accounts.create_account(name, PERSON, is_admin=admin)
        return account.id

    async def bot(self, name: str) -> str:
        """Make a bot with a key; the key's Authorization header value."""
        account = await self.backend.accounts.create_account(name, BOT)
        key = new_token()
        await self.backend.accounts.create_bot_key(account.id, token_hash(key))
        return f"Bearer {key}"

    async def create(self, who: str, room: str, kind: str = "closed", **extra: Any) -> dict[str, Any]:
        """Create a room as ``who``; its entry (the call must succeed)."""
        status, body, _ = await self.api("POST", "/api/rooms", who, {"room": room, "kind": kind, **extra})
        assert status == 201, body
        assert isinstance(body, dict)
        return body

    async def enter(self, who: str, room: str, **params: str | int) -> tuple[Client, dict[str, Any]]:
        """Connect to a room's socket as ``who``; the client and its first frame."""
        client = await self.connect(room=room, token=token_for(who), **params)
        return client, await self.recv(client)

    async def inside(self, who: str, room: str) -> Client:
        """``who`` connected to ``room``, past its welcome, history and own join."""
        client, welcome = await self.enter(who, room)
        assert welcome["type"] == "welcome", welcome
        await self.recv_type(client, "history")
        await self.recv_type(client, "sys")
        return client

    async def said(self, who: str, room: str, text: str) -> int:
        """``who`` says ``text`` in the room on a connection of its own: its id."""
        client = await self.inside(who, room)
        await self.chat(client, text, "r")
        message_id = int((await self.recv_type(client, "ack"))["id"])
        client.close()
        return message_id

    async def refused(self, status: int, code: str, call: Any) -> bytes:
        """Await an API call that must fail with ``status`` and error ``code``; its raw body."""
        got, body, raw = await call
        assert (got, body and body.get("error")) == (status, code), (got, body)
        assert "Traceback" not in raw.decode()
        return bytes(raw)
