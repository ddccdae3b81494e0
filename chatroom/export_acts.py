"""The moderation history in an export: ``moderation_act`` records, the last lines, oldest first.

``{"ts", "act", "actor", "actor_account", "subject", "subject_account",
"room", "message", "detail"}`` (store/acts_base.py): who did what to whom,
with the accounts as they were numbered (null for a guest, or an account
the file does not bring). An import keeps them in their order and times,
with ids of its own database.
"""

from __future__ import annotations

from collections.abc import Container
from typing import IO

import orjson

from .export_fields import MAX_ID, MAX_TS
from .export_fields import Fields as _Fields
from .store.acts_base import ACT_KINDS, ModerationAct
from .store.base import Store

PAGE = 500


def act_line(act: ModerationAct) -> bytes:
    """The line of one act."""
    record = {
        "type": "moderation_act",
        "ts": act.ts,
        "act": act.act,
        "actor": act.actor,
        "actor_account": act.actor_id,
        "subject": act.subject,
        "subject_account": act.subject_id,
        "room": act.room,
        "message": act.message,
        "detail": act.detail,
    }
    return orjson.dumps(record) + b"\n"


async def export_acts(store: Store, out: IO[bytes]) -> None:
    """Write the history oldest first, a page at a time.

    The store reads it newest first: a first pass notes where each page
    starts (an id above its newest act, so acts kept meanwhile stay out of
    it), then the pages are read again from the oldest.
    """
    starts: list[int] = []
    before = 0
    while page := await store.accounts.acts(before_id=before, limit=PAGE):
        starts.append(page[0].id + 1)
        before = page[-1].id
    for start in reversed(starts):
        acts = await store.accounts.acts(before_id=start, limit=PAGE)
        out.write(b"".join(act_line(act) for act in reversed(acts)))


def read_act(fields: _Fields) -> ModerationAct:
    """An act's line, each field checked."""
    return ModerationAct(
        act=fields.choice("act", ACT_KINDS),
        ts=fields.whole("ts", 0, MAX_TS),
        actor=fields.text("actor"),
        subject=fields.text("subject"),
        actor_id=fields.optional_id("actor_account"),
        subject_id=fields.optional_id("subject_account"),
        room=fields.any_text("room"),
        message=None if fields.data.get("message") is None else fields.whole("message", 1, MAX_ID),
        detail=fields.any_text("detail"),
    )


def act_problem(act: ModerationAct, accounts: Container[int]) -> str | None:
    """What is wrong with the act given the accounts the file brought before it."""
    for account in (act.actor_id, act.subject_id):
        if account is not None and account not in accounts:
            return f"an act of moderation naming account {account}, which no line before it brings"
    return None
