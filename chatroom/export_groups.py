"""Groups in an export: ``group`` records by name, last, after the reminders.

``{"type": "group", "name", "description", "account", "created", "members"}``:
the group ``name`` (an account's rule, group_names.py), created by
``account`` (null: an account no more) at ``created``, and its ``members``,
each ``[account, added]``. Every account named is one the file brought
before (export_check.py checks it), and no two groups share a name's key. An
import gives groups new ids; the names are what mentions read.
"""

from __future__ import annotations

from collections.abc import Callable, Container
from typing import IO

import orjson

from .export_fields import MAX_ID, MAX_TS
from .export_fields import Fields as _Fields
from .group_names import BadGroupError, check_description, check_group_name
from .names import nick_key
from .store.base import Store
from .store.groups_base import GroupRecord


def group_line(group: GroupRecord) -> bytes:
    """The line of one group."""
    line = {"type": "group", "name": group.name, "description": group.description}
    members = [[account, added] for account, added in group.members]
    return (
        orjson.dumps({**line, "account": group.creator_id, "created": group.created, "members": members})
        + b"\n"
    )


async def export_groups(store: Store, out: IO[bytes]) -> None:
    """Write every group with its members, by name."""
    out.write(b"".join(group_line(group) for group in await store.accounts.export_groups()))


def _members(fields: _Fields) -> tuple[tuple[int, int], ...]:
    raw = fields.data.get("members")
    pairs = raw if isinstance(raw, list) else None
    if pairs is None or not all(_is_member(pair) for pair in pairs):
        raise fields.fail("'members' must be a list of [account, added] pairs of whole numbers")
    return tuple((int(account), int(added)) for account, added in pairs)


def _is_member(pair: object) -> bool:
    return (
        isinstance(pair, list)
        and len(pair) == 2
        and all(isinstance(n, int) and not isinstance(n, bool) for n in pair)
        and 1 <= pair[0] <= MAX_ID
        and 0 <= pair[1] <= MAX_TS
    )


def _group(fields: _Fields) -> GroupRecord:
    try:
        name = check_group_name(fields.data.get("name"))
        description = check_description(fields.any_text("description"))
    except BadGroupError as error:
        raise fields.fail(str(error)) from None
    return GroupRecord(
        name, description, fields.optional_id("account"), fields.whole("created", 0, MAX_TS), _members(fields)
    )


READERS: dict[str, Callable[[_Fields], GroupRecord]] = {"group": _group}


def group_problem(group: GroupRecord, accounts: Container[int], seen: set[str]) -> str | None:
    """What is wrong with the group given the ``accounts`` brought before it and the names' keys ``seen``."""
    named = [account for account, _ in group.members]
    if group.creator_id is not None:
        named.append(group.creator_id)
    for account in named:
        if account not in accounts:
            return f"the group @{group.name} names account {account}, which no line before it brings"
    if nick_key(group.name) in seen:
        return f"the group @{group.name} a second time"
    seen.add(nick_key(group.name))
    return None
