"""Blocking over the API and the socket: the list, every refusal, the conversations a blocked person can
no longer start or write in, the counts they no longer bump, and the blocker's other pages told at once."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tornado.testing import gen_test

from tests.chat_case import Client, OnPostgres
from tests.rooms_case import RoomsCase, as_
from tests.web_client import guestless_site, join


class BlocksCase(RoomsCase):
    """ann blocks bob; cid looks on; ci is a bot."""

    async def people(self) -> None:
        for name in ("ann", "bob", "cid"):
            await self.person(name)

    async def blocks(self, who: str) -> list[str]:
        status, body, _ = await self.api("GET", "/api/me/blocks", who)
        assert status == 200, body
        return [entry["name"] for entry in body["blocks"]]

    async def direct(self, who: str, *members: str) -> tuple[int, Any]:
        status, body, _ = await self.api("POST", "/api/direct", who, {"members": list(members)})
        return status, body


class BlocksTest(BlocksCase):
    """The list, its refusals, and what a block does on the API and the socket."""

    @gen_test(timeout=30)
    async def test_a_block_is_listed_and_lifted(self) -> None:
        """PUT blocks and answers the list (twice: still once); DELETE lifts it; each list is its own."""
        await self.people()
        assert await self.blocks("ann") == []
        status, body, _ = await self.api("PUT", "/api/me/blocks/BOB", "ann")
        assert status == 200 and [(e["name"], type(e["since"])) for e in body["blocks"]] == [("bob", int)]
        status, body, _ = await self.api("PUT", "/api/me/blocks/bob", "ann")
        assert [e["name"] for e in body["blocks"]] == ["bob"]
        assert await self.blocks("bob") == [] and await self.blocks("cid") == []
        status, body, _ = await self.api("DELETE", "/api/me/blocks/bob", "ann")
        assert (status, body) == (200, {"blocks": []})
        status, body, _ = await self.api("DELETE", "/api/me/blocks/bob", "ann")
        assert (status, body) == (200, {"blocks": []})

    @gen_test(timeout=30)
    async def test_the_list_names_what_a_blocked_person_was_called_before(self) -> None:
        """bob, blocked, renamed twice: the list names him as he is now and the names his older messages
        bear, so that the page hides those too; someone not renamed has none."""
        await self.people()
        bob = await self.person("dan")
        await self.api("PUT", "/api/me/blocks/dan", "ann")
        await self.api("PUT", "/api/me/blocks/cid", "ann")
        await self.backend.accounts.rename_account(bob, "daniel")
        await self.backend.accounts.rename_account(bob, "dani")
        status, body, _ = await self.api("GET", "/api/me/blocks", "ann")
        assert status == 200
        assert [(e["name"], e["former_names"]) for e in body["blocks"]] == [
            ("dani", ["dan", "daniel"]),
            ("cid", []),
        ]

    @gen_test(timeout=30)
    async def test_every_refusal(self) -> None:
        """Nobody: 401; a bot's key: 403; no such account: 400 unknown_account; oneself or a bot: 400."""
        await self.people()
        key = await self.bot("ci")
        await self.refused(401, "unauthorized", self.api("GET", "/api/me/blocks"))
        await self.refused(401, "unauthorized", self.api("PUT", "/api/me/blocks/bob"))
        status, body, _ = await self.raw_api("PUT", "/api/me/blocks/bob", key)
        assert (status, body["error"]) == (403, "forbidden")
        await self.refused(400, "unknown_account", self.api("PUT", "/api/me/blocks/nobody", "ann"))
        await self.refused(400, "unknown_account", self.api("DELETE", "/api/me/blocks/nobody", "ann"))
        await self.refused(400, "bad_request", self.api("PUT", "/api/me/blocks/Ann", "ann"))
        await self.refused(400, "bad_request", self.api("PUT", "/api/me/blocks/ci", "ann"))
        assert await self.blocks("ann") == []

    async def raw_api(self, method: str, path: str, authorization: str) -> tuple[int, Any, bytes]:
        response = await self.raw_fetch(method, path, {"Authorization": authorization}, b"")
        return response.code, json.loads(response.body), response.body

    @gen_test(timeout=30)
    async def test_a_blocked_person_starts_no_conversation_with_the_blocker(self) -> None:
        """bob: 403 blocked for ann alone and for ann among others, nothing made; cid still writes to
        either; ann may still write to bob; unblocked, bob starts it."""
        await self.people()
        await self.api("PUT", "/api/me/blocks/bob", "ann")
        for members in (["ann"], ["ann", "cid"]):
            status, body = await self.direct("bob", *members)
            assert (status, body["error"]) == (403, "blocked"), body
            assert body["message"] == "ann does not take messages from you"
        assert (await self.direct("cid", "ann", "bob"))[0] == 201
        _, rooms, _ = await self.api("GET", "/api/rooms", "bob")
        assert [entry["members"] for entry in rooms["rooms"] if entry["kind"] == "direct"] == [
            ["ann", "bob", "cid"]
        ]
        await self.api("DELETE", "/api/me/blocks/bob", "ann")
        assert (await self.direct("bob", "ann"))[0] == 201

    @gen_test(timeout=30)
    async def test_a_blocked_persons_messages_to_the_blockers_conversation_are_refused(self) -> None:
        """In the direct room of the two, bob gets error blocked for a message, an edit or a reaction (also
        when blocked while connected), 403 blocked for a file, and ann receives none of it; unblocked, his
        next message goes through; a conversation of three takes it."""
        await self.people()
        _, dm = await self.direct("ann", "bob")
        ann, bob = await self.inside("ann", dm["room"]), await self.inside("bob", dm["room"])
        await self.recv_type(ann, "sys")  # bob's join
        await self.chat(bob, "hi ann", "r0")
        earlier = (await self.recv_type(bob, "ack"))["id"]
        await self.recv_type(ann, "user")
        await self.api("PUT", "/api/me/blocks/bob", "ann")
        assert (await self.recv_type(ann, "block")) == {"type": "block", "name": "bob", "blocked": True}
        await self.chat(bob, "hello?", "r1")
        refusal = await self.recv_type(bob, "error")
        assert (refusal["code"], refusal["ref"]) == ("blocked", "r1")
        assert refusal["message"] == "ann does not take messages from you"
        await self.send(bob, {"type": "edit", "id": earlier, "message": "you will answer", "ref": "e1"})
        assert (await self.recv_type(bob, "error"))["code"] == "blocked"
        path = f"/api/rooms/{dm['room']}/files?name=note.txt"
        upload = await self.raw_fetch("POST", path, as_("bob"), b"read this")
        assert (upload.code, json.loads(upload.body)["error"]) == (403, "blocked")
        await self.send(bob, {"type": "react", "id": earlier, "emoji": "👍", "on": True, "ref": "x1"})
        assert (await self.recv_type(bob, "error"))["code"] == "blocked"
        await self.nothing_more(ann, ignoring=("unread", "peer"))
        later = await self.inside("bob", dm["room"])
        await self.chat(later, "again?", "r2")
        assert (await self.recv_type(later, "error"))["code"] == "blocked"
        await self.api("DELETE", "/api/me/blocks/bob", "ann")
        assert (await self.recv_type(ann, "block"))["blocked"] is False
        await self.chat(bob, "sorry", "r3")
        assert (await self.recv_type(ann, "user"))["message"] == "sorry"
        await self.api("PUT", "/api/me/blocks/bob", "ann")
        _, trio = await self.direct("ann", "bob", "cid")
        three = await self.inside("bob", trio["room"])
        await self.chat(three, "to you two", "r4")
        assert (await self.recv_type(three, "ack"))["ref"] == "r4"

    @gen_test(timeout=30)
    async def test_the_blocked_person_is_told_nothing(self) -> None:
        """bob, connected, gets no frame when ann blocks him; his rooms list and ann's entry look the same."""
        await self.people()
        await self.create("cid", "plaza", "open")
        bob = await self.inside("bob", "plaza")
        await self.api("PUT", "/api/me/blocks/bob", "ann")
        await self.nothing_more(bob, wait=0.5)
        _, found, _ = await self.api("GET", "/api/accounts?prefix=ann", "bob")
        assert [entry["name"] for entry in found["accounts"]] == ["ann"]

    @gen_test(timeout=30)
    async def test_what_a_blocked_person_writes_counts_nothing_for_the_blocker(self) -> None:
        """In an open room both are members of, bob's mention of ann counts for cid's mention and not ann's;
        ann's counts come back when she unblocks him."""
        await self.people()
        await self.create("cid", "plaza", "open")
        for name in ("ann", "bob"):
            await self.api("POST", "/api/rooms/plaza/members", "cid", {"name": name})
        await self.api("PUT", "/api/me/blocks/bob", "ann")
        bob = await self.inside("bob", "plaza")
        await self.chat(bob, "@ann @cid look", "r1")
        await self.recv_type(bob, "ack")
        assert await self.counts("ann") == (0, 0)
        assert await self.counts("cid") == (1, 1)
        await self.api("DELETE", "/api/me/blocks/bob", "ann")
        assert await self.counts("ann") == (1, 1)

    async def counts(self, who: str) -> tuple[int, int]:
        _, body, _ = await self.api("GET", "/api/rooms", who)
        entry = next(entry for entry in body["rooms"] if entry["room"] == "plaza")
        return entry["unread"], entry["mentions"]


