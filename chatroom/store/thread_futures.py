"""Futures that another thread answers through the loop: whoever awaited one may have given up on it
(cancelled: a closing probe, a request whose client left) before the thread answered."""

from __future__ import annotations

import asyncio
from typing import Any, TypeVar

T = TypeVar("T")


def resolve_unless_done(future: asyncio.Future[T], result: T) -> None:
    """Resolve ``future`` with ``result`` unless its awaiter gave up already."""
    if not future.done():
        future.set_result(result)


def fail_unless_done(future: asyncio.Future[Any], error: BaseException) -> None:
    """Fail ``future`` with ``error`` unless its awaiter gave up already."""
    if not future.done():
        future.set_exception(error)
