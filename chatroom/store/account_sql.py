"""The SQL of the AccountStore, one text for SQLite and PostgreSQL, and rows made into records.

Statements use ``?`` placeholders (the PostgreSQL store turns them into
``%s``) and only what both dialects read alike: ON CONFLICT, RETURNING,
COALESCE, CAST. Booleans go in as Python bools (SQLite keeps 1 and 0) and
come out through ``bool``.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..names import nick_key, normalize_nick, normalize_room, room_key
from .records import (
    ACCOUNT_KINDS,
    DIRECT,
    EVERYONE,
    ONE_TIME_LINKS,
    POSTING_RULES,
    ROLES,
    ROOM_KINDS,
    Account,
    BotKey,
    Link,
    Membership,
    RoomRecord,
    avatar_color,
)

_ACCOUNT = "id, name, name_key, kind, is_admin, external, password_hash, color, created_at, deactivated_at"
_A_ACCOUNT = ", ".join(f"a.{column.strip()}" for column in _ACCOUNT.split(","))
_BOT_KEY = "key_hash, account_id, created_at, revoked_at"
_LINK = "token_hash, kind, account_id, created_at, expires_at, used_at, revoked_at"
_ROOM = (
    "room, kind, title, creator_id, created_at, archived_at, last_id, posting, everyone_in, topic,"
    " room_mentions"
)
ROOM_COLUMNS = _ROOM
# How many they are: a row that holds them among others (way_in.py) is cut by it.
ROOM_WIDTH = len(_ROOM.split(","))
# The room columns of a query that joins rooms AS r (way_in.py reads them too).
R_ROOM = ", ".join(f"r.{column.strip()}" for column in _ROOM.split(","))
_MEMBERSHIP = "room, account_id, role, added_at"

# --- accounts ---------------------------------------------------------------------

INSERT_ACCOUNT = (
    "INSERT INTO accounts (name, name_key, kind, is_admin, external, password_hash, color, created_at)"
    f" VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (name_key) DO NOTHING RETURNING {_ACCOUNT}"
)
NAME_HOLDER = "SELECT id, name FROM accounts WHERE name_key = ?"
ACCOUNT_BY_ID = f"SELECT {_ACCOUNT} FROM accounts WHERE id = ?"
ACCOUNT_BY_KEY = f"SELECT {_ACCOUNT} FROM accounts WHERE name_key = ?"
COUNT_ACCOUNTS = "SELECT count(*) FROM accounts"
LIST_ACCOUNTS = f"SELECT {_ACCOUNT} FROM accounts WHERE id > ? ORDER BY id LIMIT ?"
# ? : the key prefix, then the end of its range twice (NULL: no end), then the limit.
ACTIVE_ACCOUNTS_BY_KEY = (
    f"SELECT {_ACCOUNT} FROM accounts WHERE deactivated_at IS NULL AND name_key >= ?"
    " AND (CAST(? AS TEXT) IS NULL OR name_key < ?) ORDER BY name_key LIMIT ?"
)
SET_PASSWORD_HASH = "UPDATE accounts SET password_hash = ? WHERE id = ? RETURNING id"
RENAME_ACCOUNT = f"UPDATE accounts SET name = ?, name_key = ? WHERE id = ? RETURNING {_ACCOUNT}"
SET_ADMIN = "UPDATE accounts SET is_admin = ? WHERE id = ? RETURNING id"
DEACTIVATE = "UPDATE accounts SET deactivated_at = COALESCE(deactivated_at, ?) WHERE id = ? RETURNING id"
REACTIVATE = "UPDATE accounts SET deactivated_at = NULL WHERE id = ? RETURNING id"

# --- former names: the names accounts were renamed from stay theirs ---------------------

# ? : the account's id; its name as it is now (before the rename) becomes a former name.
KEEP_FORMER_NAME = (
    "INSERT INTO former_names (name_key, account_id, name) SELECT name_key, id, name FROM accounts"
    " WHERE id = ? ON CONFLICT (name_key) DO NOTHING"
)
# ? : the key, the account's id: an account taking back a name it had.
TAKE_BACK_FORMER_NAME = "DELETE FROM former_names WHERE name_key = ? AND account_id = ?"
# ? : the key. Who had a name with it before: (account id, that name).
FORMER_NAME_HOLDER = "SELECT account_id, name FROM former_names WHERE name_key = ?"
FORMER_NAMES_OF = "SELECT name FROM former_names WHERE account_id = ? ORDER BY name_key"
INSERT_FORMER_NAME = (
    "INSERT INTO former_names (name_key, account_id, name) VALUES (?, ?, ?) ON CONFLICT (name_key) DO NOTHING"
)
# ? : the key twice. Whether an account has a name with it now, or had one.
NAME_IS_HELD = (
    "SELECT EXISTS (SELECT 1 FROM accounts WHERE name_key = ?)"
    " OR EXISTS (SELECT 1 FROM former_names WHERE name_key = ?)"
)

# --- sessions ----------------------------------------------------------------------

INSERT_SESSION = (
    "INSERT INTO sessions (id_hash, account_id, created_at, last_seen_at, agent) VALUES (?, ?, ?, ?, ?)"
)
# ? : the id hash, then the oldest last use that still counts.
SESSION_ACCOUNT = (
    f"SELECT s.last_seen_at, {_A_ACCOUNT} FROM sessions s JOIN accounts a ON a.id = s.account_id"
    " WHERE s.id_hash = ? AND s.revoked_at IS NULL AND s.last_seen_at > ? AND a.deactivated_at IS NULL"
)
# ? : the account, then the oldest last use that still counts.
SESSIONS_OF = (
    "SELECT id_hash, created_at, last_seen_at, agent FROM sessions"
    " WHERE account_id = ? AND revoked_at IS NULL AND last_seen_at > ?"
    " ORDER BY last_seen_at DESC, created_at DESC"
)
TOUCH_SESSION = "UPDATE sessions SET last_seen_at = ? WHERE id_hash = ? AND last_seen_at < ?"
REVOKE_SESSION = (
    "UPDATE sessions SET revoked_at = ? WHERE id_hash = ? AND revoked_at IS NULL RETURNING account_id"
)
REVOKE_SESSIONS_OF = (
    "UPDATE sessions SET revoked_at = ? WHERE account_id = ? AND revoked_at IS NULL RETURNING id_hash"
)

# --- bot keys ----------------------------------------------------------------------

INSERT_BOT_KEY = f"INSERT INTO bot_keys ({_BOT_KEY}) VALUES (?, ?, ?, ?)"
BOT_KEY_ACCOUNT = (
    f"SELECT {_A_ACCOUNT} FROM bot_keys k JOIN accounts a ON a.id = k.account_id"
    " WHERE k.key_hash = ? AND k.revoked_at IS NULL AND a.deactivated_at IS NULL"
)
BOT_KEYS_OF = f"SELECT {_BOT_KEY} FROM bot_keys WHERE account_id = ? ORDER BY created_at, key_hash"
REVOKE_BOT_KEY = (
    "UPDATE bot_keys SET revoked_at = ? WHERE key_hash = ? AND revoked_at IS NULL RETURNING account_id"
)
REVOKE_BOT_KEYS_OF = (
    "UPDATE bot_keys SET revoked_at = ? WHERE account_id = ? AND revoked_at IS NULL RETURNING key_hash"
)

# --- links -------------------------------------------------------------------------

_ONE_TIME = ", ".join(f"'{kind}'" for kind in sorted(ONE_TIME_LINKS))
# ? : now.
_USABLE = (
    "revoked_at IS NULL AND (expires_at IS NULL OR expires_at > ?)"
    f" AND (used_at IS NULL OR kind NOT IN ({_ONE_TIME}))"
)
INSERT_LINK = (
    "INSERT INTO links (token_hash, kind, account_id, created_at, expires_at) VALUES (?, ?, ?, ?, ?)"
    f" RETURNING {_LINK}"
)
# ? : now (used), the token's hash, the kind, now.
CONSUME_LINK = (
    f"UPDATE links SET used_at = ? WHERE token_hash = ? AND kind = ? AND {_USABLE} RETURNING {_LINK}"
)
# ? : the token's hash, the kind, now.
FIND_LINK = f"SELECT {_LINK} FROM links WHERE token_hash = ? AND kind = ? AND {_USABLE}"
REVOKE_LINK = "UPDATE links SET revoked_at = ? WHERE token_hash = ? AND revoked_at IS NULL RETURNING kind"
REVOKE_LINKS = "UPDATE links SET revoked_at = ? WHERE kind = ? AND revoked_at IS NULL RETURNING token_hash"
REVOKE_LINKS_OF = (
    "UPDATE links SET revoked_at = ? WHERE kind = ? AND account_id = ?"
    " AND revoked_at IS NULL RETURNING token_hash"
)
ACTIVE_LINKS = f"SELECT {_LINK} FROM links WHERE {_USABLE} ORDER BY created_at, token_hash"
ACTIVE_LINKS_OF_KIND = (
    f"SELECT {_LINK} FROM links WHERE {_USABLE} AND kind = ? ORDER BY created_at, token_hash"
)

# --- rooms and memberships -----------------------------------------------------------

ROOM_HOLDING_KEY = "SELECT room FROM rooms WHERE key = ? ORDER BY room LIMIT 1"
INSERT_ROOM = (
    "INSERT INTO rooms (room, last_id, key, kind, title, creator_id, posting, created_at)"
    f" VALUES (?, 0, ?, ?, ?, ?, ?, ?) RETURNING {_ROOM}"
)
ROOM_RECORD = f"SELECT {_ROOM} FROM rooms WHERE room = ?"
RENAME_ROOM = f"UPDATE rooms SET title = ? WHERE room = ? RETURNING {_ROOM}"
ARCHIVE_ROOM = f"UPDATE rooms SET archived_at = COALESCE(archived_at, ?) WHERE room = ? RETURNING {_ROOM}"
UNARCHIVE_ROOM = f"UPDATE rooms SET archived_at = NULL WHERE room = ? RETURNING {_ROOM}"
# A direct room is its members' own: it never changes who posts (None back, as for no room).
SET_POSTING = f"UPDATE rooms SET posting = ? WHERE room = ? AND kind <> '{DIRECT}' RETURNING {_ROOM}"
SET_TOPIC = f"UPDATE rooms SET topic = ? WHERE room = ? RETURNING {_ROOM}"
SET_ROOM_MENTIONS = f"UPDATE rooms SET room_mentions = ? WHERE room = ? RETURNING {_ROOM}"
# ? : room, account id, role, time; then the room and the account, which must exist.
ADD_MEMBER = (
    "INSERT INTO memberships (room, account_id, role, added_at)"
    " SELECT CAST(? AS TEXT), CAST(? AS BIGINT), CAST(? AS TEXT), CAST(? AS BIGINT)"
    " WHERE EXISTS (SELECT 1 FROM rooms WHERE room = ?) AND EXISTS (SELECT 1 FROM accounts WHERE id = ?)"
    f" ON CONFLICT (room, account_id) DO UPDATE SET role = excluded.role RETURNING {_MEMBERSHIP}"
)
INSERT_MEMBERS = (
    "INSERT INTO memberships (room, account_id, role, added_at) VALUES (?, ?, ?, ?)"
    " ON CONFLICT (room, account_id) DO UPDATE SET role = excluded.role"
)
REMOVE_MEMBER = "DELETE FROM memberships WHERE room = ? AND account_id = ? RETURNING role"
MEMBERSHIP = f"SELECT {_MEMBERSHIP} FROM memberships WHERE room = ? AND account_id = ?"
MEMBERS_OF = f"SELECT {_MEMBERSHIP} FROM memberships WHERE room = ? ORDER BY account_id"
# ? : the room, the key after which the page starts, the prefix's key, the end of its range twice (NULL:
# no end), the limit. A page of members with their accounts, by key: one range of the accounts' name index.
MEMBERS_PAGE = (
    f"SELECT m.room, m.account_id, m.role, m.added_at, {_A_ACCOUNT} FROM memberships m"
    " JOIN accounts a ON a.id = m.account_id WHERE m.room = ? AND a.name_key > ? AND a.name_key >= ?"
    " AND (CAST(? AS TEXT) IS NULL OR a.name_key < ?) ORDER BY a.name_key LIMIT ?"
)
COUNT_MEMBERS = "SELECT count(*) FROM memberships WHERE room = ?"
# ? : kind, after, prefix, the end of the prefix (or NULL), limit.
ROOMS_OF_KIND = (
    f"SELECT {_ROOM} FROM rooms WHERE kind = ? AND room > ? AND room >= ?"
    " AND (CAST(? AS TEXT) IS NULL OR room < ?) ORDER BY room LIMIT ?"
)
ROOMS_OF = (
    f"SELECT {R_ROOM} FROM memberships m JOIN rooms r ON r.room = m.room"
    " WHERE m.account_id = ? ORDER BY r.room"
)

# --- secrets -----------------------------------------------------------------------------

INSERT_SECRET = "INSERT INTO secrets (name, value) VALUES (?, ?) ON CONFLICT (name) DO NOTHING"
SECRET = "SELECT value FROM secrets WHERE name = ?"

# --- import ------------------------------------------------------------------------------

IMPORT_ACCOUNT_COLUMNS = f"INSERT INTO accounts ({_ACCOUNT})"
IMPORT_ACCOUNT_VALUES = " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
IMPORT_ROOM = (
    "INSERT INTO rooms (room, last_id, key, kind, title, creator_id, created_at, archived_at, posting,"
    " everyone_in, topic, room_mentions) VALUES (?, 0, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
    " ON CONFLICT (room) DO UPDATE SET kind = excluded.kind,"
    " title = excluded.title, creator_id = excluded.creator_id, created_at = excluded.created_at,"
    " archived_at = excluded.archived_at, posting = excluded.posting, everyone_in = excluded.everyone_in,"
    " topic = excluded.topic, room_mentions = excluded.room_mentions"
)
IMPORT_MEMBERSHIP = (
    "INSERT INTO memberships (room, account_id, role, added_at) VALUES (?, ?, ?, ?)"
    " ON CONFLICT (room, account_id) DO UPDATE SET role = excluded.role, added_at = excluded.added_at"
)


# --- rows into records ----------------------------------------------------------------------


def _optional_int(value: object) -> int | None:
    return None if value is None else int(value)  # type: ignore[call-overload]


def account(row: Sequence[object]) -> Account:
    """An Account from a row of the account columns."""
    account_id, name, name_key, kind, is_admin, external, password_hash, color, created_at, deactivated_at = (
        row
    )
    return Account(
        id=int(account_id),  # type: ignore[call-overload]
        name=str(name),
        name_key=str(name_key),
        kind=str(kind),
        is_admin=bool(is_admin),
        external=bool(external),
        password_hash=None if password_hash is None else str(password_hash),
        color=str(color),
        created_at=int(created_at),  # type: ignore[call-overload]
        deactivated_at=_optional_int(deactivated_at),
    )


def bot_key(row: Sequence[object]) -> BotKey:
    """A BotKey from a row of the bot key columns."""
    key_hash, account_id, created_at, revoked_at = row
    return BotKey(bytes(key_hash), int(account_id), int(created_at), _optional_int(revoked_at))  # type: ignore[call-overload]


def link(row: Sequence[object]) -> Link:
    """A Link from a row of the link columns."""
    token_hash, kind, account_id, created_at, expires_at, used_at, revoked_at = row
    return Link(
        token_hash=bytes(token_hash),  # type: ignore[call-overload]
        kind=str(kind),
        account_id=_optional_int(account_id),
        created_at=int(created_at),  # type: ignore[call-overload]
        expires_at=_optional_int(expires_at),
        used_at=_optional_int(used_at),
        revoked_at=_optional_int(revoked_at),
    )


def room(row: Sequence[object]) -> RoomRecord:
    """A RoomRecord from a row of the room columns."""
    name, kind, title, creator_id, created_at, archived_at, last_id, posting, everyone_in, topic = row[:10]
    mentions = row[10]
    return RoomRecord(
        room=str(name),
        kind=str(kind),
        title=None if title is None else str(title),
        creator_id=_optional_int(creator_id),
        created_at=_optional_int(created_at),
        archived_at=_optional_int(archived_at),
        last_id=int(last_id),  # type: ignore[call-overload]
        posting=str(posting),
        everyone_in=bool(everyone_in),
        topic=str(topic),
        room_mentions=str(mentions),
    )


def membership(row: Sequence[object]) -> Membership:
    """A Membership from a row of the membership columns."""
    name, account_id, role, added_at = row
    return Membership(str(name), int(account_id), str(role), int(added_at))  # type: ignore[call-overload]


def import_room_values(record: RoomRecord) -> tuple[object, ...]:
    """A room's values in the order of IMPORT_ROOM's."""
    r = record
    key = room_key(r.room)
    return (
        *(r.room, key, r.kind, r.title, r.creator_id, r.created_at, r.archived_at),
        *(r.posting, r.everyone_in, r.topic, r.room_mentions),
    )


def account_values(record: Account) -> tuple[object, ...]:
    """An account's values in the order of the account columns (for import)."""
    return (
        record.id,
        record.name,
        record.name_key,
        record.kind,
        record.is_admin,
        record.external,
        record.password_hash,
        record.color,
        record.created_at,
        record.deactivated_at,
    )


