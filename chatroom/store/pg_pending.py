"""The search index's pending lists, merged by a task of their own instead of by a commit.

PostgreSQL adds the search rows' entries to their two GIN indexes (trigrams
and keys, pg_search.py) through each index's pending list, an unsorted list
that every search of the index reads in full, and merges the list into the
index when an insert finds it past ``gin_pending_list_limit`` (4 MB): that
insert's transaction does the whole merge. The insert is the writer's, so a
batch's commit took hundreds of milliseconds now and then, and every message
behind it waited (docs/benchmarks/deployments.md, "The search index's pending
lists"). Here the lists are merged on a pooled connection once this process
has stored MERGE_AFTER messages since the last merge, or INTERVAL seconds
after it when it stored fewer: the writer's inserts find them short, and an
insert that finds one long while a merge runs does not wait for it
(PostgreSQL skips the merge then). Processes and nodes that merge at the
same time take turns, each finding little left.

A role that may not merge them (``gin_clean_pending_list`` needs the index's
owner) leaves them to the inserts, as before, and says so once.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from psycopg import errors

from ..tasks import stop_task
from .base import StoreError
from .pg_batch import Connection

log = logging.getLogger("chatroom.store")

# A merge once this many messages were stored since the last (a list holds 4 MB, the entries of
# a few thousand messages of a hundred characters), or this many seconds after the last when fewer
# were; checked every TICK seconds.
MERGE_AFTER = 256
INTERVAL = 1.0
TICK = 0.05
MERGE = (
    "SELECT gin_clean_pending_list('search_rows_trigrams'::regclass),"
    " gin_clean_pending_list('search_rows_keys'::regclass)"
)

Run = Callable[[Callable[[Connection], Awaitable[bool]], str], Awaitable[bool]]


async def merge_pending(conn: Connection) -> bool:
    """Merge both indexes' pending lists; False when the role may not."""
    try:
        await conn.execute(MERGE)
    except errors.InsufficientPrivilege:
        return False
    return True


class PendingLists:
    """Merges the search indexes' pending lists as ``stored()`` (messages stored so far) grows."""

    def __init__(
        self, run: Run, stored: Callable[[], int], *, after: int = MERGE_AFTER, interval: float = INTERVAL
    ) -> None:
        self._run = run
        self._stored = stored
        self._after = after
        self._interval = interval
        self._merged_at = 0
        self._merged_when = 0.0
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Start merging in the background."""
        self._task = asyncio.create_task(self._loop(), name="chatroom-store-pending-lists")

    async def stop(self) -> None:
        """Stop merging (a merge under way is cancelled: the next insert or merge finishes it)."""
        task, self._task = self._task, None
        await stop_task(task)

    def _due(self, stored: int, now: float) -> bool:
        """Whether to merge now, ``stored`` messages having been stored so far."""
        since = stored - self._merged_at
        return since >= self._after or (since > 0 and now - self._merged_when >= self._interval)

    async def _loop(self) -> None:
        loop = asyncio.get_running_loop()
        self._merged_when = loop.time()
        while True:
            await asyncio.sleep(TICK)
            stored = self._stored()
            if not self._due(stored, loop.time()):
                continue
            self._merged_at, self._merged_when = stored, loop.time()
            if not await self._merge():
                log.warning(
                    "the search index's pending lists are left to the writer's inserts: this role may"
                    " not merge them (gin_clean_pending_list needs the indexes' owner)"
                )
                return

    async def _merge(self) -> bool:
        """Whether merging may go on: a failure (the server away, a timeout) is tried again later."""
        try:
            return await self._run(merge_pending, "cannot merge the search index's pending lists")
        except StoreError as error:
            log.debug("%s", error)
            return True
