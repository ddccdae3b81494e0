"""A room's members (list, add, remove, leave) and the people picker over HTTP: each rule and refusal."""

from __future__ import annotations

from typing import Any

from tornado.testing import gen_test

from chatroom import protocol
from chatroom.events import ROOM_CREATED
from chatroom.names import nick_key
from tests.chat_case import Client, OnPostgres
from tests.rooms_case import RoomsCase


class MembersTest(RoomsCase):
    """GET/POST /api/rooms/{room}/members and DELETE /api/rooms/{room}/members/{name}."""

    async def names(self, room: str, who: str) -> list[str]:
        status, body, _ = await self.api("GET", f"/api/rooms/{room}/members", who)
        assert status == 200, body
        return sorted(member["name"] for member in body["members"])

    @gen_test
    async def test_the_owner_adds_and_removes_and_the_added_member_reads(self) -> None:
        """Adding gives the member the room (listed, socket welcome); removing takes it away (404, 4404)."""
        await self.person("bob")
        await self.create("ann", "plans")
        status, body, _ = await self.api("POST", "/api/rooms/plans/members", "ann", {"name": "bob"})
        assert status == 201 and [m["name"] for m in body["members"]] == ["ann", "bob"]
        status, _, _ = await self.api("POST", "/api/rooms/plans/members", "ann", {"name": "BOB"})
        assert status == 200
        _, welcome = await self.enter("bob", "plans")
        assert welcome["type"] == "welcome"
        with self.assertLogs("chatroom.moderation", "INFO") as logged:
            status, _, _ = await self.api("DELETE", "/api/rooms/plans/members/bob", "ann")
        assert status == 204
        assert [record.getMessage() for record in logged.records] == ["'ann' took 'bob' out of 'plans'"]
        assert await self.names("plans", "ann") == ["ann"]
        await self.refused(404, "not_found", self.api("GET", "/api/rooms/plans/messages", "bob"))
        client, error = await self.enter("bob", "plans")
        assert error["code"] == protocol.NOT_FOUND
        assert await self.closed(client) == protocol.CLOSE_NOT_FOUND

    @gen_test
    async def test_an_administrator_manages_a_closed_room_and_reads_it_only_once_a_member(self) -> None:
        """The administrator lists and changes members unread; adding themselves shows in the list."""
        await self.person("root", admin=True)
        await self.person("bob")
        await self.create("ann", "plans")
        assert await self.names("plans", "root") == ["ann"]
        await self.refused(404, "not_found", self.api("GET", "/api/rooms/plans/messages", "root"))
        status, _, _ = await self.api("POST", "/api/rooms/plans/members", "root", {"name": "bob"})
        assert status == 201
        status, _, _ = await self.api("POST", "/api/rooms/plans/members", "root", {"name": "root"})
        assert status == 201
        assert await self.names("plans", "ann") == ["ann", "bob", "root"]
        status, _, _ = await self.api("GET", "/api/rooms/plans/messages", "root")
        assert status == 200

    @gen_test
    async def test_anyone_leaves_a_closed_or_direct_room(self) -> None:
        """A member deletes their own membership: 204, and the room is no longer theirs."""
        await self.person("bob")
        await self.create("ann", "plans", members=["bob"])
        _, dm, _ = await self.api("POST", "/api/direct", "ann", {"members": ["bob"]})
        for room in ("plans", dm["room"]):
            status, _, _ = await self.api("DELETE", f"/api/rooms/{room}/members/bob", "bob")
            assert status == 204
        _, rooms, _ = await self.api("GET", "/api/rooms", "bob")
        assert rooms["rooms"] == []
        assert await self.names(dm["room"], "ann") == ["ann"]

    @gen_test
    async def test_leaving_an_open_room_one_is_not_in_says_so(self) -> None:
        """Someone who reads an open room without being its member is told they are not one, not refused."""
        await self.person("bob")
        await self.create("ann", "square", kind="open")
        status, body, _ = await self.api("DELETE", "/api/rooms/square/members/bob", "bob")
        assert (status, body["error"]) == (404, "not_found")
        assert body["message"] == "you are not a member of this room"
        assert await self.names("square", "ann") == ["ann"]

    @gen_test
    async def test_refusals(self) -> None:
        """Each refusal with its code; the room's members are unchanged after them all."""
        await self.person("bob")
        await self.person("cat")
        await self.create("ann", "plans", members=["bob"])
        _, dm, _ = await self.api("POST", "/api/direct", "ann", {"members": ["bob"]})
        add, remove = "/api/rooms/plans/members", "/api/rooms/plans/members/"
        await self.refused(403, "forbidden", self.api("POST", add, "bob", {"name": "cat"}))
        await self.refused(403, "forbidden", self.api("DELETE", remove + "ann", "bob"))
        await self.refused(404, "not_found", self.api("POST", add, "cat", {"name": "cat"}))
        await self.refused(404, "not_found", self.api("DELETE", remove + "bob", "cat"))
        await self.refused(404, "not_found", self.api("DELETE", remove + "cat", "cat"))
        await self.refused(404, "not_found", self.api("GET", add, "cat"))
        await self.refused(404, "not_found", self.api("GET", "/api/rooms/nowhere/members", "ann"))
        await self.refused(401, "unauthorized", self.api("GET", add))
        await self.refused(401, "unauthorized", self.api("POST", add, None, {"name": "cat"}))
        await self.refused(400, "unknown_account", self.api("POST", add, "ann", {"name": "ghost"}))
        await self.refused(400, "bad_request", self.api("POST", add, "ann", {"name": 3}))
        await self.refused(404, "unknown_account", self.api("DELETE", remove + "ghost", "ann"))
        await self.refused(404, "not_found", self.api("DELETE", remove + "cat", "ann"))
        direct = f"/api/rooms/{dm['room']}/members"
        await self.refused(403, "forbidden", self.api("POST", direct, "ann", {"name": "cat"}))
        await self.refused(403, "forbidden", self.api("DELETE", direct + "/bob", "ann"))
        await self.refused(404, "not_found", self.api("GET", direct, "cat"))
        assert await self.names("plans", "ann") == ["ann", "bob"]
        assert await self.names(dm["room"], "bob") == ["ann", "bob"]

    @gen_test
    async def test_a_bot_manages_nothing_but_may_leave(self) -> None:
        """A bot's key is refused with 403 on every change to a room, but it may leave one it was put in."""
        key = await self.bot("hook")
        await self.create("ann", "plans", members=["hook"])
        for method, path, body in (
            ("POST", "/api/rooms/plans/members", b'{"name":"ann"}'),
            ("DELETE", "/api/rooms/plans/members/ann", None),
            ("PATCH", "/api/rooms/plans", b'{"title":"x"}'),
        ):
            response = await self.raw_fetch(method, path, {"Authorization": key}, body)
            assert response.code == 403 and b'"forbidden"' in response.body
        response = await self.raw_fetch(
            "DELETE", "/api/rooms/plans/members/hook", {"Authorization": key}, None
        )
        assert response.code == 204
        assert await self.names("plans", "ann") == ["ann"]


