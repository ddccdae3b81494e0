"""The chat socket's way in (chatroom/admission.py) on both stores: what it refuses, what it asks."""

from __future__ import annotations

from typing import Any

from tornado.testing import gen_test

from chatroom import protocol
from chatroom.clock import now_ms
from chatroom.store.records import CLOSED, PERSON

from .chat_case import ChatTestCase, OnPostgres


class CountingStore:
    """A store that notes the name of every method called on it and on its accounts, then passes it on."""

    def __init__(self, store: Any, calls: list[str] | None = None, prefix: str = "") -> None:
        self._store, self.calls, self._prefix = store, [] if calls is None else calls, prefix

    def __getattr__(self, name: str) -> Any:
        found = getattr(self._store, name)
        if name == "accounts":
            return CountingStore(found, self.calls, "accounts.")
        if not callable(found):
            return found

        def noted(*args: Any, **kwargs: Any) -> Any:
            self.calls.append(self._prefix + name)
            return found(*args, **kwargs)

        return noted


class AdmissionTest(ChatTestCase):
    """Each refusal of the way in, as a guest sees it; a join's questions asked of the store at once."""

    @gen_test
    async def test_a_look_alike_of_a_room_with_history_is_refused_bad_name(self) -> None:
        """A room named like one with history (nobody in it) gets bad_name, that room unnamed, and 4400."""
        await self.backend.publish("lobby", "bob", "hello")
        client = await self.connect(room="Iobby", nick="ann")
        error = await self.recv(client)
        assert error["code"] == protocol.BAD_NAME
        assert error["message"] == (
            "the room name 'Iobby' looks like an existing room's name: pick another name"
        )
        assert await self.closed(client) == protocol.CLOSE_BAD_NAME
        _, welcome, history = await self.join("ann", room="lobby")
        assert welcome["last_id"] == 1 and [m["message"] for m in history["messages"]] == ["hello"]

    @gen_test
    async def test_a_guest_never_takes_an_accounts_name(self) -> None:
        """A guest asking for an account's name, in any case, gets nick_taken and 4409."""
        await self.backend.accounts.create_account("alice", PERSON)
        client = await self.connect(room="lobby", nick="ALICE")
        refusal = await self.recv(client)
        assert refusal["code"] == protocol.NICK_TAKEN
        assert refusal["message"].startswith("the nick 'ALICE' is an account's name")
        assert await self.closed(client) == protocol.CLOSE_NICK_TAKEN
        _, welcome, _ = await self.join("alicia")
        assert welcome["nick"] == "alicia"

    @gen_test
    async def test_a_guest_never_takes_a_name_an_account_was_renamed_from(self) -> None:
        """A guest asking for the name an account had (its old messages bear it) gets nick_taken and 4409."""
        alice = await self.backend.accounts.create_account("alice", PERSON)
        await self.backend.accounts.rename_account(alice.id, "alicia")
        client = await self.connect(room="lobby", nick="Alice")
        refusal = await self.recv(client)
        assert (refusal["code"], refusal["message"][:37]) == (
            protocol.NICK_TAKEN,
            "the nick 'Alice' is an account's name",
        )
        assert await self.closed(client) == protocol.CLOSE_NICK_TAKEN
        _, welcome, _ = await self.join("alison")
        assert welcome["nick"] == "alison"

    @gen_test
    async def test_a_barred_address_and_a_closed_room_turn_a_guest_away(self) -> None:
        """A guest whose address is barred gets forbidden and 4403; a closed room, not_found and 4404."""
        await self.backend.accounts.create_room("vault", CLOSED)
        client = await self.connect(room="vault", nick="ann")
        assert (await self.recv(client))["code"] == protocol.NOT_FOUND
        assert await self.closed(client) == protocol.CLOSE_NOT_FOUND
        await self.backend.accounts.bar_guest("127.0.0.1", now_ms() + 60_000)
        client = await self.connect(room="lobby", nick="ann")
        assert (await self.recv(client))["code"] == protocol.FORBIDDEN
        assert await self.closed(client) == protocol.CLOSE_FORBIDDEN

    @gen_test
    async def test_a_guests_join_asks_the_store_twice(self) -> None:
        """Into a room this process serves already: the way in in one read, then the room's last id."""
        await self.join("ann")
        counting = CountingStore(self.backend.store)
        self.backend.store = counting  # type: ignore[assignment]
        await self.join("bob")
        # The epoch is each store's own, read at start: asking for it reads nothing.
        assert [call for call in counting.calls if call != "epoch"] == ["way_in", "last_id"]


class AdmissionOnPostgresTest(OnPostgres, AdmissionTest):
    """The same, on PostgreSQL: one statement for the way in."""
