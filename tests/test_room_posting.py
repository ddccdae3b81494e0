"""Rooms where only their owner and administrators post (``posting``): set, changed, held on every path."""

from __future__ import annotations

import json
from typing import Any

from tornado.testing import gen_test

from chatroom import protocol
from tests.chat_case import Frame, OnPostgres
from tests.files_case import TEXT
from tests.room_rules_case import RoomRulesCase

THUMBS = "\N{THUMBS UP SIGN}"
# The socket's answer to a message from someone who reads the room and may not post in it.
REFUSED = "you cannot post in this room: only its owner and administrators post in it"


class PostingTest(RoomRulesCase):
    """ann owns the open room "news", where only she and root (an administrator) post; bob reads it."""

    async def news(self, posting: str = "managers") -> dict[str, Any]:
        await self.person("root", admin=True)
        for name in ("bob", "carl"):
            await self.person(name)
        return await self.create("ann", "news", "open", posting=posting)

    # --- the setting ---------------------------------------------------------------------------------

    @gen_test(timeout=30)
    async def test_the_setting_is_made_with_the_room_and_listed(self) -> None:
        """Said at creation (everyone when not said), in the creation's answer and in everyone's list."""
        entry = await self.news()
        assert entry["posting"] == "managers"
        assert (await self.create("ann", "chat", "open"))["posting"] == "everyone"
        assert await self.listed("posting", "news", "bob") == "managers"
        for posting in ("teachers", None, True):
            body = {"room": "other", "kind": "closed", "posting": posting}
            await self.refused(400, "bad_request", self.api("POST", "/api/rooms", "ann", body))
        assert await self.listed("posting", "other") is None

    @gen_test(timeout=30)
    async def test_those_who_manage_the_room_change_it_and_nobody_else(self) -> None:
        """The owner and an administrator: 200; a member who reads it: 403; an outsider of a closed
        room: 404; a bad value: 400 with nothing else in the body changed."""
        await self.news()
        await self.create("ann", "staff", "closed", members=["bob"])
        patch = {"posting": "everyone"}
        await self.refused(403, "forbidden", self.api("PATCH", "/api/rooms/news", "bob", patch))
        await self.refused(403, "forbidden", self.api("PATCH", "/api/rooms/staff", "bob", patch))
        await self.refused(404, "not_found", self.api("PATCH", "/api/rooms/staff", "carl", patch))
        body = {"posting": "teachers", "title": "Renamed"}
        await self.refused(400, "bad_request", self.api("PATCH", "/api/rooms/news", "ann", body))
        assert await self.listed("posting", "news") == "managers"
        _, body, _ = await self.api("GET", "/api/rooms", "ann")
        assert [e["title"] for e in body["rooms"] if e["room"] == "news"] == ["news"]
        status, entry, _ = await self.api("PATCH", "/api/rooms/news", "root", patch)
        assert (status, entry["posting"]) == (200, "everyone")
        status, entry, _ = await self.api("PATCH", "/api/rooms/staff", "ann", {"posting": "managers"})
        assert (status, entry["posting"]) == (200, "managers")
        assert await self.listed("posting", "staff", "bob") == "managers"

    @gen_test(timeout=30)
    async def test_a_direct_conversation_takes_everyone_s_messages(self) -> None:
        """Nobody manages a direct room: changing who posts in it is refused 403, and it stays."""
        await self.news()
        status, direct, _ = await self.api("POST", "/api/direct", "ann", {"members": ["bob"]})
        assert status == 201 and direct["posting"] == "everyone"
        path = f"/api/rooms/{direct['room']}"
        await self.refused(403, "forbidden", self.api("PATCH", path, "ann", {"posting": "managers"}))
        assert await self.listed("posting", direct["room"]) == "everyone"

    # --- the socket ------------------------------------------------------------------------------------

    @gen_test(timeout=30)
    async def test_a_reader_s_message_and_reply_are_refused_and_nobody_hears_of_them(self) -> None:
        """bob gets read_only for each, with its ref; his connection stays; ann hears nothing of it."""
        await self.news()
        ann, bob = await self.joined("ann"), await self.joined("bob")
        await self.recv_type(ann, "sys")  # bob's join
        first = await self.ask(ann, {"type": "message", "message": "Homework: page 12"})
        assert first["type"] == "ack"
        await self.recv_type(bob, "user")
        for frame in (
            {"type": "message", "message": "which page?"},
            {"type": "message", "message": "which page?", "reply_to": first["id"]},
        ):
            refusal = await self.ask(bob, frame)
            assert refusal == {"type": "error", "code": protocol.READ_ONLY, "message": REFUSED, "ref": "r"}
        assert await self.texts() == ["Homework: page 12"]
        # Still connected, and still reading; ann heard nothing between her two messages.
        await self.send(ann, {"type": "message", "message": "Due Friday"})
        assert (await self.recv_type(bob, "user"))["message"] == "Due Friday"
        heard = [await self.recv(ann)]
        while heard[-1].get("message") != "Due Friday":
            heard.append(await self.recv(ann))
        others = [f for f in heard if f["type"] != "ack" and f.get("message") != "Homework: page 12"]
        assert others == [heard[-1]] and heard[-1]["nick"] == "ann"

    @gen_test(timeout=30)
    async def test_the_owner_and_an_administrator_post(self) -> None:
        """ann (the owner) and root (an administrator, not a member) post; bob reads both."""
        await self.news()
        bob, ann, root = await self.joined("bob"), await self.joined("ann"), await self.joined("root")
        for client, text in ((ann, "from the owner"), (root, "from an administrator")):
            assert (await self.ask(client, {"type": "message", "message": text}))["type"] == "ack"
            assert (await self.recv_type(bob, "user"))["message"] == text
        assert await self.texts() == ["from the owner", "from an administrator"]

    @gen_test(timeout=30)
    async def test_reactions_and_deleting_one_s_own_go_through_and_edits_do_not(self) -> None:
        """Once only managers post, bob still reacts and deletes his own earlier message; editing it
        (new words) is refused read_only."""
        await self.news(posting="everyone")
        ann, bob = await self.joined("ann"), await self.joined("bob")
        own = (await self.ask(bob, {"type": "message", "message": "before the rule"}))["id"]
        theirs = (await self.ask(ann, {"type": "message", "message": "Welcome"}))["id"]
        status, entry, _ = await self.api("PATCH", "/api/rooms/news", "ann", {"posting": "managers"})
        assert (status, entry["posting"]) == (200, "managers")
        room = await self.room_change(bob, "posting")
        assert room["room"]["posting"] == "managers"
        edit = await self.ask(bob, {"type": "edit", "id": own, "message": "after the rule"})
        assert (edit["type"], edit["code"], edit["message"]) == (
            "error",
            protocol.READ_ONLY,
            "you cannot change messages in this room: only its owner and administrators post in it",
        )
        react = await self.ask(bob, {"type": "react", "id": theirs, "emoji": THUMBS, "on": True})
        assert react["type"] == "ack"
        assert (await self.ask(bob, {"type": "delete", "id": own}))["type"] == "ack"
        _, body, _ = await self.api("GET", "/api/rooms/news/messages", "ann")
        shown = {m["id"]: m for m in body["messages"]}
        assert shown[own].get("deleted") is True and shown[own]["message"] != "after the rule"
        assert shown[theirs]["reactions"][0]["emoji"] == THUMBS

    @gen_test(timeout=30)
    async def test_the_change_is_live_both_ways_for_those_in_the_room(self) -> None:
        """bob's open connection refuses his message at once after the change, and takes it after the
        change back: no reconnecting."""
        await self.news(posting="everyone")
        bob = await self.joined("bob")
        assert (await self.ask(bob, {"type": "message", "message": "one"}))["type"] == "ack"
        await self.api("PATCH", "/api/rooms/news", "ann", {"posting": "managers"})
        assert (await self.room_change(bob, "posting"))["room"]["posting"] == "managers"
        assert (await self.ask(bob, {"type": "message", "message": "two"}))["code"] == protocol.READ_ONLY
        await self.api("PATCH", "/api/rooms/news", "ann", {"posting": "everyone"})
        assert (await self.room_change(bob, "posting"))["room"]["posting"] == "everyone"
        assert (await self.ask(bob, {"type": "message", "message": "three"}))["type"] == "ack"
        assert await self.texts() == ["one", "three"]

    # --- bots and files --------------------------------------------------------------------------------

    @gen_test(timeout=30)
    async def test_a_bot_that_is_a_member_is_refused_403(self) -> None:
        """A bot is no manager: its post is refused, nothing is stored; once everyone posts, it posts."""
        await self.news()
        key = await self.make_bot("feed", "news")
        bob = await self.joined("bob")
        post = {"message": "build passed"}
        raw = await self.refused(403, "forbidden", self.bot_post(key, post))
        assert b"only the owner and administrators of 'news' post in it" in raw
        await self.nothing_more(bob)
        assert await self.texts() == []
        await self.api("PATCH", "/api/rooms/news", "ann", {"posting": "everyone"})
        status, _, _ = await self.bot_post(key, post)
        assert status == 201 and await self.texts() == ["build passed"]

    async def bot_post(self, key: str, body: Frame) -> tuple[int, Any, bytes]:
        """POST a message to news with a bot's key."""
        headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
        response = await self.raw_fetch(
            "POST", "/api/rooms/news/messages", headers, json.dumps(body).encode()
        )
        return response.code, json.loads(response.body), response.body

    @gen_test(timeout=30)
    async def test_a_reader_s_upload_is_refused_403_and_kept_nowhere(self) -> None:
        """bob's file: 403 forbidden, nothing spooled or stored, nobody told; ann's goes through."""
        await self.news()
        bob = await self.joined("bob")
        raw = await self.refused(403, "forbidden", self.upload("bob", "news", TEXT))
        assert b"only the owner and administrators of 'news' post in it" in raw
        assert self.spooled() == [] and await self.backend.files.total_bytes() == 0
        await self.nothing_more(bob)
        await self.posted("ann", "news", TEXT)
        assert (await self.recv_type(bob, "user"))["file"]["name"] == "notes.txt"


class PostingOnPostgresTest(OnPostgres, PostingTest):
    """The same rules, with the rooms in PostgreSQL."""
