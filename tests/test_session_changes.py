"""Changes to messages on the socket: edit, delete, react, reply, refusals, and recovery with since."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from tornado.testing import gen_test

from chatroom import protocol
from chatroom.store.change_rules import MAX_EMOJIS
from tests.chat_case import Client, Frame
from tests.rooms_case import RoomsCase, token_for

THUMBS = "\U0001f44d"


class ChangesTest(RoomsCase):
    """ann and bob in the open room "town"; root is an administrator."""

    async def joined(self, who: str, room: str = "town", **params: str | int) -> tuple[Client, Frame]:
        """``who`` in ``room``, past welcome, history and its own join; the history frame."""
        client = await self.connect(room=room, token=token_for(who), **params)
        assert (await self.recv(client))["type"] == "welcome"
        history = await self.recv(client)
        assert history["type"] == "history"
        await self.recv_type(client, "sys")
        return client, history

    async def town(self) -> tuple[Client, Client]:
        await self.person("root", admin=True)
        await self.person("bob")
        await self.create("ann", "town", "open")
        ann, _ = await self.joined("ann")
        bob, _ = await self.joined("bob")
        await self.recv_type(ann, "sys")  # bob's join
        return ann, bob

    async def ask(self, client: Client, frame: dict[str, Any]) -> Frame:
        """Send a frame with a ref; the ack or error answering it."""
        await self.send(client, {**frame, "ref": "r"})
        while True:
            answer = await self.recv(client)
            if answer["type"] in ("ack", "error") and answer.get("ref") == "r":
                return answer

    async def post(self, client: Client, text: str, **extra: Any) -> int:
        """A message stored: its id."""
        ack = await self.ask(client, {"type": "message", "message": text, **extra})
        assert ack["type"] == "ack", ack
        return int(ack["id"])

    @gen_test(timeout=30)
    async def test_an_edit_reaches_everyone_with_its_own_id(self) -> None:
        """The author edits: an edit frame with the next id and the target; history shows the text edited."""
        ann, bob = await self.town()
        first = await self.post(ann, "helo")
        await self.recv_type(bob, "user")
        ack = await self.ask(ann, {"type": "edit", "id": first, "message": " hello "})
        assert ack == {"type": "ack", "ref": "r", "id": first + 1}
        edit = await self.recv_type(bob, "edit")
        assert edit == {
            "type": "edit", "id": first + 1, "room": "town", "target": first, "nick": "ann",
            "message": "hello", "ts": edit["ts"],
        }  # fmt: skip
        _, history = await self.joined("carl")
        shown = history["messages"][0]
        assert (shown["message"], shown["edited"]) == ("hello", edit["ts"])

    @gen_test(timeout=30)
    async def test_a_deletion_leaves_a_tombstone_for_everyone(self) -> None:
        """The author deletes; an administrator deletes anyone's; history shows both as deleted, no text."""
        ann, bob = await self.town()
        mine = await self.post(ann, "oops")
        bobs = await self.post(bob, "rude words")
        ack = await self.ask(ann, {"type": "delete", "id": mine})
        assert ack["id"] == bobs + 1
        deleted = await self.recv_type(bob, "delete")
        assert deleted == {
            "type": "delete", "id": bobs + 1, "room": "town", "target": mine, "nick": "ann",
            "ts": deleted["ts"],
        }  # fmt: skip
        root, _ = await self.joined("root")
        assert (await self.ask(root, {"type": "delete", "id": bobs}))["type"] == "ack"
        assert (await self.recv_type(bob, "delete"))["nick"] == "root"
        _, history = await self.joined("carl")
        assert [(m["message"], m.get("deleted")) for m in history["messages"]] == [("", True), ("", True)]

    @gen_test(timeout=30)
    async def test_a_rooms_owner_deletes_anyones_message_in_it_and_no_other_member_does(self) -> None:
        """ann owns town and deletes bob's message for everyone; bob may not delete hers, nor carl
        bob's (forbidden, the connection stays, nothing broadcast); a direct room has no owner."""
        ann, bob = await self.town()
        carl, _ = await self.joined("carl")
        anns = await self.post(ann, "house rules")
        bobs = await self.post(bob, "abuse")
        refused = {"type": "error", "code": "forbidden", "message": "you may only delete your own messages"}
        for asker, target in ((bob, anns), (carl, bobs)):
            assert await self.ask(asker, {"type": "delete", "id": target}) == {**refused, "ref": "r"}
        # Her deletion and the message she sends right after it are stored in the order she sent them.
        await self.send(ann, {"type": "delete", "id": bobs, "ref": "d"})
        await self.send(ann, {"type": "message", "message": "cleaned up", "ref": "m"})
        for client in (bob, carl):
            deleted = await self.recv_type(client, "delete")
            assert (deleted["target"], deleted["nick"]) == (bobs, "ann")
            assert (await self.recv_type(client, "user"))["id"] == deleted["id"] + 1
        assert (await self.ask(bob, {"type": "message", "message": "still here"}))["type"] == "ack"
        status, direct, _ = await self.api("POST", "/api/direct", "ann", {"members": ["bob"]})
        assert status == 201
        ann_direct, _ = await self.joined("ann", room=direct["room"])
        bob_direct, _ = await self.joined("bob", room=direct["room"])
        in_direct = await self.post(ann_direct, "just us")
        assert await self.ask(bob_direct, {"type": "delete", "id": in_direct}) == {**refused, "ref": "r"}

    @gen_test(timeout=30)
    async def test_reactions_toggle_and_a_repeat_takes_no_id(self) -> None:
        """On, on again (acked unchanged, nothing broadcast), off; history lists who reacted."""
        ann, bob = await self.town()
        first = await self.post(ann, "cake?")
        await self.recv_type(bob, "user")
        on = await self.ask(bob, {"type": "react", "id": first, "emoji": THUMBS, "on": True})
        reaction = await self.recv_type(ann, "reaction")
        assert reaction == {
            "type": "reaction", "id": on["id"], "room": "town", "target": first, "nick": "bob",
            "emoji": THUMBS, "on": True, "ts": reaction["ts"],
        }  # fmt: skip
        again = await self.ask(bob, {"type": "react", "id": first, "emoji": THUMBS, "on": True})
        assert again == {"type": "ack", "ref": "r", "id": first, "unchanged": True}
        await self.nothing_more(ann)
        _, history = await self.joined("carl")
        assert history["messages"][0]["reactions"] == [{"emoji": THUMBS, "nicks": ["bob"]}]
        off = await self.ask(bob, {"type": "react", "id": first, "emoji": THUMBS, "on": False})
        assert off["id"] == on["id"] + 1 and (await self.recv_type(ann, "reaction"))["on"] is False

    @gen_test(timeout=30)
    async def test_a_message_holds_twenty_different_reactions(self) -> None:
        """The 21st different emoji is refused too_many_reactions, the connection stays, and nobody hears
        of it; an emoji already there is still added to, and history carries the twenty."""
        ann, bob = await self.town()
        first = await self.post(ann, "vote")
        await self.recv_type(bob, "user")
        emojis = [chr(0x1F600 + i) for i in range(MAX_EMOJIS)]
        for index, emoji in enumerate(emojis):
            reacting, hearing = (bob, ann) if index % 2 else (ann, bob)
            assert (await self.ask(reacting, {"type": "react", "id": first, "emoji": emoji, "on": True}))[
                "type"
            ] == "ack"
            await self.recv_type(hearing, "reaction")
        refused = await self.ask(bob, {"type": "react", "id": first, "emoji": "\u2605" * 64, "on": True})
        assert refused == {
            "type": "error", "code": "too_many_reactions", "ref": "r",
            "message": "a message holds at most 20 different reactions: add yours to one of them",
        }  # fmt: skip
        await self.nothing_more(ann)
        added = await self.ask(bob, {"type": "react", "id": first, "emoji": emojis[0], "on": True})
        assert (await self.recv_type(ann, "reaction"))["id"] == added["id"]
        assert (await self.ask(bob, {"type": "message", "message": "done"}))["type"] == "ack"
        assert (await self.recv_type(ann, "user"))["message"] == "done"
        _, history = await self.joined("carl")
        reactions = history["messages"][0]["reactions"]
        assert [r["emoji"] for r in reactions] == emojis and reactions[0]["nicks"] == ["ann", "bob"]

    @gen_test(timeout=30)
    async def test_a_reply_quotes_its_original(self) -> None:
        """A message with reply_to carries the original's id, nick and a short quote."""
        ann, bob = await self.town()
        first = await self.post(ann, "x" * 300)
        await self.post(bob, "agreed", reply_to=first)
        reply = await self.recv_type(ann, "user")
        while reply["message"] != "agreed":
            reply = await self.recv_type(ann, "user")
        quote = reply["reply_to"]
        assert (quote["id"], quote["nick"], len(quote["message"])) == (first, "ann", 100)
        assert quote["message"].endswith("\u2026")

    @gen_test(timeout=30)
    async def test_every_refusal_is_an_error_and_the_connection_stays(self) -> None:
        """Each bad change gets its error code with its ref; the sender carries on and bob hears nothing."""
        ann, bob = await self.town()
        bobs = await self.post(bob, "bob's")
        gone = await self.post(ann, "gone")
        await self.ask(ann, {"type": "delete", "id": gone})
        edit_id = (await self.ask(ann, {"type": "react", "id": bobs, "emoji": THUMBS, "on": True}))["id"]
        await self.recv_type(bob, "reaction")
        refusals = [
            ({"type": "edit", "id": bobs, "message": "mine now"}, "forbidden"),
            ({"type": "edit", "id": 999, "message": "x"}, "no_message"),
            ({"type": "edit", "id": gone, "message": "back"}, "no_message"),
            ({"type": "react", "id": gone, "emoji": THUMBS, "on": True}, "no_message"),
            ({"type": "react", "id": edit_id, "emoji": THUMBS, "on": True}, "no_message"),
            ({"type": "message", "message": "re", "reply_to": 999}, "no_message"),
            ({"type": "react", "id": bobs, "emoji": "a", "on": True}, "bad_request"),
            ({"type": "react", "id": bobs, "emoji": THUMBS}, "bad_request"),
            ({"type": "react", "id": bobs, "emoji": "\x07" + THUMBS, "on": True}, "bad_request"),
            ({"type": "edit", "id": "1", "message": "x"}, "bad_request"),
            ({"type": "delete"}, "bad_request"),
            ({"type": "edit", "id": bobs, "message": "   "}, "empty"),
        ]
        for frame, code in refusals:
            error = await self.ask(ann, frame)
            assert (error["type"], error["code"]) == ("error", code), (frame, error)
        assert (await self.ask(ann, {"type": "message", "message": "still here"}))["type"] == "ack"
        assert (await self.recv_type(bob, "user"))["message"] == "still here"
        await self.nothing_more(bob)

    @gen_test(timeout=30)
    async def test_an_archived_room_refuses_changes(self) -> None:
        """Edits, deletions and reactions in a read-only room are refused read_only."""
        ann, _ = await self.town()
        first = await self.post(ann, "before")
        await self.api("PATCH", "/api/rooms/town", "ann", {"archived": True})
        assert (await self.recv_type(ann, "room"))["change"] == "archived"
        for frame in (
            {"type": "edit", "id": first, "message": "after"},
            {"type": "delete", "id": first},
            {"type": "react", "id": first, "emoji": THUMBS, "on": True},
        ):
            error = await self.ask(ann, frame)
            assert (error["type"], error["code"]) == ("error", protocol.READ_ONLY)

    @gen_test(timeout=30)
    async def test_since_brings_the_changes_missed_once_in_order(self) -> None:
        """bob away while a message is edited, reacted to and deleted, then back: exactly those changes."""
        ann, bob = await self.town()
        kept = await self.post(ann, "keep")
        doomed = await self.post(ann, "doomed")
        await self.recv_type(bob, "user")
        last_seen = (await self.recv_type(bob, "user"))["id"]
        bob.close()
        edit = await self.ask(ann, {"type": "edit", "id": kept, "message": "kept"})
        react = await self.ask(ann, {"type": "react", "id": kept, "emoji": THUMBS, "on": True})
        new = await self.post(ann, "new one")
        gone = await self.ask(ann, {"type": "delete", "id": doomed})
        bob, history = await self.joined("bob", since=last_seen)
        assert [m["id"] for m in history["messages"]] == [new]
        assert [(c["type"], c["id"], c["target"]) for c in history["changes"]] == [
            ("edit", edit["id"], kept),
            ("reaction", react["id"], kept),
            ("delete", gone["id"], doomed),
        ]
        later = await self.ask(ann, {"type": "edit", "id": new, "message": "newer"})
        live = await self.recv_type(bob, "edit")
        assert live["id"] == later["id"] == gone["id"] + 1
        await self.nothing_more(bob)

    @gen_test(timeout=30)
    async def test_the_api_pages_around_a_message_in_its_current_state(self) -> None:
        """around=ID gives the message, older ones and newer ones, edited and deleted as they are now."""
        ann, _ = await self.town()
        ids = [await self.post(ann, f"m{i}") for i in range(10)]
        await self.ask(ann, {"type": "edit", "id": ids[4], "message": "m4 edited"})
        await self.ask(ann, {"type": "delete", "id": ids[5]})
        status, body, _ = await self.api("GET", f"/api/rooms/town/messages?around={ids[4]}&limit=4", "bob")
        assert status == 200
        assert [(m["id"], m["message"]) for m in body["messages"]] == [
            (ids[3], "m3"), (ids[4], "m4 edited"), (ids[5], ""), (ids[6], "m6"),
        ]  # fmt: skip
        assert body["messages"][1]["edited"] and body["messages"][2]["deleted"] is True
        status, body, _ = await self.api("GET", "/api/rooms/town/messages?around=3&after=1", "bob")
        assert (status, body["error"]) == (400, "bad_request")


class GuestChangesTest(RoomsCase):
    """Where guests are let in, a guest may reply but not edit, delete or react."""

    settings = replace(RoomsCase.settings, guests=True)

    @gen_test(timeout=30)
    async def test_a_guest_is_told_to_sign_in(self) -> None:
        """A guest's change is refused forbidden, saying to sign in; its reply is stored."""
        guest, _, _ = await self.join("wanderer")
        await self.send(guest, {"type": "message", "message": "hi", "ref": "m"})
        first = (await self.recv_type(guest, "ack"))["id"]
        await self.send(guest, {"type": "edit", "id": first, "message": "hey", "ref": "e"})
        error = await self.recv_type(guest, "error")
        assert (error["code"], error["ref"]) == ("forbidden", "e") and "sign in" in error["message"]
        await self.send(guest, {"type": "message", "message": "me again", "reply_to": first, "ref": "r"})
        reply = await self.recv_type(guest, "user")
        reply = reply if reply["message"] == "me again" else await self.recv_type(guest, "user")
        assert reply["reply_to"] == {"id": first, "nick": "wanderer", "message": "hi"}
