"""The server's settings an administrator changes at runtime: whether guests are let in.

- ``GET /api/admin/settings``: ``{"guests": bool, "guests_forced": bool}``,
  ``guests`` whether guests are let in now, ``guests_forced`` whether the
  command line's --guests lets them in whatever the setting says;
- ``PATCH /api/admin/settings`` ``{"guests": true|false}``: store the
  setting and tell every node (events.SettingsNotice). Turned off, every
  guest's connection on every node is closed ``unauthorized``/4401, and
  guests are refused from then on. ``409 guests_forced`` for turning it off
  under --guests.

Administrators only, as every endpoint under ``/api/admin/`` (api_admin.py).
"""

from __future__ import annotations

from typing import Any

from . import protocol
from .api import ApiError
from .api_admin import AdminHandler
from .events import SettingsNotice
from .guest_access import GuestAccess

SETTINGS = ("guests",)
# Guest access cannot be turned off while --guests forces it on.
GUESTS_FORCED = "guests_forced"


class SettingsHandler(AdminHandler):
    """``GET`` and ``PATCH /api/admin/settings``."""

    async def get(self) -> None:
        self.send_json(self._settings())

    async def patch(self) -> None:
        body = self.json_object()
        guests = body.get("guests")
        if not isinstance(guests, bool) or set(body) - set(SETTINGS):
            raise ApiError(400, protocol.BAD_REQUEST, 'the body must be {"guests": true or false}')
        if self.access.guest_access.forced and not guests:
            raise ApiError(
                409,
                GUESTS_FORCED,
                "this server runs with --guests, which lets guests in whatever the setting says:"
                " restart it without --guests to turn guest access off",
            )
        await self.unavailable_if_failing(GuestAccess.store(self.backend.accounts, guests))
        await self.tell_every_node(SettingsNotice(guests))
        self.send_json(self._settings())

    def _settings(self) -> dict[str, Any]:
        guest_access = self.access.guest_access
        return {"guests": guest_access.allowed, "guests_forced": guest_access.forced}
