"""Custom emoji: GET/POST /api/emoji, DELETE /api/emoji/{name}, the image at /emoji/{name}, reactions with
them on the socket, and the ``emoji`` frame every page gets (api_emoji.py)."""

from __future__ import annotations

import io
import uuid
from dataclasses import replace
from typing import Any

from PIL import Image
from tornado.testing import gen_test

from chatroom.store.emoji_base import CustomEmoji
from tests.chat_case import Client
from tests.files_case import FilesCase, json_of, png
from tests.rooms_case import as_


def form(name: str | None, data: bytes, file_name: str = "emoji.png") -> tuple[bytes, str]:
    """A multipart/form-data body with the name and the file; the body and its Content-Type."""
    boundary = uuid.uuid4().hex
    parts = []
    if name is not None:
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="name"\r\n\r\n{name}\r\n'.encode()
        )
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{file_name}"\r\n'
        "Content-Type: image/png\r\n\r\n"
    )
    parts.append(head.encode() + data + b"\r\n")
    return b"".join(parts) + f"--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


def gif(frames: int = 3) -> bytes:
    """An animated GIF of ``frames`` colours, 128x128."""
    pictures = [Image.new("RGB", (128, 128), (40 * i, 90, 200)) for i in range(frames)]
    out = io.BytesIO()
    pictures[0].save(out, "GIF", save_all=True, append_images=pictures[1:], duration=80, loop=0)
    return out.getvalue()


class EmojiCase(FilesCase):
    """ann and bob (people), carl, and dee an administrator; guests are let in."""

    settings = replace(FilesCase.settings, guests=True)

    async def add(
        self, who: str | None, name: str | None, data: bytes, **headers: str
    ) -> tuple[int, Any, bytes]:
        """POST /api/emoji as ``who`` (None: a guest): status, decoded body, raw body."""
        body, kind = form(name, data)
        response = await self.raw_fetch(
            "POST", "/api/emoji", {"Content-Type": kind, **(as_(who) if who else {}), **headers}, body
        )
        return response.code, json_of(response), response.body or b""

    async def added(self, who: str, name: str, data: bytes | None = None) -> dict[str, Any]:
        status, body, _ = await self.add(who, name, data or png((200, 100)))
        assert status == 201, body
        return dict(body["emoji"])

    async def everyone(self) -> None:
        await self.people()
        await self.person("dee", admin=True)


