"""A room's bars over HTTP: who bars whom, the barred member put out on the spot, the bar lifted, each
refusal."""

from __future__ import annotations

from tornado.testing import gen_test

from chatroom import protocol
from chatroom.events import ROOM_CREATED
from tests.chat_case import Client, OnPostgres
from tests.rooms_case import RoomsCase


class BarsTest(RoomsCase):
    """GET/POST /api/rooms/{room}/bars and DELETE /api/rooms/{room}/bars/{name}."""

    async def in_room(self, who: str, room: str) -> Client:
        """``who`` connected to the room, its own join seen."""
        client, welcome = await self.enter(who, room)
        assert welcome["type"] == "welcome", welcome
        while (frame := await self.recv(client))["type"] != "sys" or frame["nick"] != who:
            pass
        return client

    async def barred(self, room: str, who: str) -> list[str]:
        status, body, _ = await self.api("GET", f"/api/rooms/{room}/bars", who)
        assert status == 200, body
        return [bar["name"] for bar in body["bars"]]

    async def listed(self, who: str) -> list[str]:
        _, body, _ = await self.api("GET", "/api/rooms", who)
        return [room["room"] for room in body["rooms"]]

    @gen_test
    async def test_the_owner_bars_from_an_open_room_and_the_connected_member_is_put_out(self) -> None:
        """bob, in the room, is told he was barred and closed 4403; his other tab loses the room; the
        others see its members change, not who was barred; bob cannot come back."""
        await self.create("ann", "square", kind="open")
        await self.create("ann", "hall", kind="open")
        bob = await self.in_room("bob", "square")
        bob_hall = await self.in_room("bob", "hall")
        carl = await self.in_room("carl", "square")
        with self.assertLogs("chatroom.moderation", "INFO") as logged:
            status, body, _ = await self.api("POST", "/api/rooms/square/bars", "ann", {"name": "bob"})
        assert status == 201 and [(b["name"], b["by"]) for b in body["bars"]] == [("bob", "ann")]
        assert [record.getMessage() for record in logged.records] == ["'ann' barred 'bob' from 'square'"]
        error = await self.recv_type(bob, "error")
        assert (error["code"], error["message"]) == (protocol.FORBIDDEN, "you were barred from 'square'")
        assert await self.closed(bob) == protocol.CLOSE_FORBIDDEN
        assert (await self.recv_type(bob_hall, "room_gone"))["room"] == "square"
        while (frame := await self.recv_type(carl, "room"))["change"] == ROOM_CREATED:
            pass
        assert frame["change"] == "members" and "bob" not in str(frame)
        client, error = await self.enter("bob", "square", since=0)
        assert error["code"] == protocol.NOT_FOUND
        assert await self.closed(client) == protocol.CLOSE_NOT_FOUND
        assert await self.listed("bob") == ["hall"]
        assert await self.listed("carl") == ["hall", "square"]
        status, again, _ = await self.api("POST", "/api/rooms/square/bars", "ann", {"name": "bob"})
        assert (status, again["bars"]) == (200, body["bars"])

    @gen_test
    async def test_lifting_a_bar_lets_them_back_in(self) -> None:
        """Lifted, the room is in bob's list and his socket is welcomed again; a second lift is 404."""
        await self.create("ann", "square", kind="open")
        await self.person("bob")
        assert (await self.api("POST", "/api/rooms/square/bars", "ann", {"name": "bob"}))[0] == 201
        assert await self.listed("bob") == []
        with self.assertLogs("chatroom.moderation", "INFO") as logged:
            status, _, _ = await self.api("DELETE", "/api/rooms/square/bars/bob", "ann")
        assert status == 204
        assert [r.getMessage() for r in logged.records] == ["'ann' lifted the bar on 'bob' from 'square'"]
        assert await self.barred("square", "ann") == []
        assert await self.listed("bob") == ["square"]
        await self.in_room("bob", "square")
        await self.refused(404, "not_found", self.api("DELETE", "/api/rooms/square/bars/bob", "ann"))

    @gen_test
    async def test_an_administrator_bars_from_a_closed_room_and_nobody_adds_them_back(self) -> None:
        """root, no member, bars bob: bob is out of the members; adding him is refused until the bar is
        lifted."""
        await self.person("root", admin=True)
        await self.person("bob")
        await self.create("ann", "plans", members=["bob"])
        assert (await self.api("POST", "/api/rooms/plans/bars", "root", {"name": "bob"}))[0] == 201
        _, body, _ = await self.api("GET", "/api/rooms/plans/members", "ann")
        assert [m["name"] for m in body["members"]] == ["ann"]
        assert await self.barred("plans", "ann") == ["bob"]
        for who in ("ann", "root"):
            adding = self.api("POST", "/api/rooms/plans/members", who, {"name": "bob"})
            await self.refused(409, "barred", adding)
        await self.refused(404, "not_found", self.api("GET", "/api/rooms/plans/messages", "bob"))
        assert (await self.api("DELETE", "/api/rooms/plans/bars/bob", "ann"))[0] == 204
        assert (await self.api("POST", "/api/rooms/plans/members", "ann", {"name": "bob"}))[0] == 201

    @gen_test
    async def test_a_room_everyone_is_in_is_no_longer_theirs(self) -> None:
        """Barred from a room everyone is in, bob is out of it and stays out when it is made so again."""
        await self.person("root", admin=True)
        await self.person("bob")
        await self.create("root", "hall", kind="open")
        assert (await self.api("PATCH", "/api/rooms/hall", "root", {"everyone_in": True}))[0] == 200
        assert (await self.api("POST", "/api/rooms/hall/bars", "root", {"name": "bob"}))[0] == 201
        assert (await self.api("PATCH", "/api/rooms/hall", "root", {"everyone_in": False}))[0] == 200
        assert (await self.api("PATCH", "/api/rooms/hall", "root", {"everyone_in": True}))[0] == 200
        _, body, _ = await self.api("GET", "/api/rooms/hall/members", "root")
        assert "bob" not in [m["name"] for m in body["members"]]
        assert await self.listed("bob") == []

    @gen_test
    async def test_refusals(self) -> None:
        """Each refusal with its code; nobody is barred after them all."""
        await self.person("root", admin=True)
        await self.person("bob")
        await self.person("cat")
        ci = await self.bot("ci")
        await self.create("ann", "square", kind="open")
        await self.create("ann", "plans", members=["bob"])
        _, dm, _ = await self.api("POST", "/api/direct", "ann", {"members": ["bob"]})
        bars = "/api/rooms/square/bars"
        await self.refused(403, "forbidden", self.api("POST", bars, "bob", {"name": "cat"}))
        await self.refused(403, "forbidden", self.api("GET", bars, "bob"))
        await self.refused(403, "forbidden", self.api("DELETE", bars + "/cat", "bob"))
        closed_bars = "/api/rooms/plans/bars"
        await self.refused(404, "not_found", self.api("POST", closed_bars, "cat", {"name": "bob"}))
        await self.refused(404, "not_found", self.api("GET", closed_bars, "cat"))
        await self.refused(404, "not_found", self.api("GET", "/api/rooms/nowhere/bars", "ann"))
        await self.refused(400, "unknown_account", self.api("POST", bars, "ann", {"name": "ghost"}))
        await self.refused(404, "unknown_account", self.api("DELETE", bars + "/ghost", "ann"))
        await self.refused(400, "bad_request", self.api("POST", bars, "ann", {"who": "bob"}))
        await self.refused(400, "bad_request", self.api("POST", bars, "ann", {"name": "ann"}))
        await self.refused(403, "forbidden", self.api("POST", bars, "ann", {"name": "root"}))
        await self.refused(403, "forbidden", self.api("POST", bars, "root", {"name": "ann"}))
        dm_bars = f"/api/rooms/{dm['room']}/bars"
        await self.refused(400, "bad_request", self.api("POST", dm_bars, "ann", {"name": "bob"}))
        await self.refused(404, "not_found", self.api("POST", dm_bars, "root", {"name": "bob"}))
        await self.refused(401, "unauthorized", self.api("GET", bars))
        response = await self.raw_fetch("GET", bars, {"Authorization": ci}, None)
        assert response.code == 403
        assert await self.barred("square", "ann") == [] and await self.barred("plans", "root") == []

    @gen_test
    async def test_a_barred_bot_posts_nothing(self) -> None:
        """A bot put in an open room, then barred from it, has its key's posts there refused as a room it
        may not see."""
        key = await self.bot("ci")
        await self.create("ann", "square", kind="open")
        bot = await self.backend.accounts.account_by_name("ci")
        assert bot is not None
        await self.backend.accounts.add_member("square", bot.id)
        headers = {"Authorization": key, "Content-Type": "application/json"}
        body = b'{"message": "beep"}'
        assert (await self.raw_fetch("POST", "/api/rooms/square/messages", headers, body)).code == 201
        assert (await self.api("POST", "/api/rooms/square/bars", "ann", {"name": "ci"}))[0] == 201
        refused = await self.raw_fetch("POST", "/api/rooms/square/messages", headers, body)
        assert refused.code == 404 and b"beep" not in (refused.body or b"")

    @gen_test
    async def test_an_administrator_puts_no_barred_bot_back_in(self) -> None:
        """root's PUT of the barred bot into the room is 409 barred, as adding a barred member is: the bot
        stays out of the members and its key's posts stay refused; once the bar is lifted, the PUT works."""
        await self.person("root", admin=True)
        key = await self.bot("ci")
        await self.create("ann", "square", kind="open")
        bot = await self.backend.accounts.account_by_name("ci")
        assert bot is not None
        await self.backend.accounts.add_member("square", bot.id)
        assert (await self.api("POST", "/api/rooms/square/bars", "ann", {"name": "ci"}))[0] == 201
        putting = self.api("PUT", f"/api/admin/bots/{bot.id}/rooms/square", "root")
        status, body, _ = await putting
        assert (status, body) == (
            409,
            {"error": "barred", "message": "'ci' is barred from this room: lift the bar first"},
        )
        _, members, _ = await self.api("GET", "/api/rooms/square/members", "ann")
        assert [m["name"] for m in members["members"]] == ["ann"]
        headers = {"Authorization": key, "Content-Type": "application/json"}
        refused = await self.raw_fetch("POST", "/api/rooms/square/messages", headers, b'{"message": "beep"}')
        assert refused.code == 404
        assert (await self.api("DELETE", "/api/rooms/square/bars/ci", "ann"))[0] == 204
        status, body, _ = await self.api("PUT", f"/api/admin/bots/{bot.id}/rooms/square", "root")
        assert status == 200 and body["bot"]["rooms"] == ["square"]


class BarsOnPostgresTest(OnPostgres, BarsTest):
    """The same bars, stored in PostgreSQL."""
