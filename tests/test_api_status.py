"""A person's status and paused notifications over the API (api_status.py): set, read, cleared, every
refusal, expiry, and the live frames every account's pages get (not a guest's)."""

from __future__ import annotations

import asyncio
import json
from dataclasses import replace
from typing import Any
from unittest import mock

from tornado.testing import gen_test

from chatroom.clock import now_ms
from tests.chat_case import Client
from tests.rooms_case import RoomsCase

HOUR = 3_600_000


def meeting(until: int | None) -> dict[str, Any]:
    return {"emoji": "📅", "text": "In a meeting", "until": until}


class StatusTest(RoomsCase):
    """ann sets her status and pauses her notifications; bob looks on; ci is a bot."""

    async def people(self) -> None:
        for name in ("ann", "bob"):
            await self.person(name)

    async def listed(self, who: str, name: str) -> dict[str, Any]:
        """``name``'s entry in /api/accounts, as ``who`` sees it."""
        status, body, _ = await self.api("GET", f"/api/accounts?prefix={name}&limit=1", who)
        assert status == 200, body
        entry: dict[str, Any] = body["accounts"][0]
        return entry

    @gen_test(timeout=30)
    async def test_a_status_is_set_read_listed_and_cleared(self) -> None:
        """PUT answers the status, trimmed; GET, the accounts list and a room's members carry it; DELETE
        clears it from all three; clearing again is 204 too."""
        await self.people()
        await self.create("ann", "plans", "closed", members=["bob"])
        until = now_ms() + HOUR
        status, body, _ = await self.api(
            "PUT", "/api/me/status", "ann", {**meeting(until), "text": "  In a meeting "}
        )
        assert (status, body) == (200, {"status": meeting(until)})
        assert (await self.api("GET", "/api/me/status", "ann"))[1] == {"status": meeting(until)}
        assert (await self.listed("bob", "ann"))["status"] == meeting(until)
        assert "status" not in await self.listed("ann", "bob")
        _, members, _ = await self.api("GET", "/api/rooms/plans/members", "bob")
        assert {m["name"]: m.get("status") for m in members["members"]} == {
            "ann": meeting(until),
            "bob": None,
        }
        assert (await self.api("DELETE", "/api/me/status", "ann"))[0] == 204
        assert (await self.api("GET", "/api/me/status", "ann"))[1] == {"status": None}
        assert "status" not in await self.listed("bob", "ann")
        assert (await self.api("DELETE", "/api/me/status", "ann"))[0] == 204

    @gen_test(timeout=30)
    async def test_a_status_for_good_and_an_emoji_alone(self) -> None:
        """``until`` null keeps it for good; a status of an emoji alone has an empty text."""
        await self.people()
        body = {"emoji": "🌴", "until": None}
        status, answer, _ = await self.api("PUT", "/api/me/status", "ann", body)
        assert (status, answer) == (200, {"status": {"emoji": "🌴", "text": "", "until": None}})

    @gen_test(timeout=30)
    async def test_a_status_whose_time_passed_is_shown_nowhere(self) -> None:
        """An hour later (the clock moved on), the status is neither one's own nor listed, nor in a room's
        members; no job cleared it."""
        await self.people()
        until = now_ms() + HOUR
        await self.api("PUT", "/api/me/status", "ann", meeting(until))
        await self.api("PUT", "/api/me/dnd", "ann", {"until": until})
        later = until + 1
        with mock.patch("chatroom.api_status.now_ms", lambda: later):
            assert (await self.api("GET", "/api/me/status", "ann"))[1] == {"status": None}
            assert (await self.api("GET", "/api/me/dnd", "ann"))[1] == {"until": None}
            entry = await self.listed("bob", "ann")
            assert "status" not in entry and "dnd" not in entry

    @gen_test(timeout=30)
    async def test_every_refusal_of_a_status(self) -> None:
        """No emoji, a word for an emoji: 400 bad_emoji; 81 characters: 400 too_long; a line break: 400
        bad_request; a time gone by: 400 in_the_past; a text for a time, or years ahead: 400 bad_request;
        a guest (nobody): 401. Nothing was stored, and bob's entry is untouched."""
        await self.people()
        now = now_ms()
        refusals = [
            (400, "bad_emoji", {"text": "busy", "until": None}),
            (400, "bad_emoji", {"emoji": "busy", "text": "busy", "until": None}),
            (400, "bad_emoji", {"emoji": "📅 📅", "until": None}),
            (400, "too_long", {"emoji": "📅", "text": "x" * 81, "until": None}),
            (400, "bad_request", {"emoji": "📅", "text": "two\nlines", "until": None}),
            (400, "bad_request", {"emoji": "📅", "text": 5, "until": None}),
            (400, "in_the_past", meeting(now - 1)),
            (400, "bad_request", meeting("soon")),  # type: ignore[arg-type]
            (400, "bad_request", meeting(now + 400 * 24 * HOUR)),
        ]
        for status, code, body in refusals:
            await self.refused(status, code, self.api("PUT", "/api/me/status", "ann", body))
        await self.refused(400, "bad_json", self.api("PUT", "/api/me/status", "ann", raw=b"{"))
        await self.refused(401, "unauthorized", self.api("PUT", "/api/me/status", None, meeting(None)))
        await self.refused(401, "unauthorized", self.api("GET", "/api/me/status"))
        assert (await self.api("PUT", "/api/me/status", "ann", {"emoji": "📅", "text": "x" * 80}))[0] == 200
        assert (await self.api("GET", "/api/me/status", "bob"))[1] == {"status": None}

    @gen_test(timeout=30)
    async def test_a_pause_is_set_listed_and_resumed_and_a_bot_has_none(self) -> None:
        """PUT /api/me/dnd answers until when; others see it in the accounts list; DELETE resumes. A time
        gone by: 400 in_the_past; none: 400 bad_request; a bot: 403 forbidden; nobody: 401."""
        await self.people()
        key = await self.bot("ci")
        until = now_ms() + HOUR
        assert (await self.api("PUT", "/api/me/dnd", "ann", {"until": until}))[:2] == (200, {"until": until})
        assert (await self.listed("bob", "ann"))["dnd"] == until
        assert (await self.api("GET", "/api/me/dnd", "ann"))[1] == {"until": until}
        assert (await self.api("DELETE", "/api/me/dnd", "ann"))[0] == 204
        assert "dnd" not in await self.listed("bob", "ann")
        await self.refused(400, "in_the_past", self.api("PUT", "/api/me/dnd", "ann", {"until": now_ms() - 5}))
        await self.refused(400, "bad_request", self.api("PUT", "/api/me/dnd", "ann", {"until": None}))
        await self.refused(400, "bad_request", self.api("PUT", "/api/me/dnd", "ann", {}))
        await self.refused(401, "unauthorized", self.api("PUT", "/api/me/dnd", None, {"until": until}))
        response = await self.raw_fetch(
            "PUT", "/api/me/dnd", {"Authorization": key}, b'{"until": %d}' % until
        )
        assert (response.code, json.loads(response.body)["error"]) == (403, "forbidden")
        assert (await self.api("GET", "/api/me/dnd", "ann"))[1] == {"until": None}

    @gen_test(timeout=30)
    async def test_a_bot_may_say_a_status(self) -> None:
        """A bot's key sets a status (a bot under maintenance says so)."""
        key = await self.bot("ci")
        body = json.dumps({"emoji": "🔧", "text": "Under maintenance"}).encode()
        response = await self.raw_fetch("PUT", "/api/me/status", {"Authorization": key}, body)
        assert response.code == 200

    @gen_test(timeout=30)
    async def test_changing_too_fast_is_refused_for_a_while(self) -> None:
        """Past twenty changes in a minute: 429 rate_limited with Retry-After; bob still changes his."""
        await self.people()
        for _ in range(20):
            assert (await self.api("PUT", "/api/me/status", "ann", meeting(None)))[0] == 200
        await self.refused(429, "rate_limited", self.api("PUT", "/api/me/status", "ann", meeting(None)))
        await self.refused(429, "rate_limited", self.api("DELETE", "/api/me/dnd", "ann"))
        assert (await self.api("PUT", "/api/me/status", "bob", meeting(None)))[0] == 200


