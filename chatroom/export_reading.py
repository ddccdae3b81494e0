"""What people chose for their reading, in an export: read positions, notification levels, Web Push,
whom they blocked.

An export ends with them, account by account in id order (they refer to
accounts and rooms the file brought before them):

- ``read_position``: ``{"account", "room", "id"}``, where the account has
  read the room up to;
- ``notify_level``: ``{"account", "room", "level"}``, a level the account
  chose for the room (``all`` is the default, written only when chosen);
- ``direct_room_key``: ``{"key"}``, once, first, when the file brings direct
  rooms: the secret that names them, so that the same people meet in the same
  direct room after an import;
- ``push_key``: ``{"private_key"}``, the server's VAPID key, once, before the
  subscriptions (a device's subscription is bound to the key that made it);
- ``push_subscription``: ``{"account", "endpoint", "p256dh", "auth",
  "created_at"}``, one device's, its keys as the browser gave them;
- ``push_switch``: ``{"account", "enabled": false}``, a person who turned
  Web Push off (on is the default, and not written);
- ``block``: ``{"account", "blocked", "created_at"}``, a person the account
  blocked, and since when;
- ``status`` and ``notification_pause``: what the account says of itself,
  and until when its notifications are paused (export_status.py);
- ``here_mention``: a message whose ``@here`` mentioned the account
  (export_here.py).

An import stores positions and levels after the rooms' messages (a position
never passes the room's newest id), and the push key unless the database
made one of its own already: the file's subscriptions then cannot be used,
and people turn notifications on again on their devices. The direct rooms'
key likewise: a database that made its own already keeps it, and the same
two people opening a direct conversation there then get a new room.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Container, Sequence
from dataclasses import dataclass, field
from typing import IO, Any

import orjson

from .export_fields import MAX_ID, MAX_TS
from .export_fields import Fields as _Fields
from .export_here import READERS as HERE_READERS
from .export_here import HereMark, export_here, here_problem, import_here
from .export_status import READERS as STATUS_READERS
from .export_status import export_status, import_status, status_problem
from .store.base import Store
from .store.reading_base import NOTIFY_LEVELS, ReadMark
from .store.records import DIRECT_ROOM_SECRET, Block, PushSubscription, new_direct_room_key
from .store.status_base import Pause, Status
from .webpush import VAPID_SECRET, new_private_key

ACCOUNTS_PAGE = 500


@dataclass(frozen=True, slots=True)
class NotifyChoice:
    """A notification level an account chose for a room."""

    account_id: int
    room: str
    level: str


@dataclass(frozen=True, slots=True)
class PushSwitch:
    """Whether a person wants Web Push at all."""

    account_id: int
    enabled: bool


@dataclass(frozen=True, slots=True)
class DirectRoomKey:
    """The secret that names direct rooms (store.records.DIRECT_ROOM_SECRET)."""

    key: str = field(repr=False)


@dataclass(frozen=True, slots=True)
class PushKey:
    """The server's VAPID private key (what its push subscriptions were made for)."""

    private_key: str = field(repr=False)


ReadingRecord = (
    ReadMark
    | NotifyChoice
    | DirectRoomKey
    | PushKey
    | PushSubscription
    | PushSwitch
    | Block
    | Status
    | Pause
    | HereMark
)
READING_TYPES = (
    ReadMark,
    NotifyChoice,
    DirectRoomKey,
    PushKey,
    PushSubscription,
    PushSwitch,
    Block,
    Status,
    Pause,
    HereMark,
)

# --- writing ---------------------------------------------------------------------


def _line(record: dict[str, Any]) -> bytes:
    return orjson.dumps(record) + b"\n"


