"""The sweep of link previews' pictures: an hour after start and then once a day, pictures no card names
any more go (not at start: a server's start, and a restart loop's, stays free of a read of every message).

A picture is kept once for every card that shows it (store/previews_base.py);
a message edited, deleted or stripped of its previews may leave one that no
message's cards and no card read recently name. store.accounts.
sweep_preview_images deletes those kept more than PICTURE_GRACE_MS ago, so
a picture kept for a card being read is never touched. Every server process
sweeps; sweeps of several processes at once delete each picture once.
"""

from __future__ import annotations

import logging

from .clock import now_ms
from .store.base import StoreError
from .store.previews_base import PICTURE_GRACE_MS, PreviewStore
from .tasks import Repeating

log = logging.getLogger("chatroom.previews")

# Seconds between sweeps: each reads the cards of every message that shows some.
SWEEP_INTERVAL = 24 * 3600.0
# Seconds from start to the first sweep.
FIRST_SWEEP_AFTER = 3600.0


class PictureSweeper(Repeating):
    """Runs store.accounts.sweep_preview_images ``first_after`` seconds after start and then every
    ``interval`` seconds, until stopped (a sweep under way is cancelled: the next start does it again)."""

    task_name = "chatroom-picture-sweep"

    def __init__(
        self,
        previews: PreviewStore,
        *,
        interval: float = SWEEP_INTERVAL,
        first_after: float = FIRST_SWEEP_AFTER,
        grace_ms: int = PICTURE_GRACE_MS,
    ) -> None:
        super().__init__(interval, first_after)
        self.previews = previews
        self.grace_ms = grace_ms

    async def once(self) -> None:
        """One sweep."""
        try:
            swept = await self.previews.sweep_preview_images(now_ms() - self.grace_ms)
        except StoreError as error:
            # The database is away: the next sweep tries again.
            log.warning("cannot sweep the pictures of link previews: %s", error)
        else:
            if swept:
                log.info("swept %d pictures of link previews that no card shows", swept)
