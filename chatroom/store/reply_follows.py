"""The follows a thread reply writes in its own transaction (schema step 35): SQL both dialects share.

Its author, when a person (not a guest, not a bot), follows the thread,
read up to the reply; the root's author, when a person other than the
reply's, follows it unless they have a row of it already (they may have
left it: docs/protocol.md, "Followed threads"). Written with the reply, a
follow is never lost to a process that dies just after storing it; those
the reply mentions follow it after (thread_following.py), since who they
are depends on who may read the room. Live replies only: an import carries
the export's own rows. Placeholders are ``?``; PostgreSQL callers swap them
for ``%s``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from ..events import StoredMessage
from .sql_thread_follows import HIGHER_READ

_COLUMNS = "INSERT INTO thread_follows (account_id, room, root_id, following, read_id)"
# Both read the account from ``accounts``: a follow's row can never fail its batch (the table's key on
# ``accounts``), whatever id a caller gave. The author's raises a position, as FOLLOW does.
AUTHOR_FOLLOWS = (
    f"{_COLUMNS} SELECT id, ?, ?, TRUE, ? FROM accounts WHERE id = ?"
    f" ON CONFLICT (account_id, room, root_id) DO UPDATE SET following = TRUE, {HIGHER_READ}"
)
# No account has id 0: a guest's or a bot's reply leaves the root's author in.
_NOBODY = 0
ROOT_AUTHOR_FOLLOWS = (
    f"{_COLUMNS} SELECT m.account_id, m.room, m.id, TRUE, 0 FROM messages m"
    " WHERE m.room = ? AND m.id = ? AND NOT m.bot AND NOT m.guest AND m.account_id <> ?"
    " AND EXISTS (SELECT 1 FROM accounts a WHERE a.id = m.account_id)"
    " ON CONFLICT DO NOTHING"
)


def reply_follows(messages: Iterable[StoredMessage]) -> list[tuple[str, Sequence[Sequence[object]]]]:
    """The statements, each with its rows, that store who follows the threads of new ``messages``."""
    replies = [m for m in messages if m.thread is not None]
    authors: list[Sequence[object]] = [
        (m.room, m.thread, m.id, author) for m in replies if (author := person_of(m)) is not None
    ]
    roots: list[Sequence[object]] = [(m.room, m.thread, person_of(m) or _NOBODY) for m in replies]
    return [(AUTHOR_FOLLOWS, authors), (ROOT_AUTHOR_FOLLOWS, roots)]


def person_of(message: StoredMessage) -> int | None:
    """The account of a message's author when a person wrote it (not a guest, not a bot): who follows."""
    return None if message.bot or message.guest else message.account_id
