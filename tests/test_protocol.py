"""Unit tests of chatroom.protocol: names, client frames, server frames."""

from __future__ import annotations

import json

import pytest

from chatroom import protocol
from chatroom.events import PresenceBatch, PresenceEvent
from chatroom.protocol import HistoryRequest, MessageFrame, ProtocolError, TypingFrame


def refusal(call: object, *args: object) -> ProtocolError:
    """Run ``call`` and return the ProtocolError it raised."""
    assert callable(call)
    with pytest.raises(ProtocolError) as info:
        call(*args)
    return info.value


# --- rooms -------------------------------------------------------------------


@pytest.mark.parametrize(
    "name", ["lobby", "a", "Team-42", "dev_ops.eu", "日本語", "café", "x" * 64, "9lives"]
)
def test_valid_room_names_are_kept(name: str) -> None:
    """Letters and digits of any script, '-', '_' and '.' make a room name."""
    assert protocol.normalize_room(name) == name


@pytest.mark.parametrize(
    "name",
    ["", "x" * 65, "a/b", "..", ".hidden", "-x", "_x", "a b", "a\x00b", "a\u202eb", "<script>", "a%2f"],
)
def test_invalid_room_names_are_refused(name: str) -> None:
    """Slashes, dots first, spaces, controls and bidi overrides make no room name."""
    assert refusal(protocol.normalize_room, name).code == protocol.BAD_NAME


def test_room_names_are_nfc_normalized() -> None:
    """A decomposed é and a composed é name the same room."""
    assert protocol.normalize_room("cafe\u0301") == "caf\u00e9"


def test_room_names_are_case_sensitive() -> None:
    """Lobby and lobby are two rooms."""
    assert protocol.normalize_room("Lobby") != protocol.normalize_room("lobby")


# --- nicks -------------------------------------------------------------------


@pytest.mark.parametrize("nick", ["ann", "Ann Lee", "bob-2", "x.y_z", "李小龍", "Ελένη", "हिन्दी", "x" * 32])
def test_valid_nicks_are_kept(nick: str) -> None:
    """Letters, digits, single inner spaces, '-', '_' and '.' make a nick."""
    assert protocol.normalize_nick(nick) == nick


def test_nicks_are_trimmed_and_normalized() -> None:
    """Surrounding white space goes, and the nick is NFC."""
    assert protocol.normalize_nick("  Zoe\u0308 \t") == "Zo\u00eb"


@pytest.mark.parametrize(
    "nick",
    [
        "",
        "   ",
        "x" * 33,
        "-ann",
        ".ann",
        "ann\u202e",
        "ann\x07",
        "a\nb",
        "ann!",
        "<b>",
        "a\tb",
        "🙂",
    ],
)
def test_invalid_nicks_are_refused(nick: str) -> None:
    """Double spaces, leading punctuation, bidi overrides, controls and symbols are refused."""
    assert refusal(protocol.normalize_nick, nick).code == protocol.BAD_NAME


def test_nick_key_compares_case_insensitively() -> None:
    """ANN, ann and Straße/STRASSE clash, by casefold."""
    assert protocol.nick_key("ANN") == protocol.nick_key("ann")
    assert protocol.nick_key("Straße") == protocol.nick_key("STRASSE")


def test_sort_nicks_by_casefold_then_code_point() -> None:
    """The welcome list is sorted by casefold, ties by code point."""
    assert protocol.sort_nicks(["bob", "Ann", "ann", "Carl"]) == ["Ann", "ann", "bob", "Carl"]


# --- client frames -------------------------------------------------------------


def test_plain_text_is_a_message() -> None:
    """A frame that does not start with '{' is chat text, trimmed."""
    assert protocol.parse_frame("  hello there \n") == MessageFrame("hello there")


@pytest.mark.parametrize("text", ["[1,2]", "42", '"quoted"', "null", " {not json"])
def test_json_that_is_not_an_object_frame_is_chat_text(text: str) -> None:
    """Only a leading '{' makes a frame JSON."""
    assert protocol.parse_frame(text) == MessageFrame(text.strip())


def test_message_frame_with_ref() -> None:
    """A message frame carries its text and ref."""
    frame = protocol.parse_frame('{"type":"message","message":" hi ","ref":"r-1"}')
    assert frame == MessageFrame("hi", "r-1")


def test_forged_fields_are_ignored() -> None:
    """nick, id, ts and room in a client frame change nothing."""
    raw = '{"type":"message","message":"hi","nick":"admin","id":1,"ts":0,"room":"other"}'
    assert protocol.parse_frame(raw) == MessageFrame("hi")


def test_typing_frame() -> None:
    """A typing frame parses."""
    assert protocol.parse_frame('{"type":"typing"}') == TypingFrame()