async def export_reading(store: Store, out: IO[bytes], *, direct_rooms: bool = False) -> None:
    """Write the key that names the direct rooms (when the file brings any), then every account's
    positions, levels and devices, the push key before the first device."""
    accounts, after, key_written = store.accounts, 0, False
    if direct_rooms:
        # The database made it for its first direct room: it is there.
        out.write(
            _direct_key_line(await accounts.get_or_create_secret(DIRECT_ROOM_SECRET, new_direct_room_key))
        )
    while page := await accounts.list_accounts(after_id=after, limit=ACCOUNTS_PAGE):
        for account in page:
            positions = await accounts.read_positions(account.id)
            out.write(
                b"".join(_position_line(ReadMark(account.id, r, n)) for r, n in sorted(positions.items()))
            )
            levels = await accounts.notify_levels(account.id)
            out.write(
                b"".join(_level_line(NotifyChoice(account.id, r, v)) for r, v in sorted(levels.items()))
            )
            devices = await accounts.push_subscriptions_of(account.id)
            if devices and not key_written:
                # Made when the first device asked for it: there is one whenever there are devices.
                out.write(_key_line(await accounts.get_or_create_secret(VAPID_SECRET, new_private_key)))
                key_written = True
            out.write(b"".join(_subscription_line(device) for device in devices))
            if not await accounts.push_enabled(account.id):
                out.write(_line({"type": "push_switch", "account": account.id, "enabled": False}))
            out.write(b"".join(_block_line(block) for block in await accounts.blocks_of(account.id)))
            await export_status(accounts, account.id, out)
            await export_here(accounts, account.id, out)
        after = page[-1].id


def _position_line(mark: ReadMark) -> bytes:
    return _line(
        {"type": "read_position", "account": mark.account_id, "room": mark.room, "id": mark.last_read_id}
    )


def _level_line(choice: NotifyChoice) -> bytes:
    return _line(
        {"type": "notify_level", "account": choice.account_id, "room": choice.room, "level": choice.level}
    )


def _direct_key_line(key: str) -> bytes:
    return _line({"type": "direct_room_key", "key": key})


def _key_line(private_key: str) -> bytes:
    return _line({"type": "push_key", "private_key": private_key})


def _subscription_line(device: PushSubscription) -> bytes:
    return _line(
        {
            "type": "push_subscription",
            "account": device.account_id,
            "endpoint": device.endpoint,
            "p256dh": device.p256dh,
            "auth": device.auth,
            "created_at": device.created_at,
        }
    )


def _block_line(block: Block) -> bytes:
    return _line(
        {
            "type": "block",
            "account": block.account_id,
            "blocked": block.blocked_id,
            "created_at": block.created_at,
        }
    )


# --- reading -----------------------------------------------------------------------


def _position(fields: _Fields) -> ReadMark:
    return ReadMark(fields.whole("account", 1, MAX_ID), fields.text("room"), fields.whole("id", 0, MAX_ID))


def _level(fields: _Fields) -> NotifyChoice:
    return NotifyChoice(
        fields.whole("account", 1, MAX_ID), fields.text("room"), fields.choice("level", NOTIFY_LEVELS)
    )


def _direct_key(fields: _Fields) -> DirectRoomKey:
    return DirectRoomKey(fields.text("key"))


def _key(fields: _Fields) -> PushKey:
    return PushKey(fields.text("private_key"))


def _subscription(fields: _Fields) -> PushSubscription:
    return PushSubscription(
        endpoint=fields.text("endpoint"),
        account_id=fields.whole("account", 1, MAX_ID),
        p256dh=fields.text("p256dh"),
        auth=fields.text("auth"),
        created_at=fields.whole("created_at", 0, MAX_TS),
    )


def _switch(fields: _Fields) -> PushSwitch:
    return PushSwitch(fields.whole("account", 1, MAX_ID), fields.flag("enabled"))


def _block(fields: _Fields) -> Block:
    return Block(
        fields.whole("account", 1, MAX_ID),
        fields.whole("blocked", 1, MAX_ID),
        fields.whole("created_at", 0, MAX_TS),
    )


READERS: dict[str, Callable[[_Fields], ReadingRecord]] = {
    "read_position": _position,
    "notify_level": _level,
    "direct_room_key": _direct_key,
    "push_key": _key,
    "push_subscription": _subscription,
    "push_switch": _switch,
    "block": _block,
    **STATUS_READERS,
    **HERE_READERS,
}

# --- checking ----------------------------------------------------------------------


