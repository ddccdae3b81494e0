"""The backend's own helpers: telling the other processes of a stored change."""

from __future__ import annotations

import asyncio
import logging
from typing import Any, cast

import pytest

from chatroom.backend import Backend, BackendError, tell_processes
from chatroom.events import Notice, PresenceNotice

LOG = logging.getLogger("chatroom.test-telling")


class Telling:
    """A backend whose ``notify`` records the notices, or fails as a bus that is away."""

    def __init__(self, failure: Exception | None = None) -> None:
        self.failure = failure
        self.told: list[tuple[Notice, ...]] = []

    async def notify(self, *notices: Notice) -> None:
        self.told.append(notices)
        if self.failure is not None:
            raise self.failure


def tell(backend: Telling, *notices: Notice, about: str) -> None:
    asyncio.run(tell_processes(cast(Backend, backend), *notices, about=about, log=LOG))


def test_every_notice_is_handed_on_in_one_call(caplog: pytest.LogCaptureFixture) -> None:
    backend = Telling()
    tell(backend, PresenceNotice(1), PresenceNotice(2), about="two accounts")
    assert backend.told == [(PresenceNotice(1), PresenceNotice(2))]
    assert not caplog.records


def test_a_bus_away_is_logged_as_a_warning_naming_the_change(caplog: pytest.LogCaptureFixture) -> None:
    backend = Telling(BackendError("redis is away"))
    with caplog.at_level(logging.WARNING, logger=LOG.name):
        tell(backend, PresenceNotice(7), about="an account coming or going")
    assert [(r.levelno, r.name, r.getMessage()) for r in caplog.records] == [
        (
            logging.WARNING,
            LOG.name,
            "cannot tell the other processes of an account coming or going: redis is away",
        )
    ]


def test_an_unexpected_failure_is_not_swallowed() -> None:
    backend: Any = Telling(RuntimeError("a bug"))
    with pytest.raises(RuntimeError, match="a bug"):
        tell(backend, PresenceNotice(7), about="anything")
