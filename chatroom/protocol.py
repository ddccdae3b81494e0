"""The chatroom wire protocol, version 1: names, client frames, server frames.

Pure functions and constants only: no Tornado, no I/O. Everything a client can
send is parsed here, and every refusal is a :class:`ProtocolError` carrying the
error code that PROTOCOL.md names. Every frame the server sends is built here.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import orjson

from . import names
from .account_frames import admin_frame as admin_frame
from .account_frames import avatar_frame as avatar_frame
from .account_frames import block_frame as block_frame
from .account_frames import dnd_frame as dnd_frame
from .account_frames import reminder_frame as reminder_frame
from .account_frames import renamed_frame as renamed_frame
from .account_frames import saved_frame as saved_frame
from .account_frames import scheduled_frame as scheduled_frame
from .account_frames import starred_frame as starred_frame
from .account_frames import status_frame as status_frame
from .account_frames import status_part as status_part
from .account_frames import thread_frame as thread_frame
from .account_frames import thread_reply_frame as thread_reply_frame
from .event_frames import file_part as file_part
from .event_frames import presence_frame as presence_frame
from .event_frames import sys_frame as sys_frame
from .event_frames import user_frame as user_frame
from .event_frames import with_format as with_format
from .events import PresenceBatch, PresenceEvent, StoredMessage, TypingEvent
from .room_frames import peer_frame as peer_frame
from .room_frames import room_entry as room_entry
from .room_frames import room_frame as room_frame
from .room_frames import room_gone_frame as room_gone_frame
from .room_frames import unread_frame as unread_frame

# Close codes (PROTOCOL.md, "Closing").
CLOSE_GOING_AWAY = 1001
# The member must connect again (its account was renamed, say): clients reconnect at once.
CLOSE_RECONNECT = 1012
CLOSE_POLICY_VIOLATION = 1008
CLOSE_TOO_BIG = 1009
CLOSE_TRY_AGAIN_LATER = 1013
CLOSE_BAD_NAME = 4400
CLOSE_UNAUTHORIZED = 4401
CLOSE_FORBIDDEN = 4403
CLOSE_NOT_FOUND = 4404
CLOSE_NICK_TAKEN = 4409

# Error codes carried by error frames.
BAD_JSON = "bad_json"
BAD_REQUEST = "bad_request"
EMPTY = "empty"
TOO_LONG = "too_long"
RATE_LIMITED = "rate_limited"
BINARY = "binary"
UNAVAILABLE = "unavailable"
BAD_NAME = "bad_name"
NICK_TAKEN = "nick_taken"
UNAUTHORIZED = "unauthorized"
# A member taken out of a room (version 2); the room is then closed to it.
FORBIDDEN = "forbidden"
# A room that does not exist, or that the account may not see: the two look alike.
NOT_FOUND = "not_found"
# A message to a room one may read but not post in (archived, say).
READ_ONLY = "read_only"
# A message (or an edit) that mentions the whole room (``@room``) where only its owner and administrators
# may (access.may_mention_room); nothing of it is stored.
ROOM_MENTION_FORBIDDEN = "room_mention_forbidden"
# A message to a direct conversation whose other person blocked the sender; a new conversation with them.
BLOCKED = "blocked"
# A name that is no account's, where an account is asked for (HTTP API only).
UNKNOWN_ACCOUNT = "unknown_account"
# A change to (or a reply to) a message the room does not have (changes.py).
NO_MESSAGE = "no_message"
# A thread reply to no root: no message of the room, a deleted one, or a reply in a thread itself.
BAD_THREAD = "bad_thread"
# A reaction with an emoji more than a message holds (store/change_rules.py: MAX_EMOJIS).
TOO_MANY_REACTIONS = "too_many_reactions"
# A pin past the messages a room holds pinned (store/change_rules.py: MAX_PINS).
TOO_MANY_PINS = "too_many_pins"
# A save past the messages one person keeps saved (api_saved.py: MAX_SAVED).
TOO_MANY_SAVED = "too_many_saved"
# A star past the rooms one person keeps starred (api_stars.py: MAX_STARRED).
TOO_MANY_STARRED = "too_many_starred"
# Scheduled messages (api_scheduled.py): one past those a person keeps; a time not ahead, or too far.
TOO_MANY_SCHEDULED = "too_many_scheduled"
BAD_TIME = "bad_time"
# A reminder past those one person keeps (api_reminders.py: MAX_REMINDERS).
TOO_MANY_REMINDERS = "too_many_reminders"
# A server with no administrator yet answers nothing else (docs/protocol.md, "First run").
SETUP_REQUIRED = "setup_required"
# Accounts (HTTP API only, docs/protocol.md "Accounts"): a state-changing
# request from a signed-in browser without the page's _xsrf token; a wrong
# name or password; a setup, join or reset link that does not work (never
# made, used, revoked, expired); setup asked for twice; a name another
# account holds; a password the rules refuse; the two typings differ; the
# right password of a deactivated account (a wrong one is bad_credentials, as for any account).
XSRF = "xsrf"
BAD_CREDENTIALS = "bad_credentials"
INVALID_LINK = "invalid_link"
SETUP_DONE = "setup_done"
NAME_TAKEN = "name_taken"
BAD_PASSWORD = "bad_password"
PASSWORDS_DIFFER = "passwords_differ"
ACCOUNT_DEACTIVATED = "account_deactivated"
# The close after a refused connection (PROTOCOL.md, "Connecting"); any other refusal that closes: 1008.
CLOSE_CODE_FOR = {
    BAD_NAME: CLOSE_BAD_NAME,
    UNAUTHORIZED: CLOSE_UNAUTHORIZED,
    FORBIDDEN: CLOSE_FORBIDDEN,
    NOT_FOUND: CLOSE_NOT_FOUND,
    NICK_TAKEN: CLOSE_NICK_TAKEN,
}

MAX_REF_LENGTH = 64
DEFAULT_MESSAGE_LENGTH = 4000
MAX_HISTORY_REQUEST = 200
MAX_JSON_DEPTH = 32
# Ids and limits travel to the store as signed 64-bit integers.
MAX_CLIENT_INT = 2**63 - 1
# One token per match: a JSON string (possessive, so an unterminated one ends
# the scan instead of being retried from every later quote) or a bracket.
# Every character is looked at once, whatever the frame holds.
_JSON_TOKENS = re.compile(r'"(?:[^"\\]++|\\.)*+"?|[\[\]{}]', re.DOTALL)


class ProtocolError(Exception):
    """A client frame or name that the protocol refuses."""

    def __init__(self, code: str, message: str, ref: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.ref = ref


@dataclass(frozen=True, slots=True)
class MessageFrame:
    """A chat message the client wants stored and broadcast."""

    text: str
    ref: str | None = None
    reply_to: int | None = None
    # The root of the thread it replies in, and whether it is also sent to the room (version 2, "Threads").
    thread: int | None = None
    broadcast: bool = False


@dataclass(frozen=True, slots=True)
class TypingFrame:
    """The client is typing (version 2: a reply in the thread of ``thread``)."""

    thread: int | None = None


@dataclass(frozen=True, slots=True)
class HistoryRequest:
    """The client wants up to ``limit`` messages older than ``before``; ``ref`` comes back with them."""

    before: int | None
    limit: int
    ref: str | None = None
    # Only the main timeline: thread replies left out (version 2, "Threads").
    top: bool = False


@dataclass(frozen=True, slots=True)
class ReadFrame:
    """The client has seen the room's messages up to ``id`` (version 2, "Unread counts")."""

    id: int
    ref: str | None = None


