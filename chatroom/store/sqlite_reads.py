"""The SQLite store's reads: those asked within one turn of the event loop go to a reader thread together.

A read handed to a thread pool on its own costs the loop more than the query
does (a queue, a wake-up of the thread, a wake-up of the loop to resolve it,
the GIL passed back and forth), and a join asks several. When many members
join at once their reads arrive in the same turns of the loop: each turn's
reads then run one after another on one reader thread, on its own
connection, and come back in one wake-up of the loop. A read that may take
long (a search) goes alone, so that it holds up no other.
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import threading
from collections.abc import Callable
from concurrent.futures import Executor
from typing import Any, TypeVar

from .base import StoreError

T = TypeVar("T")

Query = Callable[[sqlite3.Connection], Any]
# A read's query and the future its asker awaits.
_Read = tuple[Query, "asyncio.Future[Any]"]
# A read's future and what its query returned or raised.
_Outcome = tuple["asyncio.Future[Any]", Any, BaseException | None]


class BatchedReads:
    """Runs queries on reader threads, each with its own connection; one hand-over per turn of the loop."""

    def __init__(self, executor: Executor, connect: Callable[[], sqlite3.Connection]) -> None:
        self._executor = executor
        self._connect = connect
        self._local = threading.local()
        self._queued: list[_Read] = []

    def read(self, query: Callable[[sqlite3.Connection], T], *, alone: bool = False) -> asyncio.Future[T]:
        """The outcome of ``query`` on a reader's connection: with the turn's other reads, or ``alone``."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()
        if alone:
            self._executor.submit(self._run, loop, [(query, future)])
            return future
        if not self._queued:
            loop.call_soon(self._hand_over, loop)
        self._queued.append((query, future))
        return future

    def _hand_over(self, loop: asyncio.AbstractEventLoop) -> None:
        batch, self._queued = self._queued, []
        try:
            self._executor.submit(self._run, loop, batch)
        except RuntimeError:  # the readers were shut down: the store closed meanwhile
            _resolve([(future, None, StoreError("the store is closed")) for _query, future in batch])

    def _run(self, loop: asyncio.AbstractEventLoop, batch: list[_Read]) -> None:
        """On a reader thread: every query of ``batch``, then one call back to the loop."""
        conn = getattr(self._local, "conn", None)
        outcomes: list[_Outcome] = []
        for query, future in batch:
            try:
                if conn is None:
                    conn = self._local.conn = self._connect()
                outcomes.append((future, query(conn), None))
            except Exception as error:
                outcomes.append((future, None, error))
        # A closed loop means the process is exiting: nobody awaits these.
        with contextlib.suppress(RuntimeError):
            loop.call_soon_threadsafe(_resolve, outcomes)


def _resolve(outcomes: list[_Outcome]) -> None:
    """On the loop: each read's outcome to its asker, unless the asker gave up (cancelled) already."""
    for future, result, error in outcomes:
        if future.done():
            continue
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(result)
