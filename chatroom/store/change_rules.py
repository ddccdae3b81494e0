"""Changes to messages as the store takes them: the request, its outcome, and the rules (pure).

Both stores read the target inside the storing transaction, then ask
``decide`` what to do, so the rules are written once: who may change what,
and when a change would change nothing (it then takes no id).
"""

from __future__ import annotations

from dataclasses import dataclass

from ..events import CLOSE_POLL, DELETE, EDIT, PIN, PREVIEW, REACTION, VOTE, StoredChange
from ..polls import NO_OPTION, NOT_A_POLL, POLL_CLOSED, is_poll_text, read_poll
from ..protocol import BAD_REQUEST, FORBIDDEN, NO_MESSAGE, TOO_MANY_PINS, TOO_MANY_REACTIONS
from .accounts_base import RefusedError
from .acts_base import DELETE_MESSAGE, ModerationAct

# The different emoji one message holds: whoever reacts after that adds to one
# of them. Without a bound one member could put thousands of emoji of 64 code
# points on a message, making it too big for any history page to carry.
MAX_EMOJIS = 20
# The messages one room holds pinned: a list everyone reads through, not a second history.
MAX_PINS = 50

__all__ = [
    "FORBIDDEN",
    "MAX_EMOJIS",
    "MAX_PINS",
    "NO_MESSAGE",
    "TOO_MANY_PINS",
    "TOO_MANY_REACTIONS",
    "ChangeRefusedError",
    "ChangeRequest",
    "Changed",
    "TargetState",
    "decide",
    "moderation_act",
]


@dataclass(frozen=True, slots=True)
class ChangeRequest:
    """A change someone asks for: edit, delete, react to or pin message ``target`` of the room.

    ``any_author``: the asker may delete anyone's message (an administrator or the room's owner,
    access.may_delete_any, who may close anyone's poll too); ``recorded``: deleting another's is kept
    in the moderation history (deleting everything of an account keeps one act for all). Who edits,
    reacts, pins or votes is always ``account_id``; ``on`` says whether a reaction, pin or vote is put
    there or taken back; a vote's option is ``emoji``, the option's index in digits (as stored).
    """

    kind: str
    target: int
    nick: str
    account_id: int
    any_author: bool = False
    text: str = ""
    emoji: str = ""
    on: bool = False
    recorded: bool = True
    # For the server's previews: the text whose links they were read from (None: any). A message holding
    # another text by then was edited meanwhile, and the edit's own cards follow it (previews.py).
    read_for: str | None = None

    def __post_init__(self) -> None:
        if self.kind not in (EDIT, DELETE, REACTION, PIN, VOTE, CLOSE_POLL, PREVIEW):
            raise ValueError(f"no such change: {self.kind!r}")

    @property
    def option(self) -> int:
        """A vote's option: its index among the poll's options (-1 for another change)."""
        return int(self.emoji) if self.kind == VOTE else -1


@dataclass(frozen=True, slots=True)
class Changed:
    """A stored change, or None when the request changed nothing (the target is as asked)."""

    target: int
    change: StoredChange | None
    # The file a deletion removed with its message, whose bytes go once it is committed.
    file: str | None = None


