"""What the command line did to accounts, found in the moderation history and acted on by the server.

An administrator who deactivates an account, or makes someone an
administrator, in the Administration panel tells every node at once (a
notice on the bus): the account's open sockets close, every page marks the
name. ``python -m chatroom admin deactivate`` (or ``sign-out``, ``make-admin``,
``remove-admin``) writes to the database alone: no bus reaches it when the
store is SQLite, so a running server would keep a deactivated account's
open sockets until they closed by themselves — the account someone locks
out in a hurry, from a shell, because nobody else can — and a socket opened
as an administrator would keep that right. Every such act is kept in the
moderation history (store/acts_base.py) with no account as its actor; each
server process reads the history's newest acts every few seconds and acts
on the command line's as on the notice the panel sends.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from .events import DEACTIVATED, SIGNED_OUT_BY_ADMIN, AccountNotice, AdminNotice, Notice
from .store.acts_base import DEACTIVATE, MAKE_ADMIN, REMOVE_ADMIN, SIGN_OUT, ActStore, ModerationAct
from .store.base import StoreError
from .tasks import Repeating

log = logging.getLogger("chatroom.accounts")

# Seconds between two looks at the history: how long an act of the command line may wait.
WATCH_INTERVAL = 3.0
# Acts read at a time, newest first, until the last one seen.
PAGE = 50


class ActsWatch(Repeating):
    """Reads the moderation history's new acts at start (noting where it stands) and every ``interval``
    seconds; tells ``tell`` of each act of the command line on an account, as the notice the panel's act
    sends, to this process alone."""

    task_name = "chatroom-acts-watch"

    def __init__(
        self, acts: ActStore, tell: Callable[[Notice], None], *, interval: float = WATCH_INTERVAL
    ) -> None:
        super().__init__(interval)
        self.acts = acts
        self.tell = tell
        # The newest act seen; None until the history could be read once (what came before is done).
        self._newest: int | None = None
        self._failing = False

    async def once(self) -> None:
        """One look, its failure said once an outage."""
        try:
            await self.look()
        except StoreError as error:
            # The database is away: the next look reads what this one missed.
            if not self._failing:
                log.warning("cannot read the moderation history for the command line's acts: %s", error)
            self._failing = True
        else:
            self._failing = False

    async def look(self) -> None:
        """Tell of every act of the command line written since the last look (none at the first: it
        only notes where the history stands)."""
        new = await self._acts_since(self._newest)
        if new:
            if self._newest is not None:
                for act in reversed(new):
                    self._tell_of(act)
            self._newest = new[0].id
        elif self._newest is None:
            self._newest = 0

    async def _acts_since(self, newest: int | None) -> list[ModerationAct]:
        """The acts above ``newest``, newest first (at the first look, None: only the newest one)."""
        if newest is None:
            return await self.acts.acts(limit=1)
        found: list[ModerationAct] = []
        before = 0
        while True:
            page = await self.acts.acts(before_id=before, limit=PAGE)
            found += [act for act in page if act.id > newest]
            if len(page) < PAGE or page[-1].id <= newest:
                return found
            before = page[-1].id

    def _tell_of(self, act: ModerationAct) -> None:
        # The panel's acts name their administrator's account, and were told of on the bus already.
        if act.actor_id is not None or act.subject_id is None:
            return
        if act.act == DEACTIVATE:
            self.tell(AccountNotice(act.subject_id, DEACTIVATED))
        elif act.act == SIGN_OUT:
            self.tell(AccountNotice(act.subject_id, SIGNED_OUT_BY_ADMIN))
        elif act.act in (MAKE_ADMIN, REMOVE_ADMIN):
            self.tell(AdminNotice(act.subject_id, act.subject, act.act == MAKE_ADMIN))
