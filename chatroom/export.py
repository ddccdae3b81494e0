"""Export and import: a database's accounts, rooms and history as JSON Lines, and back into a database.

The format, line by line, is export_format.py's. An export writes the header,
the accounts in id order (each followed by its bot keys and avatar), then every
room in code point order: its record, its memberships, its messages in id order
(each file before the message that carries it: export_files.py); then what
people chose for their reading (export_reading.py); the moderation
history, oldest act first (export_acts.py); the messages people saved
(export_saved.py) and the rooms they starred (export_stars.py); the threads
they follow and how far they read each (export_threads.py); the custom emoji
with their images (export_emoji.py); the pictures of link previews
(export_previews.py, the cards being changes); the messages people scheduled
(export_scheduled.py); their reminders (export_reminders.py); last, the
groups with their members (export_groups.py).

An import reads its file twice: first to check every line (export_check.py),
that each record refers only to what the file brought before it, and that the
database holds none of its messages (nor any account, when the file brings
accounts); then to store it in batches, each in one transaction with its ids
and times. So a bad file or a database that already has the messages changes
nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import IO

from .backend import StoredChange, StoredMessage
from .config import Settings
from .export_accounts import account_line, bot_key_line, former_name_line, setting_line, webhook_line
from .export_acts import export_acts
from .export_bars import room_bar_line
from .export_check import Checked, check_file
from .export_emoji import export_emoji
from .export_fields import ExportFileError
from .export_files import FilePart, FileSpool, export_file
from .export_format import (
    Header,
    Record,
    change_line,
    header_line,
    membership_line,
    message_line,
    read_lines,
    room_line,
)
from .export_groups import export_groups
from .export_previews import export_preview_images
from .export_reading import READING_TYPES, ReadingRecord, export_reading, import_reading
from .export_reminders import export_reminders
from .export_saved import export_saved
from .export_scheduled import export_scheduled
from .export_stars import export_stars
from .export_threads import export_thread_follows
from .guest_access import GUESTS
from .store import open_store
from .store.acts_base import ModerationAct
from .store.base import Store
from .store.emoji_base import EmojiImage
from .store.files_base import StoredFile
from .store.groups_base import GroupRecord
from .store.previews_base import PreviewImage
from .store.records import (
    DIRECT,
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

# Pages and batches: memory stays bounded whatever the database holds.
ROOMS_PAGE = 100
MESSAGES_PAGE = 1000
ACCOUNTS_PAGE = 500
IMPORT_BATCH = 1000
# The administrators' settings an export carries (their names: guest_access.py).
EXPORTED_SETTINGS = (GUESTS,)

__all__ = ["ExportFileError", "ImportRefusedError", "Summary", "export_database", "import_database"]


class ImportRefusedError(Exception):
    """The database cannot take the file as it is (it holds some of its messages, say)."""


@dataclass(slots=True)
class Summary:
    """How much an export wrote or an import stored."""

    rooms: int = 0
    messages: int = 0
    accounts: int = 0


# --- writing ---------------------------------------------------------------


async def export_history(store: Store, out: IO[bytes]) -> Summary:
    """Write the header, the accounts, then every room, a page at a time."""
    summary = Summary()
    out.write(header_line(await store.epoch()))
    summary.accounts = await _export_accounts(store, out)
    for name in EXPORTED_SETTINGS:
        value = await store.accounts.server_setting(name)
        if value is not None:
            out.write(setting_line(ServerSetting(name, value)))
    after, direct_rooms = "", False
    while rooms := await store.room_names(after, ROOMS_PAGE):
        for room in rooms:
            messages, direct = await _export_room(store, room, out)
            summary.messages += messages
            summary.rooms += 1
            direct_rooms = direct_rooms or direct
        after = rooms[-1]
    await export_reading(store, out, direct_rooms=direct_rooms)
    await export_acts(store, out)
    await export_saved(store, out)
    await export_stars(store, out)
    await export_thread_follows(store, out)
    await export_emoji(store, out)
    await export_preview_images(store, out)
    await export_scheduled(store, out)
    await export_reminders(store, out)
    await export_groups(store, out)
    return summary


async def _export_accounts(store: Store, out: IO[bytes]) -> int:
    written, after = 0, 0
    while page := await store.accounts.list_accounts(after_id=after, limit=ACCOUNTS_PAGE):
        for account in page:
            out.write(account_line(account))
            out.write(b"".join(bot_key_line(key) for key in await store.accounts.bot_keys_of(account.id)))
            formers = await store.accounts.former_names_of(account.id)
            out.write(b"".join(former_name_line(FormerName(account.id, name)) for name in formers))
            url = await store.accounts.webhook_of(account.id) if account.is_bot else None
            if url is not None:
                out.write(webhook_line(BotWebhook(account.id, url)))
            avatar = await store.files.avatar(account.id)
            if avatar is not None:
                await export_file(store, avatar.info.id, out)
        written += len(page)
        after = page[-1].id
    return written


async def _export_room(store: Store, room: str, out: IO[bytes]) -> tuple[int, bool]:
    """Write a room's record, members and messages: how many messages, and whether it is a direct room."""
    record = await store.accounts.room_record(room)
    if record is not None:
        out.write(room_line(record))
    out.write(b"".join(membership_line(m) for m in await store.accounts.members_of(room)))
    out.write(b"".join(room_bar_line(bar) for bar in await store.accounts.bars_of(room)))
    written, after = 0, 0
    while page := await store.export_messages(room, after, MESSAGES_PAGE):
        for item in page:
            if isinstance(item, StoredMessage) and item.file is not None:
                await export_file(store, item.file.id, out)
            out.write(change_line(item) if isinstance(item, StoredChange) else message_line(item))
        written += sum(1 for item in page if isinstance(item, StoredMessage))
        after = page[-1].id
    return written, record is not None and record.kind == DIRECT


