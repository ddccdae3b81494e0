"""SQLiteAccounts: the AccountStore of a SQLiteStore (chatroom/store/accounts_base.py has the rules).

Writes run on the store's writer thread, each in one ``BEGIN IMMEDIATE``
transaction (sqlite_sql.transaction): SQLite's write lock is held from its
start, so a check and the write it allows cannot be split by another process
sharing the file (two nodes consuming one link, or creating look-alike
rooms). Reads run on the store's reader pool.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Awaitable, Callable, Sequence
from typing import Protocol, TypeVar

from ..clock import now_ms
from ..names import nick_key
from . import account_sql as sql
from . import everyone_sql
from .accounts_base import FormerNameError, NameTakenError, RoomTakenError, UnknownAccountError
from .records import MEMBER, OWNER, PERSON, Account, BotKey, Membership, RoomRecord
from .sql_accounts import SQLAccounts
from .sql_groups import GROUP_HOLDING
from .sql_statements import Rows
from .sqlite_sql import transaction

T = TypeVar("T")


class Reader(Protocol):
    """Runs a query on a reader connection, off the event loop."""

    def __call__(self, query: Callable[[sqlite3.Connection], T], /) -> Awaitable[T]: ...


class Writer(Protocol):
    """Runs work on the writer's connection, off the loop; StoreError saying ``failing`` when it fails."""

    def __call__(self, work: Callable[[sqlite3.Connection], T], failing: str, /) -> Awaitable[T]: ...


def _one(conn: sqlite3.Connection, statement: str, params: Sequence[object]) -> Rows:
    """The rows of one statement, in a transaction of its own."""
    with transaction(conn):
        return conn.execute(statement, params).fetchall()


def _many(conn: sqlite3.Connection, statement: str, rows: Sequence[Sequence[object]]) -> None:
    """One statement for every row, in one transaction (one sync)."""
    with transaction(conn):
        conn.executemany(statement, rows)


class SQLiteAccounts(SQLAccounts):
    """Accounts, sessions, bot keys, links, rooms with access and secrets in the SQLite file."""

    def __init__(self, read: Reader, write: Writer) -> None:
        self._read = read
        self._write = write

    async def _rows(self, statement: str, *params: object) -> Rows:
        return await self._read(lambda conn: conn.execute(statement, params).fetchall())

    async def _change(self, failing: str, statement: str, *params: object) -> Rows:
        return await self._write(lambda conn: _one(conn, statement, params), failing)

    async def _change_many(self, failing: str, statement: str, rows: Sequence[Sequence[object]]) -> None:
        await self._write(lambda conn: _many(conn, statement, rows), failing)

    async def _insert_account(self, values: tuple[object, ...]) -> Account:
        return await self._write(lambda conn: _create_account(conn, values), "cannot create the account")

    async def _rename(self, account_id: int, name: str) -> Account | None:
        return await self._write(lambda conn: _rename_account(conn, account_id, name), "cannot rename")

    async def _deactivate(self, account_id: int, at: int) -> bool:
        return await self._write(lambda conn: _deactivate(conn, account_id, at), "cannot deactivate")

    async def _insert_room(
        self, values: tuple[object, ...], creator_id: int | None, others: list[int]
    ) -> RoomRecord:
        return await self._write(
            lambda conn: _create_room(conn, values, creator_id, others), "cannot create the room"
        )

    async def set_everyone_in(self, room: str, everyone_in: bool) -> RoomRecord | None:
        """Make the open room one everyone is in (each person a member, in the same transaction), or not."""
        return await self._write(
            lambda conn: _set_everyone_in(conn, room, everyone_in, now_ms()),
            "cannot change who is in the room",
        )

    async def _store_secret(self, name: str, value: str) -> str:
        return await self._write(lambda conn: _secret(conn, name, value), "cannot store the secret")

    async def _store_accounts(self, accounts: Sequence[Account], bot_keys: Sequence[BotKey]) -> None:
        await self._write(lambda conn: _import_accounts(conn, accounts, bot_keys), "cannot import accounts")

    async def _store_rooms(self, rooms: Sequence[RoomRecord], memberships: Sequence[Membership]) -> None:
        await self._write(lambda conn: _import_rooms(conn, rooms, memberships), "cannot import rooms")


# --- transactions on the writer's connection ------------------------------------------


