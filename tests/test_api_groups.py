"""Groups over the API: creating, listing, renaming, describing and deleting them, joining, leaving,
adding and removing members, who may do each with every refusal's code, the moderation history of an
administrator's changes, the ``group`` frame every account's page gets, and a group mention counted for
its members who read the room only (api_groups.py, api_group_members.py)."""

from __future__ import annotations

import asyncio
from typing import Any

from tornado.testing import gen_test

from tests.chat_case import Client, OnPostgres
from tests.rooms_case import RoomsCase

SECRET = "the launch moves to Friday"


class GroupsTest(RoomsCase):
    """ann, bob and cid are people, dee an administrator, helper a bot."""

    async def everyone(self) -> str:
        for name in ("ann", "bob", "cid"):
            await self.person(name)
        await self.person("dee", admin=True)
        return await self.bot("helper")

    async def created(self, who: str, name: str, description: str = "") -> dict[str, Any]:
        status, body, _ = await self.api(
            "POST", "/api/groups", who, {"name": name, "description": description}
        )
        assert status == 201, body
        return dict(body["group"])

    async def inside(self, who: str, room: str) -> Client:
        client, welcome = await self.enter(who, room)
        assert welcome["type"] == "welcome", welcome
        await self.recv_type(client, "sys")
        return client

    async def members(self, name: str) -> list[str]:
        status, body, _ = await self.api("GET", f"/api/groups/{name}", "bob")
        assert status == 200, body
        return list(body["group"]["members"])

    @gen_test(timeout=30)
    async def test_a_group_is_created_listed_and_named_by_an_accounts_rule(self) -> None:
        """ann's @designers is 201 with its entry, listed to bob and to a bot; names refused: none, a mention
        of many, a bad name (400 bad_name), a person's, a bot's, a group's or a look-alike (409 name_taken);
        a description too long or not text 400 bad_request; a guest 401, a bot 403. No account takes a
        group's name either (409 name_taken). Past 10 groups a minute, the next is 429 rate_limited."""
        bot = await self.everyone()
        entry = await self.created("ann", "designers", "  who  draws ")
        assert entry == {
            "name": "designers",
            "description": "who draws",
            "by": "ann",
            "ts": entry["ts"],
            "members": [],
        }
        assert (await self.api("GET", "/api/groups", "bob"))[1] == {"groups": [entry]}
        listed = await self.raw_fetch("GET", "/api/groups", {"Authorization": bot}, None)
        assert listed.code == 200
        for name in ("", "  ", "room", "Here", "EVERYONE", "all", "channel", "x!y", "-x", "x" * 33, 7):
            await self.refused(400, "bad_name", self.api("POST", "/api/groups", "ann", {"name": name}))
        for name in ("ANN", "helper", "Designers", "dеsigners"):
            await self.refused(409, "name_taken", self.api("POST", "/api/groups", "bob", {"name": name}))
        for description in ("x" * 201, 5):
            body = {"name": "ops", "description": description}
            await self.refused(400, "bad_request", self.api("POST", "/api/groups", "ann", body))
        await self.refused(401, "unauthorized", self.api("POST", "/api/groups", None, {"name": "ops"}))
        refused = await self.raw_fetch("POST", "/api/groups", {"Authorization": bot}, b'{"name": "ops"}')
        assert refused.code == 403 and b'"forbidden"' in refused.body
        await self.refused(409, "name_taken", self.api("PATCH", "/api/me", "bob", {"name": "designers"}))
        await self.refused(404, "not_found", self.api("GET", "/api/groups/nothing", "bob"))
        assert [g["name"] for g in (await self.api("GET", "/api/groups", "ann"))[1]["groups"]] == [
            "designers"
        ]
        for number in range(10):
            assert (await self.api("POST", "/api/groups", "cid", {"name": f"team{number}"}))[0] == 201
        limited = await self.refused(
            429, "rate_limited", self.api("POST", "/api/groups", "cid", {"name": "more"})
        )
        assert b"try again" in limited

    @gen_test(timeout=30)
    async def test_its_creator_or_an_administrator_manages_it_and_anyone_joins_or_leaves(self) -> None:
        """bob joins and leaves ann's group himself, but may not add cid, rename, describe or delete it (403);
        ann adds cid and renames it, with no act of moderation; dee, an administrator, removes cid, renames,
        describes and deletes it, each an act of the moderation history; a bot is no member (404), nor is a
        name nobody has (404); a guest 401."""
        bot = await self.everyone()
        await self.created("ann", "designers")
        assert (await self.api("PUT", "/api/groups/designers/members/bob", "bob"))[0] == 200
        assert await self.members("designers") == ["bob"]
        assert (await self.api("DELETE", "/api/groups/designers/members/bob", "bob"))[0] == 200
        path = "/api/groups/designers"
        await self.refused(403, "forbidden", self.api("PUT", f"{path}/members/cid", "bob"))
        await self.refused(403, "forbidden", self.api("PATCH", path, "bob", {"name": "mine"}))
        await self.refused(403, "forbidden", self.api("DELETE", path, "bob"))
        await self.refused(404, "not_found", self.api("PUT", f"{path}/members/helper", "ann"))
        await self.refused(404, "not_found", self.api("PUT", f"{path}/members/nobody", "ann"))
        await self.refused(404, "not_found", self.api("PUT", "/api/groups/nothing/members/ann", "ann"))
        await self.refused(401, "unauthorized", self.api("PUT", f"{path}/members/ann"))
        refused = await self.raw_fetch("PUT", f"{path}/members/ann", {"Authorization": bot}, b"")
        assert refused.code == 403
        await self.refused(400, "bad_request", self.api("PATCH", path, "ann", {}))
        assert (await self.api("PUT", f"{path}/members/cid", "ann"))[0] == 200
        status, body, _ = await self.api("PATCH", path, "ann", {"name": "Design"})
        assert status == 200 and body["group"]["name"] == "Design" and body["group"]["members"] == ["cid"]
        path = "/api/groups/design"
        assert (await self.api("DELETE", f"{path}/members/cid", "dee"))[0] == 200
        status, body, _ = await self.api("PATCH", path, "dee", {"name": "drawing", "description": "pens"})
        assert status == 200 and body["group"]["description"] == "pens"
        await self.refused(
            409, "name_taken", self.api("PATCH", "/api/groups/drawing", "dee", {"name": "bob"})
        )
        assert (await self.api("DELETE", "/api/groups/drawing", "dee"))[0] == 204
        assert (await self.api("GET", "/api/groups", "ann"))[1] == {"groups": []}
        _, history, _ = await self.api("GET", "/api/admin/moderation", "dee")
        assert [(a["act"], a["actor"], a["subject"], a["detail"]) for a in reversed(history["acts"])] == [
            ("manage_group", "dee", "ann", "removed cid from @Design"),
            ("manage_group", "dee", "ann", "renamed @Design to @drawing; described @drawing as 'pens'"),
            ("manage_group", "dee", "ann", "deleted @drawing"),
        ]

    @gen_test(timeout=30)
    async def test_pages_follow_and_a_mention_reaches_members_who_read_the_room_only(self) -> None:
        """bob's page gets a group frame for each change; ann's "@designers" in a room of ann and bob counts
        a mention for bob, and in a thread reply makes him follow the thread with a mention; cid, in the group
        and not in the room, is told of the group, and gets no byte of the message, no count, no thread. A
        member deactivated leaves the group's members on every page."""
        await self.everyone()
        await self.create("ann", "studio", members=["bob"])
        await self.create("cid", "corner")
        bob, cid = await self.inside("bob", "studio"), await self.inside("cid", "corner")
        await self.created("ann", "designers")
        frame = await self.recv_type(bob, "group")
        assert (frame["name"], frame["group"]["members"]) == ("designers", [])
        for who in ("ann", "bob", "cid"):
            assert (await self.api("PUT", f"/api/groups/designers/members/{who}", who))[0] == 200
        while (await self.recv_type(cid, "group"))["group"]["members"] != ["ann", "bob", "cid"]:
            pass
        ann = await self.inside("ann", "studio")
        await self.chat(ann, f"@designers {SECRET}", "a1")
        root = (await self.recv_type(ann, "ack"))["id"]
        while (counts := await self.recv_type(bob, "unread"))["unread"] == 0:
            pass
        assert (counts["room"], counts["mentions"]) == ("studio", 1)
        await self.send(
            ann, {"type": "message", "message": "@designers here too", "thread": root, "ref": "a2"}
        )
        await self.recv_type(ann, "ack")
        for _ in range(100):
            if threads := (await self.api("GET", "/api/me/threads", "bob"))[1]["threads"]:
                break
            await asyncio.sleep(0.02)
        assert (threads[0]["unread"], threads[0]["mention"]) == (1, True)
        assert (await self.api("GET", "/api/me/threads", "cid"))[1]["threads"] == []
        rooms = (await self.api("GET", "/api/rooms", "cid"))[1]["rooms"]
        assert "studio" not in [entry["room"] for entry in rooms]
        await self.refused(404, "not_found", self.api("GET", "/api/rooms/studio/messages", "cid"))
        await self.api("DELETE", "/api/groups/designers", "ann")
        while (frame := await self.recv(cid)) != {"type": "group", "name": "designers", "group": None}:
            assert SECRET not in str(frame) and frame.get("room") != "studio"
        await self.created("ann", "night")
        for who in ("ann", "bob"):
            assert (await self.api("PUT", f"/api/groups/night/members/{who}", who))[0] == 200

        async def members_told(members: list[str]) -> None:
            while True:
                told = await self.recv_type(ann, "group")
                if told["name"] == "night" and told["group"]["members"] == members:
                    return

        await members_told(["ann", "bob"])
        found = await self.backend.accounts.account_by_name("bob")
        assert found is not None
        assert (await self.api("POST", f"/api/admin/accounts/{found.id}/deactivate", "dee"))[0] == 200
        await members_told(["ann"])
        for client in (ann, bob, cid):
            client.close()


class GroupsOnPostgresTest(OnPostgres, GroupsTest):
    """The same, stored in PostgreSQL."""
