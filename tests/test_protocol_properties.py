"""Property tests of chatroom.protocol: whatever a client sends, the parser
answers with a frame or a ProtocolError, valid frames survive the trip, and
names that pass the rules are stable and really follow them.
"""

from __future__ import annotations

import json
import time
import unicodedata
from typing import Any

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from chatroom import protocol
from chatroom.protocol import HistoryRequest, MessageFrame, ProtocolError, TypingFrame

ERROR_CODES = {
    protocol.BAD_JSON,
    protocol.BAD_REQUEST,
    protocol.EMPTY,
    protocol.TOO_LONG,
}
FAST = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

json_scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=20,
)
frame_like = st.fixed_dictionaries(
    {},
    optional={
        "type": st.sampled_from(["message", "typing", "history", "sys", "user", "ack"]) | json_values,
        "message": st.text(max_size=50) | json_values,
        "ref": st.text(max_size=70) | json_values,
        "before": st.integers() | json_values,
        "limit": st.integers() | json_values,
        "nick": json_values,
        "id": json_values,
    },
)
brackets = st.text(alphabet='[]{}":,1a\\ ', max_size=400).map(lambda s: "{" + s)


def parse_or_refusal(data: str) -> protocol.ClientFrame | ProtocolError:
    """The parser's answer: a client frame, or the ProtocolError it raised."""
    try:
        return protocol.parse_frame(data)
    except ProtocolError as error:
        return error


def assert_frame_or_refusal(data: str) -> None:
    answer = parse_or_refusal(data)
    if isinstance(answer, ProtocolError):
        assert answer.code in ERROR_CODES
        assert answer.ref is None or (
            isinstance(answer.ref, str) and len(answer.ref) <= protocol.MAX_REF_LENGTH
        )
    else:
        assert isinstance(answer, MessageFrame | TypingFrame | HistoryRequest)


@FAST
@given(st.text())
@example("{" + "[" * 100_000 + "]" * 100_000 + "}")
@example('{"n": ' + "9" * 5000 + "}")
@example('{"type": "message", "message": "\\ud800"}')
@example("{" + "[" * 40 + '"\\' * 32_000)
@example("{" + "[" * 40 + '"' + '\\"' * 32_000)
@example('{"type": "history", "before": 9223372036854775808}')
@example('{"type": "history", "before": -1, "limit": 18446744073709551615}')
def test_any_text_is_a_frame_or_a_refusal(data: str) -> None:
    """Any string at all parses to a client frame or a ProtocolError with a documented code."""
    assert_frame_or_refusal(data)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(frame_like.map(json.dumps))
def test_any_json_object_is_a_frame_or_a_refusal(data: str) -> None:
    """Any JSON object, with any mix of known fields and types, is a frame or a refusal."""
    assert_frame_or_refusal(data)


@FAST
@given(brackets)
def test_bracket_soup_is_a_frame_or_a_refusal(data: str) -> None:
    """Strings of brackets, quotes and escapes never get past the parser as anything else."""
    assert_frame_or_refusal(data)


@FAST
@given(st.integers(min_value=1, max_value=200), st.sampled_from(["[", '{"a":']))
def test_nesting_beyond_the_bound_is_bad_json(depth: int, opener: str) -> None:
    """A frame nesting deeper than MAX_JSON_DEPTH is bad_json; within it, nesting is no refusal."""
    closer = "]" if opener == "[" else "}"
    inner = opener * depth + ("1" if opener != "[" else "") + closer * depth
    answer = parse_or_refusal('{"type": "typing", "x": ' + inner + "}")
    if depth + 1 > protocol.MAX_JSON_DEPTH:
        assert isinstance(answer, ProtocolError) and answer.code == protocol.BAD_JSON
    else:
        assert answer == TypingFrame()


message_text = st.text(
    alphabet=st.characters(blacklist_categories=("Cc", "Cs"), blacklist_characters="{")
    | st.sampled_from("\n\t"),
    min_size=1,
    max_size=200,
).filter(lambda s: s.strip())
refs = st.none() | st.text(max_size=protocol.MAX_REF_LENGTH)


@FAST
@given(message_text, refs)
def test_message_frames_round_trip(text: str, ref: str | None) -> None:
    """A valid message frame parses to its trimmed text and its ref."""
    frame: dict[str, Any] = {"type": "message", "message": text}
    if ref is not None:
        frame["ref"] = ref
    assert protocol.parse_frame(json.dumps(frame)) == MessageFrame(text.strip(), ref)


@FAST
@given(message_text.filter(lambda s: not s.startswith("{")))
def test_plain_text_is_a_message(text: str) -> None:
    """A text frame that does not start with '{' is that text as a chat message."""
    assert protocol.parse_frame(text) == MessageFrame(text.strip())


