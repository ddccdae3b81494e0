"""PostgresAccounts: the AccountStore of a PostgresStore (chatroom/store/accounts_base.py has the rules).

The SQL is account_sql's, with ``%s`` placeholders. What must hold across
nodes holds in the database: a name is taken by ``ON CONFLICT (name_key) DO
NOTHING`` (a concurrent insert of the same key is waited for, then loses),
a one-time link is consumed by one UPDATE whose condition is checked again
on the row once a concurrent consumer commits (READ COMMITTED), a room's
look-alike check and its creation run under an advisory lock on its
look-alike key, an account's or a group's name is written under one on its
key (each asks the other's table, and would miss a row written at the same
moment on another node), and a secret is read by a statement of its own after its
``INSERT ... ON CONFLICT DO NOTHING``, so that it sees whichever node won.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Protocol, TypeVar

import psycopg
from psycopg.rows import TupleRow

from ..clock import now_ms
from ..names import nick_key
from . import account_sql as sql
from . import everyone_sql
from .accounts_base import FormerNameError, NameTakenError, RoomTakenError, UnknownAccountError
from .pg_qmark import all_rows, pg
from .records import MEMBER, OWNER, PERSON, Account, BotKey, Membership, RoomRecord
from .sql_accounts import SQLAccounts
from .sql_groups import GROUP_HOLDING

Connection = psycopg.AsyncConnection[TupleRow]
T = TypeVar("T")
Rows = list[TupleRow]

# The advisory lock class under which rooms are created, one lock per look-alike key.
ROOM_LOCK_CLASS = int.from_bytes(b"room", "big")
# The class under which accounts and groups take a name, one lock per name's key.
NAME_LOCK_CLASS = int.from_bytes(b"name", "big")
# The advisory lock class of a write under a cap, one lock per thing counted (the emoji, a
# person's saved messages...): two nodes adding at once count each other's.
COUNTED_LOCK_CLASS = int.from_bytes(b"cap", "big")


class Runner(Protocol):
    """Runs work on a pooled connection within the store's timeout; StoreError saying ``failing``."""

    def __call__(self, work: Callable[[Connection], Awaitable[T]], failing: str, /) -> Awaitable[T]: ...


async def _first(conn: Connection, statement: str, params: Sequence[Any]) -> TupleRow | None:
    return await (await conn.execute(pg(statement), params)).fetchone()


async def _many(conn: Connection, statement: str, rows: Sequence[Sequence[Any]]) -> None:
    async with conn.transaction(), conn.cursor() as cursor:
        await cursor.executemany(pg(statement), rows)


class PostgresAccounts(SQLAccounts):
    """Accounts, sessions, bot keys, links, rooms with access and secrets in PostgreSQL."""

    def __init__(self, run: Runner) -> None:
        self._run = run

    async def _rows(self, statement: str, *params: object) -> Rows:
        return await self._run(lambda conn: all_rows(conn, statement, params), "cannot read the store")

    async def _change(self, failing: str, statement: str, *params: object) -> Rows:
        return await self._run(lambda conn: all_rows(conn, statement, params), failing)

    async def _change_many(self, failing: str, statement: str, rows: Sequence[Sequence[object]]) -> None:
        await self._run(lambda conn: _many(conn, statement, rows), failing)

    async def _change_name(self, failing: str, key: str, statement: str, *params: object) -> Rows:
        return await self._run(lambda conn: _named(conn, key, statement, params), failing)

    async def _change_counted(self, failing: str, counted: str, statement: str, *params: object) -> Rows:
        return await self._run(lambda conn: _counted(conn, counted, statement, params), failing)

    async def _insert_account(self, values: tuple[object, ...]) -> Account:
        return await self._run(lambda conn: _create_account(conn, values), "cannot create the account")

    async def _rename(self, account_id: int, name: str) -> Account | None:
        return await self._run(lambda conn: _rename_account(conn, account_id, name), "cannot rename")

    async def _deactivate(self, account_id: int, at: int) -> bool:
        return await self._run(lambda conn: _deactivate(conn, account_id, at), "cannot deactivate")

    async def _insert_room(
        self, values: tuple[object, ...], creator_id: int | None, others: list[int]
    ) -> RoomRecord:
        return await self._run(
            lambda conn: _create_room(conn, values, creator_id, others), "cannot create the room"
        )

    async def set_everyone_in(self, room: str, everyone_in: bool) -> RoomRecord | None:
        """Make the open room one everyone is in (each person a member, in the same transaction), or not."""
        return await self._run(
            lambda conn: _set_everyone_in(conn, room, everyone_in, now_ms()),
            "cannot change who is in the room",
        )

    async def _store_secret(self, name: str, value: str) -> str:
        return await self._run(lambda conn: _secret(conn, name, value), "cannot store the secret")

    async def _store_accounts(self, accounts: Sequence[Account], bot_keys: Sequence[BotKey]) -> None:
        await self._run(lambda conn: _import_accounts(conn, accounts, bot_keys), "cannot import accounts")

    async def _store_rooms(self, rooms: Sequence[RoomRecord], memberships: Sequence[Membership]) -> None:
        await self._run(lambda conn: _import_rooms(conn, rooms, memberships), "cannot import rooms")