class BlockedReactionsTest(BlocksCase):
    """A blocked person's reactions in the direct conversation of the two, as the store says at joining."""

    async def react(self, client: Client, target: int, on: bool, ref: str) -> None:
        await self.send(client, {"type": "react", "id": target, "emoji": "👍", "on": on, "ref": ref})

    @gen_test(timeout=30)
    async def test_a_blocked_persons_reaction_is_refused_and_the_connection_stays(self) -> None:
        """bob, joining after ann blocked him, puts a reaction: error blocked with ann's name and his ref,
        on a connection that still works (he takes back the reaction he put before, and ann sees it go);
        ann gets nothing of the refused one and reacts herself; in a conversation of three his reaction
        goes through."""
        await self.people()
        _, dm = await self.direct("ann", "bob")
        ann, bob = await self.inside("ann", dm["room"]), await self.inside("bob", dm["room"])
        await self.recv_type(ann, "sys")  # bob's join
        await self.chat(ann, "lunch?", "a1")
        lunch = (await self.recv_type(ann, "ack"))["id"]
        await self.react(bob, lunch, True, "x0")
        assert (await self.recv_type(ann, "reaction"))["on"] is True
        await self.api("PUT", "/api/me/blocks/bob", "ann")
        await self.recv_type(ann, "block")
        bob.close()  # his next connection learns the block from the store
        await self.recv_type(ann, "sys")
        bob = await self.inside("bob", dm["room"])
        await self.recv_type(ann, "sys")
        await self.react(bob, lunch, True, "x1")
        refusal = await self.recv_type(bob, "error")
        assert (refusal["code"], refusal["ref"]) == ("blocked", "x1")
        assert refusal["message"] == "ann does not take messages from you"
        await self.nothing_more(ann, ignoring=("unread", "peer"))
        await self.react(bob, lunch, False, "x2")
        taken_back = await self.recv_type(ann, "reaction")
        assert (taken_back["nick"], taken_back["on"]) == ("bob", False)
        assert (await self.recv_type(bob, "reaction"))["id"] == taken_back["id"]
        await self.react(ann, lunch, True, "a2")
        assert (await self.recv_type(bob, "reaction"))["nick"] == "ann"
        _, trio = await self.direct("ann", "bob", "cid")
        ann3, bob3 = await self.inside("ann", trio["room"]), await self.inside("bob", trio["room"])
        await self.chat(ann3, "all of us?", "a3")
        plan = (await self.recv_type(ann3, "ack"))["id"]
        await self.react(bob3, plan, True, "x3")
        assert (await self.recv_type(ann3, "reaction"))["nick"] == "bob"


class BlockedReactionsOnPostgresTest(OnPostgres, BlockedReactionsTest):
    """The same refusal, with the block read from PostgreSQL."""


def test_without_the_pages_xsrf_token_a_cookie_blocks_nobody(tmp_path: Path) -> None:
    """PUT and DELETE with the session cookie but no X-XSRFToken: 403 xsrf, and the list stays as it was."""
    with guestless_site(str(tmp_path / "chat.db")) as (server, ann, join_link):
        join(server, join_link, "bob")
        assert ann.call("PUT", "/api/me/blocks/bob", xsrf=False).error == (403, "xsrf")
        assert ann.get("/api/me/blocks").json == {"blocks": []}
        assert ann.call("PUT", "/api/me/blocks/bob").status == 200
        assert ann.call("DELETE", "/api/me/blocks/bob", xsrf=False).error == (403, "xsrf")
        assert [entry["name"] for entry in ann.get("/api/me/blocks").json["blocks"]] == ["bob"]
