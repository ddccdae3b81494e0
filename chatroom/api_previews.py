"""``GET``/``HEAD /previews/{room}/{id}/{n}``: the picture of card ``n`` of a message's link previews.

Served from this server's origin, from the store (every node serves it), so
readers' browsers never ask the linked site for anything (it would learn
who reads the room). Only to whoever may read the room, as the message
itself: anyone else, and any message, card or picture that is not there,
gets the same 404 as a missing file. The type is the one the server wrote
(PNG or JPEG, preview_images.py), with ``nosniff``; kept in the reader's own
browser and asked about again before use (its ETag is the picture's digest,
so the answer is a 304), as files are.
"""

from __future__ import annotations

from .api import JsonHandler
from .api_emoji import IMAGE_CSP
from .api_files import file_not_found
from .file_responses import FILE_CACHE_CONTROL
from .preview_pages import MAX_LINKS, picture_of


def _number(text: str, most: int) -> int:
    """A path's number, or the 404 of a missing file."""
    if not text.isascii() or not text.isdigit() or len(text) > 19 or int(text) > most:
        raise file_not_found()
    return int(text)


class PreviewImageHandler(JsonHandler):
    """The picture of a link preview, to those who may read its message."""

    # Like a file's, a picture's address is shown and copied: a token in it is not taken.
    query_token_taken = False

    async def get(self, room: str, message_id: str, index: str) -> None:
        await self._answer(room, message_id, index, body=True)

    async def head(self, room: str, message_id: str, index: str) -> None:
        await self._answer(room, message_id, index, body=False)

    async def _answer(self, room: str, message_id: str, index: str, *, body: bool) -> None:
        target, n = _number(message_id, 2**62), _number(index, MAX_LINKS - 1)
        if await self.unavailable_if_failing(self.access.readable(self.who, room)) is None:
            raise file_not_found()
        found = await self.unavailable_if_failing(
            self.backend.history(room, after=target - 1, before=target + 1, limit=1)
        )
        if not found or found[0].deleted or not found[0].preview:
            raise file_not_found()
        picture = picture_of(found[0].preview, n)
        if picture is None:
            raise file_not_found()
        image = await self.unavailable_if_failing(self.backend.accounts.preview_image(picture.digest))
        if image is None:
            raise file_not_found()
        self._answer_image(image.content_type, image.digest, image.image, body=body)

    def _answer_image(self, content_type: str, digest: str, data: bytes, *, body: bool) -> None:
        self.set_header("Content-Type", content_type)
        self.set_header("X-Content-Type-Options", "nosniff")
        self.set_header("Content-Security-Policy", IMAGE_CSP)
        self.set_header("Cross-Origin-Resource-Policy", "same-origin")
        self.set_header("Cache-Control", FILE_CACHE_CONTROL)
        self.set_header("ETag", f'"{digest}"')
        if self.request.headers.get("If-None-Match") == f'"{digest}"':
            self.set_status(304)
            self.finish()
            return
        self.set_header("Content-Length", str(len(data)))
        self.finish(data if body else None)
