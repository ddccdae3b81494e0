"""The export format, line by line: records to JSON Lines and back, each line checked on its own.

Line 1 is a header, ``{"type": "chatroom-export", "version": 1, "schema": N,
"epoch": E}``; every further line is one record, a JSON object whose ``type``
says what it holds: ``account``, ``bot_key``, ``former_name``, ``webhook`` (a bot's),
``setting`` (an administrator's) (export_accounts.py), ``room``, ``membership``, ``room_bar``
(export_bars.py), ``message``,
``change``, ``file`` or ``file_part`` (export_files.py); ``read_position``,
``notify_level``, ``push_key``, ``push_subscription``, ``push_switch`` or ``block``
(export_reading.py), ``status`` or ``notification_pause`` (export_status.py);
``moderation_act`` (export_acts.py); ``saved`` (export_saved.py); ``starred_room``
(export_stars.py); ``thread_follow``
(export_threads.py); ``custom_emoji`` (export_emoji.py); ``preview_image`` (export_previews.py);
``scheduled`` (export_scheduled.py); ``reminder`` (export_reminders.py); ``group``
(export_groups.py).
A reader refuses a type it does not know rather than drop what
it holds, and ignores fields it does not know. How records refer to each
other (a membership to its room and account...) is checked by export.py;
docs/storage.md describes the format for people.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import IO, Any

import orjson

from .backend import StoredMessage
from .events import CHANGE_KINDS, FileInfo, ReplyQuote, StoredChange
from .export_accounts import READERS as ACCOUNT_READERS
from .export_acts import read_act
from .export_bars import READERS as BAR_READERS
from .export_emoji import READERS as EMOJI_READERS
from .export_fields import MAX_ID, MAX_TS, ExportFileError
from .export_fields import Fields as _Fields
from .export_fields import record_line as _line
from .export_files import FilePart, read_file, read_part
from .export_forward import forward_from, forward_record
from .export_groups import READERS as GROUP_READERS
from .export_previews import READERS as PREVIEW_READERS
from .export_reading import READERS as READING_READERS
from .export_reading import ReadingRecord
from .export_reminders import READERS as REMINDER_READERS
from .export_saved import READERS as SAVED_READERS
from .export_scheduled import READERS as SCHEDULED_READERS
from .export_stars import READERS as STAR_READERS
from .export_threads import READERS as THREAD_READERS
from .store import migrations
from .store.acts_base import ModerationAct
from .store.emoji_base import EmojiImage
from .store.files_base import StoredFile
from .store.groups_base import GroupRecord
from .store.previews_base import PreviewImage
from .store.records import (
    DIRECT,
    EVERYONE,
    OPEN,
    POSTING_RULES,
    ROLES,
    ROOM_KINDS,
    Account,
    BotKey,
    BotWebhook,
    FormerName,
    Membership,
    Reminder,
    RoomBar,
    RoomRecord,
    RoomStar,
    SavedMessage,
    ScheduledMessage,
    ServerSetting,
    ThreadFollow,
)

FORMAT = "chatroom-export"
VERSION = 1

Record = (
    StoredMessage
    | StoredChange
    | Account
    | BotKey
    | BotWebhook
    | FormerName
    | ServerSetting
    | RoomRecord
    | Membership
    | RoomBar
    | StoredFile
    | FilePart
    | ReadingRecord
    | ModerationAct
    | SavedMessage
    | RoomStar
    | ThreadFollow
    | EmojiImage
    | PreviewImage
    | ScheduledMessage
    | Reminder
    | GroupRecord
)


@dataclass(frozen=True, slots=True)
class Header:
    """What line 1 says: the format's version, the schema it was written from, the epoch."""

    version: int
    schema: int
    epoch: str


# --- writing ---------------------------------------------------------------------


def header_line(epoch: str) -> bytes:
    """Line 1 of an export."""
    return _line({"type": FORMAT, "version": VERSION, "schema": migrations.LATEST, "epoch": epoch})


