"""Which links the server reads for previews, and how often (previews.py): a stub fetcher, a real store."""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from typing import Any

import pytest

from chatroom import metrics
from chatroom.bus.local import LocalBus
from chatroom.config import Settings
from chatroom.events import EDIT
from chatroom.preview_fetch import PAGE, Fetched, FetchFailedError
from chatroom.previews import FETCHES_PER_MINUTE, MAX_FETCHES, MAX_WAITING, Author, LinkPreviews
from chatroom.store.change_rules import ChangeRequest
from chatroom.store.sqlite import SQLiteStore

PAGE_TEXT = b'<title>A page</title><meta name="description" content="about it">'


class StubFetcher:
    """Answers every page with PAGE_TEXT, except those under /down (no answer); counts what it was asked."""

    def __init__(self) -> None:
        self.asked: Counter[str] = Counter()

    async def fetch(self, url: str, *, image_only: bool = False) -> Fetched:
        self.asked[url] += 1
        if "/down" in url:
            raise FetchFailedError("no answer")
        return Fetched(url, PAGE, "text/html", PAGE_TEXT)


class StubBackend:
    """The store's accounts, one process's bus for allowances, and the preview changes asked for."""

    def __init__(self, store: SQLiteStore) -> None:
        self.accounts = store.accounts
        self.bus = LocalBus()
        self.changes: list[ChangeRequest] = []

    async def spend(self, key: str, per_minute: int) -> float:
        return await self.bus.spend(key, per_minute)

    async def change(self, room: str, request: ChangeRequest) -> Any:
        self.changes.append(request)


class SpendingStore:
    """The store itself standing for the backend (its changes are stored), with one process's allowances."""

    def __init__(self, store: SQLiteStore) -> None:
        self.store = store
        self.accounts = store.accounts
        self.bus = LocalBus()

    async def change(self, room: str, request: ChangeRequest) -> Any:
        return await self.store.change(room, request)

    async def history(self, room: str, **page: Any) -> Any:
        return await self.store.history(room, **page)

    async def spend(self, key: str, per_minute: int) -> float:
        return await self.bus.spend(key, per_minute)


def previews_with(store: SQLiteStore) -> tuple[LinkPreviews, StubFetcher, StubBackend]:
    """The previews of a process on ``store``, reading with the stub."""
    fetcher, backend = StubFetcher(), StubBackend(store)
    desk = LinkPreviews(Settings(), backend, asyncio.ensure_future, fetcher)  # type: ignore[arg-type]
    return desk, fetcher, backend


def test_a_person_gets_links_read_at_a_bounded_rate_and_a_card_read_once_serves_everyone() -> None:
    """ann's links past FETCHES_PER_MINUTE are not read; bob's are; a page read (or failed) within the hour
    is not read again, for anyone; the cards of a message's links make one change, in their order."""

    async def scenario() -> None:
        store = SQLiteStore(":memory:")
        await store.start()
        try:
            desk, fetcher, backend = previews_with(store)
            for n in range(FETCHES_PER_MINUTE + 1):
                await desk.preview("lobby", n + 1, Author("ann", 1), f"https://x.org/{n}")
            assert len(fetcher.asked) == FETCHES_PER_MINUTE and len(backend.changes) == FETCHES_PER_MINUTE
            await desk.preview("lobby", 50, Author("bob", 2), f"https://x.org/{FETCHES_PER_MINUTE}")
            assert fetcher.asked[f"https://x.org/{FETCHES_PER_MINUTE}"] == 1
            links = "https://x.org/0 https://y.org/down https://x.org/1"
            await desk.preview("lobby", 51, Author("carl", 3), links)
            await desk.preview("lobby", 52, Author("carl", 3), links)
            assert fetcher.asked["https://x.org/0"] == 1 and fetcher.asked["https://y.org/down"] == 1
            last = backend.changes[-1]
            assert (last.target, last.nick, last.on) == (52, "carl", True)
            assert last.text.count('"title":"A page"') == 2 and last.text.index("/0") < last.text.index("/1")
        finally:
            await store.close()

    asyncio.run(scenario())


