"""Who may mention a whole room (``room_mentions``): set by its managers, held on the socket, the bot API and
uploads; a refused mention of the room reaches nobody and the connection stays."""

from __future__ import annotations

import json
from typing import Any

from tornado.testing import gen_test

from chatroom import protocol
from tests.chat_case import Frame, OnPostgres
from tests.files_case import TEXT
from tests.room_rules_case import RoomRulesCase

# The socket's answer to a mention of the whole room from someone who may not make one.
REFUSED = "only the owner and administrators of this room may notify the whole room with @room or @here"
# The HTTP API's.
REFUSED_API = b"only the owner and administrators of 'news' may notify the whole room with @room or @here"


class RoomMentionsTest(RoomRulesCase):
    """ann owns the open room "news", where only she and root (an administrator) mention all of it; bob and
    carl read and post."""

    async def news(self, rule: str = "managers") -> dict[str, Any]:
        await self.person("root", admin=True)
        for name in ("bob", "carl"):
            await self.person(name)
        await self.create("ann", "news", "open")
        await self.create("ann", "staff", "closed", members=["bob"])
        status, entry, _ = await self.api("PATCH", "/api/rooms/news", "ann", {"room_mentions": rule})
        assert status == 200, entry
        return dict(entry)

    # --- the setting ---------------------------------------------------------------------------------

    @gen_test(timeout=30)
    async def test_everyone_by_default_and_only_those_who_manage_the_room_change_it(self) -> None:
        """A new room lets everyone; the owner and an administrator change it (200); a member: 403; an
        outsider of a closed room: 404; a direct room: 403; a bad value: 400, nothing else changed."""
        entry = await self.news()
        assert entry["room_mentions"] == "managers"
        assert (await self.create("ann", "chat", "open"))["room_mentions"] == "everyone"
        assert await self.listed("room_mentions", "news", "bob") == "managers"
        patch = {"room_mentions": "everyone"}
        await self.refused(403, "forbidden", self.api("PATCH", "/api/rooms/news", "bob", patch))
        await self.refused(403, "forbidden", self.api("PATCH", "/api/rooms/staff", "bob", patch))
        await self.refused(404, "not_found", self.api("PATCH", "/api/rooms/staff", "carl", patch))
        for bad in ("teachers", None, True):
            body = {"room_mentions": bad, "title": "Renamed"}
            await self.refused(400, "bad_request", self.api("PATCH", "/api/rooms/news", "ann", body))
        assert await self.listed("room_mentions", "news") == "managers"
        status, entry, _ = await self.api("PATCH", "/api/rooms/news", "root", patch)
        assert (status, entry["room_mentions"]) == (200, "everyone")
        status, direct, _ = await self.api("POST", "/api/direct", "ann", {"members": ["bob"]})
        assert status == 201 and direct["room_mentions"] == "everyone"
        path = f"/api/rooms/{direct['room']}"
        await self.refused(403, "forbidden", self.api("PATCH", path, "ann", {"room_mentions": "managers"}))

    # --- the socket ------------------------------------------------------------------------------------

    @gen_test(timeout=30)
    async def test_a_members_mention_of_the_room_is_refused_and_nobody_hears_of_it(self) -> None:
        """bob's "@all" and "@Room" get room_mention_forbidden with their ref; his connection stays and his
        plain message goes through; ann hears only that; an address (x@all.com) is no mention."""
        await self.news()
        ann, bob = await self.joined("ann"), await self.joined("bob")
        await self.recv_type(ann, "sys")  # bob's join
        for text in ("@all standup now", "(@Room) look"):
            refusal = await self.ask(bob, {"type": "message", "message": text})
            assert refusal == {
                "type": "error",
                "code": protocol.ROOM_MENTION_FORBIDDEN,
                "message": REFUSED,
                "ref": "r",
            }
        assert (await self.ask(bob, {"type": "message", "message": "mail x@all.com"}))["type"] == "ack"
        heard = await self.recv_type(ann, "user")
        assert heard["message"] == "mail x@all.com"
        await self.nothing_more(ann)
        assert await self.texts() == ["mail x@all.com"]

    @gen_test(timeout=30)
    async def test_an_edit_that_adds_a_mention_of_the_room_is_refused(self) -> None:
        """bob edits his message to say "@everyone": refused, the message stays as it was."""
        await self.news()
        bob = await self.joined("bob")
        own = (await self.ask(bob, {"type": "message", "message": "hello"}))["id"]
        edit = await self.ask(bob, {"type": "edit", "id": own, "message": "hello @everyone"})
        assert (edit["type"], edit["code"]) == ("error", protocol.ROOM_MENTION_FORBIDDEN)
        assert await self.texts() == ["hello"]

    @gen_test(timeout=30)
    async def test_the_owner_and_an_administrator_mention_the_room(self) -> None:
        """ann (the owner) and root (an administrator) say "@room"; bob reads both."""
        await self.news()
        bob, ann, root = await self.joined("bob"), await self.joined("ann"), await self.joined("root")
        for client, text in ((ann, "@room from the owner"), (root, "@channel from an administrator")):
            assert (await self.ask(client, {"type": "message", "message": text}))["type"] == "ack"
            assert (await self.recv_type(bob, "user"))["message"] == text

    @gen_test(timeout=30)
    async def test_the_change_is_live_for_those_in_the_room(self) -> None:
        """bob's open connection takes "@all" while everyone may, refuses it at once after the change, and
        takes it again after the change back: no reconnecting."""
        await self.news("everyone")
        bob = await self.joined("bob")
        assert (await self.ask(bob, {"type": "message", "message": "@all one"}))["type"] == "ack"
        await self.api("PATCH", "/api/rooms/news", "ann", {"room_mentions": "managers"})
        room = await self.room_change(bob, "room_mentions")
        assert room["room"]["room_mentions"] == "managers"
        refused = await self.ask(bob, {"type": "message", "message": "@all two"})
        assert refused["code"] == protocol.ROOM_MENTION_FORBIDDEN
        await self.api("PATCH", "/api/rooms/news", "ann", {"room_mentions": "everyone"})
        assert (await self.room_change(bob, "room_mentions"))["room"]["room_mentions"] == "everyone"
        assert (await self.ask(bob, {"type": "message", "message": "@all three"}))["type"] == "ack"
        assert await self.texts() == ["@all one", "@all three"]

    @gen_test(timeout=30)
    async def test_in_a_direct_conversation_it_is_allowed(self) -> None:
        """bob's "@room" to ann in their direct conversation goes through."""
        await self.news()
        _status, direct, _ = await self.api("POST", "/api/direct", "ann", {"members": ["bob"]})
        bob = await self.joined("bob", direct["room"])
        assert (await self.ask(bob, {"type": "message", "message": "@room hi"}))["type"] == "ack"

    # --- bots and files --------------------------------------------------------------------------------

    @gen_test(timeout=30)
    async def test_a_bots_mention_of_the_room_is_refused_403(self) -> None:
        """A bot is no manager: its "@all" is refused 403 room_mention_forbidden, nothing stored, nobody
        told; its plain message goes through."""
        await self.news()
        key = await self.make_bot("feed", "news")
        bob = await self.joined("bob")
        raw = await self.refused(
            403, protocol.ROOM_MENTION_FORBIDDEN, self.bot_post(key, {"message": "@all up"})
        )
        assert REFUSED_API in raw
        # Nothing of the refused message; another room's creation may be told late (PostgreSQL).
        await self.nothing_more(bob, ignoring=("unread", "room"))
        assert await self.texts() == []
        status, _, _ = await self.bot_post(key, {"message": "build passed"})
        assert status == 201 and await self.texts() == ["build passed"]

    async def bot_post(self, key: str, body: Frame) -> tuple[int, Any, bytes]:
        """POST a message to news with a bot's key."""
        headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
        response = await self.raw_fetch(
            "POST", "/api/rooms/news/messages", headers, json.dumps(body).encode()
        )
        return response.code, json.loads(response.body), response.body

    @gen_test(timeout=30)
    async def test_an_upload_captioned_with_a_mention_of_the_room_is_refused_403(self) -> None:
        """bob's file captioned "@all": 403 room_mention_forbidden, nothing kept, nobody told."""
        await self.news()
        bob = await self.joined("bob")
        upload = self.upload("bob", "news", TEXT, text="@all see this")
        raw = await self.refused(403, protocol.ROOM_MENTION_FORBIDDEN, upload)
        assert REFUSED_API in raw
        assert self.spooled() == [] and await self.backend.files.total_bytes() == 0
        await self.nothing_more(bob)


class RoomMentionsOnPostgresTest(OnPostgres, RoomMentionsTest):
    """The same rules, with the rooms in PostgreSQL."""
