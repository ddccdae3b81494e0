"""Signed file links over HTTP (api_file_links.py, api_files.FileHandler): asked for, used, refused."""

from __future__ import annotations

import json
import time
from dataclasses import replace
from typing import Any
from urllib.parse import quote

from tornado.testing import gen_test

from chatroom.file_links import FULL_VARIANT, THUMB_VARIANT, link_key, link_path
from chatroom.identity import COOKIE_SECRET
from tests.chat_case import OnPostgres
from tests.files_case import TEXT, FilesCase, png
from tests.rooms_case import token_for

NOT_FOUND = b'{"error":"not_found","message":"there is no such file, or you may not see it"}'


class FileLinksTest(FilesCase):
    """bob, a member of plans, asks for links to its files and opens them without credentials."""

    async def links(self, who: str, ids: list[Any]) -> tuple[int, Any]:
        """POST /api/file-links as ``who``: status and answer."""
        status, answer, _ = await self.api("POST", "/api/file-links", who, {"files": ids})
        return status, answer

    async def picture_in_plans(self) -> dict[str, Any]:
        """ann posts a picture (it has a thumbnail) in plans; the file of the answer."""
        await self.people()
        file: dict[str, Any] = (await self.posted("ann", "plans", png(), "map.png"))["file"]
        return file

    async def expect_not_found(self, path: str, **headers: str) -> None:
        """The path is the 404 of a file that does not exist, and nothing else."""
        got = await self.download(None, path, **headers)
        assert (got.code, got.body) == (404, NOT_FOUND), path

    @gen_test(timeout=30)
    async def test_a_link_opens_its_file_whole_in_ranges_and_by_head(self) -> None:
        """Without any credentials, the links give the file, a range of it, its thumbnail and HEAD."""
        file = await self.picture_in_plans()
        status, answer = await self.links("bob", [file["id"]])
        assert status == 200 and set(answer["links"]) == {file["id"]}
        given = answer["links"][file["id"]]
        assert given["file"].startswith(f"/files/{file['id']}/map.png?")
        assert given["thumb"].startswith(f"/files/{file['id']}/thumb?")
        assert "token" not in given["file"] and time.time() + 3600 <= answer["expires"] < time.time() + 4300
        whole = await self.download("bob", f"/files/{file['id']}/map.png")
        got = await self.download(None, given["file"])
        assert (got.code, got.body) == (200, whole.body)
        part = await self.download(None, given["file"], Range="bytes=10-19")
        assert (part.code, part.body) == (206, whole.body[10:20])
        assert part.headers["Content-Range"] == f"bytes 10-19/{len(whole.body)}"
        thumb = await self.download(None, given["thumb"])
        assert (
            thumb.code == 200
            and thumb.body == (await self.download("bob", f"/files/{file['id']}/thumb")).body
        )
        head = await self.download(None, given["file"], method="HEAD")
        assert (head.code, head.headers["Content-Length"], head.body) == (200, str(len(whole.body)), b"")

    @gen_test(timeout=30)
    async def test_a_link_opens_only_the_file_and_variant_it_names(self) -> None:
        """A thumbnail's signature does not open the file, nor one file's signature another file."""
        file = await self.picture_in_plans()
        other = (await self.posted("ann", "plans", TEXT, "notes.txt"))["file"]
        _, answer = await self.links("bob", [file["id"], other["id"]])
        given = answer["links"][file["id"]]
        thumb_query = given["thumb"].split("?", 1)[1]
        await self.expect_not_found(f"/files/{file['id']}/map.png?{thumb_query}")
        file_query = given["file"].split("?", 1)[1]
        await self.expect_not_found(f"/files/{other['id']}/notes.txt?{file_query}")
        assert "thumb" not in answer["links"][other["id"]]  # a text file has no thumbnail

    @gen_test(timeout=30)
    async def test_an_expired_or_forged_link_is_the_404_of_no_file(self) -> None:
        """A link whose hour is over, one made with another key, or changed to another account: 404."""
        file = await self.picture_in_plans()
        secret = await self.backend.accounts.get_or_create_secret(COOKIE_SECRET, lambda: "unused")
        bob = await self.backend.accounts.account_by_name("bob")
        assert bob is not None
        key = link_key(secret)
        past = int(time.time()) - 1
        await self.expect_not_found(link_path(key, file["id"], "map.png", FULL_VARIANT, bob.id, past))
        await self.expect_not_found(
            link_path(key, file["id"], "map.png", THUMB_VARIANT, bob.id, past), Range="bytes=0-9"
        )
        later = int(time.time()) + 600
        forged = link_path(link_key(secret + "?"), file["id"], "map.png", FULL_VARIANT, bob.id, later)
        await self.expect_not_found(forged)
        good = link_path(key, file["id"], "map.png", FULL_VARIANT, bob.id, later)
        assert (await self.download(None, good)).code == 200
        await self.expect_not_found(good.replace(f"account={bob.id}", f"account={bob.id + 1}"))

    @gen_test(timeout=30)
    async def test_a_removed_member_s_link_stops_working_at_once(self) -> None:
        """bob's link works until ann removes him from plans; then it is 404, range or not."""
        file = await self.picture_in_plans()
        _, answer = await self.links("bob", [file["id"]])
        given = answer["links"][file["id"]]
        assert (await self.download(None, given["file"], Range="bytes=0-3")).code == 206
        status, _, _ = await self.api("DELETE", "/api/rooms/plans/members/bob", "ann")
        assert status in (200, 204)
        await self.expect_not_found(given["file"], Range="bytes=0-3")
        await self.expect_not_found(given["thumb"])
        assert (await self.links("bob", [file["id"]]))[1]["links"] == {}

    @gen_test(timeout=30)
    async def test_a_deactivated_account_s_link_stops_working(self) -> None:
        """Once bob's account is deactivated, the link he was given is 404."""
        file = await self.picture_in_plans()
        _, answer = await self.links("bob", [file["id"]])
        given = answer["links"][file["id"]]
        assert (await self.download(None, given["file"])).code == 200
        bob = await self.backend.accounts.account_by_name("bob")
        assert bob is not None and await self.backend.accounts.deactivate_account(bob.id)
        await self.expect_not_found(given["file"])

    @gen_test(timeout=30)
    async def test_a_bot_asks_with_its_key_for_its_rooms_files_only(self) -> None:
        """A bot's key gets links to what it may download: an open room's file, a closed room's once in it."""
        key = await self.bot("helper")
        file = await self.picture_in_plans()
        town = (await self.posted("ann", "town", TEXT, "notes.txt"))["file"]
        ask = {"Authorization": key, "Content-Type": "application/json"}
        body = json.dumps({"files": [file["id"], town["id"]]}).encode()
        outside = json.loads((await self.raw_fetch("POST", "/api/file-links", ask, body)).body)
        assert set(outside["links"]) == {town["id"]}
        assert (await self.download(None, f"/files/{town['id']}/notes.txt", Authorization=key)).code == 200
        status, _, _ = await self.api("POST", "/api/rooms/plans/members", "ann", {"name": "helper"})
        assert status in (200, 201)
        inside = json.loads((await self.raw_fetch("POST", "/api/file-links", ask, body)).body)
        assert set(inside["links"]) == {file["id"], town["id"]}
        got = await self.download(None, inside["links"][file["id"]]["thumb"])
        assert got.code == 200 and got.headers["Content-Type"] == "image/png"

    @gen_test(timeout=30)
    async def test_a_token_in_a_file_s_address_is_not_taken(self) -> None:
        """``?token=`` on /files and /avatars is as no credentials at all: 401, no byte of the file."""
        file = await self.picture_in_plans()
        for path in (f"/files/{file['id']}/map.png", f"/files/{file['id']}/thumb", "/avatars/ann"):
            got = await self.download(None, f"{path}?token={quote(token_for('bob'))}")
            assert got.code == 401 and b"PNG" not in (got.body or b""), path

    @gen_test(timeout=30)
    async def test_the_body_must_be_a_list_of_file_ids(self) -> None:
        """Not a list, not strings, or more than a hundred ids: 400; unknown ids are simply left out."""
        await self.people()
        for body in ({}, {"files": "x"}, {"files": [1]}, {"files": ["a"] * 101}):
            status, answer, _ = await self.api("POST", "/api/file-links", "bob", body)
            assert (status, answer["error"]) == (400, "bad_request"), body
        status, answer = await self.links("bob", ["AAAAAAAAAAAAAAAAAAAAAA", "x" * 500])
        assert status == 200 and answer["links"] == {}

    @gen_test(timeout=30)
    async def test_without_credentials_there_are_no_links(self) -> None:
        """No token: 401, as every API request."""
        await self.people()
        status, answer, _ = await self.api("POST", "/api/file-links", None, {"files": []})
        assert (status, answer["error"]) == (401, "unauthorized")


class GuestFileLinksTest(FilesCase):
    """Guests are let in: they read open rooms' files by their plain address, and get no links."""

    settings = replace(FilesCase.settings, guests=True)

    @gen_test(timeout=30)
    async def test_a_guest_gets_403_and_the_plain_address_instead(self) -> None:
        """A guest asking for links is 403 forbidden; the open room's file is theirs without one."""
        await self.people()
        file = (await self.posted("ann", "town", TEXT, "notes.txt"))["file"]
        await self.refused(
            403, "forbidden", self.api("POST", "/api/file-links", None, {"files": [file["id"]]})
        )
        got = await self.download(None, f"/files/{file['id']}/notes.txt")
        assert (got.code, got.body) == (200, TEXT)


class FileLinksOnPostgresTest(OnPostgres, FileLinksTest):
    """The same links, with the files, rooms and memberships in PostgreSQL."""