class HeldFetcher(StubFetcher):
    """Answers as StubFetcher once ``release`` is set; until then every fetch waits."""

    def __init__(self) -> None:
        super().__init__()
        self.release = asyncio.Event()

    async def fetch(self, url: str, *, image_only: bool = False) -> Fetched:
        self.asked[url] += 1
        await self.release.wait()
        return Fetched(url, PAGE, "text/html", PAGE_TEXT)


def refused_fetches() -> float:
    return float(metrics.PREVIEW_FETCHES.labels("refused")._value.get())


def test_past_the_links_a_process_reads_at_once_and_keeps_waiting_a_link_is_refused_busy(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """While MAX_WAITING links of as many people are being read or wait to be, the next one is not
    read: refused as busy, counted and logged without its query; the others become changes once their
    pages answer, and a link after them is read again."""

    async def scenario() -> None:
        store = SQLiteStore(":memory:")
        await store.start()
        fetcher, backend = HeldFetcher(), StubBackend(store)
        desk = LinkPreviews(Settings(), backend, asyncio.ensure_future, fetcher)  # type: ignore[arg-type]
        try:
            held = [
                asyncio.ensure_future(
                    desk.preview("lobby", n + 1, Author(f"p{n}", n + 1), f"https://x.org/{n}")
                )
                for n in range(MAX_WAITING)
            ]
            while sum(fetcher.asked.values()) < MAX_FETCHES:
                await asyncio.sleep(0.01)
            refused = refused_fetches()
            busy = desk.preview("lobby", 100, Author("zoe", 100), "https://busy.org/page?key=secret")
            await asyncio.wait_for(busy, 5)  # refused at once: it does not wait for a turn
            assert fetcher.asked["https://busy.org/page?key=secret"] == 0
            assert refused_fetches() == refused + 1 and backend.changes == []
            assert sum(fetcher.asked.values()) == MAX_FETCHES  # the rest wait their turn
            fetcher.release.set()
            await asyncio.gather(*held)
            assert sorted(change.target for change in backend.changes) == list(range(1, MAX_WAITING + 1))
            await desk.preview("lobby", 101, Author("zoe", 100), "https://busy.org/later")
            assert fetcher.asked["https://busy.org/later"] == 1 and backend.changes[-1].target == 101
        finally:
            await store.close()

    with caplog.at_level(logging.INFO, logger="chatroom.previews"):
        asyncio.run(scenario())
    busy = [r.getMessage() for r in caplog.records if "too many links at once" in r.getMessage()]
    assert busy == ["not previewing https://busy.org/page: too many links at once"]


def test_cards_read_for_a_text_edited_meanwhile_are_not_shown() -> None:
    """ann links a page and edits the link out while the page is read: when it answers, its card does not
    land on the edited message, which shows none; read for the text it holds, a card is shown."""

    async def scenario() -> None:
        store = SQLiteStore(":memory:")
        await store.start()
        fetcher, ann = HeldFetcher(), Author("ann", 1)
        backend = SpendingStore(store)
        desk = LinkPreviews(Settings(), backend, asyncio.ensure_future, fetcher)  # type: ignore[arg-type]
        try:
            first = "see https://x.org/slow"
            await store.append("lobby", "ann", first, account_id=1)
            reading = asyncio.ensure_future(desk.preview("lobby", 1, ann, first))
            while not fetcher.asked:
                await asyncio.sleep(0.01)
            await store.change("lobby", ChangeRequest(EDIT, 1, "ann", 1, text="no link now"))
            await desk.follow_edit("lobby", 1, ann, "no link now")
            fetcher.release.set()
            await asyncio.wait_for(reading, 5)
            (message,) = await store.history("lobby")
            assert (message.text, message.preview) == ("no link now", None)
            await store.change("lobby", ChangeRequest(EDIT, 1, "ann", 1, text="see https://x.org/now"))
            await desk.follow_edit("lobby", 1, ann, "see https://x.org/now")
            (message,) = await store.history("lobby")
            assert message.preview is not None and "https://x.org/now" in message.preview
        finally:
            await store.close()

    asyncio.run(scenario())
