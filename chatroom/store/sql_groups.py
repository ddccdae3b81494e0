"""Groups: AccountStore methods of one statement each (groups_base.py), the same SQL for SQLite and
PostgreSQL; SQLAccounts inherits them and gives ``_rows``, ``_change`` and ``_change_many``."""

from __future__ import annotations

from collections.abc import Sequence

from ..names import nick_key
from .groups_base import Group, GroupNameTakenError, GroupRecord
from .records import PERSON
from .sql_statements import Rows, SQLStatements

# ? : name, key, description, creator, time, the key again. No row when an account or a group holds the key.
CREATE = (
    "INSERT INTO user_groups (name, name_key, description, creator_id, created)"
    " SELECT ?, ?, ?, ?, ? WHERE NOT EXISTS (SELECT 1 FROM accounts WHERE name_key = ?)"
    " ON CONFLICT (name_key) DO NOTHING RETURNING id"
)
# ? : name, key, group, key, key, group. No row when the key is another's, or there is no such group.
RENAME = (
    "UPDATE user_groups SET name = ?, name_key = ? WHERE id = ?"
    " AND NOT EXISTS (SELECT 1 FROM accounts WHERE name_key = ?)"
    " AND NOT EXISTS (SELECT 1 FROM user_groups g WHERE g.name_key = ? AND g.id <> ?) RETURNING id"
)
# ? : the key twice, the group asking (0: none). Who holds the key: an account (0) or a group (1).
HOLDER = (
    "SELECT name, 0 FROM accounts WHERE name_key = ?"
    " UNION ALL SELECT name, 1 FROM user_groups WHERE name_key = ? AND id <> ?"
)
# Read by the account's side (sqlite_accounts.py, pg_accounts.py): a group holding the key.
GROUP_HOLDING = "SELECT name FROM user_groups WHERE name_key = ?"
DESCRIBE = "UPDATE user_groups SET description = ? WHERE id = ? RETURNING id"
DELETE = "DELETE FROM user_groups WHERE id = ? RETURNING id"
# ? : group, time, account. A person's account only; no row when it is in the group already.
ADD_MEMBER = (
    "INSERT INTO group_members (group_id, account_id, added)"
    f" SELECT ?, id, ? FROM accounts WHERE id = ? AND kind = '{PERSON}'"
    " ON CONFLICT (group_id, account_id) DO NOTHING RETURNING account_id"
)
REMOVE_MEMBER = "DELETE FROM group_members WHERE group_id = ? AND account_id = ? RETURNING account_id"
_COLUMNS = "g.id, g.name, g.description, g.creator_id, g.created, a.name"
_FROM = "FROM user_groups g LEFT JOIN accounts a ON a.id = g.creator_id"
NAMED = f"SELECT {_COLUMNS} {_FROM} WHERE g.name_key = ?"
LIST = f"SELECT {_COLUMNS} {_FROM} ORDER BY g.name_key"
# Deactivated accounts stay in their groups (reactivated, they are back) but are neither listed nor told.
_MEMBERS = (
    "SELECT m.group_id, a.name FROM group_members m JOIN accounts a ON a.id = m.account_id"
    " WHERE a.deactivated_at IS NULL"
)
MEMBERS_OF = f"{_MEMBERS} AND m.group_id = ? ORDER BY a.name_key"
ALL_MEMBERS = f"{_MEMBERS} ORDER BY a.name_key"
GROUPS_OF = (
    "SELECT g.name FROM group_members m JOIN user_groups g ON g.id = m.group_id"
    " WHERE m.account_id = ? ORDER BY g.name_key"
)
EXPORT_GROUPS = "SELECT id, name, description, creator_id, created FROM user_groups ORDER BY name_key"
EXPORT_MEMBERS = "SELECT group_id, account_id, added FROM group_members ORDER BY group_id, account_id"
IMPORT_GROUP = (
    "INSERT INTO user_groups (name, name_key, description, creator_id, created) VALUES (?, ?, ?, ?, ?)"
)
IMPORT_MEMBER = (
    "INSERT INTO group_members (group_id, account_id, added)"
    " SELECT id, ?, ? FROM user_groups WHERE name_key = ?"
)


def _int(value: object) -> int:
    assert isinstance(value, int)
    return value


def _group(row: Sequence[object], members: tuple[str, ...] = ()) -> Group:
    group_id, name, description, creator_id, created, creator = row[:6]
    return Group(
        _int(group_id),
        str(name),
        str(description),
        None if creator_id is None else _int(creator_id),
        _int(created),
        None if creator is None else str(creator),
        members,
    )