@FAST
@given(st.none() | st.integers(min_value=0, max_value=2**53), st.integers(min_value=1, max_value=10**6))
def test_history_requests_round_trip(before: int | None, limit: int) -> None:
    """A history request keeps its before and caps its limit at MAX_HISTORY_REQUEST."""
    data = json.dumps({"type": "history", "before": before, "limit": limit})
    assert protocol.parse_frame(data) == HistoryRequest(before, min(limit, protocol.MAX_HISTORY_REQUEST))


@FAST
@given(
    st.integers(min_value=1, max_value=2**53),
    st.text(min_size=1, max_size=64),
    st.text(min_size=1, max_size=32),
    st.text(max_size=300),
    st.integers(min_value=0, max_value=2**53),
)
def test_server_frames_encode_to_the_same_json(msg_id: int, room: str, nick: str, text: str, ts: int) -> None:
    """A user frame encodes to JSON that decodes back to the same frame."""
    frame = protocol.user_frame(msg_id, room, nick, text, ts)
    assert json.loads(protocol.encode(frame)) == frame


# --- names ------------------------------------------------------------------

name_chars = st.characters(blacklist_categories=("Cs",))
name_like = st.text(alphabet=name_chars, max_size=40) | st.text(
    alphabet=st.sampled_from("aZ9 -_.\u00e9\u0301\u202e\u200b\u0007\u0627\u4e2d"), max_size=40
)


def name_rule_violations(name: str, max_length: int, spaces: bool) -> list[str]:
    """What is wrong with a normalized name, by PROTOCOL.md's rules (empty when nothing)."""
    problems = []
    if not 1 <= len(name) <= max_length:
        problems.append("length")
    if unicodedata.normalize("NFC", name) != name:
        problems.append("not NFC")
    if name and not (unicodedata.category(name[0])[0] == "L" or unicodedata.category(name[0]) == "Nd"):
        problems.append("first character")
    for char in name:
        category = unicodedata.category(char)
        if category[0] in "CZ" and not (spaces and char == " "):
            problems.append(f"character {char!r} ({category})")
    if spaces and ("  " in name or name != name.strip()):
        problems.append("spacing")
    return problems


@FAST
@given(name_like)
@example("  Ada Lovelace ")
@example("e\u0301cole")
def test_nick_normalization_is_idempotent_and_follows_the_rules(raw: str) -> None:
    """A nick that passes normalizes to itself again and obeys every rule for nicks."""
    try:
        nick = protocol.normalize_nick(raw)
    except ProtocolError as error:
        assert error.code == protocol.BAD_NAME
        return
    assert protocol.normalize_nick(nick) == nick
    assert name_rule_violations(nick, protocol.MAX_NICK_LENGTH, spaces=True) == []


@FAST
@given(name_like)
@example("e\u0301cole")
def test_room_normalization_is_idempotent_and_follows_the_rules(raw: str) -> None:
    """A room that passes normalizes to itself again and obeys every rule for rooms."""
    try:
        room = protocol.normalize_room(raw)
    except ProtocolError as error:
        assert error.code == protocol.BAD_NAME
        return
    assert protocol.normalize_room(room) == room
    assert name_rule_violations(room, protocol.MAX_ROOM_LENGTH, spaces=False) == []
    assert "/" not in room and not room.startswith(".")


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(alphabet='[]{}"\\:,a ', min_size=1, max_size=12), st.integers(min_value=0, max_value=40))
def test_parsing_is_linear_in_the_frame(unit: str, opening: int) -> None:
    """Any repeated pattern filling a 64 KiB frame is answered in well under half a second."""
    data = "{" + "[" * opening + unit * (65_000 // len(unit))
    started = time.perf_counter()
    parse_or_refusal(data)
    assert time.perf_counter() - started < 0.5


@FAST
@given(st.integers(), st.integers())
def test_history_numbers_reach_the_store_only_in_range(before: int, limit: int) -> None:
    """Every accepted history request has an id and a limit the store can hold."""
    answer = parse_or_refusal(json.dumps({"type": "history", "before": before, "limit": limit}))
    if isinstance(answer, HistoryRequest):
        assert answer.before is not None and 0 <= answer.before < 2**63
        assert 1 <= answer.limit <= protocol.MAX_HISTORY_REQUEST
    else:
        assert isinstance(answer, ProtocolError) and answer.code in ("bad_request", "bad_json")


@given(st.lists(st.text(max_size=6)))
@example(["ß", "SS", "ss", "Ss", "ǅ", "ǆ", "Ǆ", "b", "B", "a"])
def test_nicks_are_listed_by_casefold_then_by_code_point(nicks: list[str]) -> None:
    """The welcome's order: by casefold, and nicks of one casefold by code point."""
    assert protocol.sort_nicks(nicks) == sorted(nicks, key=lambda nick: (nick.casefold(), nick))
