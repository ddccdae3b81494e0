"""Read positions, unread counts and notification levels: the ReadingStore in SQL both dialects read alike.

SQLAccounts inherits it and gives ``_rows``, ``_change`` and ``_change_many``
(chatroom/store/reading_base.py has the rules).
"""

from __future__ import annotations

from collections.abc import Sequence

from ..mentions import mentions_here, mentions_reader
from .reading_base import DEFAULT_NOTIFY_LEVEL, NOTIFY_LEVELS, UNREAD_CAP, Follower, ReadMark, Unread
from .sql_groups import GROUPS_OF
from .sql_statements import SQLStatements, whole

# The one place that says which rows count as unread for a reader: the room's messages after the
# position, not the reader's own, newest first. ? : room, position, the reader's name, how many.
# Changes to messages (their own table) never count; a deleted message no longer does.
UNREAD_MESSAGES = (
    "SELECT id, message FROM messages WHERE room = ? AND id > ? AND nick <> ? AND NOT deleted"
    " ORDER BY id DESC LIMIT ?"
)
# The same, without the messages of the people the reader blocked: by their author's account, which
# holds for what they wrote under a name they had before (a message of no account, by its name). ? :
# room, position, the reader's name, the reader's account twice, how many.
UNREAD_MESSAGES_UNBLOCKED = (
    "SELECT id, message FROM messages WHERE room = ? AND id > ? AND nick <> ? AND NOT deleted"
    " AND nick NOT IN (SELECT a.name FROM blocks b JOIN accounts a ON a.id = b.blocked_id"
    " WHERE b.account_id = ?)"
    " AND (account_id IS NULL OR account_id NOT IN (SELECT blocked_id FROM blocks WHERE account_id = ?))"
    " ORDER BY id DESC LIMIT ?"
)
# ? : room, account, position. The messages after it whose @here the account was online for.
WAS_HERE = "SELECT message_id FROM here_mentions WHERE room = ? AND account_id = ? AND message_id > ?"
# ? : room, account, message.
RECORD_HERE = (
    "INSERT INTO here_mentions (room, account_id, message_id) VALUES (?, ?, ?)"
    " ON CONFLICT (room, account_id, message_id) DO NOTHING"
)
HERE_OF = "SELECT room, message_id FROM here_mentions WHERE account_id = ? ORDER BY room, message_id"
# ? : account, the mark twice, room. Never past the room's newest id; never back (ON CONFLICT).
MARK_READ = (
    "INSERT INTO read_positions (account_id, room, last_read_id)"
    " SELECT CAST(? AS BIGINT), room, CASE WHEN last_id < CAST(? AS BIGINT) THEN last_id"
    " ELSE CAST(? AS BIGINT) END FROM rooms WHERE room = ?"
    " ON CONFLICT (account_id, room) DO UPDATE SET last_read_id = CASE"
    " WHEN excluded.last_read_id > read_positions.last_read_id THEN excluded.last_read_id"
    " ELSE read_positions.last_read_id END"
)
# ? : account, the position twice, room. Back or forth (marking unread), never past the room's newest id.
SET_READ_POSITION = (
    "INSERT INTO read_positions (account_id, room, last_read_id)"
    " SELECT CAST(? AS BIGINT), room, CASE WHEN last_id < CAST(? AS BIGINT) THEN last_id"
    " ELSE CAST(? AS BIGINT) END FROM rooms WHERE room = ?"
    " ON CONFLICT (account_id, room) DO UPDATE SET last_read_id = excluded.last_read_id"
)
READ_POSITION = "SELECT last_read_id FROM read_positions WHERE account_id = ? AND room = ?"
FORGET_READ_POSITION = "DELETE FROM read_positions WHERE account_id = ? AND room = ? RETURNING room"
READ_POSITIONS = "SELECT room, last_read_id FROM read_positions WHERE account_id = ?"
# ? : room four times. The followers, each with its position and level (NULL: none stored); never one
# barred from the room (a member no more, and no position of an open room counts).
FOLLOWERS = (
    "SELECT f.account_id, p.last_read_id, n.level FROM ("
    "SELECT account_id FROM memberships WHERE room = ?"
    " UNION SELECT p.account_id FROM read_positions p JOIN rooms r ON r.room = p.room"
    " WHERE p.room = ? AND r.kind = 'open'"
    " AND NOT EXISTS (SELECT 1 FROM room_bars b WHERE b.room = p.room AND b.account_id = p.account_id)) f"
    " LEFT JOIN read_positions p ON p.account_id = f.account_id AND p.room = ?"
    " LEFT JOIN notify_levels n ON n.account_id = f.account_id AND n.room = ?"
    " ORDER BY f.account_id"
)
NOTIFY_LEVEL = "SELECT level FROM notify_levels WHERE account_id = ? AND room = ?"
NOTIFY_LEVELS_OF = "SELECT room, level FROM notify_levels WHERE account_id = ?"
# ? : account, level, room.
SET_NOTIFY_LEVEL = (
    "INSERT INTO notify_levels (account_id, room, level)"
    " SELECT CAST(? AS BIGINT), room, CAST(? AS TEXT) FROM rooms WHERE room = ?"
    " ON CONFLICT (account_id, room) DO UPDATE SET level = excluded.level RETURNING level"
)