def message_line(message: StoredMessage) -> bytes:
    """The line of one stored message."""
    return _line(
        {
            "type": "message",
            "room": message.room,
            "id": message.id,
            "nick": message.nick,
            "message": message.text,
            "ts": message.ts,
            "bot": message.bot,
            "guest": message.guest,
            **_state(message),
        }
    )


def _state(message: StoredMessage) -> dict[str, Any]:
    """A message's author and current state, written only where they apply (older files lack them)."""
    state = {
        "account": message.account_id,
        "reply_to": None if message.reply_to is None else message.reply_to.id,
        "edited": message.edited,
        "deleted": message.deleted or None,
        "file": None if message.file is None else message.file.id,
        "thread": message.thread,
        "broadcast": message.broadcast or None,
        "forward": forward_record(message.forward),
    }
    return {name: value for name, value in state.items() if value is not None}


def change_line(change: StoredChange) -> bytes:
    """The line of one change to a message (its id is of the room's sequence, like a message's)."""
    c = change
    return _line(
        {
            "type": "change", "room": c.room, "id": c.id, "kind": c.kind, "target": c.target, "nick": c.nick,
            "account": c.account_id, "message": c.text, "emoji": c.emoji, "on": c.on, "ts": c.ts,
        }
    )  # fmt: skip


def room_line(room: RoomRecord) -> bytes:
    """The line of one room's record (its messages follow it)."""
    return _line(
        {
            "type": "room",
            "room": room.room,
            "kind": room.kind,
            "title": room.title,
            "creator": room.creator_id,
            "created_at": room.created_at,
            "archived_at": room.archived_at,
            "posting": room.posting,
            "everyone_in": room.everyone_in,
            "topic": room.topic,
            "room_mentions": room.room_mentions,
        }
    )


def membership_line(membership: Membership) -> bytes:
    """The line of one account's membership of a room."""
    return _line(
        {
            "type": "membership",
            "room": membership.room,
            "account": membership.account_id,
            "role": membership.role,
            "added_at": membership.added_at,
        }
    )


# --- reading ----------------------------------------------------------------------


def read_lines(source: IO[bytes]) -> Iterator[tuple[int, Header | Record]]:
    """Each record with its line number, the header first; ExportFileError at the first bad line.

    Blank lines are skipped.
    """
    header_seen = False
    for number, line in enumerate(source, start=1):
        if not line.strip():
            continue
        data = _object(number, line)
        kind = data.get("type")
        if not header_seen:
            header_seen = True
            yield number, _header(number, data)
        elif isinstance(kind, str) and kind in _READERS:
            yield number, _READERS[kind](_Fields(number, data))
        elif kind == FORMAT:
            raise ExportFileError(number, "a second header: an export has one, on its first line")
        else:
            known = ", ".join(_READERS)
            raise ExportFileError(number, f"unknown record type {kind!r} (this chatroom reads: {known})")
    if not header_seen:
        raise ExportFileError(1, "the file is empty: it is not a chatroom export")


def _object(number: int, line: bytes) -> dict[str, Any]:
    try:
        data = orjson.loads(line)
    except orjson.JSONDecodeError as error:
        raise ExportFileError(number, f"not JSON ({error.msg} at column {error.colno})") from None
    if not isinstance(data, dict):
        raise ExportFileError(number, "not a JSON object")
    return data


def _header(number: int, data: dict[str, Any]) -> Header:
    if data.get("type") != FORMAT:
        raise ExportFileError(number, f"not a chatroom export (no {FORMAT!r} header)")
    fields = _Fields(number, data)
    version = fields.whole("version", 1, MAX_ID)
    if version != VERSION:
        raise ExportFileError(
            number, f"export format version {version}: this chatroom reads version {VERSION}"
        )
    return Header(version, fields.whole("schema", 0, MAX_ID), fields.text("epoch"))


