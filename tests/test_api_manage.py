"""Creating rooms, direct conversations, renaming and archiving, over real HTTP: every rule and refusal."""

from __future__ import annotations

import json
from dataclasses import replace

from tornado.testing import gen_test

from chatroom import protocol
from tests.chat_case import OnPostgres
from tests.rooms_case import RoomsCase, as_, token_for

# England's flag: a black flag, the tags "gbeng", the cancel tag.
ENGLAND = "\U0001f3f4" + "".join(chr(0xE0000 + ord(c)) for c in "gbeng") + "\U000e007f"


class CreateRoomTest(RoomsCase):
    """POST /api/rooms: people create open and closed rooms; the creator owns them."""

    @gen_test
    async def test_a_closed_room_is_created_with_its_owner_and_members(self) -> None:
        """201 with the entry; the creator is owner, named members are members, and it is listed to them."""
        await self.person("bob")
        entry = await self.create("ann", "plans", "closed", title="Launch plans", members=["bob"])
        assert entry == {
            "room": "plans",
            "online": 0,
            "last_id": 0,
            "kind": "closed",
            "title": "Launch plans",
            "archived": False,
            "posting": "everyone",
            "everyone_in": False,
            "topic": "",
            "room_mentions": "everyone",
        }
        status, body, _ = await self.api("GET", "/api/rooms/plans/members", "bob")
        assert status == 200
        assert [(m["name"], m["role"]) for m in body["members"]] == [("ann", "owner"), ("bob", "member")]
        for who in ("ann", "bob"):
            _, rooms, _ = await self.api("GET", "/api/rooms", who)
            assert "plans" in [room["room"] for room in rooms["rooms"]]

    @gen_test
    async def test_an_open_room_is_seen_and_joined_by_everyone(self) -> None:
        """An open room is listed to every account, and anyone joins its socket."""
        await self.create("ann", "town", "open")
        _, rooms, _ = await self.api("GET", "/api/rooms", "carl")
        assert [room["room"] for room in rooms["rooms"]] == ["town"]
        _, welcome = await self.enter("carl", "town")
        assert welcome["type"] == "welcome"

    @gen_test
    async def test_a_taken_name_or_a_look_alike_is_409(self) -> None:
        """The same name, or one that looks like it (Cyrillic а), is refused with room_taken."""
        await self.create("ann", "team")
        await self.refused(409, "room_taken", self.api("POST", "/api/rooms", "bob", {"room": "team"}))
        await self.refused(409, "room_taken", self.api("POST", "/api/rooms", "bob", {"room": "te\u0430m"}))

    @gen_test
    async def test_bad_bodies_are_400_with_their_code(self) -> None:
        """A bad name, kind, title, member list or JSON each gets its own error, and nothing is created."""
        cases = [
            (None, b"{", "bad_json"),
            ([1], None, "bad_request"),
            ({"room": "bad room"}, None, "bad_name"),
            ({"room": "\u200bzero"}, None, "bad_name"),
            ({"room": "dm-mine"}, None, "bad_name"),
            ({}, None, "bad_request"),
            ({"room": "r1", "kind": "direct"}, None, "bad_request"),
            ({"room": "r1", "title": 5}, None, "bad_request"),
            ({"room": "r1", "title": "two\nlines"}, None, "bad_request"),
            ({"room": "r1", "title": "\u202eevil"}, None, "bad_request"),
            ({"room": "r1", "title": "see" + ENGLAND[1:]}, None, "bad_request"),
            ({"room": "r1", "title": "x" * 101}, None, "too_long"),
            ({"room": "r1", "members": "bob"}, None, "bad_request"),
            ({"room": "r1", "members": ["nobody-here"]}, None, "unknown_account"),
        ]
        for body, raw, code in cases:
            await self.refused(400, code, self.api("POST", "/api/rooms", "ann", body, raw=raw))
        _, rooms, _ = await self.api("GET", "/api/rooms", "ann")
        assert rooms["rooms"] == []

    @gen_test
    async def test_guests_and_bots_do_not_create_rooms(self) -> None:
        """No credentials: 401; a bot's key: 403; nothing is created."""
        key = await self.bot("hook")
        await self.refused(401, "unauthorized", self.api("POST", "/api/rooms", None, {"room": "x"}))
        status, body, _ = await self.api_with("POST", "/api/rooms", key, {"room": "x"})
        assert (status, body["error"]) == (403, "forbidden")
        assert await self.backend.accounts.room_record("x") is None

    async def api_with(
        self, method: str, path: str, authorization: str, body: object
    ) -> tuple[int, dict, bytes]:
        import json

        response = await self.raw_fetch(
            method, path, {"Authorization": authorization}, json.dumps(body).encode()
        )
        return response.code, json.loads(response.body), response.body


