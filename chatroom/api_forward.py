"""Forwarding: ``POST /api/rooms/{room}/forwards`` sends a message on to another room, with a comment;
``GET /api/rooms/{room}/forwards/{id}`` says where a copy's original is, to those who may read it.

A person (no guest, no bot) forwards a message they may read now into a room
they may write in now. Access is asked when the forward is sent, target first,
as a message is refused there (write_refusal: 404 ``not_found`` for a room
they may not see, 403 ``read_only``, ``blocked``, ``room_mention_forbidden``
for a comment that mentions the whole room where they may not); then the
original: a room they may not read, one that is gone, a message that is not
there and a deleted one all answer the same 404 bytes (api_saved.py), so
nobody learns by forwarding that a message exists. The copy is an ordinary
message of the target room, written by the forwarder with the comment as
its text, carrying a snapshot of the original (forwarded.py): stored,
delivered on every node and counted unread as any message is.
"""

from __future__ import annotations

from typing import Any

from . import changes, metrics, protocol
from .allowances import Allowance
from .api import ApiError, JsonHandler, spend_allowance
from .api_saved import no_such_message
from .backend import BackendError
from .events import StoredMessage
from .forward_frames import readable_text
from .forwarded import Forwarded
from .identity import Identity
from .polls import is_poll_text, poll_summary
from .protocol import ProtocolError
from .reminder_sending import live_message
from .scheduled_sending import write_refusal
from .store.change_rules import ChangeRefusedError

# Forwards one person sends a minute, across their pages (the socket's --rate does not count them).
FORWARDS_PER_MINUTE = 30


def snapshot(original: StoredMessage, kind: str) -> Forwarded:
    """What a copy keeps of ``original``, of a room of ``kind``: as a plain reader reads it now (a poll:
    its question and options, not its votes; the copy is no poll)."""
    name = None if original.file is None else original.file.name
    text = poll_summary(original.text) if original.forward is None else None
    text = readable_text(original) if text is None else text
    return Forwarded(original.room, original.id, kind, original.nick, original.ts, text, name)


class ForwardBaseHandler(JsonHandler):
    """The original a request names, read under the asker's access."""

    def message_number(self, raw: object) -> int:
        """A message id from a body: an integer from 1 to 2^63-1, else 400 ``bad_request``."""
        try:
            return changes.message_id({"id": raw}, "id")
        except ProtocolError as error:
            raise ApiError(400, error.code, error.message) from None

    async def original(self, who: Identity | None, room: str, message_id: int) -> tuple[StoredMessage, str]:
        """The message and its room's kind when ``who`` may read it and it is not deleted; else 404."""
        readable = await self.unavailable_if_failing(self.access.readable(who, room))
        if readable is None:
            raise no_such_message()
        found = await self.unavailable_if_failing(live_message(self.backend, room, message_id))
        if found is None:
            raise no_such_message()
        return found, readable.room.kind


class ForwardHandler(ForwardBaseHandler):
    """``POST`` ``{"room", "id", "message"?}``: forward message ``id`` of ``room`` into this room, with
    the comment ``message`` (optional) → 201 with the copy's user frame; 429 ``rate_limited`` past
    FORWARDS_PER_MINUTE."""

    def initialize(self, forwards: Allowance, **api: Any) -> None:  # type: ignore[override]
        super().initialize(**api)
        self.forwards = forwards

    async def post(self, raw_target: str) -> None:
        who = self.person_asking("only people forward messages", "guests forward nothing")
        target = self.room_argument(raw_target)
        await self.spend_forward(who)
        body = self.json_object()
        source, source_id, comment = (
            self.source_room(body),
            self.message_number(body.get("id")),
            self.comment(body),
        )
        refusal = await self.unavailable_if_failing(write_refusal(self.access, who.account, target, comment))
        if refusal is not None:
            raise ApiError(refusal.status, refusal.code, refusal.message)
        original, kind = await self.original(who, source, source_id)
        metrics.MESSAGES_RECEIVED.inc()
        try:
            stored = await self.backend.publish(
                target, who.account.name, comment, account_id=who.account_id, forward=snapshot(original, kind)
            )
        except ChangeRefusedError as refused:
            raise ApiError(400, refused.code, refused.message) from None
        except BackendError:
            raise ApiError(503, protocol.UNAVAILABLE, "the message could not be stored; try again") from None
        metrics.MESSAGES_STORED.inc()
        self.send_json(changes.message_frame(stored), 201)

    async def spend_forward(self, who: Identity) -> None:
        """Count one forward; 429 ``rate_limited`` when ``who`` forwards too fast."""
        await spend_allowance(self.forwards, str(who.account_id), "you are forwarding too fast")

    def source_room(self, body: dict[str, Any]) -> str:
        """The original's room: a string, else 400; a name no room can have is a room one may not see."""
        raw = body.get("room")
        if not isinstance(raw, str):
            raise ApiError(400, protocol.BAD_REQUEST, '"room" must be the name of the message\'s room')
        try:
            return protocol.normalize_room(raw)
        except ProtocolError:
            raise no_such_message() from None

    def comment(self, body: dict[str, Any]) -> str:
        """The body's optional ``message``: "" for none or only white space, else a message's text."""
        raw = body.get("message", "")
        if not isinstance(raw, str):
            raise ApiError(400, protocol.BAD_REQUEST, '"message" must be a string')
        if not raw.strip():
            return ""
        try:
            comment = protocol.clean_text(raw, self.config.max_message_length)
        except ProtocolError as error:
            raise ApiError(400, error.code, error.message) from None
        if is_poll_text(comment):
            raise ApiError(400, protocol.BAD_REQUEST, "a comment cannot be a poll: send the poll on its own")
        return comment


class ForwardedHandler(ForwardBaseHandler):
    """``GET``: ``{"room", "id"}`` of the original a copy of this room forwards, for one who may read
    both rooms now (the original may have been deleted since); 404 otherwise, the same bytes for a copy
    that is not there, a message that forwards none and an original whose room the asker may not read."""

    async def get(self, raw_room: str, raw_id: str) -> None:
        room = self.room_argument(raw_room)
        if not (raw_id.isascii() and raw_id.isdigit() and len(raw_id) < 19) or int(raw_id) < 1:
            raise no_such_message()
        copy_id = int(raw_id)
        if await self.unavailable_if_failing(self.access.readable(self.who, room)) is None:
            raise no_such_message()
        copy = await self.unavailable_if_failing(live_message(self.backend, room, copy_id))
        forwarded = None if copy is None else copy.forward
        if forwarded is None:
            raise no_such_message()
        if await self.unavailable_if_failing(self.access.readable(self.who, forwarded.room)) is None:
            raise no_such_message()
        self.send_json({"room": forwarded.room, "id": forwarded.id})
