"""Checking an export before anything is imported: every line, and how records refer to each other.

A record may refer only to what the file brought before it (a membership to
its room and account, a change to its message...); the ids of a room
increase; names are not alike. export.py reads the file through this first,
then stores it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import IO

from .backend import StoredChange, StoredMessage
from .export_acts import act_problem
from .export_bars import bar_problem
from .export_emoji import emoji_problem
from .export_fields import ExportFileError
from .export_files import FileCheck, FilePart
from .export_format import Header, Record, read_lines
from .export_groups import group_problem
from .export_reading import READING_TYPES, ReadingSeen, reading_problem
from .export_reminders import reminder_problem
from .export_saved import saved_problem
from .export_scheduled import scheduled_problem
from .export_stars import star_problem
from .export_threads import thread_follow_problem
from .names import nick_key
from .store.acts_base import ModerationAct
from .store.emoji_base import EmojiImage
from .store.files_base import StoredFile
from .store.groups_base import GroupRecord
from .store.previews_base import PreviewImage
from .store.records import (
    Account,
    BotKey,
    BotWebhook,
    FormerName,
    Membership,
    Reminder,
    RoomBar,
    RoomRecord,
    RoomStar,
    SavedMessage,
    ScheduledMessage,
    ServerSetting,
    ThreadFollow,
)


@dataclass(slots=True)
class Checked:
    """A file whose every line was checked: its header, what it brings, each room's first message id."""

    header: Header
    first_ids: dict[str, int] = field(default_factory=dict)
    last_ids: dict[str, int] = field(default_factory=dict)
    messages: int = 0
    account_ids: set[int] = field(default_factory=set)
    name_keys: dict[str, str] = field(default_factory=dict)
    key_hashes: set[bytes] = field(default_factory=set)
    bot_ids: set[int] = field(default_factory=set)
    webhooks: set[int] = field(default_factory=set)
    settings: set[str] = field(default_factory=set)
    room_records: set[str] = field(default_factory=set)
    memberships: set[tuple[str, int]] = field(default_factory=set)
    bars: set[tuple[str, int]] = field(default_factory=set)
    saved: set[tuple[int, str, int]] = field(default_factory=set)
    stars: set[tuple[int, str]] = field(default_factory=set)
    threads: set[tuple[int, str, int]] = field(default_factory=set)
    emoji: set[str] = field(default_factory=set)
    groups: set[str] = field(default_factory=set)
    files: FileCheck = field(default_factory=FileCheck)
    reading: ReadingSeen = field(default_factory=ReadingSeen)

    @property
    def rooms(self) -> int:
        """How many rooms the file brings, with a record or with messages."""
        return len(self.room_records | set(self.first_ids))


def check_file(source: IO[bytes]) -> Checked:
    """Read every line and check how records refer to each other; ExportFileError at the first bad one."""
    checked: Checked | None = None
    for number, record in read_lines(source):
        if isinstance(record, Header):
            checked = Checked(record)
            continue
        assert checked is not None
        problem = _problem(checked, record)
        if problem is not None:
            raise ExportFileError(number, problem)
    assert checked is not None
    if (problem := checked.files.end_problem()) is not None:
        raise ExportFileError(number, problem)
    return checked


