"""Custom emoji: ``GET``/``POST /api/emoji``, ``DELETE /api/emoji/{name}``, the image at ``/emoji/{name}``.

Emoji are the server's, not a room's: anyone who may be on the server (an
account, or a guest where guests are let in) lists them and sees their
images, as with avatars. A person (not a guest, not a bot) adds one: a
``multipart/form-data`` body with its ``name`` and its ``file``, an image of
at most 256 KB, kept as emoji_images.py makes it. Whoever added it, or an
administrator, removes it; an administrator's removal of another's is an
act of the moderation history. Once stored, every node tells every open
page (events.EmojiNotice), so pickers and messages follow at once.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import tornado.http1connection
import tornado.httputil
import tornado.web

from . import protocol
from .access import Access
from .allowances import Allowance
from .api import ApiError, JsonHandler, spend_allowance
from .backend import Backend, tell_processes
from .clock import now_ms
from .config import Settings
from .emoji_frames import DIGEST_IN_URL, EmojiNotice, emoji_entry
from .emoji_images import MAX_UPLOAD_BYTES, EmojiPicture, prepare_emoji
from .emoji_names import BadEmojiNameError, check_name
from .identity import Authenticator, Identity
from .images import ImageRefusedError
from .links import SetupState
from .moderation import keep_act
from .store.acts_base import REMOVE_EMOJI, ModerationAct
from .store.emoji_base import MAX_CUSTOM_EMOJI, CustomEmoji, EmojiTakenError, TooManyEmojiError
from .uploads import CONNECTION_BODY_LIMIT, REFUSED_IMAGE, TOO_LARGE

log = logging.getLogger("chatroom.emoji")

EMOJI_TAKEN = "emoji_taken"
TOO_MANY_EMOJI = "too_many_emoji"
# Room for the form around the image: its boundaries, the name, the part headers.
FORM_BYTES = 16 * 1024
# Images one account may have made into emoji a minute, per process (each add is a frame to every page).
ADDS_PER_MINUTE = 20
# The image's address names its digest (emoji_frames.emoji_url): that image is the same for good.
CACHED_FOR_GOOD = "private, max-age=31536000, immutable"
IMAGE_CSP = "default-src 'none'; sandbox"


def entry_of(emoji: CustomEmoji) -> dict[str, Any]:
    """The emoji as the list and the frame give it."""
    return emoji_entry(emoji.name, emoji.digest, emoji.adder, emoji.created)


class EmojiBaseHandler(JsonHandler):
    """What the emoji endpoints share: who is a person, and telling every node."""

    def person(self) -> Identity:
        """Who asks, a person; 401 for nobody or a guest, 403 for a bot."""
        return self.person_asking("only people add or remove custom emoji", "guests add or remove no emoji")

    async def tell_nodes(self, notice: EmojiNotice) -> None:
        """Tell every node's pages; the change is stored, so a bus away is logged: pages see it at their
        next load."""
        await tell_processes(self.backend, notice, about=f"the emoji :{notice.name}:", log=log)


@tornado.web.stream_request_body
class EmojiListHandler(EmojiBaseHandler):
    """``GET /api/emoji``: every custom emoji; ``POST``: add one (see the module)."""

    def initialize(  # type: ignore[override]
        self,
        config: Settings,
        backend: Backend,
        authenticator: Authenticator,
        access: Access,
        standard: frozenset[str],
        adds: Allowance,
        setup: SetupState | None = None,
    ) -> None:
        super().initialize(config, backend, authenticator, access, setup)
        # The short names the page turns into standard emoji: no custom one may take them.
        self.standard = standard
        self.adds = adds
        self.body = bytearray()
        self.receiving = False

    async def prepare(self) -> None:
        if self.request.method != "POST":
            await super().prepare()
            return
        # Before who asks is known: a 401 must not find the body too large for the connection.
        connection = self.request.connection
        if isinstance(connection, tornado.http1connection.HTTP1Connection):
            connection.set_max_body_size(CONNECTION_BODY_LIMIT)
        await super().prepare()
        self.person()
        declared = self.request.headers.get("Content-Length", "0")
        if not declared.isdigit() or int(declared) > MAX_UPLOAD_BYTES + FORM_BYTES:
            raise _too_large()
        self.receiving = True

    def data_received(self, chunk: bytes) -> None:
        if not self.receiving:
            return
        self.body += chunk
        if len(self.body) > MAX_UPLOAD_BYTES + FORM_BYTES:
            self.receiving = False
            self.send_error(413, exc_info=(ApiError, _too_large(), None))
            self.on_connection_close()

    async def get(self) -> None:
        emoji = await self.unavailable_if_failing(self.backend.accounts.custom_emoji())
        self.send_json({"emoji": [entry_of(e) for e in emoji]})

    async def post(self) -> None:
        who = self.person()
        name, data = self._form()
        try:
            name = check_name(name, self.standard)
        except BadEmojiNameError as error:
            raise ApiError(400, protocol.BAD_NAME, str(error)) from None
        if len(data) > MAX_UPLOAD_BYTES:
            raise _too_large()
        await self._take_turn(who)
        picture = await _prepared(data)
        emoji = CustomEmoji(name, who.account_id, now_ms(), picture.content_type, picture.digest, who.name)
        try:
            await self.unavailable_if_failing(self.backend.accounts.add_emoji(emoji, picture.data))
        except EmojiTakenError:
            raise ApiError(409, EMOJI_TAKEN, f"there is an emoji :{name}: already") from None
        except TooManyEmojiError:
            raise ApiError(
                409, TOO_MANY_EMOJI, f"this server holds {MAX_CUSTOM_EMOJI} custom emoji: remove one first"
            ) from None
        await self.tell_nodes(EmojiNotice(name, picture.digest, who.name, emoji.created))
        self.send_json({"emoji": entry_of(emoji)}, 201)

    async def _take_turn(self, who: Identity) -> None:
        """Count an image to prepare; 429 rate_limited when ``who`` adds too fast."""
        await spend_allowance(self.adds, str(who.account_id), "too many emoji at once")

    def _form(self) -> tuple[str, bytes]:
        """The form's ``name`` and ``file``; 400 bad_request when it is not such a form."""
        arguments: dict[str, list[bytes]] = {}
        files: dict[str, list[tornado.httputil.HTTPFile]] = {}
        content_type = self.request.headers.get("Content-Type", "")
        if content_type.startswith("multipart/form-data"):
            tornado.httputil.parse_body_arguments(content_type, bytes(self.body), arguments, files)
        if not files.get("file"):
            raise ApiError(
                400, protocol.BAD_REQUEST, "send a multipart/form-data body with a name and a file"
            )
        name = arguments.get("name", [b""])[0].decode("utf-8", errors="replace")
        return name, files["file"][0].body


