"""Web Push subscriptions and each person's switch: AccountStore methods of one statement each.

The same SQL for SQLite and PostgreSQL (``?`` placeholders, ON CONFLICT);
SQLAccounts inherits them and gives ``_rows`` and ``_change``.
"""

from __future__ import annotations

from ..clock import now_ms
from .records import PushSubscription
from .sql_statements import SQLStatements

_SUBSCRIPTION = "endpoint, account_id, p256dh, auth, created_at"
# A device's endpoint is its own: posted again (by whoever is signed in there now), it is replaced.
SAVE_SUBSCRIPTION = (
    f"INSERT INTO push_subscriptions ({_SUBSCRIPTION}) VALUES (?, ?, ?, ?, ?)"
    " ON CONFLICT (endpoint) DO UPDATE SET account_id = excluded.account_id,"
    " p256dh = excluded.p256dh, auth = excluded.auth, created_at = excluded.created_at"
    f" RETURNING {_SUBSCRIPTION}"
)
REMOVE_SUBSCRIPTION = "DELETE FROM push_subscriptions WHERE endpoint = ? RETURNING account_id"
REMOVE_OWN_SUBSCRIPTION = (
    "DELETE FROM push_subscriptions WHERE endpoint = ? AND account_id = ? RETURNING account_id"
)
SUBSCRIPTIONS_OF = f"SELECT {_SUBSCRIPTION} FROM push_subscriptions WHERE account_id = ? ORDER BY created_at"
PUSH_ENABLED = "SELECT enabled FROM push_settings WHERE account_id = ?"
SET_PUSH_ENABLED = (
    "INSERT INTO push_settings (account_id, enabled) VALUES (?, ?)"
    " ON CONFLICT (account_id) DO UPDATE SET enabled = excluded.enabled RETURNING account_id"
)


def _subscription(row: tuple[object, ...]) -> PushSubscription:
    endpoint, account_id, p256dh, auth, created_at = row
    assert isinstance(account_id, int) and isinstance(created_at, int)
    return PushSubscription(str(endpoint), account_id, str(p256dh), str(auth), created_at)


class SQLPush(SQLStatements):
    """Where each device of a person wants Web Push, and whether the person wants it at all."""

    async def save_push_subscription(
        self, account_id: int, endpoint: str, p256dh: str, auth: str, *, created_at: int | None = None
    ) -> PushSubscription:
        """Keep the device's subscription for the account, replacing what the endpoint had."""
        params = (endpoint, account_id, p256dh, auth, now_ms() if created_at is None else created_at)
        rows = await self._change("cannot keep the subscription", SAVE_SUBSCRIPTION, *params)
        return _subscription(rows[0])

    async def remove_push_subscription(self, endpoint: str, *, account_id: int | None = None) -> bool:
        """Forget a subscription (only the account's, when given); whether there was one."""
        if account_id is None:
            rows = await self._change("cannot forget the subscription", REMOVE_SUBSCRIPTION, endpoint)
        else:
            rows = await self._change(
                "cannot forget the subscription", REMOVE_OWN_SUBSCRIPTION, endpoint, account_id
            )
        return bool(rows)

    async def push_subscriptions_of(self, account_id: int) -> list[PushSubscription]:
        """The account's devices' subscriptions, oldest first."""
        return [_subscription(row) for row in await self._rows(SUBSCRIPTIONS_OF, account_id)]

    async def push_enabled(self, account_id: int) -> bool:
        """Whether the person wants Web Push at all (true until they turn it off)."""
        rows = await self._rows(PUSH_ENABLED, account_id)
        return bool(rows[0][0]) if rows else True

    async def set_push_enabled(self, account_id: int, enabled: bool) -> None:
        """Turn Web Push on or off for every device of the person."""
        await self._change("cannot store the switch", SET_PUSH_ENABLED, account_id, enabled)
