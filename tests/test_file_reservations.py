"""Room reserved under the files quota (store/files_base.py ``reserve``), on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from pathlib import Path
from unittest import mock

from chatroom.clock import now_ms
from chatroom.store.base import Store
from chatroom.store.files_base import RESERVATION_MS

from .stores import StoreFactory, run, run_on_two_nodes
from .test_file_store import person, upload

QUOTA = 1000


def test_a_reservation_holds_its_room_until_released(store_factory: StoreFactory) -> None:
    """600 of 1000 bytes reserved leave no room for 600 more, until the reservation is released."""

    async def scenario(store: Store) -> None:
        first = await store.files.reserve(600, QUOTA)
        assert first is not None
        assert await store.files.reserve(600, QUOTA) is None
        assert await store.files.reserve(400, QUOTA) is not None
        await store.files.release(first)
        await store.files.release(first)  # again: nothing happens
        assert await store.files.reserve(601, QUOTA) is None  # the 400 still hold their room
        assert await store.files.reserve(600, QUOTA) is not None
        assert await store.files.total_bytes() == 0

    run(store_factory(), scenario)


def test_stored_files_count_against_the_quota(store_factory: StoreFactory, tmp_path: Path) -> None:
    """With 700 bytes stored, 400 more do not fit and 300 do."""

    async def scenario(store: Store) -> None:
        await upload(store, tmp_path, await person(store), b"x" * 700)
        assert await store.files.reserve(400, QUOTA) is None
        assert await store.files.reserve(300, QUOTA) is not None

    run(store_factory(), scenario)


def test_a_reservation_a_crash_left_lapses_and_is_swept(store_factory: StoreFactory) -> None:
    """A reservation older than RESERVATION_MS counts no more, and the sweep removes it."""

    async def scenario(store: Store) -> None:
        long_ago = now_ms() - RESERVATION_MS - 1000
        module = type(store.files).__module__
        with mock.patch(f"{module}.now_ms", return_value=long_ago):
            assert await store.files.reserve(900, QUOTA) is not None
        assert await store.files.reserve(900, QUOTA) is not None  # the old one counts no more
        assert await store.files.reserve(200, QUOTA) is None  # the new one does
        await store.files.sweep(older_than_ms=RESERVATION_MS)
        assert await store.files.reserve(100, QUOTA) is not None

    run(store_factory(), scenario)


def test_two_nodes_reserving_at_once_cannot_together_pass_the_quota(
    shared_store_factory: StoreFactory,
) -> None:
    """Two stores on one database each ask for 600 of 1000 bytes, many times at once: one gets it."""

    async def scenario(left: Store, right: Store) -> None:
        asks = [store.files.reserve(600, QUOTA) for _ in range(6) for store in (left, right)]
        granted = [reservation for reservation in await asyncio.gather(*asks) if reservation is not None]
        assert len(granted) == 1
        await right.files.release(granted[0])
        assert await left.files.reserve(QUOTA, QUOTA) is not None

    run_on_two_nodes(shared_store_factory, scenario)
