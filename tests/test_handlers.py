"""Handler tests through real sockets: every frame type and every refusal."""

from __future__ import annotations

import asyncio
import functools
import json
import re
import socket
import time
from dataclasses import replace
from typing import Any

import pytest
import tornado.escape
from tornado.httpclient import HTTPClientError
from tornado.testing import gen_test

from chatroom import protocol
from chatroom.bus.local import LocalBus
from chatroom.handlers import ChatSocketHandler
from chatroom.service import ChatService
from chatroom.store.sqlite import SQLiteStore
from chatroom.upgrade import ConnectionCounter
from tests.chat_case import ChatTestCase
from tests.support import upgrade_request


class PageTest(ChatTestCase):
    """The page and the static files."""

    def test_index_renders_the_room(self) -> None:
        """GET /?room=NAME renders the chat page for that room, escaped."""
        response = self.fetch("/?room=" + "dev%3Cb%3E")
        assert response.code == 200
        body = response.body.decode()
        assert 'data-room="dev&lt;b&gt;"' in body
        assert "<b>" not in body.split("<body", 1)[1].split(">", 1)[0]

    def test_index_defaults_to_lobby_and_forbids_inline_script(self) -> None:
        """Without ?room= the page is the lobby's, under a CSP allowing only its import map inline."""
        response = self.fetch("/")
        assert 'data-room="lobby"' in response.body.decode()
        policy = response.headers["Content-Security-Policy"]
        assert "script-src 'self'" in policy
        assert "unsafe-inline" not in policy

    def test_static_files_are_served(self) -> None:
        """The page's entry module and style sheets are served from /static/, the sheets in their cascade
        order (chat.css first, each later one winning ties)."""
        for name, kind in (("js/app.js", "javascript"), ("chat.css", "css")):
            response = self.fetch(f"/static/{name}")
            assert response.code == 200
            assert kind in response.headers["Content-Type"]
        sheets = re.findall(r'<link rel="stylesheet" href="(/static/[^"?]+)', self.fetch("/").body.decode())
        assert [sheet.removeprefix("/static/") for sheet in sheets] == [
            *("chat.css", "sidebar.css", "dialogs.css", "phone.css", "menus.css", "views.css"),
            *("text.css", "files.css", "status.css", "thread.css", "emoji.css", "scheduled.css", "polls.css"),
            "previews.css",
            "forward.css",
        ]
        for sheet in sheets:
            response = self.fetch(sheet)
            assert response.code == 200 and "css" in response.headers["Content-Type"], sheet


FAST = replace(ChatTestCase.settings, rate=1000.0, burst=1000)


class JoiningTest(ChatTestCase):
    """Welcome, history and join frames, in that order."""

    settings = FAST

    @gen_test
    async def test_first_member_gets_welcome_history_and_join(self) -> None:
        """A new member sees welcome, an empty history, then its own join."""
        client = await self.connect(room="lobby", nick="ann")
        welcome, history, joined = [await self.recv(client) for _ in range(3)]
        assert welcome == {
            "type": "welcome",
            "room": "lobby",
            "nick": "ann",
            "users": ["ann"],
            "last_id": 0,
            "epoch": welcome["epoch"],
            "guests": ["ann"],
        }
        assert isinstance(welcome["epoch"], str) and welcome["epoch"]
        assert history == {"type": "history", "room": "lobby", "messages": [], "truncated": False}
        assert joined["type"] == "sys" and joined["event"] == "join"
        assert (joined["nick"], joined["users"], joined["message"]) == ("ann", 1, "ann has joined")
        assert isinstance(joined["ts"], int)

    @gen_test
    async def test_others_see_the_join_and_the_list_is_sorted(self) -> None:
        """Members already there receive the sys join; the newcomer's list is sorted."""
        bob, _, _ = await self.join("bob")
        _, welcome, _ = await self.join("Ann")
        assert welcome["users"] == ["Ann", "bob"]
        joined = await self.recv(bob)
        assert (joined["event"], joined["nick"], joined["users"]) == ("join", "Ann", 2)

    @gen_test
    async def test_without_nick_the_server_picks_a_guest(self) -> None:
        """No nick parameter: the server names the member guest-XXXX."""
        client = await self.connect(room="lobby")
        welcome = await self.recv(client)
        assert welcome["nick"].startswith("guest-") and len(welcome["nick"]) == 10

    @gen_test
    async def test_nick_is_trimmed_and_normalized(self) -> None:
        """The server uses the nick after trimming and NFC normalisation."""
        _, welcome, _ = await self.join("  Zoe\u0308 ")
        assert welcome["nick"] == "Zo\u00eb"

    @gen_test
    async def test_history_on_join_is_the_latest_messages(self) -> None:
        """A newcomer receives the last --history messages, oldest first, with truncated."""
        ann, _, _ = await self.join("ann")
        for number in range(55):
            await self.chat(ann, f"m{number}")
        for _ in range(55):
            await self.recv_type(ann, "user")
        _, welcome, history = await self.join("bob")
        texts = [m["message"] for m in history["messages"]]
        assert texts == [f"m{n}" for n in range(5, 55)]
        assert history["truncated"] is True
        assert welcome["last_id"] == 55

    @gen_test
    async def test_since_replays_exactly_what_was_missed(self) -> None:
        """since=ID gives every message with a larger id, then the live stream."""
        ann, _, _ = await self.join("ann")
        for number in range(1, 8):
            await self.chat(ann, f"m{number}")
            await self.recv_type(ann, "user")
        bob, welcome, history = await self.join("bob", since=4)
        assert [m["id"] for m in history["messages"]] == [5, 6, 7]
        assert history["truncated"] is False and welcome["last_id"] == 7
        await self.chat(ann, "live")
        live = await self.recv_type(bob, "user")
        assert (live["id"], live["message"]) == (8, "live")

    @gen_test
    async def test_rooms_are_separate(self) -> None:
        """A message in one room never reaches another room."""
        ann, _, _ = await self.join("ann", room="one")
        bob, _, _ = await self.join("bob", room="two")
        await self.chat(ann, "only for one")
        assert (await self.recv_type(ann, "user"))["room"] == "one"
        await self.nothing_more(bob)

    @gen_test
    async def test_same_nick_in_another_room_is_fine(self) -> None:
        """Nicks are unique per room, not per server."""
        await self.join("ann", room="one")
        _, welcome, _ = await self.join("ann", room="two")
        assert welcome["nick"] == "ann"