# --- work on one connection ---------------------------------------------------------


async def _lock_name(conn: Connection, key: str) -> None:
    """Hold the name's lock until the transaction ends: who writes the same key next sees this one."""
    await conn.execute("SELECT pg_advisory_xact_lock(%s, hashtext(%s))", (NAME_LOCK_CLASS, key))


async def _named(conn: Connection, key: str, statement: str, params: Sequence[object]) -> Rows:
    async with conn.transaction():
        await _lock_name(conn, key)
        return await all_rows(conn, statement, params)


async def _counted(conn: Connection, counted: str, statement: str, params: Sequence[object]) -> Rows:
    async with conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock(%s, hashtext(%s))", (COUNTED_LOCK_CLASS, counted))
        return await all_rows(conn, statement, params)


async def _create_account(conn: Connection, values: tuple[object, ...]) -> Account:
    async with conn.transaction():
        await _lock_name(conn, str(values[1]))
        row = await _first(conn, sql.INSERT_ACCOUNT, values)
        if row is not None:
            account = sql.account(row)
            # Asked after the insert: a rename away from this name that the insert waited for
            # has committed by now, and this statement sees the name it left behind.
            if await _first(conn, sql.FORMER_NAME_HOLDER, (account.name_key,)) is not None:
                raise FormerNameError(account.name)
            group = await _first(conn, GROUP_HOLDING, (account.name_key,))
            if group is not None:
                raise NameTakenError(account.name, str(group[0]))
            # A statement of its own, after the insert: it sees a room turned on meanwhile
            # (everyone_sql.HOLD_NEW_ACCOUNTS held the insert back until that commit).
            if account.kind == PERSON:
                await conn.execute(pg(everyone_sql.START_READING_ROOMS_FOR_EVERYONE), (account.id,))
                await conn.execute(pg(everyone_sql.JOIN_ROOMS_FOR_EVERYONE), (account.id, account.created_at))
            return account
    holder = await _first(conn, sql.NAME_HOLDER, (values[1],))
    raise NameTakenError(str(values[0]), str(holder[1]) if holder else str(values[0]))


async def _set_everyone_in(conn: Connection, room: str, everyone_in: bool, now: int) -> RoomRecord | None:
    async with conn.transaction():
        if everyone_in:
            await conn.execute(everyone_sql.HOLD_NEW_ACCOUNTS)
        row = await _first(conn, everyone_sql.SET_EVERYONE_IN, (everyone_in, room))
        if row is not None and everyone_in:
            await conn.execute(pg(everyone_sql.START_READING_FOR_EVERYONE), (room,))
            await conn.execute(pg(everyone_sql.ADD_EVERYONE), (room, now, room))
    return None if row is None else sql.room(row)


