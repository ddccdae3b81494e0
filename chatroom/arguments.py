"""The argument parser every command shares: a bad flag is one line and exit 2, --help gives defaults."""

from __future__ import annotations

import argparse
from typing import Any, NoReturn


class HelpFormatter(argparse.HelpFormatter):
    """Says each flag's default, where it has one and its help does not say it already."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        text, value = action.help, action.default
        if not text or "default" in text or value is None or value is False or value == argparse.SUPPRESS:
            return text
        return f"{text} (default: {int(value) if isinstance(value, float) and value.is_integer() else value})"


class ArgumentParser(argparse.ArgumentParser):
    """Reports a bad flag in one line and exits 2; --help gives the defaults."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", HelpFormatter)
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message}\n")
