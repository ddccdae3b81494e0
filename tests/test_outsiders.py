"""An outsider gets no byte of a closed or direct room on any path: socket, history, since, the API."""

from __future__ import annotations

import asyncio
import contextlib
import io
from dataclasses import replace
from urllib.parse import quote

from PIL import Image
from tornado.testing import gen_test
from tornado.websocket import WebSocketClientConnection

from chatroom import protocol
from tests.chat_case import OnPostgres
from tests.rooms_case import RoomsCase, as_, token_for

SECRET = "launch-code-7f3a91"
TITLE = "Covert Title 55"
# Written by changes to messages: an edit, a reaction, a reply (and a pin of the message).
EDITED = "edited-code-4c2e"
EMOJI = "\U0001f9ed"
# A room's topic, set by a member.
TOPIC = "topic-code-91c7"


async def said_until_closed(client: WebSocketClientConnection) -> tuple[str, int | None]:
    """Every frame the socket sends until it closes, joined, and its close code."""
    received = []
    while (raw := await asyncio.wait_for(client.read_message(), 5)) is not None:
        received.append(str(raw))
    return "".join(received), client.close_code


def secret_png() -> bytes:
    """A picture large enough to have a thumbnail."""
    out = io.BytesIO()
    Image.new("RGB", (800, 600), (10, 20, 30)).save(out, "PNG")
    return out.getvalue()


async def write_the_secret(case: RoomsCase, client: WebSocketClientConnection) -> None:
    """The secret as a message, then a reply with it, an edit, a reaction and a pin, each acked."""
    await case.recv_type(client, "sys")
    await case.send(client, {"type": "message", "message": SECRET, "ref": "s"})
    first = (await case.recv_type(client, "ack"))["id"]
    for change in (
        {"type": "message", "message": SECRET, "reply_to": first, "ref": "r"},
        {"type": "edit", "id": first, "message": EDITED, "ref": "e"},
        {"type": "react", "id": first, "emoji": EMOJI, "on": True, "ref": "x"},
        {"type": "pin", "id": first, "on": True, "ref": "p"},
    ):
        await case.send(client, change)
        assert "id" in await case.recv_type(client, "ack")
    client.close()


