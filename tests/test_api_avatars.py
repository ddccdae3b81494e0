"""Avatars: PUT and DELETE /api/me/avatar, GET /avatars/{name} (api_avatars.py)."""

from __future__ import annotations

import io

from PIL import Image
from tornado.testing import gen_test

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