class MessagingTest(ChatTestCase):
    """User frames, acks, plain text, typing, history requests."""

    settings = FAST

    @gen_test
    async def test_message_reaches_everyone_with_increasing_ids(self) -> None:
        """Both members receive each user frame, ids increasing, sender included."""
        ann, _, _ = await self.join("ann")
        bob, _, _ = await self.join("bob")
        await self.recv(ann)  # bob's join
        await self.chat(ann, "hello")
        await self.chat(bob, "hi ann")
        for client in (ann, bob):
            first, second = await self.recv_type(client, "user"), await self.recv_type(client, "user")
            assert (first["nick"], first["message"], first["room"]) == ("ann", "hello", "lobby")
            assert (second["nick"], second["message"]) == ("bob", "hi ann")
            assert second["id"] == first["id"] + 1
            assert isinstance(first["ts"], int) and first["ts"] > 1_600_000_000_000

    @gen_test
    async def test_ack_goes_to_the_sender_only(self) -> None:
        """A message with a ref is acked to its sender with the stored id."""
        ann, _, _ = await self.join("ann")
        bob, _, _ = await self.join("bob")
        await self.recv(ann)
        await self.chat(ann, "hello", ref="r-1")
        frames = [await self.recv(ann), await self.recv(ann)]
        user = next(f for f in frames if f["type"] == "user")
        ack = next(f for f in frames if f["type"] == "ack")
        assert ack == {"type": "ack", "ref": "r-1", "id": user["id"]}
        assert (await self.recv(bob))["type"] == "user"
        await self.nothing_more(bob)

    @gen_test
    async def test_no_ack_without_ref(self) -> None:
        """Without a ref there is no ack."""
        ann, _, _ = await self.join("ann")
        await self.chat(ann, "hello")
        assert (await self.recv(ann))["type"] == "user"
        await self.nothing_more(ann)

    @gen_test
    async def test_plain_text_frames_are_messages(self) -> None:
        """A frame not starting with '{' is chat text, as a terminal client sends."""
        ann, _, _ = await self.join("ann")
        for text in ("hello from a terminal", "[1,2]", "42"):
            await self.send(ann, text)
            assert (await self.recv(ann))["message"] == text

    @gen_test
    async def test_forged_fields_are_ignored(self) -> None:
        """Identity, room, id and time come from the server, whatever the client says."""
        ann, _, _ = await self.join("ann")
        forged = {"type": "message", "message": "hi", "nick": "admin", "id": 999, "ts": 1, "room": "x"}
        await self.send(ann, forged)
        user = await self.recv(ann)
        assert (user["nick"], user["room"], user["id"]) == ("ann", "lobby", 1)
        assert user["ts"] > 1

    @gen_test
    async def test_typing_reaches_the_others_only(self) -> None:
        """A typing frame goes to everyone but the typist."""
        ann, _, _ = await self.join("ann")
        bob, _, _ = await self.join("bob")
        await self.recv(ann)
        await self.send(ann, {"type": "typing"})
        assert await self.recv(bob) == {"type": "typing", "room": "lobby", "nick": "ann"}
        await self.nothing_more(ann)

    @gen_test
    async def test_typing_is_throttled_quietly(self) -> None:
        """A burst of typing frames makes one typing frame, and no error."""
        ann, _, _ = await self.join("ann")
        bob, _, _ = await self.join("bob")
        await self.recv(ann)
        for _ in range(5):
            await self.send(ann, {"type": "typing"})
        assert (await self.recv(bob))["type"] == "typing"
        await self.nothing_more(bob)
        await self.nothing_more(ann)

    @gen_test
    async def test_history_request_pages_backwards(self) -> None:
        """A history request returns up to N messages older than ID, oldest first."""
        ann, _, _ = await self.join("ann")
        for number in range(1, 11):
            await self.chat(ann, f"m{number}")
            await self.recv(ann)
        await self.send(ann, {"type": "history", "before": 6, "limit": 3})
        page = await self.recv(ann)
        assert page["type"] == "history" and page["room"] == "lobby"
        assert [m["id"] for m in page["messages"]] == [3, 4, 5]
        assert page["truncated"] is True
        await self.send(ann, {"type": "history", "before": 3, "limit": 5})
        last_page = await self.recv(ann)
        assert [m["id"] for m in last_page["messages"]] == [1, 2]
        assert last_page["truncated"] is False

    @gen_test
    async def test_leaving_is_announced_once(self) -> None:
        """When a member closes, the others receive one sys leave with the new count."""
        ann, _, _ = await self.join("ann")
        bob, _, _ = await self.join("bob")
        await self.recv(ann)
        bob.close()
        left = await self.recv(ann)
        assert (left["type"], left["event"], left["nick"], left["users"]) == ("sys", "leave", "bob", 1)
        assert left["message"] == "bob has left"
        await self.nothing_more(ann, 0.3)

    @gen_test
    async def test_nick_is_free_again_after_leaving(self) -> None:
        """A nick can be taken again once its holder left."""
        ann, _, _ = await self.join("ann")
        bob, _, _ = await self.join("bob")
        await self.recv(ann)
        bob.close()
        await self.recv_type(ann, "sys")
        _, welcome, _ = await self.join("BOB")
        assert welcome["nick"] == "BOB"


