"""The moderation history's SQL (acts_base.py has the rules), the same for SQLite and PostgreSQL.

``?`` placeholders; SQLAccounts inherits SQLActs and gives ``_rows``,
``_change`` and ``_change_many``. The stores' change paths run INSERT_ACT
inside their own transactions (a deletion of another's message).
"""

from __future__ import annotations

from collections.abc import Sequence

from .acts_base import ModerationAct
from .sql_statements import SQLStatements

ACT_COLUMNS = "ts, act, actor_id, actor, subject_id, subject, room, message, detail"
INSERT_ACT = f"INSERT INTO moderation_acts ({ACT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
RECORD_ACT = f"{INSERT_ACT} RETURNING id"
# Below an id, newest first: the primary key's index, however long the history.
ACTS = f"SELECT id, {ACT_COLUMNS} FROM moderation_acts WHERE id < ? ORDER BY id DESC LIMIT ?"
# Above every id an act can have (a BIGINT), for "from the newest".
_PAST_NEWEST = 2**63 - 1


def act_values(act: ModerationAct) -> tuple[object, ...]:
    """The act's values for INSERT_ACT."""
    return (
        act.ts, act.act, act.actor_id, act.actor, act.subject_id, act.subject, act.room, act.message,
        act.detail,
    )  # fmt: skip


def _act(row: tuple[object, ...]) -> ModerationAct:
    id_, ts, act, actor_id, actor, subject_id, subject, room, message, detail = row
    assert isinstance(id_, int) and isinstance(ts, int)
    return ModerationAct(
        act=str(act),
        ts=ts,
        actor=str(actor),
        subject=str(subject),
        actor_id=None if actor_id is None else int(str(actor_id)),
        subject_id=None if subject_id is None else int(str(subject_id)),
        room=str(room),
        message=None if message is None else int(str(message)),
        detail=str(detail),
        id=id_,
    )


class SQLActs(SQLStatements):
    """Writing and reading the moderation history."""

    async def record_act(self, act: ModerationAct) -> ModerationAct:
        """Keep the act; it, with its id."""
        rows = await self._change("cannot keep the act of moderation", RECORD_ACT, *act_values(act))
        return _act((rows[0][0], *act_values(act)))

    async def acts(self, *, before_id: int = 0, limit: int = 100) -> list[ModerationAct]:
        """Up to ``limit`` acts with ids below ``before_id`` (0: the newest), newest first."""
        rows = await self._rows(ACTS, before_id or _PAST_NEWEST, limit)
        return [_act(row) for row in rows]

    async def import_acts(self, acts: Sequence[ModerationAct]) -> None:
        """Keep exported acts, oldest first, in one transaction (new ids, in their order)."""
        if acts:
            await self._change_many("cannot import the acts", INSERT_ACT, [act_values(a) for a in acts])