# --- importing ---------------------------------------------------------------


async def import_history(store: Store, source: IO[bytes], *, keep_epoch: bool = False) -> Summary:
    """Check the file and the database, then store the file's records in batches.

    ``source`` is read twice (it must be seekable). With ``keep_epoch`` the
    database takes the export's epoch: it must hold no message yet.
    """
    return await _import_checked(store, source, check_file(source), keep_epoch=keep_epoch)


@dataclass(slots=True)
class _Batch:
    """Records waiting to be stored, stored in the order that lets each find what it refers to."""

    accounts: list[Account] = field(default_factory=list)
    bot_keys: list[BotKey] = field(default_factory=list)
    webhooks: list[BotWebhook] = field(default_factory=list)
    former_names: list[FormerName] = field(default_factory=list)
    settings: list[ServerSetting] = field(default_factory=list)
    rooms: list[RoomRecord] = field(default_factory=list)
    memberships: list[Membership] = field(default_factory=list)
    bars: list[RoomBar] = field(default_factory=list)
    messages: list[StoredMessage | StoredChange] = field(default_factory=list)
    reading: list[ReadingRecord] = field(default_factory=list)
    acts: list[ModerationAct] = field(default_factory=list)
    saved: list[SavedMessage] = field(default_factory=list)
    stars: list[RoomStar] = field(default_factory=list)
    threads: list[ThreadFollow] = field(default_factory=list)
    emoji: list[EmojiImage] = field(default_factory=list)
    pictures: list[PreviewImage] = field(default_factory=list)
    scheduled: list[ScheduledMessage] = field(default_factory=list)
    reminders: list[Reminder] = field(default_factory=list)
    groups: list[GroupRecord] = field(default_factory=list)
    size: int = 0

    def add(self, record: Record) -> None:
        if isinstance(record, READING_TYPES):
            self.reading.append(record)
        elif isinstance(record, Account):
            self.accounts.append(record)
        elif isinstance(record, BotKey):
            self.bot_keys.append(record)
        elif isinstance(record, BotWebhook):
            self.webhooks.append(record)
        elif isinstance(record, FormerName):
            self.former_names.append(record)
        elif isinstance(record, ServerSetting):
            self.settings.append(record)
        elif isinstance(record, RoomRecord):
            self.rooms.append(record)
        elif isinstance(record, Membership):
            self.memberships.append(record)
        elif isinstance(record, RoomBar):
            self.bars.append(record)
        elif isinstance(record, StoredMessage | StoredChange):
            self.messages.append(record)
        elif isinstance(record, ModerationAct):
            self.acts.append(record)
        elif isinstance(record, SavedMessage):
            self.saved.append(record)
        elif isinstance(record, RoomStar):
            self.stars.append(record)
        elif isinstance(record, ThreadFollow):
            self.threads.append(record)
        elif isinstance(record, EmojiImage):
            self.emoji.append(record)
        elif isinstance(record, PreviewImage):
            self.pictures.append(record)
        elif isinstance(record, ScheduledMessage):
            self.scheduled.append(record)
        elif isinstance(record, Reminder):
            self.reminders.append(record)
        elif isinstance(record, GroupRecord):
            self.groups.append(record)
        self.size += 1

    async def store(self, store: Store) -> None:
        if self.accounts or self.bot_keys:
            await store.accounts.import_accounts(self.accounts, self.bot_keys)
        if self.webhooks:
            await store.accounts.import_webhooks(self.webhooks)
        if self.former_names:
            await store.accounts.import_former_names(self.former_names)
        for setting in self.settings:
            await store.accounts.set_server_setting(setting.name, setting.value)
        if self.rooms or self.memberships:
            await store.accounts.import_rooms(self.rooms, self.memberships)
        if self.bars:
            await store.accounts.import_bars(self.bars)
        if self.messages:
            await store.import_messages(self.messages)
        if self.reading:
            await import_reading(store, self.reading)
        if self.acts:
            await store.accounts.import_acts(self.acts)
        if self.saved:
            await store.accounts.import_saved(self.saved)
        if self.stars:
            await store.accounts.import_stars(self.stars)
        if self.threads:
            await store.accounts.import_thread_follows(self.threads)
        if self.emoji:
            await store.accounts.import_emoji(self.emoji)
        if self.pictures:
            await store.accounts.import_preview_images(self.pictures)
        if self.scheduled:
            await store.accounts.import_scheduled(self.scheduled)
        if self.reminders:
            await store.accounts.import_reminders(self.reminders)
        if self.groups:
            await store.accounts.import_groups(self.groups)


