"""Avatars: PUT and DELETE /api/me/avatar, GET /avatars/{name} (api_avatars.py)."""

from __future__ import annotations

import asyncio
import io
import json
from dataclasses import replace
from typing import Any

from PIL import Image
from tornado.testing import gen_test

from tests.chat_case import Client
from tests.files_case import TEXT, FilesCase, png


class AvatarTest(FilesCase):
    """ann sets, shows and removes her avatar."""

    @gen_test(timeout=30)
    async def test_an_avatar_is_a_square_picture_anyone_sees(self) -> None:
        """PUT stores a 256x256 picture; /avatars/ann shows it, /api/me says so; DELETE makes it 404."""
        await self.people()
        status, body, _ = await self.api("PUT", "/api/me/avatar", "ann", raw=png((640, 480)))
        assert status == 200 and body["avatar"]["width"] == 256
        got = await self.download("bob", "/avatars/ann")
        assert got.code == 200 and got.headers["Content-Type"] in ("image/png", "image/jpeg")
        with Image.open(io.BytesIO(got.body)) as image:
            assert image.size == (256, 256)
        assert got.headers["Cache-Control"] == "private, no-cache"
        _, me, _ = await self.api("GET", "/api/me", "ann")
        assert me["account"]["avatar"] is True
        status, _, _ = await self.api("DELETE", "/api/me/avatar", "ann")
        assert status == 204
        _, me, _ = await self.api("GET", "/api/me", "ann")
        assert me["account"]["avatar"] is False
        await self.refused(404, "not_found", self.get("bob", "/avatars/ann"))
        # Not kept: a picture set since shows at the next look.
        assert (await self.download("bob", "/avatars/ann")).headers["Cache-Control"] == "private, no-cache"
        await self.refused(404, "not_found", self.get("bob", "/avatars/nobody"))
        assert await self.backend.files.total_bytes() == 0

    @gen_test(timeout=30)
    async def test_a_new_avatar_replaces_the_old(self) -> None:
        """The second avatar is served, and only its bytes are kept."""
        await self.people()
        await self.api("PUT", "/api/me/avatar", "ann", raw=png((300, 300)))
        first = await self.download("bob", "/avatars/ann")
        await self.api("PUT", "/api/me/avatar", "ann", raw=png((500, 400)))
        second = await self.download("bob", "/avatars/ann")
        assert first.headers["ETag"] != second.headers["ETag"]
        assert await self.backend.files.total_bytes() == len(second.body)

    @gen_test(timeout=30)
    async def test_the_accounts_list_says_whose_avatar_is_which(self) -> None:
        """/api/accounts names each account's avatar, a new one at each change, none once removed."""
        await self.people()

        async def avatar_of(name: str) -> object:
            _, body, _ = await self.api("GET", f"/api/accounts?prefix={name}&limit=1", "bob")
            return body["accounts"][0].get("avatar")

        assert await avatar_of("ann") is None
        _, first, _ = await self.api("PUT", "/api/me/avatar", "ann", raw=png((300, 300)))
        assert await avatar_of("ann") == first["avatar"]["id"]
        _, second, _ = await self.api("PUT", "/api/me/avatar", "ann", raw=png((500, 400)))
        assert await avatar_of("ann") == second["avatar"]["id"] != first["avatar"]["id"]
        assert await avatar_of("bob") is None
        await self.api("DELETE", "/api/me/avatar", "ann")
        assert await avatar_of("ann") is None

    @gen_test(timeout=30)
    async def test_what_is_not_an_image_is_422(self) -> None:
        """Text is refused_image, and nothing is kept."""
        await self.people()
        await self.refused(422, "refused_image", self.api("PUT", "/api/me/avatar", "ann", raw=TEXT))
        assert self.spooled() == [] and await self.backend.files.total_bytes() == 0


class LiveAvatarTest(FilesCase):
    """Where guests are let in too: open pages hear of a new picture at once, as far as they may look."""

    settings = replace(FilesCase.settings, guests=True)

    async def live(self, who: str, room: str) -> Client:
        """``who`` in ``room``, past its welcome, history and own join (from then on it hears notices)."""
        client, _ = await self.enter(who, room)
        await self.recv_type(client, "sys")
        return client

    @gen_test(timeout=30)
    async def test_a_picture_set_and_removed_is_told_to_accounts_and_not_to_a_guest(self) -> None:
        """bob's connection, and ann's own in another room, get ann's new picture's id (what /api/accounts
        says), then null once it is removed; removing no picture tells nobody; a guest in bob's open room
        hears nothing of it."""
        await self.people()
        guest, _, _ = await self.join("visitor", "town")
        bob, ann = await self.live("bob", "town"), await self.live("ann", "plans")
        status, body, _ = await self.api("PUT", "/api/me/avatar", "ann", raw=png((300, 300)))
        assert status == 200
        _, listed, _ = await self.api("GET", "/api/accounts?prefix=ann&limit=1", "bob")
        assert listed["accounts"][0]["avatar"] == body["avatar"]["id"]
        for client in (bob, ann):
            told = await self.recv_type(client, "avatar")
            assert told == {"type": "avatar", "name": "ann", "avatar": body["avatar"]["id"]}
        assert (await self.api("DELETE", "/api/me/avatar", "ann"))[0] == 204
        for client in (bob, ann):
            assert await self.recv_type(client, "avatar") == {"type": "avatar", "name": "ann", "avatar": None}
        assert (await self.api("DELETE", "/api/me/avatar", "ann"))[0] == 204
        assert [frame["type"] for frame in await heard(bob)] == []
        heard_by_guest = await heard(guest)
        assert [frame["type"] for frame in heard_by_guest] == ["sys"]  # bob's join, nothing more
        assert body["avatar"]["id"] not in json.dumps(heard_by_guest)


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
