"""A group changed: every connection of an account on this node gets a ``group`` frame.

The notice names the group; each node reads it from the store once (its
members as they are now, whatever notices crossed on the way) and tells
every page of an account, so completion and the groups dialog stay right.
Guests see no groups: a guest's connection is told nothing.
"""

from __future__ import annotations

from collections.abc import Sequence

from .group_frames import GroupNotice, group_entry, group_frame
from .notice_connection import Connection
from .store.groups_base import GroupStore


async def tell_group(groups: GroupStore, connections: Sequence[Connection], notice: GroupNotice) -> None:
    """Read the group as it is now and tell every account's connection (StoreError: nobody is told)."""
    group = None if notice.now is None else await groups.group_named(notice.now)
    frame = group_frame(notice.name, None if group is None else group_entry(group))
    for connection in connections:
        if connection.who is not None and connection.room:
            connection.tell([frame])