@dataclass(slots=True)
class ReadingSeen:
    """What the file's reading records brought so far: each comes once."""

    positions: set[tuple[int, str]] = field(default_factory=set)
    levels: set[tuple[int, str]] = field(default_factory=set)
    endpoints: set[str] = field(default_factory=set)
    switches: set[int] = field(default_factory=set)
    blocks: set[tuple[int, int]] = field(default_factory=set)
    statuses: set[tuple[str, int]] = field(default_factory=set)
    here: set[HereMark] = field(default_factory=set)
    key: bool = False
    direct_key: bool = False


def reading_problem(
    seen: ReadingSeen, record: ReadingRecord, accounts: Container[int], rooms: Sequence[Container[str]]
) -> str | None:
    """What is wrong with the record given the accounts and rooms (in any of ``rooms``) brought before it."""
    if isinstance(record, DirectRoomKey):
        if seen.direct_key:
            return "a second direct rooms' key: an export has one"
        seen.direct_key = True
        return None
    if isinstance(record, PushKey):
        if seen.key:
            return "a second push key: an export has one"
        seen.key = True
        return None
    if isinstance(record, Status | Pause):
        return status_problem(record, accounts, seen.statuses)
    if isinstance(record, HereMark):
        return here_problem(record, accounts, rooms, seen.here)
    if record.account_id not in accounts:
        return f"a {_name(record)} of account {record.account_id}, which no line before it brings"
    if isinstance(record, Block):
        return _block_problem(seen, record, accounts)
    if isinstance(record, PushSwitch):
        if record.account_id in seen.switches:
            return f"account {record.account_id}'s push switch a second time"
        seen.switches.add(record.account_id)
        return None
    if isinstance(record, PushSubscription):
        if record.endpoint in seen.endpoints:
            return "a push subscription whose endpoint an earlier line already brings"
        seen.endpoints.add(record.endpoint)
        return None
    if not any(record.room in brought for brought in rooms):
        return f"a {_name(record)} of room {record.room!r}, which no line before it brings"
    kept = seen.positions if isinstance(record, ReadMark) else seen.levels
    if (record.account_id, record.room) in kept:
        return f"account {record.account_id}'s {_name(record)} of room {record.room!r} a second time"
    kept.add((record.account_id, record.room))
    return None


def _block_problem(seen: ReadingSeen, block: Block, accounts: Container[int]) -> str | None:
    if block.blocked_id not in accounts:
        return f"a block of account {block.blocked_id}, which no line before it brings"
    if block.blocked_id == block.account_id:
        return f"account {block.account_id} blocking itself"
    if (block.account_id, block.blocked_id) in seen.blocks:
        return f"account {block.account_id}'s block of account {block.blocked_id} a second time"
    seen.blocks.add((block.account_id, block.blocked_id))
    return None


def _name(record: ReadingRecord) -> str:
    names = {
        ReadMark: "read position",
        NotifyChoice: "notification level",
        PushSubscription: "push subscription",
        PushSwitch: "push switch",
        Block: "block",
    }
    return names.get(type(record), "record")


# --- storing -----------------------------------------------------------------------


async def import_reading(store: Store, records: Sequence[ReadingRecord]) -> None:
    """Store a batch: the positions in one transaction, then levels, the push key, devices, switches and
    blocks."""
    accounts = store.accounts
    await accounts.mark_read([r for r in records if isinstance(r, ReadMark)])
    await import_here(accounts, [r for r in records if isinstance(r, HereMark)])
    for record in records:
        if isinstance(record, NotifyChoice):
            await accounts.set_notify_level(record.account_id, record.room, record.level)
        elif isinstance(record, PushKey):
            await accounts.get_or_create_secret(VAPID_SECRET, functools.partial(str, record.private_key))
        elif isinstance(record, DirectRoomKey):
            await accounts.get_or_create_secret(DIRECT_ROOM_SECRET, functools.partial(str, record.key))
        elif isinstance(record, PushSwitch):
            await accounts.set_push_enabled(record.account_id, record.enabled)
        elif isinstance(record, PushSubscription):
            await accounts.save_push_subscription(
                record.account_id, record.endpoint, record.p256dh, record.auth, created_at=record.created_at
            )
        elif isinstance(record, Block):
            await accounts.block(record.account_id, record.blocked_id, created_at=record.created_at)
        elif isinstance(record, Status | Pause):
            await import_status(accounts, record)
