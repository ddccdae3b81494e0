"""Forwarding over the API: the copy and its snapshot, what its readers see of where it comes from, the
link back for those who may read the original, search, every refusal with its code and bytes, and no
byte of a closed room for an outsider beyond what the forwarder shared."""

from __future__ import annotations

import asyncio
import json
from dataclasses import replace
from typing import Any

from tornado.testing import gen_test

from chatroom.api_forward import FORWARDS_PER_MINUTE
from tests.chat_case import OnPostgres
from tests.files_case import TEXT, FilesCase
from tests.test_outsiders import SECRET, TITLE

NO_MESSAGE = b'{"error":"not_found","message":"there is no such message, or you may not see it"}'
NO_ROOM = b'{"error":"not_found","message":"there is no such room, or you may not see it"}'


def forwards(room: str) -> str:
    return f"/api/rooms/{room}/forwards"


class ForwardCase(FilesCase):
    """ann and bob share the closed room "plans" (its title secret); cid is outside it; "town" is open."""

    async def change(self, who: str, room: str, frame: dict[str, Any]) -> None:
        """``who`` changes a message of the room (an edit, a deletion), acked."""
        client = await self.inside(who, room)
        await self.send(client, {**frame, "ref": "c"})
        assert "id" in await self.recv_type(client, "ack")
        client.close()

    async def forward(self, who: str | None, target: str, **body: Any) -> tuple[int, Any, bytes]:
        return await self.api("POST", forwards(target), who, body)

    async def rooms(self) -> int:
        """The people, the rooms, and the secret said in "plans": its id."""
        for name in ("ann", "bob", "cid"):
            await self.person(name)
        await self.create("ann", "plans", "closed", title=TITLE, members=["bob"])
        await self.create("ann", "town", "open")
        return await self.said("bob", "plans", f"the **{SECRET}** is ready")

    async def history(self, who: str, room: str) -> list[dict[str, Any]]:
        status, body, _ = await self.api("GET", f"/api/rooms/{room}/messages", who)
        assert status == 200, body
        return list(body["messages"])