def _create_account(conn: sqlite3.Connection, values: tuple[object, ...]) -> Account:
    with transaction(conn):
        row = conn.execute(sql.INSERT_ACCOUNT, values).fetchone()
        if row is None:
            holder = conn.execute(sql.NAME_HOLDER, (values[1],)).fetchone()
            raise NameTakenError(str(values[0]), str(holder[1]))
        account = sql.account(row)
        if conn.execute(sql.FORMER_NAME_HOLDER, (account.name_key,)).fetchone() is not None:
            raise FormerNameError(account.name)
        group = conn.execute(GROUP_HOLDING, (account.name_key,)).fetchone()
        if group is not None:
            raise NameTakenError(account.name, str(group[0]))
        if account.kind == PERSON:
            conn.execute(everyone_sql.START_READING_ROOMS_FOR_EVERYONE, (account.id,))
            conn.execute(everyone_sql.JOIN_ROOMS_FOR_EVERYONE, (account.id, account.created_at))
    return account


def _rename_account(conn: sqlite3.Connection, account_id: int, name: str) -> Account | None:
    with transaction(conn):
        key = nick_key(name)
        holder = conn.execute(sql.NAME_HOLDER, (key,)).fetchone()
        if holder is not None and holder[0] != account_id:
            raise NameTakenError(name, str(holder[1]))
        group = conn.execute(GROUP_HOLDING, (key,)).fetchone()
        if group is not None:
            raise NameTakenError(name, str(group[0]))
        former = conn.execute(sql.FORMER_NAME_HOLDER, (key,)).fetchone()
        if former is not None and former[0] != account_id:
            raise FormerNameError(name)
        conn.execute(sql.KEEP_FORMER_NAME, (account_id,))
        conn.execute(sql.TAKE_BACK_FORMER_NAME, (key, account_id))
        row = conn.execute(sql.RENAME_ACCOUNT, (name, key, account_id)).fetchone()
    return None if row is None else sql.account(row)


def _deactivate(conn: sqlite3.Connection, account_id: int, now: int) -> bool:
    with transaction(conn):
        found = conn.execute(sql.DEACTIVATE, (now, account_id)).fetchall()
        conn.execute(sql.REVOKE_SESSIONS_OF, (now, account_id)).fetchall()
    return bool(found)


def _create_room(
    conn: sqlite3.Connection, values: tuple[object, ...], creator_id: int | None, others: list[int]
) -> RoomRecord:
    room, key, now = str(values[0]), str(values[1]), values[-1]
    with transaction(conn):
        holder = conn.execute(sql.ROOM_HOLDING_KEY, (key,)).fetchone()
        if holder is not None:
            raise RoomTakenError(room, str(holder[0]))
        row = conn.execute(sql.INSERT_ROOM, values).fetchone()
        joining = [(creator_id, OWNER)] if creator_id is not None else []
        for account_id, role in [*joining, *((other, MEMBER) for other in others)]:
            added = conn.execute(sql.ADD_MEMBER, (room, account_id, role, now, room, account_id)).fetchone()
            if added is None:
                raise UnknownAccountError(account_id)
    return sql.room(row)


def _set_everyone_in(conn: sqlite3.Connection, room: str, everyone_in: bool, now: int) -> RoomRecord | None:
    # The writer runs one transaction at a time: no account is created between the two statements.
    with transaction(conn):
        row = conn.execute(everyone_sql.SET_EVERYONE_IN, (everyone_in, room)).fetchone()
        if row is not None and everyone_in:
            conn.execute(everyone_sql.START_READING_FOR_EVERYONE, (room,))
            conn.execute(everyone_sql.ADD_EVERYONE, (room, now, room))
    return None if row is None else sql.room(row)


def _secret(conn: sqlite3.Connection, name: str, value: str) -> str:
    with transaction(conn):
        conn.execute(sql.INSERT_SECRET, (name, value))
        return str(conn.execute(sql.SECRET, (name,)).fetchone()[0])


def _import_accounts(
    conn: sqlite3.Connection, accounts: Sequence[Account], bot_keys: Sequence[BotKey]
) -> None:
    with transaction(conn):
        conn.executemany(
            sql.IMPORT_ACCOUNT_COLUMNS + sql.IMPORT_ACCOUNT_VALUES, [sql.account_values(a) for a in accounts]
        )
        conn.executemany(
            sql.INSERT_BOT_KEY, [(k.key_hash, k.account_id, k.created_at, k.revoked_at) for k in bot_keys]
        )


def _import_rooms(
    conn: sqlite3.Connection, rooms: Sequence[RoomRecord], memberships: Sequence[Membership]
) -> None:
    with transaction(conn):
        conn.executemany(
            sql.IMPORT_ROOM,
            [sql.import_room_values(r) for r in rooms],
        )
        conn.executemany(
            sql.IMPORT_MEMBERSHIP, [(m.room, m.account_id, m.role, m.added_at) for m in memberships]
        )
