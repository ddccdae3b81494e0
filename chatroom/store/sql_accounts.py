"""SQLAccounts: the AccountStore methods that are one statement of account_sql in either dialect.

SQLiteAccounts and PostgresAccounts build on it, each giving it a way to read
(``_rows``) and to write in a transaction (``_change``), and adding the
methods whose atomicity each dialect keeps its own way.
"""

from __future__ import annotations

import abc
from collections.abc import Callable, Sequence

from ..backend import prefix_end
from ..clock import now_ms
from ..names import BadNameError, nick_key, normalize_nick
from . import account_sql as sql
from .records import (
    EVERYONE,
    ONE_TIME_LINKS,
    Account,
    BotKey,
    FormerName,
    Link,
    Membership,
    RoomRecord,
)
from .sql_acts import SQLActs
from .sql_bars import SQLBars
from .sql_blocks import SQLBlocks
from .sql_emoji import SQLEmoji
from .sql_groups import SQLGroups
from .sql_moderation import SQLModeration
from .sql_previews import SQLPreviews
from .sql_push import SQLPush
from .sql_reading import SQLReading
from .sql_reminders import SQLReminders
from .sql_rooms import SQLRooms
from .sql_saved import SQLSaved
from .sql_scheduled import SQLScheduled
from .sql_sessions import SQLSessions
from .sql_stars import SQLStars
from .sql_status import SQLStatus
from .sql_thread_follows import SQLThreadFollows


