"""A member's frames in (chatroom/intake.py): what each asks for, within the member's limits."""

from __future__ import annotations

import pytest

from chatroom import protocol
from chatroom.config import Settings
from chatroom.effects import Change, Publish, ReadPage, Typing
from chatroom.intake import TYPING_INTERVAL, Intake
from chatroom.protocol import ProtocolError

SETTINGS = Settings(database=":memory:", rate=1.0, burst=2, max_refusals=2, refusal_window=10.0)


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def refusal(intake: Intake, frame: str | bytes, *, read_only: bool = False) -> tuple[str, str | None]:
    with pytest.raises(ProtocolError) as refused:
        intake.ask(frame, read_only=read_only)
    return refused.value.code, refused.value.ref


def test_messages_take_tokens_and_carry_their_ref() -> None:
    """Each message is a Publish with a token of its own, until the bucket is empty."""
    clock = Clock()
    intake = Intake(SETTINGS, clock)
    first = intake.ask('{"type":"message","message":"hi","ref":"r1"}', read_only=False)
    second = intake.ask("plain text", read_only=False)
    assert first == Publish("hi", "r1", 1) and second == Publish("plain text", None, 2)
    assert refusal(intake, '{"type":"message","message":"x","ref":"r3"}') == (protocol.RATE_LIMITED, "r3")
    clock.now = 1.0
    assert isinstance(intake.ask("again", read_only=False), Publish)


def test_history_requests_spend_tokens_too() -> None:
    """A history page is a ReadPage, refused rate_limited once the bucket is empty."""
    intake = Intake(SETTINGS, Clock())
    frame = '{"type":"history","before":10,"limit":5}'
    assert intake.ask(frame, read_only=False) == ReadPage(10, 5)
    intake.ask(frame, read_only=False)
    assert refusal(intake, frame) == (protocol.RATE_LIMITED, None)
    with_ref = '{"type":"history","before":10,"limit":5,"ref":"h9"}'
    assert refusal(intake, with_ref) == (protocol.RATE_LIMITED, "h9")
    assert refusal(intake, '{"type":"read","id":3,"ref":"m4"}') == (protocol.RATE_LIMITED, "m4")


def test_typing_is_dropped_quietly_within_the_interval() -> None:
    """A typing hint goes out at most once an interval; the others are nothing, never a refusal."""
    clock = Clock()
    intake = Intake(SETTINGS, clock)
    assert intake.ask('{"type":"typing"}', read_only=False) == Typing()
    assert intake.ask('{"type":"typing"}', read_only=False) is None
    clock.now = TYPING_INTERVAL
    assert intake.ask('{"type":"typing"}', read_only=False) == Typing()


def test_binary_and_read_only_are_refused() -> None:
    """Binary frames are refused; in a read-only room a message is refused read_only with its ref."""
    intake = Intake(SETTINGS, Clock())
    assert refusal(intake, b"bytes") == (protocol.BINARY, None)
    assert refusal(intake, '{"type":"message","message":"x","ref":"r"}', read_only=True) == (
        protocol.READ_ONLY,
        "r",
    )


def test_too_many_refusals_count_the_members_faults_only() -> None:
    """Past max_refusals within the window the member has had too many; the store failing never counts."""
    intake = Intake(SETTINGS, Clock())
    unavailable = ProtocolError(protocol.UNAVAILABLE, "down")
    bad = ProtocolError(protocol.BAD_JSON, "bad")
    assert [intake.too_many_refusals(unavailable) for _ in range(5)] == [False] * 5
    assert [intake.too_many_refusals(bad) for _ in range(3)] == [False, False, True]


def test_a_long_formatted_text_spends_more_of_the_rate_than_a_plain_one() -> None:
    """A text the server must format spends a token per 400 characters more; a plain one, one token."""
    settings = Settings(database=":memory:", rate=1.0, burst=20)
    clock = Clock()
    plain, formatted = Intake(settings, clock), Intake(settings, clock)
    for _ in range(20):
        assert isinstance(plain.ask("x" * 4000, read_only=False), Publish)
    list_text = "- a\n" * 1000
    assert isinstance(formatted.ask(list_text, read_only=False), Publish)  # 11 tokens
    assert refusal(formatted, list_text) == (protocol.RATE_LIMITED, None)  # 9 left
    clock.now = 2.0
    assert isinstance(formatted.ask(list_text, read_only=False), Publish)
    clock.now = 5.0  # 3 tokens: a short formatted text spends a little more than one
    assert [isinstance(formatted.ask("*hi*", read_only=False), Publish) for _ in range(2)] == [True, True]


def test_where_only_managers_post_the_others_react_and_delete_and_add_no_words() -> None:
    """read_only with reactions allowed: messages, replies and edits are refused read_only, saying why;
    reactions and deletions go through. Archived (no reactions either): all four are refused."""
    settings = Settings(database=":memory:", rate=100.0, burst=100)
    intake = Intake(settings, Clock())
    words = ('{"type":"message","message":"hi","ref":"m"}', '{"type":"edit","id":1,"message":"x","ref":"e"}')
    for frame in words:
        with pytest.raises(ProtocolError) as refused:
            intake.ask(frame, read_only=True, may_react=True)
        assert refused.value.code == protocol.READ_ONLY
        assert refused.value.message.endswith("only its owner and administrators post in it")
    others = ('{"type":"react","id":1,"emoji":"\U0001f44d","on":true}', '{"type":"delete","id":1}')
    for frame in others:
        assert isinstance(intake.ask(frame, read_only=True, may_react=True), Change)
    for frame in (*words, *others):
        with pytest.raises(ProtocolError) as refused:
            intake.ask(frame, read_only=True)
        assert refused.value.code == protocol.READ_ONLY and refused.value.message.endswith("it is read-only")
