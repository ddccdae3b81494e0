"""The chatroom wire protocol, version 1: names, client frames, server frames.

Pure functions and constants only: no Tornado, no I/O. Everything a client can
send is parsed here, and every refusal is a :class:`ProtocolError` carrying the
error code that PROTOCOL.md names.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Any

import orjson

# Close codes (PROTOCOL.md, "Closing").
CLOSE_GOING_AWAY = 1001
CLOSE_POLICY_VIOLATION = 1008
CLOSE_TOO_BIG = 1009
CLOSE_SERVICE_RESTART = 1012
CLOSE_TRY_AGAIN_LATER = 1013
CLOSE_BAD_NAME = 4400
CLOSE_UNAUTHORIZED = 4401
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

MAX_ROOM_LENGTH = 64
MAX_NICK_LENGTH = 32
MAX_REF_LENGTH = 64
DEFAULT_MESSAGE_LENGTH = 4000
MAX_HISTORY_REQUEST = 200
NAME_PUNCTUATION = frozenset("-_.")
MAX_JSON_DEPTH = 32
_STRINGS = re.compile(r'"(?:[^"\\]|\\.)*"')
_BRACKETS = re.compile(r"[\[\]{}]")


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


@dataclass(frozen=True, slots=True)
class TypingFrame:
    """The client is typing."""


@dataclass(frozen=True, slots=True)
class HistoryRequest:
    """The client wants up to ``limit`` messages older than ``before``."""

    before: int | None
    limit: int


ClientFrame = MessageFrame | TypingFrame | HistoryRequest


# --- names -----------------------------------------------------------------


def _is_letter_or_digit(char: str) -> bool:
    category = unicodedata.category(char)
    return category[0] == "L" or category == "Nd"


def _is_name_char(char: str) -> bool:
    # Combining marks are part of how many scripts (Devanagari, Thai...) spell
    # letters, so they are allowed after the first character.
    return _is_letter_or_digit(char) or unicodedata.category(char)[0] == "M" or char in NAME_PUNCTUATION


def normalize_room(raw: str) -> str:
    """Return the room name in NFC, or raise ProtocolError(bad_name)."""
    room = unicodedata.normalize("NFC", raw)
    if not 1 <= len(room) <= MAX_ROOM_LENGTH:
        raise ProtocolError(BAD_NAME, f"a room name has 1 to {MAX_ROOM_LENGTH} characters")
    if not _is_letter_or_digit(room[0]) or not all(map(_is_name_char, room)):
        raise ProtocolError(
            BAD_NAME,
            "a room name is letters, digits, '-', '_' and '.', starting with a letter or digit",
        )
    return room


def normalize_nick(raw: str) -> str:
    """Return the nick trimmed and in NFC, or raise ProtocolError(bad_name)."""
    nick = unicodedata.normalize("NFC", raw.strip())
    if not 1 <= len(nick) <= MAX_NICK_LENGTH:
        raise ProtocolError(BAD_NAME, f"a nick has 1 to {MAX_NICK_LENGTH} characters")
    words = nick.split(" ")
    valid = (
        _is_letter_or_digit(nick[0])
        and all(words)  # no double spaces
        and all(_is_name_char(char) for word in words for char in word)
    )
    if not valid:
        raise ProtocolError(
            BAD_NAME,
            "a nick is letters, digits, single spaces, '-', '_' and '.', starting with a letter or digit",
        )
    return nick


def nick_key(nick: str) -> str:
    """The form in which nicks are compared: two nicks clash when keys match."""
    return nick.casefold()


def sort_nicks(nicks: list[str]) -> list[str]:
    """Sort nicks by casefold, then by code point, as the welcome frame lists them."""
    return sorted(nicks, key=lambda nick: (nick.casefold(), nick))


# --- client frames ---------------------------------------------------------


def clean_text(raw: str, max_length: int = DEFAULT_MESSAGE_LENGTH, ref: str | None = None) -> str:
    """Trim a message text and check it, or raise ProtocolError."""
    text = raw.strip()
    if not text:
        raise ProtocolError(EMPTY, "the message is empty", ref)
    if len(text) > max_length:
        raise ProtocolError(TOO_LONG, f"a message has at most {max_length} characters", ref)
    if any(unicodedata.category(c) == "Cc" and c not in "\n\t" for c in text):
        raise ProtocolError(BAD_REQUEST, "control characters other than newline and tab are not allowed", ref)
    return text


def parse_frame(data: str, max_length: int = DEFAULT_MESSAGE_LENGTH) -> ClientFrame:
    """Parse one text frame from a client, or raise ProtocolError.

    Only a leading ``{`` makes a frame JSON; anything else is chat text
    (plain-text mode for terminal clients).
    """
    if not data.startswith("{"):
        return MessageFrame(clean_text(data, max_length))
    obj = _load_object(data)
    ref = _read_ref(obj)
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
    raise ProtocolError(BAD_REQUEST, f"unknown frame type {str(kind)[:40]!r}", ref)


def _load_object(data: str) -> dict[str, Any]:
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
    for bracket in _BRACKETS.findall(_STRINGS.sub("", data)):
        depth += 1 if bracket in "[{" else -1
        deepest = max(deepest, depth)
    return deepest


def _read_ref(obj: dict[str, Any]) -> str | None:
    ref = obj.get("ref")
    if ref is None:
        return None
    if not isinstance(ref, str) or len(ref) > MAX_REF_LENGTH:
        raise ProtocolError(BAD_REQUEST, f'"ref" must be a string of at most {MAX_REF_LENGTH} characters')
    return ref


def _parse_history_request(obj: dict[str, Any], ref: str | None) -> HistoryRequest:
    before = obj.get("before")
    limit = obj.get("limit", 50)
    if before is not None and not _is_int(before):
        raise ProtocolError(BAD_REQUEST, '"before" must be an integer id', ref)
    if not _is_int(limit) or limit < 1:
        raise ProtocolError(BAD_REQUEST, '"limit" must be a positive integer', ref)
    return HistoryRequest(before, min(limit, MAX_HISTORY_REQUEST))


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


# --- server frames ---------------------------------------------------------


def encode(frame: dict[str, Any]) -> bytes:
    """Encode a server frame as UTF-8 JSON."""
    return orjson.dumps(frame)


def user_frame(msg_id: int, room: str, nick: str, message: str, ts: int) -> dict[str, Any]:
    """A stored chat message."""
    return {"type": "user", "id": msg_id, "room": room, "nick": nick, "message": message, "ts": ts}


def sys_frame(event: str, room: str, nick: str, users: int, ts: int) -> dict[str, Any]:
    """Someone joined or left; ``users`` is the count online after the event."""
    verb = "joined" if event == "join" else "left"
    return {
        "type": "sys",
        "event": event,
        "room": room,
        "nick": nick,
        "message": f"{nick} has {verb}",
        "users": users,
        "ts": ts,
    }


def welcome_frame(room: str, nick: str, users: list[str], last_id: int, epoch: str) -> dict[str, Any]:
    """The first frame of every session."""
    return {
        "type": "welcome",
        "room": room,
        "nick": nick,
        "users": sort_nicks(users),
        "last_id": last_id,
        "epoch": epoch,
    }


def history_frame(room: str, messages: list[dict[str, Any]], truncated: bool) -> dict[str, Any]:
    """A page of stored messages, oldest first."""
    return {"type": "history", "room": room, "messages": messages, "truncated": truncated}


def ack_frame(ref: str, msg_id: int) -> dict[str, Any]:
    """Tells the sender that its message ``ref`` is stored as ``msg_id``."""
    return {"type": "ack", "ref": ref, "id": msg_id}


def typing_frame(room: str, nick: str) -> dict[str, Any]:
    """Someone is typing."""
    return {"type": "typing", "room": room, "nick": nick}


def error_frame(code: str, message: str, ref: str | None = None) -> dict[str, Any]:
    """A refusal; carries the offending frame's ``ref`` when it had one."""
    frame: dict[str, Any] = {"type": "error", "code": code, "message": message}
    if ref is not None:
        frame["ref"] = ref
    return frame


def api_error_body(code: str, message: str) -> bytes:
    """The JSON body of every HTTP API error."""
    return orjson.dumps({"error": code, "message": message})
