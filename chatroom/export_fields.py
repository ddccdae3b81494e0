"""The fields of one line of an export, each taken with its check: ExportFileError names the line."""

from __future__ import annotations

from typing import Any

import orjson

# Ids below the bound the stores page with; times that fit a 64-bit integer.
MAX_ID = 2**62 - 1
MAX_TS = 2**63 - 1
HASH_BYTES = 32


def record_line(record: dict[str, Any]) -> bytes:
    """One record as a line of the file."""
    return orjson.dumps(record) + b"\n"


class ExportFileError(Exception):
    """A line of the file is not what an export holds: the file is wrong, not the database."""

    def __init__(self, line: int, reason: str) -> None:
        super().__init__(f"line {line}: {reason}")
        self.line = line


class Fields:
    """The fields of one line, each taken with its check; ExportFileError names the line."""

    def __init__(self, number: int, data: dict[str, Any]) -> None:
        self.number = number
        self.data = data

    def fail(self, reason: str) -> ExportFileError:
        return ExportFileError(self.number, reason)

    def whole(self, name: str, low: int, high: int) -> int:
        value = self.data.get(name)
        if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
            raise self.fail(f"{name!r} must be a whole number from {low} to {high}")
        return value

    def time(self, name: str) -> int | None:
        return None if self.data.get(name) is None else self.whole(name, 0, MAX_TS)

    def text(self, name: str) -> str:
        value = self.data.get(name)
        if not isinstance(value, str) or not value:
            raise self.fail(f"{name!r} must be a string that is not empty")
        return value

    def any_text(self, name: str) -> str:
        value = self.data.get(name)
        if not isinstance(value, str):
            raise self.fail(f"{name!r} must be a string")
        return value

    def optional_id(self, name: str) -> int | None:
        return None if self.data.get(name) is None else self.whole(name, 1, MAX_ID)

    def optional_text(self, name: str) -> str | None:
        return None if self.data.get(name) is None else self.text(name)

    def flag(self, name: str) -> bool:
        value = self.data.get(name)
        if not isinstance(value, bool):
            raise self.fail(f"{name!r} must be true or false")
        return value

    def choice(self, name: str, choices: tuple[str, ...]) -> str:
        value = self.data.get(name)
        if value not in choices:
            raise self.fail(f"{name!r} must be one of {', '.join(choices)}")
        return str(value)

    def digest(self, name: str) -> bytes:
        value = self.text(name)
        try:
            digest = bytes.fromhex(value)
        except ValueError:
            digest = b""
        if len(digest) != HASH_BYTES:
            raise self.fail(f"{name!r} must be {HASH_BYTES} bytes in hex")
        return digest
