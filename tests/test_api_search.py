"""GET /api/search on SQLite and PostgreSQL: results, snippets, filters, pages, every refusal."""

from __future__ import annotations

import base64
import json
import time
from dataclasses import replace
from typing import Any
from urllib.parse import urlencode

from tornado.testing import gen_test

from chatroom import protocol
from tests.chat_case import OnPostgres
from tests.files_case import TEXT, FilesCase
from tests.rooms_case import RoomsCase


class SearchCase(RoomsCase):
    """ann, bob and carl, and how they search."""

    async def people(self) -> None:
        for name in ("ann", "bob", "carl"):
            await self.person(name)

    async def say(self, room: str, nick: str, *texts: str) -> list[int]:
        return [(await self.backend.publish(room, nick, text)).id for text in texts]

    async def search(self, who: str, **params: Any) -> tuple[int, Any]:
        status, body, raw = await self.api("GET", "/api/search?" + urlencode(params), who)
        assert b"Traceback" not in raw
        return status, body

    async def texts(self, who: str, **params: Any) -> list[str]:
        status, body = await self.search(who, **params)
        assert status == 200, body
        return ["".join(part["text"] for part in r["snippet"]) for r in body["results"]]


class SearchApiTest(SearchCase):
    """ann, bob and carl search the rooms they may read."""

    @gen_test(timeout=30)
    async def test_a_result_says_where_who_when_and_marks_the_words(self) -> None:
        """Each result has its room, id, author, time and a snippet whose hits are the words searched."""
        await self.people()
        await self.create("ann", "town", "open")
        [msg_id] = await self.say("town", "ann", "Meet at the <b>Café</b> at noon")
        status, body = await self.search("bob", q="cafe")
        assert status == 200 and body["next"] is None
        [found] = body["results"]
        assert {k: found[k] for k in ("room", "id", "nick")} == {"room": "town", "id": msg_id, "nick": "ann"}
        assert isinstance(found["ts"], int)
        assert found["snippet"] == [
            {"text": "Meet at the <b>", "hit": False},
            {"text": "Café", "hit": True},
            {"text": "</b> at noon", "hit": False},
        ]

    @gen_test(timeout=30)
    async def test_a_snippet_shows_a_formatted_message_as_read(self) -> None:
        """Marks are left out of a snippet, as the page shows the message; a word found only in a
        link's address is shown in the text as typed, so that its hit is still marked."""
        await self.people()
        await self.create("ann", "town", "open")
        await self.say(
            "town", "ann", "clean **clone**\n\nthen *check*", "see [the plan](https://example.com/x)"
        )
        _, body = await self.search("bob", q="clone")
        assert body["results"][0]["snippet"] == [
            {"text": "clean ", "hit": False},
            {"text": "clone", "hit": True},
            {"text": " then check", "hit": False},
        ]
        _, body = await self.search("bob", q="example")
        assert body["results"][0]["snippet"] == [
            {"text": "see [the plan](https://", "hit": False},
            {"text": "example", "hit": True},
            {"text": ".com/x)", "hit": False},
        ]

    @gen_test(timeout=30)
    async def test_a_long_message_is_cut_around_its_first_hit(self) -> None:
        """A snippet of a long message starts shortly before the hit, with ellipses where text is left out."""
        await self.people()
        await self.create("ann", "town", "open")
        await self.say("town", "ann", "x" * 300 + " needle " + "y" * 300)
        _, body = await self.search("bob", q="needle")
        parts = body["results"][0]["snippet"]
        assert parts[0] == {"text": "…", "hit": False} and parts[-1] == {"text": "…", "hit": False}
        assert {"text": "needle", "hit": True} in parts
        assert sum(len(p["text"]) for p in parts) < 250

    @gen_test(timeout=60)
    async def test_pages_run_newest_first_to_the_end(self) -> None:
        """Following ``next`` pages through every match once, newest first, and ends with null."""
        await self.people()
        await self.create("ann", "town", "open")
        await self.create("ann", "plans", members=["bob"])
        await self.say("town", "ann", *[f"note {i}" for i in range(5)])
        await self.say("plans", "ann", *[f"note {i}" for i in range(5, 8)])
        seen: list[str] = []
        times: list[int] = []
        params: dict[str, Any] = {"q": "note", "limit": 3}
        while True:
            status, body = await self.search("bob", **params)
            assert status == 200
            seen += ["".join(p["text"] for p in r["snippet"]) for r in body["results"]]
            times += [r["ts"] for r in body["results"]]
            if body["next"] is None:
                break
            params["cursor"] = body["next"]
        assert sorted(seen) == [f"note {i}" for i in range(8)]
        assert times == sorted(times, reverse=True)
        assert sorted(await self.texts("carl", q="note")) == [f"note {i}" for i in range(5)]

    @gen_test(timeout=30)
    async def test_room_author_and_dates_filter(self) -> None:
        """room, from, after and before narrow the results; dates are UTC unless they say otherwise."""
        await self.people()
        await self.create("ann", "town", "open")
        await self.create("ann", "pub", "open")
        await self.say("town", "ann", "lunch plans")
        await self.say("town", "bob", "lunch again")
        await self.say("pub", "ann", "lunch here")
        assert await self.texts("carl", q="lunch", room="town") == ["lunch again", "lunch plans"]
        assert sorted(await self.texts("carl", q="lunch", **{"from": "ann"})) == ["lunch here", "lunch plans"]
        assert await self.texts("carl", q="lunch", before="2000-01-01") == []
        assert len(await self.texts("carl", q="lunch", after="2000-01-01T00:00+02:00")) == 3
        assert await self.texts("carl", q="lunch", after="2999-12-31") == []

    @gen_test(timeout=30)
    async def test_edits_and_deletions_change_what_is_found(self) -> None:
        """After an edit only the new words find the message; after a deletion nothing does, for anyone."""
        await self.people()
        await self.create("ann", "town", "open")
        client, _ = await self.enter("ann", "town")
        await self.recv_type(client, "sys")
        ids = []
        for ref, text in (("a", "first draft"), ("b", "regrettable remark")):
            await self.send(client, {"type": "message", "message": text, "ref": ref})
            ids.append((await self.recv_type(client, "ack"))["id"])
        await self.send(client, {"type": "edit", "id": ids[0], "message": "final wording", "ref": "e"})
        await self.recv_type(client, "ack")
        await self.send(client, {"type": "delete", "id": ids[1], "ref": "d"})
        await self.recv_type(client, "ack")
        client.close()
        for who in ("ann", "bob"):
            assert await self.texts(who, q="draft") == []
            assert await self.texts(who, q="final") == ["final wording"]
            assert await self.texts(who, q="regrettable") == []
            assert await self.texts(who, q="re") == []

    @gen_test(timeout=30)
    async def test_a_member_who_leaves_finds_the_room_no_more(self) -> None:
        """Access is asked at every search: a removed member's search no longer reaches the room."""
        await self.people()
        await self.create("ann", "plans", members=["bob"])
        await self.say("plans", "ann", "quarterly figures")
        assert await self.texts("bob", q="quarterly") == ["quarterly figures"]
        status, _, _ = await self.api("DELETE", "/api/rooms/plans/members/bob", "ann")
        assert status in (200, 204)
        assert await self.texts("bob", q="quarterly") == []
        status, body = await self.search("bob", q="quarterly", room="plans")
        assert (status, body["error"]) == (404, protocol.NOT_FOUND)

    @gen_test(timeout=30)
    async def test_query_syntax_and_cjk_are_searched_as_text(self) -> None:
        """Hostile syntax is searched as words; 聊天室 and one CJK character find the sentence."""
        await self.people()
        await self.create("ann", "town", "open")
        await self.say("town", "ann", "使用 responder 实现多人在线聊天室", "I like C++ OR NEAR(x)")
        assert await self.texts("bob", q="聊天室") == ["使用 responder 实现多人在线聊天室"]
        assert await self.texts("bob", q="聊") == ["使用 responder 实现多人在线聊天室"]
        assert await self.texts("bob", q='C++ OR NEAR( "') == ["I like C++ OR NEAR(x)"]
        assert await self.texts("bob", q="* OR ^") == []

    @gen_test(timeout=30)
    async def test_a_long_hostile_query_answers_quickly(self) -> None:
        """1,000 characters of repeated query syntax answer 200 with nothing, well within the bound."""
        await self.people()
        await self.create("ann", "town", "open")
        await self.say("town", "ann", *[f"message {i} about the weather" for i in range(100)])
        hostile = ('NEAR(a OR "b* ^c) ' * 60)[:1000]
        started = time.monotonic()
        assert await self.texts("bob", q=hostile) == []
        assert time.monotonic() - started < 3.0

    @gen_test(timeout=30)
    async def test_bad_searches_are_refused_with_the_reason(self) -> None:
        """Too long, empty, too many words, bad dates, limits, cursors and rooms answer 400 or 404."""
        await self.people()
        await self.create("ann", "town", "open")
        await self.say("town", "ann", "still here")
        cases: list[tuple[dict[str, Any], int, str, str]] = [
            ({"q": "a" * 1001}, 400, protocol.BAD_REQUEST, "a search is at most 1000 characters"),
            ({"q": "  "}, 400, protocol.BAD_REQUEST, "there is nothing to search for: give a word"),
            ({}, 400, protocol.BAD_REQUEST, "there is nothing to search for: give a word"),
            (
                {"q": " ".join(f"w{i}" for i in range(21))},
                400,
                protocol.BAD_REQUEST,
                "a search has at most 20 different words and phrases",
            ),
            ({"q": "x", "after": "yesterday"}, 400, protocol.BAD_REQUEST, "after must be a date"),
            ({"q": "x", "before": "2026-13-01"}, 400, protocol.BAD_REQUEST, "before must be a date"),
            ({"q": "x", "limit": "0"}, 400, protocol.BAD_REQUEST, "limit must be from 1 to 100"),
            ({"q": "x", "limit": "101"}, 400, protocol.BAD_REQUEST, "limit must be from 1 to 100"),
            ({"q": "x", "cursor": "not-a-cursor"}, 400, protocol.BAD_REQUEST, "cursor is not one"),
            ({"q": "x", "from": "n" * 40}, 400, protocol.BAD_REQUEST, "from must be a name"),
            ({"q": "x", "room": "nowhere"}, 404, protocol.NOT_FOUND, "there is no such room"),
        ]
        for params, status, code, message in cases:
            got, body = await self.search("bob", **params)
            assert (got, body["error"]) == (status, code), params
            assert body["message"].startswith(message), (params, body)
        assert await self.texts("bob", q="still") == ["still here"]

    @gen_test(timeout=30)
    async def test_a_forged_cursor_is_400_and_the_next_search_answers(self) -> None:
        """A cursor whose numbers the store cannot hold (past 2^63 - 1, below 0, true) or whose room no
        room could be is 400, never a 500; the searcher's own cursor, and carl's search, still page."""
        await self.people()
        await self.create("ann", "town", "open")
        await self.say("town", "ann", "page one", "page two")
        forged = [
            [2**63, "town", 1],
            [2**64 - 1, "town", 1],
            [1, "town", 2**63],
            [-1, "town", 1],
            [True, "town", 1],
            [1, "t" * 65, 1],
        ]
        for cursor in forged:
            raw = base64.urlsafe_b64encode(json.dumps(cursor).encode()).decode()
            status, body = await self.search("bob", q="page", cursor=raw)
            assert (status, body) == (
                400,
                {"error": "bad_request", "message": "cursor is not one a search answered"},
            ), cursor
        status, body = await self.search("bob", q="page", limit=1)
        assert status == 200 and body["next"] is not None
        assert await self.texts("bob", q="page", cursor=body["next"]) == ["page one"]
        assert await self.texts("carl", q="page") == ["page two", "page one"]

    @gen_test(timeout=30)
    async def test_nobody_signed_in_is_turned_away(self) -> None:
        """Without credentials (guests not let in) a search answers 401 and no result."""
        await self.people()
        await self.create("ann", "town", "open")
        await self.say("town", "ann", "public words")
        status, _, raw = await self.api("GET", "/api/search?q=public")
        assert status == 401 and b"public words" not in raw


