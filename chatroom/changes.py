"""Changes to messages on the wire (version 2): edit, delete, react, pin, vote, reply. Pure: no I/O, no clock.

Client frames ``edit``, ``delete``, ``react``, ``pin``, ``vote`` and ``close_poll`` name a message by
``id``; a ``message`` frame may carry ``reply_to`` and ``thread``. Every stored change goes
out as an ``edit``, ``delete``, ``reaction``, ``pin``, ``vote`` or ``close_poll`` frame with its own id
of the room's sequence, naming its ``target``; a ``user`` frame carries its
message's current state (``edited``, ``deleted``, ``reactions``, ``reply_to``,
``file``, ``pinned``, ``thread``, a poll's ``poll``, and read from the store a root's ``replies``). The
rules of who may change what are the store's (store/change_rules.py), asked
with access.py's answer; docs/protocol.md, "Changes to messages", is the
contract.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from . import polls, protocol
from .events import (
    CLOSE_POLL,
    DELETE,
    EDIT,
    PIN,
    PREVIEW,
    REACTION,
    VOTE,
    Delivered,
    PresenceEvent,
    Sequenced,
    StoredChange,
    StoredMessage,
    TypingEvent,
)
from .formatting import cut, plain_text
from .forward_frames import with_forward
from .identity import Identity
from .preview_pages import sent_form
from .protocol import BAD_REQUEST, MessageFrame, ProtocolError
from .reaction_emoji import clean_emoji as clean_emoji
from .reaction_emoji import reaction_emoji
from .store.change_rules import FORBIDDEN, NO_MESSAGE, ChangeRequest

__all__ = ["FORBIDDEN", "NO_MESSAGE"]

# A reply's quote of its original, in characters.
QUOTE_LENGTH = 100


@dataclass(frozen=True, slots=True)
class EditFrame:
    """Replace the text of one's own message ``target``."""

    KIND: ClassVar[str] = EDIT

    target: int
    text: str
    ref: str | None = None


@dataclass(frozen=True, slots=True)
class DeleteFrame:
    """Delete message ``target`` (one's own; an administrator's any)."""

    KIND: ClassVar[str] = DELETE

    target: int
    ref: str | None = None


@dataclass(frozen=True, slots=True)
class ReactFrame:
    """Put (``on``) or take back one's ``emoji`` on message ``target``."""

    KIND: ClassVar[str] = REACTION

    target: int
    emoji: str
    on: bool
    ref: str | None = None


@dataclass(frozen=True, slots=True)
class PinFrame:
    """Pin (``on``) message ``target`` to its room, or unpin it."""

    KIND: ClassVar[str] = PIN

    target: int
    on: bool
    ref: str | None = None


@dataclass(frozen=True, slots=True)
class RemovePreviewFrame:
    """Remove the link previews of message ``target`` (one's own; a manager's any): for good."""

    KIND: ClassVar[str] = PREVIEW

    target: int
    ref: str | None = None


ChangeFrame = (
    EditFrame
    | DeleteFrame
    | ReactFrame
    | PinFrame
    | polls.VoteFrame
    | polls.ClosePollFrame
    | RemovePreviewFrame
)
ClientFrame = protocol.ClientFrame | ChangeFrame


def parse_frame(data: str, max_length: int = protocol.DEFAULT_MESSAGE_LENGTH) -> ClientFrame:
    """Parse one text frame from a client (every version 2 type included), or raise ProtocolError."""
    if not data.startswith("{"):
        plain = protocol.parse_frame(data, max_length)
        if isinstance(plain, MessageFrame):
            polls.check_poll_text(plain.text)
        return plain
    obj = protocol.load_object(data)
    ref = protocol.read_ref(obj)
    kind = obj.get("type")
    if kind == "edit":
        text = obj.get("message")
        if not isinstance(text, str):
            raise ProtocolError(BAD_REQUEST, '"message" must be a string', ref)
        return EditFrame(message_id(obj, "id", ref), protocol.clean_text(text, max_length, ref), ref)
    if kind == "delete":
        return DeleteFrame(message_id(obj, "id", ref), ref)
    if kind == "react":
        return ReactFrame(
            message_id(obj, "id", ref), reaction_emoji(obj.get("emoji"), ref), _on(obj, ref), ref
        )
    if kind == "pin":
        return PinFrame(message_id(obj, "id", ref), _on(obj, ref), ref)
    if kind in (VOTE, CLOSE_POLL):
        return polls.parse_poll_frame(obj, message_id(obj, "id", ref), ref)
    if kind == "remove_preview":
        return RemovePreviewFrame(message_id(obj, "id", ref), ref)
    frame = protocol.parse_object(obj, ref, max_length)
    if isinstance(frame, MessageFrame):
        polls.check_poll_text(frame.text, ref)
        thread = optional_id(obj, "thread", ref)
        return MessageFrame(
            frame.text, ref, optional_id(obj, "reply_to", ref), thread, broadcast(obj, thread, ref)
        )
    if isinstance(frame, protocol.TypingFrame):
        return protocol.TypingFrame(optional_id(obj, "thread", ref))
    return frame


