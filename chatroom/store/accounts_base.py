"""The AccountStore contract: accounts, sessions, bot keys, links, rooms with access (rooms_base.py), secrets.

Every store has one, as ``store.accounts``. The rules each implementation
keeps (tests/test_account_store.py holds SQLite and PostgreSQL to them, with
two stores sharing one database where it matters):

- Names are unique up to look-alikes: two account names clash when their keys
  (names.nick_key: case, width and confusable characters folded) match, and
  two room names when their room_key does; the later one is refused with
  NameTakenError or RoomTakenError, also when two nodes try at once.
- Secrets are never stored in the clear: sessions, bot keys and links are
  looked up by the SHA-256 of their token (chatroom/tokens.py), passwords by
  their argon2 hash (chatroom/passwords.py).
- A session or a bot key of a deactivated account opens nothing; neither does
  a revoked or expired one.
- A one-time link (setup, reset) is consumed once: of two nodes consuming it
  at the same moment, one gets it and the other None.
- ``get_or_create_secret`` gives every node the same value: the first one
  stored wins.
- Nothing is deleted: accounts are deactivated, sessions, keys and links
  revoked, rooms archived; a membership, a Web Push subscription (a
  device's, worth nothing once its push service refuses it) and a lifted
  block are removed.
- Methods that take ``now`` (milliseconds) use the clock when it is None.

Failures of the database raise StoreError, as everywhere in the store.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol

from .acts_base import ActStore
from .bars_base import BarStore
from .emoji_base import EmojiStore
from .everyone_base import EveryoneStore
from .groups_base import GroupStore
from .previews_base import PreviewStore
from .reading_base import ReadingStore
from .records import (
    Account,
    Block,
    BotKey,
    BotWebhook,
    FormerName,
    Link,
    Membership,
    PushSubscription,
    RoomRecord,
)
from .reminders_base import ReminderStore
from .rooms_base import RoomStore
from .saved_base import SavedStore
from .scheduled_base import ScheduledStore
from .sessions_base import SessionStore
from .stars_base import StarStore
from .status_base import StatusStore
from .thread_follows_base import ThreadFollowStore


class RefusedError(Exception):
    """The store will not do this, whenever asked (unlike StoreError, retrying will not help)."""


class NameTakenError(RefusedError):
    """The account name, or a look-alike of it, belongs to another account."""

    def __init__(self, name: str, holder: str) -> None:
        super().__init__(
            f"the name {name!r} is taken" if name == holder else f"the name {name!r} is too like {holder!r}"
        )
        self.name = name
        self.holder = holder


class FormerNameError(NameTakenError):
    """The name, or a look-alike of it, is one another account was renamed from.

    Its holder goes unnamed: who was once called so is the renamed person's to tell.
    """

    def __init__(self, name: str) -> None:
        RefusedError.__init__(self, f"the name {name!r} was another account's: its messages bear it")
        self.name = name
        self.holder = name


class RoomTakenError(RefusedError):
    """The room, or one whose name looks like it, exists already."""

    def __init__(self, room: str, holder: str) -> None:
        # The holder goes unnamed: it may be a closed room, whose name the asker may not learn.
        super().__init__(
            f"the room {room!r} exists"
            if room == holder
            else f"the room {room!r} is too like an existing room's name"
        )
        self.room = room
        self.holder = holder


class UnknownAccountError(RefusedError):
    """An account named by its id does not exist."""

    def __init__(self, account_id: int) -> None:
        super().__init__(f"there is no account {account_id}")
        self.account_id = account_id


class AccountStore(
    SessionStore,
    RoomStore,
    BarStore,
    ReadingStore,
    EveryoneStore,
    ActStore,
    SavedStore,
    StarStore,
    StatusStore,
    ScheduledStore,
    ReminderStore,
    ThreadFollowStore,
    EmojiStore,
    PreviewStore,
    GroupStore,
    Protocol,
):
    """What the server needs to know who is who, and who may see what.

    With it, where each person is signed in (sessions_base.SessionStore), what each account has read
    (reading_base.ReadingStore), rooms everyone is in (everyone_base), the moderation history
    (acts_base), the messages each person saved (saved_base), the rooms each person starred
    (stars_base), statuses and paused notifications (status_base), the messages each person scheduled
    (scheduled_base), the reminders each person set (reminders_base), the threads each person follows
    (thread_follows_base), custom emoji (emoji_base), link previews' cards and pictures (previews_base).
    """

    # --- accounts ------------------------------------------------------------

    async def create_account(
        self,
        name: str,
        kind: str,
        *,
        is_admin: bool = False,
        password_hash: str | None = None,
        external: bool = False,
    ) -> Account:
        """A new account, its colour picked from its name.

        ``name`` is normalised (names.normalize_nick; BadNameError). Raises
        NameTakenError when the name or a look-alike belongs to another account,
        FormerNameError when another account was renamed from it.
        """
        ...

    async def account_by_id(self, account_id: int) -> Account | None:
        """The account with that id, deactivated or not."""
        ...

    async def account_by_name(self, name: str) -> Account | None:
        """The account whose name has the same key as ``name`` (``ALICE`` finds ``alice``)."""
        ...

    async def name_is_held(self, name: str) -> bool:
        """Whether an account has a name with the key of ``name`` now, or was renamed from one.

        What a guest may not call itself. A name that is not valid is held by nobody.
        """
        ...

    async def former_names_of(self, account_id: int) -> list[str]:
        """The names the account was renamed from and has not taken back, by key."""
        ...

    async def import_former_names(self, names: Sequence[FormerName]) -> None:
        """Store former names with their accounts' ids (an import; the accounts are stored)."""
        ...

    async def count_accounts(self) -> int:
        """How many accounts there are, deactivated ones and bots included (0: the first run)."""
        ...

    async def list_accounts(self, *, after_id: int = 0, limit: int = 100) -> list[Account]:
        """Up to ``limit`` accounts with an id above ``after_id``, in id order."""
        ...

    async def active_accounts_named(self, prefix: str, *, limit: int = 10) -> list[Account]:
        """Up to ``limit`` active accounts (people and bots) whose name starts like ``prefix``,
        compared as names clash (names.nick_key: ``AL`` and ``аl`` find ``alice``), by key.

        An empty prefix finds the first by name; one that is not a valid name finds nobody.
        """
        ...

    async def set_password_hash(self, account_id: int, password_hash: str | None) -> bool:
        """Store a new password hash; whether the account exists."""
        ...

    async def rename_account(self, account_id: int, name: str) -> Account | None:
        """Give the account a new name (normalised; BadNameError); None when there is no such account.

        Raises NameTakenError when another account holds the name or a look-alike,
        FormerNameError when another account was renamed from it. The name it had
        stays the account's (former_names_of), as the messages written under it do.
        """
        ...

    async def set_admin(self, account_id: int, is_admin: bool) -> bool:
        """Make the account an administrator or not; whether it exists."""
        ...

    async def deactivate_account(self, account_id: int) -> bool:
        """Deactivate the account and revoke every session of it; whether it exists.

        Its bot keys stop working while it is deactivated and work again once
        it is reactivated; its sessions do not come back.
        """
        ...

    async def reactivate_account(self, account_id: int) -> bool:
        """Let a deactivated account in again; whether it exists."""
        ...

    # --- bot keys --------------------------------------------------------------

    async def create_bot_key(self, account_id: int, key_hash: bytes) -> None:
        """Record a new API key of a bot."""
        ...

    async def bot_key_account(self, key_hash: bytes) -> Account | None:
        """The bot that holds this key; None when the key is unknown, revoked or the bot deactivated."""
        ...

    async def bot_keys_of(self, account_id: int) -> list[BotKey]:
        """Every key of the bot, revoked ones too, oldest first."""
        ...

    async def revoke_bot_key(self, key_hash: bytes) -> bool:
        """Revoke one key; whether it was in force."""
        ...

    async def revoke_bot_keys_of(self, account_id: int) -> int:
        """Revoke every key of the bot; how many were in force."""
        ...

    # --- links -------------------------------------------------------------------

    async def create_link(
        self, kind: str, token_hash: bytes, *, account_id: int | None = None, expires_at: int | None = None
    ) -> Link:
        """Record a new setup, join or reset link."""
        ...

    async def consume_link(self, token_hash: bytes, kind: str, *, now: int | None = None) -> Link | None:
        """The link of that kind if it is usable, consuming it if it is one-time; else None.

        Atomic: a one-time link is given to one caller only, across every node.
        """
        ...

    async def revoke_link(self, token_hash: bytes) -> bool:
        """Revoke one link; whether it was not revoked already."""
        ...

    async def revoke_links(self, kind: str, *, account_id: int | None = None) -> int:
        """Revoke every link of that kind (and that account, when given) not revoked yet; how many."""
        ...

    async def active_links(self, kind: str | None = None, *, now: int | None = None) -> list[Link]:
        """The links still usable at ``now``, of one kind or all, oldest first."""
        ...

    # --- shared secrets -----------------------------------------------------------

    async def get_or_create_secret(self, name: str, generate: Callable[[], str]) -> str:
        """The secret called ``name``; made with ``generate`` and stored if there is none.

        Atomic across nodes: whoever stores first, every node gets the same value.
        """
        ...

    # --- bots' webhooks and barred guests' addresses -----------------------------------

    async def set_webhook(self, account_id: int, url: str | None) -> bool:
        """Set (None: clear) a bot's webhook address; whether the bot exists (or, clearing, had one)."""
        ...

    async def webhook_of(self, account_id: int) -> str | None:
        """The bot's webhook address, if it has one."""
        ...

    async def webhooks(self, *, after_id: int = 0, limit: int = 500) -> list[BotWebhook]:
        """A page of the bots' webhooks, in account id order."""
        ...

    async def bar_guest(self, address: str, until: int) -> int:
        """Bar guest access from ``address`` until ``until`` (ms), or longer if already barred longer;
        the bar's end. Every node reads it: a removed guest is barred wherever it reconnects."""
        ...

    async def guest_barred_until(self, address: str, *, now: int | None = None) -> int | None:
        """When the bar on guest access from ``address`` ends; None when it is not barred."""
        ...

    async def lift_guest_bar(self, address: str) -> bool:
        """End the bar on ``address`` now; whether there was one."""
        ...

    # --- server settings ---------------------------------------------------------------

    async def server_setting(self, name: str) -> str | None:
        """The value an administrator stored for the setting ``name``; None when never set."""
        ...

    async def set_server_setting(self, name: str, value: str) -> None:
        """Store ``value`` for the setting ``name``, replacing what was there (every node reads it)."""
        ...

    # --- Web Push -----------------------------------------------------------------------

    async def save_push_subscription(
        self, account_id: int, endpoint: str, p256dh: str, auth: str, *, created_at: int | None = None
    ) -> PushSubscription:
        """Keep a device's subscription for the account. One per device: an endpoint posted
        again replaces what it had (its keys, and its account when another person signed in there).
        ``created_at`` is now unless given (an import keeps the exported time)."""
        ...

    async def remove_push_subscription(self, endpoint: str, *, account_id: int | None = None) -> bool:
        """Forget the subscription at ``endpoint`` (when ``account_id`` is given, only if it is that
        account's); whether there was one."""
        ...

    async def push_subscriptions_of(self, account_id: int) -> list[PushSubscription]:
        """The subscriptions of the account's devices, oldest first."""
        ...

    async def push_enabled(self, account_id: int) -> bool:
        """Whether the person wants Web Push at all: true until they turn it off."""
        ...

    async def set_push_enabled(self, account_id: int, enabled: bool) -> None:
        """The person's switch for Web Push on every device of theirs."""
        ...

    # --- blocks -------------------------------------------------------------------------

    async def block(self, account_id: int, blocked_id: int, *, created_at: int | None = None) -> bool:
        """``account_id`` blocks ``blocked_id``; whether it had not already (blocking again keeps the
        first time). ``created_at`` is now unless given (an import keeps the exported time)."""
        ...

    async def unblock(self, account_id: int, blocked_id: int) -> bool:
        """``account_id`` no longer blocks ``blocked_id``; whether it did."""
        ...

    async def blocks_of(self, account_id: int) -> list[Block]:
        """Whom the account blocked, the earliest block first."""
        ...

    async def blockers_of(self, account_id: int) -> set[int]:
        """The ids of the accounts that blocked this one."""
        ...

    # --- export and import -----------------------------------------------------------

    async def import_accounts(self, accounts: Sequence[Account], bot_keys: Sequence[BotKey]) -> None:
        """Store accounts with their own ids (new accounts get ids above them) and bot keys, at once.

        Refuses (StoreError) an id or a name key the database already has.
        """
        ...

    async def import_webhooks(self, webhooks: Sequence[BotWebhook]) -> None:
        """Store the webhooks of bots already imported."""
        ...

    async def import_rooms(self, rooms: Sequence[RoomRecord], memberships: Sequence[Membership]) -> None:
        """Store the rooms' records (a room that exists takes the record's kind and settings)
        and memberships, at once. A record's ``last_id`` is left to the messages imported."""
        ...