class RefusalTest(ChatTestCase):
    """Every refusal: the code, the connection's fate, the others unaffected."""

    async def assert_refused(self, payload: str | bytes, code: str, ref: str | None = None) -> None:
        ann, _, _ = await self.join("ann")
        bob, _, _ = await self.join("bob")
        await self.recv(ann)
        await ann.write_message(payload, binary=isinstance(payload, bytes))
        error = await self.recv(ann)
        assert (error["type"], error["code"]) == ("error", code), error
        assert isinstance(error["message"], str) and error["message"]
        assert error.get("ref") == ref
        await self.chat(ann, "still here")
        assert (await self.recv(ann))["message"] == "still here"
        assert (await self.recv(bob))["message"] == "still here"
        await self.chat(bob, "bob too")
        assert (await self.recv(ann))["message"] == "bob too"

    @gen_test
    async def test_bad_json(self) -> None:
        """A frame starting with '{' that is not JSON is refused bad_json."""
        await self.assert_refused("{not json", protocol.BAD_JSON)

    @gen_test
    async def test_deeply_nested_json(self) -> None:
        """JSON nested 100,000 deep is refused bad_json, the server unharmed."""
        await self.assert_refused('{"a":' + "[" * 30000 + "]" * 30000 + "}", protocol.BAD_JSON)

    @gen_test
    async def test_huge_number(self) -> None:
        """A 5,000-digit number is refused bad_json."""
        await self.assert_refused('{"type":"message","message":' + "7" * 5000 + "}", protocol.BAD_JSON)

    @gen_test
    async def test_unknown_type(self) -> None:
        """An unknown frame type is refused bad_request, ref echoed."""
        await self.assert_refused('{"type":"dance","ref":"x1"}', protocol.BAD_REQUEST, "x1")

    @gen_test
    async def test_client_cannot_send_sys(self) -> None:
        """A client frame of type sys is refused, not broadcast."""
        await self.assert_refused('{"type":"sys","event":"join","nick":"admin"}', protocol.BAD_REQUEST)

    @gen_test
    async def test_wrong_field_type(self) -> None:
        """A message that is not a string is refused bad_request."""
        await self.assert_refused('{"type":"message","message":["x"],"ref":"r"}', protocol.BAD_REQUEST, "r")

    @gen_test
    async def test_empty(self) -> None:
        """White space only is refused empty."""
        await self.assert_refused('{"type":"message","message":" \\n ","ref":"e"}', protocol.EMPTY, "e")

    @gen_test
    async def test_too_long(self) -> None:
        """A message over 4000 characters is refused too_long."""
        await self.assert_refused("x" * 4001, protocol.TOO_LONG)

    @gen_test
    async def test_binary(self) -> None:
        """Binary frames are refused binary."""
        await self.assert_refused(b"\x00\x01binary", protocol.BINARY)

    @gen_test
    async def test_rate_limited(self) -> None:
        """Past the burst, messages are refused rate_limited and not stored."""
        ann, _, _ = await self.join("ann")
        bob, _, _ = await self.join("bob")
        await self.recv(ann)
        for number in range(25):
            await self.chat(ann, f"m{number}", ref=f"r{number}")
        frames = [await self.recv(ann) for _ in range(20 * 2 + 5)]
        refused = [f for f in frames if f["type"] == "error"]
        assert {f["code"] for f in refused} == {protocol.RATE_LIMITED}
        assert len(refused) >= 4
        assert all(f["ref"].startswith("r") for f in refused)
        stored = [f for f in frames if f["type"] == "user"]
        assert len(stored) == 25 - len(refused)
        bob_users = [await self.recv(bob) for _ in stored]
        assert [f["id"] for f in bob_users] == [f["id"] for f in stored]
        await self.nothing_more(bob)

    @gen_test
    async def test_too_many_refusals_close_1008(self) -> None:
        """More than 20 refused frames within 10 s close the connection 1008."""
        ann, _, _ = await self.join("ann")
        bob, _, _ = await self.join("bob")
        await self.recv(ann)
        for _ in range(21):
            await self.send(ann, "{bad")
        assert await self.closed(ann) == protocol.CLOSE_POLICY_VIOLATION
        left = await self.recv(bob)
        assert (left["event"], left["nick"]) == ("leave", "ann")
        await self.chat(bob, "bob carries on")
        assert (await self.recv(bob))["message"] == "bob carries on"

    @gen_test
    async def test_frame_over_the_maximum_closes_1009(self) -> None:
        """A frame over --max-frame-bytes closes the connection 1009."""
        ann, _, _ = await self.join("ann")
        bob, _, _ = await self.join("bob")
        await self.recv(ann)
        await self.send(ann, "x" * (self.settings.max_frame_bytes + 1))
        assert await self.closed(ann) == protocol.CLOSE_TOO_BIG
        assert (await self.recv(bob))["event"] == "leave"
        await self.chat(bob, "fine")
        assert (await self.recv(bob))["message"] == "fine"

    @gen_test
    async def test_bad_room_closes_4400(self) -> None:
        """A bad room name gets error bad_name and close 4400."""
        for room in ("a/b", "..", "", "x" * 65):
            client = await self.connect(room=room, nick="ann")
            error = await self.recv(client)
            assert (error["type"], error["code"]) == ("error", protocol.BAD_NAME)
            assert await self.closed(client) == protocol.CLOSE_BAD_NAME

    @gen_test
    async def test_bad_nick_closes_4400(self) -> None:
        """A nick with a bidi override, a control character or symbols is refused 4400."""
        for nick in ("ann\u202e", "ann\x07", "<script>", "a\u200bb", "x" * 33):
            client = await self.connect(room="lobby", nick=nick)
            assert (await self.recv(client))["code"] == protocol.BAD_NAME
            assert await self.closed(client) == protocol.CLOSE_BAD_NAME

    @gen_test
    async def test_nick_taken_closes_4409_and_the_holder_stays(self) -> None:
        """A nick in use (case-insensitively) gets nick_taken and 4409; its holder sees nothing."""
        ann, _, _ = await self.join("ann")
        client = await self.connect(room="lobby", nick="ANN")
        assert (await self.recv(client))["code"] == protocol.NICK_TAKEN
        assert await self.closed(client) == protocol.CLOSE_NICK_TAKEN
        await self.nothing_more(ann)
        await self.chat(ann, "still mine")
        assert (await self.recv(ann))["nick"] == "ann"

    @gen_test
    async def test_invalid_utf8_drops_only_that_connection(self) -> None:
        """A text frame that is not UTF-8 ends that connection; the others carry on."""
        ann, _, _ = await self.join("ann")
        raw = await self.raw_socket(nick="eve")
        raw.sendall(masked_frame(0x1, b"\xff\xfe bad utf-8"))
        assert (await self.recv_type(ann, "sys"))["event"] == "join"
        left = await self.recv_type(ann, "sys")
        assert (left["event"], left["nick"]) == ("leave", "eve")
        raw.close()
        await self.chat(ann, "fine")
        assert (await self.recv(ann))["message"] == "fine"

    async def raw_socket(self, nick: str) -> socket.socket:
        """A bare TCP WebSocket client that has done the upgrade and nothing else."""
        sock = socket.create_connection(("127.0.0.1", self.get_http_port()))
        sock.sendall(upgrade_request(self.get_http_port(), "lobby", nick))
        sock.setblocking(False)
        await asyncio.sleep(0.2)
        return sock


