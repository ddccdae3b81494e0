"""Bots' webhooks, barred guests' addresses, server settings: AccountStore methods of one statement each.

The same SQL for SQLite and PostgreSQL (``?`` placeholders, ON CONFLICT);
SQLAccounts inherits them and gives ``_rows`` and ``_change``.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..clock import now_ms
from .records import BotWebhook
from .sql_statements import SQLStatements, whole

SET_WEBHOOK = (
    "INSERT INTO bot_webhooks (account_id, url) SELECT CAST(? AS BIGINT), CAST(? AS TEXT)"
    " WHERE EXISTS (SELECT 1 FROM accounts WHERE id = ? AND kind = 'bot')"
    " ON CONFLICT (account_id) DO UPDATE SET url = excluded.url RETURNING account_id"
)
CLEAR_WEBHOOK = "DELETE FROM bot_webhooks WHERE account_id = ? RETURNING account_id"
WEBHOOK_OF = "SELECT url FROM bot_webhooks WHERE account_id = ?"
WEBHOOKS = "SELECT account_id, url FROM bot_webhooks WHERE account_id > ? ORDER BY account_id LIMIT ?"
IMPORT_WEBHOOK = (
    "INSERT INTO bot_webhooks (account_id, url) VALUES (?, ?)"
    " ON CONFLICT (account_id) DO UPDATE SET url = excluded.url RETURNING account_id"
)
# A later bar of the same address lasts as long as the longer of the two.
BAR_GUEST = (
    "INSERT INTO guest_bars (address, until) VALUES (?, ?)"
    " ON CONFLICT (address) DO UPDATE SET until = CASE WHEN excluded.until > guest_bars.until"
    " THEN excluded.until ELSE guest_bars.until END RETURNING until"
)
BARRED_UNTIL = "SELECT until FROM guest_bars WHERE address = ? AND until > ?"
LIFT_BAR = "DELETE FROM guest_bars WHERE address = ? RETURNING address"
FORGET_LAPSED_BARS = "DELETE FROM guest_bars WHERE until <= ? RETURNING address"
SETTING = "SELECT value FROM server_settings WHERE name = ?"
SET_SETTING = (
    "INSERT INTO server_settings (name, value) VALUES (?, ?)"
    " ON CONFLICT (name) DO UPDATE SET value = excluded.value RETURNING value"
)


class SQLModeration(SQLStatements):
    """Webhook addresses of bots, bars on guests' addresses, and server settings."""

    # --- webhooks ----------------------------------------------------------------

    async def set_webhook(self, account_id: int, url: str | None) -> bool:
        """Set (None: clear) the bot's webhook address; whether the bot exists (or, clearing, had one)."""
        if url is None:
            return bool(await self._change("cannot clear the webhook", CLEAR_WEBHOOK, account_id))
        rows = await self._change("cannot set the webhook", SET_WEBHOOK, account_id, url, account_id)
        return bool(rows)

    async def webhook_of(self, account_id: int) -> str | None:
        """The bot's webhook address, if it has one."""
        rows = await self._rows(WEBHOOK_OF, account_id)
        return str(rows[0][0]) if rows else None

    async def webhooks(self, *, after_id: int = 0, limit: int = 500) -> list[BotWebhook]:
        """A page of the bots' webhooks, in account id order."""
        rows = await self._rows(WEBHOOKS, after_id, limit)
        return [BotWebhook(whole(account_id), str(url)) for account_id, url in rows]

    async def import_webhooks(self, webhooks: Sequence[BotWebhook]) -> None:
        """Store the webhooks of bots already imported."""
        for webhook in webhooks:
            await self._change("cannot import the webhook", IMPORT_WEBHOOK, webhook.account_id, webhook.url)

    # --- guests' addresses ---------------------------------------------------------

    async def bar_guest(self, address: str, until: int) -> int:
        """Bar guest access from ``address`` until ``until`` (ms), or longer if barred longer already.

        The bar's end, and forgets the bars that have ended (they are few).
        """
        now = now_ms()
        await self._change("cannot forget ended bars", FORGET_LAPSED_BARS, now)
        rows = await self._change("cannot bar the address", BAR_GUEST, address, until)
        return whole(rows[0][0])

    async def guest_barred_until(self, address: str, *, now: int | None = None) -> int | None:
        """When the bar on guest access from ``address`` ends; None when it is not barred."""
        rows = await self._rows(BARRED_UNTIL, address, now_ms() if now is None else now)
        return whole(rows[0][0]) if rows else None

    async def lift_guest_bar(self, address: str) -> bool:
        """End the bar on ``address`` now; whether there was one."""
        return bool(await self._change("cannot lift the bar", LIFT_BAR, address))

    # --- server settings -------------------------------------------------------------

    async def server_setting(self, name: str) -> str | None:
        """The value an administrator stored for the setting ``name``; None when never set."""
        rows = await self._rows(SETTING, name)
        return str(rows[0][0]) if rows else None

    async def set_server_setting(self, name: str, value: str) -> None:
        """Store ``value`` for the setting ``name``, replacing what was there."""
        await self._change("cannot store the setting", SET_SETTING, name, value)
