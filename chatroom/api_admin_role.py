"""Who administers the server: ``PUT /api/admin/accounts/{id}/admin`` makes a person an administrator,
``DELETE`` makes them one no longer.

A team's first administrator is made at setup; later ones were made only as
new accounts. Here an administrator hands the role to someone who already
has an account, or takes it back. The rules (docs/security.md,
"Administrators"):

- people only: a bot acts through its key and the rooms it is in, never as
  an administrator (``400 bad_request``);
- a deactivated account is not made one (``409 account_deactivated``):
  reactivate it first;
- nobody takes the role from themselves (``400 bad_request``): another
  administrator does. So the server always keeps one administrator who can
  act, since whoever asks is one;
- asking for what already is changes nothing: no act, no notice.

Each change is kept in the moderation history and logged to
``chatroom.moderation``; every node marks the name at once (an ``admin``
frame to the pages that may look accounts up) and closes the account's own
connections, which come back with their new rights.
"""

from __future__ import annotations

from . import protocol
from .api import ApiError
from .api_admin import AdminHandler, account_entry
from .events import AdminNotice
from .moderation import audit
from .store.acts_base import MAKE_ADMIN, REMOVE_ADMIN
from .store.records import PERSON, Account


class AdminRoleHandler(AdminHandler):
    """``PUT`` / ``DELETE /api/admin/accounts/{id}/admin``: ``200 {"account"}`` as it is now."""

    async def put(self, raw_id: str) -> None:
        account = await self.account(raw_id)
        if account.kind != PERSON:
            raise ApiError(400, protocol.BAD_REQUEST, f"{account.name!r} is a bot: only people administer")
        if not account.active:
            raise ApiError(
                409, protocol.ACCOUNT_DEACTIVATED, f"{account.name!r} is deactivated: reactivate it first"
            )
        await self._set(account, True)

    async def delete(self, raw_id: str) -> None:
        account = await self.account(raw_id)
        if account.id == self.admin.account_id:
            raise ApiError(
                400, protocol.BAD_REQUEST, "you cannot stop being an administrator: ask another administrator"
            )
        await self._set(account, False)

    async def _set(self, account: Account, admin: bool) -> None:
        if account.is_admin != admin:
            await self.unavailable_if_failing(self.backend.accounts.set_admin(account.id, admin))
            await self.tell_every_node(AdminNotice(account.id, account.name, admin))
            done = "made %r an administrator" if admin else "took the administration from %r"
            audit.info("%r " + done + " (id %d)", self.admin.name, account.name, account.id)
            await self.keep(MAKE_ADMIN if admin else REMOVE_ADMIN, account.name, account.id)
        changed = await self.unavailable_if_failing(self.backend.accounts.account_by_id(account.id))
        assert changed is not None
        self.send_json({"account": account_entry(changed)})
