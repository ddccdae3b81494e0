"""Files over HTTP: uploading one to a room, and downloading it (whole, in ranges, or its thumbnail).

``POST /api/rooms/{room}/files?name=&text=&reply_to=&thread=``: the body is the file's
bytes (uploads.py takes them). The file is prepared (images.py: an image's
metadata stripped, its thumbnail made), saved (store.files), then published
as a message of the uploader's that carries it; if the message cannot be
stored, the saved file is discarded. The answer: ``{"id": message id,
"file": {...}}`` (protocol.file_entry).

``GET``/``HEAD /files/{id}/{name}`` and ``/files/{id}/thumb``: access is asked
again on every request (the room of the file's message; avatars: anyone who
may be here), and a file one may not see is answered exactly as one that
does not exist: 404. file_responses.py has the headers that make a file
harmless on the chat's origin. A page that signs in with a token puts
signed links in its addresses (file_links.py, api_file_links.py), never
the token: ``?token=`` is not taken here.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

import tornado.http1connection
import tornado.iostream

from . import images, metrics, polls, protocol
from .access import Access, may_mention_room, may_post, posting_refusal, room_mention_refusal
from .api import ApiError, JsonHandler, room_not_found
from .backend import Backend, BackendError, StoredMessage
from .config import Settings
from .events import FileInfo
from .file_links import FULL_VARIANT, LINK_ARGUMENTS, THUMB_VARIANT, LinkClaim, claim_of, link_key
from .file_responses import (
    FILE_CACHE_CONTROL,
    FILE_CSP,
    ByteRange,
    UnsatisfiableRangeError,
    base_type,
    content_disposition,
    etag_matches,
    etag_of,
    requested_range,
    unsatisfiable_content_range,
)
from .identity import FILE_LINK, Authenticator, Identity
from .images import ImageRefusedError, Prepared
from .links import SetupState
from .mentions import mentions_many
from .sniff import INLINE_TYPES
from .store.base import StoreError
from .store.change_rules import ChangeRefusedError
from .store.files_base import ATTACHMENT, AVATAR, MissingFileError, NewFile, StoredFile
from .store.records import DIRECT
from .uploads import REFUSED_IMAGE, UploadHandler, Uploads, clean_file_name
from .webhooks import Webhooks

log = logging.getLogger("chatroom.files")

THUMB = "thumb"


def file_not_found() -> ApiError:
    """The answer for a file one may not see: the same as for one that does not exist."""
    return ApiError(404, protocol.NOT_FOUND, "there is no such file, or you may not see it")


class PreparingHandler(UploadHandler):
    """An upload handler that prepares what it received (images.py), a few at a time (Uploads.prepare)."""

    async def prepared(self, prepare: Callable[[], Prepared]) -> Prepared:
        """What ``prepare`` makes of the spool file; 422 ``refused_image`` for an image it refuses."""
        try:
            prepared = await self.uploads.prepare(prepare)
        except ImageRefusedError as refused:
            raise self.refusal(
                ApiError(422, REFUSED_IMAGE, f"this image cannot be taken ({refused.reason})")
            ) from None
        assert self.spool is not None
        self.work += [
            path for path in (prepared.path, prepared.thumb_path) if path not in (None, self.spool.path)
        ]
        return prepared

    async def discard(self, file_id: str) -> None:
        """Remove a saved file that no message or account took; a failure leaves it to the sweep."""
        try:
            await self.uploads.files.discard(file_id)
        except StoreError as error:
            log.warning("cannot discard file %s (the sweep will): %s", file_id, error)


class RoomFilesHandler(PreparingHandler):
    """``POST /api/rooms/{room}/files``: a file, published as a message of the uploader's (see the module)."""

    def initialize(  # type: ignore[override]
        self,
        config: Settings,
        backend: Backend,
        authenticator: Authenticator,
        access: Access,
        uploads: Uploads,
        webhooks: Webhooks,
        setup: SetupState | None = None,
    ) -> None:
        super().initialize(config, backend, authenticator, access, uploads, setup)
        # A file in a direct room calls its bots' webhooks, as a message does.
        self.webhooks = webhooks

    async def admit(self) -> None:
        who = self.require_account()
        room = self.room_argument(self.path_args[0])
        readable = await self.unavailable_if_failing(self.access.readable(who, room))
        if readable is None:
            raise room_not_found()
        if not may_post(who, readable.room, readable.membership, guests=self.access.guests):
            raise ApiError(403, protocol.FORBIDDEN, posting_refusal(readable.room))
        if readable.room.kind == DIRECT and (
            by := await self.unavailable_if_failing(self.access.blocker_in(who, room))
        ):
            raise ApiError(403, protocol.BLOCKED, f"{by} does not take messages from you")
        self.room, self.kind = room, readable.room.kind
        try:
            self.file_name = clean_file_name(self.get_argument("name", ""))
        except ValueError as error:
            raise ApiError(400, protocol.BAD_REQUEST, str(error)) from None
        self.reply_to = self.int_argument("reply_to")
        self.thread = self.int_argument("thread")
        self.text = self._caption()
        if mentions_many(self.text) and not may_mention_room(who, readable.room, readable.membership):
            raise ApiError(403, protocol.ROOM_MENTION_FORBIDDEN, room_mention_refusal(readable.room))

    def _caption(self) -> str:
        """The message's text: the ``text`` argument, checked like any message's; empty when none."""
        values = self.request.query_arguments.get("text")
        raw = values[-1].decode("utf-8", errors="replace") if values else ""
        if not raw.strip():
            return ""
        try:
            text = protocol.clean_text(raw, self.config.max_message_length)
            polls.check_poll_text(text)
            return text
        except protocol.ProtocolError as error:
            raise ApiError(400, error.code, error.message) from None

    async def post(self, _raw_room: str) -> None:
        who = self.require_account()
        spool = self.received()
        async with self.quota_reserved(spool.size):
            spool_dir = self.uploads.files.spool_dir
            prepared = await self.prepared(lambda: images.prepare(spool.path, spool_dir, self.file_name))
            new = NewFile(self.room, who.account_id, self.file_name, ATTACHMENT)
            info = await self.unavailable_if_failing(self.uploads.files.save(new, prepared))
        stored = await self._publish(info)
        metrics.UPLOADS.inc()
        await self.uploads.count_stored()
        self.send_json({"id": stored.id, "file": protocol.file_part(info)})

    async def _publish(self, info: FileInfo) -> StoredMessage:
        """The message carrying the file, stored and broadcast; the file discarded when it cannot be."""
        who = self.require_account()
        metrics.MESSAGES_RECEIVED.inc()
        try:
            stored = await self.backend.publish(
                self.room,
                who.name,
                self.text,
                bot=who.is_bot,
                account_id=who.account_id,
                reply_to=self.reply_to,
                file_id=info.id,
                thread=self.thread,
            )
        except ChangeRefusedError as refused:
            await self.discard(info.id)
            raise ApiError(400, refused.code, refused.message) from None
        except BackendError:
            await self.discard(info.id)
            raise ApiError(503, protocol.UNAVAILABLE, "the message could not be stored; try again") from None
        metrics.MESSAGES_STORED.inc()
        call = self.webhooks.direct_message if self.kind == DIRECT else self.webhooks.room_message
        call(self.room, who, stored)
        return stored