def _too_large() -> ApiError:
    return ApiError(413, TOO_LARGE, f"an emoji's image is at most {MAX_UPLOAD_BYTES // 1024} KB")


async def _prepared(data: bytes) -> EmojiPicture:
    """The image as kept; 422 refused_image for what is not an image this server takes."""
    try:
        return await asyncio.to_thread(prepare_emoji, data)
    except ImageRefusedError as refused:
        raise ApiError(
            422, REFUSED_IMAGE, f"this is not an image an emoji can be ({refused.reason})"
        ) from None


class EmojiHandler(EmojiBaseHandler):
    """``DELETE /api/emoji/{name}``: whoever added it, or an administrator, removes it."""

    async def delete(self, name: str) -> None:
        who = self.person()
        accounts = self.backend.accounts
        emoji = await self.unavailable_if_failing(accounts.emoji_named(name))
        if emoji is None:
            raise ApiError(404, protocol.NOT_FOUND, f"there is no emoji :{name}:")
        own = emoji.account_id == who.account_id
        if not own and not who.is_admin:
            raise ApiError(
                403, protocol.FORBIDDEN, "only who added an emoji, or an administrator, removes it"
            )
        if await self.unavailable_if_failing(accounts.remove_emoji(name)):
            if not own:
                subject, subject_id = emoji.adder or "", emoji.account_id
                act = ModerationAct(
                    REMOVE_EMOJI, now_ms(), who.name, subject, who.account_id, subject_id, detail=f":{name}:"
                )
                await keep_act(accounts, act)
            await self.tell_nodes(EmojiNotice(name, None))
        self.set_status(204)
        self.finish()


class EmojiImageHandler(JsonHandler):
    """``GET``/``HEAD /emoji/{name}``: the emoji's image, cached for good at its address of the day."""

    async def get(self, name: str) -> None:
        await self._answer(name, body=True)

    async def head(self, name: str) -> None:
        await self._answer(name, body=False)

    async def _answer(self, name: str, *, body: bool) -> None:
        found = await self.unavailable_if_failing(self.backend.accounts.emoji_image(name))
        if found is None:
            raise ApiError(404, protocol.NOT_FOUND, f"there is no emoji :{name}:")
        digest = found.emoji.digest
        current = self.get_query_argument("v", "") == digest[:DIGEST_IN_URL]
        # Always the type the server wrote (PNG or WebP), never one the uploader named.
        self.set_header("Content-Type", found.emoji.content_type)
        self.set_header("X-Content-Type-Options", "nosniff")
        self.set_header("Content-Security-Policy", IMAGE_CSP)
        self.set_header("Cross-Origin-Resource-Policy", "same-origin")
        self.set_header("Cache-Control", CACHED_FOR_GOOD if current else "private, no-cache")
        self.set_header("ETag", f'"{digest}"')
        if self.request.headers.get("If-None-Match") == f'"{digest}"':
            self.set_status(304)
            self.finish()
            return
        self.set_header("Content-Length", str(len(found.image)))
        self.finish(found.image if body else None)
