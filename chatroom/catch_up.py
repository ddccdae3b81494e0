"""A joining member's events until it is live: held, then passed on without what history showed (no I/O).

PROTOCOL.md orders a member's first frames: welcome, history, its own join,
then the room's events. What the room broadcasts meanwhile is held here
(session.Session decides when), then passed on batch by batch, without the
messages and changes history already showed, nor the member's own join.

History can show a message that is stored but not yet delivered to this
process (the store commits, then hands the batch to the loop). Until the
room's stream passes the last id history showed, the member takes its
events this way; once it has, the session settles and the hub writes the
room's broadcasts straight to the member.
"""

from __future__ import annotations

from collections.abc import Sequence

from . import changes
from .events import Delivered, StoredChange, StoredMessage


class CatchUp:
    """The events held for a joining member, and what of the room's stream it still has to see."""

    def __init__(self) -> None:
        # The last id history showed.
        self.shown_through = 0
        self._held: list[Delivered] = []

    def start_after(self, shown_through: int, last_id: int, since: int | None) -> None:
        """History showed up to ``shown_through`` (0: nothing) of a room whose last id is ``last_id``."""
        # A since beyond the room's last id (from another epoch, say) must not
        # make the live stream skip the room's next messages.
        self.shown_through = shown_through or min(last_id, since if since is not None else last_id)

    def hold(self, events: Sequence[Delivered]) -> None:
        """Keep events until the member's welcome, history and own join are out."""
        self._held.extend(events)

    def drop_held(self) -> None:
        """Forget what was held: the member is gone."""
        self._held = []

    def take_held(self, nick_key: str) -> tuple[list[Delivered], bool]:
        """What was held that is news, and whether the stream has passed history (an empty room's has)."""
        held, self._held = self._held, []
        delivered = max((e.id for e in held if isinstance(e, StoredMessage | StoredChange)), default=0)
        return self.news(held, nick_key), delivered >= self.shown_through

    def news(self, events: Sequence[Delivered], nick_key: str) -> list[Delivered]:
        """The events history did not show, and not the member's own join (``nick_key``'s)."""
        return [e for e in events if changes.still_news(e, self.shown_through, nick_key)]

    def passed(self, events: Sequence[Delivered]) -> bool:
        """Whether these events take the stream to, or past, the last id history showed."""
        return any(isinstance(e, StoredMessage | StoredChange) and e.id >= self.shown_through for e in events)