class ChangeRefusedError(RefusedError):
    """The change is refused: ``code`` is FORBIDDEN or NO_MESSAGE."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True, slots=True)
class TargetState:
    """What the rules need of the target as stored now."""

    account_id: int | None
    deleted: bool
    text: str
    # For a reaction: whether the asker's reaction with this emoji is there;
    # whether anyone's is; how many different emoji the message holds.
    reacted: bool = False
    emoji_there: bool = False
    emojis: int = 0
    # For a reaction with a custom emoji (``:name:``): whether an emoji of that name exists.
    custom_known: bool = True
    # For a pin: whether the message is pinned; how many messages of its room are.
    pinned: bool = False
    pins: int = 0
    # Who wrote it (the name on it): whom a deletion by someone else is done to.
    author: str = ""
    # For a vote or a close: whether the poll was closed; the options the asker chose.
    poll_closed: bool = False
    voted: tuple[int, ...] = ()
    # Its previews as they stand (messages.preview): None none yet, "" removed.
    preview: str | None = None


def decide(request: ChangeRequest, target: TargetState | None) -> bool:
    """Whether the request changes the target; ChangeRefusedError when it may not be made."""
    if target is None:
        raise ChangeRefusedError(NO_MESSAGE, f"there is no message {request.target} in this room")
    own = target.account_id is not None and target.account_id == request.account_id
    if request.kind == DELETE:
        if not own and not request.any_author:
            raise ChangeRefusedError(FORBIDDEN, "you may only delete your own messages")
        return not target.deleted
    if request.kind == EDIT and not own:
        raise ChangeRefusedError(FORBIDDEN, "you may only edit your own messages")
    if target.deleted:
        raise ChangeRefusedError(NO_MESSAGE, f"message {request.target} was deleted")
    if request.kind in (VOTE, CLOSE_POLL):
        return _poll_changes(request, target, own)
    if request.kind == EDIT:
        if is_poll_text(target.text) or is_poll_text(request.text):
            raise ChangeRefusedError(FORBIDDEN, "a poll is not edited, and an edit makes no poll")
        return request.text != target.text
    if request.kind == PIN:
        return _pin_changes(request, target)
    if request.kind == PREVIEW:
        return _preview_changes(request, target, own)
    if request.on and not target.custom_known:
        raise ChangeRefusedError(BAD_REQUEST, f"there is no custom emoji {request.emoji} on this server")
    if request.on and not target.emoji_there and target.emojis >= MAX_EMOJIS:
        raise ChangeRefusedError(
            TOO_MANY_REACTIONS,
            f"a message holds at most {MAX_EMOJIS} different reactions: add yours to one of them",
        )
    return request.on != target.reacted


def moderation_act(request: ChangeRequest, target: TargetState, room: str, ts: int) -> ModerationAct | None:
    """The act of moderation a change that ``decide`` let through is, if any: a deletion of someone
    else's message (its text is not kept, its room and id are)."""
    own = target.account_id is not None and target.account_id == request.account_id
    if request.kind != DELETE or own or not request.recorded:
        return None
    return ModerationAct(
        DELETE_MESSAGE,
        ts,
        request.nick,
        target.author,
        actor_id=request.account_id,
        subject_id=target.account_id,
        room=room,
        message=request.target,
    )


def _pin_changes(request: ChangeRequest, target: TargetState) -> bool:
    """Whether a pin changes its (not deleted) target: unpinning is always allowed."""
    if request.on and not target.pinned and target.pins >= MAX_PINS:
        raise ChangeRefusedError(
            TOO_MANY_PINS, f"a room holds at most {MAX_PINS} pinned messages: unpin one first"
        )
    return request.on != target.pinned


def _poll_changes(request: ChangeRequest, target: TargetState, own: bool) -> bool:
    """Whether a vote or a close changes its (not deleted) target, which must be an open poll: a vote
    for an option it has; a close by its author or by whoever may delete anyone's message. A vote on
    a poll of one choice for another option replaces the asker's earlier one."""
    poll = read_poll(target.text)
    if poll is None:
        raise ChangeRefusedError(NOT_A_POLL, f"message {request.target} is not a poll")
    if request.kind == CLOSE_POLL:
        if not own and not request.any_author:
            raise ChangeRefusedError(FORBIDDEN, "only the poll's author and the room's managers close it")
        return not target.poll_closed
    if target.poll_closed:
        raise ChangeRefusedError(POLL_CLOSED, "this poll is closed: its result stays as it is")
    if not 0 <= request.option < len(poll.options):
        raise ChangeRefusedError(NO_OPTION, f"this poll has no option {request.option}")
    return request.on != (request.option in target.voted)


def _preview_changes(request: ChangeRequest, target: TargetState, own: bool) -> bool:
    """Whether a preview change changes its (not deleted) target: the server's previews never come
    back over removed ones, nor land on a text other than the one they were read for; removing them
    is its author's or a manager's (``any_author``), once."""
    if request.on:
        read_for_this = request.read_for is None or request.read_for == target.text
        return read_for_this and target.preview != "" and target.preview != request.text
    if not own and not request.any_author:
        raise ChangeRefusedError(FORBIDDEN, "you may only remove the previews of your own messages")
    return target.preview != ""


def reply_refusal(reply_to: int) -> ChangeRefusedError:
    """A reply to a message the room does not have."""
    return ChangeRefusedError(NO_MESSAGE, f"there is no message {reply_to} in this room to reply to")


# The refusal of a scheduled message whose row was sent, deleted or edited meanwhile (scheduled_base.py).
GONE = "gone"


def gone_refusal() -> ChangeRefusedError:
    """What storing a scheduled message answers when its row (of that version) is no longer there."""
    return ChangeRefusedError(GONE, "the scheduled message was sent, changed or deleted meanwhile")