class SQLGroups(SQLStatements):
    """Named groups of people and their members."""

    async def create_group(self, name: str, description: str, creator_id: int, at: int) -> Group:
        """A new group (no members); GroupNameTakenError when the name's key is held."""
        key = nick_key(name)
        values = (name, key, description, creator_id, at, key)
        rows = await self._change_name("cannot create the group", key, CREATE, *values)
        if not rows:
            await self._refuse_name(name, key, 0)
        return Group(_int(rows[0][0]), name, description, creator_id, at)

    async def rename_group(self, group_id: int, name: str) -> bool:
        """Rename the group; GroupNameTakenError when the key is another's; whether the group exists."""
        key = nick_key(name)
        values = (name, key, group_id, key, key, group_id)
        if await self._change_name("cannot rename the group", key, RENAME, *values):
            return True
        await self._refuse_name(name, key, group_id)
        return False

    async def _change_name(self, failing: str, key: str, statement: str, *params: object) -> Rows:
        """A write that gives a group the name of ``key``: SQLite's one writer needs nothing more;
        PostgreSQL holds the name's lock through it, as an account's creation does (pg_accounts.py)."""
        return await self._change(failing, statement, *params)

    async def _refuse_name(self, name: str, key: str, group_id: int) -> None:
        """GroupNameTakenError naming who holds ``key`` (an account first), if anyone does."""
        for holder, is_group in await self._rows(HOLDER, key, key, group_id):
            raise GroupNameTakenError(name, str(holder), group=bool(is_group))

    async def describe_group(self, group_id: int, description: str) -> bool:
        """Set the group's description; whether it exists."""
        return bool(await self._change("cannot describe the group", DESCRIBE, description, group_id))

    async def delete_group(self, group_id: int) -> bool:
        """Delete the group and its members; whether there was one."""
        return bool(await self._change("cannot delete the group", DELETE, group_id))

    async def add_group_member(self, group_id: int, account_id: int, at: int) -> bool:
        """Put a person's account in the group; whether it was not in it already."""
        return bool(await self._change("cannot add to the group", ADD_MEMBER, group_id, at, account_id))

    async def remove_group_member(self, group_id: int, account_id: int) -> bool:
        """Take the account out of the group; whether it was in it."""
        return bool(await self._change("cannot remove from the group", REMOVE_MEMBER, group_id, account_id))

    async def group_named(self, name: str) -> Group | None:
        """The group whose name has ``name``'s key, with its members, or None."""
        rows = await self._rows(NAMED, nick_key(name))
        if not rows:
            return None
        members = tuple(str(member) for _, member in await self._rows(MEMBERS_OF, rows[0][0]))
        return _group(rows[0], members)

    async def groups(self) -> list[Group]:
        """Every group, with its members, by name."""
        members: dict[int, list[str]] = {}
        for group_id, member in await self._rows(ALL_MEMBERS):
            members.setdefault(_int(group_id), []).append(str(member))
        return [_group(row, tuple(members.get(_int(row[0]), ()))) for row in await self._rows(LIST)]

    async def groups_of(self, account_id: int) -> list[str]:
        """The names of the groups the account is a member of."""
        return [str(name) for (name,) in await self._rows(GROUPS_OF, account_id)]

    async def export_groups(self) -> list[GroupRecord]:
        """Every group with its members' accounts, as the export writes them."""
        members: dict[int, list[tuple[int, int]]] = {}
        for group_id, account_id, added in await self._rows(EXPORT_MEMBERS):
            members.setdefault(_int(group_id), []).append((_int(account_id), _int(added)))
        return [
            GroupRecord(
                str(name),
                str(description),
                None if creator_id is None else _int(creator_id),
                _int(created),
                tuple(members.get(_int(group_id), ())),
            )
            for group_id, name, description, creator_id, created in await self._rows(EXPORT_GROUPS)
        ]

    async def import_groups(self, groups: Sequence[GroupRecord]) -> None:
        """Store exported groups, then their members (by the group's key)."""
        rows = [(g.name, nick_key(g.name), g.description, g.creator_id, g.created) for g in groups]
        await self._change_many("cannot import the groups", IMPORT_GROUP, rows)
        members = [(account, added, nick_key(g.name)) for g in groups for account, added in g.members]
        await self._change_many("cannot import the group members", IMPORT_MEMBER, members)