class MemberPagesTest(RoomsCase):
    """GET /api/rooms/{room}/members?prefix=&after=&limit=: pages by name, a count, the next one's address."""

    async def page(self, path: str, who: str = "ann") -> tuple[list[str], int, str | None]:
        status, body, _ = await self.api("GET", path, who)
        assert status == 200, body
        return [m["name"] for m in body["members"]], body["count"], body["next"]

    @gen_test
    async def test_pages_follow_each_other_to_the_last(self) -> None:
        """Five members, two a page: three pages by name without case, each ``next`` the following one."""
        for name in ("Dora", "bob", "Eve", "carl"):
            await self.person(name)
        await self.create("ann", "plans", members=["Dora", "bob", "Eve", "carl"])
        seen = []
        path: str | None = "/api/rooms/plans/members?limit=2"
        while path is not None:
            names, count, path = await self.page(path)
            assert count == 5 and len(names) <= 2
            seen.append(names)
        assert seen == [["ann", "bob"], ["carl", "Dora"], ["Eve"]]
        names, count, following = await self.page("/api/rooms/plans/members")
        assert (names, count, following) == (["ann", "bob", "carl", "Dora", "Eve"], 5, None)
        await self.refused(400, "bad_request", self.api("GET", "/api/rooms/plans/members?limit=0", "ann"))

    @gen_test
    async def test_a_prefix_finds_members_as_names_compare_and_keeps_to_itself_over_pages(self) -> None:
        """``ANN`` and ``аnn`` (a Cyrillic а) find anna, Annette, annika; the next page keeps the prefix."""
        for name in ("anna", "Annette", "annika", "anton"):
            await self.person(name)
        await self.create("ann", "square", "open", members=["anna", "Annette", "annika", "anton"])
        for prefix in ("ANNE", "%D0%B0nne"):
            assert (await self.page(f"/api/rooms/square/members?prefix={prefix}"))[0] == ["Annette"]
        names, count, following = await self.page("/api/rooms/square/members?prefix=ann&limit=2")
        assert (names, count) == (["ann", "anna"], 5)
        assert following == "/api/rooms/square/members?prefix=ann&after=anna&limit=2"
        assert await self.page(following) == (["Annette", "annika"], 5, None)
        assert await self.page("/api/rooms/square/members?prefix=zed") == ([], 5, None)

    @gen_test
    async def test_a_room_of_more_than_a_default_page(self) -> None:
        """Without a limit a page holds 100 and the next one the rest, in the order names compare in (m010
        is mo1o, as look-alikes fold); a limit past the most is cut to it, not refused."""
        accounts = self.backend.accounts
        await self.create("ann", "crowd", "open")
        everyone = ["ann"]
        for number in range(120):
            account = await accounts.create_account(f"m{number:03}", "person")
            await accounts.add_member("crowd", account.id)
            everyone.append(account.name)
        everyone.sort(key=nick_key)
        names, count, following = await self.page("/api/rooms/crowd/members")
        assert (names, count) == (everyone[:100], 121)
        assert following is not None
        assert await self.page(following) == (everyone[100:], 121, None)
        assert (await self.page("/api/rooms/crowd/members?limit=900"))[0] == everyone

    @gen_test
    async def test_who_may_list_pages_is_who_may_list_members(self) -> None:
        """Paging changes no rule: outsiders, a guest, the barred get nothing; an administrator sees a
        closed room's page; one room's page never shows another's members."""
        await self.person("root", admin=True)
        for name in ("bob", "cat", "zed"):
            await self.person(name)
        await self.create("ann", "plans", members=["bob", "cat"])
        await self.create("zed", "secrets")
        await self.create("ann", "square", "open", members=["bob"])
        _, dm, _ = await self.api("POST", "/api/direct", "ann", {"members": ["bob"]})
        assert (await self.api("POST", "/api/rooms/square/bars", "ann", {"name": "cat"}))[0] == 201
        query = "/members?prefix=a&after=a&limit=1"
        for room, who in (("plans", "zed"), (dm["room"], "cat"), (dm["room"], "root"), ("square", "cat")):
            await self.refused(404, "not_found", self.api("GET", f"/api/rooms/{room}{query}", who))
        await self.refused(401, "unauthorized", self.api("GET", "/api/rooms/plans/members?limit=1"))
        assert await self.page("/api/rooms/plans/members?limit=2", "root") == (
            ["ann", "bob"],
            3,
            "/api/rooms/plans/members?after=bob&limit=2",
        )
        assert await self.page("/api/rooms/plans/members?after=bob", "root") == (["cat"], 3, None)
        assert await self.page("/api/rooms/secrets/members?after=a", "zed") == (["zed"], 1, None)
        assert await self.page("/api/rooms/square/members", "zed") == (["ann", "bob"], 2, None)