def masked_frame(opcode: int, payload: bytes) -> bytes:
    """A client-to-server WebSocket frame (masked), payload under 126 bytes."""
    mask = b"\x01\x02\x03\x04"
    body = bytes(byte ^ mask[index % 4] for index, byte in enumerate(payload))
    return bytes((0x80 | opcode, 0x80 | len(payload))) + mask + body


class VanishingTest(ChatTestCase):
    """Pings find members that vanished without a close frame."""

    settings = replace(ChatTestCase.settings, ping_interval=0.2, ping_timeout=0.2)

    @gen_test(timeout=20)
    async def test_vanished_member_leaves(self) -> None:
        """A client that stops answering pings is announced as left."""
        ann, _, _ = await self.join("ann")
        raw = await RefusalTest.raw_socket(self, nick="ghost")  # type: ignore[arg-type]
        assert (await self.recv_type(ann, "sys"))["nick"] == "ghost"
        left = await self.recv_type(ann, "sys", timeout=15)
        assert (left["event"], left["nick"]) == ("leave", "ghost")
        raw.close()


SECRET = "a-test-secret-that-is-long-enough-for-hs256"


class TokenTest(ChatTestCase):
    """With --jwt-secret and no guests, the nick comes from a valid token's account."""

    settings = replace(ChatTestCase.settings, jwt_secret=SECRET, guests=False)

    @gen_test
    async def test_valid_token_names_the_member(self) -> None:
        """The token's sub is the account, made on first sight, and its nick; a nick parameter is ignored."""
        import jwt

        await self.backend.accounts.create_room("lobby", "open")
        token = jwt.encode({"sub": "ann", "exp": time.time() + 60}, SECRET, algorithm="HS256")
        client = await self.connect(room="lobby", nick="mallory", token=token)
        assert (await self.recv(client))["nick"] == "ann"
        account = await self.backend.accounts.account_by_name("ann")
        assert account is not None and account.external

    @gen_test
    async def test_missing_or_bad_token_closes_4401(self) -> None:
        """No token, or one signed with another key, gets unauthorized and 4401."""
        import jwt

        forged = jwt.encode({"sub": "ann"}, "another-secret-also-long-enough-for-hs256", algorithm="HS256")
        for params in ({"nick": "ann"}, {"token": forged}, {"token": "garbage"}):
            client = await self.connect(room="lobby", **params)
            assert (await self.recv(client))["code"] == protocol.UNAUTHORIZED
            assert await self.closed(client) == protocol.CLOSE_UNAUTHORIZED


class AccountTabsTest(ChatTestCase):
    """One account connected several times is one member of the room."""

    settings = replace(ChatTestCase.settings, jwt_secret=SECRET)

    def token(self, name: str) -> str:
        import jwt

        return jwt.encode({"sub": name, "exp": time.time() + 60}, SECRET, algorithm="HS256")

    @gen_test
    async def test_a_second_tab_is_welcomed_and_the_others_see_one_join_and_one_leave(self) -> None:
        """Both tabs get welcome, history and their own join; bob sees ann join once and leave once, last."""
        await self.backend.accounts.create_room("lobby", "open")
        bob, _, _ = await self.join("bob")
        first, welcome, _ = await self.join("", token=self.token("ann"))
        assert (welcome["nick"], welcome["users"]) == ("ann", ["ann", "bob"])
        joined = await self.recv(bob)
        assert (joined["event"], joined["nick"], joined["users"]) == ("join", "ann", 2)
        second, welcome, _ = await self.join("", token=self.token("ann"))
        assert (welcome["nick"], welcome["users"]) == ("ann", ["ann", "bob"])
        await self.nothing_more(bob)
        await self.nothing_more(first)
        status, body = await self.fetch_json("/api/rooms")
        assert status == 200 and [r["online"] for r in body["rooms"] if r["room"] == "lobby"] == [2]
        await self.chat(first, "from the first tab")
        for member in (bob, first, second):
            assert (await self.recv(member))["message"] == "from the first tab"
        first.close()
        await self.nothing_more(bob, wait=0.5)
        second.close()
        left = await self.recv(bob)
        assert (left["event"], left["nick"], left["users"]) == ("leave", "ann", 1)

    @gen_test
    async def test_a_guest_still_gets_4409_for_a_nick_in_use(self) -> None:
        """Guests keep version 1's rule: a second connection asking for a held nick is refused."""
        holder, _, _ = await self.join("cid")
        client = await self.connect(room="lobby", nick="CID")
        assert (await self.recv(client))["code"] == protocol.NICK_TAKEN
        assert await self.closed(client) == 4409
        await self.nothing_more(holder)


