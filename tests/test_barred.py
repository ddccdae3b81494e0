"""An account barred from an open room gets no byte of it on any path: socket, history, since, the API,
search, files, the rooms list, unread counts and pushes."""

from __future__ import annotations

import asyncio
import contextlib
from urllib.parse import quote

from tornado.testing import gen_test

from chatroom import protocol
from chatroom.backend import StoredMessage
from chatroom.push_rules import recipients
from chatroom.store.reading_base import ReadMark
from tests.chat_case import OnPostgres
from tests.rooms_case import RoomsCase, as_, token_for
from tests.test_outsiders import (
    EDITED,
    EMOJI,
    SECRET,
    TITLE,
    TOPIC,
    said_until_closed,
    secret_png,
    write_the_secret,
)

ROOM = "town-square"


class BarredTest(RoomsCase):
    """ann owns an open room where she wrote the secret; bob is barred from it, carl is not."""

    async def setUpRoom(self) -> list[str]:
        """The room with the secret in it, its topic, title, pin, reaction and files; the files' paths."""
        await self.person("bob")
        await self.person("carl")
        await self.create("ann", ROOM, "open", title=TITLE)
        client, _ = await self.enter("ann", ROOM)
        await write_the_secret(self, client)
        assert (await self.api("PATCH", f"/api/rooms/{ROOM}", "ann", {"topic": TOPIC}))[0] == 200
        paths = []
        for name, body in ((f"{SECRET}.txt", SECRET.encode() * 50), (f"{SECRET}.png", secret_png())):
            status, answer, _ = await self.api(
                "POST", f"/api/rooms/{ROOM}/files?name={quote(name)}", "ann", raw=body
            )
            assert status == 200, answer
            file_id = answer["file"]["id"]
            paths += [f"/files/{file_id}/{quote(name)}", f"/files/{file_id}/thumb"]
        # Before the bar, bob followed the room (his read position stored): after it, he follows it no more.
        bob = await self.backend.accounts.account_by_name("bob")
        assert bob is not None
        await self.backend.accounts.mark_read([ReadMark(bob.id, ROOM, 1)])
        assert (await self.api("POST", f"/api/rooms/{ROOM}/bars", "ann", {"name": "bob"}))[0] == 201
        return paths

    def assert_clean(self, raw: bytes | str) -> None:
        data = raw.encode() if isinstance(raw, str) else raw
        for secret in (SECRET, TITLE, EDITED, EMOJI, TOPIC, ROOM):
            assert secret.encode() not in data, (secret, data[:300])

    @gen_test(timeout=30)
    async def test_the_socket_answers_4404_and_nothing_else(self) -> None:
        """Joining, with or without since, gives bob not_found and 4404; carl is welcomed."""
        await self.setUpRoom()
        for params in ({}, {"since": 0}, {"since": 1}):
            client = await self.connect(room=ROOM, token=token_for("bob"), **params)
            raw, code = await said_until_closed(client)
            assert code == protocol.CLOSE_NOT_FOUND and protocol.NOT_FOUND in raw
            self.assert_clean(raw)
        _, welcome = await self.enter("carl", ROOM)
        assert welcome["type"] == "welcome"

    @gen_test(timeout=30)
    async def test_the_http_api_and_search_show_nothing(self) -> None:
        """Rooms list, messages, pins, members, search and every change answer bob without a byte."""
        await self.setUpRoom()
        for path in (
            "/api/rooms",
            f"/api/rooms?prefix={ROOM[:3]}",
            f"/api/rooms/{ROOM}/messages",
            f"/api/rooms/{ROOM}/messages?after=0",
            f"/api/rooms/{ROOM}/messages?around=1",
            f"/api/rooms/{ROOM}/pins",
            f"/api/rooms/{ROOM}/members",
            f"/api/rooms/{ROOM}/bars",
            *(
                f"/api/search?q={quote(q)}{extra}"
                for q in (SECRET, EDITED, "launch")
                for extra in ("", f"&room={ROOM}")
            ),
        ):
            status, _, raw = await self.api("GET", path, "bob")
            assert status in (200, 404), path
            self.assert_clean(raw)
        for method, path, body in (
            ("POST", f"/api/rooms/{ROOM}/members", {"name": "bob"}),
            ("PATCH", f"/api/rooms/{ROOM}", {"topic": TOPIC}),
            ("PATCH", f"/api/rooms/{ROOM}", {"title": TITLE}),
            ("PUT", f"/api/rooms/{ROOM}/read", {"id": 1}),
            ("PUT", f"/api/rooms/{ROOM}/notify", {"level": "muted"}),
            ("POST", f"/api/rooms/{ROOM}/files?name=x.txt", None),
        ):
            status, _, raw = await self.api(method, path, "bob", body)
            assert status == 404, (method, path, status)
            self.assert_clean(raw)
        # What bob is refused, carl reads.
        status, body, _ = await self.api("GET", f"/api/search?q={quote(SECRET)}&room={ROOM}", "carl")
        assert status == 200 and body["results"]

    @gen_test(timeout=30)
    async def test_files_are_404_without_a_byte(self) -> None:
        """The room's files and thumbnails, and links to them, are 404 to bob; carl gets them."""
        paths = await self.setUpRoom()
        for path in paths:
            assert (await self.raw_fetch("GET", path, as_("carl"), None)).code == 200
            for headers in ({}, {"Range": "bytes=0-3"}):
                response = await self.raw_fetch("GET", path, {**as_("bob"), **headers}, None)
                assert response.code == 404, path
                self.assert_clean(response.body or b"")
        ids = sorted({path.split("/")[2] for path in paths})
        status, answer, _ = await self.api("POST", "/api/file-links", "bob", {"files": ids})
        assert (status, answer["links"]) == (200, {})

    @gen_test(timeout=30)
    async def test_unread_counts_and_pushes_reach_the_others_only(self) -> None:
        """New messages, one mentioning bob, give his socket in another room no count and him no push."""
        await self.setUpRoom()
        await self.create("ann", "commons", "open")
        watchers = {}
        for who in ("bob", "carl"):
            client, _ = await self.enter(who, "commons")
            await self.recv_type(client, "sys")
            watchers[who] = client
        assert (await self.api("PUT", f"/api/rooms/{ROOM}/read", "carl", {"id": 1}))[0] == 200
        writer, _ = await self.enter("ann", ROOM)
        await self.recv_type(writer, "sys")
        await self.send(writer, {"type": "message", "message": f"@bob @carl {SECRET}", "ref": "m"})
        ack = await self.recv_type(writer, "ack")
        assert (await self.recv_type(watchers["carl"], "unread"))["room"] == ROOM
        received = []
        with contextlib.suppress(TimeoutError):
            while True:
                received.append(str(await asyncio.wait_for(watchers["bob"].read_message(), 0.8)))
        self.assert_clean("".join(received))
        record = await self.backend.accounts.room_record(ROOM)
        assert record is not None
        mention = StoredMessage(ack["id"], ROOM, "ann", f"@bob @carl {SECRET}", 0)
        pushed = await recipients(self.backend.accounts, mention, record)
        assert [recipient.account.name for recipient in pushed] == ["carl"]


class BarredOnPostgresTest(OnPostgres, BarredTest):
    """The same paths, with the bar in PostgreSQL."""
