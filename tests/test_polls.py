"""polls.py and the store's rules for votes: a poll's form, its refusals, its frame, votes decided."""

from __future__ import annotations

import pytest

from chatroom import changes, polls
from chatroom.events import CLOSE_POLL, EDIT, VOTE, StoredChange, StoredMessage
from chatroom.protocol import ProtocolError
from chatroom.push import notification_text
from chatroom.store.change_rules import ChangeRefusedError, ChangeRequest, TargetState, decide

LUNCH = "/poll Lunch?\nPizza\nSushi\nSalad"


def refusal(text: str) -> str:
    with pytest.raises(ProtocolError) as error:
        polls.check_poll_text(text)
    return error.value.code


def test_the_poll_form_is_read_and_written() -> None:
    """/poll makes a poll of one choice, /poll+ of several; options are trimmed; other text is none."""
    assert polls.check_poll_text(LUNCH) == polls.Poll("Lunch?", ("Pizza", "Sushi", "Salad"), False)
    several = polls.read_poll("/poll+  Days? \n Mon \nTue")
    assert several == polls.Poll("Days?", ("Mon", "Tue"), True)
    assert polls.poll_text("Days?", [" Mon", "Tue "], several=True) == "/poll+ Days?\nMon\nTue"
    for text in ("hello", "/polling a\nb\nc", " /pollx a\nb", "see /poll a\nb\nc"):
        assert polls.check_poll_text(text) is None
    assert polls.is_poll_text("/poll") and not polls.is_poll_text("/polls x\na\nb")


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("/poll Lunch?\nPizza", "poll_options"),
        ("/poll Lunch?", "poll_options"),
        ("/poll Q\n" + "\n".join(f"o{i}" for i in range(11)), "poll_options"),
        ("/poll Q\nA\n\nB", "empty_option"),
        ("/poll Q\nA\n  \nB", "empty_option"),
        ("/poll \nA\nB", "empty"),
        ("/poll", "empty"),
        ("/poll Q\nPizza\npizza ", "duplicate_option"),
        ("/poll " + "q" * 301 + "\nA\nB", "too_long"),
        ("/poll Q\nA\n" + "b" * 101, "too_long"),
    ],
)
def test_a_poll_of_a_wrong_shape_is_refused(text: str, code: str) -> None:
    """Too few or many options, an empty or repeated one, a question or option too long: the code."""
    assert refusal(text) == code


def test_ten_options_and_long_enough_texts_are_a_poll() -> None:
    """The bounds themselves are allowed."""
    poll = polls.check_poll_text("/poll " + "q" * 300 + "\n" + "\n".join(f"{i}" * 100 for i in range(10)))
    assert poll is not None and len(poll.options) == 10


def test_vote_and_close_frames_parse_and_refuse() -> None:
    """A vote names an option (on by default); a bad option or on is bad_request; a poll frame's text
    is checked on the socket, JSON or plain."""
    assert changes.parse_frame('{"type":"vote","id":4,"option":1,"ref":"v"}') == polls.VoteFrame(
        4, 1, True, "v"
    )
    assert changes.parse_frame('{"type":"vote","id":4,"option":0,"on":false}') == polls.VoteFrame(4, 0, False)
    assert changes.parse_frame('{"type":"close_poll","id":4}') == polls.ClosePollFrame(4)
    tails = ("}", ',"option":10}', ',"option":true}', ',"option":1,"on":1}')
    for bad in (*('{"type":"vote","id":4' + tail for tail in tails), '{"type":"close_poll"}'):
        with pytest.raises(ProtocolError) as error:
            changes.parse_frame(bad)
        assert error.value.code == "bad_request"
    for bad in ('{"type":"message","message":"/poll Q\\nA"}', "/poll Q\nA"):
        with pytest.raises(ProtocolError) as error:
            changes.parse_frame(bad)
        assert error.value.code == "poll_options"
    vote = changes.parse_frame('{"type":"vote","id":4,"option":2}')
    assert isinstance(vote, polls.VoteFrame)
    request = changes.request_for(vote, "ann", 1, False)
    assert (request.kind, request.option, request.on) == (VOTE, 2, True)