class GuestKeyTest(ChatTestCase):
    """A guest's connections that present one guest key are one member, as an account's tabs are."""

    KEY = "a-guest-key_0123456789"

    @gen_test
    async def test_a_guest_back_with_its_key_shares_its_nick_while_the_old_connection_holds_it(self) -> None:
        """ann's first connection still holds her nick (the server has not seen it go): with her key, her
        next is welcomed as ann, a guest; bob sees her join once and her leave once, after the last."""
        bob, _, _ = await self.join("bob")
        first, welcome, _ = await self.join("ann", guest_key=self.KEY)
        assert welcome["guests"] == ["ann", "bob"]
        joined = await self.recv(bob)
        assert (joined["event"], joined["nick"], joined.get("guest")) == ("join", "ann", True)
        second, welcome, _ = await self.join("ANN", guest_key=self.KEY)
        assert (welcome["nick"], welcome["users"], welcome["guests"]) == (
            "ann",
            ["ann", "bob"],
            ["ann", "bob"],
        )
        await self.nothing_more(bob)
        await self.chat(second, "back")
        for member in (bob, first, second):
            assert (await self.recv(member))["message"] == "back"
        first.close()
        await self.nothing_more(bob, wait=0.5)
        second.close()
        left = await self.recv(bob)
        assert (left["event"], left["nick"], left["users"], left.get("guest")) == ("leave", "ann", 1, True)

    @gen_test
    async def test_another_key_or_none_is_refused_the_nick(self) -> None:
        """The nick ann holds under her key is nick_taken (4409) with another key and with none."""
        ann, _, _ = await self.join("ann", guest_key=self.KEY)
        for params in ({"guest_key": self.KEY[::-1]}, {}):
            client = await self.connect(room="lobby", nick="ann", **params)
            refusal = await self.recv(client)
            assert (refusal["code"], refusal["message"]) == (
                protocol.NICK_TAKEN,
                "someone in this room already uses the nick 'ann': choose another nick",
            )
            assert await self.closed(client) == protocol.CLOSE_NICK_TAKEN
        await self.nothing_more(ann)

    @gen_test
    async def test_a_key_that_is_no_random_url_safe_string_is_bad_request_and_others_carry_on(self) -> None:
        """A short key, or one with other characters: bad_request, close 1008; the room sees nothing."""
        bob, _, _ = await self.join("bob")
        for key in ("short", "has spaces in it, sixteen+"):
            client = await self.connect(room="lobby", nick="ann", guest_key=key)
            refusal = await self.recv(client)
            assert (refusal["type"], refusal["code"], refusal["message"]) == (
                "error",
                protocol.BAD_REQUEST,
                "a guest key is 16 to 128 letters, digits, '-' or '_' (a random secret)",
            )
            assert await self.closed(client) == 1008
        await self.nothing_more(bob)
        await self.chat(bob, "still here")
        assert (await self.recv(bob))["message"] == "still here"


class OriginTest(ChatTestCase):
    """Browsers from foreign origins are refused before the upgrade."""

    settings = replace(ChatTestCase.settings, origins=("https://chat.example.com",))

    @gen_test
    async def test_origins(self) -> None:
        """Own host and listed origins pass; others get 403; no Origin passes."""
        own = f"http://127.0.0.1:{self.get_http_port()}"
        for origin in (own, "https://chat.example.com", None):
            headers = {"Origin": origin} if origin else None
            client = await self.connect(headers=headers, room="lobby")
            assert (await self.recv(client))["type"] == "welcome"
        for origin in ("https://evil.example", "http://chat.example.com"):
            with pytest.raises(Exception, match="403"):
                await self.connect(headers={"Origin": origin}, room="lobby")


