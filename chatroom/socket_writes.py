"""What a chat connection writes and reads for its member: messages, changes, older pages, read marks.

handlers.ChatSocketHandler mixes this in and carries out its Session's
effects; these are the effects that go to the backend and come back as the
session's next input (stored, refused, failed; a page read). The session
decides, as everywhere: here are only the calls and their outcomes.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from collections.abc import Callable
from typing import Any

from . import changes, effects, metrics, protocol
from .backend import Backend, BackendError, StoredMessage
from .effects import Effects
from .hub import Hub
from .identity import Identity
from .session import Session
from .store.base import StoreError
from .store.change_rules import Changed, ChangeRefusedError
from .unread import UnreadDesk
from .webhooks import Webhooks

log = logging.getLogger("chatroom.ws")


class MemberWrites:
    """Storing a member's messages and changes, reading its older pages, marking what it read.

    The host class gives the session, the backend, a way to run tasks, the
    webhooks and the unread desk (if any), and how to carry out effects.
    """

    session: Session
    backend: Backend
    hub: Hub[Any]
    webhooks: Webhooks | None
    unread: UnreadDesk | None
    # In a direct room, messages may call its bots' webhooks.
    direct: bool
    _apply: Callable[[Effects], None]

    def _publish(self, publish: effects.Publish) -> None:
        started = time.perf_counter()
        who = self.session.who
        stored = asyncio.ensure_future(
            self.backend.publish(
                self.session.room,
                self.session.nick,
                publish.text,
                ref=publish.ref,
                guest=who is None,
                account_id=None if who is None else who.account_id,
                reply_to=publish.reply_to,
                thread=publish.thread,
                broadcast=publish.broadcast,
                bot=who is not None and who.is_bot,
            )
        )
        stored.add_done_callback(functools.partial(self._on_stored, publish, started))

    def _change(self, change: effects.Change) -> None:
        who = self.session.who
        assert who is not None  # intake refuses guests' changes
        # Who deletes anyone's message here was settled at the join (an owner stays one while connected):
        # the change goes to the store now, in the order of the member's frames, with no read first.
        request = changes.request_for(
            change.frame, self.session.nick, who.account_id, self.session.deletes_any
        )
        done = asyncio.ensure_future(self.backend.change(self.session.room, request))
        done.add_done_callback(functools.partial(self._on_changed, change))

    def _on_changed(self, change: effects.Change, done: asyncio.Future[Changed]) -> None:
        if self._unstored(change, done):
            return
        stored = done.result().change
        outcome = (done.result().target, True) if stored is None else (stored.id, False)
        self._apply(self.session.stored(change, outcome[0], unchanged=outcome[1]))

    def _on_stored(
        self, publish: effects.Publish, started: float, stored: asyncio.Future[StoredMessage]
    ) -> None:
        if self._unstored(publish, stored):
            return
        metrics.MESSAGES_STORED.inc()
        metrics.STORE_SECONDS.observe(time.perf_counter() - started)
        self._apply(self.session.stored(publish, stored.result().id))
        if self.webhooks is not None:
            call = self.webhooks.direct_message if self.direct else self.webhooks.room_message
            call(self.session.room, self.session.who, stored.result())

    def _unstored(self, asked: effects.Publish | effects.Change, done: asyncio.Future[Any]) -> bool:
        """Whether what was asked came to nothing (abandoned, refused, failed): the session is told."""
        if done.cancelled():
            self._apply(self.session.store_abandoned(asked))
        elif isinstance(refused := done.exception(), ChangeRefusedError):
            self._apply(self.session.change_refused(asked, refused.code, refused.message))
        elif done.exception() is not None:
            self._apply(self.session.store_failed(asked))
        else:
            return False
        return True

    async def _read_page(self, request: effects.ReadPage) -> None:
        try:
            read = self.backend.top_history if request.top else self.backend.history
            messages = await read(self.session.room, before=request.before, limit=request.limit + 1)
        except BackendError:
            self._apply(self.session.page_failed(request))
            return
        self._apply(self.session.page_read(request, messages))

    def _mark_read(self, mark: effects.MarkRead) -> None:
        """An account's mark goes to the unread desk (its tabs hear of it); a guest keeps no position."""
        who = self.session.who
        if who is not None and self.unread is not None:
            self.hub.spawn(self._logged_mark(self.unread, who, mark.id))

    async def _logged_mark(self, unread: UnreadDesk, who: Identity, upto: int) -> None:
        try:
            await unread.mark(who, self.session.room, upto)
        except (BackendError, StoreError) as error:
            log.warning("cannot mark %r read: %s", self.session.room, error)
            self._apply([effects.Send((protocol.error_frame(protocol.UNAVAILABLE, "cannot mark read now"),))])