class OutsiderTest(RoomsCase):
    """ann and bob share a closed room and a direct one; carl (and root, an administrator) are outside."""

    async def setUpRooms(self) -> list[str]:
        """The closed and direct rooms, each with the secret written in it; their names."""
        await self.person("root", admin=True)
        await self.person("bob")
        await self.person("carl")
        await self.create("ann", "hidden-plans", "closed", title=TITLE, members=["bob"])
        _, dm, _ = await self.api("POST", "/api/direct", "ann", {"members": ["bob"]})
        for room in ("hidden-plans", dm["room"]):
            client, _ = await self.enter("ann", room)
            await write_the_secret(self, client)
        return ["hidden-plans", dm["room"]]

    def assert_clean(self, raw: bytes | str, *rooms: str) -> None:
        data = raw.encode() if isinstance(raw, str) else raw
        for secret in (SECRET, TITLE, EDITED, EMOJI, TOPIC, *rooms):
            assert secret.encode() not in data, (secret, data[:300])

    async def socket_bytes(self, who: str, room: str, **params: str | int) -> tuple[str, int | None]:
        """Everything the socket sends ``who`` asking for ``room``, and its close code."""
        return await said_until_closed(await self.connect(room=room, token=token_for(who), **params))

    @gen_test(timeout=30)
    async def test_the_socket_answers_4404_and_nothing_else(self) -> None:
        """Joining, with or without since, gives not_found and 4404, for the administrator as for anyone."""
        for room in await self.setUpRooms():
            for who in ("carl", "root"):
                for params in ({}, {"since": 0}, {"since": 1}):
                    raw, code = await self.socket_bytes(who, room, **params)
                    assert code == protocol.CLOSE_NOT_FOUND and protocol.NOT_FOUND in raw
                    self.assert_clean(raw, room)

    @gen_test(timeout=30)
    async def test_history_requests_from_another_room_reach_only_that_room(self) -> None:
        """A history request on an open room's socket pages that room alone."""
        rooms = await self.setUpRooms()
        await self.create("carl", "town", "open")
        client, welcome = await self.enter("carl", "town")
        received = [str(welcome)]
        for before in (1, 2, 10**12):
            await self.send(client, {"type": "history", "before": before, "limit": 200})
            received.append(str(await self.recv_type(client, "history")))
        self.assert_clean("".join(received), *rooms)

    @gen_test(timeout=30)
    async def test_the_http_api_shows_nothing(self) -> None:
        """Rooms list, messages (all paging), members, starred rooms and every change answer the outsider
        without a byte."""
        rooms = await self.setUpRooms()
        for room in rooms:
            for who in ("carl", "root"):
                for path in (
                    "/api/rooms",
                    f"/api/rooms?prefix={room[:3]}",
                    "/api/rooms?after=a&limit=200",
                    f"/api/rooms/{room}/messages",
                    f"/api/rooms/{room}/messages?after=0",
                    f"/api/rooms/{room}/messages?before=100&limit=500",
                    f"/api/rooms/{room}/messages?around=1",
                    "/api/me/starred",
                ):
                    status, _, raw = await self.api("GET", path, who)
                    assert status in (200, 404)
                    self.assert_clean(raw, room)
                status, _, raw = await self.api("GET", f"/api/rooms/{room}/pins", who)
                assert status == 404
                self.assert_clean(raw, room)
            # What the outsider is refused, a member reads: the pinned message, edited.
            status, pinned, _ = await self.api("GET", f"/api/rooms/{room}/pins", "bob")
            assert status == 200 and [m["message"] for m in pinned["messages"]] == [EDITED]
            for method, path, body in (
                ("GET", f"/api/rooms/{room}/members", None),
                ("POST", f"/api/rooms/{room}/members", {"name": "carl"}),
                ("DELETE", f"/api/rooms/{room}/members/bob", None),
                ("PATCH", f"/api/rooms/{room}", {"archived": True}),
                ("PATCH", f"/api/rooms/{room}", {"topic": TOPIC}),
                ("PATCH", f"/api/rooms/{room}", {"topic": TOPIC, "title": TITLE}),
                ("PUT", f"/api/rooms/{room}/read", {"id": 1}),
                ("PUT", f"/api/rooms/{room}/notify", {"level": "muted"}),
                ("PUT", f"/api/me/starred/{room}", None),
            ):
                status, _, raw = await self.api(method, path, "carl", body)
                assert status == 404, (method, path)
                self.assert_clean(raw, room)
        _, dm, raw = await self.api("POST", "/api/direct", "carl", {"members": ["ann", "bob"]})
        assert dm["room"] not in rooms
        self.assert_clean(raw, *rooms)

    @gen_test(timeout=30)
    async def test_a_look_alike_of_a_closed_rooms_name_is_refused_without_naming_it(self) -> None:
        """Creating ``hidden-pIans`` (a capital I) is refused, without spelling out the closed room it looks
        like; joining it is the 404 of any room one may not see."""
        rooms = await self.setUpRooms()
        status, _, raw = await self.api(
            "POST", "/api/rooms", "carl", {"room": "hidden-pIans", "kind": "open"}
        )
        assert status == 409 and b"too like an existing room's name" in raw
        self.assert_clean(raw, *rooms)
        raw_socket, code = await self.socket_bytes("carl", "hidden-pIans")
        assert code == protocol.CLOSE_NOT_FOUND
        self.assert_clean(raw_socket, *rooms)

    @gen_test(timeout=30)
    async def test_search_finds_nothing_of_the_rooms(self) -> None:
        """Searching for the rooms' words, everywhere or in the room, finds them for members alone."""
        rooms = await self.setUpRooms()
        queries = [SECRET, EDITED, "launch", "7f", '"code-7f3a91"', SECRET[:2]]
        for room in rooms:
            for who in ("carl", "root"):
                for q in queries:
                    for extra in ("", f"&room={room}", "&from=ann", "&after=2000-01-01&limit=100"):
                        status, _, raw = await self.api("GET", f"/api/search?q={quote(q)}{extra}", who)
                        assert status in (200, 404), (q, extra)
                        self.assert_clean(raw, room)
            status, body, _ = await self.api("GET", f"/api/search?q={quote(SECRET)}&room={room}", "bob")
            assert status == 200 and [r["room"] for r in body["results"]] == [room]

    @gen_test(timeout=30)
    async def test_an_administrator_sees_a_closed_rooms_members_not_its_words(self) -> None:
        """The member list the administrator gets holds names and roles, no message, no title."""
        rooms = await self.setUpRooms()
        status, body, raw = await self.api("GET", f"/api/rooms/{rooms[0]}/members", "root")
        assert status == 200 and {m["name"] for m in body["members"]} == {"ann", "bob"}
        assert SECRET.encode() not in raw and TITLE.encode() not in raw
        status, _, raw = await self.api("GET", f"/api/rooms/{rooms[1]}/members", "root")
        assert status == 404
        self.assert_clean(raw, rooms[1])

    @gen_test(timeout=30)
    async def test_a_removed_member_is_an_outsider_again(self) -> None:
        """Once bob is out, every path answers him as it answers carl."""
        rooms = await self.setUpRooms()
        await self.api("DELETE", f"/api/rooms/{rooms[0]}/members/bob", "ann")
        await self.api("DELETE", f"/api/rooms/{rooms[1]}/members/bob", "bob")
        for room in rooms:
            raw, code = await self.socket_bytes("bob", room, since=0)
            assert code == protocol.CLOSE_NOT_FOUND
            self.assert_clean(raw, room)
            for path in (
                "/api/rooms",
                f"/api/rooms/{room}/messages",
                f"/api/rooms/{room}/members",
                f"/api/rooms/{room}/pins",
            ):
                _, _, raw_body = await self.api("GET", path, "bob")
                self.assert_clean(raw_body, room)

    async def upload_secrets(self, rooms: list[str]) -> list[tuple[str, str]]:
        """ann posts a text file and an image (named with the secret) in each room; their (room, path)s."""
        paths = []
        for room in rooms:
            for name, body in ((f"{SECRET}.txt", SECRET.encode() * 50), (f"{SECRET}.png", secret_png())):
                status, answer, _ = await self.api(
                    "POST", f"/api/rooms/{room}/files?name={quote(name)}", "ann", raw=body
                )
                assert status == 200, answer
                file_id = answer["file"]["id"]
                paths += [(room, f"/files/{file_id}/{quote(name)}"), (room, f"/files/{file_id}/thumb")]
        return paths

    async def file_bytes(self, who: str, path: str, method: str = "GET", **headers: str) -> tuple[int, bytes]:
        """Status and body of a file's path as ``who``."""
        response = await self.raw_fetch(method, path, {**as_(who), **headers}, None)
        return response.code, response.body or b""

    @gen_test(timeout=30)
    async def test_files_are_404_without_a_byte(self) -> None:
        """The rooms' files and thumbnails, whole, in ranges or by HEAD, are the same 404 as no file."""
        rooms = await self.setUpRooms()
        paths = await self.upload_secrets(rooms)
        for room, path in paths:
            assert (await self.file_bytes("bob", path))[0] == 200
            for who in ("carl", "root"):
                for method, headers in (("GET", {}), ("HEAD", {}), ("GET", {"Range": "bytes=0-3"})):
                    status, raw = await self.file_bytes(who, path, method, **headers)
                    assert status == 404, (who, path, method)
                    assert raw in (
                        b"",
                        b'{"error":"not_found","message":"there is no such file, or you may not see it"}',
                    )
                    self.assert_clean(raw, room)

    @gen_test(timeout=30)
    async def test_file_links_give_an_outsider_nothing(self) -> None:
        """carl and root get no link to the rooms' files; a member's link redone in carl's name is 404."""
        rooms = await self.setUpRooms()
        paths = await self.upload_secrets(rooms)
        ids = sorted({path.split("/")[2] for _, path in paths})
        for who in ("carl", "root"):
            status, answer, raw = await self.api("POST", "/api/file-links", who, {"files": ids})
            assert (status, answer["links"]) == (200, {})
            self.assert_clean(raw, *rooms)
        _, answer, _ = await self.api("POST", "/api/file-links", "bob", {"files": ids})
        carl = await self.backend.accounts.account_by_name("carl")
        bob = await self.backend.accounts.account_by_name("bob")
        assert carl is not None and bob is not None and set(answer["links"]) == set(ids)
        for given in answer["links"].values():
            for link in given.values():
                redone = link.replace(f"account={bob.id}&", f"account={carl.id}&")
                assert redone != link
                for headers in ({}, {"Range": "bytes=0-3"}):
                    response = await self.raw_fetch("GET", redone, headers, None)
                    assert response.code == 404, redone
                    self.assert_clean(response.body or b"", *rooms)

    @gen_test(timeout=30)
    async def test_a_removed_member_and_a_deleted_message_lose_the_file(self) -> None:
        """Once bob is out his links are 404; once ann deletes the message, its file is 404 to everyone."""
        rooms = await self.setUpRooms()
        paths = await self.upload_secrets(rooms)
        await self.api("DELETE", f"/api/rooms/{rooms[0]}/members/bob", "ann")
        await self.api("DELETE", f"/api/rooms/{rooms[1]}/members/bob", "bob")
        for room, path in paths:
            status, raw = await self.file_bytes("bob", path)
            assert status == 404
            self.assert_clean(raw, room)
        _, history, _ = await self.api("GET", f"/api/rooms/{rooms[0]}/messages", "ann")
        carrying = [m["id"] for m in history["messages"] if "file" in m]
        client, _ = await self.enter("ann", rooms[0])
        await self.recv_type(client, "sys")
        for msg_id in carrying:
            await self.send(client, {"type": "delete", "id": msg_id, "ref": f"d{msg_id}"})
            await self.recv_type(client, "ack")
        for room, path in paths:
            if room == rooms[0]:
                assert (await self.file_bytes("ann", path))[0] == 404

    @gen_test(timeout=30)
    async def test_unread_counts_reach_members_only(self) -> None:
        """New messages in the rooms tell carl, root and a just-removed bob nothing on their other sockets."""
        rooms = await self.setUpRooms()
        await self.api("DELETE", f"/api/rooms/{rooms[0]}/members/bob", "ann")
        await self.api("DELETE", f"/api/rooms/{rooms[1]}/members/bob", "bob")
        await self.create("ann", "commons", "open")
        watchers = []
        for who in ("carl", "root", "bob"):
            client, _ = await self.enter(who, "commons")
            await self.recv_type(client, "sys")
            watchers.append(client)
        ann, _ = await self.enter("ann", "commons")
        await self.recv_type(ann, "sys")
        for room in rooms:
            writer, _ = await self.enter("ann", room)
            await self.recv_type(writer, "sys")
            await self.send(writer, {"type": "message", "message": SECRET, "ref": "again"})
            await self.send(writer, {"type": "message", "message": "@carl @bob @root " + SECRET, "ref": "m"})
            await self.recv_type(writer, "ack")
        assert (await self.recv_type(ann, "unread"))["room"] in rooms  # members do hear of them
        for client in watchers:
            received = []
            with contextlib.suppress(TimeoutError):
                while True:
                    received.append(str(await asyncio.wait_for(client.read_message(), 0.8)))
            self.assert_clean("".join(received), *rooms)

    @gen_test(timeout=30)
    async def test_a_topic_reaches_members_only(self) -> None:
        """A member setting the rooms' topics tells carl and root (in another room) nothing; ann hears."""
        rooms = await self.setUpRooms()
        await self.create("ann", "commons", "open")
        watchers = []
        for who in ("carl", "root", "ann"):
            client, _ = await self.enter(who, "commons")
            await self.recv_type(client, "sys")
            watchers.append(client)
        for room in rooms:
            status, entry, _ = await self.api("PATCH", f"/api/rooms/{room}", "bob", {"topic": TOPIC})
            assert (status, entry["topic"]) == (200, TOPIC)
            told = await self.recv_type(watchers[2], "room")  # the member hears of it
            assert (told["room"]["room"], told["room"]["topic"], told["by"]) == (room, TOPIC, "bob")
        for client in watchers[:2]:
            received = []
            with contextlib.suppress(TimeoutError):
                while True:
                    received.append(str(await asyncio.wait_for(client.read_message(), 0.8)))
            self.assert_clean("".join(received), *rooms)

    @gen_test(timeout=30)
    async def test_a_direct_peer_s_presence_reaches_members_only(self) -> None:
        """Bob coming and going is told to ann in their direct room, never to carl or root elsewhere."""
        dm = (await self.setUpRooms())[1]
        await self.create("ann", "commons", "open")
        watchers = []
        for who in ("carl", "root"):
            client, _ = await self.enter(who, "commons")
            await self.recv_type(client, "sys")
            watchers.append(client)
        ann, _ = await self.enter("ann", dm)
        assert (await self.recv_type(ann, "peer"))["online"] is False
        bob, _ = await self.enter("bob", "commons")
        assert (await self.recv_type(ann, "peer"))["online"] is True
        bob.close()
        assert (await self.recv_type(ann, "peer"))["online"] is False
        for client in watchers:
            received = []
            with contextlib.suppress(TimeoutError):
                while True:
                    received.append(str(await asyncio.wait_for(client.read_message(), 0.8)))
            assert '"peer"' not in "".join(received)
            self.assert_clean("".join(received), dm)


