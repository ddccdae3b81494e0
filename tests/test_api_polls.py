"""Polls on the socket and the API, on both stores: made, voted, changed, taken back, closed; every
refusal with its code (the connection stays open, the others hear nothing of it); `since` and history
carry the votes; search finds a poll by its words; an outsider gets no byte of one."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

from tornado.testing import gen_test

from chatroom import polls, protocol
from tests.chat_case import Client, OnPostgres
from tests.rooms_case import RoomsCase, token_for
from tests.test_outsiders import said_until_closed

LUNCH = polls.poll_text("Lunch on Friday?", ["Pizza", "Sushi", "Dumplings"])
DAYS = polls.poll_text("Which days suit you?", ["Monday", "Tuesday"], several=True)
SKIP = ("unread", "sys", "presence", "typing")


class PollsTest(RoomsCase):
    """ann, bob and cid share the closed room ``team``; dan is outside it."""

    async def inside(
        self, who: str, room: str = "team", **params: str | int
    ) -> tuple[Client, dict[str, Any]]:
        """``who`` in the room, past its welcome and own join: the client and the history frame."""
        client, welcome = await self.enter(who, room, **params)
        assert welcome["type"] == "welcome", welcome
        history = await self.recv_type(client, "history")
        await self.recv_type(client, "sys")
        return client, history

    async def answer(self, client: Client, frame: dict[str, Any]) -> dict[str, Any]:
        """Send a frame with a ref: the ack or error answering it."""
        ref = f"r{id(frame)}"
        await self.send(client, {**frame, "ref": ref})
        while True:
            got = await self.recv(client)
            if got["type"] in ("ack", "error") and got.get("ref") == ref:
                return got

    async def heard(self, client: Client, kind: str) -> dict[str, Any]:
        """The next frame of ``kind`` a member hears, skipping the room's life around it."""
        while (got := await self.recv(client))["type"] != kind:
            assert got["type"] in (*SKIP, "user", "ack"), got
        return got

    async def team(self) -> None:
        for name in ("bob", "cid", "dan"):
            await self.person(name)
        await self.create("ann", "team", "closed", members=["bob", "cid"])

    @gen_test(timeout=40)
    async def test_a_poll_is_voted_changed_taken_back_and_closed_live_and_in_history(self) -> None:
        """bob's second choice on a poll of one replaces his first, cid chooses two on a poll of several
        and takes one back; everyone hears each vote; bob may not close ann's poll, ann does, and no vote
        goes in after; a member back with since gets the votes, a fresh one the poll as it stands."""
        await self.team()
        ann, _ = await self.inside("ann")
        bob, _ = await self.inside("bob")
        cid, _ = await self.inside("cid")
        lunch = (await self.answer(ann, {"type": "message", "message": LUNCH}))["id"]
        made = await self.heard(bob, "user")
        assert made["poll"] == {
            "question": "Lunch on Friday?",
            "options": [{"text": t, "nicks": []} for t in ("Pizza", "Sushi", "Dumplings")],
            "several": False,
            "closed": False,
        }
        first = await self.answer(bob, {"type": "vote", "id": lunch, "option": 1})
        vote = await self.heard(ann, "vote")
        assert vote == {"type": "vote", "id": first["id"], "room": "team", "target": lunch, "nick": "bob",
                        "option": 1, "on": True, "ts": vote["ts"]}  # fmt: skip
        again = await self.answer(bob, {"type": "vote", "id": lunch, "option": 1})
        assert again.get("unchanged") is True and again["id"] == lunch
        await self.answer(bob, {"type": "vote", "id": lunch, "option": 0})
        days = (await self.answer(ann, {"type": "message", "message": DAYS}))["id"]
        for option in (0, 1):
            await self.answer(cid, {"type": "vote", "id": days, "option": option})
        took_back = await self.answer(cid, {"type": "vote", "id": days, "option": 0, "on": False})
        refused = await self.answer(bob, {"type": "close_poll", "id": lunch})
        assert refused["code"] == protocol.FORBIDDEN
        closed = await self.answer(ann, {"type": "close_poll", "id": lunch})
        frame = await self.heard(cid, "close_poll")
        assert (frame["id"], frame["target"], frame["nick"]) == (closed["id"], lunch, "ann")
        late = await self.answer(cid, {"type": "vote", "id": lunch, "option": 2})
        assert late["code"] == polls.POLL_CLOSED
        await self.nothing_more(bob, ignoring=(*SKIP, "vote", "user", "close_poll"))

        back, history = await self.inside("bob", since=first["id"] - 1)
        assert [(c["type"], c.get("option"), c.get("on")) for c in history["changes"]] == [
            ("vote", 1, True), ("vote", 0, True), ("vote", 0, True), ("vote", 1, True), ("vote", 0, False),
            ("close_poll", None, None),
        ]  # fmt: skip
        assert history["changes"][4]["id"] == took_back["id"]
        _, fresh = await self.inside("cid")
        by_id = {m["id"]: m["poll"] for m in fresh["messages"]}
        assert [o["nicks"] for o in by_id[lunch]["options"]] == [["bob"], [], []]
        assert by_id[lunch]["closed"] is True
        assert [o["nicks"] for o in by_id[days]["options"]] == [[], ["cid"]]
        status, body, _ = await self.api("GET", "/api/rooms/team/messages", "cid")
        assert status == 200 and [m["poll"]["closed"] for m in body["messages"]] == [True, False]
        status, body, _ = await self.api("GET", f"/api/search?q={quote('dumplings')}", "bob")
        assert status == 200 and [r["id"] for r in body["results"]] == [lunch]
        snippet = [(part["text"], part["hit"]) for part in body["results"][0]["snippet"]]
        assert snippet == [
            ("\N{BAR CHART} Lunch on Friday? Pizza \u00b7 Sushi \u00b7 ", False),
            ("Dumplings", True),
        ]
        await self.answer(ann, {"type": "delete", "id": lunch})
        gone = await self.answer(bob, {"type": "vote", "id": lunch, "option": 0})
        assert gone["code"] == protocol.NO_MESSAGE
        back.close()

    @gen_test(timeout=40)
    async def test_every_refusal_has_its_code_and_leaves_the_connection_and_the_others_be(self) -> None:
        """A poll of a wrong shape, a vote for a missing option, on a message that is no poll, on none,
        an edit of a poll or into one: each refused with its code, nothing stored; cid hears none of it."""
        await self.team()
        ann, _ = await self.inside("ann")
        cid, _ = await self.inside("cid")
        for text, code in (
            ("/poll Lunch?\nPizza", polls.POLL_OPTIONS),
            ("/poll Q\n" + "\n".join(f"o{i}" for i in range(11)), polls.POLL_OPTIONS),
            ("/poll Lunch?\nPizza\n\nSushi", polls.EMPTY_OPTION),
            ("/poll Lunch?\nPizza\nPIZZA", polls.DUPLICATE_OPTION),
            ("/poll Lunch?\nPizza\n" + "s" * 101, protocol.TOO_LONG),
            ("/poll " + "q" * 301 + "\nA\nB", protocol.TOO_LONG),
        ):
            assert (await self.answer(ann, {"type": "message", "message": text}))["code"] == code
        await self.send(ann, "/poll Plain?\nyes")
        assert (await self.recv_type(ann, "error"))["code"] == polls.POLL_OPTIONS
        lunch = (await self.answer(ann, {"type": "message", "message": LUNCH}))["id"]
        words = (await self.answer(ann, {"type": "message", "message": "just words"}))["id"]
        for frame, code in (
            ({"type": "vote", "id": lunch, "option": 3}, polls.NO_OPTION),
            ({"type": "vote", "id": lunch, "option": 10}, protocol.BAD_REQUEST),
            ({"type": "vote", "id": words, "option": 0}, polls.NOT_A_POLL),
            ({"type": "close_poll", "id": words}, polls.NOT_A_POLL),
            ({"type": "vote", "id": 999, "option": 0}, protocol.NO_MESSAGE),
            ({"type": "edit", "id": lunch, "message": "/poll Dinner?\nA\nB"}, protocol.FORBIDDEN),
            ({"type": "edit", "id": words, "message": "/poll Dinner?\nA\nB"}, protocol.FORBIDDEN),
        ):
            assert (await self.answer(ann, frame))["code"] == code, frame
        assert (await self.answer(ann, {"type": "message", "message": "still here"}))["type"] == "ack"
        heard = [await self.heard(cid, "user") for _ in range(3)]
        assert [("poll" in m, m["message"]) for m in heard] == [
            (True, LUNCH), (False, "just words"), (False, "still here")
        ]  # fmt: skip
        await self.nothing_more(cid, ignoring=SKIP)
        (stored,) = await self.backend.history("team", after=lunch - 1, before=lunch + 1)
        assert stored.votes == () and stored.text == LUNCH

    @gen_test(timeout=40)
    async def test_bots_make_polls_through_the_api_and_an_outsider_gets_no_byte(self) -> None:
        """A bot's POST of a poll's text answers its user frame with the poll, a wrong shape its code;
        dan, outside the room, finds nothing of it on the socket, history, the API or search, and his
        vote naming it from his own room is no_message."""
        await self.team()
        key = await self.bot("pollster")
        await self.api("POST", "/api/rooms/team/members", "ann", {"name": "pollster"})
        post = {"method": "POST", "headers": {"Authorization": key, "Content-Type": "application/json"}}
        status, made = await self.fetch_json(
            "/api/rooms/team/messages", body=json.dumps({"message": LUNCH}), **post
        )
        assert status == 201 and made["poll"]["question"] == "Lunch on Friday?", made
        status, bad = await self.fetch_json(
            "/api/rooms/team/messages", body='{"message": "/poll Q\\nA\\nA"}', **post
        )
        assert (status, bad["error"]) == (400, polls.DUPLICATE_OPTION)
        ann, _ = await self.inside("ann")
        await self.answer(ann, {"type": "vote", "id": made["id"], "option": 2})
        raw, code = await said_until_closed(await self.connect(room="team", token=token_for("dan"), since=0))
        assert code == protocol.CLOSE_NOT_FOUND
        seen = [raw]
        paths = ["/api/rooms/team/messages", "/api/rooms/team/pins", "/api/search?q=Friday&room=team"]
        for path in (*paths, f"/api/search?q={quote('Dumplings')}"):
            status, _, body = await self.api("GET", path, "dan")
            seen.append(body.decode())
        await self.create("dan", "outside", "open")
        dan, _ = await self.inside("dan", "outside")
        refused = await self.answer(dan, {"type": "vote", "id": made["id"], "option": 2})
        assert refused["code"] == protocol.NO_MESSAGE
        for word in ("Dumplings", "Friday", "Pizza", "pollster"):
            assert all(word not in part for part in seen), word


class PollsOnPostgresTest(OnPostgres, PollsTest):
    """The same, stored in PostgreSQL."""
