"""Rooms everyone is in (``everyone_in``): who turns it on, who becomes a member, and what they then count."""

from __future__ import annotations

import json
from typing import Any

from tornado.testing import gen_test

from chatroom.server import LOBBY, ensure_lobby
from chatroom.store.records import JOIN
from chatroom.tokens import new_token, token_hash
from tests.rooms_case import RoomsCase

ON = {"everyone_in": True}


class EveryoneInTest(RoomsCase):
    """root administers the server; ann owns the open room "news"; bob and carl are people; ci a bot."""

    async def news(self) -> dict[str, Any]:
        await self.person("root", admin=True)
        for name in ("bob", "carl"):
            await self.person(name)
        await self.bot("ci")
        return await self.create("ann", "news", "open")

    async def members(self, room: str = "news") -> list[str]:
        status, body, _ = await self.api("GET", f"/api/rooms/{room}/members", "root")
        assert status == 200, body
        return [member["name"] for member in body["members"]]

    async def listed(self, who: str, room: str = "news") -> dict[str, Any]:
        """``room``'s entry in ``who``'s rooms list (signing in with a JWT makes the account)."""
        status, body, _ = await self.api("GET", "/api/rooms", who)
        assert status == 200, body
        return next(entry for entry in body["rooms"] if entry["room"] == room)

    async def post(self, text: str, room: str = "news") -> None:
        ann = await self.backend.accounts.account_by_name("ann")
        assert ann is not None
        await self.backend.publish(room, "ann", text, account_id=ann.id)

    # --- who sets it -------------------------------------------------------------------------------

    @gen_test(timeout=30)
    async def test_an_administrator_turns_it_on_and_every_person_is_a_member(self) -> None:
        """root: 200 and the entry says so; every person is a member (the owner still owner), no bot."""
        entry = await self.news()
        assert entry["everyone_in"] is False
        status, entry, _ = await self.api("PATCH", "/api/rooms/news", "root", ON)
        assert (status, entry["everyone_in"]) == (200, True)
        assert await self.members() == ["ann", "bob", "carl", "root"]
        assert (await self.listed("bob"))["everyone_in"] is True
        _, body, _ = await self.api("GET", "/api/rooms/news/members", "ann")
        assert [(m["name"], m["role"]) for m in body["members"] if m["role"] == "owner"] == [("ann", "owner")]

    @gen_test(timeout=30)
    async def test_nobody_else_sets_it_and_not_on_a_closed_or_direct_room(self) -> None:
        """The owner and a reader: 403; an outsider of a closed room: 404; a closed room: 400; a direct
        room: as any change to one, 403; not true or false: 400. Nobody became a member."""
        await self.news()
        await self.create("ann", "staff", "closed", members=["bob"])
        await self.refused(403, "forbidden", self.api("PATCH", "/api/rooms/news", "ann", ON))
        await self.refused(403, "forbidden", self.api("PATCH", "/api/rooms/news", "bob", ON))
        await self.refused(404, "not_found", self.api("PATCH", "/api/rooms/staff", "carl", ON))
        await self.refused(400, "bad_request", self.api("PATCH", "/api/rooms/staff", "root", ON))
        await self.refused(400, "bad_request", self.api("PATCH", "/api/rooms/staff", "ann", ON))
        body = {"everyone_in": "yes", "title": "News"}
        await self.refused(400, "bad_request", self.api("PATCH", "/api/rooms/news", "root", body))
        status, direct, _ = await self.api("POST", "/api/direct", "ann", {"members": ["bob"]})
        assert status == 201
        await self.refused(403, "forbidden", self.api("PATCH", f"/api/rooms/{direct['room']}", "ann", ON))
        assert await self.members() == ["ann"]
        assert await self.members("staff") == ["ann", "bob"]
        assert (await self.listed("ann"))["title"] == "news"

    # --- who becomes a member ------------------------------------------------------------------------

    @gen_test(timeout=30)
    async def test_people_made_later_are_members_by_every_way_in(self) -> None:
        """A JWT's account made on first sight, an administrator's new account, the join link: members."""
        await self.news()
        await self.api("PATCH", "/api/rooms/news", "root", ON)
        assert (await self.listed("dave"))["read_id"] == 0  # a member who has read nothing yet
        status, body, _ = await self.api("POST", "/api/admin/accounts", "root", {"name": "erin"})
        assert status == 201, body
        token = new_token()
        await self.backend.accounts.create_link(JOIN, token_hash(token))
        joining = {
            "token": token,
            "name": "fay",
            "password": "a long password",
            "password_again": "a long password",
        }
        # A browser's request: the form's token in the header matches the page's cookie.
        xsrf = {"Content-Type": "application/json", "Cookie": "_xsrf=ab12", "X-XSRFToken": "ab12"}
        response = await self.raw_fetch("POST", "/api/join", xsrf, json.dumps(joining).encode())
        assert response.code == 201, response.body
        assert await self.members() == ["ann", "bob", "carl", "dave", "erin", "fay", "root"]

    @gen_test(timeout=30)
    async def test_who_leaves_stays_out_and_turning_it_off_changes_nobody(self) -> None:
        """bob leaves and is not back when he signs in again; off, members stay and newcomers stay out."""
        await self.news()
        await self.api("PATCH", "/api/rooms/news", "root", ON)
        status, _, _ = await self.api("DELETE", "/api/rooms/news/members/bob", "bob")
        assert status == 204
        assert (await self.listed("bob"))["read_id"] is None
        await self.person("dave")
        assert "bob" not in await self.members() and "dave" in await self.members()
        status, entry, _ = await self.api("PATCH", "/api/rooms/news", "root", {"everyone_in": False})
        assert (status, entry["everyone_in"]) == (200, False)
        await self.person("erin")
        assert await self.members() == ["ann", "carl", "dave", "root"]

    @gen_test(timeout=30)
    async def test_a_person_deactivated_when_it_is_turned_on_is_in_it_on_return(self) -> None:
        """bob, deactivated when "news" is turned on, is in it when reactivated, counting the post made
        since it was turned on and nothing from before."""
        await self.news()
        bob = await self.backend.accounts.account_by_name("bob")
        assert bob is not None
        status, _, _ = await self.api("POST", f"/api/admin/accounts/{bob.id}/deactivate", "root")
        assert status == 200
        await self.post("Welcome")
        await self.api("PATCH", "/api/rooms/news", "root", ON)
        await self.post("Exam on Friday")
        status, body, _ = await self.api("POST", f"/api/admin/accounts/{bob.id}/reactivate", "root")
        assert (status, body["account"]["active"]) == (200, True)
        assert "bob" in await self.members()
        entry = await self.listed("bob")
        assert (entry["unread"], entry["read_id"]) == (1, 1)

    # --- what they count ---------------------------------------------------------------------------------

    @gen_test(timeout=30)
    async def test_a_new_post_counts_unread_for_people_who_never_opened_the_room(self) -> None:
        """Before: bob, who never opened "news", counts nothing; once everyone is in, its new posts count
        (not the one from before he was in it); a newcomer counts from its arrival."""
        await self.news()
        await self.post("Welcome")
        assert (await self.listed("bob"))["unread"] == 0
        await self.api("PATCH", "/api/rooms/news", "root", ON)
        await self.post("Exam on Friday")
        entry = await self.listed("bob")
        assert (entry["unread"], entry["read_id"]) == (1, 1)
        # Someone who comes afterwards starts at the newest post, and counts the next.
        entry = await self.listed("newcomer")
        assert (entry["unread"], entry["read_id"]) == (0, 2)
        await self.post("Bring a calculator")
        assert (await self.listed("newcomer"))["unread"] == 1

    @gen_test(timeout=30)
    async def test_a_connected_person_s_page_hears_of_it_and_of_the_next_post(self) -> None:
        """bob, in another room, gets the room's new entry at once, then his count when ann posts."""
        await self.news()
        await self.create("ann", "chat", "open")
        client, welcome = await self.enter("bob", "chat")
        assert welcome["type"] == "welcome"
        await self.recv_type(client, "history")
        await self.api("PATCH", "/api/rooms/news", "root", ON)
        frame = await self.recv_type(client, "room")
        assert (frame["change"], frame["room"]["room"], frame["room"]["everyone_in"]) == (
            "everyone_in",
            "news",
            True,
        )
        await self.post("Exam on Friday")
        unread = await self.recv_type(client, "unread")
        assert (unread["room"], unread["unread"]) == ("news", 1)

    # --- the lobby -------------------------------------------------------------------------------------

    @gen_test(timeout=30)
    async def test_a_new_server_s_lobby_is_a_room_everyone_is_in_and_an_existing_one_is_left(self) -> None:
        """Made at start, the lobby has everyone in it; a lobby that exists is not changed."""
        await self.person("ann")
        await ensure_lobby(self.backend)
        assert (await self.backend.accounts.room_record(LOBBY)).everyone_in  # type: ignore[union-attr]
        await self.person("root", admin=True)
        assert await self.members(LOBBY) == ["ann", "root"]
        await self.backend.accounts.set_everyone_in(LOBBY, False)
        await ensure_lobby(self.backend)
        assert not (await self.backend.accounts.room_record(LOBBY)).everyone_in  # type: ignore[union-attr]
