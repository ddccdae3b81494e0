"""Link previews: after a message holding links is stored, its cards are read and become a change of it.

The process that stores a message (or an edit of it) watches it
(service.watch_stored, watch_changed): never on its path, the ack and
delivery come first. Its first links (preview_pages.MAX_LINKS) are each read
from the store's cards if one was read within CARD_FRESH_MS, by any node,
else fetched (preview_fetch.py: only public addresses, bounded in time and
bytes); a card's picture is fetched too, shrunk (preview_images.py) and
kept in the store. The cards found become one ``preview`` change of the
message (store/change_rules.py): it takes the room's next id and travels
as every change does, to every node, through ``since`` and history. After
an edit the cards follow the new text: a link still there keeps its card as
shown, a new one is read, one taken out takes its card away.

Bounds: at most MAX_FETCHES fetches at once in a process and MAX_WAITING
waiting beyond them (more are refused: ``busy``); each person's links are
fetched at most FETCHES_PER_MINUTE a minute on any node (an allowance:
allowances.py; more are refused: ``rate``),
cards already read costing nothing. A fetch that fails or is refused is
logged once, without the address's query, and its address is not read
again for CARD_FRESH_MS.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import orjson

from . import metrics
from .allowances import Allowance
from .backend import Backend, BackendError
from .clock import now_ms
from .config import Settings
from .events import EDIT, PREVIEW, StoredChange, StoredMessage
from .images import ImageRefusedError
from .preview_fetch import IMAGE, Fetcher, FetchFailedError, FetchRefusedError
from .preview_images import prepare_picture
from .preview_pages import (
    Picture,
    decode_page,
    image_card,
    links_in,
    parse_page,
    read_stored,
    stored_card,
    stored_form,
)
from .protocol import nick_key
from .store.base import StoreError
from .store.change_rules import ChangeRefusedError, ChangeRequest
from .store.previews_base import KeptCard, PreviewImage
from .webhooks import shown

log = logging.getLogger("chatroom.previews")

CARD_FRESH_MS = 3600 * 1000
MAX_FETCHES = 4
MAX_WAITING = 64
FETCHES_PER_MINUTE = 20
# A picture's metric and log line name it "image"; a page's "page".
REFUSED_RATE = "rate"
REFUSED_BUSY = "busy"


@dataclasses.dataclass(frozen=True, slots=True)
class Author:
    """Whose message is previewed: the name the change bears, the account (0: a guest), the rate's key."""

    nick: str
    account_id: int

    @property
    def key(self) -> str:
        return f"a{self.account_id}" if self.account_id else f"g{nick_key(self.nick)}"