class ForwardTest(ForwardCase):
    """What the store keeps of a forward, and every refusal, on SQLite (and below, PostgreSQL)."""

    @gen_test(timeout=30)
    async def test_a_copy_carries_a_snapshot_and_its_readers_learn_no_room_name(self) -> None:
        """ann forwards bob's message of "plans" into "town" with a comment: cid, reading town, gets the
        copy live (author, time, text, formatting, "a closed room"), never the room's name or title; an
        edit and the deletion of the original change no copy; the link back opens "plans" for ann
        alone; search finds the copy by the comment and the forwarded text; deleting it forgets it."""
        original = await self.rooms()
        cid = await self.inside("cid", "town")
        status, copy, raw = await self.forward(
            "ann", "town", room="plans", id=original, message="look at *this*"
        )
        assert status == 201, copy
        part = copy["forward"]
        assert (copy["room"], copy["nick"], part["comment"], part["nick"], part["from"]) == (
            "town", "ann", "look at *this*", "bob", "closed",
        )  # fmt: skip
        assert part["message"] == f"the **{SECRET}** is ready" and part["fmt"] and part["comment_fmt"]
        assert "room" not in part and b"plans" not in raw and TITLE.encode() not in raw
        assert (
            copy["message"]
            == f"look at *this*\n\n\u21aa Forwarded from a closed room \u2014 bob:\n{part['message']}"
        )
        live = await self.recv_type(cid, "user")
        assert live == copy
        await self.change("bob", "plans", {"type": "edit", "id": original, "message": "nothing to see"})
        await self.change("bob", "plans", {"type": "delete", "id": original})
        (kept,) = await self.history("cid", "town")
        assert kept == copy
        back = f"/api/rooms/town/forwards/{copy['id']}"
        assert (await self.api("GET", back, "ann"))[:2] == (200, {"room": "plans", "id": original})
        assert (await self.api("GET", back, "cid"))[::2] == (404, NO_MESSAGE)
        for words in ("this", SECRET):
            status, found, raw = await self.api("GET", f"/api/search?q={words}", "cid")
            assert [(r["room"], r["id"]) for r in found["results"]] == [("town", copy["id"])], found
            assert b"plans" not in raw and TITLE.encode() not in raw
        await self.change("ann", "town", {"type": "delete", "id": copy["id"]})
        (gone,) = await self.history("cid", "town")
        assert gone["deleted"] and "forward" not in gone and SECRET not in str(gone)
        (stored,) = await self.backend.history("town")
        assert stored.forward is None  # the snapshot is gone from the store, not only from the frame
        assert (await self.api("GET", f"/api/search?q={SECRET}", "cid"))[1]["results"] == []
        cid.close()

    @gen_test(timeout=30)
    async def test_an_open_room_is_named_and_a_comment_is_optional(self) -> None:
        """A message of an open room names it; without a comment the copy's text is the forwarded one;
        a copy of a copy forwards what its forwarder read; ann's edit of her comment keeps it found."""
        await self.rooms()
        await self.create("ann", "square", "open")
        first = await self.said("cid", "square", "bring cake")
        status, copy, _ = await self.forward("ann", "town", room="square", id=first, message="  ")
        assert status == 201, copy
        assert copy["forward"] == {"comment": "", "nick": "cid", "ts": copy["forward"]["ts"],
                                   "message": "bring cake", "from": "open", "room": "square"}  # fmt: skip
        assert copy["message"] == "\u21aa Forwarded from #square \u2014 cid:\nbring cake"
        status, again, _ = await self.forward("bob", "square", room="town", id=copy["id"], message="again")
        assert again["forward"]["message"] == copy["message"] and again["forward"]["room"] == "town"
        await self.change("ann", "town", {"type": "edit", "id": copy["id"], "message": "for friday"})
        (edited,) = await self.history("ann", "town")
        assert edited["forward"]["comment"] == "for friday" and edited["forward"]["message"] == "bring cake"
        status, found, _ = await self.api("GET", "/api/search?q=cake&room=town", "bob")
        assert [r["id"] for r in found["results"]] == [copy["id"]], found
        poll = await self.said("cid", "square", "/poll Lunch?\nsoup\nsalad")
        status, shared, _ = await self.forward("ann", "town", room="square", id=poll)
        assert status == 201 and "poll" not in shared, shared
        assert shared["forward"]["message"] == "\N{BAR CHART} Lunch?\nsoup \u00b7 salad"

    @gen_test(timeout=30)
    async def test_a_reply_to_a_copy_quotes_its_comment_else_what_it_forwards(self) -> None:
        """A reply to a copy quotes its comment; to a copy without one, "↪ NICK: TEXT" of the message it
        forwards (a file's name for a file without text), live and in history, never an empty quote."""
        original = await self.rooms()
        notes = (await self.posted("bob", "plans", TEXT, "notes.txt"))["id"]
        copies = [await self.forward("ann", "town", room="plans", id=original, message=comment)
                  for comment in ("see *this*", "")]  # fmt: skip
        copies.append(await self.forward("ann", "town", room="plans", id=notes))
        assert [status for status, _, _ in copies] == [201, 201, 201], copies
        cid = await self.inside("cid", "town")
        quotes = []
        for n, (_, copy, _) in enumerate(copies):
            await self.send(cid, {"type": "message", "message": "ok", "reply_to": copy["id"], "ref": f"q{n}"})
            quotes.append((await self.recv_type(cid, "user"))["reply_to"])
        expected = [
            {"id": copies[0][1]["id"], "nick": "ann", "message": "see this"},
            {"id": copies[1][1]["id"], "nick": "ann", "message": f"\u21aa bob: the {SECRET} is ready"},
            {"id": copies[2][1]["id"], "nick": "ann", "message": "\u21aa bob: notes.txt"},
        ]
        assert quotes == expected
        replies = [m for m in await self.history("cid", "town") if "reply_to" in m]
        assert [m["reply_to"] for m in replies] == expected
        cid.close()

    @gen_test(timeout=30)
    async def test_every_refusal(self) -> None:
        """Nobody 401, a bot 403, bad fields 400; no read access to the original, a missing room, a
        missing message and a deleted one give the same 404 bytes; a target one may not see 404, an
        announcements room 403 read_only, an @room where only managers may 403
        room_mention_forbidden, a person who blocked one 403 blocked. Nothing is stored."""
        original = await self.rooms()
        gone = await self.said("bob", "plans", "soon gone")
        await self.change("bob", "plans", {"type": "delete", "id": gone})
        key = await self.bot("ci")
        assert (await self.forward(None, "town", room="plans", id=original))[0] == 401
        status, _, _ = await self.raw_call(key, {"room": "plans", "id": original})
        assert status == 403
        for body in ({"room": 5, "id": original}, {"room": "plans", "id": "1"}, {"room": "plans", "id": 0},
                     {"room": "plans", "id": original, "message": 5},
                     {"room": "plans", "id": original, "message": "/poll Lunch?\nsoup\nsalad"}):  # fmt: skip
            status, answer, _ = await self.forward("ann", "town", **body)
            assert (status, answer["error"]) == (400, "bad_request"), body
        unreadable = [("cid", "plans", original), ("ann", "nowhere", 1), ("ann", "plans", 10**6)]
        for who, room, message_id in [*unreadable, ("ann", "plans", gone), ("ann", "bad name!", 1)]:
            status, _, raw = await self.forward(who, "town", room=room, id=message_id)
            assert (status, raw) == (404, NO_MESSAGE), (who, room, message_id)
        assert (await self.forward("cid", "plans", room="town", id=1))[::2] == (404, NO_ROOM)
        await self.create("ann", "news", "open", posting="managers")
        status, answer, _ = await self.forward("bob", "news", room="plans", id=original)
        assert (status, answer["error"]) == (403, "read_only")
        assert (await self.api("PATCH", "/api/rooms/town", "ann", {"room_mentions": "managers"}))[0] == 200
        status, answer, _ = await self.forward("bob", "town", room="plans", id=original, message="@room see")
        assert (status, answer["error"]) == (403, "room_mention_forbidden")
        _, dm, _ = await self.api("POST", "/api/direct", "ann", {"members": ["bob"]})
        assert (await self.api("PUT", "/api/me/blocks/bob", "ann"))[0] in (200, 201, 204)
        status, answer, _ = await self.forward("bob", dm["room"], room="plans", id=original)
        assert (status, answer["error"]) == (403, "blocked")
        assert await self.history("ann", "town") == [] and await self.history("ann", "news") == []

    async def raw_call(self, authorization: str, body: dict[str, Any]) -> tuple[int, Any, bytes]:
        headers = {"Content-Type": "application/json", "Authorization": authorization}
        response = await self.raw_fetch("POST", forwards("town"), headers, json.dumps(body).encode())
        return response.code, response.body, response.body or b""


