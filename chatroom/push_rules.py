"""Who is pushed for a stored message, and why: no I/O of its own beyond asking the store.

A message in a direct room is for every other member of it; a message that
mentions an account (``@name``) is for that account if it may read the room
(access.may_read, the rule every path asks). The sender is never one of
them, nor a bot, nor a deactivated account. Whether a person is away, wants
pushes at all and has not muted the room is push.py's to check.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .access import may_read
from .backend import StoredMessage
from .identity import Identity
from .store.accounts_base import AccountStore
from .store.records import DIRECT, PERSON, Account, RoomRecord

# Why a person is pushed.
DIRECT_MESSAGE = "direct"
MENTION = "mention"

# Per-room notification levels. Until rooms have levels of their own
# (notify_level below), every room is ALL.
ALL = "all"
MENTIONS = "mentions"
NOTHING = "none"

# "@" then a name up to a blank, not inside a word or an address (ann@example.com).
_MENTION = re.compile(r"(?<![\w@])@([^\s@]+)")
_TRAILING = ".,:;!?)]}'\"»”’…"
MAX_MENTIONS = 20


@dataclass(frozen=True, slots=True)
class Recipient:
    """A person a message is pushed to, and why."""

    account: Account
    reason: str


def mentioned_names(text: str) -> list[str]:
    """The names a message mentions, as written (``@Ann,`` mentions ``Ann``), each once, at most 20.

    The one rule of what a mention is, for pushes: swap this for the chat's
    own rule (chatroom/mentions.py) where there is one.
    """
    names: list[str] = []
    for match in _MENTION.finditer(text):
        name = match.group(1).rstrip(_TRAILING)
        if name and name.casefold() not in (n.casefold() for n in names):
            names.append(name)
        if len(names) == MAX_MENTIONS:
            break
    return names


async def notify_level(accounts: AccountStore, account_id: int, room: str) -> str:
    """The person's notification level for the room: ALL, until rooms have levels of their own
    (then the store's ``notify_level(account_id, room)``)."""
    return ALL


def level_allows(level: str, reason: str) -> bool:
    """Whether a room's level lets a push of that reason through: ALL everything, MENTIONS mentions and
    direct messages, NOTHING nothing."""
    if level == ALL:
        return True
    return level == MENTIONS and reason in (MENTION, DIRECT_MESSAGE)


async def recipients(accounts: AccountStore, message: StoredMessage, room: RoomRecord) -> list[Recipient]:
    """The people the message is pushed to, each once, a direct room's members before those mentioned."""
    names = mentioned_names(message.text)
    if room.kind != DIRECT and not names:
        return []  # most messages: no store read at all
    sender = None if message.guest else await accounts.account_by_name(message.nick)
    chosen: dict[int, Recipient] = {}
    if room.kind == DIRECT:
        for member in await accounts.members_of(room.room):
            account = await accounts.account_by_id(member.account_id)
            if account is not None:
                chosen.setdefault(account.id, Recipient(account, DIRECT_MESSAGE))
    for name in names:
        account = await accounts.account_by_name(name)
        if account is None or account.id in chosen:
            continue
        membership = await accounts.membership(room.room, account.id)
        if may_read(Identity(account, "push"), room, membership, guests=False):
            chosen[account.id] = Recipient(account, MENTION)
    return [
        recipient
        for recipient in chosen.values()
        if recipient.account.kind == PERSON
        and recipient.account.active
        and (sender is None or recipient.account.id != sender.id)
    ]
