"""Whether guests are let in: ``--guests`` forces it; else an administrator's setting, the same on every node.

Guests join open rooms with just a nick (version 1's way). The command line's
``--guests`` lets them in whatever the setting says. Without it, an
administrator turns guest access on and off at runtime
(``PATCH /api/admin/settings``): the value is stored (table
``server_settings``), read at start, and told to every node (a
SettingsNotice), which holds it here and closes its guests' connections when
it turns off. Everything that asks "are guests let in?" asks one GuestAccess
per application: access.Access holds it.
"""

from __future__ import annotations

from .store.accounts_base import AccountStore

# The setting's name in the store, and its values.
GUESTS = "guests"
ON, OFF = "on", "off"


class GuestAccess:
    """The live answer to "are guests let in?" for one process."""

    def __init__(self, forced: bool) -> None:
        # --guests on the command line: on whatever the setting says.
        self.forced = forced
        self._setting = False

    @property
    def allowed(self) -> bool:
        """Whether guests are let in now."""
        return self.forced or self._setting

    @property
    def setting(self) -> bool:
        """What an administrator set (the default: off)."""
        return self._setting

    def take(self, setting: bool) -> None:
        """The setting changed (a notice from the node that stored it)."""
        self._setting = setting

    async def load(self, accounts: AccountStore) -> None:
        """Read the stored setting: at start, and after notices may have been lost."""
        self._setting = await accounts.server_setting(GUESTS) == ON

    @staticmethod
    async def store(accounts: AccountStore, setting: bool) -> None:
        """Store a new setting; the caller tells every node."""
        await accounts.set_server_setting(GUESTS, ON if setting else OFF)