class LinkPreviews:
    """Reads the cards of the links in the messages this process stores, and stores them as changes."""

    def __init__(
        self,
        settings: Settings,
        backend: Backend,
        spawn: Callable[[Awaitable[Any]], None],
        fetcher: Fetcher | None = None,
    ) -> None:
        """``spawn`` runs each message's previews in the background (the hub's, which keeps hold of them)."""
        self.backend = backend
        self._spawn = spawn
        self.fetcher = fetcher or Fetcher(
            allow_private=settings.preview_allow_private, listen=settings.address
        )
        self._fetching = asyncio.Semaphore(MAX_FETCHES)
        self._waiting = 0
        self._rates = Allowance(backend, "previews", FETCHES_PER_MINUTE)

    def start(self) -> None:
        """Watch the messages and edits this process stores."""
        self.backend.watch_stored(self.message_stored)
        self.backend.watch_changed(self.change_stored)

    def message_stored(self, message: StoredMessage) -> None:
        """A message is stored: its links' cards are read in the background."""
        if links_in(message.text):
            author = Author(message.nick, message.account_id or 0)
            self._spawn(self.preview(message.room, message.id, author, message.text))

    def change_stored(self, change: StoredChange) -> None:
        """An edit is stored: the message's cards follow its new text (follow_edit)."""
        if change.kind == EDIT:
            author = Author(change.nick, change.account_id or 0)
            self._spawn(self.follow_edit(change.room, change.target, author, change.text))

    async def preview(self, room: str, target: int, author: Author, text: str) -> None:
        """Read the cards of the links in ``text`` and store them as the previews of message ``target``
        (none if it holds another text by then: edited meanwhile, the edit's cards follow it)."""
        read = await asyncio.gather(*(self.card(url, author) for url in links_in(text)))
        cards = [card for card in read if card]
        if cards:
            await self._store(room, target, author, cards, text)

    async def follow_edit(self, room: str, target: int, author: Author, text: str) -> None:
        """After an edit to ``text``: the cards of the links it holds, those already shown kept as they are
        (not read again), new ones read; a link taken out takes its card with it, and no link left leaves
        none shown. Nothing when they stay as shown, or were removed for good, or the message was edited
        again meanwhile (that edit's cards follow it)."""
        try:
            found = await self.backend.history(room, after=target - 1, before=target + 1, limit=1)
        except (StoreError, BackendError) as error:
            log.warning("cannot read message %d of %r for its previews: %s", target, room, error)
            return
        message = found[0] if found and found[0].id == target else None
        if message is None or message.deleted or message.preview == "":
            return  # gone, or its previews removed for good
        shown = {str(card.get("url")): card for card in read_stored(message.preview or "")}
        read = await asyncio.gather(*(self._shown_or_read(url, author, shown) for url in links_in(text)))
        cards = [card for card in read if card]
        if stored_form(cards) != (message.preview or stored_form([])):
            await self._store(room, target, author, cards, text)

    async def _shown_or_read(self, url: str, author: Author, shown: dict[str, dict[str, Any]]) -> str:
        card = shown.get(url)
        return orjson.dumps(card).decode() if card is not None else await self.card(url, author)

    async def _store(self, room: str, target: int, author: Author, cards: list[str], read_for: str) -> None:
        request = ChangeRequest(
            PREVIEW,
            target,
            author.nick,
            author.account_id,
            text=stored_form(cards),
            on=True,
            read_for=read_for,
        )
        try:
            await self.backend.change(room, request)
        except ChangeRefusedError:
            pass  # deleted meanwhile: it shows none
        except BackendError as error:
            log.warning("cannot store the previews of message %d of %r: %s", target, room, error)

    async def card(self, url: str, author: Author) -> str:
        """The card of ``url`` in its stored form ("" for none): read recently, or fetched now."""
        accounts = self.backend.accounts
        try:
            kept = await accounts.kept_card(url)
        except StoreError as error:
            log.warning("cannot read the cards kept: %s", error)
            return ""
        if kept is not None and now_ms() - kept.fetched < CARD_FRESH_MS:
            return kept.card
        card = await self._bounded(url, author)
        if card is None:
            return ""
        try:
            await accounts.keep_card(KeptCard(url, now_ms(), card))
        except StoreError as error:
            log.warning("cannot keep the card of %s: %s", shown(url), error)
        return card

    async def _bounded(self, url: str, author: Author) -> str | None:
        """The card fetched within the process's and the person's bounds; None when refused by them."""
        if self._waiting >= MAX_WAITING:
            self._refused(url, REFUSED_BUSY)
            return None
        # Its place is held while the allowance is asked (over the bus): others waiting meanwhile count it.
        self._waiting += 1
        try:
            if await self._rates.spend(author.key):
                self._refused(url, REFUSED_RATE)
                return None
            async with self._fetching:
                return await self.read(url)
        finally:
            self._waiting -= 1

    def _refused(self, url: str, reason: str) -> None:
        metrics.PREVIEW_FETCHES.labels("refused").inc()
        log.info(
            "not previewing %s: %s",
            shown(url),
            "too many links at once" if reason == REFUSED_BUSY else "too many links from one person",
        )

    async def read(self, url: str) -> str:
        """Fetch ``url``: its card with its picture (stored form), "" when it gives none or fails."""
        try:
            fetched = await self.fetcher.fetch(url)
        except FetchRefusedError as refused:
            metrics.PREVIEW_FETCHES.labels("refused").inc()
            log.warning("not previewing %s: refused, %s", shown(url), refused)
            return ""
        except FetchFailedError as failed:
            metrics.PREVIEW_FETCHES.labels("failed").inc()
            log.warning("cannot preview %s: %s", shown(url), failed)
            return ""
        metrics.PREVIEW_FETCHES.labels("done").inc()
        if fetched.kind == IMAGE:
            picture = await self._keep_picture(url, fetched.body)
            return stored_card(image_card(url), picture) if picture is not None else ""
        card = parse_page(decode_page(fetched.body, fetched.content_type), fetched.url)
        if card is None:
            return ""
        picture = None if card.image is None else await self.picture(card.image)
        return stored_card(dataclasses.replace(card, url=url), picture)

    async def picture(self, url: str) -> Picture | None:
        """A card's picture fetched, shrunk and kept; None when it cannot be."""
        try:
            fetched = await self.fetcher.fetch(url, image_only=True)
        except FetchRefusedError as refused:
            metrics.PREVIEW_FETCHES.labels("refused").inc()
            log.warning("not reading the picture %s: refused, %s", shown(url), refused)
            return None
        except FetchFailedError as failed:
            metrics.PREVIEW_FETCHES.labels("failed").inc()
            log.warning("cannot read the picture %s: %s", shown(url), failed)
            return None
        metrics.PREVIEW_FETCHES.labels("done").inc()
        return await self._keep_picture(url, fetched.body)

    async def _keep_picture(self, url: str, data: bytes) -> Picture | None:
        try:
            picture, kept = await asyncio.to_thread(prepare_picture, data)
        except ImageRefusedError as refused:
            log.warning("not showing the picture %s: %s", shown(url), refused.reason)
            return None
        image = PreviewImage(
            picture.digest, picture.content_type, picture.width, picture.height, now_ms(), kept
        )
        try:
            await self.backend.accounts.keep_preview_image(image)
        except StoreError as error:
            log.warning("cannot keep the picture of %s: %s", shown(url), error)
            return None
        return picture