class GuestSearchTest(SearchCase):
    """With guests let in, nobody signed in searches the open rooms alone."""

    settings = replace(SearchCase.settings, guests=True)

    @gen_test(timeout=30)
    async def test_a_guest_searches_open_rooms_only(self) -> None:
        """A guest finds an open room's words, never a closed room's, even naming it."""
        await self.people()
        await self.create("ann", "town", "open")
        await self.create("ann", "plans", members=["bob"])
        await self.say("town", "ann", "shared words")
        await self.say("plans", "ann", "shared secrets")
        status, body, raw = await self.api("GET", "/api/search?q=shared")
        assert status == 200 and [r["room"] for r in body["results"]] == ["town"]
        assert b"secrets" not in raw
        status, body, raw = await self.api("GET", "/api/search?q=shared&room=plans")
        assert (status, body["error"]) == (404, protocol.NOT_FOUND) and b"secrets" not in raw


class FileSearchTest(FilesCase):
    """Files in a closed room, and who finds them."""

    @gen_test(timeout=30)
    async def test_a_file_is_found_by_its_name_by_those_who_may_read_it(self) -> None:
        """A file sent without a caption is found by its name, with the file; an outsider finds none."""
        await self.people()
        sent = await self.posted("ann", "plans", TEXT, "Quarterly numbers.txt")
        status, body, _ = await self.api("GET", "/api/search?" + urlencode({"q": "quarterly"}), "bob")
        assert status == 200, body
        [found] = body["results"]
        assert (found["room"], found["id"], found["snippet"]) == ("plans", sent["id"], [])
        assert found["file"] == sent["file"]
        assert found["file"]["name"] == "Quarterly numbers.txt"
        status, body, _ = await self.api("GET", "/api/search?" + urlencode({"q": "quarterly"}), "carl")
        assert status == 200 and body["results"] == []


class SearchApiOnPostgresTest(OnPostgres, SearchApiTest):
    """The same searches, with the messages and their search rows in PostgreSQL."""


class GuestSearchOnPostgresTest(OnPostgres, GuestSearchTest):
    """The same guest, searching PostgreSQL's open rooms."""


class FileSearchOnPostgresTest(OnPostgres, FileSearchTest):
    """The same file, found by its name in PostgreSQL."""
