"""Shared fixtures: a clean registry per test, servers and tools the tests start."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from chatroom.handlers import ChatSocketHandler


@pytest.fixture(autouse=True)
def clean_registry() -> Iterator[None]:
    """The class-level registry is process state: every test starts with it empty."""
    ChatSocketHandler.reset_registry()
    yield
    for client in tuple(ChatSocketHandler.sessions):
        client.close()
    ChatSocketHandler.reset_registry()
