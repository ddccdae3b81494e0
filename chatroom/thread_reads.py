"""Which messages a read of a room's history takes: every one, the main timeline, or one thread.

The JSON API's messages endpoint pages all three alike (docs/protocol.md,
"Threads"); the store reads them (store/threads_base.py).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from . import protocol
from .api import ApiError
from .backend import Backend, StoredMessage

# A page of a room's messages: (after, before, limit, newest) -> the messages, oldest first.
PageReader = Callable[[int | None, int | None, int, bool], Awaitable[list[StoredMessage]]]


def page_reader(backend: Backend, room: str, thread: int | None, top: bool) -> PageReader:
    """How a page of ``room`` is read: thread ``thread`` (its root and replies), the main timeline
    (``top``), or every message; 400 bad_request for both a thread and the main timeline."""
    if thread is not None and top:
        raise ApiError(400, protocol.BAD_REQUEST, "thread and top cannot be combined")

    def read(
        after: int | None, before: int | None, limit: int, newest: bool
    ) -> Awaitable[list[StoredMessage]]:
        if thread is not None:
            return backend.thread(room, thread, after=after, before=before, limit=limit, newest=newest)
        if top:
            return backend.top_history(room, after=after, before=before, limit=limit, newest=newest)
        return backend.history(room, after=after, before=before, limit=limit, newest=newest)

    return read