class SQLAccounts(
    SQLSessions,
    SQLRooms,
    SQLBars,
    SQLModeration,
    SQLReading,
    SQLPush,
    SQLBlocks,
    SQLActs,
    SQLSaved,
    SQLStars,
    SQLStatus,
    SQLScheduled,
    SQLReminders,
    SQLThreadFollows,
    SQLEmoji,
    SQLPreviews,
    SQLGroups,
):
    """Reads and single-statement writes of accounts, sessions, bot keys and links (rooms: SQLRooms).

    Each dialect's subclass says how a statement runs: ``_rows``, ``_change`` and ``_change_many``.
    """

    # --- the transactions each dialect runs its own way ------------------------------

    @abc.abstractmethod
    async def _insert_account(self, values: tuple[object, ...]) -> Account:
        """Insert an account (sql.new_account's values); NameTakenError when the name is held."""

    @abc.abstractmethod
    async def _rename(self, account_id: int, name: str) -> Account | None:
        """Rename an account; NameTakenError when another holds the name or a look-alike."""

    @abc.abstractmethod
    async def _deactivate(self, account_id: int, at: int) -> bool:
        """Deactivate the account and revoke its sessions, in one transaction."""

    @abc.abstractmethod
    async def _insert_room(
        self, values: tuple[object, ...], creator_id: int | None, others: list[int]
    ) -> RoomRecord:
        """Insert a room (sql.new_room's values) with its owner and members; RoomTakenError."""

    @abc.abstractmethod
    async def _store_secret(self, name: str, value: str) -> str:
        """Store ``value`` unless the secret exists; the secret that won."""

    @abc.abstractmethod
    async def _store_accounts(self, accounts: Sequence[Account], bot_keys: Sequence[BotKey]) -> None:
        """Insert accounts with their ids, and bot keys, in one transaction."""

    @abc.abstractmethod
    async def _store_rooms(self, rooms: Sequence[RoomRecord], memberships: Sequence[Membership]) -> None:
        """Insert room records and memberships in one transaction."""

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
        """A new account; NameTakenError when the name or a look-alike is another's."""
        return await self._insert_account(
            sql.new_account(name, kind, is_admin, password_hash, external, now_ms())
        )

    async def rename_account(self, account_id: int, name: str) -> Account | None:
        """Give the account a new name; NameTakenError when another holds it or a look-alike."""
        return await self._rename(account_id, normalize_nick(name))

    async def deactivate_account(self, account_id: int) -> bool:
        """Deactivate the account and end its sessions, at once."""
        return await self._deactivate(account_id, now_ms())

    async def create_room(
        self,
        room: str,
        kind: str,
        *,
        title: str | None = None,
        creator_id: int | None = None,
        members: Sequence[int] = (),
        posting: str = EVERYONE,
    ) -> RoomRecord:
        """Create a room with its owner and members; RoomTakenError when it or a look-alike exists."""
        values, others = sql.new_room(room, kind, title, creator_id, members, now_ms(), posting)
        return await self._insert_room(values, creator_id, others)

    async def get_or_create_secret(self, name: str, generate: Callable[[], str]) -> str:
        """The secret, stored first by whichever process or node asked first."""
        rows = await self._rows(sql.SECRET, name)
        if rows:
            return str(rows[0][0])
        return await self._store_secret(name, generate())

    async def import_accounts(self, accounts: Sequence[Account], bot_keys: Sequence[BotKey]) -> None:
        """Store accounts with their ids, and bot keys, in one transaction."""
        await self._store_accounts(accounts, bot_keys)

    async def import_rooms(self, rooms: Sequence[RoomRecord], memberships: Sequence[Membership]) -> None:
        """Store room records and memberships in one transaction."""
        await self._store_rooms(rooms, memberships)

    # --- accounts ------------------------------------------------------------

    async def account_by_id(self, account_id: int) -> Account | None:
        """The account with that id."""
        rows = await self._rows(sql.ACCOUNT_BY_ID, account_id)
        return sql.account(rows[0]) if rows else None

    async def account_by_name(self, name: str) -> Account | None:
        """The account whose name has the same key as ``name``."""
        try:
            key = nick_key(normalize_nick(name))
        except BadNameError:
            return None
        rows = await self._rows(sql.ACCOUNT_BY_KEY, key)
        return sql.account(rows[0]) if rows else None

    async def name_is_held(self, name: str) -> bool:
        """Whether an account has the name's key, or was renamed from a name with it."""
        try:
            key = nick_key(normalize_nick(name))
        except BadNameError:
            return False
        return bool((await self._rows(sql.NAME_IS_HELD, key, key))[0][0])

    async def former_names_of(self, account_id: int) -> list[str]:
        """The names the account was renamed from."""
        return [str(row[0]) for row in await self._rows(sql.FORMER_NAMES_OF, account_id)]

    async def import_former_names(self, names: Sequence[FormerName]) -> None:
        """Store imported former names."""
        rows = [(nick_key(former.name), former.account_id, former.name) for former in names]
        await self._change_many("cannot import former names", sql.INSERT_FORMER_NAME, rows)

    async def count_accounts(self) -> int:
        """How many accounts there are."""
        count = (await self._rows(sql.COUNT_ACCOUNTS))[0][0]
        assert isinstance(count, int)
        return count

    async def list_accounts(self, *, after_id: int = 0, limit: int = 100) -> list[Account]:
        """A page of accounts in id order."""
        return [sql.account(row) for row in await self._rows(sql.LIST_ACCOUNTS, after_id, limit)]

    async def active_accounts_named(self, prefix: str, *, limit: int = 10) -> list[Account]:
        """Up to ``limit`` active accounts whose name's key starts with the key of ``prefix`` (empty:
        the first by name)."""
        try:
            key = nick_key(normalize_nick(prefix)) if prefix.strip() else ""
        except BadNameError:
            return []
        end = prefix_end(key)
        return [
            sql.account(row) for row in await self._rows(sql.ACTIVE_ACCOUNTS_BY_KEY, key, end, end, limit)
        ]

    async def set_password_hash(self, account_id: int, password_hash: str | None) -> bool:
        """Store a new password hash."""
        return bool(
            await self._change("cannot set the password", sql.SET_PASSWORD_HASH, password_hash, account_id)
        )

    async def set_admin(self, account_id: int, is_admin: bool) -> bool:
        """Make the account an administrator or not."""
        return bool(await self._change("cannot change the account", sql.SET_ADMIN, is_admin, account_id))

    async def reactivate_account(self, account_id: int) -> bool:
        """Let the account in again."""
        return bool(await self._change("cannot reactivate", sql.REACTIVATE, account_id))

    # --- bot keys --------------------------------------------------------------

    async def create_bot_key(self, account_id: int, key_hash: bytes) -> None:
        """Record a new key of a bot."""
        await self._change("cannot create the key", sql.INSERT_BOT_KEY, key_hash, account_id, now_ms(), None)

    async def bot_key_account(self, key_hash: bytes) -> Account | None:
        """The active bot holding an unrevoked key."""
        rows = await self._rows(sql.BOT_KEY_ACCOUNT, key_hash)
        return sql.account(rows[0]) if rows else None

    async def bot_keys_of(self, account_id: int) -> list[BotKey]:
        """Every key of the bot."""
        return [sql.bot_key(row) for row in await self._rows(sql.BOT_KEYS_OF, account_id)]

    async def revoke_bot_key(self, key_hash: bytes) -> bool:
        """Revoke one key."""
        return bool(await self._change("cannot revoke the key", sql.REVOKE_BOT_KEY, now_ms(), key_hash))

    async def revoke_bot_keys_of(self, account_id: int) -> int:
        """Revoke every key of the bot."""
        return len(await self._change("cannot revoke the keys", sql.REVOKE_BOT_KEYS_OF, now_ms(), account_id))

    # --- links -------------------------------------------------------------------

    async def create_link(
        self, kind: str, token_hash: bytes, *, account_id: int | None = None, expires_at: int | None = None
    ) -> Link:
        """Record a new link."""
        rows = await self._change(
            "cannot create the link", sql.INSERT_LINK, token_hash, kind, account_id, now_ms(), expires_at
        )
        return sql.link(rows[0])

    async def consume_link(self, token_hash: bytes, kind: str, *, now: int | None = None) -> Link | None:
        """The usable link, consumed if one-time."""
        now = now_ms() if now is None else now
        if kind in ONE_TIME_LINKS:
            rows = await self._change("cannot use the link", sql.CONSUME_LINK, now, token_hash, kind, now)
        else:
            rows = await self._rows(sql.FIND_LINK, token_hash, kind, now)
        return sql.link(rows[0]) if rows else None

    async def revoke_link(self, token_hash: bytes) -> bool:
        """Revoke one link."""
        return bool(await self._change("cannot revoke the link", sql.REVOKE_LINK, now_ms(), token_hash))

    async def revoke_links(self, kind: str, *, account_id: int | None = None) -> int:
        """Revoke the links of a kind (and account)."""
        if account_id is None:
            rows = await self._change("cannot revoke the links", sql.REVOKE_LINKS, now_ms(), kind)
        else:
            rows = await self._change(
                "cannot revoke the links", sql.REVOKE_LINKS_OF, now_ms(), kind, account_id
            )
        return len(rows)

    async def active_links(self, kind: str | None = None, *, now: int | None = None) -> list[Link]:
        """The links still usable."""
        now = now_ms() if now is None else now
        if kind is None:
            rows = await self._rows(sql.ACTIVE_LINKS, now)
        else:
            rows = await self._rows(sql.ACTIVE_LINKS_OF_KIND, now, kind)
        return [sql.link(row) for row in rows]