def test_a_poll_frame_shows_who_chose_what() -> None:
    """A poll's user frame carries its question, each option with who chose it, several, closed; a vote
    frame its option."""
    message = StoredMessage(5, "lobby", "ann", LUNCH, 1, votes=((1, "bob"), (0, "ann"), (1, "cid")))
    part = changes.message_frame(message)["poll"]
    assert part == {
        "question": "Lunch?",
        "options": [
            {"text": "Pizza", "nicks": ["ann"]},
            {"text": "Sushi", "nicks": ["bob", "cid"]},
            {"text": "Salad", "nicks": []},
        ],
        "several": False,
        "closed": False,
    }
    assert "poll" not in changes.message_frame(StoredMessage(6, "lobby", "ann", "hi", 1))
    assert changes.quote(LUNCH) == "\N{BAR CHART} Lunch?"
    assert notification_text(message) == "\N{BAR CHART} Lunch?\nPizza · Sushi · Salad"
    vote = StoredChange(7, "lobby", VOTE, 5, "bob", 2, emoji="1", on=True)
    assert changes.change_frame(vote) == {
        "type": "vote", "id": 7, "room": "lobby", "target": 5, "nick": "bob", "option": 1, "on": True,
        "ts": 2,
    }  # fmt: skip


def decided(kind: str, target: TargetState | None, option: int = 0, on: bool = True, **extra: bool) -> bool:
    request = ChangeRequest(kind, 5, "bob", 2, emoji=str(option) if kind == VOTE else "", on=on, **extra)
    return decide(request, target)


def refused_change(kind: str, target: TargetState | None, option: int = 0, **extra: bool) -> str:
    with pytest.raises(ChangeRefusedError) as error:
        decided(kind, target, option, **extra)
    return error.value.code


POLL = TargetState(1, False, LUNCH)


def test_votes_are_decided() -> None:
    """A vote changes unless already there; taking back one not there changes nothing; a second choice
    on a poll of one choice replaces the first (it changes); a closed poll, a missing option, a message
    that is no poll, or none: refused with their codes."""
    assert decided(VOTE, POLL, 1)
    assert not decided(VOTE, TargetState(1, False, LUNCH, voted=(1,)), 1)
    assert decided(VOTE, TargetState(1, False, LUNCH, voted=(0,)), 1)
    assert not decided(VOTE, POLL, 1, on=False)
    assert decided(VOTE, TargetState(1, False, LUNCH, voted=(1,)), 1, on=False)
    assert refused_change(VOTE, POLL, 3) == "no_option"
    assert refused_change(VOTE, TargetState(1, False, LUNCH, poll_closed=True), 0) == "poll_closed"
    assert refused_change(VOTE, TargetState(1, False, "just words"), 0) == "not_a_poll"
    assert refused_change(VOTE, TargetState(1, True, ""), 0) == "no_message"
    assert refused_change(VOTE, None, 0) == "no_message"


def test_a_poll_is_closed_by_its_author_or_a_manager_and_never_edited() -> None:
    """Its author (account 2 here) or whoever deletes anyone's closes it, once; others are refused; an
    edit of a poll, or one that would make a message a poll, is refused."""
    own = TargetState(2, False, LUNCH)
    assert decided(CLOSE_POLL, own)
    assert decided(CLOSE_POLL, POLL, any_author=True)
    assert not decided(CLOSE_POLL, TargetState(2, False, LUNCH, poll_closed=True))
    assert refused_change(CLOSE_POLL, POLL) == "forbidden"
    assert refused_change(CLOSE_POLL, TargetState(2, False, "words")) == "not_a_poll"
    with pytest.raises(ChangeRefusedError) as error:
        decide(ChangeRequest(EDIT, 5, "bob", 2, text="/poll Q\nA\nB"), TargetState(2, False, "words"))
    assert error.value.code == "forbidden"
    with pytest.raises(ChangeRefusedError):
        decide(ChangeRequest(EDIT, 5, "bob", 2, text="words"), own)