class OutsiderOnPostgresTest(OnPostgres, OutsiderTest):
    """The same outsiders, with the rooms and memberships in PostgreSQL (a schema of each test's own)."""


class GuestOutsiderTest(RoomsCase):
    """Where guests are let in, a guest creates an open room by joining it: never one that tells of
    another's closed or direct room."""

    settings = replace(RoomsCase.settings, guests=True)

    async def answer(self, room: str) -> tuple[str, int | None]:
        """All a guest's socket says asking for ``room``, and its close code."""
        return await said_until_closed(await self.connect(room=room, nick="mallory"))

    @gen_test(timeout=30)
    async def test_a_name_kept_for_direct_rooms_makes_no_guests_room(self) -> None:
        """A guest joining ``dm-…`` gets not_found and 4404, the same bytes as for an existing direct room."""
        await self.person("bob")
        _, direct, _ = await self.api("POST", "/api/direct", "ann", {"members": ["bob"]})
        answers = [await self.answer(room) for room in (direct["room"], "dm-made-up", "DM-Made-Up")]
        assert answers[0][1] == protocol.CLOSE_NOT_FOUND
        assert answers[1] == answers[0] and answers[2] == answers[0]

    @gen_test(timeout=30)
    async def test_a_guest_joining_a_look_alike_of_a_closed_room_is_not_told_its_name(self) -> None:
        """``hidden-pIans`` beside the closed ``hidden-plans``: bad_name and 4400, the closed room unnamed."""
        await self.create("ann", "hidden-plans", "closed")
        raw, code = await self.answer("hidden-pIans")
        assert code == protocol.CLOSE_BAD_NAME
        assert "looks like an existing room's name" in raw and "hidden-plans" not in raw