class ApiTest(ChatTestCase):
    """The JSON API and health endpoints."""

    @gen_test
    async def test_healthz(self) -> None:
        """/healthz answers 200 with status ok."""
        status, body = await self.fetch_json("/healthz")
        assert status == 200 and body["status"] == "ok"

    @gen_test
    async def test_rooms_lists_online_and_history(self) -> None:
        """/api/rooms lists rooms with members online or history."""
        ann, _, _ = await self.join("ann", room="busy")
        await self.chat(ann, "x")
        await self.recv(ann)
        await self.join("bob", room="quiet")
        status, body = await self.fetch_json("/api/rooms")
        assert status == 200
        assert body == {
            "rooms": [
                {
                    "room": "busy",
                    "online": 1,
                    "last_id": 1,
                    "kind": "open",
                    "title": "busy",
                    "archived": False,
                    "posting": "everyone",
                    "everyone_in": False,
                    "topic": "",
                    "room_mentions": "everyone",
                },
                {
                    "room": "quiet",
                    "online": 1,
                    "last_id": 0,
                    "kind": "open",
                    "title": "quiet",
                    "archived": False,
                    "posting": "everyone",
                    "everyone_in": False,
                    "topic": "",
                    "room_mentions": "everyone",
                },
            ],
            "next": None,
        }

    @gen_test
    async def test_messages_paging(self) -> None:
        """GET messages pages with after, before and limit, oldest first."""
        ann, _, _ = await self.join("ann")
        for number in range(1, 8):
            await self.chat(ann, f"m{number}")
            await self.recv(ann)
        cases = {
            "": [1, 2, 3, 4, 5, 6, 7],
            "?limit=2": [6, 7],
            "?before=4&limit=2": [2, 3],
            "?after=5": [6, 7],
            "?after=1&limit=2": [2, 3],
            "?after=2&before=5": [3, 4],
        }
        for query, ids in cases.items():
            status, body = await self.fetch_json(f"/api/rooms/lobby/messages{query}")
            assert status == 200 and body["room"] == "lobby"
            assert [m["id"] for m in body["messages"]] == ids, query
            assert body["messages"][0]["type"] == "user"

    @gen_test
    async def test_bad_api_input_is_a_json_400(self) -> None:
        """Bad parameters and room names answer 400 with a JSON error."""
        for path in (
            "/api/rooms/lobby/messages?limit=x",
            "/api/rooms/lobby/messages?after=-1",
            "/api/rooms/lobby/messages?limit=0",
            "/api/rooms/..bad/messages",
        ):
            status, body = await self.fetch_json(path)
            assert status == 400, path
            assert set(body) == {"error", "message"}

    @gen_test
    async def test_unknown_paths_are_json_404(self) -> None:
        """Unknown endpoints answer 404 JSON, never a traceback page."""
        status, body = await self.fetch_json("/api/nothing")
        assert status == 404 and body["error"] == "not_found"

    @gen_test
    async def test_publish_reaches_members(self) -> None:
        """POST with a bot's key stores the message and members receive it."""
        key = await self.make_bot("bot", "lobby")
        ann, _, _ = await self.join("ann")
        status, body = await self.fetch_json(
            "/api/rooms/lobby/messages",
            method="POST",
            headers={"Authorization": f"Bearer {key}"},
            body=json.dumps({"message": "deploy done"}),
        )
        assert status == 201
        assert (body["type"], body["nick"], body["message"], body["id"]) == ("user", "bot", "deploy done", 1)
        assert await self.recv(ann) == body

    @gen_test
    async def test_a_bots_messages_on_the_socket_are_marked_as_over_the_api(self) -> None:
        """A bot connected with its key: its message is a bot's live, in history and in the HTTP API."""
        key = await self.make_bot("relay", "lobby")
        ann, _, _ = await self.join("ann")
        relay = await self.connect(headers={"Authorization": f"Bearer {key}"}, room="lobby")
        assert (await self.recv(relay))["nick"] == "relay"
        assert (await self.recv(relay))["type"] == "history"
        await relay.write_message(json.dumps({"type": "message", "message": "build green", "ref": "r1"}))
        live = await self.recv(ann)
        while live["type"] != "user":
            live = await self.recv(ann)
        assert (live["nick"], live["message"], live.get("bot")) == ("relay", "build green", True)
        _, page = await self.fetch_json("/api/rooms/lobby/messages")
        assert page["messages"][-1] == live
        late, _, history = await self.join("cat")
        assert history["messages"][-1] == live
        await ann.write_message(json.dumps({"type": "message", "message": "nice"}))
        mine = await self.recv(late)
        while mine["type"] != "user":
            mine = await self.recv(late)
        assert (mine["nick"], "bot" in mine) == ("ann", False)

    @gen_test
    async def test_a_bots_posts_over_the_api_are_its_own_on_its_socket(self) -> None:
        """What a bot posted with its key is marked its own in its socket's history, and it may edit it."""
        key = await self.make_bot("relay", "lobby")
        status, posted = await self.fetch_json(
            "/api/rooms/lobby/messages",
            method="POST",
            headers={"Authorization": f"Bearer {key}"},
            body=json.dumps({"message": "deploy started"}),
        )
        assert status == 201
        relay = await self.connect(headers={"Authorization": f"Bearer {key}"}, room="lobby")
        await self.recv(relay)
        history = await self.recv(relay)
        assert [(m["id"], m.get("own")) for m in history["messages"]] == [(posted["id"], True)]
        edit = {"type": "edit", "id": posted["id"], "message": "deploy done", "ref": "e1"}
        await relay.write_message(json.dumps(edit))
        edited = await self.recv_type(relay, "edit")
        assert (edited["target"], edited["message"]) == (posted["id"], "deploy done")

    @gen_test
    async def test_publish_refusals(self) -> None:
        """Wrong key 401, bad body 400, as JSON."""
        key = await self.make_bot("bot", "lobby")
        for headers, payload, expected in (
            ({"Authorization": "Bearer nope"}, {"message": "x"}, 401),
            ({}, {"message": "x"}, 401),
            ({"Authorization": f"Bearer {key}"}, {"nick": "bot"}, 400),
            ({"Authorization": f"Bearer {key}"}, {"message": 7}, 400),
            ({"Authorization": f"Bearer {key}"}, {"message": " "}, 400),
        ):
            status, body = await self.fetch_json(
                "/api/rooms/lobby/messages", method="POST", headers=headers, body=json.dumps(payload)
            )
            assert status == expected, (headers, payload)
            assert set(body) == {"error", "message"}


