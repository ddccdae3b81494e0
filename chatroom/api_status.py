"""A person's status and paused notifications ("do not disturb"): ``/api/me/status`` and ``/api/me/dnd``.

A status is one emoji and a short text (one line, as a room's topic), until
a time or for good; a pause lasts until a time. Either, once its time has
passed, is as absent (store/status_base.py). Every account sees everyone's
(``GET /api/accounts``, the member lists, ``status`` and ``dnd`` frames);
guests see none and have none. Bots may say a status (a bot under
maintenance says so), not pause notifications: they get none.
"""

from __future__ import annotations

import logging
import unicodedata
from typing import Any

from . import protocol
from .access import Access
from .allowances import Allowance
from .api import ApiError, JsonHandler, spend_allowance
from .backend import Backend, tell_processes
from .changes import clean_emoji
from .clock import now_ms
from .config import Settings
from .events import PauseNotice, StatusNotice
from .identity import Authenticator, Identity
from .line_text import breaks_line, hides_text
from .links import SetupState
from .protocol import ProtocolError
from .store.accounts_base import AccountStore
from .store.records import PERSON
from .store.status_base import Pause, Status

log = logging.getLogger("chatroom.notices")

MAX_STATUS_LENGTH = 80
# A status or a pause may say up to a year ahead: further is a typo, or "never" for a status.
MAX_AHEAD_MS = 366 * 24 * 3600 * 1000
# Changes one account may make a minute (each is a frame to every account's pages), per process.
CHANGES_PER_MINUTE = 20
BAD_EMOJI = "bad_emoji"
IN_THE_PAST = "in_the_past"


def clean_status_text(raw: object) -> str:
    """A status's text: one line of at most MAX_STATUS_LENGTH characters, trimmed, "" allowed (the emoji
    alone); 400 bad_request for another type, a line break or a hidden character, 400 too_long past it."""
    if raw is None:
        return ""
    if not isinstance(raw, str):
        raise ApiError(400, protocol.BAD_REQUEST, '"text" must be a string')
    text = unicodedata.normalize("NFC", raw)
    if breaks_line(text) or hides_text(text):
        raise ApiError(
            400, protocol.BAD_REQUEST, "a status is one line: no line breaks or control characters"
        )
    text = text.strip()
    if len(text) > MAX_STATUS_LENGTH:
        raise ApiError(400, protocol.TOO_LONG, f"a status has at most {MAX_STATUS_LENGTH} characters")
    return text


def clean_status_emoji(raw: object) -> str:
    """A status's emoji, as a reaction's is checked (changes.clean_emoji); 400 bad_emoji otherwise."""
    try:
        return clean_emoji(raw)
    except ProtocolError as error:
        raise ApiError(400, BAD_EMOJI, error.message) from None


def clean_until(raw: object, now: int, *, required: bool) -> int | None:
    """When a status clears or a pause ends, ms since the epoch (null: never, where not ``required``);
    400 bad_request for another type or more than a year ahead, 400 in_the_past for a time gone by."""
    if raw is None and not required:
        return None
    if isinstance(raw, bool) or not isinstance(raw, int):
        never = "" if required else " or null"
        raise ApiError(400, protocol.BAD_REQUEST, f'"until" must be a time in ms since the epoch{never}')
    if raw <= now:
        raise ApiError(400, IN_THE_PAST, "that time has passed already: choose a later one")
    if raw > now + MAX_AHEAD_MS:
        raise ApiError(400, protocol.BAD_REQUEST, '"until" may be at most a year ahead')
    return raw


def status_json(status: Status | None) -> dict[str, Any] | None:
    """A status as the API and frames give it; None for none."""
    return None if status is None else protocol.status_part(status.emoji, status.text, status.until)


