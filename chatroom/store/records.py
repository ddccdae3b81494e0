"""What the store keeps about people, bots, rooms and access: plain records, no I/O.

Times are milliseconds since 1970, like message times; ``None`` for a time
means "not (yet)": never deactivated, never revoked, never expires. Secrets
are never here in the clear: sessions, bot keys and links are known by the
SHA-256 of their token (chatroom/tokens.py), passwords by their argon2 hash,
which ``repr`` leaves out.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass, field

# Account kinds.
PERSON = "person"
BOT = "bot"
ACCOUNT_KINDS = (PERSON, BOT)

# Room kinds: every account can see and join an open room; a closed room only
# its members; a direct room is a conversation of two or more accounts.
OPEN = "open"
CLOSED = "closed"
DIRECT = "direct"
ROOM_KINDS = (OPEN, CLOSED, DIRECT)
# The stored secret that names direct rooms (``dm-`` and an HMAC of their members' ids), so
# that the same people always meet in the same room: kept by an export with the rooms it names.
DIRECT_ROOM_SECRET = "direct_room_key"


def new_direct_room_key() -> str:
    """A new secret for DIRECT_ROOM_SECRET: 256 random bits, in hex."""
    return secrets.token_hex(32)


# Who posts in an open or closed room (its ``posting``): everyone who may, or only those who
# manage it (its owner and administrators), the others reading and reacting: an announcements room.
EVERYONE = "everyone"
MANAGERS = "managers"
POSTING_RULES = (EVERYONE, MANAGERS)

# Roles in a room.
MEMBER = "member"
OWNER = "owner"
ROLES = (MEMBER, OWNER)

# Links: setup (the first administrator), join (anyone with it may create an
# account, until revoked), reset (a new password for one account).
SETUP = "setup"
JOIN = "join"
RESET = "reset"
LINK_KINDS = (SETUP, JOIN, RESET)
# Consumed by their first use; a join link serves many people.
ONE_TIME_LINKS = frozenset({SETUP, RESET})

MINUTE_MS = 60_000
DAY_MS = 24 * 60 * MINUTE_MS
# A session that is not used for this long ends.
SESSION_IDLE_MS = 30 * DAY_MS
# A session's last use is written at most this often, not on every request.
SESSION_TOUCH_MS = MINUTE_MS

# Avatar backgrounds: each has a contrast of at least 5:1 with white initials
# (WCAG AA asks 4.5:1), in light and dark themes alike.
AVATAR_COLORS = (
    "#b71c1c",
    "#ad1457",
    "#6a1b9a",
    "#4527a0",
    "#283593",
    "#1565c0",
    "#00695c",
    "#2e7d32",
    "#5d4037",
    "#37474f",
    "#a0450b",
    "#7b5e00",
)


def avatar_color(name_key: str) -> str:
    """The colour an account gets at creation, from its name's key: stable, spread over the palette."""
    digest = hashlib.sha256(name_key.encode("utf-8", "surrogatepass")).digest()
    return AVATAR_COLORS[int.from_bytes(digest[:4], "big") % len(AVATAR_COLORS)]


@dataclass(frozen=True, slots=True)
class Account:
    """A person or a bot: one name (unique up to look-alikes, see names.nick_key), one id for good."""

    id: int
    name: str
    name_key: str
    kind: str
    is_admin: bool
    # Created on first sight of a JWT's ``sub``: it has no password of its own.
    external: bool
    password_hash: str | None = field(repr=False)
    color: str
    created_at: int
    deactivated_at: int | None = None

    @property
    def active(self) -> bool:
        """Whether it may sign in, connect and post."""
        return self.deactivated_at is None

    @property
    def is_bot(self) -> bool:
        """Whether this is a bot account (it posts with a key, never signs in)."""
        return self.kind == BOT


@dataclass(frozen=True, slots=True)
class Session:
    """A signed-in browser, known by the hash of its session id."""

    id_hash: bytes
    account_id: int
    created_at: int
    last_seen_at: int
    revoked_at: int | None = None


@dataclass(frozen=True, slots=True)
class BotKey:
    """A bot's API key, known by its hash."""

    key_hash: bytes
    account_id: int
    created_at: int
    revoked_at: int | None = None


@dataclass(frozen=True, slots=True)
class ServerSetting:
    """A setting an administrator stored (guest access, say): its name and value."""

    name: str
    value: str


@dataclass(frozen=True, slots=True)
class FormerName:
    """A name an account was renamed from: it stays the account's (schema step 26)."""

    account_id: int
    name: str


@dataclass(frozen=True, slots=True)
class BotWebhook:
    """The address a bot's webhook is called at (a direct message to the bot)."""

    account_id: int
    url: str


