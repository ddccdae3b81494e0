"""SQLThreadFollows: the followed threads of an AccountStore (thread_follows_base.py), one SQL text for
either dialect."""

from __future__ import annotations

from collections.abc import Sequence

from .records import ThreadFollow
from .sql_statements import SQLStatements, whole

_FOLLOW = "account_id, room, root_id, following, read_id"
HIGHER_READ = (
    "read_id = CASE WHEN excluded.read_id > thread_follows.read_id"
    " THEN excluded.read_id ELSE thread_follows.read_id END"
)
FOLLOW = (
    f"INSERT INTO thread_follows ({_FOLLOW}) VALUES (?, ?, ?, ?, ?)"
    f" ON CONFLICT (account_id, room, root_id) DO UPDATE SET following = excluded.following, {HIGHER_READ}"
)
FOLLOW_IF_NEW = f"INSERT INTO thread_follows ({_FOLLOW}) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING"
READ = (
    "UPDATE thread_follows SET read_id = ? WHERE account_id = ? AND room = ? AND root_id = ? AND read_id < ?"
)
ONE = f"SELECT {_FOLLOW} FROM thread_follows WHERE account_id = ? AND room = ? AND root_id = ?"
# The newest reply that is not deleted, its id and time, by the thread index (schema step 32).
_NEWEST = (
    "SELECT max(m.{}) FROM messages m WHERE m.room = f.room AND m.thread_id = f.root_id AND NOT m.deleted"
)
FOLLOWED = (
    f"SELECT {_FOLLOW}, ({_NEWEST.format('id')}), ({_NEWEST.format('ts')})"
    " FROM thread_follows f WHERE f.account_id = ? AND f.following"
)
FOLLOWERS = f"SELECT {_FOLLOW} FROM thread_follows WHERE room = ? AND root_id = ? ORDER BY account_id"
OF_ACCOUNT = f"SELECT {_FOLLOW} FROM thread_follows WHERE account_id = ? ORDER BY room, root_id"
IMPORT = (
    f"INSERT INTO thread_follows ({_FOLLOW}) VALUES (?, ?, ?, ?, ?) ON CONFLICT (account_id, room, root_id)"
    " DO UPDATE SET following = excluded.following, read_id = excluded.read_id"
)


def thread_follow(row: Sequence[object]) -> ThreadFollow:
    """A ThreadFollow from a row of the follow columns (and the newest reply's id and time, when read)."""
    account_id, room, root_id, following, read_id = row[:5]
    last, last_at = row[5:7] if len(row) > 5 else (None, None)
    return ThreadFollow(
        account_id=whole(account_id),
        room=str(room),
        root_id=whole(root_id),
        following=bool(following),
        read_id=whole(read_id),
        last_reply_id=None if last is None else whole(last),
        last_reply_at=None if last_at is None else whole(last_at),
    )


class SQLThreadFollows(SQLStatements):
    """The threads each person follows."""

    async def follow_thread(
        self,
        account_id: int,
        room: str,
        root: int,
        *,
        following: bool = True,
        read_id: int = 0,
        again: bool = True,
    ) -> None:
        """Follow it or not, in one statement."""
        statement = FOLLOW if again else FOLLOW_IF_NEW
        await self._change("cannot follow the thread", statement, account_id, room, root, following, read_id)

    async def read_thread(self, account_id: int, room: str, root: int, read_id: int) -> ThreadFollow | None:
        """Move the position up, then read the row."""
        await self._change("cannot mark the thread read", READ, read_id, account_id, room, root, read_id)
        return await self.thread_follow(account_id, room, root)

    async def thread_follow(self, account_id: int, room: str, root: int) -> ThreadFollow | None:
        """The row, if any."""
        rows = await self._rows(ONE, account_id, room, root)
        return thread_follow(rows[0]) if rows else None

    async def followed_threads(self, account_id: int) -> list[ThreadFollow]:
        """The followed ones with their newest replies."""
        return [thread_follow(row) for row in await self._rows(FOLLOWED, account_id)]

    async def thread_followers(self, room: str, root: int) -> list[ThreadFollow]:
        """Every row of the thread."""
        return [thread_follow(row) for row in await self._rows(FOLLOWERS, room, root)]

    async def thread_follows_of(self, account_id: int) -> list[ThreadFollow]:
        """Every row of the person."""
        return [thread_follow(row) for row in await self._rows(OF_ACCOUNT, account_id)]

    async def import_thread_follows(self, follows: Sequence[ThreadFollow]) -> None:
        """The export's rows in one transaction."""
        rows = [(f.account_id, f.room, f.root_id, f.following, f.read_id) for f in follows]
        await self._change_many("cannot import followed threads", IMPORT, rows)
