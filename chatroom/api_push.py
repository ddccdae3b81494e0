"""Web Push over HTTP: the server's public key, this device's subscription, and the person's switch.

- ``GET /api/push/key``: ``{"key": <VAPID public key, base64url>}``, the
  ``applicationServerKey`` a page subscribes with;
- ``POST /api/push/subscriptions`` ``{"endpoint", "keys": {"p256dh", "auth"}}``
  (what ``PushSubscription.toJSON()`` gives): this device notifies the signed-in
  person, replacing what the endpoint had (201); ``DELETE`` ``{"endpoint"}``
  forgets it, when it is one's own (404 otherwise, the same as none);
- ``GET /api/push/settings``: ``{"enabled", "devices"}``; ``PUT``
  ``{"enabled": bool}``: the person's switch for every device of theirs.

People only (a bot has no devices: 403); a guest or nobody, 401.
"""

from __future__ import annotations

from typing import Any

from . import protocol
from .access import Access
from .api import ApiError, JsonHandler
from .backend import Backend
from .config import Settings
from .identity import Authenticator, Identity
from .links import SetupState
from .push import Pusher
from .webpush import EndpointError, check_subscription

# A person's devices: a newer subscription beyond this many pushes out the oldest.
MAX_DEVICES = 20


class PushHandler(JsonHandler):
    """Base of the Web Push handlers: a person signed in, JSON bodies."""

    def initialize(  # type: ignore[override]
        self,
        config: Settings,
        backend: Backend,
        authenticator: Authenticator,
        access: Access,
        pusher: Pusher,
        setup: SetupState | None = None,
    ) -> None:
        super().initialize(config, backend, authenticator, access, setup)
        self.pusher = pusher

    def person(self) -> Identity:
        """Who asks, a person; 401 for nobody or a guest, 403 for a bot."""
        return self.person_asking("only people have devices to notify")


def text_field(body: dict[str, Any], name: str, where: str = "") -> str:
    """A string field of ``body``; 400 when it is missing or not a string."""
    value = body.get(name)
    if not isinstance(value, str) or not value:
        raise ApiError(400, protocol.BAD_REQUEST, f"the field {where + name!r} must be a non-empty string")
    return value


class PushKeyHandler(PushHandler):
    """``GET /api/push/key``: the server's VAPID public key."""

    async def get(self) -> None:
        self.person()
        key = await self.unavailable_if_failing(self.pusher.key())
        self.send_json({"key": key.public_key})


class PushSubscriptionsHandler(PushHandler):
    """``POST``: this device notifies the signed-in person; ``DELETE``: it no longer does."""

    async def post(self) -> None:
        who = self.person()
        body = self.json_object()
        endpoint = text_field(body, "endpoint")
        keys = body.get("keys")
        if not isinstance(keys, dict):
            raise ApiError(
                400, protocol.BAD_REQUEST, "the field 'keys' must be an object with p256dh and auth"
            )
        p256dh, auth = text_field(keys, "p256dh", "keys."), text_field(keys, "auth", "keys.")
        try:
            check_subscription(endpoint, p256dh, auth, allow_private=self.config.push_allow_private)
        except EndpointError as error:
            raise ApiError(400, protocol.BAD_REQUEST, str(error)) from None
        accounts = self.backend.accounts
        await self.unavailable_if_failing(
            accounts.save_push_subscription(who.account_id, endpoint, p256dh, auth)
        )
        held = await self.unavailable_if_failing(accounts.push_subscriptions_of(who.account_id))
        for oldest in held[: max(0, len(held) - MAX_DEVICES)]:
            await self.unavailable_if_failing(accounts.remove_push_subscription(oldest.endpoint))
        self.send_json({"subscribed": True, "devices": min(len(held), MAX_DEVICES)}, 201)

    async def delete(self) -> None:
        who = self.person()
        endpoint = text_field(self.json_object(), "endpoint")
        removed = await self.unavailable_if_failing(
            self.backend.accounts.remove_push_subscription(endpoint, account_id=who.account_id)
        )
        if not removed:
            raise ApiError(404, protocol.NOT_FOUND, "this device has no subscription of yours")
        self.send_json({"subscribed": False})


class PushSettingsHandler(PushHandler):
    """``GET``: the person's switch and how many devices they have; ``PUT {"enabled": bool}``: set it."""

    async def get(self) -> None:
        await self._answer(self.person())

    async def put(self) -> None:
        who = self.person()
        enabled = self.json_object().get("enabled")
        if not isinstance(enabled, bool):
            raise ApiError(400, protocol.BAD_REQUEST, "the field 'enabled' must be true or false")
        await self.unavailable_if_failing(self.backend.accounts.set_push_enabled(who.account_id, enabled))
        await self._answer(who)

    async def _answer(self, who: Identity) -> None:
        accounts = self.backend.accounts
        enabled = await self.unavailable_if_failing(accounts.push_enabled(who.account_id))
        devices = await self.unavailable_if_failing(accounts.push_subscriptions_of(who.account_id))
        self.send_json({"enabled": enabled, "devices": len(devices)})
