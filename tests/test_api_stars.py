"""Starred rooms over the API: starring, the list with each room's entry and counts, every refusal with
its code, no byte of a room one may not see (never could, or no longer), and one's other pages told."""

from __future__ import annotations

from dataclasses import replace
from typing import Any
from urllib.parse import quote

import pytest
from tornado.testing import gen_test

from chatroom import api_stars
from tests.chat_case import OnPostgres
from tests.rooms_case import RoomsCase
from tests.test_outsiders import SECRET, TITLE, write_the_secret

NO_SUCH = {"error": "not_found", "message": "there is no such room, or you may not see it"}
NONE_STARRED = b'{"rooms":[]}'


class StarsTest(RoomsCase):
    """ann and bob are people; the rooms each test makes are theirs."""

    async def starred(self, who: str) -> list[dict[str, Any]]:
        """``who``'s starred rooms' entries."""
        status, body, _ = await self.api("GET", "/api/me/starred", who)
        assert status == 200, body
        assert isinstance(body, dict) and isinstance(body["rooms"], list)
        return body["rooms"]

    async def star(self, who: str, room: str) -> tuple[int, Any, bytes]:
        return await self.api("PUT", f"/api/me/starred/{quote(room)}", who)

    async def unstar(self, who: str, room: str) -> tuple[int, Any, bytes]:
        return await self.api("DELETE", f"/api/me/starred/{quote(room)}", who)

    @gen_test(timeout=30)
    async def test_a_room_is_starred_listed_and_unstarred(self) -> None:
        """PUT stars (again: the same time), GET lists the starred rooms by name as the rooms list gives
        them, the rooms list marks them, DELETE unstars (again: still 204)."""
        await self.person("ann")
        for room, kind in (("lobby", "open"), ("zeta", "open"), ("team", "closed")):
            await self.create("ann", room, kind)
        status, body, _ = await self.star("ann", "zeta")
        assert (status, body["room"], body["starred"]) == (200, "zeta", True)
        assert (await self.star("ann", "zeta"))[:2] == (200, body)
        assert (await self.star("ann", "team"))[0] == 200
        starred = await self.starred("ann")
        assert [(e["room"], e["kind"], e["starred"]) for e in starred] == [
            ("team", "closed", True),
            ("zeta", "open", True),
        ]
        _, listed, _ = await self.api("GET", "/api/rooms", "ann")
        assert {e["room"]: e["starred"] for e in listed["rooms"]} == {
            "lobby": False,
            "team": True,
            "zeta": True,
        }
        for _ in range(2):
            status, _, raw = await self.unstar("ann", "zeta")
            assert (status, raw) == (204, b"")
        assert [e["room"] for e in await self.starred("ann")] == ["team"]

    @gen_test(timeout=30)
    async def test_a_starred_room_beyond_the_rooms_page_is_listed_with_its_counts(self) -> None:
        """The starred list holds a room the first page of the rooms list does not reach, with its unread
        count and online count as that list would give them."""
        await self.person("ann")
        await self.person("bob")
        await self.create("ann", "alpha", "open")
        await self.create("ann", "zulu", "closed", members=["bob"])
        assert (await self.star("bob", "zulu"))[0] == 200
        ann = await self.inside("ann", "zulu")
        for number in range(2):
            await self.chat(ann, f"news {number}", f"n{number}")
            await self.recv_type(ann, "ack")
        _, page, _ = await self.api("GET", "/api/rooms?limit=1", "bob")
        assert [e["room"] for e in page["rooms"]] == ["alpha"]
        (zulu,) = await self.starred("bob")
        assert (zulu["room"], zulu["unread"], zulu["mentions"], zulu["online"]) == ("zulu", 2, 0, 1)
        _, page, _ = await self.api("GET", "/api/rooms?after=alpha", "bob")
        assert page["rooms"] == [zulu]

    @gen_test(timeout=30)
    async def test_every_refusal(self) -> None:
        """Nobody: 401; a bot: 403; a bad room name: 400 bad_name; no room: 404 not_found. Nothing is
        starred by any of them, and bob's list is untouched by ann's."""
        await self.person("ann")
        await self.person("bob")
        key = await self.bot("ci")
        await self.create("ann", "lobby", "open")
        await self.refused(401, "unauthorized", self.api("GET", "/api/me/starred"))
        await self.refused(401, "unauthorized", self.api("PUT", "/api/me/starred/lobby"))
        await self.refused(401, "unauthorized", self.api("DELETE", "/api/me/starred/lobby"))
        for method, path in (("GET", "/api/me/starred"), ("PUT", "/api/me/starred/lobby")):
            response = await self.raw_fetch(
                method, path, {"Authorization": key}, b"" if method == "PUT" else None
            )
            assert response.code == 403
            assert response.body == b'{"error":"forbidden","message":"only people star rooms"}'
        await self.refused(400, "bad_name", self.star("ann", "-bad"))
        await self.refused(400, "bad_name", self.unstar("ann", "-bad"))
        _, body, _ = await self.star("ann", "nowhere")
        assert body == NO_SUCH
        assert await self.starred("ann") == []
        assert (await self.star("bob", "lobby"))[0] == 200
        assert await self.starred("ann") == []

    @gen_test(timeout=30)
    async def test_past_the_most_a_new_star_is_refused(self) -> None:
        """With two starred of two, a third answers 409 too_many_starred; a starred one still answers 200;
        one unstarred makes room for it."""
        await self.person("ann")
        for room in ("one", "two", "three"):
            await self.create("ann", room, "open")
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(api_stars, "MAX_STARRED", 2)
            for room in ("one", "two"):
                assert (await self.star("ann", room))[0] == 200
            raw = await self.refused(409, "too_many_starred", self.star("ann", "three"))
            assert b"you keep 2 rooms starred, the most there is" in raw
            assert (await self.star("ann", "one"))[0] == 200
            assert (await self.unstar("ann", "two"))[0] == 204
            assert (await self.star("ann", "three"))[0] == 200
        assert [e["room"] for e in await self.starred("ann")] == ["one", "three"]

    @gen_test(timeout=30)
    async def test_an_outsider_stars_nothing_of_a_closed_room(self) -> None:
        """bob, no member of ann's closed room, gets the answer of a room that does not exist, and no
        byte of it in his list."""
        await self.person("ann")
        await self.person("bob")
        await self.create("ann", "hidden-plans", "closed", title=TITLE)
        ann, _ = await self.enter("ann", "hidden-plans")
        await write_the_secret(self, ann)
        _, nowhere, _ = await self.star("bob", "no-room-at-all")
        status, body, raw = await self.star("bob", "hidden-plans")
        assert (status, body) == (404, nowhere) and TITLE.encode() not in raw
        assert (await self.unstar("bob", "hidden-plans"))[0] == 204
        _, _, raw = await self.api("GET", "/api/me/starred", "bob")
        assert raw == NONE_STARRED

    async def starred_then_shut_out(self, shut_out: Any) -> None:
        """bob stars ann's closed room, he a member, with the secret written in it; then ``shut_out()``
        runs, and bob's list holds no byte of the room."""
        await self.person("ann")
        await self.person("bob")
        await self.create("ann", "hidden-plans", "closed", title=TITLE, members=["bob"])
        ann, _ = await self.enter("ann", "hidden-plans")
        await write_the_secret(self, ann)
        assert (await self.star("bob", "hidden-plans"))[0] == 200
        assert [e["title"] for e in await self.starred("bob")] == [TITLE]
        await shut_out()
        _, _, raw = await self.api("GET", "/api/me/starred", "bob")
        assert raw == NONE_STARRED
        status, body, raw = await self.star("bob", "hidden-plans")
        assert (status, body) == (404, NO_SUCH)
        for text in (SECRET, TITLE, "hidden-plans"):
            assert text.encode() not in raw

    @gen_test(timeout=30)
    async def test_a_removed_member_gets_no_byte_until_added_back(self) -> None:
        """Removed, bob's list leaves the room out, with no byte of it; added back, it shows again, still
        starred."""

        async def remove() -> None:
            assert (await self.api("DELETE", "/api/rooms/hidden-plans/members/bob", "ann"))[0] == 204

        await self.starred_then_shut_out(remove)
        assert (await self.api("POST", "/api/rooms/hidden-plans/members", "ann", {"name": "bob"}))[0] == 201
        assert [e["room"] for e in await self.starred("bob")] == ["hidden-plans"]

    @gen_test(timeout=30)
    async def test_one_who_left_gets_no_byte(self) -> None:
        """bob leaves the room himself: the same as removed."""

        async def leave() -> None:
            assert (await self.api("DELETE", "/api/rooms/hidden-plans/members/bob", "bob"))[0] == 204

        await self.starred_then_shut_out(leave)

    @gen_test(timeout=30)
    async def test_one_barred_from_an_open_room_gets_no_byte_of_it(self) -> None:
        """Barred from an open room he starred, bob's list leaves it out, and keeps his other star."""
        await self.person("ann")
        await self.person("bob")
        await self.create("ann", "town", "open", title=TITLE)
        await self.create("ann", "elsewhere", "open")
        for room in ("town", "elsewhere"):
            assert (await self.star("bob", room))[0] == 200
        assert (await self.api("POST", "/api/rooms/town/bars", "ann", {"name": "bob"}))[0] == 201
        _, body, raw = await self.api("GET", "/api/me/starred", "bob")
        assert [e["room"] for e in body["rooms"]] == ["elsewhere"]
        assert TITLE.encode() not in raw and b"town" not in raw

    @gen_test(timeout=30)
    async def test_starring_tells_ones_other_pages_and_nobody_else(self) -> None:
        """ann's two connections get a starred frame for a star and an unstar; bob's gets nothing, and an
        unstar of a room not starred tells nobody."""
        await self.person("ann")
        await self.person("bob")
        await self.create("ann", "lobby", "open")
        first, second = await self.inside("ann", "lobby"), await self.inside("ann", "lobby")
        bob = await self.inside("bob", "lobby")
        await self.star("ann", "lobby")
        for client in (first, second):
            assert await self.recv_type(client, "starred") == {
                "type": "starred",
                "room": "lobby",
                "starred": True,
            }
        await self.unstar("ann", "lobby")
        await self.unstar("ann", "lobby")
        for client in (first, second):
            assert await self.recv_type(client, "starred") == {
                "type": "starred",
                "room": "lobby",
                "starred": False,
            }
            await self.nothing_more(client, ignoring=("unread", "sys"))
        await self.nothing_more(bob, ignoring=("unread", "sys"))


class StarsOnPostgresTest(OnPostgres, StarsTest):
    """The same, the server storing in PostgreSQL."""


class GuestStarsTest(RoomsCase):
    """Where guests are let in, a guest still stars nothing."""

    settings = replace(RoomsCase.settings, guests=True)

    @gen_test(timeout=30)
    async def test_a_guest_is_asked_to_sign_in(self) -> None:
        """GET, PUT and DELETE answer a guest 401 unauthorized, saying guests star nothing."""
        for method, path in (("GET", ""), ("PUT", "/lobby"), ("DELETE", "/lobby")):
            raw = await self.refused(401, "unauthorized", self.api(method, f"/api/me/starred{path}"))
            assert b"sign in first: guests star nothing" in raw
