"""An administrator removes what an account wrote, and its reactions, in every room at once.

``DELETE /api/admin/accounts/{id}/messages``: a troll's flood and its
offensive emoji go in a few requests instead of one at a time. Each message
is deleted as an administrator deletes one on the socket, and each reaction
taken back as its author would take it back: changes that take the room's
next id and reach every member on every node (a deleted message's text, its
edits' texts and its file are gone from the store), so open pages and
``since`` follow as ever. Direct and closed rooms included: deleting shows
the administrator nothing of what was said. Guests' messages have no
account: they are deleted one by one.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Iterable

from . import protocol
from .api import ApiError
from .api_admin import AdminHandler
from .backend import BackendError
from .events import DELETE, REACTION
from .moderation import audit
from .store.acts_base import DELETE_EVERYTHING
from .store.change_rules import Changed, ChangeRefusedError, ChangeRequest

# Messages deleted, and reactions taken back, by one request, stored together (a group commit or a
# few): the caller asks again while the answer says more are left, so no request holds the store long.
BATCH = 200


class AccountMessagesHandler(AdminHandler):
    """``DELETE /api/admin/accounts/{id}/messages``: up to BATCH of the account's messages deleted,
    then up to BATCH of its reactions taken back; ``{"deleted": N, "reactions": M, "more": BOOL}``."""

    async def delete(self, raw_id: str) -> None:
        account = await self.account(raw_id)
        messages = await self.unavailable_if_failing(self.backend.messages_of(account.id, limit=BATCH + 1))
        deleted, failed = await self._store(self._deletion(room, target) for room, target in messages[:BATCH])
        # Read after the deletions: a deleted message's reactions went with it.
        reactions = await self.unavailable_if_failing(self.backend.reactions_of(account.id, limit=BATCH + 1))
        taken_back, failed_too = await self._store(
            self._taking_back(account.id, *reaction) for reaction in reactions[:BATCH]
        )
        more = failed or failed_too or len(messages) > BATCH or len(reactions) > BATCH
        if deleted or taken_back:
            audit.info(
                "%r deleted %d messages and took back %d reactions of the account %r (id %d)",
                self.admin.name, deleted, taken_back, account.name, account.id,
            )  # fmt: skip
            detail = f"{deleted} messages, {taken_back} reactions"
            await self.keep(DELETE_EVERYTHING, account.name, account.id, detail=detail)
        self.send_json({"deleted": deleted, "reactions": taken_back, "more": more})

    async def _store(self, changes: Iterable[Awaitable[Changed]]) -> tuple[int, bool]:
        """How many of the changes changed something, and whether any could not be stored now; 503
        when none could. One gone meanwhile (deleted by someone else) is neither."""
        outcomes = await asyncio.gather(*changes, return_exceptions=True)
        for outcome in outcomes:
            if isinstance(outcome, BaseException) and not isinstance(
                outcome, (BackendError, ChangeRefusedError)
            ):
                raise outcome
        changed = sum(isinstance(outcome, Changed) and outcome.change is not None for outcome in outcomes)
        failed = any(isinstance(outcome, BackendError) for outcome in outcomes)
        if failed and not changed:
            raise ApiError(503, protocol.UNAVAILABLE, "the chat store is unavailable")
        return changed, failed

    def _deletion(self, room: str, target: int) -> Awaitable[Changed]:
        admin = self.admin
        return self.backend.change(
            room, ChangeRequest(DELETE, target, admin.name, admin.account_id, any_author=True, recorded=False)
        )

    def _taking_back(
        self, account_id: int, room: str, target: int, emoji: str, nick: str
    ) -> Awaitable[Changed]:
        # In the author's name, under the nick it was put under: every page takes that nick off the emoji.
        return self.backend.change(
            room, ChangeRequest(REACTION, target, nick, account_id, emoji=emoji, on=False)
        )