class RoomsListTest(ChatTestCase):
    """GET /api/rooms pages by name, filters by prefix, and refuses bad parameters."""

    async def rooms_page(self, query: str) -> dict[str, Any]:
        status, body = await self.fetch_json("/api/rooms" + query)
        assert status == 200, body
        assert set(body) == {"rooms", "next"}
        return dict(body)

    @gen_test
    async def test_next_links_walk_every_room_once(self) -> None:
        """Following ``next`` from the first page visits every room once, in name order, then stops."""
        names = [f"room-{i:03d}" for i in range(23)]
        await asyncio.gather(*[self.backend.publish(name, "bot", "hi") for name in names[::2]])
        for name in names[1::2]:
            await self.join("ann", room=name)
        seen: list[str] = []
        query, pages = "?limit=5", 0
        while query:
            body = await self.rooms_page(query)
            seen.extend(r["room"] for r in body["rooms"])
            pages += 1
            query = body["next"] and body["next"].removeprefix("/api/rooms")
        assert seen == names and pages == 5
        first = (await self.rooms_page("?limit=2"))["rooms"]
        assert first == [
            {
                "room": "room-000",
                "online": 0,
                "last_id": 1,
                "kind": "open",
                "title": "room-000",
                "archived": False,
                "posting": "everyone",
                "everyone_in": False,
                "topic": "",
                "room_mentions": "everyone",
            },
            {
                "room": "room-001",
                "online": 1,
                "last_id": 0,
                "kind": "open",
                "title": "room-001",
                "archived": False,
                "posting": "everyone",
                "everyone_in": False,
                "topic": "",
                "room_mentions": "everyone",
            },
        ]
        assert (await self.rooms_page("?limit=2"))["next"] == "/api/rooms?after=room-001&limit=2"

    @gen_test
    async def test_default_and_largest_page(self) -> None:
        """Without limit a page holds 50 rooms; a limit over 200 counts as 200."""
        await asyncio.gather(*[self.backend.publish(f"r{i:04d}", "bot", "hi") for i in range(450)])
        default = await self.rooms_page("")
        assert [r["room"] for r in default["rooms"]] == [f"r{i:04d}" for i in range(50)]
        assert default["next"] == "/api/rooms?after=r0049&limit=50"
        largest = await self.rooms_page("?limit=100000")
        assert len(largest["rooms"]) == 200 and largest["next"] == "/api/rooms?after=r0199&limit=200"
        last = await self.rooms_page("?after=r0399&limit=200")
        assert len(last["rooms"]) == 50 and last["next"] is None

    @gen_test
    async def test_prefix_finds_rooms_and_keeps_to_them_across_pages(self) -> None:
        """``prefix`` keeps names that start with it (case-sensitive, any script); ``next`` carries it."""
        names = ["dev", "dev-1", "dev-2", "dev-3", "Dev", "design", "développeurs", "ops"]
        await asyncio.gather(*[self.backend.publish(name, "bot", "hi") for name in names])
        page = await self.rooms_page("?prefix=dev&limit=3")
        assert [r["room"] for r in page["rooms"]] == ["dev", "dev-1", "dev-2"]
        assert page["next"] == "/api/rooms?prefix=dev&after=dev-2&limit=3"
        rest = await self.rooms_page(page["next"].removeprefix("/api/rooms"))
        assert [r["room"] for r in rest["rooms"]] == ["dev-3"] and rest["next"] is None
        accented = await self.rooms_page("?prefix=" + tornado.escape.url_escape("dé"))
        assert [r["room"] for r in accented["rooms"]] == ["développeurs"]
        assert (await self.rooms_page("?prefix=nothing"))["rooms"] == []

    @gen_test
    async def test_bad_parameters_are_a_json_400(self) -> None:
        """A bad limit, prefix or cursor answers 400 bad_request with a message naming it."""
        for query, named in (
            ("?limit=x", "limit"),
            ("?limit=-1", "limit"),
            ("?limit=0", "limit"),
            ("?limit=1e3", "limit"),
            ("?prefix=-dev", "prefix"),
            ("?prefix=a%20b", "prefix"),
            ("?prefix=" + "a" * 65, "prefix"),
            ("?after=..", "after"),
            ("?after=a%00", "after"),
        ):
            status, body = await self.fetch_json("/api/rooms" + query)
            assert status == 400, query
            assert body["error"] == "bad_request" and set(body) == {"error", "message"}, query
            assert named in body["message"], (query, body)

    @gen_test
    async def test_a_room_only_joined_leaves_the_list_when_emptied(self) -> None:
        """A room created by joining is listed while someone is in it and gone once the last one leaves."""
        ann, _, _ = await self.join("ann", room="kept")
        await self.chat(ann, "hi")
        await self.recv(ann)
        bob, _, _ = await self.join("bob", room="passing")
        cat, _, _ = await self.join("cat", room="passing")
        assert [r["room"] for r in (await self.rooms_page(""))["rooms"]] == ["kept", "passing"]
        bob.close()
        await self.recv_type(cat, "sys")
        assert [r["room"] for r in (await self.rooms_page(""))["rooms"]] == ["kept", "passing"]
        cat.close()
        ann.close()
        for _ in range(100):
            listed = [r["room"] for r in (await self.rooms_page(""))["rooms"]]
            if listed == ["kept"]:
                break
            await asyncio.sleep(0.02)
        assert listed == ["kept"]


NEW_ROOMS = replace(FAST, new_rooms_per_minute=3, origins=("https://chat.example.com",))


class NewRoomLimitTest(ChatTestCase):
    """--new-rooms-per-minute: joining rooms that do not exist yet is limited per address."""

    settings = NEW_ROOMS

    def get_httpserver_options(self) -> dict[str, Any]:
        return {"xheaders": True}  # so that a test can speak from several addresses

    async def refused_upgrade(self, room: str, address: str = "127.0.0.1") -> tuple[int, dict[str, str], Any]:
        """Status, headers and JSON body of an upgrade the server refuses."""
        headers = {
            "Upgrade": "websocket",
            "Connection": "Upgrade",
            "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
            "Sec-WebSocket-Version": "13",
            "X-Real-IP": address,
        }
        try:
            path = f"/ws?room={tornado.escape.url_escape(room)}&nick=x"
            response = await self.http_client.fetch(self.get_url(path), headers=headers)
        except HTTPClientError as error:
            assert error.response is not None
            response = error.response
        return response.code, dict(response.headers), json.loads(response.body)

    async def join_from(self, address: str, nick: str, room: str) -> Any:
        client, _, _ = await self.join(nick, room=room, headers={"X-Real-IP": address})
        return client

    async def refused_count(self) -> float:
        """chatroom_upgrades_refused_total{reason="too_many_rooms"} as /metrics shows it."""
        response = await self.http_client.fetch(self.get_url("/metrics"))
        sample = 'chatroom_upgrades_refused_total{reason="too_many_rooms"} '
        lines = [line for line in response.body.decode().splitlines() if line.startswith(sample)]
        return float(lines[0].removeprefix(sample)) if lines else 0.0

    @gen_test
    async def test_the_room_over_the_limit_is_refused_429_and_nobody_else_notices(self) -> None:
        """The 4th new room in a minute gets 429 too_many_rooms; members and other addresses carry on."""
        refused_before = await self.refused_count()
        ann = await self.join_from("203.0.113.5", "ann", "first")
        await self.join_from("203.0.113.5", "ann", "second")
        await self.join_from("203.0.113.5", "ann", "third")
        status, headers, body = await self.refused_upgrade("fourth", "203.0.113.5")
        assert status == 429
        assert body == {
            "error": "too_many_rooms",
            "message": "too many new rooms from this address (at most 3 a minute):"
            " join an existing room, or try again later",
        }
        assert headers["Content-Type"] == "application/json" and headers["Retry-After"] == "20"
        assert await self.refused_count() == refused_before + 1
        # Nothing was created, and the address's members carry on.
        status, listed = await self.fetch_json("/api/rooms")
        assert [r["room"] for r in listed["rooms"]] == ["first", "second", "third"]
        bob = await self.join_from("203.0.113.5", "bob", "first")  # joining an existing room is no creation
        await self.recv_type(ann, "sys")
        await self.chat(bob, "still here")
        assert (await self.recv_type(ann, "user"))["message"] == "still here"
        # Another address creates rooms as before.
        await self.join_from("198.51.100.7", "cat", "fourth")

    @gen_test
    async def test_a_room_with_history_is_no_creation(self) -> None:
        """Rooms with stored messages can be joined by anyone, even with no allowance left."""
        await asyncio.gather(*[self.backend.publish(f"old-{i}", "bot", "hi") for i in range(5)])
        for i in range(5):
            client = await self.join_from("203.0.113.5", "ann", f"old-{i}")
            client.close()
        for name in ("a", "b", "c"):
            await self.join_from("203.0.113.5", "ann", name)
        assert (await self.refused_upgrade("d", "203.0.113.5"))[0] == 429

    @gen_test
    async def test_refused_upgrades_do_not_spend_the_allowance(self) -> None:
        """Upgrades from a foreign origin (403) or with a bad room name (4400) do not count as creations."""
        for i in range(5):
            with pytest.raises(Exception, match="403"):
                await self.connect(
                    headers={"Origin": "https://evil.example", "X-Real-IP": "203.0.113.5"}, room=f"o{i}"
                )
            client = await self.connect(headers={"X-Real-IP": "203.0.113.5"}, room=f"-bad{i}", nick="ann")
            assert (await self.recv(client))["code"] == "bad_name"
            assert await self.closed(client) == protocol.CLOSE_BAD_NAME
        for name in ("a", "b", "c"):
            await self.join_from("203.0.113.5", "ann", name)
        assert (await self.refused_upgrade("d", "203.0.113.5"))[0] == 429

    @gen_test
    async def test_one_ipv6_network_counts_as_one_address(self) -> None:
        """Addresses of one IPv6 /64 share the allowance; another /64 has its own."""
        for i, name in enumerate(("a", "b", "c")):
            await self.join_from(f"2001:db8:1:2::{i + 1}", "ann", name)
        assert (await self.refused_upgrade("d", "2001:db8:1:2:ffff::9"))[0] == 429
        await self.join_from("2001:db8:1:3::1", "ann", "d")


