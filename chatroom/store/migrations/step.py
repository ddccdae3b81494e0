"""What a schema step is: its SQL per dialect, and an optional data fix after it."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol


class Cursor(Protocol):
    """What a step's data fix needs from a connection: ``?`` placeholders in both dialects."""

    def fetchall(self, sql: str, params: Sequence[object] = ()) -> list[tuple[object, ...]]: ...

    def executemany(self, sql: str, rows: Sequence[Sequence[object]]) -> None: ...


@dataclass(frozen=True, slots=True)
class Step:
    """One schema change: its SQL per dialect, and an optional data fix after it."""

    version: int
    summary: str
    sqlite: tuple[str, ...]
    postgres: tuple[str, ...]
    fix: Callable[[Cursor], None] | None = None
