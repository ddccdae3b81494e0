"""Threads on the socket and the API: replies in a thread, refusals, summaries, recovery, access."""

from __future__ import annotations

import asyncio

from tornado.testing import gen_test

from chatroom import protocol
from tests import test_session_changes
from tests.chat_case import OnPostgres
from tests.rooms_case import RoomsCase


class ThreadsTest(RoomsCase):
    """ann and bob in the open room "town"; root is an administrator."""

    joined = test_session_changes.ChangesTest.joined
    town = test_session_changes.ChangesTest.town
    ask = test_session_changes.ChangesTest.ask
    post = test_session_changes.ChangesTest.post

    async def read(self, query: str, who: str = "bob", room: str = "town") -> list[dict[str, object]]:
        """The messages the API answers ``who`` for ``?query``."""
        status, body, _ = await self.api("GET", f"/api/rooms/{room}/messages?{query}", who)
        assert status == 200, body
        return list(body["messages"])

    @gen_test(timeout=30)
    async def test_a_thread_reply_reaches_everyone_with_its_root_and_the_root_sums_it_up(self) -> None:
        """bob replies in ann's thread: acked with the room's next id, a user frame with "thread" to
        both; a newcomer's history shows the root's replies summed up and the reply in its thread."""
        ann, bob = await self.town()
        root = await self.post(ann, "lunch at noon?")
        await self.recv_type(bob, "user")
        ack = await self.ask(bob, {"type": "message", "message": "count me in", "thread": root})
        assert ack == {"type": "ack", "ref": "r", "id": root + 1}
        heard = await self.recv_type(ann, "user")
        assert heard == {
            "type": "user", "id": root + 1, "room": "town", "nick": "bob", "message": "count me in",
            "ts": heard["ts"], "thread": root,
        }  # fmt: skip
        _, history = await self.joined("carl")
        first, reply = history["messages"]
        assert first["replies"] == {"count": 1, "last_id": root + 1, "last_at": heard["ts"]}
        assert (reply["thread"], "replies" in reply, "thread" in first) == (root, False, False)

    @gen_test(timeout=60)
    async def test_every_thread_refusal_is_an_error_and_the_connection_stays(self) -> None:
        """No such message, a deleted one, a thread reply, another room's, a bad id: each refused with its
        exact code and ref; ann carries on, bob hears nothing of them, nothing takes an id."""
        await self.create("ann", "elsewhere", "open")
        ann, bob = await self.town()
        root = await self.post(ann, "root")
        reply = await self.post(ann, "in it", thread=root)
        gone = await self.post(ann, "going")
        await self.ask(ann, {"type": "delete", "id": gone})
        for _ in range(4):
            await self.recv(bob)
        there, _ = await self.joined("ann", "elsewhere")
        await self.post(there, "there")
        await self.post(there, "there too")
        last = gone + 1
        refusals = [
            (9999, protocol.BAD_THREAD, "there is no message 9999 in this room to reply in a thread to"),
            (gone, protocol.BAD_THREAD, f"there is no message {gone} in this room to reply in a thread to"),
            (reply, protocol.BAD_THREAD, f"message {reply} is a reply in a thread: reply in its thread, "
             f"to message {root}"),
            (last, protocol.BAD_THREAD, None),
            (0, protocol.BAD_REQUEST, None),
            ("1", protocol.BAD_REQUEST, '"thread" must be a message id from 1 to 9223372036854775807'),
            (True, protocol.BAD_REQUEST, None),
        ]  # fmt: skip
        for thread, code, message in refusals:
            error = await self.ask(ann, {"type": "message", "message": "hm", "thread": thread})
            assert (error["type"], error["code"], error["ref"]) == ("error", code, "r"), (thread, error)
            assert message is None or error["message"] == message
        await self.nothing_more(bob)
        assert await self.post(ann, "still here", thread=root) == last + 1
        assert (await self.recv_type(bob, "user"))["id"] == last + 1

    @gen_test(timeout=30)
    async def test_since_brings_thread_replies_made_while_away(self) -> None:
        """bob away while ann replies in a thread and edits her reply: back with since, exactly those."""
        ann, bob = await self.town()
        root = await self.post(ann, "root")
        last_seen = (await self.recv_type(bob, "user"))["id"]
        bob.close()
        reply = await self.post(ann, "a reply", thread=root)
        edit = await self.ask(ann, {"type": "edit", "id": reply, "message": "a reply, edited"})
        after = await self.post(ann, "main again")
        bob, history = await self.joined("bob", since=last_seen)
        assert [(m["id"], m["message"], m.get("thread")) for m in history["messages"]] == [
            (reply, "a reply, edited", root),
            (after, "main again", None),
        ]
        assert [(c["type"], c["id"], c["target"]) for c in history["changes"]] == [
            ("edit", edit["id"], reply)
        ]
        await self.nothing_more(bob)

    @gen_test(timeout=30)
    async def test_changes_to_a_thread_reply_work_as_on_any_message(self) -> None:
        """A reaction, a pin and a deletion of a reply reach the room as on any message."""
        ann, bob = await self.town()
        root = await self.post(ann, "root")
        reply = await self.post(bob, "reply", thread=root)
        react = await self.ask(ann, {"type": "react", "id": reply, "emoji": "👍", "on": True})
        pin = await self.ask(ann, {"type": "pin", "id": reply, "on": True})
        delete = await self.ask(bob, {"type": "delete", "id": reply})
        assert [react["id"], pin["id"], delete["id"]] == [reply + 1, reply + 2, reply + 3]
        read = await self.read(f"thread={root}")
        assert [(m["id"], m.get("deleted"), m.get("thread")) for m in read] == [
            (root, None, None),
            (reply, True, root),
        ]
        assert "replies" not in read[0]

    @gen_test(timeout=30)
    async def test_the_api_reads_a_thread_and_the_main_timeline(self) -> None:
        """?thread= answers the root and its replies, paged; ?top=1 the messages in no thread."""
        ann, _ = await self.town()
        root = await self.post(ann, "root")
        replies = [await self.post(ann, f"reply {n}", thread=root) for n in range(3)]
        main = await self.post(ann, "main")
        assert [m["id"] for m in await self.read(f"thread={root}")] == [root, *replies]
        assert [m["id"] for m in await self.read(f"thread={root}&limit=2")] == replies[1:]
        assert [m["id"] for m in await self.read(f"thread={root}&before={replies[1]}")] == [root, replies[0]]
        assert [m["id"] for m in await self.read(f"thread={root}&after={root}&limit=1")] == replies[:1]
        top = await self.read("top=1")
        assert [m["id"] for m in top] == [root, main]
        assert top[0]["replies"] == {
            "count": 3,
            "last_id": replies[-1],
            "last_at": top[0]["replies"]["last_at"],
        }
        assert [m["id"] for m in await self.read(f"top=1&around={main}&limit=3")] == [root, main]
        assert [m["id"] for m in await self.read("")] == [root, *replies, main]
        for query in (f"thread={root}&top=1", "top=2", "thread=x"):
            await self.refused(
                400, "bad_request", self.api("GET", f"/api/rooms/town/messages?{query}", "bob")
            )

    @gen_test(timeout=30)
    async def test_a_history_request_may_ask_for_the_main_timeline_only(self) -> None:
        """``"top": true`` pages back over messages in no thread; without it, every message."""
        ann, _ = await self.town()
        root = await self.post(ann, "root")
        replies = [await self.post(ann, f"reply {n}", thread=root) for n in range(3)]
        main = await self.post(ann, "main")
        await self.send(ann, {"type": "history", "before": main + 1, "limit": 2, "top": True})
        assert [m["id"] for m in (await self.recv_type(ann, "history"))["messages"]] == [root, main]
        await self.send(ann, {"type": "history", "before": main + 1, "limit": 2})
        assert [m["id"] for m in (await self.recv_type(ann, "history"))["messages"]] == [replies[-1], main]
        await self.send(ann, {"type": "history", "before": main, "top": 1, "ref": "h"})
        error = await self.recv_type(ann, "error")
        assert (error["code"], error["ref"]) == (protocol.BAD_REQUEST, "h")

    @gen_test(timeout=30)
    async def test_a_bot_posts_in_a_thread(self) -> None:
        """A bot's POST takes "thread": stored in it, heard with it; a bad root answers 400 bad_thread."""
        ann, _ = await self.town()
        key = await self.bot("helper")
        status, _, _ = await self.api("POST", "/api/rooms/town/members", "ann", {"name": "helper"})
        assert status == 201
        root = await self.post(ann, "deploy?")
        headers = {"Authorization": key, "Content-Type": "application/json"}
        sent = await self.raw_fetch(
            "POST", "/api/rooms/town/messages", headers, b'{"message": "deployed", "thread": %d}' % root
        )
        assert sent.code == 201, sent.body
        assert (await self.recv_type(ann, "user"))["thread"] == root
        loud = await self.raw_fetch(
            "POST",
            "/api/rooms/town/messages",
            headers,
            b'{"message": "all", "thread": %d, "broadcast": true}' % root,
        )
        assert loud.code == 201 and b'"broadcast":true' in loud.body
        refused = await self.raw_fetch(
            "POST", "/api/rooms/town/messages", headers, b'{"message": "x", "thread": %d}' % (root + 1)
        )
        assert refused.code == 400 and b'"error":"bad_thread"' in refused.body

    @gen_test(timeout=30)
    async def test_an_outsider_and_a_removed_member_get_no_byte_of_a_thread(self) -> None:
        """A closed room's thread read by an outsider, by bob once taken out, with no credentials, and of a
        room that does not exist: 404 not_found each (401 without credentials), the thread's text in none."""
        await self.person("bob")
        await self.person("carl")
        await self.create("ann", "plans", "closed")
        assert (await self.api("POST", "/api/rooms/plans/members", "ann", {"name": "bob"}))[0] == 201
        ann, _ = await self.joined("ann", "plans")
        root = await self.post(ann, "the secret plan")
        await self.post(ann, "the secret detail", thread=root)
        assert len(await self.read(f"thread={root}", "bob", "plans")) == 2
        assert (await self.api("DELETE", "/api/rooms/plans/members/bob", "ann"))[0] == 204
        for who, room in (("carl", "plans"), ("bob", "plans"), (None, "plans"), ("carl", "nowhere")):
            status, code = (404, "not_found") if who else (401, "unauthorized")
            for query in (f"thread={root}", f"thread={root}&after=0", "top=1"):
                raw = await self.refused(
                    status, code, self.api("GET", f"/api/rooms/{room}/messages?{query}", who)
                )
                assert b"secret" not in raw

    @gen_test(timeout=30)
    async def test_a_reply_also_sent_to_the_room_is_in_the_main_timeline_too(self) -> None:
        """``"broadcast": true`` beside ``thread``: the frames say so, ?top=1 keeps it; broadcast without a
        thread, or not a boolean, is bad_request and the connection stays."""
        ann, bob = await self.town()
        root = await self.post(ann, "root")
        quiet = await self.post(ann, "quiet", thread=root)
        loud = await self.post(ann, "loud", thread=root, broadcast=True)
        heard = [await self.recv_type(bob, "user") for _ in range(3)]
        assert [(f["id"], f.get("thread"), f.get("broadcast")) for f in heard] == [
            (root, None, None),
            (quiet, root, None),
            (loud, root, True),
        ]
        assert [m["id"] for m in await self.read("top=1")] == [root, loud]
        for extra, message in (
            ({"broadcast": True}, '"broadcast" goes with a "thread": a reply also sent to the room'),
            ({"thread": root, "broadcast": "yes"}, '"broadcast" must be true or false'),
        ):
            error = await self.ask(ann, {"type": "message", "message": "hm", **extra})
            assert (error["type"], error["code"], error["message"]) == (
                "error",
                protocol.BAD_REQUEST,
                message,
            )
        await self.nothing_more(bob)
        assert await self.post(ann, "still here") == loud + 1

    @gen_test(timeout=30)
    async def test_search_finds_a_thread_reply_and_names_its_thread(self) -> None:
        """A search result that is a thread reply says which thread; a root's says none."""
        ann, _ = await self.town()
        root = await self.post(ann, "the plan for friday")
        reply = await self.post(ann, "friday at nine", thread=root)
        status, body, _ = await self.api("GET", "/api/search?q=friday&room=town", "bob")
        assert status == 200, body
        assert [(r["id"], r.get("thread")) for r in body["results"]] == [(reply, root), (root, None)]

    @gen_test(timeout=30)
    async def test_typing_a_reply_names_its_thread_and_a_bad_thread_is_refused(self) -> None:
        """ann types in a thread: bob's typing frame names it (plain typing names none); a thread that is
        not an id is bad_request with its ref, the connection stays, bob hears nothing of it."""
        ann, bob = await self.town()
        root = await self.post(ann, "root")
        await self.recv_type(bob, "user")
        await self.send(ann, {"type": "typing", "thread": root})
        assert await self.recv_type(bob, "typing") == {
            "type": "typing",
            "room": "town",
            "nick": "ann",
            "thread": root,
        }
        await asyncio.sleep(1.1)  # typing is a hint, at most one a second
        await self.send(ann, {"type": "typing"})
        assert await self.recv_type(bob, "typing") == {"type": "typing", "room": "town", "nick": "ann"}
        for bad in ("1", 0, True):
            error = await self.ask(ann, {"type": "typing", "thread": bad})
            assert (error["type"], error["code"], error["ref"]) == ("error", protocol.BAD_REQUEST, "r")
        await self.nothing_more(bob)
        assert await self.post(ann, "still here", thread=root) == root + 1


class ThreadsOnPostgresTest(OnPostgres, ThreadsTest):
    """The same, the server storing in PostgreSQL."""