class AccountsTest(RoomsCase):
    """GET /api/accounts?prefix=: names for the picker, nothing private."""

    @gen_test
    async def test_names_by_prefix_without_anything_private(self) -> None:
        """Active accounts whose name starts so, names, bot marks and colours only."""
        await self.person("alice")
        await self.person("alfred")
        gone = await self.person("alma")
        await self.backend.accounts.deactivate_account(gone)
        await self.backend.accounts.set_password_hash(gone - 1, "$argon2id$secret-hash")
        status, body, raw = await self.api("GET", "/api/accounts?prefix=AL", "bob")
        assert status == 200
        assert [account["name"] for account in body["accounts"]] == ["alfred", "alice"]
        assert set(body["accounts"][0]) == {"name", "bot", "admin", "color"}
        assert b"argon2" not in raw and b"alma" not in raw
        _, body, _ = await self.api("GET", "/api/accounts?prefix=al&limit=1", "bob")
        assert len(body["accounts"]) == 1
        await self.refused(400, "bad_request", self.api("GET", "/api/accounts?prefix=al&limit=0", "bob"))
        for query in ("", "?prefix=", "?prefix=%20"):
            _, body, _ = await self.api("GET", f"/api/accounts{query}", "bob")
            assert [account["name"] for account in body["accounts"]] == ["alfred", "alice", "bob"], query

    @gen_test
    async def test_administrators_are_marked_as_they_are_now_and_look_alikes_are_not(self) -> None:
        """``admin`` is marked, ``Administrator`` and ``admin.`` (other names) are not; unmade, admin is
        no longer marked, in the picker and in a room's member list alike."""
        admin = await self.person("admin", admin=True)
        await self.person("Administrator")
        await self.person("admin.")
        await self.create("admin", "hall", "open")
        for name in ("Administrator", "admin."):
            assert (await self.api("POST", "/api/rooms/hall/members", "admin", {"name": name}))[0] == 201

        async def marks() -> tuple[dict[str, bool], dict[str, bool]]:
            _, picked, _ = await self.api("GET", "/api/accounts?prefix=adm", "bob")
            _, members, _ = await self.api("GET", "/api/rooms/hall/members", "bob")
            return (
                {a["name"]: a["admin"] for a in picked["accounts"]},
                {m["name"]: m["admin"] for m in members["members"]},
            )

        marked = {"admin": True, "admin.": False, "Administrator": False}
        assert await marks() == (marked, marked)
        await self.backend.accounts.set_admin(admin, False)
        unmarked = dict.fromkeys(marked, False)
        assert await marks() == (unmarked, unmarked)

    @gen_test
    async def test_guests_cannot_look_people_up(self) -> None:
        """Without an account: 401, no names."""
        await self.person("alice")
        raw = await self.refused(401, "unauthorized", self.api("GET", "/api/accounts?prefix=a"))
        assert b"alice" not in raw


