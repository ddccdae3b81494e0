"""Files over HTTP: uploads published as messages, every refusal, downloads in ranges, their headers."""

from __future__ import annotations

import io
import os
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path
from typing import Any
from unittest import mock
from urllib.parse import quote

import pytest
from PIL import Image
from tornado.httpclient import HTTPClientError
from tornado.iostream import StreamClosedError
from tornado.testing import gen_test

from chatroom import images, metrics
from chatroom.store.base import StoreError
from chatroom.store.files_base import ATTACHMENT, NewFile
from tests.files_case import LIMIT, TEXT, FilesCase, png
from tests.rooms_case import as_
from tests.web_client import guestless_site, join


class UploadTest(FilesCase):
    """ann uploads to the rooms she may write in."""

    @gen_test(timeout=30)
    async def test_a_file_becomes_a_message_with_its_file(self) -> None:
        """The answer has the message id and the file; members get a user frame carrying it, history too."""
        await self.people()
        bob, _ = await self.enter("bob", "town")
        await self.recv_type(bob, "sys")
        answer = await self.posted("ann", "town", TEXT, "notes.txt", text="the minutes")
        file = answer["file"]
        assert file == {
            "id": file["id"],
            "name": "notes.txt",
            "size": len(TEXT),
            "type": "text/plain; charset=utf-8",
            "thumb": False,
        }
        frame = await self.recv_type(bob, "user")
        assert (frame["id"], frame["nick"], frame["message"], frame["file"]) == (
            answer["id"],
            "ann",
            "the minutes",
            file,
        )
        _, history, _ = await self.api("GET", "/api/rooms/town/messages", "bob")
        assert history["messages"][-1]["file"] == file
        got = await self.download("bob", f"/files/{file['id']}/notes.txt")
        assert (got.code, got.body) == (200, TEXT)

    @gen_test(timeout=30)
    async def test_an_image_is_stripped_and_has_a_thumbnail(self) -> None:
        """A PNG comes back without its text chunks, with its size, and a thumbnail no larger than 480."""
        await self.people()
        answer = await self.posted("ann", "town", png(), "map.png")
        file = answer["file"]
        assert (file["type"], file["width"], file["height"], file["thumb"]) == ("image/png", 900, 600, True)
        full = await self.download("bob", f"/files/{file['id']}/map.png")
        assert full.code == 200 and b"secret-location" not in full.body
        assert full.headers["Content-Type"] == "image/png"
        assert full.headers["Content-Disposition"].startswith("inline;")
        thumb = await self.download("bob", f"/files/{file['id']}/thumb")
        with Image.open(io.BytesIO(thumb.body)) as image:
            assert max(image.size) <= 480 and image.format == "PNG"
        assert thumb.headers["ETag"] != full.headers["ETag"]

    @gen_test(timeout=30)
    async def test_a_name_is_kept_without_folders_or_control_characters(self) -> None:
        """A path and a right-to-left override are taken out of the name; an empty caption is no text."""
        await self.people()
        answer = await self.posted("ann", "town", TEXT, "../../etc/\u202egpj.exe")
        assert answer["file"]["name"] == "gpj.exe"
        _, history, _ = await self.api("GET", "/api/rooms/town/messages", "ann")
        assert history["messages"][-1]["message"] == ""

    @gen_test(timeout=30)
    async def test_a_reply_with_a_file(self) -> None:
        """reply_to makes the file's message a reply."""
        await self.people()
        first = await self.posted("ann", "town", TEXT, "a.txt")
        second = await self.posted("bob", "town", TEXT, "b.txt", reply_to=first["id"])
        _, history, _ = await self.api("GET", "/api/rooms/town/messages", "ann")
        reply = next(m for m in history["messages"] if m["id"] == second["id"])
        assert reply["reply_to"]["id"] == first["id"]

    @gen_test(timeout=30)
    async def test_uploads_are_counted_in_the_metrics(self) -> None:
        """chatroom_uploads_total goes up by one and chatroom_file_bytes_stored is what the store holds."""
        await self.people()
        before = metrics.UPLOADS._value.get()
        await self.posted("ann", "town", TEXT)
        assert metrics.UPLOADS._value.get() == before + 1
        _, _, raw = await self.get("ann", "/metrics")
        stored = await self.backend.files.total_bytes()
        assert f"chatroom_file_bytes_stored {float(stored)}".encode() in raw
        assert stored >= len(TEXT)


class BotUploadTest(FilesCase):
    """A bot uploads with its key to the rooms it was put in."""

    @gen_test(timeout=30)
    async def test_a_bot_uploads_to_its_rooms_only(self) -> None:
        """Its file is a message marked as a bot's in its room; an open room it is not in is 403."""
        await self.people()
        key = await self.make_bot("filebot", "town")
        await self.create("ann", "square", "open")
        headers = {"Authorization": f"Bearer {key}"}
        done = await self.raw_fetch("POST", "/api/rooms/town/files?name=report.txt", headers, TEXT)
        assert done.code == 200
        _, history, _ = await self.api("GET", "/api/rooms/town/messages", "bob")
        last = history["messages"][-1]
        assert (last["nick"], last.get("bot"), last["file"]["name"]) == ("filebot", True, "report.txt")
        refused = await self.raw_fetch("POST", "/api/rooms/square/files?name=report.txt", headers, TEXT)
        assert refused.code == 403


