"""What happens in a room, as data: stored messages, joins and leaves, typing; and notices between nodes.

Plain values passed between the store, the bus, the hub and the sessions. How
each one looks on the wire is protocol.frame_of's business.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from .change_events import CHANGE_KINDS as CHANGE_KINDS
from .change_events import CLOSE_POLL as CLOSE_POLL
from .change_events import DELETE as DELETE
from .change_events import EDIT as EDIT
from .change_events import PIN as PIN
from .change_events import PREVIEW as PREVIEW
from .change_events import REACTION as REACTION
from .change_events import VOTE as VOTE
from .change_events import StoredChange as StoredChange
from .emoji_frames import EmojiNotice
from .forwarded import Forwarded
from .group_frames import GroupNotice
from .person_events import ReminderNotice as ReminderNotice
from .person_events import SavedNotice as SavedNotice
from .person_events import ScheduledNotice as ScheduledNotice
from .person_events import StarNotice as StarNotice
from .person_events import ThreadNotice as ThreadNotice
from .person_events import ThreadReplyNotice as ThreadReplyNotice


@dataclass(frozen=True, slots=True)
class ReplyQuote:
    """The message a reply answers: its id, author and text (None once it is deleted)."""

    id: int
    nick: str
    text: str | None


@dataclass(frozen=True, slots=True)
class Reaction:
    """One emoji on a message, and who put it there (in the order they did)."""

    emoji: str
    nicks: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Pin:
    """Who pinned a message to its room, and when (ms)."""

    nick: str
    ts: int


@dataclass(frozen=True, slots=True)
class FileInfo:
    """A file attached to a message (or an avatar), as members see it.

    ``id`` is random and url-safe (22 characters); ``name`` the uploader's name for it, cleaned;
    ``size`` the bytes as stored and served (after metadata stripping); ``content_type`` the
    server's own detection; ``width`` and ``height`` an image's; ``thumb`` whether a thumbnail is stored.
    """

    id: str
    name: str
    size: int
    content_type: str
    width: int | None = None
    height: int | None = None
    thumb: bool = False


@dataclass(frozen=True, slots=True)
class ThreadSummary:
    """A thread's replies as its root shows them: how many (not deleted), the last one's id and ts."""

    count: int
    last_id: int
    last_ts: int


@dataclass(frozen=True, slots=True)
class StoredMessage:
    """A chat message once it is durably stored and has its id, in its current state."""

    id: int
    room: str
    nick: str
    text: str
    ts: int
    # Posted through the HTTP API (a bot), not by a member on a socket.
    bot: bool = False
    # Sent by a guest (no account) on a socket, where guests are let in.
    guest: bool = False
    # The author's account (None: a guest's, or stored before authors were kept).
    account_id: int | None = None
    reply_to: ReplyQuote | None = None
    # When it was last edited (ms), None if never.
    edited: int | None = None
    # Deleted: its text is gone (empty), a tombstone stays.
    deleted: bool = False
    reactions: tuple[Reaction, ...] = ()
    # The file it carries (an upload), None for a plain message.
    file: FileInfo | None = None
    # Pinned to its room: by whom and when (None: not pinned; a deleted message never is).
    pinned: Pin | None = None
    # The root of the thread it replies in (None: a message of the main timeline).
    thread: int | None = None
    # A thread reply also sent to the room: shown in its main timeline too.
    broadcast: bool = False
    # A root's replies, read with it (None: none, or not read: a message delivered live has none yet).
    replies: ThreadSummary | None = None
    # A poll's votes as (option, nick), in the order given, and whether it was closed (polls.py).
    votes: tuple[tuple[int, str], ...] = ()
    poll_closed: bool = False
    # Its link previews as they stand (preview_pages.py's stored form): None none yet, "" removed.
    preview: str | None = None
    # The message it forwards, as it was when forwarded (None: not a forward).
    forward: Forwarded | None = None


class Members(list[str]):
    """A room's members' names, each once (a list of names), and which of them are guests (no account)."""

    def __init__(self, names: Iterable[str] = (), guests: Iterable[str] = ()) -> None:
        super().__init__(names)
        # The guests in the order given (a bus may give them in welcome order, sorting them cheaply).
        self.listed_guests = tuple(guests)
        self.guests = frozenset(self.listed_guests)


@dataclass(frozen=True, slots=True)
class PresenceEvent:
    """Someone joined or left a room; ``users`` is the count after the event."""

    event: str
    room: str
    nick: str
    users: int
    ts: int
    # A guest (no account), where guests are let in.
    guest: bool = False


@dataclass(frozen=True, slots=True)
class TypingEvent:
    """Someone in a room is typing (a reply in the thread of ``thread``, when not None)."""

    room: str
    nick: str
    thread: int | None = None


@dataclass(frozen=True, slots=True)
class PresenceBatch:
    """Several joins and leaves of a room, folded: who is in, who is out."""

    room: str
    joined: tuple[str, ...]
    left: tuple[str, ...]
    users: int
    ts: int
    guests: tuple[str, ...] = ()  # those of ``joined`` who are guests


# What takes a room's ids: delivered in id order, recovered with ``since``.
Sequenced = StoredMessage | StoredChange
# What the backend delivers for a room, in order; stored messages and changes in id order.
Event = StoredMessage | StoredChange | PresenceEvent | TypingEvent
# What reaches a room's members: the backend's events, and batches of joins and leaves.
Delivered = Event | PresenceBatch


# Changes a RoomNotice tells of.
ROOM_CREATED = "created"
ROOM_RENAMED = "renamed"
ROOM_ARCHIVED = "archived"
ROOM_UNARCHIVED = "unarchived"
ROOM_MEMBERS = "members"
# Who posts in it changed: everyone, or only those who manage it (records.POSTING_RULES).
ROOM_POSTING = "posting"
# It became a room everyone is in (every person a member: each node's pages learn it from this notice,
# the entry's "everyone_in"), or an ordinary one again.
ROOM_EVERYONE_IN = "everyone_in"
# Its topic was set or cleared, by someone who may post in it (the notice names them: ``by``).
ROOM_TOPIC = "topic"
# Who may mention all of it (``@room``) changed: everyone, or only those who manage it.
ROOM_MENTIONS = "room_mentions"
# An account was barred from it (the notice's ``removed``): taken out as a removed member is, told why;
# the others see its members changed (ROOM_MEMBERS), not who was barred.
ROOM_BARRED = "barred"
ROOM_CHANGES = (
    ROOM_CREATED, ROOM_RENAMED, ROOM_ARCHIVED, ROOM_UNARCHIVED, ROOM_MEMBERS, ROOM_POSTING,
    ROOM_EVERYONE_IN, ROOM_TOPIC, ROOM_BARRED, ROOM_MENTIONS,
)  # fmt: skip
# The changes after which each member in the room is asked again what it may post there.
VOICE_CHANGES = (ROOM_ARCHIVED, ROOM_UNARCHIVED, ROOM_POSTING, ROOM_MENTIONS)

# Changes an AccountNotice tells of.
DEACTIVATED = "deactivated"
SIGNED_OUT = "signed_out"
SIGNED_OUT_EVERYWHERE = "signed_out_everywhere"
# One session ended by its person from another device (api_sessions.py), named by ``session_hash``.
SIGNED_OUT_ELSEWHERE = "signed_out_elsewhere"
# Every session ended by an administrator (api_admin.py): a lost device, a password someone else knows.
SIGNED_OUT_BY_ADMIN = "signed_out_by_admin"
RENAMED = "renamed"
# A new password: every session ended but ``session_hash``'s, whose browser holds a new one.
PASSWORD_CHANGED = "password_changed"
ACCOUNT_CHANGES = (
    DEACTIVATED, SIGNED_OUT, SIGNED_OUT_EVERYWHERE, SIGNED_OUT_ELSEWHERE, SIGNED_OUT_BY_ADMIN, RENAMED,
    PASSWORD_CHANGED,
)  # fmt: skip
# The changes that end one session only, ``session_hash``'s.
ONE_SESSION_CHANGES = (SIGNED_OUT, SIGNED_OUT_ELSEWHERE)


@dataclass(frozen=True, slots=True)
class RoomNotice:
    """A room's record or members changed (stored already): every node tells whom it concerns.

    ``members``: for a closed or direct room, the accounts that may see it
    now (whose room lists must show the change); ``removed``: accounts taken
    out, whose connections to the room are closed at once; ``by``: the name
    of the account that made a change its frame names (ROOM_TOPIC's), else None.
    """

    room: str
    change: str
    members: tuple[int, ...] = ()
    removed: tuple[int, ...] = ()
    by: str | None = None


@dataclass(frozen=True, slots=True)
class AccountNotice:
    """An account changed (stored already): every node acts on its connections.

    ``session_hash`` names the one session signed out, for ONE_SESSION_CHANGES; for
    PASSWORD_CHANGED, the session of the browser where the password was
    changed (ended too, but that browser was given a new one), if any.
    """

    account_id: int
    change: str
    session_hash: bytes | None = None


@dataclass(frozen=True, slots=True)
class GuestNotice:
    """An administrator removed a guest from a room: the node it is connected to closes that
    connection 4403 and bars its address from guest access until ``until`` (ms). That node then
    tells every node the ``address`` (room and nick empty): each closes its guests from there."""

    room: str
    nick_key: str
    until: int
    address: str = ""


@dataclass(frozen=True, slots=True)
class SettingsNotice:
    """An administrator changed the server's settings (stored already): whether guests are let in.

    Turned off, every node closes its guests' connections.
    """

    guests: bool


@dataclass(frozen=True, slots=True)
class UnreadNotice:
    """An account's counts in a room changed (it read the room, or chose how to be told of it):
    every connection of the account, on every node, gets them (an ``unread`` frame)."""

    account_id: int
    room: str
    read_id: int
    unread: int
    mentions: int
    notify: str
    # The person marked the room unread: its position went back, and a lower read_id than one heard of
    # before is news, not an older mark overtaken.
    back: bool = False


@dataclass(frozen=True, slots=True)
class ActivityNotice:
    """Messages were stored in a room, up to ``last_id``: every node tells the connections of the
    room's followers (members; an open room's readers) their new counts."""

    room: str
    last_id: int


@dataclass(frozen=True, slots=True)
class PresenceNotice:
    """An account came to a process (its first connection there) or left it (its last): every node
    asks the bus again whether it is online anywhere, for the direct rooms it is in (peers.py)."""

    account_id: int


@dataclass(frozen=True, slots=True)
class AvatarNotice:
    """The account called ``name`` set or removed its picture (stored already): every node tells the
    connections of accounts (not guests') its new ``avatar`` file id, None when removed."""

    name: str
    avatar: str | None


@dataclass(frozen=True, slots=True)
class BlockNotice:
    """A person (``account_id``, called ``by``) blocked another account (``blocked_id``, called
    ``name``), or unblocked it (stored already): every node tells the blocker's connections (a
    ``block`` frame naming ``name``), and the blocked one's connections to the direct room of the two
    refuse its messages, saying who does not take them, or take them again."""

    account_id: int
    blocked_id: int
    name: str
    blocked: bool
    by: str


@dataclass(frozen=True, slots=True)
class AdminNotice:
    """The account ``account_id``, called ``name``, was made an administrator (``admin``) or no longer
    is one (stored already): every node tells the connections that may look accounts up (an ``admin``
    frame), and closes the account's own connections so that they come back with their new rights."""

    account_id: int
    name: str
    admin: bool


@dataclass(frozen=True, slots=True)
class StatusNotice:
    """The account called ``name`` set its status (``emoji``, ``text``, shown ``until``, ms; None: for good)
    or cleared it (``emoji`` None), stored already: every node tells accounts' connections (a ``status``)."""

    name: str
    emoji: str | None
    text: str = ""
    until: int | None = None


@dataclass(frozen=True, slots=True)
class PauseNotice:
    """The person ``name`` paused notifications until ``until`` (ms), or resumed them (None), stored
    already: every node tells accounts' connections in a ``dnd`` frame (theirs stop sounding)."""

    name: str
    until: int | None


# Told by one node to every node, this one included.
Notice = (
    RoomNotice
    | AccountNotice
    | GuestNotice
    | SettingsNotice
    | UnreadNotice
    | ActivityNotice
    | PresenceNotice
    | AvatarNotice
    | BlockNotice
    | AdminNotice
    | StatusNotice
    | PauseNotice
    | SavedNotice
    | StarNotice
    | EmojiNotice
    | ThreadNotice
    | ThreadReplyNotice
    | ScheduledNotice
    | ReminderNotice
    | GroupNotice
)