class AddingTest(EmojiCase):
    """Adding, listing and showing custom emoji."""

    @gen_test(timeout=30)
    async def test_an_added_emoji_is_listed_and_its_image_fits_64_pixels_without_metadata(self) -> None:
        """ann's :shipit: is 201 with its entry; everyone (a guest too) lists it and gets a 64x32 PNG with
        no comment left, typed and cached for good at its address, 304 when asked again."""
        await self.everyone()
        entry = await self.added("ann", "shipit")
        assert (
            entry["name"] == "shipit" and entry["by"] == "ann" and entry["url"].startswith("/emoji/shipit?v=")
        )
        for who in ("bob", None):
            status, listed, _ = await self.get(who, "/api/emoji")
            assert status == 200 and listed == {"emoji": [entry]}
        got = await self.download(None, entry["url"])
        assert got.code == 200 and got.headers["Content-Type"] == "image/png"
        assert got.headers["X-Content-Type-Options"] == "nosniff"
        assert got.headers["Cache-Control"] == "private, max-age=31536000, immutable"
        assert b"secret-location" not in got.body
        with Image.open(io.BytesIO(got.body)) as image:
            assert image.size == (64, 32)
        again = await self.download("bob", entry["url"], **{"If-None-Match": got.headers["ETag"]})
        assert again.code == 304
        # Another address (an older image's) is not cached for good.
        older = await self.download("bob", "/emoji/shipit?v=0000")
        assert older.code == 200 and older.headers["Cache-Control"] == "private, no-cache"
        await self.refused(404, "not_found", self.get("bob", "/emoji/nothing"))

    @gen_test(timeout=30)
    async def test_an_animated_gif_keeps_its_frames(self) -> None:
        """A 3-frame GIF is kept as an animated WebP of 64x64 and 3 frames."""
        await self.everyone()
        entry = await self.added("bob", "partyparrot", gif())
        got = await self.download("ann", entry["url"])
        assert got.headers["Content-Type"] == "image/webp"
        with Image.open(io.BytesIO(got.body)) as image:
            assert image.size == (64, 64) and image.n_frames == 3

    @gen_test(timeout=30)
    async def test_refusals_have_their_codes_and_keep_nothing(self) -> None:
        """A guest 401, a bot 403; a bad name 400 bad_name (upper case, too long, a standard short name,
        none); a taken name 409 emoji_taken; text, SVG or HTML named .png 422 refused_image; over 256 KB 413
        too_large; no form 400 bad_request. Only the first :ok_go: is there."""
        await self.everyone()
        bot = await self.bot("helper")
        await self.refused(401, "unauthorized", self.add(None, "x", png((10, 10))))
        await self.refused(403, "forbidden", self.add(None, "x", png((10, 10)), Authorization=bot))
        for name in ("Shipit", "a" * 33, "tada", "+1", "", "has space", "dé"):
            await self.refused(400, "bad_name", self.add("ann", name, png((10, 10))))
        await self.refused(400, "bad_name", self.add("ann", None, png((10, 10))))
        await self.added("ann", "ok_go")
        await self.refused(409, "emoji_taken", self.add("bob", "ok_go", png((10, 10))))
        svg = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
        html = b"<!doctype html><html><script>alert(1)</script></html>"
        fake = b"\x89PNG\r\n\x1a\n<html><script>alert(1)</script></html>"
        for data in (b"hello", svg, html, fake):
            await self.refused(422, "refused_image", self.add("ann", "sneaky", data))
        big = png((10, 10)) + b"\0" * (256 * 1024)
        await self.refused(413, "too_large", self.add("ann", "big", big))
        status, body, _ = await self.api("POST", "/api/emoji", "ann", {"name": "json"})
        assert (status, body["error"]) == (400, "bad_request")
        _, listed, _ = await self.get("ann", "/api/emoji")
        assert [e["name"] for e in listed["emoji"]] == ["ok_go"]

    @gen_test(timeout=30)
    async def test_a_body_without_a_length_is_413_once_it_passes_the_limit(self) -> None:
        """A chunked body growing past 272 KB is answered 413 too_large as it comes; nothing is kept."""
        await self.everyone()
        token = as_("ann")["Authorization"]
        head = (
            "POST /api/emoji HTTP/1.1\r\nHost: localhost\r\n"
            f"Authorization: {token}\r\nContent-Type: multipart/form-data; boundary=b\r\n"
            "Transfer-Encoding: chunked\r\n\r\n"
        ).encode()
        chunk = b"\0" * (300 * 1024)
        answer = await self.raw_request(head, f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
        assert answer.startswith(b"HTTP/1.1 413") and b"too_large" in answer
        _, listed, _ = await self.get("ann", "/api/emoji")
        assert listed == {"emoji": []}

    @gen_test(timeout=30)
    async def test_past_the_cap_an_emoji_is_409_too_many_emoji(self) -> None:
        """With 2,000 emoji on the server the next is refused too_many_emoji."""
        await self.everyone()
        accounts = self.backend.accounts
        for number in range(2000):
            await accounts.add_emoji(CustomEmoji(f"e{number}", None, 1, "image/png", "d"), b"x")
        await self.refused(409, "too_many_emoji", self.add("ann", "one_more", png((10, 10))))


class RemovingTest(EmojiCase):
    """Who removes an emoji: whoever added it, or an administrator."""

    @gen_test(timeout=30)
    async def test_the_adder_or_an_administrator_removes_and_nobody_else(self) -> None:
        """bob 403 on ann's, a guest 401, an unknown name 404; ann removes hers (no act of moderation);
        dee, an administrator, removes bob's, which the moderation history tells."""
        await self.everyone()
        await self.added("ann", "mine")
        await self.added("bob", "his")
        await self.refused(403, "forbidden", self.api("DELETE", "/api/emoji/mine", "bob"))
        await self.refused(401, "unauthorized", self.api("DELETE", "/api/emoji/mine"))
        await self.refused(404, "not_found", self.api("DELETE", "/api/emoji/nothing", "ann"))
        assert (await self.api("DELETE", "/api/emoji/mine", "ann"))[0] == 204
        await self.refused(404, "not_found", self.get("bob", "/emoji/mine"))
        assert (await self.api("DELETE", "/api/emoji/his", "dee"))[0] == 204
        _, listed, _ = await self.get("ann", "/api/emoji")
        assert listed == {"emoji": []}
        _, history, _ = await self.api("GET", "/api/admin/moderation", "dee")
        (act,) = history["acts"]
        assert (act["act"], act["actor"], act["subject"], act["detail"]) == (
            "remove_emoji",
            "dee",
            "bob",
            ":his:",
        )


class ReactingTest(EmojiCase):
    """Reactions with a custom emoji, on the socket."""

    async def inside(self, who: str, room: str) -> Client:
        client, _ = await self.enter(who, room)
        await self.recv_type(client, "sys")
        return client

    @gen_test(timeout=30)
    async def test_a_custom_emoji_reacts_and_an_unknown_one_is_refused_on_a_connection_that_stays(
        self,
    ) -> None:
        """bob's :shipit: on ann's message reaches ann; his :nothing: is refused bad_request with his ref,
        ann gets nothing of it, and his next reaction goes through. Removed, :shipit: stays on the message
        as text, may be taken back, and not put again."""
        await self.everyone()
        await self.added("ann", "shipit")
        ann, bob = await self.inside("ann", "town"), await self.inside("bob", "town")
        await self.recv_type(ann, "sys")
        await self.chat(ann, "ready?", "a1")
        target = (await self.recv_type(ann, "ack"))["id"]
        react = {"type": "react", "id": target, "on": True}
        await self.send(bob, {**react, "emoji": ":shipit:", "ref": "b1"})
        told = await self.recv_type(ann, "reaction")
        assert (told["emoji"], told["nick"]) == (":shipit:", "bob")
        await self.recv_type(bob, "reaction")
        await self.send(bob, {**react, "emoji": ":nothing:", "ref": "b2"})
        refusal = await self.recv_type(bob, "error")
        assert (refusal["code"], refusal["ref"]) == ("bad_request", "b2")
        await self.nothing_more(ann, ignoring=("unread", "peer"))
        await self.send(bob, {**react, "emoji": "👍", "ref": "b3"})
        assert (await self.recv_type(ann, "reaction"))["emoji"] == "👍"
        await self.api("DELETE", "/api/emoji/shipit", "ann")
        _, page, _ = await self.api("GET", "/api/rooms/town/messages", "ann")
        (message,) = [m for m in page["messages"] if m["id"] == target]
        assert [r["emoji"] for r in message["reactions"]] == [":shipit:", "👍"]
        await self.send(ann, {**react, "emoji": ":shipit:", "ref": "a2"})
        assert (await self.recv_type(ann, "error"))["code"] == "bad_request"
        await self.send(bob, {**react, "emoji": ":shipit:", "on": False, "ref": "b4"})
        assert (await self.recv_type(ann, "reaction"))["on"] is False


class LiveEmojiTest(EmojiCase):
    """Every page hears of an emoji added or removed."""

    @gen_test(timeout=30)
    async def test_an_added_and_a_removed_emoji_are_told_to_every_connection_guests_too(self) -> None:
        """bob in town, ann in plans and a guest in town get the emoji frame with the entry, then null."""
        await self.everyone()
        guest, _, _ = await self.join("visitor", "town")
        bob, _ = await self.enter("bob", "town")
        ann, _ = await self.enter("ann", "plans")
        entry = await self.added("ann", "wave2")
        for client in (guest, bob, ann):
            assert await self.recv_type(client, "emoji") == {"type": "emoji", "name": "wave2", "emoji": entry}
        await self.api("DELETE", "/api/emoji/wave2", "ann")
        for client in (guest, bob, ann):
            assert await self.recv_type(client, "emoji") == {"type": "emoji", "name": "wave2", "emoji": None}


class NoGuestsTest(FilesCase):
    """Where guests are not let in: nobody signed in gets no byte of the emoji, nor their list."""

    @gen_test(timeout=30)
    async def test_without_an_account_the_list_and_the_image_are_401(self) -> None:
        """ann's emoji is 401 unauthorized to a request without credentials, list and image (no image bytes);
        a bot's key reads both, and its DELETE is 403."""
        await self.people()
        body, kind = form("shipit", png((40, 40)))
        added = await self.raw_fetch("POST", "/api/emoji", {"Content-Type": kind, **as_("ann")}, body)
        assert added.code == 201
        url = json_of(added)["emoji"]["url"]
        for path in ("/api/emoji", url):
            got = await self.download(None, path)
            assert got.code == 401 and json_of(got)["error"] == "unauthorized"
            assert got.headers["Content-Type"].startswith("application/json")
        bot = await self.bot("helper")
        listed = await self.raw_fetch("GET", "/api/emoji", {"Authorization": bot}, None)
        assert listed.code == 200 and [e["name"] for e in json_of(listed)["emoji"]] == ["shipit"]
        removed = await self.raw_fetch("DELETE", "/api/emoji/shipit", {"Authorization": bot}, None)
        assert removed.code == 403 and json_of(removed)["error"] == "forbidden"
