"""Who a request proves to be: a token speaks for the account of exactly its ``sub``, never a look-alike's."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import jwt
import pytest
from websockets.sync.client import ClientConnection

from chatroom.config import Settings
from chatroom.identity import Authenticator, IdentityError
from chatroom.store.base import Store
from chatroom.store.records import PERSON
from tests.clients import assert_room_carries_on, next_of, own_join, refused_on_open, welcomed
from tests.stores import StoreFactory, run
from tests.support import NO_PROXY, ServerProcess

SECRET = "identity-test-secret-" + "0123456789abcdef" * 3
# alice's look-alikes: another case, a digit one for an l, a Cyrillic а.
LOOK_ALIKES = ["ALICE", "a1ice", "\u0430lice"]


def token_for(sub: str) -> str:
    """A valid token for ``sub``, for ten minutes."""
    return jwt.encode({"sub": sub, "exp": int(time.time()) + 600}, SECRET, algorithm="HS256")


def test_a_token_finds_only_the_account_of_exactly_its_name(store_factory: StoreFactory) -> None:
    """``alice`` is alice; her look-alikes are refused, not let in as her; a new name makes its account."""

    async def scenario(store: Store) -> None:
        alice = await store.accounts.create_account("alice", PERSON, password_hash="$argon2id$x")
        authenticator = Authenticator(Settings(jwt_secret=SECRET), store.accounts)
        found = await authenticator.identify(f"Bearer {token_for('alice')}", None, None)
        assert found is not None and found.account_id == alice.id
        for sub in LOOK_ALIKES:
            with pytest.raises(IdentityError, match="too like another account's name"):
                await authenticator.identify(f"Bearer {token_for(sub)}", None, None)
            with pytest.raises(IdentityError, match="too like another account's name"):
                await authenticator.identify(None, token_for(sub), None)
        carol = await authenticator.identify(None, token_for("carol"), None)
        assert carol is not None and carol.name == "carol" and carol.account.external
        again = await authenticator.identify(None, token_for("carol"), None)
        assert again is not None and again.account_id == carol.account_id

    run(store_factory(), scenario)


@pytest.fixture(scope="module")
def jwt_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """A server that takes tokens, where alice (by her token) has a closed room with a message."""
    db: Path = tmp_path_factory.mktemp("identity") / "chat.db"
    with ServerProcess(db, "--jwt-secret", SECRET, guests=False) as server:
        status, _ = api(server, "POST", "/api/rooms", "alice", {"room": "alices-own", "kind": "closed"})
        assert status == 201
        yield server


def api(server: ServerProcess, method: str, path: str, sub: str, body: object = None) -> tuple[int, str]:
    """A request with ``sub``'s token: the status and the body as text."""
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(
        server.url + path, data=data, method=method, headers={"Authorization": f"Bearer {token_for(sub)}"}
    )
    try:
        with NO_PROXY.open(request, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def alice_in(server: ServerProcess, room: str) -> ClientConnection:
    """alice, by her own token, in ``room``: welcomed, her join read."""
    ws, _, _ = welcomed(server, room=room, token=token_for("alice"))
    own_join(ws, "alice", skip=("sys", "peer", "unread"))
    return ws


@pytest.mark.parametrize("sub", LOOK_ALIKES)
def test_a_look_alike_token_reads_nothing_of_the_account(jwt_server: ServerProcess, sub: str) -> None:
    """A look-alike's token is 401 on the API and 4401 on the socket; alice's own connection carries on."""
    with alice_in(jwt_server, "alices-own") as alice, alice_in(jwt_server, "alices-own") as again:
        for path in ("/api/rooms", "/api/rooms/alices-own/messages", "/api/me"):
            status, body = api(jwt_server, "GET", path, sub)
            assert status == 401, (path, body)
            assert json.loads(body) == {
                "error": "unauthorized",
                "message": "the token's sub is too like another account's name",
            }
        error, code = refused_on_open(jwt_server, room="alices-own", token=token_for(sub))
        assert (error["code"], code) == ("unauthorized", 4401)
        error, code = refused_on_open(jwt_server, room="lobby", token=token_for(sub))
        assert (error["code"], code) == ("unauthorized", 4401)
        assert_room_carries_on(alice, again)
        assert next_of(again, "user")["nick"] == "alice"
