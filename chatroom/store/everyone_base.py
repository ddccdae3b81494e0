"""The rooms everyone is in: an open room every person account is a member of, from its creation on.

Part of every AccountStore (``store.accounts``). The rules each
implementation keeps (tests/test_everyone_store.py holds SQLite and
PostgreSQL to them):

- Turning a room on makes every person account a member in the same
  transaction, in one statement however many there are; bots (put in rooms
  by an administrator) are left out. A deactivated person is taken in too,
  as into any room they were in when deactivated: reactivated, they are in
  it, with what was posted since it was turned on counted, and nothing has
  to be done when they come back (nor anything to race with). A member keeps
  their role, time of joining and read position; those taken in start
  reading at the room's newest message (none of what came before counts).
- ``create_account`` of a person makes it a member of every such room in the
  transaction that creates it, reading from each one's newest message: an
  account made while a room is being turned on ends up a member either way,
  on any node.
- Turning a room off changes nobody's membership; leaving one is leaving it
  (nothing adds a person again but turning it on again).
- Only an open room is one: a closed or direct room is its members' choice.
"""

from __future__ import annotations

from typing import Protocol

from .records import RoomRecord


class EveryoneStore(Protocol):
    """Turning a room everyone is in on and off."""

    async def set_everyone_in(self, room: str, everyone_in: bool) -> RoomRecord | None:
        """Make the open room one everyone is in (every person a member now, and those made
        later at their creation), or an ordinary one again; None when there is no such open room."""
        ...