@dataclass(frozen=True, slots=True)
class PushSubscription:
    """One device's Web Push subscription: where to send, and the keys to encrypt for it (RFC 8291).

    ``p256dh`` and ``auth`` are the browser's, base64url as the browser gives them. The
    endpoint is a capability too (whoever knows it may try to push): ``repr`` leaves all three out.
    """

    endpoint: str = field(repr=False)
    account_id: int
    p256dh: str = field(repr=False)
    auth: str = field(repr=False)
    created_at: int = 0


@dataclass(frozen=True, slots=True)
class Block:
    """A person blocked another account: nothing the blocked one writes reaches them (docs/security.md)."""

    account_id: int
    blocked_id: int
    created_at: int = 0


@dataclass(frozen=True, slots=True)
class SavedMessage:
    """A person saved a message to come back to it: theirs alone to see (docs/security.md)."""

    account_id: int
    room: str
    message_id: int
    saved_at: int


@dataclass(frozen=True, slots=True)
class RoomStar:
    """A person starred a room, to keep it at the top of their rooms list: theirs alone to see."""

    account_id: int
    room: str
    starred_at: int


@dataclass(frozen=True, slots=True)
class Link:
    """A setup, join or reset link, known by the hash of its token."""

    token_hash: bytes
    kind: str
    # The account a reset link is for; None for setup and join links.
    account_id: int | None
    created_at: int
    expires_at: int | None = None
    used_at: int | None = None
    revoked_at: int | None = None

    def usable(self, now: int) -> bool:
        """Whether the link still works at ``now`` (not expired, revoked or, if one-time, used)."""
        return (
            self.revoked_at is None
            and (self.expires_at is None or self.expires_at > now)
            and (self.used_at is None or self.kind not in ONE_TIME_LINKS)
        )


@dataclass(frozen=True, slots=True)
class RoomRecord:
    """A room's durable record: its kind and settings beside its id sequence.

    ``room`` is the stable identifier used in URLs and frames; ``title``, when
    set, is what people see, so a rename changes only the title. A room that
    came into being by being written to (version 1, guests) is open and has no
    creator or creation time.
    """

    room: str
    kind: str = OPEN
    title: str | None = None
    creator_id: int | None = None
    created_at: int | None = None
    archived_at: int | None = None
    last_id: int = 0
    # EVERYONE, or MANAGERS: only its owner and administrators post (access.may_post).
    posting: str = EVERYONE
    # An open room every person account is in: made a member when it is turned on, or when created.
    everyone_in: bool = False
    # What the room is for, one line set by anyone who may post in it (access.may_set_topic); "": none.
    topic: str = ""
    # Who may mention the whole room (``@room``): EVERYONE, or MANAGERS (access.may_mention_room).
    room_mentions: str = EVERYONE

    @property
    def display_name(self) -> str:
        """The title, or the room's name when it has none."""
        return self.title or self.room


@dataclass(frozen=True, slots=True)
class Membership:
    """An account's place in a room."""

    room: str
    account_id: int
    role: str
    added_at: int


@dataclass(frozen=True, slots=True)
class RoomBar:
    """An account kept out of an open or closed room by its owner or an administrator, until lifted."""

    room: str
    account_id: int
    # Who barred it (None once unknown: an import of a bar whose barrer is gone).
    by_id: int | None
    barred_at: int


@dataclass(frozen=True, slots=True)
class ThreadFollow:
    """A person's place in one thread (its root ``root_id``): whether they follow it, the newest reply
    they have read (``read_id``, 0: none), and (read with a person's list) the newest reply in it, its id
    and time (ms)."""

    account_id: int
    room: str
    root_id: int
    following: bool
    read_id: int
    last_reply_id: int | None = None
    last_reply_at: int | None = None


@dataclass(frozen=True, slots=True)
class ScheduledMessage:
    """A message a person wrote to be sent later, at ``at`` (ms): theirs alone to see until it is sent.

    ``failure`` is why it was not sent at its time (None: it waits); ``version``
    grows with every edit (store/scheduled_base.py).
    """

    id: int
    account_id: int
    room: str
    text: str
    at: int
    created_at: int
    reply_to: int | None = None
    thread: int | None = None
    broadcast: bool = False
    version: int = 1
    failure: str | None = None


@dataclass(frozen=True, slots=True)
class ScheduledClaim:
    """A scheduled message being sent: stored only if its row still has this version, which the storing
    transaction deletes (store/scheduled_base.py)."""

    id: int
    version: int


@dataclass(frozen=True, slots=True)
class Reminder:
    """A person's ask to be reminded of message ``message_id`` of ``room`` at ``at`` (ms).

    ``due``: it fell due and its person was told; it stays until they are done
    with it. ``version`` grows with every snooze (store/reminders_base.py).
    """

    id: int
    account_id: int
    room: str
    message_id: int
    at: int
    created_at: int
    version: int = 1
    due: bool = False
