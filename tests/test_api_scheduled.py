"""Scheduled messages over the API: writing one, the list, editing, deleting, sending at its time or at
once, every refusal with its code, the messages not sent (and why), no byte for an outsider, and one's
other pages told."""

from __future__ import annotations

import time
from dataclasses import replace
from typing import Any

import pytest
from tornado.testing import gen_test

from chatroom import api_scheduled
from tests.chat_case import Client, OnPostgres
from tests.rooms_case import RoomsCase
from tests.test_outsiders import SECRET, TITLE

NO_ROOM = {"error": "not_found", "message": "there is no such room, or you may not see it"}
NO_SUCH = {"error": "not_found", "message": "there is no such scheduled message"}


def soon(seconds: int = 3600) -> int:
    """A time ``seconds`` ahead, in seconds since the epoch."""
    return int(time.time()) + seconds


class ScheduledTest(RoomsCase):
    """ann and bob are people; the rooms each test makes are theirs."""

    async def schedule(self, who: str, room: str, text: str, **extra: Any) -> tuple[int, Any, bytes]:
        body = {"room": room, "message": text, "at": soon(), **extra}
        return await self.api("POST", "/api/me/scheduled", who, body)

    async def scheduled(self, who: str) -> list[dict[str, Any]]:
        status, body, _ = await self.api("GET", "/api/me/scheduled", who)
        assert status == 200, body
        return list(body["scheduled"])

    async def no_message(self, client: Client) -> None:
        """Assert no message reaches ``client`` for a moment (other frames may)."""
        ignoring = ("unread", "sys", "room", "members", "bar", "scheduled", "presence")
        await self.nothing_more(client, wait=0.3, ignoring=ignoring)

    async def due_now(self, who: str, scheduled_id: int) -> None:
        """Make the message due (as if its time had come), then let the sender look once."""
        account = await self.backend.accounts.account_by_name(who)
        assert account is not None
        await self.backend.accounts.edit_scheduled(account.id, scheduled_id, at=1)
        await self.app.scheduled_sender.send_due()

    @gen_test(timeout=30)
    async def test_a_message_is_scheduled_listed_edited_and_deleted(self) -> None:
        """POST answers its entry; the list is soonest first; PATCH changes text and time; DELETE
        forgets it (again: 404). Nothing reaches the room meanwhile."""
        await self.person("ann")
        await self.create("ann", "lobby", "open")
        watcher = await self.inside("ann", "lobby")
        status, later, _ = await self.schedule("ann", "lobby", "later on", at=soon(7200))
        assert status == 201, later
        assert {k: later[k] for k in ("room", "message", "reply_to", "thread", "broadcast", "not_sent")} == {
            "room": "lobby",
            "message": "later on",
            "reply_to": None,
            "thread": None,
            "broadcast": False,
            "not_sent": None,
        }
        _, sooner, _ = await self.schedule("ann", "lobby", "  sooner  ", at=soon(60))
        assert sooner["message"] == "sooner"
        assert [e["id"] for e in await self.scheduled("ann")] == [sooner["id"], later["id"]]
        moved = soon(30)
        status, edited, _ = await self.api(
            "PATCH", f"/api/me/scheduled/{later['id']}", "ann", {"message": "now sooner", "at": moved}
        )
        assert status == 200 and (edited["message"], edited["at"]) == ("now sooner", moved)
        assert [e["id"] for e in await self.scheduled("ann")] == [later["id"], sooner["id"]]
        for expected in (204, 404):
            status, _, _ = await self.api("DELETE", f"/api/me/scheduled/{later['id']}", "ann")
            assert status == expected
        assert [e["id"] for e in await self.scheduled("ann")] == [sooner["id"]]
        await self.nothing_more(watcher, ignoring=("unread", "scheduled"))

    @gen_test(timeout=30)
    async def test_at_its_time_it_is_sent_as_the_authors_message_once(self) -> None:
        """Due, it reaches every member as ann's message (her other page too), leaves her list, and a
        second look sends nothing more; her pages are told the list changed."""
        await self.person("ann")
        await self.person("bob")
        await self.create("ann", "lobby", "open")
        ann, bob = await self.inside("ann", "lobby"), await self.inside("bob", "lobby")
        _, row, _ = await self.schedule("ann", "lobby", "good morning @bob")
        assert (await self.recv_type(ann, "scheduled")) == {"type": "scheduled", "room": "lobby"}
        await self.due_now("ann", row["id"])
        for client in (ann, bob):
            frame = await self.recv_type(client, "user")
            assert (frame["nick"], frame["message"]) == ("ann", "good morning @bob")
        assert await self.recv_type(ann, "scheduled") == {"type": "scheduled", "room": "lobby"}
        assert await self.scheduled("ann") == []
        await self.app.scheduled_sender.send_due()
        await self.nothing_more(bob, ignoring=("unread", "sys"))
        _, history, _ = await self.api("GET", "/api/rooms/lobby/messages", "bob")
        assert [m["message"] for m in history["messages"]] == ["good morning @bob"]

    @gen_test(timeout=30)
    async def test_sent_it_counts_as_unread_and_mentions_as_any_message(self) -> None:
        """bob, reading another room, sees plans' count and his mention rise when ann's scheduled
        "@bob" message goes out."""
        await self.person("ann")
        await self.person("bob")
        await self.create("ann", "plans", members=["bob"])
        await self.create("bob", "other")
        elsewhere = await self.inside("bob", "other")
        _, row, _ = await self.schedule("ann", "plans", "@bob the plan is ready")
        await self.due_now("ann", row["id"])
        while (frame := await self.recv_type(elsewhere, "unread"))["room"] != "plans":
            pass
        assert (frame["unread"], frame["mentions"]) == (1, 1)

    @gen_test(timeout=30)
    async def test_a_reply_and_a_thread_reply_keep_what_they_answer(self) -> None:
        """A scheduled reply is sent quoting its message; a thread reply lands in its thread, also in the
        room when broadcast."""
        await self.person("ann")
        await self.create("ann", "lobby", "open")
        ann = await self.inside("ann", "lobby")
        await self.chat(ann, "the question", "q")
        root = (await self.recv_type(ann, "ack"))["id"]
        _, reply, _ = await self.schedule("ann", "lobby", "the answer", reply_to=root)
        _, inner, _ = await self.schedule("ann", "lobby", "in the thread", thread=root, broadcast=True)
        await self.due_now("ann", reply["id"])
        frame = await self.recv_type(ann, "user")
        assert (frame["message"], frame["reply_to"]["id"]) == ("the answer", root)
        await self.due_now("ann", inner["id"])
        frame = await self.recv_type(ann, "user")
        assert (frame["message"], frame["thread"], frame["broadcast"]) == ("in the thread", root, True)

    @gen_test(timeout=30)
    async def test_send_now_sends_it_once(self) -> None:
        """POST …/send answers the stored message; a second send, or an edit after, answers 404."""
        await self.person("ann")
        await self.create("ann", "lobby", "open")
        ann = await self.inside("ann", "lobby")
        _, row, _ = await self.schedule("ann", "lobby", "right away")
        status, sent, _ = await self.api("POST", f"/api/me/scheduled/{row['id']}/send", "ann")
        assert status == 200 and sent["message"]["message"] == "right away"
        assert (await self.recv_type(ann, "user"))["id"] == sent["message"]["id"]
        again = await self.api("POST", f"/api/me/scheduled/{row['id']}/send", "ann")
        assert again[:2] == (404, NO_SUCH)
        patched = await self.api("PATCH", f"/api/me/scheduled/{row['id']}", "ann", {"message": "x"})
        assert patched[:2] == (404, NO_SUCH)

    @gen_test(timeout=30)
    async def test_every_refusal(self) -> None:
        """Nobody: 401; a bot: 403; bad times: 400 bad_time; empty, too long, control characters: as a
        message; a bad room name: 400 bad_name; no such room: 404; a reply to nothing: 400 no_message; a
        thread on nothing: 400 bad_thread; someone else's: 404. Nothing is kept, nobody is told."""
        await self.person("ann")
        await self.person("bob")
        key = await self.bot("ci")
        await self.create("ann", "lobby", "open")
        bob = await self.inside("bob", "lobby")
        path = "/api/me/scheduled"
        await self.refused(401, "unauthorized", self.api("GET", path))
        await self.refused(401, "unauthorized", self.api("POST", path, None, {"room": "lobby"}))
        for method in ("GET", "POST"):
            response = await self.raw_fetch(
                method, path, {"Authorization": key}, b"{}" if method == "POST" else None
            )
            assert (response.code, b'"forbidden"' in response.body) == (403, True)
        for at in (soon(-5), soon(367 * 24 * 3600), "tomorrow", True, 1.5, None):
            await self.refused(400, "bad_time", self.schedule("ann", "lobby", "x", at=at))
        await self.refused(400, "empty", self.schedule("ann", "lobby", "   "))
        await self.refused(400, "too_long", self.schedule("ann", "lobby", "x" * 4001))
        await self.refused(400, "bad_request", self.schedule("ann", "lobby", "bell\x07"))
        await self.refused(400, "bad_request", self.schedule("ann", "lobby", 5))
        await self.refused(400, "bad_json", self.api("POST", path, "ann", raw=b"{nope"))
        await self.refused(400, "bad_name", self.schedule("ann", "-bad", "x"))
        nowhere = await self.refused(404, "not_found", self.schedule("ann", "nowhere", "x"))
        assert nowhere == b'{"error":"not_found","message":"there is no such room, or you may not see it"}'
        await self.refused(400, "no_message", self.schedule("ann", "lobby", "x", reply_to=99))
        await self.refused(400, "bad_thread", self.schedule("ann", "lobby", "x", thread=99))
        await self.refused(400, "bad_request", self.schedule("ann", "lobby", "x", broadcast=True))
        assert await self.scheduled("ann") == []
        _, row, _ = await self.schedule("ann", "lobby", "mine")
        for method, suffix, body in (
            ("PATCH", "", {"message": "his"}),
            ("DELETE", "", None),
            ("POST", "/send", None),
        ):
            got = await self.api(method, f"{path}/{row['id']}{suffix}", "bob", body)
            assert got[:2] == (404, NO_SUCH)
        for bad in ("abc", "0", "9" * 19):
            assert (await self.api("DELETE", f"{path}/{bad}", "ann"))[:2] == (404, NO_SUCH)
        await self.refused(400, "bad_request", self.api("PATCH", f"{path}/{row['id']}", "ann", {}))
        await self.refused(400, "bad_time", self.api("PATCH", f"{path}/{row['id']}", "ann", {"at": 5}))
        assert [e["message"] for e in await self.scheduled("ann")] == ["mine"]
        assert await self.scheduled("bob") == []
        await self.nothing_more(bob, ignoring=("unread", "sys"))

    @gen_test(timeout=30)
    async def test_past_the_most_a_new_one_is_refused(self) -> None:
        """With two of two, a third answers 409 too_many_scheduled; deleting one makes room."""
        await self.person("ann")
        await self.create("ann", "lobby", "open")
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(api_scheduled, "MAX_SCHEDULED", 2)
            _, first, _ = await self.schedule("ann", "lobby", "one")
            await self.schedule("ann", "lobby", "two")
            await self.refused(409, "too_many_scheduled", self.schedule("ann", "lobby", "three"))
            await self.api("DELETE", f"/api/me/scheduled/{first['id']}", "ann")
            assert (await self.schedule("ann", "lobby", "three"))[0] == 201

    @gen_test(timeout=30)
    async def test_where_one_may_not_post_it_is_refused_as_a_message_would_be(self) -> None:
        """An archived room, or one where only its managers post: 403 read_only; a direct room whose
        other person blocked the writer: 403 blocked; a closed room of the same two, not a direct one: 201."""
        await self.person("ann")
        await self.person("bob")
        await self.create("ann", "old", "open")
        await self.create("ann", "news", "open", posting="managers")
        assert (await self.api("PATCH", "/api/rooms/old", "ann", {"archived": True}))[0] == 200
        await self.refused(403, "read_only", self.schedule("bob", "old", "x"))
        await self.refused(403, "read_only", self.schedule("bob", "news", "x"))
        assert (await self.schedule("ann", "news", "from its owner"))[0] == 201
        _, dm, _ = await self.api("POST", "/api/direct", "ann", {"members": ["bob"]})
        assert (await self.api("PUT", "/api/me/blocks/bob", "ann"))[0] in (200, 201, 204)
        await self.refused(403, "blocked", self.schedule("bob", dm["room"], "x"))
        await self.create("ann", "pair", "closed", members=["bob"])
        assert (await self.schedule("bob", "pair", "still mine to say"))[0] == 201

    @gen_test(timeout=30)
    async def test_an_outsider_schedules_nothing_in_a_closed_room(self) -> None:
        """bob, no member of ann's closed room, gets the answer of a room that does not exist, no byte."""
        await self.person("ann")
        await self.person("bob")
        await self.create("ann", "hidden-plans", "closed", title=TITLE)
        for extra in ({}, {"reply_to": 1}, {"thread": 1}):
            status, body, raw = await self.schedule("bob", "hidden-plans", "let me in", **extra)
            assert (status, body) == (404, NO_ROOM) and SECRET.encode() not in raw
        _, _, raw = await self.api("GET", "/api/me/scheduled", "bob")
        assert raw == b'{"scheduled":[]}'

    async def not_sent_after(self, shut_out: Any, room: str = "hidden-plans") -> dict[str, Any]:
        """bob schedules a message in ann's room, then ``shut_out()`` runs and its time comes: his entry."""
        await self.person("ann")
        await self.person("bob")
        await self.create("ann", room, "closed", members=["bob"])
        ann = await self.inside("ann", room)
        _, row, _ = await self.schedule("bob", room, "still here?")
        await shut_out()
        await self.due_now("bob", row["id"])
        await self.no_message(ann)
        (entry,) = await self.scheduled("bob")
        return dict(entry)

    @gen_test(timeout=30)
    async def test_a_removed_member_s_message_is_not_sent_and_stays_marked(self) -> None:
        """Removed before its time: not sent (not_found), kept in his list; Send now is refused the same;
        Delete forgets it."""

        async def remove() -> None:
            assert (await self.api("DELETE", "/api/rooms/hidden-plans/members/bob", "ann"))[0] == 204

        entry = await self.not_sent_after(remove)
        assert entry["not_sent"] == "not_found"
        sent = await self.api("POST", f"/api/me/scheduled/{entry['id']}/send", "bob")
        assert sent[:2] == (404, NO_ROOM)
        await self.refused(
            404, "not_found", self.api("PATCH", f"/api/me/scheduled/{entry['id']}", "bob", {"at": soon()})
        )
        assert (await self.api("DELETE", f"/api/me/scheduled/{entry['id']}", "bob"))[0] == 204
        _, history, _ = await self.api("GET", "/api/rooms/hidden-plans/messages", "ann")
        assert history["messages"] == []

    @gen_test(timeout=30)
    async def test_an_archived_room_or_a_deactivated_account_sends_nothing(self) -> None:
        """Archived before its time: not sent (read_only); rescheduled once the room is back, it waits
        again and goes out."""

        async def archive() -> None:
            assert (await self.api("PATCH", "/api/rooms/hidden-plans", "ann", {"archived": True}))[0] == 200

        entry = await self.not_sent_after(archive)
        assert entry["not_sent"] == "read_only"
        assert (await self.api("PATCH", "/api/rooms/hidden-plans", "ann", {"archived": False}))[0] == 200
        status, waiting, _ = await self.api(
            "PATCH", f"/api/me/scheduled/{entry['id']}", "bob", {"at": soon()}
        )
        assert status == 200 and waiting["not_sent"] is None
        bob = await self.backend.accounts.account_by_name("bob")
        assert bob is not None
        await self.backend.accounts.deactivate_account(bob.id)
        await self.due_now("bob", entry["id"])
        (row,) = await self.backend.accounts.scheduled_messages(bob.id)
        assert row.failure == "account_deactivated"

    @gen_test(timeout=30)
    async def test_a_barred_person_s_message_is_not_sent(self) -> None:
        """Barred from an open room before its time: not sent (not_found), nothing reaches the room."""
        await self.person("ann")
        await self.person("bob")
        await self.create("ann", "town", "open")
        ann = await self.inside("ann", "town")
        _, row, _ = await self.schedule("bob", "town", "you cannot stop me")
        assert (await self.api("POST", "/api/rooms/town/bars", "ann", {"name": "bob"}))[0] == 201
        await self.due_now("bob", row["id"])
        await self.no_message(ann)
        assert [e["not_sent"] for e in await self.scheduled("bob")] == ["not_found"]

    @gen_test(timeout=30)
    async def test_scheduling_tells_ones_other_pages_and_nobody_else(self) -> None:
        """ann's two connections get a scheduled frame (the room, no text) for each change; bob's none."""
        await self.person("ann")
        await self.person("bob")
        await self.create("ann", "lobby", "open")
        first, second = await self.inside("ann", "lobby"), await self.inside("ann", "lobby")
        bob = await self.inside("bob", "lobby")
        _, row, _ = await self.schedule("ann", "lobby", "a plan")
        await self.api("PATCH", f"/api/me/scheduled/{row['id']}", "ann", {"message": "a better plan"})
        await self.api("DELETE", f"/api/me/scheduled/{row['id']}", "ann")
        for client in (first, second):
            for _ in range(3):
                assert await self.recv_type(client, "scheduled") == {"type": "scheduled", "room": "lobby"}
        await self.nothing_more(bob, ignoring=("unread", "sys"))

    @gen_test(timeout=30)
    async def test_a_mention_of_the_room_is_refused_when_written_and_not_sent_once_forbidden(self) -> None:
        """Where only managers may mention the whole room, bob's "@room" is refused room_mention_forbidden
        when scheduled (and as an edit); one scheduled while it was allowed is not sent once it is not,
        and ann, in the room, receives nothing."""
        await self.person("ann")
        await self.person("bob")
        await self.create("ann", "news", "open")
        ann = await self.inside("ann", "news")
        _, early, _ = await self.schedule("bob", "news", "heads up @room")
        _, plain, _ = await self.schedule("bob", "news", "just me")
        rule = await self.api("PATCH", "/api/rooms/news", "ann", {"room_mentions": "managers"})
        assert rule[0] == 200, rule
        status, body, _ = await self.schedule("bob", "news", "listen up @all")
        assert (status, body["error"]) == (403, "room_mention_forbidden"), body
        edit = await self.api("PATCH", f"/api/me/scheduled/{plain['id']}", "bob", {"message": "now @here"})
        assert (edit[0], edit[1]["error"]) == (403, "room_mention_forbidden"), edit
        await self.due_now("bob", early["id"])
        await self.no_message(ann)
        listed = {e["id"]: e["not_sent"] for e in await self.scheduled("bob")}
        assert listed == {early["id"]: "room_mention_forbidden", plain["id"]: None}
        status, mine, _ = await self.schedule("ann", "news", "all hands @room")
        assert status == 201, mine


class ScheduledOnPostgresTest(OnPostgres, ScheduledTest):
    """The same, the server storing in PostgreSQL."""


class GuestScheduledTest(RoomsCase):
    """Where guests are let in, a guest still schedules nothing."""

    settings = replace(RoomsCase.settings, guests=True)

    @gen_test(timeout=30)
    async def test_a_guest_is_asked_to_sign_in(self) -> None:
        """Every scheduled messages endpoint answers a guest 401 unauthorized."""
        await self.refused(401, "unauthorized", self.api("GET", "/api/me/scheduled"))
        await self.refused(401, "unauthorized", self.api("POST", "/api/me/scheduled", None, {}))
        await self.refused(401, "unauthorized", self.api("PATCH", "/api/me/scheduled/1", None, {}))
        await self.refused(401, "unauthorized", self.api("DELETE", "/api/me/scheduled/1"))
        await self.refused(401, "unauthorized", self.api("POST", "/api/me/scheduled/1/send"))