async def _import_checked(store: Store, source: IO[bytes], checked: Checked, *, keep_epoch: bool) -> Summary:
    await _check_database(store, checked, keep_epoch=keep_epoch)
    if keep_epoch and await store.epoch() != checked.header.epoch:
        await store.adopt_epoch(checked.header.epoch)
    source.seek(0)
    batch, spool = _Batch(), FileSpool(store)
    try:
        for _, record in read_lines(source):
            if isinstance(record, FilePart):
                spool.write(record)
                continue
            await spool.finish()
            if isinstance(record, StoredFile):
                # What the file refers to (its account) is stored before it.
                await batch.store(store)
                batch = _Batch()
                spool.start(record)
            elif not isinstance(record, Header):
                batch.add(record)
            if batch.size >= IMPORT_BATCH:
                await batch.store(store)
                batch = _Batch()
        await spool.finish()
    finally:
        spool.close()
    await batch.store(store)
    return Summary(checked.rooms, checked.messages, len(checked.account_ids))


async def _check_database(store: Store, checked: Checked, *, keep_epoch: bool) -> None:
    """Refuse (ImportRefusedError) a database with ids the file brings; with ``keep_epoch``, any message;
    with accounts in the file, any account."""
    after = ""
    while rooms := await store.rooms(after=after, limit=ROOMS_PAGE):
        if keep_epoch and any(row.last_id for row in rooms):
            raise ImportRefusedError(
                "--keep-epoch needs a database without messages, and this one has some:"
                " import into a new database, or without --keep-epoch"
            )
        for row in rooms:
            first = checked.first_ids.get(row.room)
            if first is not None and first <= row.last_id:
                raise ImportRefusedError(
                    f"the database already has messages of room {row.room!r} up to id {row.last_id},"
                    f" and the file starts it at id {first}: nothing was imported"
                )
        after = rooms[-1].room
    if checked.account_ids and await store.accounts.count_accounts():
        raise ImportRefusedError(
            f"the database already has accounts, and the file brings {len(checked.account_ids)}:"
            " import accounts into a new database; nothing was imported"
        )


# --- a database ----------------------------------------------------------------


async def export_database(settings: Settings, out: IO[bytes]) -> Summary:
    """Export the database the settings name (StoreError when it cannot be read)."""
    store = open_store(
        settings.database, sqlite_synchronous=settings.sqlite_synchronous, files_dir=settings.files_dir
    )
    await store.start()
    try:
        return await export_history(store, out)
    finally:
        await store.close()


async def import_database(settings: Settings, source: IO[bytes], *, keep_epoch: bool = False) -> Summary:
    """Import into the database the settings name; see import_history.

    The file is checked before the database is opened: a bad file creates no database.
    """
    checked = check_file(source)
    store = open_store(
        settings.database, sqlite_synchronous=settings.sqlite_synchronous, files_dir=settings.files_dir
    )
    await store.start()
    try:
        return await _import_checked(store, source, checked, keep_epoch=keep_epoch)
    finally:
        await store.close()
