"""The moderation history, read by administrators: who deactivated, removed or deleted what of whom.

``GET /api/admin/moderation?before=ID&limit=N``: the acts newest first
(store/acts_base.py), ``next`` the page of older ones (null at the end).
Each act names who did it, to whom, where and which message, never what a
message said: the store keeps no deleted text, so an administrator reads no
word of a closed or direct room they are not in here.
"""

from __future__ import annotations

from typing import Any

from .api import one_page
from .api_admin import DEFAULT_PAGE, MAX_PAGE, AdminHandler
from .store.acts_base import ModerationAct


def act_entry(act: ModerationAct) -> dict[str, Any]:
    """An act as the API tells it: ``room`` and ``message`` null where the act has none."""
    return {
        "id": act.id,
        "ts": act.ts,
        "act": act.act,
        "actor": act.actor,
        "actor_account": act.actor_id,
        "subject": act.subject,
        "subject_account": act.subject_id,
        "room": act.room or None,
        "message": act.message,
        "detail": act.detail,
    }


class ModerationHistoryHandler(AdminHandler):
    """``GET /api/admin/moderation?before=ID&limit=N``: a page of acts, newest first."""

    async def get(self) -> None:
        before = self.int_argument("before") or 0
        limit = self.limit_argument(DEFAULT_PAGE, MAX_PAGE)
        page = await self.unavailable_if_failing(
            self.backend.accounts.acts(before_id=before, limit=limit + 1)
        )
        page, more = one_page(page, limit)
        following = f"/api/admin/moderation?before={page[-1].id}&limit={limit}" if more else None
        self.send_json({"acts": [act_entry(act) for act in page], "next": following})
