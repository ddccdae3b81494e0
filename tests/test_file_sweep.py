"""The files sweep (file_sweep.py): at start, then every interval, until stopped; a failing store waits."""

from __future__ import annotations

import asyncio
from typing import Any, cast

from chatroom.file_sweep import FileSweeper
from chatroom.store.base import StoreError
from chatroom.store.files_base import UNATTACHED_GRACE_MS, FileStore


class SweptFiles:
    """A file store that records its sweeps (and fails them when told)."""

    def __init__(self, failing: bool = False) -> None:
        self.sweeps: list[int] = []
        self.failing = failing

    async def sweep(self, *, older_than_ms: int) -> int:
        self.sweeps.append(older_than_ms)
        if self.failing:
            raise StoreError("the database is away")
        return 2


def run(files: SweptFiles, sweeps: int, interval: float = 0.05) -> tuple[int, int]:
    """Start a sweeper, stop it once it has swept ``sweeps`` times, wait three intervals more.

    How many sweeps there were at the stop, and how many times the bytes were counted after one.
    """
    counted: list[int] = []

    async def count() -> None:
        counted.append(1)

    async def scenario() -> int:
        tasks: set[asyncio.Future[Any]] = set()
        sweeper = FileSweeper(cast(FileStore, files), count, interval)
        sweeper.start(lambda work: tasks.add(asyncio.ensure_future(work)))
        for _ in range(200):
            if len(files.sweeps) >= sweeps:
                break
            await asyncio.sleep(interval / 5)
        sweeper.stop()
        await asyncio.gather(*tasks)
        at_stop = len(files.sweeps)
        await asyncio.sleep(interval * 3)
        return at_stop

    at_stop = asyncio.run(scenario())
    return at_stop, len(counted)


def test_it_sweeps_at_start_and_every_interval_until_stopped() -> None:
    """Sweeps of files unattached for an hour come one after another, and none after the stop."""
    files = SweptFiles()
    at_stop, counted = run(files, sweeps=3)
    assert at_stop >= 3 and len(files.sweeps) == at_stop
    assert set(files.sweeps) == {UNATTACHED_GRACE_MS}
    assert counted == at_stop


def test_a_failing_store_is_tried_again_at_the_next_sweep() -> None:
    """A sweep the store refuses is logged, counts nothing, and the next one comes all the same."""
    files = SweptFiles(failing=True)
    at_stop, counted = run(files, sweeps=2)
    assert at_stop >= 2 and counted == 0
