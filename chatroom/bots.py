"""Bot accounts: their keys and the rooms they post in, the same for the admin command and the API.

A bot is an account of kind ``bot``: it never signs in, it posts with an
API key (``Authorization: Bearer KEY``) to the rooms it is a member of, under
its own name. A key is shown once, when it is made; the store keeps its
SHA-256 only. A key is known to administrators by ``key_id``: the first
hex digits of that hash, which say nothing of the key itself.
"""

from __future__ import annotations

from collections.abc import Sequence

from .names import is_direct_name, normalize_room
from .store.accounts_base import AccountStore, RoomTakenError
from .store.records import BOT, DIRECT, MEMBER, OPEN, Account, BotKey, Membership
from .tokens import new_token, token_hash

# Hex digits of a key's hash that name it to administrators (collisions among
# one bot's few keys are negligible at 48 bits).
KEY_ID_DIGITS = 12


class BotError(Exception):
    """What was asked cannot be done to this account; ``str()`` says why."""


class DirectRoomError(BotError):
    """A direct conversation is its people's alone: no bot is put in one, nor in a name kept for one."""


class BarredBotError(BotError):
    """The room's owner or an administrator barred the bot from it: a membership would not let it in."""


def bot_room(raw: str) -> str:
    """A room name a bot may be put in, normalised: BadNameError, or DirectRoomError."""
    room = normalize_room(raw)
    if is_direct_name(room):
        raise DirectRoomError(f"{room!r} is a direct conversation's name: no bot is put in one")
    return room


def key_id(key: BotKey) -> str:
    """The name administrators know a key by: the start of its hash."""
    return key.key_hash.hex()[:KEY_ID_DIGITS]


async def create_bot(accounts: AccountStore, name: str, rooms: Sequence[str] = ()) -> tuple[Account, str]:
    """A new bot account, its first API key, its memberships of ``rooms``.

    BadNameError, NameTakenError for the name; see put_in_room for the rooms.
    The rooms' names are checked first: a bad one makes no bot.
    """
    rooms = [bot_room(room) for room in rooms]
    bot = await accounts.create_account(name, BOT)
    key = await issue_key(accounts, bot)
    for room in rooms:
        await put_in_room(accounts, bot, room)
    return bot, key


async def issue_key(accounts: AccountStore, bot: Account) -> str:
    """A new key of the bot (its other keys keep working until revoked): the key, to show once."""
    if not bot.is_bot:
        raise BotError(f"{bot.name!r} is a person: people sign in, only bots have keys")
    key = new_token()
    await accounts.create_bot_key(bot.id, token_hash(key))
    return key


async def revoke_key(accounts: AccountStore, bot: Account, wanted: str) -> bool:
    """Revoke the bot's key whose key_id is ``wanted``; whether one was in force."""
    for key in await accounts.bot_keys_of(bot.id):
        if key_id(key) == wanted:
            return await accounts.revoke_bot_key(key.key_hash)
    return False


async def put_in_room(
    accounts: AccountStore, bot: Account, room: str, *, creator_id: int | None = None
) -> Membership:
    """Make the bot a member of the room; a room that does not exist is created, open.

    BadNameError for a bad room name, RoomTakenError for a look-alike of
    another room's name, DirectRoomError for a direct conversation,
    BarredBotError for a room the bot is barred from, BotError for a person's
    account.
    """
    if not bot.is_bot:
        raise BotError(f"{bot.name!r} is a person: rooms' members are managed with the rooms")
    room = bot_room(room)
    record = await accounts.room_record(room)
    if record is not None and record.kind == DIRECT:
        raise DirectRoomError(f"{room!r} is a direct conversation: no bot is put in one")
    if record is not None and await accounts.room_bar(room, bot.id) is not None:
        raise BarredBotError(f"{bot.name!r} is barred from this room: lift the bar first")
    if record is None:
        try:
            await accounts.create_room(room, OPEN, creator_id=creator_id, members=[bot.id])
        except RoomTakenError as error:
            if error.holder != room:
                raise
    membership = await accounts.add_member(room, bot.id, MEMBER)
    if membership is None:
        raise BotError(f"the room {room!r} or the bot {bot.name!r} is gone")
    return membership
