"""A room's topic (``topic``): who sets it (PATCH /api/rooms/{room}), what it may be, who hears of it."""

from __future__ import annotations

from typing import Any

from tornado.testing import gen_test

from chatroom.api_topic import MAX_TOPIC_LENGTH
from tests.chat_case import Client, OnPostgres
from tests.rooms_case import RoomsCase, token_for

TOPIC = "Release planning — next: Friday's demo 👩‍💻"
# England's flag: a black flag, the tags "gbeng", the cancel tag.
ENGLAND = "\U0001f3f4" + "".join(chr(0xE0000 + ord(c)) for c in "gbeng") + "\U000e007f"


class TopicTest(RoomsCase):
    """ann owns the open room "news"; root administers the server; bob and carl are people."""

    async def news(self, **extra: Any) -> dict[str, Any]:
        await self.person("root", admin=True)
        for name in ("bob", "carl"):
            await self.person(name)
        return await self.create("ann", "news", "open", **extra)

    async def set_topic(self, who: str, topic: object, room: str = "news") -> tuple[int, Any, bytes]:
        return await self.api("PATCH", f"/api/rooms/{room}", who, {"topic": topic})

    async def topic_of(self, room: str = "news", who: str = "ann") -> str | None:
        """The room's topic as ``who``'s rooms list shows it (None: not listed)."""
        _, body, _ = await self.api("GET", "/api/rooms", who)
        return next((entry["topic"] for entry in body["rooms"] if entry["room"] == room), None)

    async def listed(self, room: str, who: str = "ann") -> dict[str, Any]:
        """The room's entry in ``who``'s rooms list."""
        _, body, _ = await self.api("GET", "/api/rooms", who)
        return next(entry for entry in body["rooms"] if entry["room"] == room)

    async def watching(self, who: str, room: str = "news") -> Client:
        """``who``'s live connection to ``room``, past its own join."""
        client, welcome = await self.enter(who, room)
        assert welcome["type"] == "welcome", welcome
        await self.recv_type(client, "sys")
        return client

    # --- who sets it ------------------------------------------------------------------------------

    @gen_test(timeout=30)
    async def test_anyone_who_posts_sets_it_trimmed_and_clears_it(self) -> None:
        """bob, a reader of an open room everyone posts in: 200 with the entry; every list shows it;
        "" and null clear it; a new room has none."""
        entry = await self.news()
        assert entry["topic"] == ""
        status, entry, _ = await self.set_topic("bob", f"  {TOPIC} ")
        assert (status, entry["room"], entry["topic"], entry["title"]) == (200, "news", TOPIC, "news")
        assert await self.topic_of(who="carl") == TOPIC
        for clear in ("", None, "   "):
            await self.set_topic("bob", "something")
            status, entry, _ = await self.set_topic("carl", clear)
            assert (status, entry["topic"]) == (200, "")
            assert await self.topic_of() == ""

    @gen_test(timeout=30)
    async def test_a_bad_topic_is_refused_and_changes_nothing(self) -> None:
        """Not a string: 400 bad_request; a line break or a control character: 400 bad_request; past
        250 characters: 400 too_long; the topic stays as it was. 250 characters are taken."""
        await self.news()
        await self.set_topic("bob", TOPIC)
        for bad in (
            7,
            True,
            ["x"],
            {"text": "x"},
            "one\ntwo",
            "one\rtwo",
            "tab\there",
            "bell\x07",
            "\u202eevil",
            "see" + ENGLAND[1:],
            ENGLAND[:-1] + " fans",
        ):
            await self.refused(400, "bad_request", self.set_topic("bob", bad))
        await self.refused(400, "too_long", self.set_topic("bob", "x" * (MAX_TOPIC_LENGTH + 1)))
        assert await self.topic_of() == TOPIC
        status, entry, _ = await self.set_topic("bob", "é" * MAX_TOPIC_LENGTH)
        assert (status, len(entry["topic"])) == (200, MAX_TOPIC_LENGTH)

    @gen_test(timeout=30)
    async def test_a_subdivision_flag_is_taken(self) -> None:
        """England's flag, tags and all, is set and listed as sent; the same tags after a word are not."""
        await self.news()
        status, entry, _ = await self.set_topic("bob", f"{ENGLAND} fans")
        assert (status, entry["topic"]) == (200, f"{ENGLAND} fans")
        assert await self.topic_of(who="carl") == f"{ENGLAND} fans"
        await self.refused(400, "bad_request", self.set_topic("bob", f"fans{ENGLAND[1:]}"))
        assert await self.topic_of() == f"{ENGLAND} fans"

    @gen_test(timeout=30)
    async def test_where_only_managers_post_only_they_set_it(self) -> None:
        """In an announcements room bob gets 403 forbidden and the topic stays; ann and root set it."""
        await self.news(posting="managers")
        raw = await self.refused(403, "forbidden", self.set_topic("bob", "mine now"))
        assert b"only the owner and administrators of 'news' set its topic" in raw
        assert await self.topic_of() == ""
        for who in ("ann", "root"):
            status, entry, _ = await self.set_topic(who, f"by {who}")
            assert (status, entry["topic"]) == (200, f"by {who}")

    @gen_test(timeout=30)
    async def test_an_archived_room_keeps_its_topic(self) -> None:
        """Archived: 403 for everyone, its owner too; brought back, the topic is set again."""
        await self.news()
        await self.set_topic("bob", TOPIC)
        await self.api("PATCH", "/api/rooms/news", "ann", {"archived": True})
        for who in ("ann", "bob", "root"):
            raw = await self.refused(403, "forbidden", self.set_topic(who, "later"))
            assert b"archived" in raw
        assert await self.topic_of() == TOPIC
        await self.api("PATCH", "/api/rooms/news", "ann", {"archived": False})
        assert (await self.set_topic("bob", "later"))[0] == 200

    @gen_test(timeout=30)
    async def test_a_closed_room_s_members_set_it_and_an_outsider_gets_404(self) -> None:
        """bob, a member, sets it; carl, outside, gets 404 not_found without a byte of the room; a guest
        (no credentials) 401."""
        await self.news()
        await self.create("ann", "staff", "closed", title="Staff Only", members=["bob"])
        assert (await self.set_topic("bob", TOPIC, "staff"))[0] == 200
        raw = await self.refused(404, "not_found", self.set_topic("carl", "peek", "staff"))
        assert b"Staff Only" not in raw and TOPIC.encode() not in raw
        await self.refused(404, "not_found", self.set_topic("carl", "x", "no-such-room"))
        await self.refused(401, "unauthorized", self.set_topic(None, "x", "news"))  # type: ignore[arg-type]
        assert await self.topic_of("staff") == TOPIC and await self.topic_of("staff", "carl") is None

    @gen_test(timeout=30)
    async def test_a_direct_conversation_s_members_set_it(self) -> None:
        """Nobody manages a direct room, yet its members set its topic; an outsider gets 404."""
        await self.news()
        status, direct, _ = await self.api("POST", "/api/direct", "ann", {"members": ["bob"]})
        assert status == 201 and direct["topic"] == ""
        status, entry, _ = await self.set_topic("bob", "the trip", direct["room"])
        assert (status, entry["topic"], sorted(entry["members"])) == (200, "the trip", ["ann", "bob"])
        await self.refused(404, "not_found", self.set_topic("carl", "x", direct["room"]))
        assert await self.topic_of(direct["room"]) == "the trip"

    @gen_test(timeout=30)
    async def test_a_bot_sets_it_where_it_posts(self) -> None:
        """A bot that is a member of the room sets its topic; one that is not: 403."""
        await self.news()
        await self.create("ann", "builds", "open")
        key = await self.make_bot("ci", "builds")
        headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
        response = await self.raw_fetch("PATCH", "/api/rooms/builds", headers, b'{"topic": "main: green"}')
        assert response.code == 200 and await self.topic_of("builds") == "main: green"
        response = await self.raw_fetch("PATCH", "/api/rooms/news", headers, b'{"topic": "spam"}')
        assert response.code == 403 and await self.topic_of() == ""

    @gen_test(timeout=30)
    async def test_a_body_mixing_it_with_a_manager_s_fields_is_refused_whole(self) -> None:
        """bob's topic with a title or archiving: 403 and nothing changes; ann's goes through whole; ann's
        with a bad topic: 400 and the title stays."""
        await self.news()
        for extra in ({"title": "Mine"}, {"archived": True}, {"posting": "managers"}, {"title": "news"}):
            body = {"topic": "both", **extra}
            await self.refused(403, "forbidden", self.api("PATCH", "/api/rooms/news", "bob", body))
        news = await self.listed("news")
        assert (news["topic"], news["title"], news["archived"], news["posting"]) == (
            "",
            "news",
            False,
            "everyone",
        )
        body = {"topic": "x" * 300, "title": "Renamed"}
        await self.refused(400, "too_long", self.api("PATCH", "/api/rooms/news", "ann", body))
        assert await self.topic_of() == ""
        status, entry, _ = await self.api(
            "PATCH", "/api/rooms/news", "ann", {"topic": TOPIC, "title": "News"}
        )
        assert (status, entry["topic"], entry["title"]) == (200, TOPIC, "News")
        body = {"topic": "later", "title": "Later", "archived": "yes"}
        await self.refused(400, "bad_request", self.api("PATCH", "/api/rooms/news", "ann", body))
        assert await self.topic_of() == TOPIC and (await self.listed("news"))["title"] == "News"
        body = {"topic": "Closed for the summer", "archived": True}
        status, entry, _ = await self.api("PATCH", "/api/rooms/news", "ann", body)
        assert (status, entry["topic"], entry["archived"]) == (200, "Closed for the summer", True)

    # --- who hears of it ----------------------------------------------------------------------------

    async def topic_frame(self, client: Client) -> dict[str, Any]:
        """The next room frame about a topic: the room's "created" may come late, on its own way."""
        while (frame := await self.recv_type(client, "room"))["change"] != "topic":
            pass
        return frame

    @gen_test(timeout=30)
    async def test_everyone_who_sees_the_room_hears_who_set_it(self) -> None:
        """bob in the room and carl in another get a room frame "topic" with the entry and "by"; the
        same topic again tells nobody anything."""
        await self.news()
        await self.create("ann", "lobby", "open")
        bob, carl = await self.watching("bob"), await self.watching("carl", "lobby")
        await self.set_topic("ann", TOPIC)
        for client in (bob, carl):
            frame = await self.topic_frame(client)
            assert (frame["change"], frame["by"], frame["room"]["room"], frame["room"]["topic"]) == (
                "topic",
                "ann",
                "news",
                TOPIC,
            )
        await self.set_topic("root", TOPIC)
        await self.set_topic("bob", "")
        for client in (bob, carl):
            frame = await self.topic_frame(client)
            assert (frame["change"], frame["by"], frame["room"]["topic"]) == ("topic", "bob", "")

    @gen_test(timeout=30)
    async def test_a_closed_room_s_topic_reaches_its_members_only(self) -> None:
        """carl, outside the closed room, hears nothing of its topic; bob, a member elsewhere, does."""
        await self.news()
        await self.create("ann", "staff", "closed", members=["bob"])
        bob, carl = await self.watching("bob"), await self.watching("carl")
        await self.set_topic("ann", TOPIC, "staff")
        frame = await self.topic_frame(bob)
        assert (frame["room"]["room"], frame["by"]) == ("staff", "ann")
        await self.nothing_more(carl, 0.5)
        client = await self.connect(room="staff", token=token_for("carl"))
        assert (await self.recv(client))["code"] == "not_found"


class TopicOnPostgresTest(OnPostgres, TopicTest):
    """The same, with the rooms in PostgreSQL."""