class GuestUploadTest(FilesCase):
    """Where guests are let in, they still cannot upload."""

    settings = replace(FilesCase.settings, guests=True)

    @gen_test(timeout=30)
    async def test_a_guest_is_403(self) -> None:
        """A request with no credentials is a guest's: 403 forbidden."""
        await self.people()
        await self.refused(403, "forbidden", self.upload(None, "town", TEXT))

    @gen_test(timeout=30)
    async def test_a_guest_downloads_the_files_of_open_rooms_only(self) -> None:
        """A guest gets an open room's file, and the same 404 as for no file for a closed room's."""
        await self.people()
        open_file = (await self.posted("ann", "town", TEXT, "open.txt"))["file"]["id"]
        closed_file = (await self.posted("ann", "plans", TEXT, "closed.txt"))["file"]["id"]
        got = await self.download(None, f"/files/{open_file}/open.txt")
        assert (got.code, got.body) == (200, TEXT)
        await self.refused(404, "not_found", self.get(None, f"/files/{closed_file}/closed.txt"))


class DownloadTest(FilesCase):
    """bob downloads what ann uploaded: whole, in ranges, revalidated."""

    async def stored(self, body: bytes, name: str = "notes.txt", room: str = "town") -> str:
        """Upload and return the file's path."""
        answer = await self.posted("ann", room, body, name)
        return f"/files/{answer['file']['id']}/{quote(name)}"

    @gen_test(timeout=30)
    async def test_the_headers_make_a_file_harmless(self) -> None:
        """HTML comes back as text to download, never sniffed, sandboxed, cached privately."""
        await self.people()
        path = await self.stored(b"<html><script>alert(1)</script></html>", "page.html")
        got = await self.download("bob", path)
        assert got.code == 200
        headers = got.headers
        assert headers["Content-Type"] == "text/plain; charset=utf-8"
        assert (
            headers["Content-Disposition"] == "attachment; filename=\"page.html\"; filename*=UTF-8''page.html"
        )
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Content-Security-Policy"] == (
            "default-src 'none'; img-src 'self'; media-src 'self'; style-src 'unsafe-inline'; sandbox"
        )
        assert headers["Cache-Control"].startswith("private")
        assert headers["Accept-Ranges"] == "bytes" and headers["ETag"]

    @gen_test(timeout=30)
    async def test_a_name_outside_ascii_is_in_filename_star(self) -> None:
        """RFC 6266: the exact name percent-encoded in filename*, an ASCII stand-in in filename."""
        await self.people()
        path = await self.stored(TEXT, 'Grüße "x".txt')
        disposition = (await self.download("bob", path)).headers["Content-Disposition"]
        assert disposition == (
            "attachment; filename=\"Gr__e _x_.txt\"; filename*=UTF-8''Gr%C3%BC%C3%9Fe%20%22x%22.txt"
        )

    @gen_test(timeout=30)
    async def test_ranges(self) -> None:
        """bytes=a-b, a- and -n answer 206 with their bytes; past the end is 416; several ranges the whole."""
        await self.people()
        body = os.urandom(700_000)
        path = await self.stored(body, "blob.bin")
        for header, start, end in (
            ("bytes=0-9", 0, 10),
            ("bytes=262140-262150", 262140, 262151),
            ("bytes=699990-", 699990, 700000),
            ("bytes=-5", 699995, 700000),
            ("bytes=10-99999999", 10, 700000),
        ):
            got = await self.download("bob", path, Range=header)
            assert (got.code, got.body) == (206, body[start:end]), header
            assert got.headers["Content-Range"] == f"bytes {start}-{end - 1}/700000"
            assert got.headers["Content-Length"] == str(end - start)
        unsatisfiable = await self.download("bob", path, Range="bytes=700000-")
        assert unsatisfiable.code == 416 and unsatisfiable.headers["Content-Range"] == "bytes */700000"
        whole = await self.download("bob", path, Range="bytes=0-1,5-6")
        assert (whole.code, whole.body) == (200, body)

    @gen_test(timeout=30)
    async def test_etag_head_and_if_range(self) -> None:
        """If-None-Match is 304; HEAD has headers and no body; an If-Range of another version sends all."""
        await self.people()
        path = await self.stored(TEXT)
        first = await self.download("bob", path)
        etag = first.headers["ETag"]
        again = await self.download("bob", path, **{"If-None-Match": etag})
        assert again.code == 304 and not again.body
        head = await self.download("bob", path, method="HEAD")
        assert head.code == 200 and head.headers["Content-Length"] == str(len(TEXT)) and not head.body
        assert (await self.download("bob", path, Range="bytes=0-1", **{"If-Range": '"other"'})).code == 200
        assert (await self.download("bob", path, Range="bytes=0-1", **{"If-Range": etag})).code == 206

    @gen_test(timeout=30)
    async def test_a_cached_file_is_asked_about_each_time_and_a_deleted_one_is_404(self) -> None:
        """Files are revalidated before each use: 304 while they stand, 404 once deleted, even to a
        browser that has the file in its cache."""
        await self.people()
        answer = await self.posted("ann", "town", png(), "map.png")
        file_id = answer["file"]["id"]
        paths = (f"/files/{file_id}/map.png", f"/files/{file_id}/thumb")
        etags = []
        for path in paths:
            first = await self.download("bob", path)
            assert first.headers["Cache-Control"] == "private, no-cache"
            etag = first.headers["ETag"]
            assert etag.startswith('"') and not etag.startswith("W/")
            again = await self.download("bob", path, **{"If-None-Match": etag})
            assert (again.code, again.body) == (304, b"")
            assert again.headers["Cache-Control"] == "private, no-cache"
            etags.append(etag)
        client, _ = await self.enter("ann", "town")
        await self.recv_type(client, "sys")
        await self.send(client, {"type": "delete", "id": answer["id"], "ref": "d"})
        await self.recv_type(client, "ack")
        for path, etag in zip(paths, etags, strict=True):
            gone = await self.download("bob", path, **{"If-None-Match": etag})
            assert gone.code == 404 and b"\x89PNG" not in (gone.body or b"")

    @gen_test(timeout=30)
    async def test_what_one_may_not_see_is_404(self) -> None:
        """An unknown id, a file never posted, and a deleted message's file are all 404 not_found."""
        await self.people()
        await self.refused(404, "not_found", self.get("bob", "/files/AAAAAAAAAAAAAAAAAAAAAA/x"))
        spool = self.backend.files.spool_dir / "loose"
        spool.write_bytes(TEXT)
        prepared = images.prepare(spool, self.backend.files.spool_dir, "x.txt")
        loose = await self.backend.files.save(NewFile("town", 1, "x.txt", ATTACHMENT), prepared)
        spool.unlink()
        await self.refused(404, "not_found", self.get("ann", f"/files/{loose.id}/x.txt"))
        answer = await self.posted("ann", "town", TEXT)
        client, _ = await self.enter("ann", "town")
        await self.recv_type(client, "sys")
        await self.send(client, {"type": "delete", "id": answer["id"], "ref": "d"})
        await self.recv_type(client, "ack")
        await self.refused(404, "not_found", self.get("bob", f"/files/{answer['file']['id']}/notes.txt"))

    @gen_test(timeout=30)
    async def test_a_store_failing_halfway_cuts_the_answer_short(self) -> None:
        """Once the headers are out, a failure closes the connection: the client sees a short body, no 200."""
        await self.people()
        path = await self.stored(os.urandom(600_000), "big.bin")
        files = self.backend.files
        reading = files.read

        async def failing(file_id: str, **where: Any) -> AsyncIterator[bytes]:
            async for chunk in reading(file_id, **where):
                yield chunk
                raise StoreError("the database went away")

        with (
            mock.patch.object(files, "read", failing),
            self.assertNoLogs("tornado.application", "ERROR"),
            pytest.raises((HTTPClientError, StreamClosedError)),
        ):
            await self.http_client.fetch(self.get_url(path), headers=as_("bob"))

    @gen_test(timeout=30)
    async def test_a_large_file_streams_back_whole(self) -> None:
        """A file of several chunks comes back byte for byte."""
        await self.people()
        body = os.urandom(LIMIT)
        path = await self.stored(body, "big.bin")
        got = await self.download("bob", path)
        assert got.body == body and got.headers["Content-Type"] == "application/octet-stream"


def test_a_browser_uploads_with_its_cookie_and_the_pages_xsrf_token(tmp_path: Path) -> None:
    """On the real server: with the session cookie, an upload without X-XSRFToken is 403 xsrf, with it 200;
    the file then downloads with the cookie alone."""
    with guestless_site(str(tmp_path / "chat.db")) as (server, _, join_link):
        ann = join(server, join_link, "ann")
        path = "/api/rooms/lobby/files?name=notes.txt"
        assert ann.request("POST", path, TEXT).error == (403, "xsrf")
        assert ann.request("PUT", "/api/me/avatar", png()).error == (403, "xsrf")
        answer = ann.request("POST", path, TEXT, {"X-XSRFToken": ann.xsrf_token()})
        assert answer.status == 200, answer
        got = ann.get(f"/files/{answer.json['file']['id']}/notes.txt")
        assert (got.status, got.body) == (200, TEXT)