class SQLReading(SQLStatements):
    """Where accounts have read up to, what is unread, and how they are told of it."""

    async def mark_read(self, marks: Sequence[ReadMark]) -> None:
        """Move each position up to its mark (never back, never past the room's newest id), at once."""
        if marks:
            rows = [(m.account_id, m.last_read_id, m.last_read_id, m.room) for m in marks]
            await self._change_many("cannot store read positions", MARK_READ, rows)

    async def set_read_position(self, account_id: int, room: str, read_id: int) -> None:
        """Put the position at ``read_id``, lower or higher (never past the room's newest id)."""
        row = (account_id, read_id, read_id, room)
        await self._change_many("cannot store a read position", SET_READ_POSITION, [row])

    async def read_position(self, account_id: int, room: str) -> int | None:
        """Where the account has read the room up to; None when never marked."""
        rows = await self._rows(READ_POSITION, account_id, room)
        return whole(rows[0][0]) if rows else None

    async def read_positions(self, account_id: int) -> dict[str, int]:
        """Every room the account marked read, with its position."""
        return {str(room): whole(last) for room, last in await self._rows(READ_POSITIONS, account_id)}

    async def forget_read_position(self, account_id: int, room: str) -> None:
        """Drop the account's position in the room."""
        await self._change("cannot forget the read position", FORGET_READ_POSITION, account_id, room)

    async def unread_in(
        self, room: str, after_id: int, reader: str, *, reader_id: int | None = None, whole_room: bool = True
    ) -> Unread:
        """The messages after ``after_id`` not sent by ``reader`` (nor by whom ``reader_id`` blocked):
        how many (capped), how many mention the reader (by name, or a group of ``reader_id``'s) or, with
        ``whole_room``, the whole room."""
        if reader_id is None:
            rows = await self._rows(UNREAD_MESSAGES, room, after_id, reader, UNREAD_CAP)
        else:
            rows = await self._rows(
                UNREAD_MESSAGES_UNBLOCKED, room, after_id, reader, reader_id, reader_id, UNREAD_CAP
            )
        texts = [(whole(message_id), str(text)) for message_id, text in rows]
        here: set[int] = set()
        if reader_id is not None and whole_room and any(mentions_here(text) for _, text in texts):
            here = {whole(m) for (m,) in await self._rows(WAS_HERE, room, reader_id, after_id)}
        groups: list[str] = []
        if reader_id is not None and any("@" in text for _, text in texts):
            groups = [str(name) for (name,) in await self._rows(GROUPS_OF, reader_id)]
        mentioning = sum(
            1
            for message_id, text in texts
            if mentions_reader(
                text, reader, whole_room=whole_room, was_here=message_id in here, groups=groups
            )
        )
        return Unread(len(texts), mentioning)

    async def record_here(self, room: str, message_id: int, account_ids: Sequence[int]) -> None:
        """Write down who was online in the room when its message ``message_id`` said ``@here``."""
        rows = [(room, account_id, message_id) for account_id in sorted(set(account_ids))]
        if rows:
            await self._change_many("cannot record who was here", RECORD_HERE, rows)

    async def here_of(self, account_id: int) -> list[tuple[str, int]]:
        """Every (room, message id) whose ``@here`` the account was online for, in order."""
        return [(str(room), whole(m)) for room, m in await self._rows(HERE_OF, account_id)]

    async def followers(self, room: str) -> list[Follower]:
        """The members, and for an open room those who marked it read: one query for them all."""
        return [
            Follower(
                whole(account_id),
                None if read_id is None else whole(read_id),
                str(level or DEFAULT_NOTIFY_LEVEL),
            )
            for account_id, read_id, level in await self._rows(FOLLOWERS, room, room, room, room)
        ]

    async def notify_level(self, account_id: int, room: str) -> str:
        """The account's level for the room; ``all`` unless set."""
        rows = await self._rows(NOTIFY_LEVEL, account_id, room)
        return str(rows[0][0]) if rows else DEFAULT_NOTIFY_LEVEL

    async def notify_levels(self, account_id: int) -> dict[str, str]:
        """The rooms whose level the account set."""
        return {str(room): str(level) for room, level in await self._rows(NOTIFY_LEVELS_OF, account_id)}

    async def set_notify_level(self, account_id: int, room: str, level: str) -> bool:
        """Set the level; whether the room exists."""
        if level not in NOTIFY_LEVELS:
            raise ValueError(f"a notification level is one of {', '.join(NOTIFY_LEVELS)}, not {level!r}")
        return bool(
            await self._change("cannot set the notification level", SET_NOTIFY_LEVEL, account_id, level, room)
        )
