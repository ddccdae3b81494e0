"""Bots' outgoing webhooks: a person's message to a bot is POSTed to the bot's address.

A message is to a bot when it is in a direct room with the bot, or when it
mentions the bot (``@name``, mentions.py) in another room the bot is a
member of.

What a webhook call is, and what it never does (docs/security.md, "Webhooks"):

- one POST of JSON, ``{"type": "direct_message" | "mention", "bot": {...},
  "room": R, "sender": {...}, "message": <the stored user frame>}``, after
  the message is stored, from the node the person is connected to;
- at most ``timeout`` seconds (connecting included), no redirects followed;
- no retry: a call that fails or times out is logged (the address without
  its query, which may hold the receiver's secret) and dropped. A receiver
  that was down reads what it missed with the bot's key (GET messages);
- at most MAX_IN_FLIGHT calls of one bot at a time: beyond that, calls are
  dropped and counted, so a slow receiver costs a bounded amount;
- never to a loopback, private, link-local, multicast or otherwise reserved
  address, nor to an address of this machine (own_addresses.py: its
  interfaces' and the one the server listens on, public ones included),
  unless the server runs with --webhook-allow-private. The check is made on
  every address the name resolves to, when connecting (a resolver of our
  own), and the connection goes to the addresses checked, so a name that
  resolves elsewhere later gains nothing.
"""

from __future__ import annotations

import asyncio
import functools
import ipaddress
import logging
import socket
import time
import urllib.parse
from collections import Counter
from collections.abc import Coroutine
from typing import Any

import orjson
import tornado.httpclient
import tornado.netutil
import tornado.simple_httpclient

from . import protocol
from .backend import StoredMessage
from .config import Settings
from .forward_frames import with_forward
from .identity import Identity
from .mentions import mentioned
from .own_addresses import OwnAddresses, embedded_ipv4, ip_of
from .store.accounts_base import AccountStore
from .store.records import Account

log = logging.getLogger("chatroom.webhooks")

MAX_IN_FLIGHT = 4
# How long the list of bots with a webhook is kept before it is read again:
# messages with an "@" would otherwise cost a query each.
WEBHOOKS_KEPT_SECONDS = 5.0
MAX_URL_LENGTH = 2000
USER_AGENT = "chatroom-webhook"
# Why an address is refused, as the API's answers and the log say.
NOT_PUBLIC = "loopback, private or reserved"
OWN = "this machine's own"
# Not global, though Python's tables may say so: IPv4-compatible and
# IPv4-translated IPv6 (old ways to reach IPv4), NAT64's local-use prefix, site-local.
NOT_GLOBAL = tuple(
    ipaddress.IPv6Network(network) for network in ("::/96", "::ffff:0:0:0/96", "64:ff9b:1::/48", "fec0::/10")
)


class AddressRefusedError(OSError):
    """A name that resolves only to addresses an outgoing call may not reach (PublicResolver)."""


class WebhookAddressError(ValueError):
    """A webhook address that is refused; ``str()`` says why."""


def is_public(address: str) -> bool:
    """Whether an IP address is one a webhook may reach without --webhook-allow-private.

    An IPv6 address that carries an IPv4 one (mapped, 6to4, NAT64) is public only if that one is.
    """
    ip = ip_of(address)
    carried = embedded_ipv4(ip)
    if carried is not None:
        # The address reached is the one carried. Python's tables disagree on
        # the wrapping prefixes from one release to another (Debian 12's 3.11.2
        # calls all of 6to4 private, 3.11.7 does not): they are not asked.
        return _global(carried)
    return _global(ip)


