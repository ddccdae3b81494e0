"""Polls (pure): what makes a message a poll, the rules of its question and options, and its frame part.

A poll is a message whose text is written in the poll form (as Zulip's
``/poll``): a first line ``/poll QUESTION`` (``/poll+ QUESTION`` where one may
choose several options), then one option a line. The text is the poll: it is
stored, searched, exported and shown to a client that knows no polls as any
message's; a user frame of a poll also carries its ``poll`` part, read from the
text and from the votes stored for it. docs/protocol.md, "Polls", is the contract.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from .events import CLOSE_POLL, VOTE
from .protocol import BAD_REQUEST, EMPTY, TOO_LONG, ProtocolError

# A poll's first line starts with one of these, then a space and the question.
SINGLE = "/poll"
SEVERAL = "/poll+"
MIN_OPTIONS = 2
MAX_OPTIONS = 10
MAX_QUESTION_LENGTH = 300
MAX_OPTION_LENGTH = 100

# Refusals of a poll's shape, and of a vote.
POLL_OPTIONS = "poll_options"
EMPTY_OPTION = "empty_option"
DUPLICATE_OPTION = "duplicate_option"
NO_OPTION = "no_option"
POLL_CLOSED = "poll_closed"
NOT_A_POLL = "not_a_poll"


@dataclass(frozen=True, slots=True)
class Poll:
    """A poll as its text gives it: the question, the options in order, whether several may be chosen."""

    question: str
    options: tuple[str, ...]
    several: bool


def is_poll_text(text: str) -> bool:
    """Whether a message's text is in the poll form (its first word ``/poll`` or ``/poll+``)."""
    first = text.split("\n", 1)[0]
    word = first.split(None, 1)[0] if first.strip() else ""
    return word in (SINGLE, SEVERAL)


def read_poll(text: str) -> Poll | None:
    """The poll a message's text is, None when it is not in the poll form (a shape the rules refuse
    is never stored: check_poll_text refused it)."""
    if not is_poll_text(text):
        return None
    first, *rest = text.split("\n")
    word, _, question = first.strip().partition(" ")
    return Poll(question.strip(), tuple(line.strip() for line in rest), word == SEVERAL)


def check_poll_text(text: str, ref: str | None = None) -> Poll | None:
    """The poll a message's (clean) text is, None for another message; ProtocolError when its shape is
    refused: a question empty or too long, fewer or more options than allowed, one empty, too long or
    given twice."""
    poll = read_poll(text)
    if poll is None:
        return None
    if not poll.question:
        raise ProtocolError(EMPTY, "a poll needs a question after /poll", ref)
    if len(poll.question) > MAX_QUESTION_LENGTH:
        raise ProtocolError(TOO_LONG, f"a poll's question has at most {MAX_QUESTION_LENGTH} characters", ref)
    if not MIN_OPTIONS <= len(poll.options) <= MAX_OPTIONS:
        raise ProtocolError(
            POLL_OPTIONS, f"a poll has {MIN_OPTIONS} to {MAX_OPTIONS} options, one a line", ref
        )
    seen: set[str] = set()
    for option in poll.options:
        _check_option(option, seen, ref)
    return poll


def _check_option(option: str, seen: set[str], ref: str | None) -> None:
    if not option:
        raise ProtocolError(EMPTY_OPTION, "a poll's option may not be empty", ref)
    if len(option) > MAX_OPTION_LENGTH:
        raise ProtocolError(TOO_LONG, f"a poll's option has at most {MAX_OPTION_LENGTH} characters", ref)
    if option.casefold() in seen:
        raise ProtocolError(DUPLICATE_OPTION, f"the option {option!r} is given twice", ref)
    seen.add(option.casefold())


def poll_text(question: str, options: Sequence[str], several: bool = False) -> str:
    """The text of a poll (the form read_poll reads): what a client sends to make one."""
    return "\n".join([f"{SEVERAL if several else SINGLE} {question.strip()}", *(o.strip() for o in options)])


def poll_summary(text: str) -> str | None:
    """How a notification tells of a poll: "📊 the question", its options on a line after it; None
    for a message that is no poll."""
    poll = read_poll(text)
    return None if poll is None else f"\N{BAR CHART} {poll.question}\n" + " · ".join(poll.options)


def poll_part(poll: Poll, votes: Sequence[tuple[int, str]], closed: bool) -> dict[str, Any]:
    """A user frame's ``poll``: the question, each option with who chose it, several or one, closed."""
    voters: list[list[str]] = [[] for _ in poll.options]
    for option, nick in votes:
        if 0 <= option < len(voters):
            voters[option].append(nick)
    return {
        "question": poll.question,
        "options": [{"text": text, "nicks": nicks} for text, nicks in zip(poll.options, voters, strict=True)],
        "several": poll.several,
        "closed": closed,
    }


@dataclass(frozen=True, slots=True)
class VoteFrame:
    """Choose (``on``) option ``option`` of poll ``target``, or take that choice back."""

    KIND: ClassVar[str] = VOTE

    target: int
    option: int
    on: bool
    ref: str | None = None


@dataclass(frozen=True, slots=True)
class ClosePollFrame:
    """Close poll ``target``: no more votes, its result stays."""

    KIND: ClassVar[str] = CLOSE_POLL

    target: int
    ref: str | None = None


def parse_poll_frame(obj: dict[str, Any], target: int, ref: str | None) -> VoteFrame | ClosePollFrame:
    """A ``vote`` or ``close_poll`` frame naming poll ``target``; ProtocolError bad_request when a vote's
    ``option`` is no index or its ``on`` no boolean."""
    if obj.get("type") == CLOSE_POLL:
        return ClosePollFrame(target, ref)
    option, on = obj.get("option"), obj.get("on", True)
    if not isinstance(option, int) or isinstance(option, bool) or not 0 <= option < MAX_OPTIONS:
        raise ProtocolError(BAD_REQUEST, f'"option" must be an option\'s index, 0 to {MAX_OPTIONS - 1}', ref)
    if not isinstance(on, bool):
        raise ProtocolError(BAD_REQUEST, '"on" must be true or false', ref)
    return VoteFrame(target, option, on, ref)
