"""Blocking: ``GET /api/me/blocks``, ``PUT``/``DELETE /api/me/blocks/{name}``, and the refusal of a
conversation started with someone who blocked the asker.

A person blocks another person (never a bot: an administrator deals with a
bot, and anyone may leave its rooms). What a block does is in
docs/security.md, "Blocking": the blocked one cannot start a direct
conversation with the blocker, nor write in one of the two of them; nothing
they write counts as unread or mentions or is pushed to the blocker; the
blocker's pages hide their messages. The blocked one is told nothing but
those refusals.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from . import protocol
from .api import ApiError, JsonHandler
from .backend import tell_processes
from .events import BlockNotice
from .identity import Identity
from .store.accounts_base import AccountStore
from .store.records import PERSON, Account, Block

log = logging.getLogger("chatroom.notices")


async def refuse_if_blocked(accounts: AccountStore, who: Identity, people: Sequence[Account]) -> None:
    """403 ``blocked`` when one of ``people`` blocked ``who``: no new conversation reaches them."""
    blockers = await accounts.blockers_of(who.account_id)
    for account in people:
        if account.id in blockers:
            raise ApiError(403, protocol.BLOCKED, f"{account.name} does not take messages from you")


class BlocksHandler(JsonHandler):
    """``GET /api/me/blocks``: ``{"blocks": [{"name", "color", "since", "former_names"}]}``, the earliest
    first; ``former_names``: the names the person wrote under before a rename, which the page hides too."""

    def person(self) -> Identity:
        """Who asks, a person; 401 for nobody or a guest, 403 for a bot."""
        return self.person_asking("only people block others")

    async def get(self) -> None:
        await self.answer(self.person())

    async def answer(self, who: Identity) -> None:
        """The person's blocks, as GET gives them."""
        accounts = self.backend.accounts
        blocks = await self.unavailable_if_failing(accounts.blocks_of(who.account_id))
        entries = [await self._entry(block) for block in blocks]
        self.send_json({"blocks": [entry for entry in entries if entry is not None]})

    async def _entry(self, block: Block) -> dict[str, Any] | None:
        accounts = self.backend.accounts
        account = await self.unavailable_if_failing(accounts.account_by_id(block.blocked_id))
        if account is None:
            return None
        former = await self.unavailable_if_failing(accounts.former_names_of(account.id))
        return {
            "name": account.name,
            "color": account.color,
            "since": block.created_at,
            "former_names": former,
        }


class BlockHandler(BlocksHandler):
    """``PUT /api/me/blocks/{name}`` blocks the person, ``DELETE`` unblocks them; both answer the list."""

    async def put(self, name: str) -> None:
        who = self.person()
        account = await self._named(name)
        if not account.active:
            raise ApiError(400, protocol.UNKNOWN_ACCOUNT, f"there is no account {name!r}")
        if account.id == who.account_id:
            raise ApiError(400, protocol.BAD_REQUEST, "you cannot block yourself")
        if account.kind != PERSON:
            raise ApiError(400, protocol.BAD_REQUEST, "a bot is not blocked: leave its rooms")
        if await self.unavailable_if_failing(self.backend.accounts.block(who.account_id, account.id)):
            await self._tell_nodes(BlockNotice(who.account_id, account.id, account.name, True, who.name))
        await self.answer(who)

    async def delete(self, name: str) -> None:
        who = self.person()
        # Anyone once blocked may be unblocked, a deactivated account too.
        account = await self._named(name)
        if await self.unavailable_if_failing(self.backend.accounts.unblock(who.account_id, account.id)):
            await self._tell_nodes(BlockNotice(who.account_id, account.id, account.name, False, who.name))
        await self.answer(who)

    async def _named(self, name: str) -> Account:
        account = await self.unavailable_if_failing(self.backend.accounts.account_by_name(name))
        if account is None:
            raise ApiError(400, protocol.UNKNOWN_ACCOUNT, f"there is no account {name!r}")
        return account

    async def _tell_nodes(self, notice: BlockNotice) -> None:
        """Tell every node: the blocker's other pages, the blocked one's direct rooms.

        The block is stored already and every refusal reads the store: when the
        other nodes cannot be told, their pages see it when they next load.
        """
        await tell_processes(self.backend, notice, about="a block", log=log)
