"""The moderation history: one record an act of moderation, and the AccountStore methods that keep it.

Part of every AccountStore (``store.accounts``). The rules each
implementation keeps (tests/test_acts_store.py holds SQLite and PostgreSQL
to them):

- An act gets the next id of the history (across nodes: the database's):
  newer acts have higher ids, and the history is read newest first, a page
  at a time, before an id.
- A deletion of another's message (an administrator's or a room's owner's,
  ``ChangeRequest.any_author``) is written by the store in the transaction
  that deletes it: both are kept, or neither. The other acts are written by
  whoever did them, once done (chatroom/moderation.py says why).
- Never a message's text: a deleted message's act names its room and id.
- An import keeps the acts' order and times; their ids are the database's.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

# What was done: to an account, a guest, a member of a room, a message.
DEACTIVATE = "deactivate"
REACTIVATE = "reactivate"
REMOVE_MEMBER = "remove_member"
REMOVE_GUEST = "remove_guest"
DELETE_MESSAGE = "delete_message"
DELETE_EVERYTHING = "delete_everything"
BAR = "bar"
LIFT_BAR = "lift_bar"
MAKE_ADMIN = "make_admin"
REMOVE_ADMIN = "remove_admin"
# An administrator removed a custom emoji someone else added (``detail``: ``:name:``).
REMOVE_EMOJI = "remove_emoji"
# An administrator changed a group someone else created (``detail``: what, in words).
MANAGE_GROUP = "manage_group"
# An administrator ended every session of an account (``detail``: how many, in words).
SIGN_OUT = "sign_out"
ACT_KINDS = (
    *(DEACTIVATE, REACTIVATE, REMOVE_MEMBER, REMOVE_GUEST),
    *(DELETE_MESSAGE, DELETE_EVERYTHING, BAR, LIFT_BAR),
    *(MAKE_ADMIN, REMOVE_ADMIN, REMOVE_EMOJI, MANAGE_GROUP, SIGN_OUT),
)


@dataclass(frozen=True, slots=True)
class ModerationAct:
    """One act: ``actor`` did ``act`` to ``subject`` (their names then; their accounts, a guest none).

    ``room`` where it was done ("" for the whole server), ``message`` the id
    of the message deleted, ``detail`` what more there is to say (how many
    messages, until when an address is barred). ``id`` is the store's (0
    before it is written).
    """

    act: str
    ts: int
    actor: str
    subject: str
    actor_id: int | None = None
    subject_id: int | None = None
    room: str = ""
    message: int | None = None
    detail: str = ""
    id: int = 0

    def __post_init__(self) -> None:
        if self.act not in ACT_KINDS:
            raise ValueError(f"no such act of moderation: {self.act!r}")


class ActStore(Protocol):
    """Writing and reading the moderation history."""

    async def record_act(self, act: ModerationAct) -> ModerationAct:
        """Keep the act; it, with its id."""
        ...

    async def acts(self, *, before_id: int = 0, limit: int = 100) -> list[ModerationAct]:
        """Up to ``limit`` acts with ids below ``before_id`` (0: the newest), newest first."""
        ...

    async def import_acts(self, acts: Sequence[ModerationAct]) -> None:
        """Keep exported acts, oldest first, in one transaction (new ids, in their order)."""
        ...