class CreationLimitTest(RoomsCase):
    """Creating rooms is rate-limited per account."""

    settings = replace(RoomsCase.settings, new_rooms_per_minute=2)

    @gen_test
    async def test_too_many_rooms_at_once_are_429_for_that_account_only(self) -> None:
        """The third room in a minute is refused with rate_limited; another account goes on."""
        await self.create("ann", "r1")
        await self.create("ann", "r2")
        response = await self.raw_fetch("POST", "/api/rooms", as_("ann"), b'{"room": "r3"}')
        assert (response.code, json.loads(response.body)["error"]) == (429, "rate_limited")
        assert int(response.headers["Retry-After"]) >= 1
        assert await self.backend.accounts.room_record("r3") is None
        await self.create("bob", "r4")


class DirectTest(RoomsCase):
    """POST /api/direct: one conversation per set of people."""

    @gen_test
    async def test_the_same_people_get_the_same_room(self) -> None:
        """201 the first time, then 200 with the same room, whoever asks; another set, another room."""
        await self.person("bob")
        await self.person("cat")
        status, first, _ = await self.api("POST", "/api/direct", "ann", {"members": ["bob"]})
        assert status == 201 and first["kind"] == "direct" and first["room"].startswith("dm-")
        assert sorted(first["members"]) == ["ann", "bob"]
        status, again, _ = await self.api("POST", "/api/direct", "bob", {"members": ["ANN", "bob"]})
        assert (status, again["room"]) == (200, first["room"])
        _, trio, _ = await self.api("POST", "/api/direct", "ann", {"members": ["bob", "cat"]})
        assert trio["room"] != first["room"] and sorted(trio["members"]) == ["ann", "bob", "cat"]
        _, rooms, _ = await self.api("GET", "/api/rooms", "cat")
        assert [room["room"] for room in rooms["rooms"]] == [trio["room"]]

    @gen_test
    async def test_who_left_stays_out_until_they_open_the_conversation_again(self) -> None:
        """bob leaves a direct room: ann writing to him again (200, the same room) does not bring him
        back, her messages never reach him, and he is told nothing; bob opening it again does."""
        await self.person("bob")
        _, dm, _ = await self.api("POST", "/api/direct", "ann", {"members": ["bob"]})
        status, _, _ = await self.api("DELETE", f"/api/rooms/{dm['room']}/members/bob", "bob")
        assert status == 204
        status, again, _ = await self.api("POST", "/api/direct", "ann", {"members": ["bob"]})
        assert (status, again["room"], again["members"]) == (200, dm["room"], ["ann"])
        ann, welcome = await self.enter("ann", dm["room"])
        assert welcome["type"] == "welcome"
        await self.send(ann, {"type": "message", "message": "you cannot hide", "ref": "m"})
        await self.recv_type(ann, "ack")
        _, rooms, _ = await self.api("GET", "/api/rooms", "bob")
        assert rooms["rooms"] == []
        await self.refused(404, "not_found", self.api("GET", f"/api/rooms/{dm['room']}/messages", "bob"))
        status, back, _ = await self.api("POST", "/api/direct", "bob", {"members": ["ann"]})
        assert (status, back["room"], sorted(back["members"])) == (200, dm["room"], ["ann", "bob"])
        status, history, _ = await self.api("GET", f"/api/rooms/{dm['room']}/messages", "bob")
        assert [message["message"] for message in history["messages"]] == ["you cannot hide"]

    @gen_test
    async def test_refusals(self) -> None:
        """Nobody else, unknown people, a bot among people, guests and bots asking: each refused with its
        code."""
        await self.person("bob")
        await self.bot("hook")
        key = await self.bot("hook2")
        for body, code in [
            ({"members": []}, "bad_request"),
            ({"members": ["ann"]}, "bad_request"),
            ({"members": ["ghost"]}, "unknown_account"),
            ({"members": ["hook", "bob"]}, "bad_request"),
            ({"members": [f"p{i}" for i in range(21)]}, "bad_request"),
            ({}, "bad_request"),
        ]:
            await self.refused(400, code, self.api("POST", "/api/direct", "ann", body))
        await self.refused(401, "unauthorized", self.api("POST", "/api/direct", None, {"members": ["ann"]}))
        response = await self.raw_fetch("POST", "/api/direct", {"Authorization": key}, b'{"members":["ann"]}')
        assert response.code == 403 and b'"forbidden"' in response.body