ClientFrame = MessageFrame | TypingFrame | HistoryRequest | ReadFrame


# --- names (the rules live in names.py) ------------------------------------


def normalize_room(raw: str) -> str:
    """The room name after PRECIS enforcement, or raise ProtocolError(bad_name)."""
    try:
        return names.normalize_room(raw)
    except names.BadNameError as error:
        raise ProtocolError(BAD_NAME, str(error)) from None


def normalize_nick(raw: str) -> str:
    """The nick after PRECIS enforcement (NFKC, spaces mapped and trimmed), or raise ProtocolError."""
    try:
        return names.normalize_nick(raw)
    except names.BadNameError as error:
        raise ProtocolError(BAD_NAME, str(error)) from None


MAX_ROOM_LENGTH = names.MAX_ROOM_LENGTH
MAX_NICK_LENGTH = names.MAX_NICK_LENGTH
nick_key = names.nick_key
room_key = names.room_key


def sort_nicks(nicks: list[str]) -> list[str]:
    """Sort nicks by casefold, then by code point (names.listing_order), as the welcome frame lists them.

    Two stable sorts with C keys rather than one with a Python key: a
    thousand names already in order (the bus keeps a room's so) take a
    seventh of the time, which counts when a thousand members join one room.
    """
    return sorted(sorted(nicks), key=str.casefold)


