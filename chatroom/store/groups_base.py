"""The groups part of the AccountStore contract: named groups of people, mentioned as one.

Part of every AccountStore (``store.accounts``). The rules each
implementation keeps (tests/test_group_store.py holds SQLite and PostgreSQL
to them):

- Groups and accounts share one namespace, compared by key (names.nick_key:
  without case, look-alikes alike): a group is not created nor renamed to a
  key an account or another group holds (GroupNameTakenError, naming the
  holder), and an account is not created nor renamed to a group's key
  (accounts_base.NameTakenError, naming the group). Each side asks in the statement, or the
  transaction, that writes the name.
- A member is a person's account; adding one twice, or removing one who is
  not a member, changes nothing. Deleting a group takes its members with it.
- A group's members are listed by name, in the order of their keys.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol


class GroupNameTakenError(Exception):
    """An account or another group holds the name, or a look-alike of it (``holder``, as it is written)."""

    def __init__(self, name: str, holder: str, *, group: bool) -> None:
        whose = "a group's" if group else "an account's"
        same = name.casefold() == holder.casefold()
        super().__init__(
            f"@{name} is {whose} name" if same else f"@{name} is too like {whose} name @{holder}"
        )
        self.name = name
        self.holder = holder


@dataclass(frozen=True, slots=True)
class Group:
    """A group: its ``name``, ``description`` ("" for none), who created it (``creator_id``; ``creator``
    their name now, None when that account is gone), when (``created``, ms), and its members' names
    (``members``, when read with them)."""

    id: int
    name: str
    description: str
    creator_id: int | None
    created: int
    creator: str | None = None
    members: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class GroupRecord:
    """A group as exported: its name, description, creator's account, time, and its members' accounts
    with when each was added."""

    name: str
    description: str
    creator_id: int | None
    created: int
    members: tuple[tuple[int, int], ...] = ()


class GroupStore(Protocol):
    """Groups: created, renamed, described, deleted, their members added and removed, read."""

    async def create_group(self, name: str, description: str, creator_id: int, at: int) -> Group:
        """A new group (no members); GroupNameTakenError when the name's key is held."""
        ...

    async def rename_group(self, group_id: int, name: str) -> bool:
        """Rename the group; GroupNameTakenError when the key is another's; whether the group exists."""
        ...

    async def describe_group(self, group_id: int, description: str) -> bool:
        """Set the group's description; whether it exists."""
        ...

    async def delete_group(self, group_id: int) -> bool:
        """Delete the group and its members; whether there was one."""
        ...

    async def add_group_member(self, group_id: int, account_id: int, at: int) -> bool:
        """Put a person's account in the group; whether it was not in it already."""
        ...

    async def remove_group_member(self, group_id: int, account_id: int) -> bool:
        """Take the account out of the group; whether it was in it."""
        ...

    async def group_named(self, name: str) -> Group | None:
        """The group whose name has ``name``'s key, with its members, or None."""
        ...

    async def groups(self) -> list[Group]:
        """Every group, with its members, by name."""
        ...

    async def groups_of(self, account_id: int) -> list[str]:
        """The names of the groups the account is a member of."""
        ...

    async def export_groups(self) -> list[GroupRecord]:
        """Every group with its members' accounts, as the export writes them."""
        ...

    async def import_groups(self, groups: Sequence[GroupRecord]) -> None:
        """Store exported groups, then their members (each a transaction)."""
        ...