def broadcast(obj: dict[str, Any], thread: int | None, ref: str | None = None) -> bool:
    """Whether a thread reply is also sent to the room: ``"broadcast": true`` beside a ``thread``."""
    value = obj.get("broadcast", False)
    if not isinstance(value, bool):
        raise ProtocolError(BAD_REQUEST, '"broadcast" must be true or false', ref)
    if value and thread is None:
        raise ProtocolError(
            BAD_REQUEST, '"broadcast" goes with a "thread": a reply also sent to the room', ref
        )
    return value


def request_for(frame: ChangeFrame, nick: str, account_id: int, any_author: bool) -> ChangeRequest:
    """What the store is asked for a change frame of ``nick``'s (``any_author``: access.may_delete_any)."""
    return ChangeRequest(
        frame.KIND,
        frame.target,
        nick,
        account_id,
        any_author=any_author,
        text=frame.text if isinstance(frame, EditFrame) else "",
        emoji=frame.emoji if isinstance(frame, ReactFrame) else _option(frame),
        on=isinstance(frame, ReactFrame | PinFrame | polls.VoteFrame) and frame.on,
    )


def _option(frame: ChangeFrame) -> str:
    """A vote's option as a change keeps it: its index in digits, in the change's ``emoji``."""
    return str(frame.option) if isinstance(frame, polls.VoteFrame) else ""


def _on(obj: dict[str, Any], ref: str | None) -> bool:
    on = obj.get("on")
    if not isinstance(on, bool):
        raise ProtocolError(BAD_REQUEST, '"on" must be true or false', ref)
    return on


def message_id(obj: dict[str, Any], field: str, ref: str | None = None) -> int:
    """The id a frame or body names in ``field``; ProtocolError bad_request unless one from 1 to 2^63-1."""
    value = obj.get(field)
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= protocol.MAX_CLIENT_INT:
        raise ProtocolError(
            BAD_REQUEST, f'"{field}" must be a message id from 1 to {protocol.MAX_CLIENT_INT}', ref
        )
    return value


def optional_id(obj: dict[str, Any], field: str, ref: str | None = None) -> int | None:
    """The id a frame or body names in ``field``, None when absent or null; else as message_id."""
    return None if obj.get(field) is None else message_id(obj, field, ref)


# --- server frames ---------------------------------------------------------


def quote(text: str) -> str:
    """The start of a message as a reply shows it: as read, without its formatting marks; a poll's
    question after 📊."""
    if (poll := polls.read_poll(text)) is not None:
        return cut(f"\N{BAR CHART} {poll.question}", QUOTE_LENGTH)
    return cut(plain_text(text), QUOTE_LENGTH)


def message_frame(message: StoredMessage) -> dict[str, Any]:
    """A stored message's user frame in its current state; unchanged ones look as in version 1."""
    m = message
    frame = protocol.user_frame(m.id, m.room, m.nick, m.text, m.ts, bot=m.bot, guest=m.guest)
    # Kept on a tombstone too: a deleted reply stays in its thread, a deleted root keeps its replies.
    if m.thread is not None:
        frame["thread"] = m.thread
    if m.broadcast:
        frame["broadcast"] = True
    if m.replies is not None:
        r = m.replies
        frame["replies"] = {"count": r.count, "last_id": r.last_id, "last_at": r.last_ts}
    if m.deleted:
        frame["deleted"] = True
        return frame
    if m.edited is not None:
        frame["edited"] = m.edited
    if m.reactions:
        frame["reactions"] = [{"emoji": r.emoji, "nicks": list(r.nicks)} for r in m.reactions]
    if m.reply_to is not None:
        original = m.reply_to
        shown = None if original.text is None else quote(original.text)
        frame["reply_to"] = {"id": original.id, "nick": original.nick, "message": shown}
    if m.file is not None:
        frame["file"] = protocol.file_part(m.file)
    if m.pinned is not None:
        frame["pinned"] = {"nick": m.pinned.nick, "ts": m.pinned.ts}
    # A forwarded copy is never a live poll: a forwarded poll is its question and options as text.
    if m.forward is None and (poll := polls.read_poll(m.text)) is not None:
        frame["poll"] = polls.poll_part(poll, m.votes, m.poll_closed)
    if m.preview and (previews := sent_form(m.preview)):
        frame["previews"] = previews
    return with_forward(frame, m)


