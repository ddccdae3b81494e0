"""ChatService: the Backend the handlers use, made of a Store and a Bus.

A message is appended to the store; once committed (and only if new) it is
delivered to this process's members and handed to the bus for the others.
Each subscribed room's delivery goes through a RoomFeed (sequencer.py), which
keeps id order and repairs gaps from the store. Presence and typing come
from the bus. Nothing is broadcast before it is stored.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any, TypeVar

from .acts_watch import ActsWatch
from .backend import (
    BackendError,
    Event,
    EventSink,
    NoticeListener,
    RoomInfo,
    Sequenced,
    StartupError,
    StoredChange,
    StoredMessage,
    first_names,
)
from .bus.base import Bus, BusError, BusStartupError
from .bus.local import LocalBus
from .bus_calls import BusCalls
from .events import Notice
from .file_sweep import FileSweeper
from .forwarded import Forwarded
from .names import room_key
from .picture_sweep import PictureSweeper
from .sequencer import REPAIR_WAIT, ReadAfter, RoomFeed
from .store.accounts_base import AccountStore
from .store.base import Appended, Store, StoreError, StoreStartupError
from .store.change_rules import Changed, ChangeRequest
from .store.files_base import FileStore
from .store.records import ScheduledClaim
from .store.sqlite import SQLiteStore
from .store_reads import StoreReads

log = logging.getLogger("chatroom.service")

T = TypeVar("T")


class ChatService(StoreReads, BusCalls):
    """History from a store, members and delivery across processes from a bus."""

    def __init__(self, store: Store, bus: Bus, *, repair_wait: float = REPAIR_WAIT) -> None:
        self.store = store
        self.bus = bus
        self.repair_wait = repair_wait
        self._feeds: dict[str, RoomFeed] = {}
        self._background: set[asyncio.Future[None]] = set()
        # Appends not yet resolved: close() waits for them to be handed on.
        self._appending: set[asyncio.Future[Any]] = set()
        # Messages and changes stored in this loop iteration, per room: handed to the bus together.
        self._outgoing: dict[str, list[Sequenced]] = {}
        # Rooms' messages delivered here in this loop iteration: one hand-over to the bus for them all.
        self._to_bus: list[tuple[str, list[Sequenced]]] = []
        self._notice_listener: NoticeListener | None = None
        self._stored_watchers: list[Callable[[StoredMessage], None]] = []
        self._change_watchers: list[Callable[[StoredChange], None]] = []
        self._sweeper = FileSweeper(store.files)
        self._picture_sweeper = PictureSweeper(store.accounts)
        self._command_line_acts = ActsWatch(store.accounts, self._noticed)

    @property
    def accounts(self) -> AccountStore:
        """The store's accounts, sessions, rooms' records and memberships."""
        return self.store.accounts

    @property
    def files(self) -> FileStore:
        """The store's uploaded files and avatars."""
        return self.store.files

    @property
    def store_kind(self) -> str:
        """What /healthz reports as the store: sqlite or postgres."""
        return type(self.store).__name__.removesuffix("Store").lower()

    @property
    def bus_kind(self) -> str:
        """What /healthz reports as the bus: local or redis."""
        return type(self.bus).__name__.removesuffix("Bus").lower()

    # --- lifecycle -------------------------------------------------------

    async def start(self) -> None:
        """Open the store, then connect the bus; StartupError when either cannot be used."""
        try:
            await self.store.start()
        except StoreStartupError as error:
            raise StartupError(str(error)) from None
        try:
            await self.bus.start()
        except BusStartupError as error:
            await self.store.close()
            raise StartupError(str(error)) from None
        self.bus.on_resume = self._catch_up_all
        self.bus.on_notice = self._noticed
        self._sweeper.start()
        self._picture_sweeper.start()
        self._command_line_acts.start()

    async def close(self) -> None:
        """Commit what is queued (delivering it), then let members go and disconnect."""
        await self._sweeper.stop()
        await self._picture_sweeper.stop()
        await self._command_line_acts.stop()
        await self.store.close()
        # The store resolved every queued append; their hand-over to the bus
        # must go out before the bus closes, or other nodes wait for a gap repair.
        if self._appending:
            await asyncio.gather(*self._appending, return_exceptions=True)
        for room in list(self._outgoing):
            self._hand_over(room)
        self._hand_all_to_bus()
        if self._background:
            await asyncio.gather(*self._background, return_exceptions=True)
        for feed in self._feeds.values():
            feed.close()
        await self.bus.close()

    # --- messages ----------------------------------------------------------

    def publish(
        self,
        room: str,
        nick: str,
        text: str,
        *,
        ref: str | None = None,
        bot: bool = False,
        guest: bool = False,
        account_id: int | None = None,
        reply_to: int | None = None,
        file_id: str | None = None,
        thread: int | None = None,
        broadcast: bool = False,
        scheduled: ScheduledClaim | None = None,
        forward: Forwarded | None = None,
    ) -> asyncio.Future[StoredMessage]:
        """Store a message (carrying the file ``file_id``, saved by store.files); once committed, deliver
        it here and hand it to the bus."""
        stored: asyncio.Future[StoredMessage] = asyncio.get_running_loop().create_future()
        append = self.store.append(
            room, nick, text, ref=ref, bot=bot, guest=guest, account_id=account_id, reply_to=reply_to,
            file_id=file_id, thread=thread, broadcast=broadcast, scheduled=scheduled, forward=forward,
        )  # fmt: skip
        appended = asyncio.ensure_future(append)
        self._appending.add(appended)
        appended.add_done_callback(self._appending.discard)
        appended.add_done_callback(lambda done: self._on_appended(done, stored))
        return stored

    def change(self, room: str, request: ChangeRequest) -> asyncio.Future[Changed]:
        """Store a change to a message; once committed, deliver it as a message is delivered."""
        outcome: asyncio.Future[Changed] = asyncio.get_running_loop().create_future()
        stored = asyncio.ensure_future(self.store.change(room, request))
        self._appending.add(stored)
        stored.add_done_callback(self._appending.discard)
        stored.add_done_callback(lambda done: self._on_changed(done, outcome))
        return outcome

    def _on_changed(self, done: asyncio.Future[Changed], outcome: asyncio.Future[Changed]) -> None:
        error = done.exception()
        if error is not None:
            if not outcome.done():
                outcome.set_exception(BackendError(str(error)) if isinstance(error, StoreError) else error)
            return
        change = done.result().change
        if change is not None:
            self._deliver_own(change)
        if not outcome.done():
            outcome.set_result(done.result())
        if change is not None:
            for watcher in self._change_watchers:
                watcher(change)

    def _on_appended(self, done: asyncio.Future[Appended], stored: asyncio.Future[StoredMessage]) -> None:
        error = done.exception()
        if error is not None:
            if not stored.done():
                stored.set_exception(BackendError(str(error)) if isinstance(error, StoreError) else error)
            return
        result = done.result()
        if result.new:
            self._deliver_own(result.message)
        if not stored.done():
            stored.set_result(result.message)
        if result.new:
            for watcher in self._stored_watchers:
                watcher(result.message)

    def watch_stored(self, watcher: Callable[[StoredMessage], None]) -> None:
        """Give ``watcher`` each message this process stores (not a re-sent one), once committed."""
        self._stored_watchers.append(watcher)

    def watch_changed(self, watcher: Callable[[StoredChange], None]) -> None:
        """Give ``watcher`` each change to a message this process stores, once committed."""
        self._change_watchers.append(watcher)

    def _deliver_own(self, message: Sequenced) -> None:
        outgoing = self._outgoing.get(message.room)
        if outgoing is None:
            # A batch's messages are committed together: they reach the members here in one
            # broadcast (one write per member, not one per message) and the bus in one publish;
            # the senders' acks come after, their callbacks being scheduled behind this one.
            self._outgoing[message.room] = outgoing = []
            asyncio.get_running_loop().call_soon(self._hand_over, message.room)
        outgoing.append(message)

    def _hand_over(self, room: str) -> None:
        messages = self._outgoing.pop(room, None)
        if not messages:
            return
        feed = self._feeds.get(room)
        if feed is not None:
            feed.take_own(messages)
        if not self.bus.shared:
            return  # no other process: nobody to hand the messages to
        if not self._to_bus:
            # Behind the hand-overs of every room of this commit (scheduled together).
            asyncio.get_running_loop().call_soon(self._hand_all_to_bus)
        self._to_bus.append((room, messages))

    def _hand_all_to_bus(self) -> None:
        stored, self._to_bus = self._to_bus, []
        if stored:
            task = asyncio.ensure_future(self._hand_to_bus(stored))
            self._background.add(task)
            task.add_done_callback(self._background.discard)

    async def _hand_to_bus(self, stored: list[tuple[str, list[Sequenced]]]) -> None:
        try:
            await self.bus.publish_stored(stored)
        except BusError as error:
            # Receivers repair the gap from the store once the bus is back.
            log.debug("cannot hand %d rooms' messages to the bus: %s", len(stored), error)

    # --- delivery ----------------------------------------------------------

    async def subscribe(self, room: str, sink: EventSink) -> None:
        """Deliver the room's events to ``sink``, messages in id order from now on."""
        feed = self._feeds.get(room)
        if feed is not None and not feed.closed:
            feed.sink = sink
            return
        feed = RoomFeed(room, sink, self._reader(room), repair_wait=self.repair_wait)
        self._feeds[room] = feed
        try:
            await self._bus_call(self.bus.subscribe(room, feed.take_from_bus))
            # Read after the subscription is in effect: anything committed
            # later reaches the feed, anything earlier is history.
            feed.start(await self.last_id(room))
        except BackendError:
            feed.close()
            if self._feeds.get(room) is feed:
                del self._feeds[room]
            raise

    def _reader(self, room: str) -> ReadAfter:
        async def read_after(after: int, limit: int) -> list[Sequenced]:
            return await self.store.sequence_after(room, after, limit)

        return read_after

    async def unsubscribe(self, room: str) -> None:
        """Stop delivering the room's events here."""
        feed = self._feeds.pop(room, None)
        if feed is not None:
            feed.close()
        await self._bus_call(self.bus.unsubscribe(room))

    # --- notices -------------------------------------------------------------

    def listen_notices(self, listener: NoticeListener) -> None:
        """Give ``listener`` every notice, from this process and the others."""
        self._notice_listener = listener

    async def notify(self, *notices: Notice) -> None:
        """Act on notices here at once, then hand them to the other processes (BackendError: bus failed)."""
        for notice in notices:
            self._noticed(notice)
        if self.bus.shared:
            await self._bus_call(self.bus.publish_notices(notices))

    def _noticed(self, notice: Notice) -> None:
        if self._notice_listener is not None:
            self._notice_listener.take(notice)

    async def _catch_up_all(self) -> None:
        """The bus was away: read from the store what every subscribed room missed.

        Notices published meanwhile are lost: the listener rechecks what they decide.
        """
        if self._notice_listener is not None:
            self._notice_listener.recheck()
        missed = 0
        for feed in list(self._feeds.values()):
            try:
                missed += await feed.catch_up()
            except StoreError as error:
                log.warning("cannot catch up room %r: %s", feed.room, error)
        log.warning(
            "caught up %d rooms after the bus came back: %d missed messages delivered",
            len(self._feeds),
            missed,
        )

    # --- rooms, health -------------------------------------------------------------

    async def rooms(self, *, prefix: str = "", after: str = "", limit: int = 50) -> list[RoomInfo]:
        """A page of the rooms with history (the store) or members (the bus), by name."""
        stored = await self._store_call(self.store.rooms(prefix=prefix, after=after, limit=limit))
        online = await self._bus_call(self.bus.online_rooms(prefix=prefix, after=after, limit=limit))
        last_ids = {row.room: row.last_id for row in stored}
        names = first_names(last_ids, online, limit=limit)
        counts = await self._bus_call(self.bus.online_counts(names))
        return [
            RoomInfo(room, count, last_ids.get(room, 0)) for room, count in zip(names, counts, strict=True)
        ]

    async def room_exists(self, room: str) -> bool:
        """Whether the room has members anywhere or any history."""
        (count,) = await self._bus_call(self.bus.online_counts([room]))
        return count > 0 or await self.last_id(room) > 0

    async def claim_room(self, room: str, *, store_checked: bool = False) -> str | None:
        """Hold the room's look-alike key: None, or the other room holding it."""
        if not store_checked:
            holder = await self._store_call(self.store.room_holding(room_key(room)))
            if holder is not None and holder != room:
                return holder
        return await self._bus_call(self.bus.claim_room(room))

    async def healthy(self) -> bool:
        """Whether the store can be written and the bus delivers."""
        store_ok, bus_ok = await asyncio.gather(self.store.healthy(), self.bus.healthy())
        return store_ok and bus_ok


def embedded(path: str = ":memory:", **store_options: object) -> ChatService:
    """The embedded default: a SQLite store and the in-process bus."""
    return ChatService(SQLiteStore(path, **store_options), LocalBus())  # type: ignore[arg-type]


__all__ = ["BusStartupError", "ChatService", "Event", "embedded"]
