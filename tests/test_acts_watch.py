"""The watch over the moderation history: each act of the command line on an account, told once, in order;
the panel's, told already on the bus, never."""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Callable, Coroutine, Sequence
from typing import Any

import pytest

from chatroom.acts_watch import PAGE, ActsWatch
from chatroom.events import DEACTIVATED, SIGNED_OUT_BY_ADMIN, AccountNotice, AdminNotice, Notice
from chatroom.store.acts_base import (
    DEACTIVATE,
    MAKE_ADMIN,
    REACTIVATE,
    REMOVE_ADMIN,
    REMOVE_MEMBER,
    SIGN_OUT,
    ModerationAct,
)
from chatroom.store.base import StoreError

from .stores import StoreFactory


def in_loop(body: Callable[..., Coroutine[Any, Any, None]]) -> Callable[..., None]:
    """The async test body, run to its end in a loop of its own."""

    @functools.wraps(body)
    def test(*args: Any, **kwargs: Any) -> None:
        asyncio.run(body(*args, **kwargs))

    return test


class History:
    """A moderation history in memory, read as the store reads it; ``failing`` makes reads fail."""

    def __init__(self) -> None:
        self.kept: list[ModerationAct] = []
        self.failing = False
        self.reads = 0

    def add(self, act: str, subject_id: int | None, by: int | None = None) -> None:
        """An act of the command line's (``by``: the administrator's account, for the panel's)."""
        actor = "the command line" if by is None else "root"
        subject = f"p{subject_id}"
        self.kept.append(
            ModerationAct(act, 0, actor, subject, by, subject_id=subject_id, id=len(self.kept) + 1)
        )

    async def record_act(self, act: ModerationAct) -> ModerationAct:
        raise NotImplementedError

    async def acts(self, *, before_id: int = 0, limit: int = 100) -> list[ModerationAct]:
        self.reads += 1
        if self.failing:
            raise StoreError("the database is away")
        newest_first = [act for act in reversed(self.kept) if before_id == 0 or act.id < before_id]
        return newest_first[:limit]

    async def import_acts(self, acts: Sequence[ModerationAct]) -> None:
        raise NotImplementedError


def watched() -> tuple[History, ActsWatch, list[Notice]]:
    history, told = History(), []
    return history, ActsWatch(history, told.append), told


def deactivated(*ids: int) -> list[Notice]:
    return [AccountNotice(account_id, DEACTIVATED) for account_id in ids]


@in_loop
async def test_acts_before_the_first_look_are_done_and_told_of_by_nobody() -> None:
    """What the history held when the server started was acted on then: nothing is told."""
    history, watch, told = watched()
    history.add(DEACTIVATE, 2)
    await watch.look()
    await watch.look()
    assert told == []


@in_loop
async def test_an_empty_history_s_first_deactivation_is_told() -> None:
    """A server started on a new database notes an empty history; the first deactivation is told."""
    history, watch, told = watched()
    await watch.look()
    history.add(DEACTIVATE, 7)
    await watch.look()
    assert told == deactivated(7)


@in_loop
async def test_each_new_deactivation_is_told_once_oldest_first_and_other_acts_are_not() -> None:
    """Deactivations among other acts, more than a page of them: each told once, in the order made."""
    history, watch, told = watched()
    history.add(REMOVE_MEMBER, 1)
    await watch.look()
    for n in range(PAGE + 10):
        history.add(DEACTIVATE if n % 3 == 0 else REACTIVATE, 100 + n)
    history.add(DEACTIVATE, None)  # a guest's act names no account
    await watch.look()
    assert told == deactivated(*(100 + n for n in range(PAGE + 10) if n % 3 == 0))
    await watch.look()
    assert len(told) == len(range(0, PAGE + 10, 3))


@in_loop
async def test_a_sign_out_of_the_command_line_is_told_and_the_panel_s_is_not() -> None:
    """The command line's sign-out closes the person's sockets as the panel's notice does; the panel's
    own (an administrator's account as actor) was told on the bus already."""
    history, watch, told = watched()
    await watch.look()
    history.add(SIGN_OUT, 4, by=1)
    history.add(SIGN_OUT, 5)
    await watch.look()
    assert told == [AccountNotice(5, SIGNED_OUT_BY_ADMIN)]


@in_loop
async def test_administrators_made_and_unmade_are_told_and_the_panel_s_acts_are_not() -> None:
    """The command line's make-admin and remove-admin are told as the panel's notice; a deactivation or a
    role change made in the panel (an administrator's account as actor) was told on the bus: not again."""
    history, watch, told = watched()
    await watch.look()
    history.add(MAKE_ADMIN, 8)
    history.add(DEACTIVATE, 9, by=1)
    history.add(MAKE_ADMIN, 9, by=1)
    history.add(REMOVE_ADMIN, 8)
    await watch.look()
    assert told == [AdminNotice(8, "p8", True), AdminNotice(8, "p8", False)]


@in_loop
async def test_a_history_that_cannot_be_read_is_said_once_and_read_again(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The database away: one WARNING for the outage; back, the deactivations made meanwhile are told."""
    history, told = History(), []
    watch = ActsWatch(history, told.append, interval=0.01)
    history.add(REMOVE_MEMBER, 1)
    with caplog.at_level(logging.WARNING, logger="chatroom.accounts"):
        watch.start()
        try:
            await wait_for(lambda: history.reads >= 1)
            history.failing = True
            history.add(DEACTIVATE, 3)
            reads = history.reads
            await wait_for(lambda: history.reads >= reads + 5)
            history.failing = False
            await wait_for(lambda: told == deactivated(3))
        finally:
            await watch.stop()
    warnings = [r.getMessage() for r in caplog.records if r.name == "chatroom.accounts"]
    assert warnings == [
        "cannot read the moderation history for the command line's acts: the database is away"
    ]


@in_loop
async def test_the_store_s_own_history_is_read_on_both_stores(store_factory: StoreFactory) -> None:
    """With the moderation history of SQLite and PostgreSQL: a deactivation written after the first
    look is told, one written before is not."""
    store = store_factory()
    await store.start()
    try:
        told: list[Notice] = []
        watch = ActsWatch(store.accounts, told.append)
        keep = store.accounts.record_act
        await keep(ModerationAct(DEACTIVATE, 1, "the command line", "old", subject_id=4))
        await watch.look()
        await keep(ModerationAct(DEACTIVATE, 2, "the command line", "new", subject_id=5))
        await keep(ModerationAct(REACTIVATE, 3, "the command line", "old", subject_id=4))
        await watch.look()
        assert told == deactivated(5)
    finally:
        await store.close()


async def wait_for(condition: object, timeout: float = 5.0) -> None:
    """Until ``condition()`` holds (AssertionError after ``timeout`` seconds)."""
    assert callable(condition)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        assert loop.time() < deadline, "the condition did not come to hold"
        await asyncio.sleep(0.01)