class StatusChangeHandler(JsonHandler):
    """What both endpoints share: who may change, how often, and telling every node."""

    def initialize(  # type: ignore[override]
        self,
        config: Settings,
        backend: Backend,
        authenticator: Authenticator,
        access: Access,
        changes: Allowance,
        setup: SetupState | None = None,
    ) -> None:
        super().initialize(config, backend, authenticator, access, setup)
        # Status changes per account (shared by both handlers): each is a frame to every account's pages.
        self.changes = changes

    def account(self) -> Identity:
        """Who asks, an account; 401 for a guest."""
        if self.who is None:
            raise ApiError(401, protocol.UNAUTHORIZED, "sign in first: guests have no status")
        return self.who

    async def spend_change(self, who: Identity) -> None:
        """Count one change; 429 rate_limited when ``who`` changes too fast."""
        await spend_allowance(self.changes, str(who.account_id), "you are changing your status too fast")

    async def tell_nodes(self, notice: StatusNotice | PauseNotice) -> None:
        """Tell every node's pages; the change is stored already, so a bus away is logged, not refused:
        pages show it when they next load."""
        await tell_processes(self.backend, notice, about=f"{notice.name!r}'s status", log=log)


class StatusHandler(StatusChangeHandler):
    """``GET /api/me/status``: ``{"status"}``; ``PUT`` ``{"emoji", "text", "until"}`` sets it; ``DELETE``
    clears it."""

    async def get(self) -> None:
        who = self.account()
        found = await self.unavailable_if_failing(
            self.backend.accounts.statuses_of([who.account_id], now_ms())
        )
        self.send_json({"status": status_json(found.get(who.account_id))})

    async def put(self) -> None:
        who = self.account()
        body = self.json_object()
        now = now_ms()
        status = Status(
            who.account_id,
            clean_status_emoji(body.get("emoji")),
            clean_status_text(body.get("text")),
            clean_until(body.get("until"), now, required=False),
            now,
        )
        await self.spend_change(who)
        await self.unavailable_if_failing(self.backend.accounts.set_status(status))
        await self.tell_nodes(StatusNotice(who.name, status.emoji, status.text, status.until))
        self.send_json({"status": status_json(status)})

    async def delete(self) -> None:
        who = self.account()
        await self.spend_change(who)
        cleared = await self.unavailable_if_failing(
            self.backend.accounts.clear_status(who.account_id, now_ms())
        )
        # Clearing nothing tells nobody: a DELETE repeated costs one answer, never a frame to everyone.
        if cleared:
            await self.tell_nodes(StatusNotice(who.name, None))
        self.set_status(204)
        self.finish()


class DndHandler(StatusChangeHandler):
    """``GET /api/me/dnd``: ``{"until"}`` (null: not paused); ``PUT`` ``{"until"}`` pauses notifications;
    ``DELETE`` resumes them."""

    def person(self) -> Identity:
        """Who asks, a person; 401 for a guest, 403 for a bot (it has no notifications)."""
        who = self.account()
        if who.account.kind != PERSON:
            raise ApiError(403, protocol.FORBIDDEN, "only people have notifications to pause")
        return who

    async def get(self) -> None:
        who = self.person()
        found = await self.unavailable_if_failing(self.backend.accounts.pauses_of([who.account_id], now_ms()))
        self.send_json({"until": found.get(who.account_id)})

    async def put(self) -> None:
        who = self.person()
        until = clean_until(self.json_object().get("until"), now_ms(), required=True)
        assert until is not None
        await self.spend_change(who)
        await self.unavailable_if_failing(
            self.backend.accounts.pause_notifications(Pause(who.account_id, until))
        )
        await self.tell_nodes(PauseNotice(who.name, until))
        self.send_json({"until": until})

    async def delete(self) -> None:
        who = self.person()
        await self.spend_change(who)
        resumed = await self.unavailable_if_failing(
            self.backend.accounts.resume_notifications(who.account_id, now_ms())
        )
        if resumed:
            await self.tell_nodes(PauseNotice(who.name, None))
        self.set_status(204)
        self.finish()


async def add_marks(accounts: AccountStore, entries: list[dict[str, Any]], ids: list[int]) -> None:
    """Give each account's entry (``entries[i]`` is ``ids[i]``'s) its ``status`` and ``dnd`` (until when
    its notifications are paused), each only when it has one now: two reads for the whole list."""
    now = now_ms()
    statuses = await accounts.statuses_of(ids, now)
    pauses = await accounts.pauses_of(ids, now)
    for entry, account_id in zip(entries, ids, strict=True):
        if account_id in statuses:
            entry["status"] = status_json(statuses[account_id])
        if account_id in pauses:
            entry["dnd"] = pauses[account_id]