def _global(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    return ip.is_global and not ip.is_multicast and not any(ip in network for network in NOT_GLOBAL)


@functools.cache
def this_machine() -> OwnAddresses:
    """This machine's addresses, for checks made without the server's settings."""
    return OwnAddresses()


def refusal(address: str, own: OwnAddresses) -> str | None:
    """Why a webhook may not reach an IP address (OWN or NOT_PUBLIC), or None when it may.

    Loopback is this machine's too, but is named as loopback.
    """
    ip = ip_of(address)
    if not (embedded_ipv4(ip) or ip).is_loopback and ip in own:
        return OWN
    return None if is_public(address) else NOT_PUBLIC


def check_url(url: str, *, allow_private: bool, own: OwnAddresses | None = None) -> str:
    """The address, if a webhook may be set to it: http(s), a host, and (unless allowed) no private IP
    nor one of ``own`` (this machine's addresses by default)."""
    if len(url) > MAX_URL_LENGTH:
        raise WebhookAddressError(f"a webhook address has at most {MAX_URL_LENGTH} characters")
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise WebhookAddressError("a webhook address is an http:// or https:// URL with a host")
    if any(ord(c) < 33 or ord(c) == 127 for c in url):
        raise WebhookAddressError("a webhook address has no spaces or control characters")
    try:
        literal = ipaddress.ip_address(parts.hostname)
    except ValueError:
        return url
    reason = None if allow_private else refusal(str(literal), own or this_machine())
    if reason is not None:
        raise WebhookAddressError(
            f"that address is {reason}: webhooks reach it only on a server"
            " started with --webhook-allow-private"
        )
    return url


def shown(url: str) -> str:
    """The address as logs show it: without its query or user info, which may hold a secret."""
    parts = urllib.parse.urlsplit(url)
    host = parts.hostname or ""
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{host}{port}{parts.path}"


class PublicResolver(tornado.netutil.Resolver):
    """Resolves as the system does, keeping only the addresses a webhook may reach.

    The client connects to the addresses this returns, the ones checked.
    """

    def initialize(self, own: OwnAddresses | None = None) -> None:
        """``own``: this machine's addresses, the server's listening one included if it is known."""
        self._system = tornado.netutil.DefaultLoopResolver()
        self.own = own or this_machine()

    async def resolve(
        self, host: str, port: int, family: socket.AddressFamily = socket.AF_UNSPEC
    ) -> list[tuple[int, Any]]:
        found = await self._system.resolve(host, port, family)
        reasons = {(fam, address): refusal(address[0], self.own) for fam, address in found}
        allowed = [entry for entry, reason in reasons.items() if reason is None]
        if not allowed:
            refused = " or ".join(sorted({str(reason) for reason in reasons.values()}))
            raise AddressRefusedError(f"{host} resolves only to {refused} addresses")
        return allowed


class Webhooks:
    """Calls bots' webhooks for this process, within the limits above."""

    def __init__(self, settings: Settings, accounts: AccountStore) -> None:
        self.accounts = accounts
        self.timeout = settings.webhook_timeout
        self.allow_private = settings.webhook_allow_private
        resolver = None if self.allow_private else PublicResolver(own=OwnAddresses(settings.address))
        self._client = tornado.simple_httpclient.SimpleAsyncHTTPClient(
            force_instance=True, resolver=resolver, max_clients=64
        )
        self._in_flight: Counter[int] = Counter()
        self._with_webhooks: tuple[float, list[Account]] | None = None
        self._tasks: set[asyncio.Task[bool]] = set()
        self.dropped = 0

    def direct_message(self, room: str, sender: Identity | None, message: StoredMessage) -> None:
        """A message in a direct room is stored: if a person's, call the webhooks of the bots in the room."""
        if sender is None or sender.is_bot:
            return
        self._spawn(self._direct_message(room, sender, message))

    def room_message(self, room: str, sender: Identity | None, message: StoredMessage) -> None:
        """A message in any other room is stored: if a person's, call the webhooks of the bots it mentions."""
        if sender is None or sender.is_bot or "@" not in message.text:
            return
        self._spawn(self._mentioned(room, sender, message))

    def _spawn(self, call: Coroutine[Any, Any, bool]) -> None:
        task = asyncio.get_running_loop().create_task(call)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _mentioned(self, room: str, sender: Identity, message: StoredMessage) -> bool:
        try:
            calls = []
            for bot in await self._bots_with_webhooks():
                if bot.id == sender.account_id or not mentioned(message.text, [bot.name]):
                    continue
                url = await self.accounts.webhook_of(bot.id)
                if url is not None and await self.accounts.membership(room, bot.id) is not None:
                    body = payload(bot, room, sender, message, kind="mention")
                    calls.append(self.call(bot, url, body))
        except Exception as error:
            log.warning("cannot find the webhooks of the bots mentioned in %r: %s", room, error)
            return False
        return all(await asyncio.gather(*calls))

    async def _bots_with_webhooks(self) -> list[Account]:
        """The active bots with a webhook, read again at most every WEBHOOKS_KEPT_SECONDS."""
        now = time.monotonic()
        if self._with_webhooks is not None and now - self._with_webhooks[0] < WEBHOOKS_KEPT_SECONDS:
            return self._with_webhooks[1]
        bots = []
        for webhook in await self.accounts.webhooks():
            bot = await self.accounts.account_by_id(webhook.account_id)
            if bot is not None and bot.is_bot and bot.active:
                bots.append(bot)
        self._with_webhooks = (now, bots)
        return bots

    async def _direct_message(self, room: str, sender: Identity, message: StoredMessage) -> bool:
        try:
            members = await self.accounts.members_of(room)
            calls = []
            for membership in members:
                if membership.account_id == sender.account_id:
                    continue
                bot = await self.accounts.account_by_id(membership.account_id)
                if bot is None or not bot.is_bot or not bot.active:
                    continue
                url = await self.accounts.webhook_of(bot.id)
                if url is not None:
                    calls.append(self.call(bot, url, payload(bot, room, sender, message)))
        except Exception as error:
            log.warning("cannot find the webhooks of %r: %s", room, error)
            return False
        return all(await asyncio.gather(*calls))

    async def call(self, bot: Account, url: str, body: bytes) -> bool:
        """POST ``body`` to the bot's webhook once; whether the receiver answered 2xx."""
        if self._in_flight[bot.id] >= MAX_IN_FLIGHT:
            self.dropped += 1
            log.warning("webhook of bot %s dropped: %d calls already in flight", bot.name, MAX_IN_FLIGHT)
            return False
        self._in_flight[bot.id] += 1
        try:
            request = tornado.httpclient.HTTPRequest(
                url,
                method="POST",
                body=body,
                headers={"Content-Type": "application/json", "User-Agent": USER_AGENT},
                connect_timeout=self.timeout,
                request_timeout=self.timeout,
                follow_redirects=False,
            )
            response = await self._client.fetch(request, raise_error=False)
        except Exception as error:
            log.warning("webhook of bot %s to %s failed: %s", bot.name, shown(url), _reason(error))
            return False
        finally:
            self._in_flight[bot.id] -= 1
        if response.code == 599:
            log.warning("webhook of bot %s to %s failed: %s", bot.name, shown(url), _reason(response.error))
            return False
        if not 200 <= response.code < 300:
            log.warning("webhook of bot %s to %s answered %d", bot.name, shown(url), response.code)
            return False
        return True

    async def close(self, timeout: float = 1.0) -> None:
        """Let calls under way finish for up to ``timeout`` seconds, then stop."""
        if self._tasks:
            await asyncio.wait(set(self._tasks), timeout=timeout)
        self._client.close()


def payload(
    bot: Account, room: str, sender: Identity, message: StoredMessage, *, kind: str = "direct_message"
) -> bytes:
    """What a webhook receives about a message to the bot (``kind``: direct_message or mention).

    A message carrying a file says so as its user frame does (``file``); the
    bot downloads it with its key.
    """
    frame = with_forward(protocol.frame_of(message), message)
    if message.file is not None:
        frame["file"] = protocol.file_part(message.file)
    return orjson.dumps(
        {
            "type": kind,
            "bot": {"id": bot.id, "name": bot.name},
            "room": room,
            "sender": {"id": sender.account_id, "name": sender.name},
            "message": frame,
        }
    )


def _reason(error: BaseException | None) -> str:
    """Why a call failed, in words that hold no part of the address's secret."""
    if isinstance(error, tornado.httpclient.HTTPClientError) and error.code == 599:
        return "timed out" if "Timeout" in str(error) else str(error.message)
    if isinstance(error, OSError):
        return error.strerror or str(error)
    return type(error).__name__ if error is not None else "unknown"
