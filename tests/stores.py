"""Stores for tests: every store test runs on SQLite and on PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from chatroom.store.base import Store
from chatroom.store.sqlite import SQLiteStore

StoreFactory = Callable[[], Store]


@pytest.fixture(params=["sqlite"])
def store_factory(request: pytest.FixtureRequest) -> StoreFactory:
    """A factory of unstarted stores of one kind, each with a database of its own."""
    return lambda: SQLiteStore(":memory:")
