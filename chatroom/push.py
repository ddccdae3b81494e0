"""Pusher: Web Push to people who have no page open, for direct messages, mentions, followed threads and
reminders.

What a push is, and what it never does (README.md, "Web Push"; docs/protocol.md):

- it goes out from the process that stored the message (service.watch_stored),
  so with many nodes each message is pushed once;
- only to people push_rules.recipients names (a direct room's other
  members, the people a message mentions who may read the room, the
  followers of the thread a reply is in: thread_following.py), who are
  away (no connection in any room, on any node: Backend.accounts_online),
  whose switch is on, whose notifications are not paused ("do not disturb":
  api_status.py) and whose level for the room lets it through;
- never on the message's path: a stored message is queued (at most
  QUEUE_SIZE waiting; beyond that it is dropped and counted), and a few
  workers push, at most MAX_SENDING requests at a time, each bounded in
  time, with a TTL and an urgency. A reminder falling due is queued the
  same way, so that a slow push service holds no other reminder back;
- a push service that answers 404 or 410 has forgotten the device: its
  subscription is deleted. Any other failure is logged (the endpoint's
  scheme and host only) and counted in ``chatroom_pushes_total``.

The VAPID key is made at the first start and kept among the store's shared
secrets: every node signs with the same key, the one browsers subscribed with.
"""

from __future__ import annotations

import asyncio
import logging
import urllib.parse
from dataclasses import dataclass

import orjson

from . import metrics, push_rules, thread_following
from .backend import Backend, BackendError, StoredMessage
from .clock import now_ms
from .config import Settings
from .formatting import cut, plain_text
from .forward_frames import readable_text
from .polls import poll_summary
from .store.base import StoreError
from .store.records import OPEN, PushSubscription, RoomRecord
from .webpush import VAPID_SECRET, PushClient, VapidKey, new_private_key, shown

log = logging.getLogger("chatroom.push")

QUEUE_SIZE = 1000
WORKERS = 2
MAX_SENDING = 8
# A push service keeps a push this long for a device that is off; a chat message older is stale.
TTL_SECONDS = 3600
URGENCY = "high"
SEND_TIMEOUT = 10.0
MAX_TEXT = 200
# A file's name as a notification shows it: what fits beside a caption.
MAX_FILE_NAME = 80
FILE_MARK = "\N{PAPERCLIP}"


def notification_text(message: StoredMessage) -> str:
    """What a notification says of a message: its text as read, without formatting marks (at most
    MAX_TEXT characters; a poll's question and options; a forwarded copy as plain text), and, for a
    file, "📎 <name>" on a line after it, or alone when the file came without a caption."""
    copied = message.forward is not None
    text = (
        plain_text(readable_text(message))
        if copied
        else poll_summary(message.text) or plain_text(message.text)
    )
    if message.file is None:
        return cut(text, MAX_TEXT)
    mention = f"{FILE_MARK} {cut(message.file.name, MAX_FILE_NAME)}"
    if not text:
        return mention
    return cut(text, MAX_TEXT - len(mention) - 1) + "\n" + mention


def payload(message: StoredMessage, room: RoomRecord, reason: str) -> bytes:
    """What the device's service worker gets: small (well under 3 KB), its text (notification_text)."""
    text = notification_text(message)
    # A thread reply opens its thread at it (docs/protocol.md, "Threads").
    at = "" if message.thread is None else f"#t-{message.thread}-{message.id}"
    return orjson.dumps(
        {
            "room": message.room,
            "title": room.display_name,
            "id": message.id,
            "nick": message.nick,
            "text": text,
            "reason": reason,
            "url": "/?room=" + urllib.parse.quote(message.room, safe="") + at,
        }
    )


@dataclass(frozen=True)
class PushJob:
    """A message to push to those it is for, or, as a reminder that fell due, to one person."""

    message: StoredMessage
    reminder_for: int | None = None


