"""Groups as the API and the ``group`` frame give them (pure), and the notice that tells every node.

An entry is ``{"name", "description", "by", "ts", "members"}``: ``by`` who
created it (their name now; None once that account is gone), ``members``
the names of its members, in the order of their keys.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # events.py takes the notice, and the store imports events: the type alone comes here
    from .store.groups_base import Group


def group_entry(group: Group) -> dict[str, Any]:
    """A group as ``GET /api/groups`` lists it."""
    return {
        "name": group.name,
        "description": group.description,
        "by": group.creator,
        "ts": group.created,
        "members": list(group.members),
    }


def group_frame(name: str, entry: dict[str, Any] | None) -> dict[str, Any]:
    """The group pages know as ``name`` is now ``entry`` (created, changed, renamed: ``entry["name"]`` is
    its new name) or is gone (None): told to every account's page."""
    return {"type": "group", "name": name, "group": entry}


@dataclass(frozen=True, slots=True)
class GroupNotice:
    """The group called ``name`` changed, stored already: ``now`` its name since (None: deleted). Every
    node reads it from the store and tells every connection of an account."""

    name: str
    now: str | None
