"""Saved messages over the API: saving, the list as messages stand now, paging, every refusal with its
code, no byte of a room one may not read (never could, or no longer), and one's other pages told."""

from __future__ import annotations

from dataclasses import replace
from typing import Any
from urllib.parse import quote

import pytest
from tornado.testing import gen_test

from chatroom import api_saved
from tests.chat_case import Client, OnPostgres
from tests.rooms_case import RoomsCase
from tests.test_outsiders import EDITED, EMOJI, SECRET, TITLE, write_the_secret

NO_SUCH = {"error": "not_found", "message": "there is no such message, or you may not see it"}


class SavedTest(RoomsCase):
    """ann and bob are people; the rooms each test makes are theirs."""

    async def written(self, client: Client, *texts: str) -> list[int]:
        """Write each text; their ids."""
        ids = []
        for number, text in enumerate(texts):
            await self.chat(client, text, f"w{number}")
            ids.append((await self.recv_type(client, "ack"))["id"])
        return ids

    async def saved(self, who: str, query: str = "") -> dict[str, Any]:
        status, body, _ = await self.api("GET", f"/api/me/saved{query}", who)
        assert status == 200, body
        assert isinstance(body, dict)
        return body

    async def save(self, who: str, room: str, message_id: int | str) -> tuple[int, Any, bytes]:
        return await self.api("PUT", f"/api/me/saved/{quote(room)}/{message_id}", who)

    @gen_test(timeout=30)
    async def test_a_message_is_saved_listed_and_removed(self) -> None:
        """PUT saves (again: the same time), GET lists it with its user frame and the room's ids,
        DELETE forgets it (again: still 204)."""
        await self.person("ann")
        await self.create("ann", "lobby", "open")
        ann = await self.inside("ann", "lobby")
        first, second = await self.written(ann, "remember this", "and this")
        status, body, _ = await self.save("ann", "lobby", first)
        assert status == 200 and body["room"] == "lobby" and body["id"] == first
        again = await self.save("ann", "lobby", first)
        assert again[:2] == (200, body)
        await self.save("ann", "lobby", second)
        listed = await self.saved("ann")
        assert [(e["room"], e["id"], e["message"]["message"]) for e in listed["saved"]] == [
            ("lobby", second, "and this"),
            ("lobby", first, "remember this"),
        ]
        assert listed["next"] is None and listed["saved"][1]["saved_at"] == body["saved_at"]
        assert listed["saved"][0]["message"]["nick"] == "ann"
        status, ids, _ = await self.api("GET", "/api/me/saved/lobby", "ann")
        assert (status, ids) == (200, {"room": "lobby", "ids": [first, second]})
        for _ in range(2):
            status, _, raw = await self.api("DELETE", f"/api/me/saved/lobby/{second}", "ann")
            assert (status, raw) == (204, b"")
        assert [e["id"] for e in (await self.saved("ann"))["saved"]] == [first]

    @gen_test(timeout=30)
    async def test_the_list_shows_each_message_as_it_stands_now(self) -> None:
        """An edit shows its text, a reaction its emoji, a deletion leaves the entry, deleted, textless."""
        await self.person("ann")
        await self.create("ann", "lobby", "open")
        ann = await self.inside("ann", "lobby")
        kept, gone = await self.written(ann, "first words", "words to delete")
        await self.save("ann", "lobby", kept)
        await self.save("ann", "lobby", gone)
        await self.send(ann, {"type": "edit", "id": kept, "message": "better words", "ref": "e"})
        await self.send(ann, {"type": "react", "id": kept, "emoji": "👍", "on": True, "ref": "r"})
        await self.send(ann, {"type": "delete", "id": gone, "ref": "d"})
        for _ in range(3):
            await self.recv_type(ann, "ack")
        entries = {e["id"]: e["message"] for e in (await self.saved("ann"))["saved"]}
        assert entries[kept]["message"] == "better words" and "edited" in entries[kept]
        assert entries[kept]["reactions"] == [{"emoji": "👍", "nicks": ["ann"]}]
        assert entries[gone]["deleted"] is True and entries[gone]["message"] == ""
        # A deleted message is saved no more: as one that does not exist.
        status, body, _ = await self.save("ann", "lobby", gone)
        assert (status, body) == (404, NO_SUCH)

    @gen_test(timeout=30)
    async def test_the_list_pages_newest_saved_first(self) -> None:
        """With limit 2, the first page holds the two saved last and names the next, which holds the rest."""
        await self.person("ann")
        await self.create("ann", "lobby", "open")
        ann = await self.inside("ann", "lobby")
        ids = await self.written(ann, "one", "two", "three")
        for message_id in ids:
            await self.save("ann", "lobby", message_id)
        first = await self.saved("ann", "?limit=2")
        assert [e["id"] for e in first["saved"]] == [ids[2], ids[1]]
        assert first["next"] == f"/api/me/saved?before={first['saved'][1]['saved_at']}&limit=2"
        rest = await self.saved("ann", first["next"].removeprefix("/api/me/saved"))
        assert [e["id"] for e in rest["saved"]] == [ids[0]] and rest["next"] is None

    @gen_test(timeout=30)
    async def test_every_refusal(self) -> None:
        """Nobody: 401; a bot: 403; a bad id or limit: 400 bad_request; a bad room name: 400 bad_name; no
        room, no message, a deleted message: 404 not_found, one answer; past the most: 409 too_many_saved.
        Nothing is saved by any of them, and bob's list is untouched by ann's."""
        await self.person("ann")
        await self.person("bob")
        key = await self.bot("ci")
        await self.create("ann", "lobby", "open")
        ann = await self.inside("ann", "lobby")
        (only,) = await self.written(ann, "hello")
        await self.refused(401, "unauthorized", self.api("GET", "/api/me/saved"))
        await self.refused(401, "unauthorized", self.api("PUT", f"/api/me/saved/lobby/{only}"))
        await self.refused(401, "unauthorized", self.api("DELETE", f"/api/me/saved/lobby/{only}"))
        for method in ("GET", "PUT"):
            path = f"/api/me/saved/lobby/{only}" if method == "PUT" else "/api/me/saved"
            response = await self.raw_fetch(
                method, path, {"Authorization": key}, b"" if method == "PUT" else None
            )
            assert (response.code, b'"forbidden"' in response.body) == (403, True)
        for bad in ("abc", "0", "-1", "1.5", "9" * 19):
            await self.refused(400, "bad_request", self.save("ann", "lobby", bad))
        await self.refused(400, "bad_request", self.api("GET", "/api/me/saved?limit=0", "ann"))
        await self.refused(400, "bad_request", self.api("GET", "/api/me/saved?before=x", "ann"))
        await self.refused(400, "bad_name", self.save("ann", "-bad", only))
        answers = [
            await self.refused(404, "not_found", self.save("ann", "nowhere", only)),
            await self.refused(404, "not_found", self.save("ann", "lobby", only + 50)),
            await self.refused(404, "not_found", self.api("GET", "/api/me/saved/nowhere", "ann")),
        ]
        assert len(set(answers)) == 1
        assert (await self.saved("ann"))["saved"] == []
        await self.save("bob", "lobby", only)
        assert (await self.saved("ann"))["saved"] == []

    @gen_test(timeout=30)
    async def test_past_the_most_a_new_save_is_refused(self) -> None:
        """With two saved of two, a third answers 409 too_many_saved; a saved one still answers 200."""
        await self.person("ann")
        await self.create("ann", "lobby", "open")
        ann = await self.inside("ann", "lobby")
        ids = await self.written(ann, "a", "b", "c")
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(api_saved, "MAX_SAVED", 2)
            for message_id in ids[:2]:
                assert (await self.save("ann", "lobby", message_id))[0] == 200
            await self.refused(409, "too_many_saved", self.save("ann", "lobby", ids[2]))
            assert (await self.save("ann", "lobby", ids[0]))[0] == 200
        assert len((await self.saved("ann"))["saved"]) == 2

    @gen_test(timeout=30)
    async def test_an_outsider_saves_nothing_of_a_closed_room(self) -> None:
        """bob, no member of ann's closed room, gets the answer of a room that does not exist, and no
        byte of it in his list or its ids."""
        await self.person("ann")
        await self.person("bob")
        await self.create("ann", "hidden-plans", "closed", title=TITLE)
        ann, _ = await self.enter("ann", "hidden-plans")
        await write_the_secret(self, ann)
        _, nowhere, _ = await self.save("bob", "no-room-at-all", 1)
        for message_id in (1, 2, 99):
            status, body, raw = await self.save("bob", "hidden-plans", message_id)
            assert (status, body) == (404, nowhere) and SECRET.encode() not in raw
        status, body, raw = await self.api("GET", "/api/me/saved/hidden-plans", "bob")
        assert (status, body) == (404, nowhere)
        _, _, raw = await self.api("GET", "/api/me/saved", "bob")
        assert raw == b'{"saved":[],"next":null}'

    async def saved_then_shut_out(self, shut_out: Any) -> tuple[int, Client]:
        """bob saves the secret message of ann's closed room, he a member, then ``shut_out()`` runs;
        the secret's id and ann's connection."""
        await self.person("ann")
        await self.person("bob")
        await self.create("ann", "hidden-plans", "closed", title=TITLE, members=["bob"])
        ann = await self.inside("ann", "hidden-plans")
        (secret,) = await self.written(ann, SECRET)
        await self.send(ann, {"type": "edit", "id": secret, "message": f"{SECRET} {EDITED}", "ref": "e"})
        await self.send(ann, {"type": "react", "id": secret, "emoji": EMOJI, "on": True, "ref": "x"})
        assert (await self.save("bob", "hidden-plans", secret))[0] == 200
        assert SECRET in (await self.saved("bob"))["saved"][0]["message"]["message"]
        await shut_out()
        return secret, ann

    async def no_byte_for_bob(self, secret: int) -> None:
        _, _, raw = await self.api("GET", "/api/me/saved", "bob")
        assert raw == b'{"saved":[],"next":null}'
        for path in ("/api/me/saved/hidden-plans", "/api/me/saved?limit=1"):
            _, _, raw = await self.api("GET", path, "bob")
            for secret_text in (SECRET, EDITED, EMOJI, TITLE):
                assert secret_text.encode() not in raw
        status, body, _ = await self.save("bob", "hidden-plans", secret)
        assert (status, body) == (404, NO_SUCH)

    @gen_test(timeout=30)
    async def test_a_removed_member_gets_no_byte_until_added_back(self) -> None:
        """Removed, bob's list leaves the message out, with no byte of it; added back, it shows again."""

        async def remove() -> None:
            assert (await self.api("DELETE", "/api/rooms/hidden-plans/members/bob", "ann"))[0] == 204

        secret = (await self.saved_then_shut_out(remove))[0]
        await self.no_byte_for_bob(secret)
        assert (await self.api("POST", "/api/rooms/hidden-plans/members", "ann", {"name": "bob"}))[0] == 201
        assert [e["id"] for e in (await self.saved("bob"))["saved"]] == [secret]

    @gen_test(timeout=30)
    async def test_one_who_left_gets_no_byte(self) -> None:
        """bob leaves the room himself: the same as removed."""

        async def leave() -> None:
            assert (await self.api("DELETE", "/api/rooms/hidden-plans/members/bob", "bob"))[0] == 204

        await self.no_byte_for_bob((await self.saved_then_shut_out(leave))[0])

    @gen_test(timeout=30)
    async def test_one_who_left_a_direct_room_gets_no_byte_until_back(self) -> None:
        """bob saves ann's secret in their direct room, then leaves it: no byte of it in his list; opening
        the conversation again brings him back, and the message with him."""
        await self.person("ann")
        await self.person("bob")
        _, dm, _ = await self.api("POST", "/api/direct", "ann", {"members": ["bob"]})
        room = dm["room"]
        ann = await self.inside("ann", room)
        (secret,) = await self.written(ann, SECRET)
        assert (await self.save("bob", room, secret))[0] == 200
        assert (await self.api("DELETE", f"/api/rooms/{room}/members/bob", "bob"))[0] == 204
        _, _, raw = await self.api("GET", "/api/me/saved", "bob")
        assert raw == b'{"saved":[],"next":null}'
        status, body, raw = await self.api("GET", f"/api/me/saved/{room}", "bob")
        assert (status, body) == (404, NO_SUCH) and SECRET.encode() not in raw
        assert (await self.api("POST", "/api/direct", "bob", {"members": ["ann"]}))[0] == 200
        assert [e["id"] for e in (await self.saved("bob"))["saved"]] == [secret]

    @gen_test(timeout=30)
    async def test_one_barred_gets_no_byte_and_a_page_past_his_hidden_ones_is_full(self) -> None:
        """Barred from an open room, bob's saved messages of it are left out, and a page of one still
        holds his saved message of another room, saved before them."""
        await self.person("ann")
        await self.person("bob")
        await self.create("ann", "town", "open")
        await self.create("ann", "elsewhere", "open")
        elsewhere = await self.inside("ann", "elsewhere")
        (kept,) = await self.written(elsewhere, "still mine")
        await self.save("bob", "elsewhere", kept)
        town = await self.inside("ann", "town")
        ids = await self.written(town, SECRET, f"{SECRET} again")
        for message_id in ids:
            await self.save("bob", "town", message_id)
        assert (await self.api("POST", "/api/rooms/town/bars", "ann", {"name": "bob"}))[0] == 201
        _, page, raw = await self.api("GET", "/api/me/saved?limit=1", "bob")
        assert [e["id"] for e in page["saved"]] == [kept] and page["next"] is None
        assert SECRET.encode() not in raw and b"town" not in raw
        await self.refused(404, "not_found", self.api("GET", "/api/me/saved/town", "bob"))

    @gen_test(timeout=30)
    async def test_saving_tells_ones_other_pages_and_nobody_else(self) -> None:
        """ann's two connections get a saved frame for a save and an unsave; bob's gets nothing."""
        await self.person("ann")
        await self.person("bob")
        await self.create("ann", "lobby", "open")
        first, second = await self.inside("ann", "lobby"), await self.inside("ann", "lobby")
        bob = await self.inside("bob", "lobby")
        (message_id,) = await self.written(first, "keep")
        await self.recv_type(second, "user")
        await self.recv_type(bob, "user")
        _, body, _ = await self.save("ann", "lobby", message_id)
        told = {
            "type": "saved",
            "room": "lobby",
            "id": message_id,
            "saved": True,
            "saved_at": body["saved_at"],
        }
        for client in (first, second):
            assert await self.recv_type(client, "saved") == told
        await self.api("DELETE", f"/api/me/saved/lobby/{message_id}", "ann")
        for client in (first, second):
            assert await self.recv_type(client, "saved") == {
                "type": "saved",
                "room": "lobby",
                "id": message_id,
                "saved": False,
            }
        await self.nothing_more(bob, ignoring=("unread", "sys"))


class SavedOnPostgresTest(OnPostgres, SavedTest):
    """The same, the server storing in PostgreSQL."""


class GuestSavedTest(RoomsCase):
    """Where guests are let in, a guest still saves nothing."""

    settings = replace(RoomsCase.settings, guests=True)

    @gen_test(timeout=30)
    async def test_a_guest_is_asked_to_sign_in(self) -> None:
        """GET, PUT and DELETE answer a guest 401 unauthorized."""
        await self.refused(401, "unauthorized", self.api("GET", "/api/me/saved"))
        await self.refused(401, "unauthorized", self.api("PUT", "/api/me/saved/lobby/1"))
        await self.refused(401, "unauthorized", self.api("DELETE", "/api/me/saved/lobby/1"))
        await self.refused(401, "unauthorized", self.api("GET", "/api/me/saved/lobby"))