class FileServingHandler(JsonHandler):
    """Answers a stored file (or its thumbnail): its headers, a range of it, or 304 (file_responses.py).

    A ``token`` in a file's address is not taken: such an address, copied or
    logged, would speak for the account everywhere (signed links instead).
    """

    cache_control = FILE_CACHE_CONTROL
    query_token_taken = False

    async def serve(self, stored: StoredFile, *, thumb: bool, body: bool) -> None:
        """Answer the file (``thumb``: its thumbnail), with its bytes unless ``body`` is False (HEAD)."""
        info = stored.info
        size, content_type = (
            (stored.thumb_size, stored.thumb_type or "") if thumb else (info.size, info.content_type)
        )
        etag = etag_of(info.id, thumb)
        self._set_file_headers(info.name, content_type, etag)
        if etag_matches(self.request.headers.get("If-None-Match"), etag):
            self.set_status(304)
            return
        wanted = self._range(size, etag)
        if wanted is None:
            wanted = ByteRange(0, size)
        else:
            self.set_status(206)
            self.set_header("Content-Range", wanted.content_range(size))
        self.set_header("Content-Length", str(wanted.length))
        if body and wanted.length:
            await self._stream(info.id, thumb, wanted)

    def _set_file_headers(self, name: str, content_type: str, etag: str) -> None:
        inline = base_type(content_type) in INLINE_TYPES
        self.set_header("Content-Type", content_type)
        self.set_header("Content-Disposition", content_disposition(name, inline))
        self.set_header("X-Content-Type-Options", "nosniff")
        self.set_header("Content-Security-Policy", FILE_CSP)
        # Other sites may not embed the file: it is shown on the chat's page only.
        self.set_header("Cross-Origin-Resource-Policy", "same-origin")
        self.set_header("Cache-Control", self.cache_control)
        self.set_header("ETag", etag)
        self.set_header("Accept-Ranges", "bytes")

    def _range(self, size: int, etag: str) -> ByteRange | None:
        """The range asked for; None: all of it. An If-Range naming another version asks for all of it."""
        if_range = self.request.headers.get("If-Range")
        if if_range is not None and if_range.strip() != etag:
            return None
        try:
            return requested_range(self.request.headers.get("Range"), size)
        except UnsatisfiableRangeError:
            raise ApiError(
                416,
                "range_not_satisfiable",
                f"the file has {size} bytes",
                {"Content-Range": unsatisfiable_content_range(size)},
            ) from None

    async def _stream(self, file_id: str, thumb: bool, wanted: ByteRange) -> None:
        """Write the range chunk by chunk, each flushed before the next is read: never the whole file."""
        sent = 0
        try:
            async for chunk in self.backend.files.read(
                file_id, thumb=thumb, start=wanted.start, end=wanted.end
            ):
                self.write(chunk)
                sent += len(chunk)
                await self.flush()
        except tornado.iostream.StreamClosedError:
            return  # the client went away
        except (MissingFileError, StoreError) as error:
            if not sent:
                raise (
                    file_not_found() if isinstance(error, MissingFileError) else self._unavailable()
                ) from None
            log.warning("file %s failed after %d of %d bytes: %s", file_id, sent, wanted.length, error)
        if sent < wanted.length:
            # The status and length are sent: all that is left is to cut the answer short.
            self._cut_short()

    def _cut_short(self) -> None:
        """Close the connection under an answer that cannot be completed (the client sees it incomplete)."""
        connection = self.request.connection
        if isinstance(connection, tornado.http1connection.HTTP1Connection):
            connection.close()

    @staticmethod
    def _unavailable() -> ApiError:
        return ApiError(503, protocol.UNAVAILABLE, "the file cannot be read right now")