# --- values checked before any I/O ------------------------------------------------------------


def new_account(
    name: str, kind: str, is_admin: bool, password_hash: str | None, external: bool, now: int
) -> tuple[object, ...]:
    """INSERT_ACCOUNT's values for a new account; BadNameError, or ValueError for an unknown kind."""
    if kind not in ACCOUNT_KINDS:
        raise ValueError(f"an account is one of {ACCOUNT_KINDS}, not {kind!r}")
    name = normalize_nick(name)
    key = nick_key(name)
    return (name, key, kind, is_admin, external, password_hash, avatar_color(key), now)


def new_room(
    room: str,
    kind: str,
    title: str | None,
    creator_id: int | None,
    members: Sequence[int],
    now: int,
    posting: str = EVERYONE,
) -> tuple[tuple[object, ...], list[int]]:
    """INSERT_ROOM's values for a new room, and its members besides the creator.

    BadNameError for a bad name; ValueError for an unknown kind or posting
    rule, a direct room of fewer than two accounts, or one where not everyone posts.
    """
    if kind not in ROOM_KINDS:
        raise ValueError(f"a room is one of {ROOM_KINDS}, not {kind!r}")
    check_posting(posting, kind)
    room = normalize_room(room)
    others = sorted(set(members) - {creator_id} if creator_id is not None else set(members))
    if kind == DIRECT and len(others) + (creator_id is not None) < 2:
        raise ValueError("a direct room is a conversation of two accounts or more")
    # The time last: the stores read it there for the memberships.
    return (room, room_key(room), kind, title, creator_id, posting, now), others


def check_posting(posting: str, kind: str) -> str:
    """The posting rule, or ValueError: an unknown one, or a direct room's other than EVERYONE."""
    if posting not in POSTING_RULES:
        raise ValueError(f"posting is one of {POSTING_RULES}, not {posting!r}")
    if kind == DIRECT and posting != EVERYONE:
        raise ValueError("everyone posts in a direct room")
    return posting


def check_role(role: str) -> str:
    """The role, or ValueError."""
    if role not in ROLES:
        raise ValueError(f"a role is one of {ROLES}, not {role!r}")
    return role
