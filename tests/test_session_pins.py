"""Pinned messages on the socket and the API: pin, unpin, refusals, deletion, recovery with since."""

from __future__ import annotations

from dataclasses import replace

from tornado.testing import gen_test

from chatroom import protocol
from chatroom.store.change_rules import MAX_PINS
from tests import test_session_changes
from tests.chat_case import OnPostgres
from tests.rooms_case import RoomsCase


class PinsTest(RoomsCase):
    """ann and bob in the open room "town"; root is an administrator. Fifty pins take no rate limit."""

    settings = replace(RoomsCase.settings, rate=1000.0, burst=1000)
    # The helpers of the changes' tests (the module, not its class: its tests are not run twice).
    joined = test_session_changes.ChangesTest.joined
    town = test_session_changes.ChangesTest.town
    ask = test_session_changes.ChangesTest.ask
    post = test_session_changes.ChangesTest.post

    async def pins(self, room: str = "town", who: str = "bob") -> list[tuple[int, str]]:
        """The room's pinned messages as ``who`` reads them from the API: (id, who pinned it)."""
        status, body, _ = await self.api("GET", f"/api/rooms/{room}/pins", who)
        assert status == 200 and body["room"] == room, body
        return [(m["id"], m["pinned"]["nick"]) for m in body["messages"]]

    @gen_test(timeout=30)
    async def test_a_pin_reaches_everyone_with_its_own_id_and_marks_its_message(self) -> None:
        """ann pins bob's message: acked with the next id, a pin frame to both, the mark in history and
        in the API, the room's pins newest first; a repeat is acked unchanged; unpinning takes the mark."""
        ann, bob = await self.town()
        rules = await self.post(bob, "the rules")
        link = await self.post(bob, "the meeting link")
        await self.send(ann, {"type": "pin", "id": rules, "on": True, "ref": "r"})
        told = {}  # the author hears of its pin too, before or after its ack
        while len(told) < 2:
            frame = await self.recv(ann)
            if frame["type"] in ("ack", "pin"):
                told[frame["type"]] = frame
        assert told["ack"] == {"type": "ack", "ref": "r", "id": link + 1}
        pin = await self.recv_type(bob, "pin")
        assert pin == {
            "type": "pin", "id": link + 1, "room": "town", "target": rules, "nick": "ann", "on": True,
            "ts": pin["ts"],
        }  # fmt: skip
        assert told["pin"] == pin
        again = await self.ask(bob, {"type": "pin", "id": rules, "on": True})
        assert again == {"type": "ack", "ref": "r", "id": rules, "unchanged": True}
        await self.nothing_more(ann)
        await self.ask(bob, {"type": "pin", "id": link, "on": True})
        assert (await self.recv_type(ann, "pin"))["target"] == link
        assert await self.pins() == [(link, "bob"), (rules, "ann")]
        _, history = await self.joined("carl")
        assert [m.get("pinned") for m in history["messages"]] == [
            {"nick": "ann", "ts": pin["ts"]},
            {"nick": "bob", "ts": history["messages"][1]["pinned"]["ts"]},
        ]
        off = await self.ask(bob, {"type": "pin", "id": rules, "on": False})
        assert (await self.recv_type(ann, "pin"))["on"] is False and off["id"] == link + 3
        status, body, _ = await self.api("GET", "/api/rooms/town/messages", "bob")
        assert (
            status == 200
            and "pinned" not in body["messages"][0]
            and body["messages"][1]["pinned"]["nick"] == "bob"
        )
        assert await self.pins() == [(link, "bob")]

    @gen_test(timeout=30)
    async def test_deleting_a_pinned_message_unpins_it(self) -> None:
        """The deletion is the one change everyone hears of; the tombstone is pinned nowhere."""
        ann, bob = await self.town()
        homework = await self.post(bob, "homework")
        await self.ask(ann, {"type": "pin", "id": homework, "on": True})
        await self.recv_type(bob, "pin")
        deleted = await self.ask(bob, {"type": "delete", "id": homework})
        assert (await self.recv_type(ann, "delete"))["id"] == deleted["id"] == homework + 2
        await self.nothing_more(ann)
        assert await self.pins() == []
        _, history = await self.joined("carl")
        assert history["messages"][0]["deleted"] is True and "pinned" not in history["messages"][0]

    @gen_test(timeout=60)
    async def test_every_refusal_is_an_error_and_the_connection_stays(self) -> None:
        """A deleted message, no message, a change's id, a bad frame, and a 51st pin: each refused with
        its code and ref; ann carries on, bob hears nothing of them, unpinning still goes through."""
        ann, bob = await self.town()
        ids = [await self.post(ann, f"m{i}") for i in range(MAX_PINS + 2)]
        gone = ids.pop()
        await self.ask(ann, {"type": "delete", "id": gone})
        for target in ids[:MAX_PINS]:
            assert (await self.ask(ann, {"type": "pin", "id": target, "on": True}))["type"] == "ack"
        while (await self.recv(bob)).get("target") != ids[MAX_PINS - 1]:
            pass
        change_id = ids[-1] + 2
        refusals = [
            ({"type": "pin", "id": gone, "on": True}, "no_message", f"message {gone} was deleted"),
            ({"type": "pin", "id": 9999, "on": True}, "no_message", "there is no message 9999 in this room"),
            ({"type": "pin", "id": change_id, "on": True}, "no_message", None),
            ({"type": "pin", "id": ids[0]}, "bad_request", '"on" must be true or false'),
            (
                {"type": "pin", "id": ids[-1], "on": True},
                "too_many_pins",
                "a room holds at most 50 pinned messages: unpin one first",
            ),
        ]
        for frame, code, message in refusals:
            error = await self.ask(ann, frame)
            assert (error["type"], error["code"], error["ref"]) == ("error", code, "r"), (frame, error)
            assert message is None or error["message"] == message
        await self.nothing_more(bob)
        assert (await self.ask(ann, {"type": "pin", "id": ids[0], "on": False}))["type"] == "ack"
        assert (await self.recv_type(bob, "pin"))["target"] == ids[0]
        assert (await self.ask(ann, {"type": "pin", "id": ids[-1], "on": True}))["type"] == "ack"
        assert (await self.recv_type(bob, "pin"))["target"] == ids[-1]
        assert len(await self.pins()) == MAX_PINS

    @gen_test(timeout=30)
    async def test_an_archived_room_refuses_pins_both_ways(self) -> None:
        """Pinning and unpinning in a read-only room are refused read_only; the pin stays."""
        ann, _ = await self.town()
        first = await self.post(ann, "before")
        await self.ask(ann, {"type": "pin", "id": first, "on": True})
        await self.api("PATCH", "/api/rooms/town", "ann", {"archived": True})
        assert (await self.recv_type(ann, "room"))["change"] == "archived"
        for on in (False, True):
            error = await self.ask(ann, {"type": "pin", "id": first, "on": on})
            assert (error["type"], error["code"]) == ("error", protocol.READ_ONLY)
        assert await self.pins() == [(first, "ann")]

    @gen_test(timeout=30)
    async def test_where_only_managers_post_only_they_pin(self) -> None:
        """bob reads a room where only its owner posts: his pin is refused read_only, ann's is taken."""
        await self.person("bob")
        await self.create("ann", "news", "open", posting="managers")
        ann, _ = await self.joined("ann", "news")
        bob, _ = await self.joined("bob", "news")
        notice = await self.post(ann, "Welcome")
        error = await self.ask(bob, {"type": "pin", "id": notice, "on": True})
        assert (error["type"], error["code"], error["message"]) == (
            "error",
            protocol.READ_ONLY,
            "you cannot change messages in this room: only its owner and administrators post in it",
        )
        assert (await self.ask(ann, {"type": "pin", "id": notice, "on": True}))["type"] == "ack"
        assert (await self.recv_type(bob, "pin"))["target"] == notice
        assert await self.pins("news") == [(notice, "ann")]

    @gen_test(timeout=30)
    async def test_since_brings_a_pin_made_while_away(self) -> None:
        """bob away while a message is pinned and another unpinned: back with since, exactly those."""
        ann, bob = await self.town()
        first = await self.post(ann, "first")
        second = await self.post(ann, "second")
        await self.ask(ann, {"type": "pin", "id": second, "on": True})
        await self.recv_type(bob, "user")
        await self.recv_type(bob, "user")
        last_seen = (await self.recv_type(bob, "pin"))["id"]
        bob.close()
        pinned = await self.ask(ann, {"type": "pin", "id": first, "on": True})
        unpinned = await self.ask(ann, {"type": "pin", "id": second, "on": False})
        bob, history = await self.joined("bob", since=last_seen)
        assert [(c["type"], c["id"], c["target"], c["on"]) for c in history["changes"]] == [
            ("pin", pinned["id"], first, True),
            ("pin", unpinned["id"], second, False),
        ]
        await self.nothing_more(bob)

    @gen_test(timeout=30)
    async def test_a_search_result_says_it_is_pinned(self) -> None:
        """Search answers a pinned message with its mark, like history."""
        ann, _ = await self.town()
        found = await self.post(ann, "the zoom link is here")
        await self.ask(ann, {"type": "pin", "id": found, "on": True})
        status, body, _ = await self.api("GET", "/api/search?q=zoom&room=town", "bob")
        assert status == 200 and [m["pinned"]["nick"] for m in body["results"]] == ["ann"]


class PinsOnPostgresTest(OnPostgres, PinsTest):
    """The same, the server storing in PostgreSQL."""


class GuestPinsTest(RoomsCase):
    """Where guests are let in, a guest may not pin."""

    settings = replace(RoomsCase.settings, guests=True)

    @gen_test(timeout=30)
    async def test_a_guest_is_told_to_sign_in(self) -> None:
        """A guest's pin is refused forbidden, saying to sign in; the guest stays and posts."""
        guest, _, _ = await self.join("wanderer")
        await self.send(guest, {"type": "message", "message": "hi", "ref": "m"})
        first = (await self.recv_type(guest, "ack"))["id"]
        await self.send(guest, {"type": "pin", "id": first, "on": True, "ref": "p"})
        error = await self.recv_type(guest, "error")
        assert error == {
            "type": "error", "code": "forbidden", "ref": "p",
            "message": "sign in to edit, delete, react, pin or vote: guests cannot change messages",
        }  # fmt: skip
        await self.send(guest, {"type": "message", "message": "still here", "ref": "n"})
        assert (await self.recv_type(guest, "ack"))["ref"] == "n"