class PatchRoomTest(RoomsCase):
    """PATCH /api/rooms/{room}: the owner or an administrator renames and archives."""

    @gen_test
    async def test_the_owner_renames_archives_and_brings_back(self) -> None:
        """The title changes, archiving makes posting read_only, unarchiving lets it be written again."""
        await self.create("ann", "plans", "closed")
        status, entry, _ = await self.api("PATCH", "/api/rooms/plans", "ann", {"title": "Q3 plans"})
        assert (status, entry["title"]) == (200, "Q3 plans")
        status, entry, _ = await self.api("PATCH", "/api/rooms/plans", "ann", {"archived": True})
        assert (status, entry["archived"]) == (200, True)
        client, welcome = await self.enter("ann", "plans")
        assert welcome["type"] == "welcome"
        await self.recv_type(client, "sys")
        await self.send(client, {"type": "message", "message": "still here?", "ref": "r"})
        error = await self.recv_type(client, "error")
        assert error["code"] == protocol.READ_ONLY
        _, entry, _ = await self.api("PATCH", "/api/rooms/plans", "ann", {"archived": False, "title": ""})
        assert (entry["archived"], entry["title"]) == (False, "plans")

    @gen_test
    async def test_a_title_keeps_its_emoji_as_a_topic_does(self) -> None:
        """A subdivision flag and a joined emoji stay in a title; a bidi override is refused."""
        await self.create("ann", "plans", "closed")
        for title in (f"{ENGLAND} squad", "👩\u200d💻 team"):
            status, entry, _ = await self.api("PATCH", "/api/rooms/plans", "ann", {"title": title})
            assert (status, entry["title"]) == (200, title)
        bidi = {"title": "a\u202eb"}
        await self.refused(400, "bad_request", self.api("PATCH", "/api/rooms/plans", "ann", bidi))

    @gen_test
    async def test_an_administrator_manages_a_closed_room_without_reading_it(self) -> None:
        """The answer to an administrator who is not a member carries no last id."""
        await self.person("root", admin=True)
        await self.create("ann", "plans", "closed")
        status, entry, _ = await self.api("PATCH", "/api/rooms/plans", "root", {"title": "Renamed"})
        assert status == 200 and entry["title"] == "Renamed" and "last_id" not in entry

    @gen_test
    async def test_refusals(self) -> None:
        """A non-owner member: 403; an outsider or no room: 404; a direct room: 403; bad bodies: 400."""
        await self.person("bob")
        await self.create("ann", "plans", "closed", members=["bob"])
        await self.create("ann", "town", "open")
        await self.refused(403, "forbidden", self.api("PATCH", "/api/rooms/plans", "bob", {"title": "x"}))
        await self.refused(403, "forbidden", self.api("PATCH", "/api/rooms/town", "carl", {"title": "x"}))
        await self.refused(404, "not_found", self.api("PATCH", "/api/rooms/plans", "carl", {"title": "x"}))
        await self.refused(404, "not_found", self.api("PATCH", "/api/rooms/nowhere", "ann", {"title": "x"}))
        await self.refused(401, "unauthorized", self.api("PATCH", "/api/rooms/plans", None, {"title": "x"}))
        await self.refused(
            400, "bad_request", self.api("PATCH", "/api/rooms/plans", "ann", {"archived": "yes"})
        )
        await self.refused(400, "bad_json", self.api("PATCH", "/api/rooms/plans", "ann", raw=b"nope"))
        _, dm, _ = await self.api("POST", "/api/direct", "ann", {"members": ["bob"]})
        await self.refused(
            403, "forbidden", self.api("PATCH", f"/api/rooms/{dm['room']}", "ann", {"title": "x"})
        )
        record = await self.backend.accounts.room_record("plans")
        assert record is not None and record.title is None


class GuestsRoomTest(RoomsCase):
    """With --guests, a room guests are in (no record yet) cannot be taken over as a closed room."""

    settings = replace(RoomsCase.settings, guests=True)

    @gen_test
    async def test_a_guests_room_in_use_is_taken(self) -> None:
        """Guests chatting in 'corner': creating 'corner' is 409 room_taken, and the guests carry on."""
        guest, _, _ = await self.join("gus", room="corner")
        await self.refused(409, "room_taken", self.api("POST", "/api/rooms", "ann", {"room": "corner"}))
        await self.chat(guest, "hello")
        assert (await self.recv_type(guest, "user"))["message"] == "hello"
        assert token_for("ann")

    @gen_test
    async def test_a_guest_opens_no_direct_message_and_never_sees_a_closed_room(self) -> None:
        """Guests let in: a guest's /api/direct is 401, its rooms list and socket know no closed room."""
        await self.person("bob")
        await self.create("ann", "staff", "closed", members=["bob"])
        await self.create("ann", "square", "open")
        await self.refused(
            401, "unauthorized", self.api("POST", "/api/direct", None, {"members": ["ann", "bob"]})
        )
        status, listed, raw = await self.api("GET", "/api/rooms")
        assert status == 200 and "square" in [room["room"] for room in listed["rooms"]]
        assert b"staff" not in raw
        await self.refused(404, "not_found", self.api("GET", "/api/rooms/staff/messages"))
        guest = await self.connect(room="staff", nick="gus")
        assert (await self.recv(guest))["code"] == protocol.NOT_FOUND
        assert await self.closed(guest) == protocol.CLOSE_NOT_FOUND


class CreateRoomOnPostgresTest(OnPostgres, CreateRoomTest):
    """The same room creation, with the rooms and memberships in PostgreSQL."""


class DirectOnPostgresTest(OnPostgres, DirectTest):
    """The same direct conversations, in PostgreSQL."""


class PatchRoomOnPostgresTest(OnPostgres, PatchRoomTest):
    """The same renaming and archiving, in PostgreSQL."""