# --- client frames ---------------------------------------------------------


# Unicode's control characters (category Cc: C0, DEL and C1, fixed by the standard) but newline and tab.
_CONTROL_BUT_NEWLINE_AND_TAB = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def clean_text(raw: str, max_length: int = DEFAULT_MESSAGE_LENGTH, ref: str | None = None) -> str:
    """Trim a message text and check it, or raise ProtocolError."""
    text = raw.strip()
    if not text:
        raise ProtocolError(EMPTY, "the message is empty", ref)
    if len(text) > max_length:
        raise ProtocolError(TOO_LONG, f"a message has at most {max_length} characters", ref)
    if _CONTROL_BUT_NEWLINE_AND_TAB.search(text):
        raise ProtocolError(BAD_REQUEST, "control characters other than newline and tab are not allowed", ref)
    return text


def parse_frame(data: str, max_length: int = DEFAULT_MESSAGE_LENGTH) -> ClientFrame:
    """Parse one text frame from a client, or raise ProtocolError.

    Only a leading ``{`` makes a frame JSON; anything else is chat text
    (plain-text mode for terminal clients).
    """
    if not data.startswith("{"):
        return MessageFrame(clean_text(data, max_length))
    obj = load_object(data)
    return parse_object(obj, read_ref(obj), max_length)


def parse_object(obj: dict[str, Any], ref: str | None, max_length: int) -> ClientFrame:
    """A version 1 client frame from its JSON object (changes.py parses the others)."""
    kind = obj.get("type")
    if kind == "message":
        text = obj.get("message")
        if not isinstance(text, str):
            raise ProtocolError(BAD_REQUEST, '"message" must be a string', ref)
        return MessageFrame(clean_text(text, max_length, ref), ref)
    if kind == "typing":
        return TypingFrame()
    if kind == "history":
        return _parse_history_request(obj, ref)
    if kind == "read":
        if not _is_int_in(obj.get("id"), 0):
            raise ProtocolError(BAD_REQUEST, f'"id" must be an id from 0 to {MAX_CLIENT_INT}', ref)
        return ReadFrame(obj["id"], ref)
    raise ProtocolError(BAD_REQUEST, f"unknown frame type {str(kind)[:40]!r}", ref)


def load_object(data: str) -> dict[str, Any]:
    if _nesting_depth(data) > MAX_JSON_DEPTH:
        raise ProtocolError(BAD_JSON, f"the frame nests deeper than {MAX_JSON_DEPTH} levels")
    try:
        obj = orjson.loads(data)
    except orjson.JSONDecodeError:
        # orjson also refuses numbers it cannot hold rather than spending
        # CPU on them, so a 5,000-digit number is simply bad JSON.
        raise ProtocolError(BAD_JSON, "the frame is not valid JSON") from None
    if not isinstance(obj, dict):
        raise ProtocolError(BAD_JSON, "the frame is not a JSON object")
    return obj


def _nesting_depth(data: str) -> int:
    """How deeply brackets nest outside strings (an upper bound when in doubt).

    Client frames are flat, so this only does real work for the rare frame
    with many brackets; it keeps pathological nesting away from the parser.
    """
    if data.count("[") + data.count("{") <= MAX_JSON_DEPTH:
        return 0
    depth = deepest = 0
    for token in _JSON_TOKENS.findall(data):
        if token in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif token in "]}":
            depth -= 1
    return deepest


