"""Taking a file as a request's body (uploads.py): every refusal, the limits, and nothing left behind."""

from __future__ import annotations

import asyncio
import threading
from dataclasses import replace

import pytest
from tornado.testing import gen_test

from chatroom.allowances import Allowance
from chatroom.uploads import PREPARATIONS_AT_ONCE, Uploads, clean_file_name
from tests.chat_case import OnPostgres
from tests.files_case import LIMIT, TEXT, FilesCase, png, refused_count
from tests.rooms_case import token_for


@pytest.mark.parametrize(
    ("raw", "kept"),
    [
        ("photo.jpg", "photo.jpg"),
        ("C:\\Users\\ann\\photo.jpg", "photo.jpg"),
        ("../../etc/passwd", "passwd"),
        ("  spaced out.txt  ", "spaced out.txt"),
        ("\u202egpj.exe", "gpj.exe"),
        ("tab\there\x00.txt", "tabhere.txt"),
        ("x" * 300, "x" * 200),
    ],
)
def test_a_file_name_is_kept_without_folders_or_hidden_characters(raw: str, kept: str) -> None:
    """Only the last part of a path, without control or format characters, at most 200 characters."""
    assert clean_file_name(raw) == kept


@pytest.mark.parametrize("raw", ["", "   ", "a/", "..", "\u200b"])
def test_a_name_with_nothing_left_is_refused(raw: str) -> None:
    """A name that is empty once cleaned is a ValueError (400 for the uploader)."""
    with pytest.raises(ValueError, match="needs a name"):
        clean_file_name(raw)


class RefusalTest(FilesCase):
    """Every refusal has its status and code, and keeps nothing."""

    settings = replace(FilesCase.settings, uploads_per_minute=5)

    async def assert_kept_nothing(self) -> None:
        assert self.spooled() == []
        assert await self.backend.files.total_bytes() == 0

    @gen_test(timeout=30)
    async def test_bad_requests_are_400(self) -> None:
        """No name, a bad reply_to, a caption with control characters or too long, an empty file."""
        await self.people()
        for name, params in ((None, {}), ("", {}), ("/", {}), ("a.txt", {"reply_to": "x"})):
            await self.refused(400, "bad_request", self.upload("ann", "town", TEXT, name, **params))
        await self.refused(400, "no_message", self.upload("ann", "town", TEXT, "a.txt", reply_to=99))
        await self.refused(400, "bad_request", self.upload("ann", "town", TEXT, "a.txt", text="a\x00b"))
        await self.refused(400, "too_long", self.upload("ann", "town", TEXT, "a.txt", text="x" * 5000))
        await self.refused(400, "bad_request", self.upload("ann", "town", b"", "empty.txt"))
        await self.assert_kept_nothing()

    @gen_test(timeout=30)
    async def test_a_room_one_may_not_see_is_404_and_nobody_is_401(self) -> None:
        """carl gets the same 404 for the closed room as for a room that does not exist; no token is 401."""
        await self.people()
        await self.refused(404, "not_found", self.upload("carl", "plans", TEXT))
        await self.refused(404, "not_found", self.upload("carl", "nowhere", TEXT))
        await self.refused(401, "unauthorized", self.upload(None, "town", TEXT))
        await self.assert_kept_nothing()

    @gen_test(timeout=30)
    async def test_an_archived_room_is_403(self) -> None:
        """A room one reads but may not post in refuses files as it refuses messages."""
        await self.people()
        await self.api("PATCH", "/api/rooms/town", "ann", {"archived": True})
        await self.refused(403, "forbidden", self.upload("bob", "town", TEXT))

    @gen_test(timeout=30)
    async def test_too_large_with_a_length_is_413_before_the_body(self) -> None:
        """A Content-Length over the limit is answered 413 at once, though not a byte of the body was sent."""
        await self.people()
        before = refused_count("too_large")
        head = (
            f"POST /api/rooms/town/files?name=big.bin HTTP/1.1\r\nHost: x\r\n"
            f"Authorization: Bearer {token_for('ann')}\r\nContent-Length: {LIMIT + 1}\r\n\r\n"
        ).encode()
        answer = await self.raw_request(head)
        assert answer.startswith(b"HTTP/1.1 413") and b'"too_large"' in answer
        assert refused_count("too_large") == before + 1
        await self.assert_kept_nothing()

    @gen_test(timeout=30)
    async def test_too_large_without_a_length_is_413_as_it_passes(self) -> None:
        """A chunked body is counted as it arrives and refused once it passes the limit."""
        await self.people()
        head = (
            f"POST /api/rooms/town/files?name=big.bin HTTP/1.1\r\nHost: x\r\n"
            f"Authorization: Bearer {token_for('ann')}\r\nTransfer-Encoding: chunked\r\n\r\n"
        ).encode()
        chunk = b"%x\r\n" % (LIMIT + 1) + b"x" * (LIMIT + 1) + b"\r\n"
        answer = await self.raw_request(head, chunk)
        assert answer.startswith(b"HTTP/1.1 413") and b'"too_large"' in answer
        await self.assert_kept_nothing()

    @gen_test(timeout=30)
    async def test_an_unreadable_image_is_422(self) -> None:
        """A file that starts as a PNG and goes on as HTML is refused_image."""
        await self.people()
        broken = b"\x89PNG\r\n\x1a\n<html><script>alert(1)</script></html>" + b" " * 600
        await self.refused(422, "refused_image", self.upload("ann", "town", broken, "x.png"))
        await self.assert_kept_nothing()

    @gen_test(timeout=30)
    async def test_an_interrupted_upload_leaves_nothing(self) -> None:
        """A client that goes away halfway leaves no spool file and no row."""
        await self.people()
        head = (
            f"POST /api/rooms/town/files?name=half.bin HTTP/1.1\r\nHost: x\r\n"
            f"Authorization: Bearer {token_for('ann')}\r\nContent-Length: 100000\r\n\r\n"
        ).encode()
        _, writer = await asyncio.open_connection("127.0.0.1", self.get_http_port())
        writer.write(head + b"y" * 40_000)
        await writer.drain()
        assert await self.eventually(lambda: len(self.spooled()) == 1)
        writer.close()
        assert await self.eventually(lambda: self.spooled() == [])
        await self.assert_kept_nothing()
        _, history, _ = await self.api("GET", "/api/rooms/town/messages", "ann")
        assert history["messages"] == []

    @gen_test(timeout=30)
    async def test_a_file_whose_message_fails_is_discarded(self) -> None:
        """When the message cannot be stored the saved file goes too."""
        await self.people()
        await self.refused(400, "no_message", self.upload("ann", "town", png(), "a.png", reply_to=12345))
        await self.assert_kept_nothing()


