"""Shared fixtures: a clean registry per test, servers and tools the tests start, Chromium."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from chatroom.handlers import ChatSocketHandler


@pytest.fixture(autouse=True)
def clean_registry() -> Iterator[None]:
    """The class-level registry is process state: every test starts with it empty."""
    ChatSocketHandler.reset_registry()
    yield
    # Sessions still listed belong to a loop that is already closed; tests
    # close their own clients while their loop runs (see ChatTestCase).
    ChatSocketHandler.reset_registry()


# Shared fixtures that parametrise tests over every store, the tests' PostgreSQL,
# and the page tests' Chromium (tests/page_browser.py): a fixture imported into
# each test file is a fixture of each file, a Chromium each; seen here once, the
# test process starts one and its contexts go from one test file to the next.
from .page_browser import browser, chromium, pages  # noqa: E402,F401
from .pg_server import postgres_server  # noqa: E402,F401
from .stores import shared_store_factory, store_factory  # noqa: E402,F401