def change_frame(change: StoredChange) -> dict[str, Any]:
    """The frame of a stored change: edit, delete, reaction, pin or preview, with its own id."""
    c = change
    frame: dict[str, Any] = {"type": c.kind, "id": c.id, "room": c.room, "target": c.target, "nick": c.nick}
    if c.kind == EDIT:
        frame["message"] = c.text
        protocol.with_format(frame, c.text)
    elif c.kind == REACTION:
        frame.update(emoji=c.emoji, on=c.on)
    elif c.kind == PIN:
        frame["on"] = c.on
    elif c.kind == VOTE:
        frame.update(option=int(c.emoji), on=c.on)
    elif c.kind == PREVIEW:
        frame.update(on=c.on, previews=sent_form(c.text) if c.on else [])
    frame["ts"] = c.ts
    return frame


def frame_of(event: Delivered) -> dict[str, Any]:
    """The frame that carries a room's event to its members (protocol.frame_of, changes included)."""
    if isinstance(event, StoredChange):
        return change_frame(event)
    if isinstance(event, StoredMessage):
        return message_frame(event)
    return protocol.frame_of(event)


def history_frame(
    room: str,
    shown: list[StoredMessage],
    truncated: bool,
    changes: list[StoredChange] | None = None,
    *,
    reader: Identity | None = None,
    ref: str | None = None,
) -> dict[str, Any]:
    """A history frame of messages in their current state; after ``since``, the changes since too.

    For an account's connection (``reader``), its own messages say ``"own": true``: judged by
    account, not by name, and told to that connection alone (a user frame carries no account id).
    The answer to a history request names the request's ``ref``.
    """
    account_id = reader.account_id if reader is not None else None
    frame = protocol.history_frame(room, [_as_read_by(m, account_id) for m in shown], truncated, ref)
    if changes is not None:
        frame["changes"] = [change_frame(c) for c in changes]
    return frame


def joining_history(
    room: str,
    messages: list[StoredMessage],
    found: list[StoredChange] | None,
    limit: int,
    backlog: int,
    reader: Identity | None,
) -> tuple[dict[str, Any], int]:
    """A joining member's history frame (with ``since``, the changes since too, ``found``), and the
    last id it shows: the newest ``limit`` of each that fit in ``backlog`` bytes."""
    shown, truncated = newest_page(messages, limit, backlog)
    replay, cut = replay_page(found, limit, backlog)
    shown_through = max(last_id(shown), last_id(replay or []))
    return history_frame(room, shown, truncated or cut, replay, reader=reader), shown_through


def _as_read_by(message: StoredMessage, account_id: int | None) -> dict[str, Any]:
    frame = message_frame(message)
    if account_id is not None and message.account_id == account_id:
        frame["own"] = True
    return frame


def unchanged_ack(ref: str, target: int) -> dict[str, Any]:
    """The ack of a change that changed nothing (a second "on", the same text): no id was taken."""
    return {"type": "ack", "ref": ref, "id": target, "unchanged": True}


def fit_newest(items: list[Any], budget: int) -> list[Any]:
    """The newest of ``items`` (messages or changes) whose frames fit in ``budget`` bytes."""
    total = 0
    for index in range(len(items) - 1, -1, -1):
        total += len(protocol.encode(frame_of(items[index]))) + 1
        if total > budget:
            return items[index + 1 :]
    return items


def newest_page(messages: list[StoredMessage], limit: int, backlog: int) -> tuple[list[StoredMessage], bool]:
    """The newest ``limit`` of ``messages`` (read one more), and whether older ones were left out.

    A page never takes more than half the member's ``backlog`` bound
    (docs/protocol.md), or a member coming back after a long absence would be
    cut off (1013) by its own replay, again on every reconnect; it pages back
    for the rest.
    """
    fitting = fit_newest(messages[-limit:] if limit else [], backlog // 2)
    return fitting, len(fitting) < len(messages)


def replay_page(
    found: list[StoredChange] | None, limit: int, backlog: int
) -> tuple[list[StoredChange] | None, bool]:
    """The changes a ``since`` replay shows, and whether some were left out.

    Changes are small beside messages: the newest that fit a quarter of the
    member's backlog bound. None when the member gave no ``since``.
    """
    if found is None:
        return None, False
    fitting = fit_newest(found[-limit:], backlog // 4)
    return fitting, len(fitting) < len(found)


def still_news(event: Delivered, shown_through: int, nick_key: str) -> bool:
    """Whether an event should still reach a member catching up: not shown by history, not its own."""
    if isinstance(event, StoredMessage | StoredChange):
        return event.id > shown_through
    if isinstance(event, TypingEvent) or (isinstance(event, PresenceEvent) and event.event == "join"):
        return protocol.nick_key(event.nick) != nick_key
    return True


def last_id(items: list[StoredMessage] | list[StoredChange] | list[Sequenced]) -> int:
    """The id of the last of ``items``, 0 for none."""
    return items[-1].id if items else 0