class RateAndQuotaTest(FilesCase):
    """Two uploads a minute, and room for 3000 bytes."""

    settings = replace(FilesCase.settings, uploads_per_minute=2, files_quota_bytes=3000)

    @gen_test(timeout=30)
    async def test_the_third_upload_in_a_minute_is_429(self) -> None:
        """Over --uploads-per-minute the answer is 429 rate_limited with Retry-After; others still upload."""
        await self.people()
        before = refused_count("rate_limited")
        for _ in range(2):
            await self.posted("ann", "town", b"tiny")
        status, body, _ = await self.upload("ann", "town", b"tiny")
        assert (status, body["error"]) == (429, "rate_limited")
        assert refused_count("rate_limited") == before + 1
        await self.posted("bob", "town", b"tiny")

    @gen_test(timeout=30)
    async def test_past_the_quota_is_507(self) -> None:
        """An upload that would pass --files-quota-bytes is quota_exceeded, with or without a length."""
        await self.people()
        await self.posted("ann", "town", b"a" * 2000)
        await self.refused(507, "quota_exceeded", self.upload("bob", "town", b"b" * 1500))
        assert self.spooled() == []
        assert await self.backend.files.total_bytes() == 2000


class QuotaRaceTest(FilesCase):
    """Room for 3000 bytes, and uploads that arrive at once."""

    settings = replace(FilesCase.settings, files_quota_bytes=3000)

    @gen_test(timeout=30)
    async def test_two_uploads_at_once_near_the_quota_cannot_both_pass(self) -> None:
        """Two 2000-byte uploads at once: one is stored, the other is 507, and the quota holds."""
        await self.people()
        before = refused_count("quota_exceeded")
        answers = await asyncio.gather(
            self.upload("ann", "town", b"a" * 2000, "a.txt"), self.upload("bob", "town", b"b" * 2000, "b.txt")
        )
        assert sorted(status for status, _, _ in answers) == [200, 507]
        assert refused_count("quota_exceeded") == before + 1
        assert await self.backend.files.total_bytes() == 2000
        assert self.spooled() == []

    @gen_test(timeout=30)
    async def test_the_room_of_an_upload_that_failed_is_given_back(self) -> None:
        """A refused picture and a stored file leave no room reserved: what is left can be used."""
        await self.people()
        await self.refused(
            422, "refused_image", self.upload("ann", "town", b"\x89PNG\r\n\x1a\n" + b"x" * 900, "a.png")
        )
        await self.posted("ann", "town", b"a" * 1000)
        await self.posted("bob", "town", b"b" * 2000)
        await self.refused(507, "quota_exceeded", self.upload("bob", "town", b"c"))


class QuotaRaceOnPostgresTest(OnPostgres, QuotaRaceTest):
    """The same uploads at once, with the files and their reservations in PostgreSQL."""


class PreparationTest(FilesCase):
    """Image preparations are bounded per process."""

    @gen_test(timeout=10)
    async def test_a_third_preparation_waits_for_one_of_two_to_end(self) -> None:
        """Two preparations run at once; the third starts only once one of them has ended."""
        uploads = Uploads(self.settings, self.backend.files, Allowance(self.backend, "uploads", 0))
        release = [threading.Event() for _ in range(3)]
        started: list[int] = []

        def work(index: int) -> int:
            started.append(index)
            release[index].wait(5)
            return index

        tasks = [asyncio.ensure_future(uploads.prepare(lambda i=index: work(i))) for index in range(3)]
        assert await self.eventually(lambda: len(started) == 2)
        await asyncio.sleep(0.2)
        assert sorted(started) == [0, 1], "a third preparation ran beside two others"
        release[0].set()
        assert await tasks[0] == 0
        assert await self.eventually(lambda: len(started) == 3)
        release[1].set()
        release[2].set()
        assert await asyncio.gather(*tasks) == [0, 1, 2]
        assert PREPARATIONS_AT_ONCE == 2
