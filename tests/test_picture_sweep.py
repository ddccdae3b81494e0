"""The sweep of link previews' pictures: after start, then again and again, through failures, until stopped.

Every test runs on SQLite and on PostgreSQL (tests/stores.py).
"""

from __future__ import annotations

import asyncio
import logging

import pytest

from chatroom.clock import now_ms
from chatroom.picture_sweep import PictureSweeper
from chatroom.store.accounts_base import AccountStore
from chatroom.store.base import Store
from chatroom.store.previews_base import PreviewImage

from .stores import StoreFactory, failing_sweeps


def test_a_picture_no_card_shows_is_swept_at_start_and_later(
    store_factory: StoreFactory, caplog: pytest.LogCaptureFixture
) -> None:
    """A picture nothing names goes at the first sweep (a moment after start) once older than the grace,
    and says so in the log; one kept later goes at a later sweep."""

    async def kept(accounts: AccountStore, name: str) -> str:
        digest = name * 32
        await accounts.keep_preview_image(PreviewImage(digest, "image/png", 2, 1, now_ms(), b"png"))
        return digest

    def said() -> list[str]:
        return [r.getMessage() for r in caplog.records if "pictures of link previews" in r.getMessage()]

    async def gone(accounts: AccountStore, digest: str, sweeps: int) -> None:
        # The log line follows the sweep's commit: a read may see the picture gone just before it.
        for _ in range(300):
            if await accounts.preview_image(digest) is None and len(said()) >= sweeps:
                return
            await asyncio.sleep(0.01)
        raise AssertionError(f"picture {digest} was not swept, or not said so: {said()}")

    async def main() -> None:
        store = store_factory()
        await store.start()
        first = await kept(store.accounts, "ab")
        await asyncio.sleep(0.25)
        sweeper = PictureSweeper(store.accounts, interval=0.05, first_after=0.05, grace_ms=200)
        sweeper.start()
        await gone(store.accounts, first, 1)
        later = await kept(store.accounts, "cd")
        await gone(store.accounts, later, 2)
        await sweeper.stop()
        await store.close()

    with caplog.at_level(logging.INFO, logger="chatroom.previews"):
        asyncio.run(main())
    assert said()[:2] == ["swept 1 pictures of link previews that no card shows"] * 2


def test_a_failing_sweep_is_logged_and_tried_again(
    store_factory: StoreFactory, caplog: pytest.LogCaptureFixture
) -> None:
    """A store that cannot sweep is named in the log, and the next sweep comes all the same."""

    def sweeper(store: Store) -> PictureSweeper:
        return PictureSweeper(store.accounts, interval=0.01, first_after=0)

    failures = failing_sweeps(store_factory, caplog, sweeper, "chatroom.previews", "cannot sweep")
    assert failures >= 2