class FileHandler(FileServingHandler):
    """``GET``/``HEAD /files/{id}/{name}``, ``/files/{id}/thumb``: a file its asker may see (see the module).

    ``/thumb`` answers the thumbnail, or the file itself when it has none
    (an image already small, or a file that is named "thumb"). The name in
    the path is for the browser's sake: the id alone says which file. A
    signed link (file_links.py: ``?account=&exp=&link=``) stands for its
    account instead of a session or a header, for the one file and variant
    it names, until it expires; one that does not hold is the same 404.
    """

    def initialize(self, *args: Any, **kwargs: Any) -> None:
        super().initialize(*args, **kwargs)
        self.claim: LinkClaim | None = None

    async def prepare(self) -> None:
        self.claim = claim_of(*(self.get_query_argument(name, None) for name in LINK_ARGUMENTS))
        if self.claim is None:
            await super().prepare()

    async def get(self, file_id: str, name: str) -> None:
        await self._answer(file_id, name, body=True)

    async def head(self, file_id: str, name: str) -> None:
        await self._answer(file_id, name, body=False)

    async def _answer(self, file_id: str, name: str, *, body: bool) -> None:
        stored = await self.unavailable_if_failing(self.backend.files.get(file_id))
        if stored is None:
            raise file_not_found()
        thumb = name == THUMB and stored.info.thumb
        if self.claim is not None:
            self.who = await self._link_holder(self.claim, file_id, THUMB_VARIANT if thumb else FULL_VARIANT)
        if not await self.unavailable_if_failing(may_see(self.access, self.who, stored)):
            raise file_not_found()
        await self.serve(stored, thumb=thumb, body=body)

    async def _link_holder(self, claim: LinkClaim, file_id: str, variant: str) -> Identity:
        """The account a link speaks for, if it holds for this file now; else 404, as for no file."""
        key = link_key(await self.unavailable_if_failing(self.authenticator.cookie_secret()))
        if not claim.holds(key, file_id, variant, time.time()):
            raise file_not_found()
        account = await self.unavailable_if_failing(self.backend.accounts.account_by_id(claim.account_id))
        if account is None or not account.active:
            raise file_not_found()
        return Identity(account, FILE_LINK)


async def may_see(access: Access, who: Identity | None, stored: StoredFile) -> bool:
    """Whether ``who`` may see the file now: an avatar, or a posted file of a room they may read."""
    if stored.kind == AVATAR:
        return True  # whoever may be here may see it: the handler let them in
    if stored.room is None or stored.message_id is None:
        return False  # not posted (yet): its uploader's alone, and not served
    return await access.readable(who, stored.room) is not None