def read_ref(obj: dict[str, Any]) -> str | None:
    ref = obj.get("ref")
    if ref is None:
        return None
    if not isinstance(ref, str) or len(ref) > MAX_REF_LENGTH:
        raise ProtocolError(BAD_REQUEST, f'"ref" must be a string of at most {MAX_REF_LENGTH} characters')
    return ref


def _parse_history_request(obj: dict[str, Any], ref: str | None) -> HistoryRequest:
    before = obj.get("before")
    limit = obj.get("limit", 50)
    if before is not None and not _is_int_in(before, 0):
        raise ProtocolError(BAD_REQUEST, f'"before" must be an id from 0 to {MAX_CLIENT_INT}', ref)
    if not _is_int_in(limit, 1):
        raise ProtocolError(BAD_REQUEST, f'"limit" must be an integer from 1 to {MAX_CLIENT_INT}', ref)
    top = obj.get("top", False)
    if not isinstance(top, bool):
        raise ProtocolError(BAD_REQUEST, '"top" must be true or false', ref)
    return HistoryRequest(before, min(limit, MAX_HISTORY_REQUEST), ref, top)


def _is_int_in(value: object, low: int) -> bool:
    """An integer (not a bool) from ``low`` to what the store can hold."""
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= MAX_CLIENT_INT


# --- server frames ---------------------------------------------------------


def encode(frame: dict[str, Any]) -> bytes:
    """Encode a server frame as UTF-8 JSON."""
    return orjson.dumps(frame)


def frame_of(event: StoredMessage | PresenceEvent | TypingEvent | PresenceBatch) -> dict[str, Any]:
    """The frame that carries a room's event to its members: user, sys, typing or presence."""
    if isinstance(event, StoredMessage):
        return user_frame(
            event.id, event.room, event.nick, event.text, event.ts, bot=event.bot, guest=event.guest
        )
    if isinstance(event, PresenceEvent):
        return sys_frame(event.event, event.room, event.nick, event.users, event.ts, guest=event.guest)
    if isinstance(event, PresenceBatch):
        joined, left, guests = list(event.joined), list(event.left), list(event.guests)
        return presence_frame(event.room, joined, left, event.users, event.ts, guests)
    return typing_frame(event.room, event.nick, event.thread)


def welcome_frame(
    room: str, nick: str, users: list[str], last_id: int, epoch: str, guests: Iterable[str] = ()
) -> dict[str, Any]:
    """The first frame of every session; ``guests``: those of ``users`` who are guests (version 2)."""
    frame = {"type": "welcome", "room": room, "nick": nick, "users": sort_nicks(users), "last_id": last_id}
    return {**frame, "epoch": epoch, "guests": sort_nicks(list(guests))}


def history_frame(
    room: str, messages: list[dict[str, Any]], truncated: bool, ref: str | None = None
) -> dict[str, Any]:
    """A page of stored messages, oldest first; the answer to a request names its ``ref`` (version 2)."""
    frame = {"type": "history", "room": room, "messages": messages, "truncated": truncated}
    return frame if ref is None else {**frame, "ref": ref}


def ack_frame(ref: str, msg_id: int) -> dict[str, Any]:
    """Tells the sender that its message ``ref`` is stored as ``msg_id``."""
    return {"type": "ack", "ref": ref, "id": msg_id}


def typing_frame(room: str, nick: str, thread: int | None = None) -> dict[str, Any]:
    """Someone is typing (version 2: a reply in the thread of ``thread``, which a v1 client ignores)."""
    frame: dict[str, Any] = {"type": "typing", "room": room, "nick": nick}
    return frame if thread is None else {**frame, "thread": thread}


def error_frame(code: str, message: str, ref: str | None = None) -> dict[str, Any]:
    """A refusal; carries the offending frame's ``ref`` when it had one."""
    frame = {"type": "error", "code": code, "message": message}
    return frame if ref is None else {**frame, "ref": ref}


def look_alike_room_message(room: str) -> str:
    """Why a room name that looks like an existing room's is refused (bad_name); that room goes unnamed,
    for it may be one the asker may not see (a closed room, a direct conversation)."""
    return f"the room name {room!r} looks like an existing room's name: pick another name"


def api_error_body(code: str, message: str) -> bytes:
    """The JSON body of every HTTP API error."""
    return orjson.dumps({"error": code, "message": message})