def _problem(checked: Checked, record: Record) -> str | None:
    """What is wrong with the record given what came before it (noting it when nothing is)."""
    if isinstance(record, FilePart):
        return checked.files.part_problem(record)
    if (problem := checked.files.end_problem()) is not None:
        return problem
    if isinstance(record, StoredFile):
        return checked.files.file_problem(record, checked.account_ids)
    if isinstance(record, READING_TYPES):
        rooms = (checked.room_records, checked.first_ids)
        return reading_problem(checked.reading, record, checked.account_ids, rooms)
    if isinstance(record, StoredMessage | StoredChange):
        return _message_problem(checked, record)
    if isinstance(record, RoomBar):
        return bar_problem(record, checked.room_records, checked.account_ids, checked.bars)
    if isinstance(record, ModerationAct):
        return act_problem(record, checked.account_ids)
    if isinstance(record, EmojiImage):
        return emoji_problem(record, checked.account_ids, checked.emoji)
    if isinstance(record, PreviewImage):
        return None  # it refers to nothing; the same picture twice is kept once
    if isinstance(record, SavedMessage):
        return saved_problem(record, checked.room_records, checked.account_ids, checked.saved)
    if isinstance(record, RoomStar):
        return star_problem(record, checked.room_records, checked.account_ids, checked.stars)
    if isinstance(record, ThreadFollow):
        return thread_follow_problem(record, checked.room_records, checked.account_ids, checked.threads)
    if isinstance(record, ScheduledMessage):
        return scheduled_problem(record, checked.account_ids)
    if isinstance(record, Reminder):
        return reminder_problem(record, checked.account_ids)
    if isinstance(record, GroupRecord):
        return group_problem(record, checked.account_ids, checked.groups)
    if isinstance(record, Account):
        return _account_problem(checked, record)
    if isinstance(record, BotKey):
        if record.account_id not in checked.account_ids:
            return f"a bot key of account {record.account_id}, which no line before it brings"
        if record.key_hash in checked.key_hashes:
            return "a bot key that an earlier line already brings"
        checked.key_hashes.add(record.key_hash)
        return None
    if isinstance(record, BotWebhook):
        return _webhook_problem(checked, record)
    if isinstance(record, FormerName):
        return _former_name_problem(checked, record)
    if isinstance(record, ServerSetting):
        if record.name in checked.settings:
            return f"the setting {record.name!r} a second time"
        checked.settings.add(record.name)
        return None
    if isinstance(record, RoomRecord):
        if record.room in checked.room_records:
            return f"room {record.room!r} a second time"
        if record.creator_id is not None and record.creator_id not in checked.account_ids:
            return (
                f"room {record.room!r} created by account {record.creator_id}, which no line before it brings"
            )
        checked.room_records.add(record.room)
        return None
    return _membership_problem(checked, record)


def _message_problem(checked: Checked, message: StoredMessage | StoredChange) -> str | None:
    """A message or a change: the ids of a room increase; a change names a message before it."""
    previous = checked.last_ids.get(message.room)
    if previous is not None and message.id <= previous:
        return (
            f"message {message.id} of room {message.room!r} after message {previous}:"
            " the ids of a room must increase"
        )
    if (
        isinstance(message, StoredChange)
        and not checked.first_ids.get(message.room, message.id) <= message.target
    ):
        return (
            f"change {message.id} of room {message.room!r} names message {message.target},"
            " which no line before it brings"
        )
    if isinstance(message, StoredMessage) and (problem := checked.files.carried_problem(message)):
        return problem
    checked.last_ids[message.room] = message.id
    checked.first_ids.setdefault(message.room, message.id)
    checked.messages += isinstance(message, StoredMessage)
    return None


def _account_problem(checked: Checked, account: Account) -> str | None:
    if account.id in checked.account_ids:
        return f"account {account.id} a second time"
    holder = checked.name_keys.get(account.name_key)
    if holder is not None:
        return f"account {account.name!r}, whose name is too like {holder!r}'s"
    checked.account_ids.add(account.id)
    checked.name_keys[account.name_key] = account.name
    if account.is_bot:
        checked.bot_ids.add(account.id)
    return None


def _former_name_problem(checked: Checked, former: FormerName) -> str | None:
    if former.account_id not in checked.account_ids:
        return f"a former name of account {former.account_id}, which no line before it brings"
    key = nick_key(former.name)
    holder = checked.name_keys.get(key)
    if holder is not None:
        return f"the former name {former.name!r}, too like {holder!r}"
    checked.name_keys[key] = former.name
    return None


def _webhook_problem(checked: Checked, webhook: BotWebhook) -> str | None:
    if webhook.account_id not in checked.bot_ids:
        return f"a webhook of account {webhook.account_id}, which is no bot a line before it brings"
    if webhook.account_id in checked.webhooks:
        return f"a second webhook of account {webhook.account_id}"
    checked.webhooks.add(webhook.account_id)
    return None


def _membership_problem(checked: Checked, membership: Membership) -> str | None:
    if membership.room not in checked.room_records:
        return f"a membership of room {membership.room!r}, which no line before it brings"
    if membership.account_id not in checked.account_ids:
        return f"a membership of account {membership.account_id}, which no line before it brings"
    if (membership.room, membership.account_id) in checked.memberships:
        return f"account {membership.account_id}'s membership of room {membership.room!r} a second time"
    checked.memberships.add((membership.room, membership.account_id))
    return None