def test_history_request_is_capped() -> None:
    """A history request asks for at most 200 messages."""
    assert protocol.parse_frame('{"type":"history","before":10,"limit":5000}') == HistoryRequest(10, 200)
    assert protocol.parse_frame('{"type":"history"}') == HistoryRequest(None, 50)
    assert protocol.parse_frame('{"type":"history","ref":"h1"}') == HistoryRequest(None, 50, "h1")


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("{", protocol.BAD_JSON),
        ("{'a': 1}", protocol.BAD_JSON),
        ("{" * 100_000, protocol.BAD_JSON),
        ('{"a":' + "[" * 100_000 + "]" * 100_000 + "}", protocol.BAD_JSON),
        ('{"type":"message","message":' + "9" * 5000 + "}", protocol.BAD_JSON),
        ('{"type":"message","message":1e999}', protocol.BAD_JSON),
        ('{"type":"sys","event":"join","nick":"x"}', protocol.BAD_REQUEST),
        ('{"type":"nope"}', protocol.BAD_REQUEST),
        ('{"message":"no type"}', protocol.BAD_REQUEST),
        ('{"type":"message","message":5}', protocol.BAD_REQUEST),
        ('{"type":"message","message":"x","ref":5}', protocol.BAD_REQUEST),
        ('{"type":"message","message":"x","ref":"' + "r" * 65 + '"}', protocol.BAD_REQUEST),
        ('{"type":"message","message":"bell\\u0007"}', protocol.BAD_REQUEST),
        ('{"type":"history","before":"10"}', protocol.BAD_REQUEST),
        ('{"type":"history","before":true}', protocol.BAD_REQUEST),
        ('{"type":"history","limit":0}', protocol.BAD_REQUEST),
        ('{"type":"message","message":"   "}', protocol.EMPTY),
        ("   ", protocol.EMPTY),
        ("x" * 4001, protocol.TOO_LONG),
    ],
)
def test_refusals_have_their_codes(raw: str, code: str) -> None:
    """Each kind of bad frame is refused with the code PROTOCOL.md names."""
    assert refusal(protocol.parse_frame, raw).code == code


def test_refusal_carries_the_ref() -> None:
    """An error about a frame with a ref names that ref."""
    error = refusal(protocol.parse_frame, '{"type":"message","message":"","ref":"abc"}')
    assert (error.code, error.ref) == (protocol.EMPTY, "abc")


def test_message_length_limit_counts_characters_after_trimming() -> None:
    """4000 characters pass, even with white space around them; the limit is configurable."""
    assert protocol.parse_frame(" " + "é" * 4000 + " ") == MessageFrame("é" * 4000)
    assert refusal(protocol.parse_frame, "abcdef", 5).code == protocol.TOO_LONG


def test_newlines_and_tabs_are_allowed_in_text() -> None:
    """Newline and tab are the only control characters a message may hold."""
    assert protocol.parse_frame("line one\n\tline two") == MessageFrame("line one\n\tline two")


# --- server frames -------------------------------------------------------------


def test_server_frames_have_the_documented_fields() -> None:
    """Every server frame is a JSON object with the fields PROTOCOL.md lists."""
    frames = {
        "user": protocol.user_frame(7, "lobby", "ann", "hi", 1000),
        "sys": protocol.sys_frame("join", "lobby", "ann", 3, 1000),
        "welcome": protocol.welcome_frame("lobby", "ann", ["bob", "ann"], 7, "e1"),
        "history": protocol.history_frame("lobby", [], False),
        "ack": protocol.ack_frame("r", 7),
        "typing": protocol.typing_frame("lobby", "ann"),
        "error": protocol.error_frame("empty", "the message is empty"),
    }
    fields = {
        "user": {"type", "id", "room", "nick", "message", "ts"},
        "sys": {"type", "event", "room", "nick", "message", "users", "ts"},
        # Version 2 adds ``guests`` (those of ``users`` who are guests).
        "welcome": {"type", "room", "nick", "users", "last_id", "epoch", "guests"},
        "history": {"type", "room", "messages", "truncated"},
        "ack": {"type", "ref", "id"},
        "typing": {"type", "room", "nick"},
        "error": {"type", "code", "message"},
    }
    for kind, frame in frames.items():
        decoded = json.loads(protocol.encode(frame))
        assert decoded["type"] == kind
        assert set(decoded) == fields[kind]


def test_guests_are_marked_in_welcome_sys_and_presence_frames() -> None:
    """A guest is marked wherever people are listed: welcome, a sys frame, a presence frame."""
    welcome = protocol.welcome_frame("lobby", "ann", ["zoe", "ann", "Bob"], 7, "e1", {"zoe", "Bob"})
    assert welcome["guests"] == ["Bob", "zoe"]
    assert protocol.welcome_frame("lobby", "ann", ["ann"], 7, "e1")["guests"] == []
    assert protocol.sys_frame("join", "lobby", "zoe", 2, 0, guest=True)["guest"] is True
    assert "guest" not in protocol.sys_frame("join", "lobby", "ann", 2, 0)
    batch = PresenceBatch("lobby", ("zoe", "ann"), ("bob",), 3, 0, ("zoe",))
    assert protocol.frame_of(batch)["guests"] == ["zoe"]
    assert protocol.frame_of(PresenceEvent("leave", "lobby", "zoe", 1, 0, True))["guest"] is True