class LiveTest(RoomsCase):
    """Changes reach connected members at once; the others carry on."""

    async def in_lobby(self, who: str) -> Client:
        if await self.backend.accounts.room_record("lobby") is None:
            await self.backend.accounts.create_room("lobby", "open")
        client, welcome = await self.enter(who, "lobby")
        assert welcome["type"] == "welcome"
        await self.recv_type(client, "sys")
        return client

    async def in_room(self, who: str, room: str) -> Client:
        client, welcome = await self.enter(who, room)
        assert welcome["type"] == "welcome"
        while (frame := await self.recv(client))["type"] != "sys" or frame["nick"] != who:
            pass
        return client

    async def room_change(self, client: Client) -> dict[str, Any]:
        """The next room frame but the room's "created": the account's connections hear of a room made
        a moment ago when the store has answered, which may be after this connection opened."""
        while (frame := await self.recv_type(client, "room"))["change"] == ROOM_CREATED:
            pass
        return frame

    @gen_test
    async def test_added_then_removed_live(self) -> None:
        """bob hears of the closed room he is put in, is closed 4403 when taken out; ann and carl carry on."""
        bob_lobby = await self.in_lobby("bob")
        carl_lobby = await self.in_lobby("carl")
        await self.create("ann", "plans", members=["bob"])
        created = await self.recv_type(bob_lobby, "room")
        assert (created["change"], created["room"]["room"], created["room"]["kind"]) == (
            "created",
            "plans",
            "closed",
        )
        bob = await self.in_room("bob", "plans")
        ann = await self.in_room("ann", "plans")
        assert (await self.api("DELETE", "/api/rooms/plans/members/bob", "ann"))[0] == 204
        error = await self.recv_type(bob, "error")
        assert error["code"] == protocol.FORBIDDEN
        assert await self.closed(bob) == protocol.CLOSE_FORBIDDEN
        assert (await self.recv_type(bob_lobby, "room_gone"))["room"] == "plans"
        await self.chat(ann, "still here")
        assert (await self.recv_type(ann, "user"))["message"] == "still here"
        await self.chat(bob_lobby, "me too")
        assert (await self.recv_type(bob_lobby, "user"))["message"] == "me too"
        while (frame := await self.recv(carl_lobby))["type"] != "user":
            assert "plans" not in str(frame)

    @gen_test
    async def test_archiving_turns_an_open_connection_read_only_and_back(self) -> None:
        """A member connected while the room is archived gets read_only; brought back, the message goes."""
        await self.create("ann", "plans")
        ann = await self.in_room("ann", "plans")
        assert (await self.api("PATCH", "/api/rooms/plans", "ann", {"archived": True}))[0] == 200
        assert (await self.room_change(ann))["change"] == "archived"
        await self.send(ann, {"type": "message", "message": "late", "ref": "r1"})
        refused = await self.recv_type(ann, "error")
        assert (refused["code"], refused["ref"]) == (protocol.READ_ONLY, "r1")
        assert (await self.api("PATCH", "/api/rooms/plans", "ann", {"archived": False}))[0] == 200
        assert (await self.room_change(ann))["change"] == "unarchived"
        await self.send(ann, {"type": "message", "message": "back", "ref": "r2"})
        assert (await self.recv_type(ann, "user"))["message"] == "back"


class MembersOnPostgresTest(OnPostgres, MembersTest):
    """The same members' rules, with the memberships in PostgreSQL."""


class LiveOnPostgresTest(OnPostgres, LiveTest):
    """The same live membership changes, with the memberships in PostgreSQL."""


class MemberPagesOnPostgresTest(OnPostgres, MemberPagesTest):
    """The same pages of members, by prefix and after a name, with the memberships in PostgreSQL."""