def _message(fields: _Fields) -> StoredMessage:
    deleted = fields.flag("deleted") if "deleted" in fields.data else False
    reply_to = fields.optional_id("reply_to")
    file_id = fields.optional_text("file")
    forward = forward_from(fields)
    # A deleted message has no text left; a file may come without a caption, a forward without a comment.
    bare = deleted or file_id is not None or forward is not None
    return StoredMessage(
        id=fields.whole("id", 1, MAX_ID),
        room=fields.text("room"),
        nick=fields.text("nick"),
        text=fields.any_text("message") if bare else fields.text("message"),
        ts=fields.whole("ts", 0, MAX_TS),
        bot=fields.flag("bot"),
        # Older exports: no "guest" (before schema step 5), no author, reply, edit or deletion (step 6).
        guest=fields.flag("guest") if "guest" in fields.data else False,
        account_id=fields.optional_id("account"),
        reply_to=None if reply_to is None else ReplyQuote(reply_to, "", None),
        edited=fields.time("edited"),
        deleted=deleted,
        # The file's own record (export_files.py) brings the rest of it.
        file=None if file_id is None else FileInfo(file_id, "", 0, ""),
        # Older exports (before schema step 32): every message is in the main timeline.
        thread=fields.optional_id("thread"),
        broadcast=fields.flag("broadcast") if "broadcast" in fields.data else False,
        forward=forward,
    )


def _change(fields: _Fields) -> StoredChange:
    return StoredChange(
        id=fields.whole("id", 1, MAX_ID),
        room=fields.text("room"),
        kind=fields.choice("kind", CHANGE_KINDS),
        target=fields.whole("target", 1, MAX_ID),
        nick=fields.text("nick"),
        ts=fields.whole("ts", 0, MAX_TS),
        text=fields.any_text("message"),
        emoji=fields.any_text("emoji"),
        on=fields.flag("on"),
        account_id=fields.optional_id("account"),
    )


def _room(fields: _Fields) -> RoomRecord:
    creator = fields.data.get("creator")
    kind = fields.choice("kind", ROOM_KINDS)
    # An export made before rooms said who posts in them: everyone did.
    posting = EVERYONE if fields.data.get("posting") is None else fields.choice("posting", POSTING_RULES)
    if kind == DIRECT and posting != EVERYONE:
        raise fields.fail("everyone posts in a direct room: its 'posting' must be 'everyone'")
    # An export made before rooms everyone is in: none was.
    everyone_in = fields.data.get("everyone_in") is not None and fields.flag("everyone_in")
    if everyone_in and kind != OPEN:
        raise fields.fail("only an open room is one everyone is in")
    return RoomRecord(
        room=fields.text("room"),
        kind=kind,
        title=fields.optional_text("title"),
        creator_id=None if creator is None else fields.whole("creator", 1, MAX_ID),
        created_at=fields.time("created_at"),
        archived_at=fields.time("archived_at"),
        posting=posting,
        everyone_in=everyone_in,
        # An export made before rooms had topics: none had one.
        topic="" if fields.data.get("topic") is None else fields.any_text("topic"),
        # An export made before rooms said who mentions all of them: everyone did.
        room_mentions=EVERYONE
        if fields.data.get("room_mentions") is None
        else fields.choice("room_mentions", POSTING_RULES),
    )


def _membership(fields: _Fields) -> Membership:
    return Membership(
        room=fields.text("room"),
        account_id=fields.whole("account", 1, MAX_ID),
        role=fields.choice("role", ROLES),
        added_at=fields.whole("added_at", 0, MAX_TS),
    )


_READERS: dict[str, Callable[[_Fields], Record]] = {
    **ACCOUNT_READERS,
    "room": _room,
    "membership": _membership,
    "message": _message,
    "change": _change,
    "file": read_file,
    "file_part": read_part,
    **BAR_READERS,
    **READING_READERS,
    "moderation_act": read_act,
    **SAVED_READERS,
    **STAR_READERS,
    **THREAD_READERS,
    **EMOJI_READERS,
    **PREVIEW_READERS,
    **SCHEDULED_READERS,
    **REMINDER_READERS,
    **GROUP_READERS,
}