class ForwardOnPostgresTest(OnPostgres, ForwardTest):
    """The same on PostgreSQL."""


class ForwardRateTest(ForwardCase):
    """The handler's own limit, whatever the store."""

    @gen_test(timeout=30)
    async def test_past_the_most_a_minute_a_forward_is_refused(self) -> None:
        """A person forwards at most FORWARDS_PER_MINUTE a minute: the next is 429 rate_limited."""
        original = await self.rooms()
        answers = await asyncio.gather(
            *[self.forward("ann", "town", room="plans", id=original) for _ in range(FORWARDS_PER_MINUTE)]
        )
        assert {status for status, _, _ in answers} == {201}
        status, answer, _ = await self.forward("ann", "town", room="plans", id=original)
        assert (status, answer["error"]) == (429, "rate_limited")


class GuestForwardTest(ForwardCase):
    """Where guests are let in: a version 1 guest reads a copy as plain text, and forwards nothing."""

    settings = replace(ForwardCase.settings, guests=True)

    @gen_test(timeout=30)
    async def test_a_guest_reads_the_copy_as_plain_text_and_may_not_forward(self) -> None:
        """A guest in "town" (the version 1 query, no token) gets the copy's user frame: its "message" is
        the comment, where the message comes from, who wrote it and its text; a guest's forward is 401."""
        original = await self.rooms()
        guest, _, _ = await self.join("visitor", "town")
        status, copy, _ = await self.forward("ann", "town", room="plans", id=original, message="fyi")
        assert status == 201, copy
        frame = await self.recv_type(guest, "user")
        assert (
            frame["message"]
            == f"fyi\n\n\u21aa Forwarded from a closed room \u2014 bob:\nthe **{SECRET}** is ready"
        )
        assert (await self.forward(None, "town", room="town", id=copy["id"]))[:2] == (
            401, {"error": "unauthorized", "message": "sign in first: guests forward nothing"},
        )  # fmt: skip
