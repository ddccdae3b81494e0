"""The sweep of uploaded files: at start, then again and again, through failures, until stopped.

Every test runs on SQLite and on PostgreSQL (tests/stores.py).
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from types import SimpleNamespace

import pytest

from chatroom.file_sweep import FileSweeper
from chatroom.store.base import Store
from chatroom.store.files_base import ATTACHMENT, NewFile

from .stores import StoreFactory, failing_sweeps


def test_a_file_no_message_carries_is_swept_at_start_and_later(
    store_factory: StoreFactory, tmp_path: Path
) -> None:
    """A file left unattached goes at the first sweep; one saved later goes at a later sweep."""
    upload = tmp_path / "upload"
    upload.write_bytes(b"left behind")
    prepared = SimpleNamespace(
        path=upload,
        content_type="text/plain",
        size=11,
        width=None,
        height=None,
        thumb_path=None,
        thumb_type=None,
    )

    async def main() -> None:
        store = store_factory()
        await store.start()
        first = await store.files.save(NewFile("lobby", 1, "a.txt", ATTACHMENT), prepared)
        await asyncio.sleep(0.25)
        # A grace far longer than a save: what is being written is never swept.
        sweeper = FileSweeper(store.files, interval=0.05, grace_ms=200)
        sweeper.start()
        for _ in range(300):
            if await store.files.get(first.id) is None:
                break
            await asyncio.sleep(0.01)
        assert await store.files.get(first.id) is None
        later = await store.files.save(NewFile("lobby", 1, "b.txt", ATTACHMENT), prepared)
        for _ in range(300):
            if await store.files.get(later.id) is None:
                break
            await asyncio.sleep(0.01)
        assert await store.files.get(later.id) is None
        await sweeper.stop()
        await store.close()

    asyncio.run(main())


def test_a_failing_sweep_is_logged_and_tried_again(
    store_factory: StoreFactory, caplog: pytest.LogCaptureFixture
) -> None:
    """A store that cannot sweep is named in the log, and the next sweep comes all the same."""

    def sweeper(store: Store) -> FileSweeper:
        return FileSweeper(store.files, interval=0.01)

    failures = failing_sweeps(store_factory, caplog, sweeper, "chatroom.files", "cannot sweep uploaded files")
    assert failures >= 2
