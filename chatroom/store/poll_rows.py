"""Polls' votes from rows: the SQL both dialects share, no I/O (schema step 40).

A page's polls are read with their votes (``poll_votes``, in the order they
were given) and whether each was closed (a ``close_poll`` change), in one more
query, asked only when the page holds a poll. ``{0}`` is the dialect's placeholder.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace

from ..events import CLOSE_POLL, StoredMessage
from ..polls import is_poll_text

# (target, option, nick) a vote, in order; (target, -1, nick) who closed it. {1}: the targets' marks.
VOTES_SQL = (
    "SELECT target, option_index, nick, id FROM poll_votes WHERE room = {0} AND target IN ({1})"
    f" UNION ALL SELECT target, -1, nick, id FROM changes WHERE room = {{0}} AND kind = '{CLOSE_POLL}'"
    " AND target IN ({1}) ORDER BY 1, 4"
)
# What a vote or a close reads of its poll: whether it is closed, the options the asker chose.
CLOSED_SQL = (
    f"SELECT EXISTS (SELECT 1 FROM changes WHERE room = {{0}} AND target = {{0}} AND kind = '{CLOSE_POLL}')"
)
VOTED_SQL = "SELECT option_index FROM poll_votes WHERE room = {0} AND target = {0} AND account_id = {0}"
# A vote put (room, target, option, account, nick, id); taken back (room, target, option, account);
# every vote of one person, replaced on a poll of one choice (room, target, account); a poll's votes,
# gone with it (room, target).
INSERT_VOTE = (
    "INSERT INTO poll_votes (room, target, option_index, account_id, nick, id)"
    " VALUES ({0}, {0}, {0}, {0}, {0}, {0})"
)
TAKE_BACK_VOTE = (
    "DELETE FROM poll_votes WHERE room = {0} AND target = {0} AND option_index = {0} AND account_id = {0}"
)
TAKE_BACK_ALL = "DELETE FROM poll_votes WHERE room = {0} AND target = {0} AND account_id = {0}"
DROP_VOTES = "DELETE FROM poll_votes WHERE room = {0} AND target = {0}"


def poll_ids(messages: Iterable[StoredMessage]) -> list[int]:
    """The ids of the polls among the messages (deleted ones are none)."""
    return [m.id for m in messages if not m.deleted and is_poll_text(m.text)]


def votes_sql(count: int, placeholder: str) -> str:
    """VOTES_SQL for ``count`` polls of one room (its parameters: room, ids, room, ids)."""
    return VOTES_SQL.format(placeholder, ", ".join([placeholder] * count))


def with_votes(messages: list[StoredMessage], rows: Iterable[Sequence[object]]) -> list[StoredMessage]:
    """The messages, each poll with its votes and whether it was closed, from rows of VOTES_SQL."""
    votes: dict[int, list[tuple[int, str]]] = {}
    closed: set[int] = set()
    for target, option, nick, _ in rows:
        assert isinstance(target, int) and isinstance(option, int)
        if option < 0:
            closed.add(target)
        else:
            votes.setdefault(target, []).append((option, str(nick)))
    return [
        replace(m, votes=tuple(votes.get(m.id, ())), poll_closed=m.id in closed)
        if m.id in votes or m.id in closed
        else m
        for m in messages
    ]
