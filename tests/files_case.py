"""FilesCase: the rooms API's case, with uploads and downloads as someone, and the spool to look into."""

from __future__ import annotations

import asyncio
import io
import json
import os
from collections.abc import Callable
from dataclasses import replace
from typing import Any
from urllib.parse import urlencode

from PIL import Image, PngImagePlugin
from tornado.httpclient import HTTPResponse

from chatroom import metrics
from tests.rooms_case import RoomsCase, as_

TEXT = b"hello, files\n" * 100
LIMIT = 1_000_000


def png(size: tuple[int, int] = (900, 600)) -> bytes:
    """A PNG with a comment that must not survive the upload."""
    comment = PngImagePlugin.PngInfo()
    comment.add_text("Comment", "secret-location-47N")
    out = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(out, "PNG", pnginfo=comment)
    return out.getvalue()


def refused_count(reason: str) -> float:
    """chatroom_uploads_refused_total{reason} so far."""
    return float(metrics.UPLOADS_REFUSED.labels(reason)._value.get())


class FilesCase(RoomsCase):
    """ann and bob with an open room (town) and a closed one (plans); carl is outside plans."""

    settings = replace(RoomsCase.settings, max_upload_bytes=LIMIT)

    async def people(self) -> None:
        for name in ("ann", "bob", "carl"):
            await self.person(name)
        await self.create("ann", "town", "open")
        await self.create("ann", "plans", "closed", members=["bob"])

    async def upload(
        self, who: str | None, room: str, body: bytes, name: str | None = "notes.txt", **params: Any
    ) -> tuple[int, Any, bytes]:
        """POST a file to a room as ``who``: status, decoded body, raw body."""
        query = {**({"name": name} if name is not None else {}), **params}
        path = f"/api/rooms/{room}/files?{urlencode(query)}"
        response = await self.raw_fetch("POST", path, as_(who) if who else {}, body)
        return response.code, json_of(response), response.body or b""

    async def download(self, who: str | None, path: str, **headers: str) -> HTTPResponse:
        """GET (or another method in ``headers['method']``) a file's path as ``who``."""
        method = headers.pop("method", "GET")
        return await self.raw_fetch(method, path, {**(as_(who) if who else {}), **headers}, None)

    async def get(self, who: str | None, path: str) -> tuple[int, Any, bytes]:
        """GET a path as ``who``: status, decoded JSON body (None for a file), raw body."""
        got = await self.download(who, path)
        return got.code, json_of(got), got.body or b""

    async def posted(self, who: str, room: str, body: bytes, name: str = "notes.txt", **params: Any) -> Any:
        """Upload that must succeed: the answer's body."""
        status, answer, _ = await self.upload(who, room, body, name, **params)
        assert status == 200, answer
        return answer

    def spooled(self) -> list[str]:
        """The files left in the spool directory."""
        return os.listdir(self.backend.files.spool_dir)

    @staticmethod
    async def eventually(condition: Callable[[], bool], wait: float = 5.0) -> bool:
        """Whether ``condition`` holds within ``wait`` seconds."""
        for _ in range(int(wait / 0.02)):
            if condition():
                return True
            await asyncio.sleep(0.02)
        return condition()

    async def raw_request(self, head: bytes, body: bytes = b"") -> bytes:
        """Send a request's head (and some body) on a plain socket; what the server answers."""
        reader, writer = await asyncio.open_connection("127.0.0.1", self.get_http_port())
        writer.write(head + body)
        await writer.drain()
        answer = await asyncio.wait_for(reader.read(65536), 10)
        writer.close()
        return answer


def json_of(response: HTTPResponse) -> Any:
    if not response.body or not response.headers.get("Content-Type", "").startswith("application/json"):
        return None
    return json.loads(response.body)