class LiveStatusTest(RoomsCase):
    """Where guests are let in too: open pages hear of a status and a pause at once, as far as they may."""

    settings = replace(RoomsCase.settings, guests=True)

    async def live(self, who: str, room: str) -> Client:
        """``who`` in ``room``, past its welcome, history and own join (from then on it hears notices)."""
        client, _ = await self.enter(who, room)
        await self.recv_type(client, "sys")
        return client

    @gen_test(timeout=30)
    async def test_a_status_and_a_pause_are_told_to_accounts_and_not_to_a_guest(self) -> None:
        """bob's page, and ann's own other tab in another room, get her status, then its clearing, then her
        pause and its end; clearing nothing, or a refused change, tells nobody; a guest in bob's open room
        hears none of it."""
        for name in ("ann", "bob"):
            await self.person(name)
        await self.create("ann", "town", "open")
        await self.create("ann", "plans", "closed")
        guest, _, _ = await self.join("visitor", "town")
        bob, ann = await self.live("bob", "town"), await self.live("ann", "plans")
        until = now_ms() + HOUR
        await self.api("PUT", "/api/me/status", "ann", meeting(until))
        for client in (bob, ann):
            told = await self.recv_type(client, "status")
            assert told == {"type": "status", "name": "ann", "status": meeting(until)}
        await self.api("DELETE", "/api/me/status", "ann")
        for client in (bob, ann):
            assert await self.recv_type(client, "status") == {"type": "status", "name": "ann", "status": None}
        await self.api("PUT", "/api/me/dnd", "ann", {"until": until})
        await self.api("DELETE", "/api/me/dnd", "ann")
        for client in (bob, ann):
            assert await self.recv_type(client, "dnd") == {"type": "dnd", "name": "ann", "until": until}
            assert await self.recv_type(client, "dnd") == {"type": "dnd", "name": "ann", "until": None}
        await self.api("DELETE", "/api/me/status", "ann")
        await self.api("DELETE", "/api/me/dnd", "ann")
        await self.refused(400, "bad_emoji", self.api("PUT", "/api/me/status", "ann", {"emoji": "x"}))
        await self.refused(400, "in_the_past", self.api("PUT", "/api/me/dnd", "ann", {"until": 5}))
        assert await heard(bob) == [] and await heard(ann) == []
        heard_by_guest = await heard(guest)
        assert [frame["type"] for frame in heard_by_guest] == ["sys"]  # bob's join, nothing more
        assert "meeting" not in json.dumps(heard_by_guest)


async def heard(client: Client, wait: float = 0.3) -> list[dict[str, Any]]:
    """Every frame that arrives within ``wait`` seconds of the last."""
    frames = []
    while True:
        try:
            raw = await asyncio.wait_for(client.read_message(), wait)
        except TimeoutError:
            return frames
        assert isinstance(raw, str)
        frames.append(json.loads(raw))
