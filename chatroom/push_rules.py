"""Who is pushed for a stored message, and why: no I/O of its own beyond asking the store.

A message in a direct room is for every other member of it; a message that
mentions an account (``@name``) is for that account if it may read the room
(access.may_read, the rule every path asks) and is not barred from it; one that
mentions a group (``@designers``) is for each of its members on the same terms; one that
mentions the whole room (``@room``, mentions.py) is for each of the room's
followers who may read it (its members; an open room's readers too, the people
whose unread counts it reaches); a thread reply is for the thread's followers
(thread_following.py) on the same terms. The sender is never one of
them, nor a bot, nor a deactivated account, nor anyone who blocked the sender. Whether a person is away, wants
pushes at all and has not muted the room is push.py's to check (may_disturb, level_allows).
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Container, Sequence
from dataclasses import dataclass

from .access import may_read
from .backend import StoredMessage
from .identity import Identity
from .mentions import mentioned, mentions_room
from .store.accounts_base import AccountStore
from .store.groups_base import Group
from .store.records import DIRECT, PERSON, Account, RoomRecord

# Why a person is pushed.
DIRECT_MESSAGE = "direct"
MENTION = "mention"
# A reply in a thread the person follows.
THREAD = "thread"
# A reminder the person set fell due (reminder_sending.py).
REMINDER = "reminder"

# Per-room notification levels (store/reading_base.py): the page's rule too, so
# a muted room pushes nothing and "mentions" lets only mentions through.
ALL = "all"
MENTIONS = "mentions"
MUTED = "muted"

# "@" where a mention may start (mentions.py's rule), then up to three words
# (a name may hold single inner spaces), read ahead: the words may hold the next "@".
_AT_NAME = re.compile(r"(?<![\w@./-])@(?!@)(?=(\S+(?: \S+){0,2}))")
_TRAILING = ".,:;!?)]}'\"»”’…"
MAX_MENTIONS = 10
WORDS_IN_A_NAME = 3


@dataclass(frozen=True, slots=True)
class Recipient:
    """A person a message is pushed to, and why."""

    account: Account
    reason: str


def candidate_names(text: str) -> list[str]:
    """What may be a name after each ``@`` (one to three words, trailing punctuation off), each once.

    Only the first MAX_MENTIONS ``@`` count. The store says which are
    accounts' names, and mentions.py which of those the text mentions.
    """
    names: dict[str, str] = {}
    for match in itertools.islice(_AT_NAME.finditer(text), MAX_MENTIONS):
        words = match.group(1).split(" ")
        for count in range(1, min(len(words), WORDS_IN_A_NAME) + 1):
            name = " ".join(words[:count]).rstrip(_TRAILING)
            if name:
                names.setdefault(name.casefold(), name)
    return list(names.values())


async def notify_level(accounts: AccountStore, account_id: int, room: str) -> str:
    """The person's notification level for the room (``all`` unless they chose another)."""
    return await accounts.notify_level(account_id, room)


def level_allows(level: str, reason: str) -> bool:
    """Whether a room's level lets a push of that reason through: ALL everything, MENTIONS mentions and
    replies in the threads one follows (a followed thread speaks to you), MUTED nothing (as the page's
    own notifications)."""
    return level == ALL or (level == MENTIONS and reason in (MENTION, THREAD))


def may_disturb(account_id: int, online: Container[int], paused: Container[int]) -> bool:
    """Whether a person may be pushed now: away (no page open, ``online`` has them not) and their
    notifications not paused (``paused``: those under "do not disturb" now, store/status_base.py)."""
    return account_id not in online and account_id not in paused


async def recipients(
    accounts: AccountStore, message: StoredMessage, room: RoomRecord, followers: Sequence[int] = ()
) -> list[Recipient]:
    """The people the message is pushed to, each once, a direct room's members before those mentioned,
    those mentioned before the ``followers`` of the thread it replies in (thread_following.py)."""
    names = candidate_names(message.text)
    whole_room = mentions_room(message.text)
    if room.kind != DIRECT and not names and not followers and not whole_room:
        return []  # most messages: no store read at all
    sender = None if message.guest else await accounts.account_by_name(message.nick)
    chosen: dict[int, Recipient] = {}
    if room.kind == DIRECT:
        for member in await accounts.members_of(room.room):
            account = await accounts.account_by_id(member.account_id)
            if account is not None:
                chosen.setdefault(account.id, Recipient(account, DIRECT_MESSAGE))
    mentioned_accounts = await mentioned_readers(accounts, message.text, room, names)
    if whole_room:
        mentioned_accounts += await readers(accounts, room, await _room_followers(accounts, room.room))
    for account in mentioned_accounts:
        chosen.setdefault(account.id, Recipient(account, MENTION))
    for account in await readers(accounts, room, followers):
        chosen.setdefault(account.id, Recipient(account, THREAD))
    # Those who blocked the sender hear nothing of it (docs/security.md, "Blocking").
    unheard = set() if sender is None else {sender.id, *await accounts.blockers_of(sender.id)}
    return [
        recipient
        for recipient in chosen.values()
        if recipient.account.kind == PERSON
        and recipient.account.active
        and recipient.account.id not in unheard
    ]


async def mentioned_readers(
    accounts: AccountStore, text: str, room: RoomRecord, names: list[str] | None = None
) -> list[Account]:
    """The accounts ``text`` mentions that may read the room (``names``: its candidate names, when read
    already)."""
    found = await _mentioned_accounts(accounts, text, candidate_names(text) if names is None else names)
    return await readers(accounts, room, [account.id for account in found], found)


async def readers(
    accounts: AccountStore, room: RoomRecord, account_ids: Sequence[int], known: Sequence[Account] = ()
) -> list[Account]:
    """The accounts of ``account_ids`` that may read the room and are not barred from it."""
    by_id = {account.id: account for account in known}
    chosen = []
    for account_id in account_ids:
        account = by_id.get(account_id) or await accounts.account_by_id(account_id)
        if account is None:
            continue
        membership = await accounts.membership(room.room, account.id)
        barred = await accounts.room_bar(room.room, account.id) is not None
        if not barred and may_read(Identity(account, "push"), room, membership, guests=False):
            chosen.append(account)
    return chosen


async def _mentioned_accounts(accounts: AccountStore, text: str, names: list[str]) -> list[Account]:
    """The accounts ``text`` mentions among those named ``names``, by their name or a group's (each of its
    members): the longest name wins, as on the page ("@Ada Lovelace" mentions Ada Lovelace, not an "Ada"
    too)."""
    found: dict[str, Account] = {}
    groups: dict[str, Group] = {}
    for name in names:
        account = await accounts.account_by_name(name)
        if account is not None:
            found.update({account.name.lower(): account, account.name.casefold(): account})
        elif (group := await accounts.group_named(name)) is not None:
            groups[group.name.lower()] = group
    said = mentioned(
        text, [*(account.name for account in found.values()), *(g.name for g in groups.values())]
    )
    chosen = {found[name].id: found[name] for name in sorted(said) if name in found}
    for name in sorted(said & groups.keys()):
        for member in groups[name].members:
            account = await accounts.account_by_name(member)
            if account is not None:
                chosen.setdefault(account.id, account)
    return list(chosen.values())


async def _room_followers(accounts: AccountStore, room: str) -> list[int]:
    """The accounts a mention of the whole room reaches (those whose unread counts it reaches)."""
    return [follower.account_id for follower in await accounts.followers(room)]
