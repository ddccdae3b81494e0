"""A file uploaded to one node is served by the other: two real nodes, PostgreSQL holding the bytes, Redis.

Two ``python -m chatroom`` processes share one PostgreSQL schema (without
--files-dir the files live in the database) and one Redis; people sign in
with JWTs.
"""

from __future__ import annotations

import asyncio
import io
import os
from typing import Any

import orjson
import tornado.httpclient
from PIL import Image

from .clients import ANY_TYPE, anext_of, awelcomed
from .support import ServerProcess
from .test_rooms_cluster import WAIT, nodes, token

__all__ = ["nodes"]  # the fixture, shared with the rooms' cluster tests

# More than a few of the database's 256 KiB parts, so ranges cross them.
BLOB = os.urandom(700_000)


async def call(
    server: ServerProcess, method: str, path: str, who: str, body: bytes | None = None, **headers: str
) -> tornado.httpclient.HTTPResponse:
    """A request to ``server`` as ``who``, errors included."""
    request = tornado.httpclient.HTTPRequest(
        server.url + path,
        method=method,
        headers={"Authorization": f"Bearer {token(who)}", **headers},
        body=body,
        allow_nonstandard_methods=True,
    )
    return await tornado.httpclient.AsyncHTTPClient().fetch(request, raise_error=False)


def picture() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (1200, 800), (30, 120, 200)).save(out, "JPEG")
    return out.getvalue()


def test_a_file_uploaded_on_one_node_downloads_whole_and_in_ranges_on_the_other(
    nodes: tuple[ServerProcess, ServerProcess],
) -> None:
    """ann uploads on the left; bob, on the right, gets the user frame, the file, its ranges and thumbnail."""
    left, right = nodes

    async def scenario() -> None:
        for who in ("bob", "carl"):  # a token makes its account on first sight
            assert (await call(right, "GET", "/api/me", who)).code == 200
        created = await call(
            left,
            "POST",
            "/api/rooms",
            "ann",
            orjson.dumps({"room": "team", "kind": "closed", "members": ["bob"]}),
        )
        assert created.code == 201
        bob, _, _ = await awelcomed(right, room="team", token=token("bob"))
        uploaded = await call(left, "POST", "/api/rooms/team/files?name=data.bin&text=numbers", "ann", BLOB)
        assert uploaded.code == 200, uploaded.body
        answer: dict[str, Any] = orjson.loads(uploaded.body)
        frame = await anext_of(bob, "user", WAIT, skip=ANY_TYPE)
        assert (frame["id"], frame["message"], frame["file"]) == (answer["id"], "numbers", answer["file"])
        path = f"/files/{answer['file']['id']}/data.bin"

        whole = await call(right, "GET", path, "bob")
        assert (whole.code, whole.body) == (200, BLOB)
        for start, end in ((0, 99), (262_000, 263_000), (600_000, 699_999)):
            part = await call(right, "GET", path, "bob", Range=f"bytes={start}-{end}")
            assert (part.code, part.body) == (206, BLOB[start : end + 1])
        assert (await call(right, "GET", path, "carl")).code == 404

        image = await call(left, "POST", "/api/rooms/team/files?name=sky.jpg", "ann", picture())
        image_file = orjson.loads(image.body)["file"]
        assert image_file["thumb"] is True
        thumb = await call(right, "GET", f"/files/{image_file['id']}/thumb", "bob")
        assert thumb.code == 200 and thumb.headers["Content-Type"] == "image/jpeg"
        with Image.open(io.BytesIO(thumb.body)) as shown:
            assert max(shown.size) <= 480
        await bob.close()

    asyncio.run(scenario())


def test_a_file_link_from_one_node_opens_the_file_on_the_other_until_its_holder_is_removed(
    nodes: tuple[ServerProcess, ServerProcess],
) -> None:
    """bob's link, signed on the left, opens a range of the file on the right; removed, he gets 404."""
    left, right = nodes

    async def scenario() -> None:
        assert (await call(right, "GET", "/api/me", "bob")).code == 200
        room = {"room": "linked", "kind": "closed", "members": ["bob"]}
        assert (await call(left, "POST", "/api/rooms", "ann", orjson.dumps(room))).code == 201
        uploaded = await call(left, "POST", "/api/rooms/linked/files?name=data.bin", "ann", BLOB)
        file_id = orjson.loads(uploaded.body)["file"]["id"]
        asked = await call(left, "POST", "/api/file-links", "bob", orjson.dumps({"files": [file_id]}))
        link = orjson.loads(asked.body)["links"][file_id]["file"]
        anonymous = tornado.httpclient.AsyncHTTPClient()
        part = await anonymous.fetch(
            right.url + link, headers={"Range": "bytes=300000-300099"}, raise_error=False
        )
        assert (part.code, part.body) == (206, BLOB[300_000:300_100])
        removed = await call(right, "DELETE", "/api/rooms/linked/members/bob", "ann")
        assert removed.code in (200, 204)
        for node in (left, right):
            assert (await anonymous.fetch(node.url + link, raise_error=False)).code == 404

    asyncio.run(scenario())
