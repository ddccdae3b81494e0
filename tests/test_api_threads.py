"""Followed threads over the API: who follows by starting, replying or being mentioned, the list with its
unread replies, following and reading at will, every refusal with its code, no byte of a room one may
not read (never could, or no longer), and one's other pages told."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from typing import Any
from urllib.parse import quote

from tornado.testing import gen_test

from tests.chat_case import Client, OnPostgres
from tests.rooms_case import RoomsCase
from tests.test_outsiders import SECRET, TITLE

NO_SUCH = {"error": "not_found", "message": "there is no such message, or you may not see it"}
EMPTY = b'{"threads":[],"unread":0,"mentions":0,"next":null}'


class ThreadsTest(RoomsCase):
    """ann, bob and cid are people; the rooms each test makes are theirs."""

    async def write(self, client: Client, text: str, thread: int | None = None) -> int:
        """Write a message (a reply in ``thread``); its id."""
        self.refs = getattr(self, "refs", 0) + 1
        frame: dict[str, Any] = {"type": "message", "message": text, "ref": f"r{self.refs}"}
        if thread is not None:
            frame["thread"] = thread
        await self.send(client, frame)
        return int((await self.recv_type(client, "ack"))["id"])

    async def threads(self, who: str, query: str = "") -> dict[str, Any]:
        status, body, _ = await self.api("GET", f"/api/me/threads{query}", who)
        assert status == 200, body
        assert isinstance(body, dict)
        return body

    async def listed_once(self, who: str, count: int) -> dict[str, Any]:
        """The list once it holds ``count`` threads: follows are stored just after the reply."""
        for _ in range(100):
            body = await self.threads(who)
            if len(body["threads"]) == count:
                return body
            await asyncio.sleep(0.02)
        raise AssertionError(f"{who} follows {body['threads']}")

    def path(self, room: str, root: int | str, what: str) -> str:
        return f"/api/me/threads/{quote(room)}/{root}/{what}"

    async def started(self, room: str = "lobby", kind: str = "open", **extra: Any) -> tuple[Client, int]:
        """ann and bob (and cid); ann's room with a root of hers; her connection and the root's id."""
        for name in ("ann", "bob", "cid"):
            await self.person(name)
        await self.create("ann", room, kind, **extra)
        ann = await self.inside("ann", room)
        return ann, await self.write(ann, "lunch on friday?")

    @gen_test(timeout=30)
    async def test_starting_replying_and_being_mentioned_follow_a_thread(self) -> None:
        """bob's replies make him and ann (the root's) follow, @cid makes cid follow; each sees the replies
        they have not read, cid's with a mention, and reading the last reply clears ann's."""
        _ann, root = await self.started()
        bob = await self.inside("bob", "lobby")
        first = await self.write(bob, "yes", root)
        last = await self.write(bob, "and @cid too", root)
        listed = await self.listed_once("ann", 1)
        (entry,) = listed["threads"]
        assert (entry["room"], entry["root"], entry["read_id"], entry["last_id"]) == ("lobby", root, 0, last)
        assert entry["message"]["message"] == "lunch on friday?" and entry["message"]["replies"]["count"] == 2
        assert (entry["unread"], entry["mention"], entry["authors"]) == (2, False, ["bob"])
        assert (listed["unread"], listed["mentions"], listed["next"]) == (1, 0, None)
        cids = (await self.listed_once("cid", 1))["threads"][0]
        assert (cids["unread"], cids["mention"]) == (2, True)
        bobs = (await self.listed_once("bob", 1))["threads"][0]
        assert (bobs["unread"], bobs["read_id"]) == (0, last)
        status, read, _ = await self.api("PUT", self.path("lobby", root, "read"), "ann", {"id": last})
        assert (status, read) == (200, {"room": "lobby", "root": root, "following": True, "read_id": last})
        again = await self.threads("ann")
        assert (again["unread"], again["threads"][0]["unread"]) == (0, 0)
        assert first < last

    @gen_test(timeout=30)
    async def test_unfollowing_and_following_again(self) -> None:
        """DELETE follow takes the thread off ann's list (the root's rule does not bring it back); PUT
        follows again; a thread of no replies may be followed too."""
        ann, root = await self.started()
        bob = await self.inside("bob", "lobby")
        await self.write(bob, "yes", root)
        await self.listed_once("ann", 1)
        status, body, _ = await self.api("DELETE", self.path("lobby", root, "follow"), "ann")
        assert (status, body) == (200, {"room": "lobby", "root": root, "following": False, "read_id": 0})
        await self.write(bob, "still on?", root)
        await asyncio.sleep(0.2)
        assert (await self.threads("ann"))["threads"] == []
        status, body, _ = await self.api("PUT", self.path("lobby", root, "follow"), "ann")
        assert (status, body["following"]) == (200, True)
        assert [e["unread"] for e in (await self.threads("ann"))["threads"]] == [2]
        quiet = await self.write(ann, "nobody answers this")
        assert (await self.api("PUT", self.path("lobby", quiet, "follow"), "ann"))[0] == 200
        listed = await self.threads("ann")
        assert [e["root"] for e in listed["threads"]] == [root, quiet]

    @gen_test(timeout=30)
    async def test_the_list_pages_unread_first_then_by_latest_reply(self) -> None:
        """Three followed threads, the oldest-answered unread: it comes first, then the others newest
        reply first; limit 2 names the next page, which holds the last."""
        ann, first = await self.started()
        second, third = await self.write(ann, "second"), await self.write(ann, "third")
        bob = await self.inside("bob", "lobby")
        await self.write(bob, "on the first", first)
        for root in (second, third):
            await self.write(ann, "my own", root)
        await self.write(ann, "my own too", second)
        listed = await self.listed_once("ann", 3)
        assert [e["root"] for e in listed["threads"]] == [first, second, third]
        page = await self.threads("ann", "?limit=2")
        assert [e["root"] for e in page["threads"]] == [first, second]
        assert page["next"] == "/api/me/threads?offset=2&limit=2"
        rest = await self.threads("ann", page["next"].removeprefix("/api/me/threads"))
        assert [e["root"] for e in rest["threads"]] == [third] and rest["next"] is None

    @gen_test(timeout=30)
    async def test_every_refusal(self) -> None:
        """Nobody: 401; a bot: 403; a bad id, offset, limit or read id: 400 bad_request; a reply as a root:
        400 bad_thread; no room, no message: 404 not_found, one answer. Nothing is followed by any."""
        ann, root = await self.started()
        key = await self.bot("ci")
        reply = await self.write(ann, "a reply", root)
        for method, what in (("PUT", "follow"), ("DELETE", "follow"), ("PUT", "read")):
            await self.refused(401, "unauthorized", self.api(method, self.path("lobby", root, what)))
        await self.refused(401, "unauthorized", self.api("GET", "/api/me/threads"))
        response = await self.raw_fetch("GET", "/api/me/threads", {"Authorization": key}, None)
        assert (response.code, b'"forbidden"' in response.body) == (403, True)
        for bad in ("abc", "0", "-1", "9" * 19):
            await self.refused(400, "bad_request", self.api("PUT", self.path("lobby", bad, "follow"), "bob"))
        for query in ("?offset=-1", "?offset=x", "?limit=0"):
            await self.refused(400, "bad_request", self.api("GET", f"/api/me/threads{query}", "bob"))
        for body in ({}, {"id": -1}, {"id": "3"}, {"id": True}, {"id": 2**63}):
            await self.refused(
                400, "bad_request", self.api("PUT", self.path("lobby", root, "read"), "bob", body)
            )
        bad_thread = await self.refused(
            400, "bad_thread", self.api("PUT", self.path("lobby", reply, "follow"), "bob")
        )
        assert f"message {reply} is a reply in a thread".encode() in bad_thread
        answers = [
            await self.refused(
                404, "not_found", self.api("PUT", self.path("nowhere", root, "follow"), "bob")
            ),
            await self.refused(404, "not_found", self.api("PUT", self.path("lobby", 99, "follow"), "bob")),
            await self.refused(
                404, "not_found", self.api("PUT", self.path("lobby", 99, "read"), "bob", {"id": 1})
            ),
        ]
        assert set(answers) == {
            b'{"error":"not_found","message":"there is no such message, or you may not see it"}'
        }
        _, _, raw = await self.api("GET", "/api/me/threads", "bob")
        assert raw == EMPTY

    @gen_test(timeout=30)
    async def test_an_outsider_follows_nothing_of_a_closed_room(self) -> None:
        """cid, no member of ann's closed room, is answered as for a room that does not exist, and a
        mention of him there follows nothing for him."""
        ann, root = await self.started("hidden-plans", "closed", title=TITLE, members=["bob"])
        await self.write(ann, f"{SECRET}, ask @cid", root)
        _, nowhere, _ = await self.api("PUT", self.path("no-room-at-all", 1, "follow"), "cid")
        for what, body in (("follow", None), ("read", {"id": 5})):
            status, answer, raw = await self.api("PUT", self.path("hidden-plans", root, what), "cid", body)
            assert (status, answer) == (404, nowhere) and SECRET.encode() not in raw
        await asyncio.sleep(0.2)
        _, _, raw = await self.api("GET", "/api/me/threads", "cid")
        assert raw == EMPTY

    async def followed_then_shut_out(self, shut_out: Any) -> tuple[int, int]:
        """bob, a member of ann's closed room, follows a thread of the secret by replying; then
        ``shut_out()``; the root's and a later reply's ids."""
        ann, root = await self.started("hidden-plans", "closed", title=TITLE, members=["bob"])
        bob = await self.inside("bob", "hidden-plans")
        await self.write(bob, "count me in", root)
        await self.recv_type(ann, "user")
        later = await self.write(ann, SECRET, root)
        listed = await self.listed_once("bob", 1)
        assert listed["threads"][0]["unread"] == 1
        await shut_out()
        return root, later

    async def no_byte_for_bob(self, root: int, later: int, room: str = "hidden-plans") -> None:
        _, _, raw = await self.api("GET", "/api/me/threads", "bob")
        assert raw == EMPTY
        for what, body in (("follow", None), ("read", {"id": later})):
            status, answer, raw = await self.api("PUT", self.path(room, root, what), "bob", body)
            assert (status, answer) == (404, NO_SUCH) and SECRET.encode() not in raw

    @gen_test(timeout=30)
    async def test_a_removed_member_gets_no_byte_until_added_back(self) -> None:
        """Removed, bob's list leaves the thread out, with no byte of it; added back, it shows again."""

        async def remove() -> None:
            assert (await self.api("DELETE", "/api/rooms/hidden-plans/members/bob", "ann"))[0] == 204

        root, later = await self.followed_then_shut_out(remove)
        await self.no_byte_for_bob(root, later)
        assert (await self.api("POST", "/api/rooms/hidden-plans/members", "ann", {"name": "bob"}))[0] == 201
        assert [e["root"] for e in (await self.threads("bob"))["threads"]] == [root]

    @gen_test(timeout=30)
    async def test_one_who_left_gets_no_byte(self) -> None:
        """bob leaves the room himself: the same as removed."""

        async def leave() -> None:
            assert (await self.api("DELETE", "/api/rooms/hidden-plans/members/bob", "bob"))[0] == 204

        await self.no_byte_for_bob(*await self.followed_then_shut_out(leave))

    @gen_test(timeout=30)
    async def test_one_barred_from_an_open_room_gets_no_byte(self) -> None:
        """Barred from an open room, bob's followed thread of it is left out, with no byte of it."""
        ann, root = await self.started("town", "open")
        bob = await self.inside("bob", "town")
        await self.write(bob, "count me in", root)
        await self.recv_type(ann, "user")
        later = await self.write(ann, SECRET, root)
        await self.listed_once("bob", 1)
        assert (await self.api("POST", "/api/rooms/town/bars", "ann", {"name": "bob"}))[0] == 201
        await self.no_byte_for_bob(root, later, "town")

    @gen_test(timeout=30)
    async def test_one_who_left_a_direct_room_gets_no_byte_until_back(self) -> None:
        """bob follows a thread of their direct room, then leaves it: no byte of it in his list; opening
        the conversation again brings it back."""
        for name in ("ann", "bob"):
            await self.person(name)
        _, dm, _ = await self.api("POST", "/api/direct", "ann", {"members": ["bob"]})
        room = dm["room"]
        ann = await self.inside("ann", room)
        root = await self.write(ann, "a question")
        later = await self.write(ann, f"{SECRET}, @bob?", root)
        await self.listed_once("bob", 1)
        assert (await self.api("DELETE", f"/api/rooms/{room}/members/bob", "bob"))[0] == 204
        await self.no_byte_for_bob(root, later, room)
        assert (await self.api("POST", "/api/direct", "bob", {"members": ["ann"]}))[0] == 200
        assert [e["root"] for e in (await self.threads("bob"))["threads"]] == [root]

    @gen_test(timeout=30)
    async def test_reading_and_following_tell_ones_other_pages_and_nobody_else(self) -> None:
        """ann's two connections get a thread frame for a read and an unfollow; bob's gets none."""
        first, root = await self.started()
        second = await self.inside("ann", "lobby")
        bob = await self.inside("bob", "lobby")
        reply = await self.write(bob, "yes", root)
        await self.listed_once("ann", 1)
        for client in (first, second):
            await self.recv_type(client, "user")
        await self.api("PUT", self.path("lobby", root, "read"), "ann", {"id": reply})
        told = {"type": "thread", "room": "lobby", "root": root, "following": True, "read_id": reply}
        for client in (first, second):
            assert await self.recv_type(client, "thread") == told
        await self.api("DELETE", self.path("lobby", root, "follow"), "ann")
        for client in (first, second):
            assert await self.recv_type(client, "thread") == {**told, "following": False}
        await self.nothing_more(bob, ignoring=("unread", "sys", "thread_reply"))

    @gen_test(timeout=30)
    async def test_a_reply_is_told_to_its_followers_but_the_author_and_those_who_blocked_them(self) -> None:
        """bob's reply reaches ann (the root's) as a thread_reply frame, not bob; cid, blocked by ann,
        replies: bob hears of it, ann does not, cid neither; @ann in a reply says it mentions her."""
        ann, root = await self.started()
        bob = await self.inside("bob", "lobby")
        cid = await self.inside("cid", "lobby")
        reply = await self.write(bob, "yes", root)
        told = {"type": "thread_reply", "room": "lobby", "root": root, "id": reply, "mention": False}
        assert await self.recv_type(ann, "thread_reply") == told
        assert (await self.api("PUT", "/api/me/blocks/cid", "ann"))[0] in (200, 201, 204)
        blocked = await self.write(cid, "me too", root)
        assert await self.recv_type(bob, "thread_reply") == {**told, "id": blocked}
        mention = await self.write(bob, "@ann, noon?", root)
        assert await self.recv_type(ann, "thread_reply") == {**told, "id": mention, "mention": True}
        # cid follows once he replied: told of bob's reply, never of his own.
        assert await self.recv_type(cid, "thread_reply") == {**told, "id": mention}

    @gen_test(timeout=30)
    async def test_a_deleted_reply_tells_its_followers_their_follow_to_count_again(self) -> None:
        """bob deletes his reply: ann, who follows the thread, is told her follow as it is (a thread frame)
        and her list no longer counts it; cid, who follows nothing, hears nothing of it."""
        ann, root = await self.started()
        bob = await self.inside("bob", "lobby")
        cid = await self.inside("cid", "lobby")
        reply = await self.write(bob, "yes", root)
        await self.recv_type(ann, "thread_reply")
        assert (await self.listed_once("ann", 1))["unread"] == 1
        await self.send(bob, {"type": "delete", "id": reply, "ref": "d"})
        told = {"type": "thread", "room": "lobby", "root": root, "following": True, "read_id": 0}
        assert await self.recv_type(ann, "thread") == told
        assert (await self.threads("ann"))["unread"] == 0
        await self.nothing_more(cid, ignoring=("unread", "sys", "user", "delete"))


class ThreadsOnPostgresTest(OnPostgres, ThreadsTest):
    """The same, the server storing in PostgreSQL."""


class GuestThreadsTest(RoomsCase):
    """Where guests are let in, a guest still follows nothing."""

    settings = replace(RoomsCase.settings, guests=True)

    @gen_test(timeout=30)
    async def test_a_guest_is_asked_to_sign_in(self) -> None:
        """The list, following, unfollowing and reading answer a guest 401 unauthorized."""
        await self.refused(401, "unauthorized", self.api("GET", "/api/me/threads"))
        for method, what in (("PUT", "follow"), ("DELETE", "follow"), ("PUT", "read")):
            await self.refused(401, "unauthorized", self.api(method, f"/api/me/threads/lobby/1/{what}"))
