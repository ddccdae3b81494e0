"""An administrator removes what an account wrote, in every room at once.

``DELETE /api/admin/accounts/{id}/messages``: a troll's flood goes in a few
requests instead of one message at a time. Each message is deleted as an
administrator deletes one on the socket (a change that takes the room's next
id and reaches every member on every node; its text, its edits' texts and its
file are gone from the store), so open pages and ``since`` follow as ever.
Direct and closed rooms included: deleting shows the administrator nothing
of what was said. Guests' messages have no account: they are deleted one by one.
"""

from __future__ import annotations

import asyncio

from . import protocol
from .api import ApiError
from .api_admin import AdminHandler
from .backend import BackendError
from .events import DELETE
from .store.change_rules import Changed, ChangeRefusedError, ChangeRequest

# Messages deleted by one request, stored together (one group commit or a few): the caller asks again
# while the answer says there are more, so that no request holds the store for long.
BATCH = 200


class AccountMessagesHandler(AdminHandler):
    """``DELETE /api/admin/accounts/{id}/messages``: up to BATCH of the account's messages deleted;
    ``{"deleted": N, "more": BOOL}``."""

    async def delete(self, raw_id: str) -> None:
        account = await self.account(raw_id)
        found = await self.unavailable_if_failing(self.backend.messages_of(account.id, limit=BATCH + 1))
        outcomes = await asyncio.gather(
            *(self.backend.change(room, self._deletion(target)) for room, target in found[:BATCH]),
            return_exceptions=True,
        )
        for outcome in outcomes:
            if isinstance(outcome, BaseException) and not isinstance(
                outcome, (BackendError, ChangeRefusedError)
            ):
                raise outcome
        # A message deleted meanwhile by someone else is refused or unchanged: not counted, not a failure.
        deleted = sum(isinstance(outcome, Changed) and outcome.change is not None for outcome in outcomes)
        failed = any(isinstance(outcome, BackendError) for outcome in outcomes)
        if failed and not deleted:
            raise ApiError(503, protocol.UNAVAILABLE, "the chat store is unavailable")
        self.send_json({"deleted": deleted, "more": failed or len(found) > BATCH})

    def _deletion(self, target: int) -> ChangeRequest:
        return ChangeRequest(DELETE, target, self.admin.name, self.admin.account_id, any_author=True)