class Pusher:
    """Pushes for the messages this process stores and the reminders it makes due, off their paths."""

    def __init__(self, settings: Settings, backend: Backend) -> None:
        self.settings = settings
        self.backend = backend
        self.contact = settings.push_contact or default_contact(settings)
        self._key: VapidKey | None = None
        self._key_lock = asyncio.Lock()
        self._queue: asyncio.Queue[PushJob] = asyncio.Queue(QUEUE_SIZE)
        self._workers: list[asyncio.Task[None]] = []
        self._sending = asyncio.Semaphore(MAX_SENDING)
        self._closed = False
        self._client = PushClient(
            allow_private=settings.push_allow_private, timeout=SEND_TIMEOUT, max_clients=MAX_SENDING
        )
        backend.watch_stored(self.stored)

    async def key(self) -> VapidKey:
        """The deployment's VAPID key, made and stored by whichever node asked first."""
        async with self._key_lock:
            if self._key is None:
                private = await self.backend.accounts.get_or_create_secret(VAPID_SECRET, new_private_key)
                self._key = VapidKey(private, self.contact)
            return self._key

    def stored(self, message: StoredMessage) -> None:
        """A message was stored here: queue it for the workers, or drop it when they are that far behind."""
        if message.guest and "@" not in message.text and message.thread is None:
            return  # a guest writes only in open rooms: nobody to push but those it mentions, or follow
        self._queue_job(PushJob(message))

    def fell_due(self, account_id: int, message: StoredMessage) -> None:
        """A reminder of the message fell due: queue its push to the person (``remind``)."""
        self._queue_job(PushJob(message, reminder_for=account_id))

    def _queue_job(self, job: PushJob) -> None:
        """Queue a push for the workers, unless closing; drop it when they are that far behind."""
        if self._closed:
            return
        if not self._workers:
            self._workers = [asyncio.create_task(self._work(), name="chatroom-push") for _ in range(WORKERS)]
        try:
            self._queue.put_nowait(job)
        except asyncio.QueueFull:
            metrics.PUSHES.labels("dropped").inc()

    async def _work(self) -> None:
        while True:
            job = await self._queue.get()
            message = job.message
            try:
                if job.reminder_for is not None:
                    await self.remind(job.reminder_for, message)
                else:
                    await self.push_for(message)
            except (StoreError, BackendError) as error:
                metrics.PUSHES.labels("failed").inc()
                log.warning("cannot push message %d of %r: %s", message.id, message.room, error)
            except Exception:
                # A worker outlives one push it could not make: the queue would stall behind it.
                metrics.PUSHES.labels("failed").inc()
                log.exception("pushing message %d of %r failed", message.id, message.room)
            finally:
                self._queue.task_done()

    async def push_for(self, message: StoredMessage) -> None:
        """Push the message to each of its recipients who is away, wants it, and has a device."""
        accounts = self.backend.accounts
        room = await accounts.room_record(message.room) or RoomRecord(message.room, OPEN)
        followers = await thread_following.followers_of(self.backend, message)
        chosen = await push_rules.recipients(accounts, message, room, followers)
        if not chosen:
            return
        ids = [r.account.id for r in chosen]
        online = await self.backend.accounts_online(ids)
        paused = await accounts.pauses_of(ids, now_ms())
        sends = []
        for recipient in chosen:
            account_id = recipient.account.id
            if not push_rules.may_disturb(account_id, online, paused):
                continue
            if not await accounts.push_enabled(account_id):
                continue
            level = await push_rules.notify_level(accounts, account_id, message.room)
            if not push_rules.level_allows(level, recipient.reason):
                continue
            body = payload(message, room, recipient.reason)
            for subscription in await accounts.push_subscriptions_of(account_id):
                sends.append(self._send(subscription, body))
        if sends:
            await asyncio.gather(*sends)

    async def remind(self, account_id: int, message: StoredMessage) -> bool:
        """Push a reminder of the message that fell due to the person, when away and not pausing
        notifications (their rooms' levels do not count: they asked for it); whether it was pushed."""
        accounts = self.backend.accounts
        online = await self.backend.accounts_online([account_id])
        paused = await accounts.pauses_of([account_id], now_ms())
        if not push_rules.may_disturb(account_id, online, paused) or not await accounts.push_enabled(
            account_id
        ):
            return False
        subscriptions = await accounts.push_subscriptions_of(account_id)
        room = await accounts.room_record(message.room) or RoomRecord(message.room, OPEN)
        body = payload(message, room, push_rules.REMINDER)
        await asyncio.gather(*(self._send(subscription, body) for subscription in subscriptions))
        return bool(subscriptions)

    async def _send(self, subscription: PushSubscription, body: bytes) -> None:
        key = await self.key()
        async with self._sending:
            outcome = await self._client.send(key, subscription, body, ttl=TTL_SECONDS, urgency=URGENCY)
        if outcome.delivered:
            metrics.PUSHES.labels("sent").inc()
            return
        if outcome.gone:
            metrics.PUSHES.labels("gone").inc()
            await self.backend.accounts.remove_push_subscription(subscription.endpoint)
            log.info("a device of account %d has unsubscribed: forgotten", subscription.account_id)
            return
        metrics.PUSHES.labels("failed").inc()
        log.warning(
            "push to a device of account %d at %s failed: %d %s",
            subscription.account_id,
            shown(subscription.endpoint),
            outcome.code,
            outcome.reason,
        )

    async def idle(self) -> None:
        """Wait until every queued message and reminder has been pushed (tests, and a graceful stop)."""
        await self._queue.join()

    async def close(self, timeout: float = 2.0) -> None:
        """Push what is queued for up to ``timeout`` seconds, then stop; nothing stored later is pushed."""
        self._closed = True
        if self._workers:
            try:
                await asyncio.wait_for(self._queue.join(), timeout)
            except TimeoutError:
                log.warning("%d messages left unpushed at stop", self._queue.qsize())
            for worker in self._workers:
                worker.cancel()
            await asyncio.gather(*self._workers, return_exceptions=True)
        self._client.close()


def default_contact(settings: Settings) -> str:
    """Whom push services may write to about our pushes (VAPID ``sub``): the first --origin's site,
    else a placeholder address that says so."""
    for origin in settings.origins:
        if origin.startswith("https://"):
            return origin
    return "mailto:chatroom@localhost"