async def _rename_account(conn: Connection, account_id: int, name: str) -> Account | None:
    key = nick_key(name)
    try:
        async with conn.transaction():
            await _lock_name(conn, key)
            holder = await _first(conn, sql.NAME_HOLDER, (key,))
            if holder is not None and holder[0] != account_id:
                raise NameTakenError(name, str(holder[1]))
            group = await _first(conn, GROUP_HOLDING, (key,))
            if group is not None:
                raise NameTakenError(name, str(group[0]))
            await conn.execute(pg(sql.KEEP_FORMER_NAME), (account_id,))
            await conn.execute(pg(sql.TAKE_BACK_FORMER_NAME), (key, account_id))
            row = await _first(conn, sql.RENAME_ACCOUNT, (name, key, account_id))
            # Asked after the update, as _create_account asks after its insert.
            former = await _first(conn, sql.FORMER_NAME_HOLDER, (key,))
            if former is not None and former[0] != account_id:
                raise FormerNameError(name)
    except psycopg.errors.UniqueViolation:
        # Another node gave the name to another account after the check.
        raise NameTakenError(name, name) from None
    return None if row is None else sql.account(row)


async def _deactivate(conn: Connection, account_id: int, now: int) -> bool:
    async with conn.transaction():
        found = await all_rows(conn, sql.DEACTIVATE, (now, account_id))
        await conn.execute(pg(sql.REVOKE_SESSIONS_OF), (now, account_id))
    return bool(found)


async def _create_room(
    conn: Connection, values: tuple[object, ...], creator_id: int | None, others: list[int]
) -> RoomRecord:
    room, key, now = str(values[0]), str(values[1]), values[-1]
    async with conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock(%s, hashtext(%s))", (ROOM_LOCK_CLASS, key))
        holder = await _first(conn, sql.ROOM_HOLDING_KEY, (key,))
        if holder is not None:
            raise RoomTakenError(room, str(holder[0]))
        row = await _first(conn, sql.INSERT_ROOM, values)
        joining = [(creator_id, OWNER)] if creator_id is not None else []
        for account_id, role in [*joining, *((other, MEMBER) for other in others)]:
            if await _first(conn, sql.ADD_MEMBER, (room, account_id, role, now, room, account_id)) is None:
                raise UnknownAccountError(account_id)
    assert row is not None
    return sql.room(row)


async def _secret(conn: Connection, name: str, value: str) -> str:
    # Two statements, in autocommit: the SELECT's snapshot is taken after the
    # INSERT ended, so it sees a row another node committed meanwhile.
    await conn.execute(pg(sql.INSERT_SECRET), (name, value))
    row = await _first(conn, sql.SECRET, (name,))
    assert row is not None
    return str(row[0])


async def _import_accounts(conn: Connection, accounts: Sequence[Account], bot_keys: Sequence[BotKey]) -> None:
    statement = sql.IMPORT_ACCOUNT_COLUMNS + " OVERRIDING SYSTEM VALUE" + sql.IMPORT_ACCOUNT_VALUES
    async with conn.transaction(), conn.cursor() as cursor:
        if accounts:
            await cursor.executemany(pg(statement), [sql.account_values(a) for a in accounts])
            # New accounts take ids above the imported ones.
            await cursor.execute(
                "SELECT setval(pg_get_serial_sequence('accounts', 'id'), (SELECT max(id) FROM accounts))"
            )
        if bot_keys:
            await cursor.executemany(
                pg(sql.INSERT_BOT_KEY),
                [(k.key_hash, k.account_id, k.created_at, k.revoked_at) for k in bot_keys],
            )


async def _import_rooms(
    conn: Connection, rooms: Sequence[RoomRecord], memberships: Sequence[Membership]
) -> None:
    async with conn.transaction(), conn.cursor() as cursor:
        if rooms:
            await cursor.executemany(
                pg(sql.IMPORT_ROOM),
                [sql.import_room_values(r) for r in rooms],
            )
        if memberships:
            await cursor.executemany(
                pg(sql.IMPORT_MEMBERSHIP), [(m.room, m.account_id, m.role, m.added_at) for m in memberships]
            )