class NewRoomLimitOffTest(ChatTestCase):
    """--new-rooms-per-minute 0 lets one address create rooms without limit."""

    settings = replace(FAST, new_rooms_per_minute=0)

    @gen_test
    async def test_no_limit(self) -> None:
        """Forty new rooms from one address in a moment are all admitted."""
        for i in range(40):
            client = await self.join_from_here(f"n{i}")
            client.close()

    async def join_from_here(self, room: str) -> Any:
        client, _, _ = await self.join("ann", room=room)
        return client


class BotNotMemberTest(ChatTestCase):
    """A bot posts only where it was put."""

    @gen_test
    async def test_publish_outside_its_rooms_is_forbidden(self) -> None:
        """POST to an open room the bot is not a member of answers 403 forbidden; nothing is stored."""
        key = await self.make_bot("bot", "lobby")
        await self.make_bot("other", "elsewhere")
        status, body = await self.fetch_json(
            "/api/rooms/elsewhere/messages",
            method="POST",
            headers={"Authorization": f"Bearer {key}"},
            body=json.dumps({"message": "x"}),
        )
        assert status == 403 and body["error"] == "forbidden"
        status, body = await self.fetch_json("/api/rooms/elsewhere/messages")
        assert (status, body["messages"]) == (200, [])


class RegistryTest(ChatTestCase):
    """The class-level registry holds live sessions per room."""

    @gen_test
    async def test_registry_tracks_members(self) -> None:
        """Members appear in ChatSocketHandler.clients under their room and go when they leave."""
        ann, _, _ = await self.join("ann", room="r1")
        assert {c.nick for c in ChatSocketHandler.clients["r1"]} == {"ann"}
        ann.close()
        for _ in range(50):
            if "r1" not in ChatSocketHandler.clients:
                break
            await asyncio.sleep(0.02)
        assert "r1" not in ChatSocketHandler.clients


class StaleSinceTest(ChatTestCase):
    """A since from another epoch does not swallow the live stream."""

    @gen_test
    async def test_since_beyond_the_last_id_still_gets_new_messages(self) -> None:
        """A client claiming since=500 in a room at id 2 still receives message 3 live."""
        ann, _, _ = await self.join("ann")
        for text in ("one", "two"):
            await self.chat(ann, text)
            await self.recv(ann)
        bob, welcome, history = await self.join("bob", since=500)
        assert (welcome["last_id"], history["messages"]) == (2, [])
        await self.chat(ann, "three")
        live = await self.recv_type(bob, "user")
        assert (live["id"], live["message"]) == (3, "three")


class LateDeliveryBackend(ChatService):
    """A service whose commits reach the loop 0.3 s after they are visible to readers."""

    def _on_appended(self, done: Any, stored: Any) -> None:
        deliver = functools.partial(ChatService._on_appended, self, done, stored)
        asyncio.get_running_loop().call_later(0.3, deliver)


def late_delivery(path: str) -> ChatService:
    return LateDeliveryBackend(SQLiteStore(path), LocalBus())


class LateDeliveryTest(ChatTestCase):
    """History may show a message before its broadcast reaches the process."""

    backend_class = staticmethod(late_delivery)

    @gen_test
    async def test_a_message_in_history_is_not_broadcast_again(self) -> None:
        """A member whose history already holds a message does not get it again live."""
        ann, _, _ = await self.join("ann")
        await self.chat(ann, "stored, not yet delivered")
        while await self.backend.last_id("lobby") < 1:
            await asyncio.sleep(0.01)
        bob, _, history = await self.join("bob")
        assert [m["id"] for m in history["messages"]] == [1]
        assert (await self.recv_type(ann, "user"))["id"] == 1
        await self.nothing_more(bob, 0.5)
        await self.chat(ann, "next")
        assert (await self.recv_type(bob, "user"))["id"] == 2
        await self.nothing_more(bob)


def test_connection_counter_counts_an_ipv6_client_by_its_64() -> None:
    """Addresses of one IPv6 /64 share a limit; another /64 and IPv4-mapped addresses count apart."""
    counter = ConnectionCounter()
    assert counter.acquire("2001:db8::1", 2) and counter.acquire("2001:db8::ffff:2", 2)
    assert not counter.acquire("2001:db8::3", 2)
    assert counter.acquire("2001:db8:0:1::1", 2)
    assert counter.acquire("::ffff:192.0.2.7", 1) and not counter.acquire("192.0.2.7", 1)
    counter.release("2001:db8::1")
    assert counter.acquire("2001:db8::3", 2)
    assert counter.total() == 4