def test_sys_frame_says_who_joined_and_left() -> None:
    """The sys frame's text is human: 'bob has joined', 'bob has left'."""
    assert protocol.sys_frame("join", "r", "bob", 2, 0)["message"] == "bob has joined"
    assert protocol.sys_frame("leave", "r", "bob", 1, 0)["message"] == "bob has left"


def test_welcome_lists_users_sorted() -> None:
    """The welcome frame's users are sorted by casefold then code point."""
    assert protocol.welcome_frame("r", "b", ["bob", "Ann", "carl"], 0, "e")["users"] == ["Ann", "bob", "carl"]


def test_user_frame_says_bot_only_for_a_bot() -> None:
    """A bot's message carries "bot": true; a person's has no bot field, as in version 1."""
    assert "bot" not in protocol.user_frame(1, "r", "ann", "hi", 0)
    assert protocol.user_frame(1, "r", "deploybot", "hi", 0, bot=True)["bot"] is True


def test_user_frame_says_guest_only_for_a_guest() -> None:
    """A guest's message carries "guest": true; an account's has no such field (version 1's frame)."""
    assert "guest" not in protocol.user_frame(1, "r", "ann", "hi", 0)
    assert protocol.user_frame(1, "r", "walker", "hi", 0, guest=True)["guest"] is True


def test_error_frame_has_ref_only_when_given() -> None:
    """ref appears in an error frame only when the offending frame had one."""
    assert "ref" not in protocol.error_frame("empty", "m")
    assert protocol.error_frame("empty", "m", "r9")["ref"] == "r9"


def test_encode_keeps_unicode_and_escapes_nothing_dangerous() -> None:
    """Frames are UTF-8 JSON that round-trips any text."""
    text = '<script>\u202e日本🙂"\\'
    assert json.loads(protocol.encode(protocol.user_frame(1, "r", "n", text, 0)))["message"] == text


def test_a_read_frame_carries_the_id_seen() -> None:
    """``{"type":"read","id":N}`` parses to the id; the ref, if any, goes with it (for a refusal)."""
    assert protocol.parse_frame('{"type":"read","id":42}') == protocol.ReadFrame(42)
    assert protocol.parse_frame('{"type":"read","id":0,"ref":"x"}') == protocol.ReadFrame(0, "x")


@pytest.mark.parametrize("frame", ['{"type":"read"}', '{"type":"read","id":-1}', '{"type":"read","id":"7"}'])
def test_a_read_frame_without_a_good_id_is_refused(frame: str) -> None:
    """A missing, negative or textual id is bad_request, naming the range."""
    with pytest.raises(ProtocolError) as caught:
        protocol.parse_frame(frame)
    assert caught.value.code == protocol.BAD_REQUEST
    assert caught.value.message == f'"id" must be an id from 0 to {protocol.MAX_CLIENT_INT}'


def test_the_unread_frame() -> None:
    """Someone's counts in a room, as every tab of theirs receives them."""
    assert protocol.unread_frame("plans", 3, 1, 117, "all") == {
        "type": "unread",
        "room": "plans",
        "unread": 3,
        "mentions": 1,
        "read_id": 117,
        "notify": "all",
    }


def test_the_avatar_frame() -> None:
    """Someone's new picture, by the file id /api/accounts gives; removed, null."""
    assert protocol.avatar_frame("Zoë", "Ab3_file-id") == {
        "type": "avatar",
        "name": "Zoë",
        "avatar": "Ab3_file-id",
    }
    assert json.loads(protocol.encode(protocol.avatar_frame("Zoë", None))) == {
        "type": "avatar",
        "name": "Zoë",
        "avatar": None,
    }


def test_a_formatted_message_carries_its_tree() -> None:
    """A user frame of formatted text has "fmt" (docs/protocol.md, "Message text"); plain text has none."""
    formatted = json.loads(protocol.encode(protocol.user_frame(1, "r", "ann", "**hi** https://x.org/", 0)))
    assert formatted["fmt"] == [
        ["p", ["strong", "hi"], " ", ["a", {"href": "https://x.org/"}, "https://x.org/"]]
    ]
    assert formatted["message"] == "**hi** https://x.org/"
    for plain in ("hi there", "@bob look", "snake_case stays", "<b>no</b>"):
        assert "fmt" not in protocol.user_frame(1, "r", "ann", plain, 0), plain
